package future

import (
	"context"

	"github.com/weftgo/weft/internal/hook"
	"github.com/weftgo/weft/pool"
)

// Runner is where [Submit] runs tasks: a *pool.Pool, a *pool.Group, an
// [Executor], or anything with the same Submit method. Submit must run fn
// exactly once unless it returns an error, and must not block once fn is
// accepted. opts are the pool.TaskOption values given to [Submit].
type Runner interface {
	Submit(ctx context.Context, fn func(context.Context) error, opts ...pool.TaskOption) error
}

// TryRunner is a [Runner] that can also refuse a task instead of blocking, as
// *pool.Pool, *pool.Group and [Executor] do.
type TryRunner interface {
	TrySubmit(fn func(context.Context) error, opts ...pool.TaskOption) error
}

// Submit submits fn to r and returns its future (Python's Executor.submit).
// It blocks while r's queue is full, until there is room or ctx ends. On
// failure it returns r's error (for a pool, pool.ErrClosed or
// context.Cause(ctx)) and fn will not run.
//
// ctx is also the parent of fn's context, as for pool.Pool.Submit: its
// values and deadline reach fn, and fn's context is done when ctx is done,
// when r is stopped (pool.Stop or [Executor.Stop], cause pool.ErrStopped),
// when [Future.Cancel] is called while fn runs, or once fn has returned. A
// task still queued when ctx ends runs all the same, with its context done.
//
// fn's value, error, panic ([*PanicError]) or runtime.Goexit ([ErrGoexit])
// goes to the future only, exactly once: the task reports no error to r, so
// nothing is reported twice. A pool still counts the task in its Stats by
// that outcome (completed, failed — a Goexit included — or panicked). The
// exceptions are the done-callbacks that ran when fn returned: a panic in
// one is returned to r as the task's error (for a pool: to pool.Wait or its
// error handler), and kept on the future too; one that calls
// runtime.Goexit ends the task's goroutine there, as a Goexit in fn would,
// so r gets [ErrGoexit] as the task's error (a pool counts the task
// failed), while the future keeps fn's outcome.
//
// Called from a task of a pool (or of a pool.Group, or an [Executor]) with
// the context that task received, Submit on that same pool, group or
// executor never deadlocks it, in any queue mode: when no worker can start
// fn at once, fn runs in the calling task's slot and Submit returns once it
// is done, so the caller may then wait for the future (see
// pool.Pool.Submit).
//
// If r is a pool, a group or an executor that is stopped while the task is
// still queued, the future is canceled (error [ErrCanceled]) before the Stop
// returns. Another Runner that drops a task without running it leaves its
// future Pending for ever. A nil ctx, r or fn panics.
//
// opts configure the task (pool.Priority, pool.QueueTimeout,
// pool.RunTimeout). A task that a pool drops because its queue timeout
// passed completes its future with pool.ErrQueueTimeout.
func Submit[T any](ctx context.Context, r Runner, fn func(context.Context) (T, error), opts ...pool.TaskOption) (*Future[T], error) {
	if ctx == nil {
		panic(errNilContext)
	}
	if fn == nil || r == nil {
		panic("future: Submit with nil func or Runner")
	}
	f, err := submit(r, ctx, fn, true, opts)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// TrySubmit is the non-blocking twin of [Submit]: it fails with r's error
// (for a pool, pool.ErrQueueFull or pool.ErrClosed) instead of waiting. fn's
// context has no parent but r's.
func TrySubmit[T any](r TryRunner, fn func(context.Context) (T, error), opts ...pool.TaskOption) (*Future[T], error) {
	if fn == nil || r == nil {
		panic("future: TrySubmit with nil func or Runner")
	}
	f, err := submit(r, nil, fn, false, opts)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// submit makes the future of fn and hands its task to r: to a weft pool
// (an executor's, or a group's) as a task that hears when Stop drops it, to
// any other Runner as a plain func(context.Context) error.
func submit[T any](r any, ctx context.Context, fn func(context.Context) (T, error), block bool, opts []pool.TaskOption) (*Future[T], error) {
	if e, ok := r.(*Executor); ok {
		e.checkMade()
		r = e.p
	}
	t := new(poolTask[T])
	f := &t.f
	f.fn = fn
	if ok, err := hook.Submit(r, ctx, t, block, opts); ok {
		return f, err
	}
	// Another Runner: the room for the pool's record goes unused.
	if block {
		return f, r.(Runner).Submit(ctx, f.runTask, opts...)
	}
	return f, r.(TryRunner).TrySubmit(f.runTask, opts...)
}

// poolTask is a future as the task a weft pool runs (hook.Task), allocated
// together with the room where the pool keeps the context of its run.
type poolTask[T any] struct {
	f   Future[T]
	run hook.RunSpace
}

// Run runs the future's task. A pool's task context takes the future's
// outcome (outcomeSink); what the pool reports is only the callbacks'
// panics.
func (t *poolTask[T]) Run(ctx context.Context) error { return t.f.runTask(ctx) }

// Drop settles the future, whose task the pool dropped unrun: canceled if
// Stop dropped it, else with err (pool.ErrQueueTimeout).
func (t *poolTask[T]) Drop(err error) {
	if err == nil {
		t.f.cancel(true)
		return
	}
	var zero T
	t.f.complete(zero, err)
}

// RunSpace returns the room for the pool's context of the task's run.
func (t *poolTask[T]) RunSpace() *hook.RunSpace { return &t.run }

// runTask is what a Runner runs for a future. A pool's task context takes
// the future's outcome (outcomeSink); another Runner's sees only cbErr.
func (f *Future[T]) runTask(ctx context.Context) error {
	sink, _ := ctx.(outcomeSink)
	_, cbErr := f.runFor(ctx, sink)
	return cbErr
}
