package pool

import (
	"context"
	"errors"
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
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.running > 0 || p.queue.len() > 0 {
		_ = p.settled.Wait(context.Background())
	}
	return p.takeErrs()
}

// Shutdown stops the pool gracefully: it stops accepting tasks (submitters,
// including those blocked on a full queue, get [ErrClosed]), lets the queued
// tasks run, and waits until every worker goroutine has exited. It returns
// the kept task errors as [Pool.Wait] does.
//
// If ctx ends first, Shutdown returns context.Cause(ctx) and the pool goes
// on draining in the background; call [Pool.Stop] to abandon the rest, or
// Wait or Shutdown again to wait for it. Shutdown may be called more than
// once and from several goroutines.
func (p *Pool) Shutdown(ctx context.Context) error {
	p.made()
	checkCtx(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeLocked()
	for p.workers > 0 {
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
// tasks it dropped; they count as dropped in [Pool.Stats], and a [Group]
// whose tasks were dropped reports [ErrClosed] from its Wait.
//
// Stop waits as long as running tasks take to notice their context; a task
// that ignores it delays Stop. Kept task errors stay for a later
// [Pool.Wait] or [Pool.Shutdown]. Calling Stop again returns 0.
func (p *Pool) Stop() (dropped int) {
	p.made()
	p.mu.Lock()
	p.closeLocked()
	dropped = p.queue.len()
	for p.queue.len() > 0 {
		if t := p.queue.pop(); t.g != nil {
			t.g.dropped++
			t.g.taskDone(nil)
		}
	}
	p.st.dropped += uint64(dropped)
	groups := make([]*Group, 0, len(p.groups))
	for g := range p.groups {
		groups = append(groups, g)
	}
	p.mu.Unlock()

	p.cancel(ErrStopped)
	for _, g := range groups {
		g.cancel(ErrStopped)
	}

	p.mu.Lock()
	for p.workers > 0 {
		_ = p.settled.Wait(context.Background())
	}
	p.mu.Unlock()
	return dropped
}

// closeLocked stops accepting tasks and lets idle workers go. p.mu is held.
func (p *Pool) closeLocked() {
	if p.closed {
		return
	}
	p.closed = true
	for len(p.idle) > 0 {
		p.retireIdle()
	}
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
