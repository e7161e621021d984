package pool

import (
	"context"
	"errors"

	"github.com/weftgo/weft/internal/hook"
	"github.com/weftgo/weft/internal/shake"
)

// Wait blocks until no task is running or queued, then returns the errors
// of fire-and-forget tasks that ended since the last Wait or Shutdown,
// joined with errors.Join (nil if there were none), and forgets them. Errors
// go to the handler instead when [WithErrorHandler] is set, and tasks of a
// [Group] report to the group.
//
// Wait does not stop the pool: tasks may be submitted during and after it,
// and a Wait racing a steady stream of submissions may wait long. Calling
// Wait from a task of the same pool deadlocks, since the caller itself is
// running; use a [Group] there.
func (p *Pool) Wait() error {
	p.made()
	shake.Point(shake.PoolWait)
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.running > 0 || p.queue.len() > 0 || p.expiring > 0 || p.parked.n > 0 {
		_ = p.settled.Wait(context.Background())
	}
	return p.takeErrs()
}

// Close stops the pool accepting tasks and returns at once: every later
// submit, and every submitter blocked on a full queue, gets [ErrClosed]. The
// tasks already accepted (running or queued) still run, and each worker
// goroutine exits once it finds nothing left to run, so a closed pool whose
// work is done holds no goroutine. The kept task errors stay for
// [Pool.Wait] or [Pool.Shutdown].
func (p *Pool) Close() {
	p.made()
	p.mu.Lock()
	p.closeLocked()
	p.mu.Unlock()
}

// Shutdown closes the pool (see [Pool.Close]) and waits until the accepted
// tasks have run and every worker goroutine has exited. It returns the kept
// task errors as [Pool.Wait] does.
//
// If ctx ends first, Shutdown returns context.Cause(ctx) and the pool goes
// on draining in the background; call [Pool.Stop] to abandon the rest, or
// Wait or Shutdown again to wait for it.
func (p *Pool) Shutdown(ctx context.Context) error {
	p.made()
	checkCtx(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeLocked()
	for p.workers > 0 || p.expiring > 0 || p.cfg.states.busy() || p.parked.n > 0 {
		if err := p.settled.Wait(ctx); err != nil {
			return err
		}
	}
	return p.takeErrs()
}

// Stop stops the pool at once: it stops accepting tasks, drops the queued
// tasks without running them, cancels the context of every running task
// (context.Cause is [ErrStopped]), and waits for the running tasks to
// return and every worker goroutine to exit. It returns how many queued
// tasks it dropped; they count as dropped in [Pool.Stats], a [Group] whose
// tasks were dropped reports [ErrClosed] from its Wait, and a future whose
// task was dropped (future.Submit) is canceled before Stop returns.
//
// Stop waits as long as running tasks take to notice their context; a task
// that ignores it delays Stop. Kept task errors stay for a later
// [Pool.Wait] or [Pool.Shutdown]. Calling Stop again returns 0.
func (p *Pool) Stop() (dropped int) {
	p.made()
	p.mu.Lock()
	p.closeLocked()
	// Every group with tasks queued or running is canceled, including one
	// whose tasks were all queued and are about to be dropped.
	groups := make([]*Group, 0, len(p.groups))
	for g := range p.groups {
		groups = append(groups, g)
	}
	dropped = p.queue.len()
	var hooks []hook.Task
	var exts []*taskExt
	for p.queue.len() > 0 {
		t := p.queue.popAny()
		if g := t.group(); g != nil {
			g.dropped++
			g.taskDone(nil)
		}
		if x, ok := t.fn.(*taskExt); ok {
			exts = append(exts, x)
		}
		if h, ok := t.inner().(hook.Task); ok {
			hooks = append(hooks, h)
		}
	}
	var parked int
	parked, exts = p.parked.dropLocked(exts)
	dropped += parked
	p.st.dropped += uint64(dropped)
	if p.expArmed {
		p.disarmExpiryLocked()
	}
	p.mu.Unlock()

	// The contexts are canceled before the dropped tasks are reported, so
	// that whoever learns of a drop (a MapSeq loop, a future's waiter)
	// finds Stop's cause already set, not a race with it.
	p.cancel(ErrStopped)
	for _, g := range groups {
		g.cancel(ErrStopped)
	}
	if len(exts) > 0 {
		p.observeDropped(exts, ErrStopped)
	}
	for _, h := range hooks {
		h.Drop(nil)
	}

	p.mu.Lock()
	for p.workers > 0 || p.expiring > 0 || p.cfg.states.busy() {
		_ = p.settled.Wait(context.Background())
	}
	p.mu.Unlock()
	return dropped
}

// closeLocked stops accepting tasks and lets idle workers go; busy ones
// exit once the queue is empty (see worker.serve). p.mu is held.
func (p *Pool) closeLocked() {
	if p.closed {
		return
	}
	p.closed = true
	for p.idle.len() > 0 {
		p.retireIdle()
	}
	p.stopReaper()
	p.space.Broadcast()
	p.notifySettled()
}

func (p *Pool) takeErrs() error {
	err := join(p.errs)
	p.errs = nil
	return err
}

// join is errors.Join, except that a single error is returned as it is, so
// callers can compare it directly.
func join(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}
