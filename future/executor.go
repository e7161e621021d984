package future

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/weftgo/weft/pool"
)

// ErrClosed is returned when submitting to an [Executor] after
// [Executor.Shutdown], [Executor.Close] or [Executor.Stop] has begun. It is
// pool.ErrClosed, so errors.Is works with either name.
var ErrClosed = pool.ErrClosed

// Executor runs tasks on a bounded pool and hands out futures, with the
// lifecycle of Python's ThreadPoolExecutor: [Submit] runs work,
// [Executor.Shutdown] stops it — waiting or not, and canceling the futures
// still queued or not. Create one with [NewExecutor]; the zero value is not
// usable (each method, and [Submit] with it, panics at once), and an Executor
// must not be copied after first use. All methods are safe for concurrent
// use. A nil context or a nil func given to a method panics at once, before
// the executor is touched.
//
// Unlike a plain pool, an Executor knows its queued futures, so shutting down
// never leaves a future pending for ever: it either runs or is canceled
// (error [ErrCanceled]). And a task that calls [Future.Result] (or [Wait],
// [AsCompleted] and the combinators) on a future still queued in the same
// executor runs that task itself instead of waiting, so tasks may wait on
// tasks without deadlocking a saturated executor.
//
// Helping covers futures still queued. A task that submits to its own
// executor with a bounded queue (pool.WithQueueSize) can still block in
// [Submit] while the queue is full: pass the task's context, which bounds the
// wait, or use [TrySubmit].
//
// Where a done-callback panic goes: the executor's pool keeps it for
// [Executor.Shutdown] (or hands it to pool.WithErrorHandler), and the future
// keeps it for [Future.CallbackErr].
type Executor struct {
	_      noCopy
	p      *pool.Pool
	ctx    context.Context // parent of every task's context; names e
	cancel context.CancelCauseFunc
	mu     sync.Mutex
	closed bool
	kept   error // pool errors collected by Close, for Shutdown
	// queued holds the futures submitted and maybe not started. Only
	// submitters and shutdown touch it: workers never take e.mu. Entries that
	// are no longer Pending are dropped whenever the slice has doubled since
	// the last compaction, so it stays within twice the queued futures.
	queued    []queuedFuture
	compactAt int
}

// queuedFuture is the untyped view of a future an executor tracks.
type queuedFuture interface {
	State() State
	cancelPending() bool
}

// NewExecutor returns an executor that runs at most limit tasks at once on a
// pool made with pool.New(limit, opts...). A limit below 1 panics.
func NewExecutor(limit int, opts ...pool.Option) *Executor {
	if limit < 1 {
		panic(fmt.Sprintf("future: NewExecutor(%d): limit must be at least 1", limit))
	}
	e := &Executor{p: pool.New(limit, opts...)}
	ctx, cancel := context.WithCancelCause(context.Background())
	e.ctx, e.cancel = context.WithValue(ctx, ownerKey{}, e), cancel
	return e
}

// Submit runs fn as a fire-and-forget task, with no future: it is
// pool.Submit on the executor's pool, after a closed check. It exists so that
// an Executor is a [Runner]; to get a future, call the package function
// [Submit] with the executor.
func (e *Executor) Submit(ctx context.Context, fn func(context.Context) error) error {
	if ctx == nil {
		panic(errNilContext)
	}
	if fn == nil {
		panic("future: Executor.Submit with nil func")
	}
	e.checkMade()
	if e.isClosed() {
		return ErrClosed
	}
	return e.p.Submit(ctx, fn)
}

// TrySubmit is the non-blocking twin of [Executor.Submit].
func (e *Executor) TrySubmit(fn func(context.Context) error) error {
	if fn == nil {
		panic("future: Executor.TrySubmit with nil func")
	}
	e.checkMade()
	if e.isClosed() {
		return ErrClosed
	}
	return e.p.TrySubmit(fn)
}

