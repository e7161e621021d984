package future

import (
	"context"
	"fmt"

	"github.com/weftgo/weft/pool"
)

// ErrClosed is returned when submitting to an [Executor] after
// [Executor.Close], [Executor.Shutdown] or [Executor.Stop] has begun. It is
// pool.ErrClosed, so errors.Is works with either name.
var ErrClosed = pool.ErrClosed

// Executor runs tasks on a bounded pool and hands out futures, with the
// lifecycle of Python's ThreadPoolExecutor: [Submit] runs work, and three
// verbs, in the sense every weft type gives them, stop it:
//
//   - [Executor.Close] stops accepting tasks and returns at once; the tasks
//     accepted, running or queued, still run (Python's shutdown(wait=False)).
//   - [Executor.Shutdown] is Close, then a wait for the accepted tasks to
//     finish, bounded by a context (shutdown(wait=True)).
//   - [Executor.Stop] stops accepting tasks, cancels every future still
//     queued (its task never runs, its error is [ErrCanceled]), cancels the
//     context of every running task and waits for them
//     (shutdown(cancel_futures=True), plus the cancellation of what runs).
//
// So no future of an Executor is left pending for ever: it runs or is
// canceled. Create one with [NewExecutor]; the zero value is not usable
// (each method, and [Submit] with it, panics at once), and an Executor must
// not be copied after first use. All methods are safe for concurrent use. A
// nil context or a nil func given to a method panics at once, before the
// executor is touched.
//
// An Executor is a pool.Pool that hands out futures, and its tasks are the
// pool's tasks: a task that submits to its own executor with the context it
// received never deadlocks a saturated executor, in any queue mode, since
// the new task runs in the caller's slot when no worker can start it at
// once (see [Submit]); the caller may then wait for the future.
//
// Where a done-callback panic goes: for a future whose task ran, the
// executor's pool keeps it for [Executor.Shutdown] (or hands it to
// pool.WithErrorHandler); every future keeps it for [Future.CallbackErr],
// and one whose task was dropped unrun, there only (see [Future.OnDone]).
type Executor struct {
	_ noCopy
	p *pool.Pool
}

// NewExecutor returns an executor that runs at most limit tasks at once on a
// pool made with pool.New(limit, opts...). A limit below 1 panics.
func NewExecutor(limit int, opts ...pool.Option) *Executor {
	if limit < 1 {
		panic(fmt.Sprintf("future: NewExecutor(%d): limit must be at least 1", limit))
	}
	return &Executor{p: pool.New(limit, opts...)}
}

// Submit runs fn as a fire-and-forget task, with no future: it is
// pool.Pool.Submit on the executor's pool. It exists so that an Executor is
// a [Runner]; to get a future, call the package function [Submit] with the
// executor.
func (e *Executor) Submit(ctx context.Context, fn func(context.Context) error, opts ...pool.TaskOption) error {
	if ctx == nil {
		panic(errNilContext)
	}
	if fn == nil {
		panic("future: Executor.Submit with nil func")
	}
	e.checkMade()
	return e.p.Submit(ctx, fn, opts...)
}

// TrySubmit is the non-blocking twin of [Executor.Submit].
func (e *Executor) TrySubmit(fn func(context.Context) error, opts ...pool.TaskOption) error {
	if fn == nil {
		panic("future: Executor.TrySubmit with nil func")
	}
	e.checkMade()
	return e.p.TrySubmit(fn, opts...)
}

// Close stops the executor accepting tasks and returns at once: later
// submissions fail with [ErrClosed], while the tasks already accepted,
// running or queued, still run and complete their futures. A later
// [Executor.Shutdown] waits for them and returns the pool's kept errors.
func (e *Executor) Close() {
	e.checkMade()
	e.p.Close()
}

// Shutdown closes the executor (see [Executor.Close]) and waits until every
// accepted task has run. It returns the errors the pool kept (done-callback
// panics and fire-and-forget task errors), joined, or context.Cause(ctx) if
// ctx ends first, in which case the executor goes on draining in the
// background; call [Executor.Stop] to abandon the rest, or Shutdown again to
// wait for it.
func (e *Executor) Shutdown(ctx context.Context) error {
	if ctx == nil {
		panic(errNilContext)
	}
	e.checkMade()
	return e.p.Shutdown(ctx)
}

// Stop stops the executor at once: later submissions fail with
// [ErrClosed], every future still queued is canceled (its task never runs
// and its error is [ErrCanceled]) before Stop returns, the context of every
// running task is canceled (context.Cause is pool.ErrStopped), and Stop
// waits for the running tasks to return. It returns how many queued tasks
// it dropped: the fire-and-forget tasks of [Executor.Submit] and the
// futures still queued, including those that [Future.Cancel] had already
// canceled (a canceled future's task leaves the queue only when a worker
// or Stop takes it).
func (e *Executor) Stop() (dropped int) {
	e.checkMade()
	return e.p.Stop()
}

// checkMade panics if e is nil or a zero Executor. e.p is set by NewExecutor only,
// so reading it needs no lock.
func (e *Executor) checkMade() {
	if e == nil {
		panic("future: nil *Executor")
	}
	if e.p == nil {
		panic("future: Executor must be made with NewExecutor")
	}
}