// Shutdown stops the executor (Python's shutdown(wait=True,
// cancel_futures=...)): later submissions fail with [ErrClosed]; if
// cancelFutures is set, every future still queued is canceled at once and its
// task never runs; the running tasks, and the queued ones if not canceled,
// run to completion. Shutdown blocks until they have and returns the errors
// the pool kept (done-callback panics and fire-and-forget task errors), or
// context.Cause(ctx) if ctx ends first, in which case the executor goes on
// draining in the background. It may be called more than once.
func (e *Executor) Shutdown(ctx context.Context, cancelFutures bool) error {
	if ctx == nil {
		panic(errNilContext)
	}
	e.checkMade()
	e.close(cancelFutures)
	err := e.p.Shutdown(ctx)
	if ctx.Err() == nil {
		e.cancel(ErrClosed) // no task is left: release the executor's context
	}
	e.mu.Lock()
	kept := e.kept
	e.kept = nil
	e.mu.Unlock()
	if kept == nil {
		return err
	}
	return errors.Join(kept, err)
}

// Close is Shutdown without waiting (Python's shutdown(wait=False)): it stops
// accepting tasks, cancels the queued futures if cancelFutures is set, and
// returns at once while the rest drains in the background. A later Shutdown
// waits for the drain.
func (e *Executor) Close(cancelFutures bool) {
	e.checkMade()
	e.close(cancelFutures)
	// A done context makes pool.Shutdown close the pool and return at once.
	// If the pool had already drained, it returns the kept errors instead:
	// keep them for the next Shutdown.
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errClosing)
	if err := e.p.Shutdown(ctx); err != nil && err != errClosing {
		e.mu.Lock()
		e.kept = errors.Join(e.kept, err)
		e.mu.Unlock()
	}
}

var errClosing = errors.New("future: closing")

// Stop stops the executor at once: later submissions fail, every queued future
// is canceled, the context of every running task is canceled (its
// context.Cause is pool.ErrStopped), and Stop waits for the running tasks to
// return. It returns how many queued futures it canceled.
func (e *Executor) Stop() (canceled int) {
	e.checkMade()
	canceled = e.close(true)
	e.cancel(pool.ErrStopped)
	e.p.Stop()
	return canceled
}

// checkMade panics if e is a zero Executor. e.p is set by NewExecutor only,
// so reading it needs no lock.
func (e *Executor) checkMade() {
	if e.p == nil {
		panic("future: Executor must be made with NewExecutor")
	}
}

func (e *Executor) isClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}

// close marks the executor closed and optionally cancels the queued futures,
// returning how many it canceled.
func (e *Executor) close(cancelFutures bool) int {
	e.mu.Lock()
	e.closed = true
	var queued []queuedFuture
	if cancelFutures {
		queued = e.queued
		e.queued = nil
	}
	e.mu.Unlock()
	canceled := 0
	for _, f := range queued {
		if f.cancelPending() {
			canceled++
		}
	}
	return canceled
}

// track records a future about to be submitted; false if e is closed.
func (e *Executor) track(f queuedFuture) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	if len(e.queued) >= e.compactAt {
		live := e.queued[:0]
		for _, q := range e.queued {
			if q.State() == Pending {
				live = append(live, q)
			}
		}
		clear(e.queued[len(live):])
		e.queued = live
		e.compactAt = max(64, 2*len(live))
	}
	e.queued = append(e.queued, f)
	return true
}

// submitExec is [Submit] and [TrySubmit] for an executor.
func submitExec[T any](ctx context.Context, e *Executor, fn func(context.Context) (T, error), block bool) (*Future[T], error) {
	if ctx == nil {
		panic(errNilContext)
	}
	e.checkMade()
	f := &Future[T]{fn: fn, parent: e.ctx}
	f.state.Store(execBit)
	if !e.track(f) {
		return nil, ErrClosed
	}
	var err error
	if block {
		err = e.p.Submit(ctx, f.poolTask)
	} else {
		err = e.p.TrySubmit(f.poolTask)
	}
	if err != nil {
		f.cancelPending() // so that shutdown neither keeps nor counts it
		return nil, err
	}
	return f, nil
}

// cancelPending cancels f only if its task has not started.
func (f *Future[T]) cancelPending() bool { return f.cancel(true) == Canceled }
