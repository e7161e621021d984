package future

import "context"

// Runner is where [Submit] runs tasks: a *pool.Pool, an [Executor],
// or anything with the same Submit method. Submit must run fn exactly once
// unless it returns an error, and must not block once fn is accepted.
type Runner interface {
	Submit(ctx context.Context, fn func(context.Context) error) error
}

// TryRunner is a [Runner] that can also refuse a task instead of blocking, as
// *pool.Pool and [Executor] do.
type TryRunner interface {
	TrySubmit(fn func(context.Context) error) error
}

// Submit submits fn to r and returns its future (Python's Executor.submit).
// It blocks while r's queue is full, until there is room or ctx ends; ctx
// bounds only the submission. On failure it returns r's error (for a pool,
// pool.ErrClosed or context.Cause(ctx)) and fn will not run.
//
// fn receives a context derived from the one r gives its tasks (for a pool,
// canceled by pool.Stop; for an [Executor], by [Executor.Stop]), also
// canceled by [Future.Cancel] and once fn returns. fn's value, error,
// panic ([*PanicError]) or runtime.Goexit ([ErrGoexit]) goes to the future
// only, exactly once: the task reports no error to r, so nothing is reported
// twice. A pool still counts the task in its Stats by that outcome (completed,
// failed — a Goexit included — or panicked). The one exception is a panic in
// a done-callback that ran when fn returned: it is returned to r as the
// task's error (for a pool: to pool.Wait or its error handler), and kept on
// the future too.
//
// Called from a task of a pool (or of a pool.Group) with the context that
// task received, Submit on that same pool or group never deadlocks it, in
// any queue mode: when no worker can start fn at once, fn runs in the
// calling task's slot and Submit returns once it is done, so the caller may
// then wait for the future (see pool.Pool.Submit).
//
// A task dropped by r without running (pool.Stop) leaves its future Pending
// for ever; use an [Executor] for a lifecycle that cancels such futures. A
// nil ctx, r or fn panics.
func Submit[T any](ctx context.Context, r Runner, fn func(context.Context) (T, error)) (*Future[T], error) {
	if ctx == nil {
		panic("future: nil Context")
	}
	if fn == nil || r == nil {
		panic("future: Submit with nil func or Runner")
	}
	if e, ok := r.(*Executor); ok {
		return submitExec(ctx, e, fn, true)
	}
	f := &Future[T]{fn: fn}
	if err := r.Submit(ctx, f.poolTask); err != nil {
		return nil, err
	}
	return f, nil
}

// TrySubmit is the non-blocking twin of [Submit]: it fails with r's error
// (for a pool, pool.ErrQueueFull or pool.ErrClosed) instead of waiting.
func TrySubmit[T any](r TryRunner, fn func(context.Context) (T, error)) (*Future[T], error) {
	if fn == nil || r == nil {
		panic("future: TrySubmit with nil func or Runner")
	}
	if e, ok := r.(*Executor); ok {
		return submitExec(context.Background(), e, fn, false)
	}
	f := &Future[T]{fn: fn}
	if err := r.TrySubmit(f.poolTask); err != nil {
		return nil, err
	}
	return f, nil
}

// poolTask is what a pool runs for a future. A pool's task context takes
// the future's outcome (outcomeSink); another Runner's sees only cbErr.
func (f *Future[T]) poolTask(ctx context.Context) error {
	sink, _ := ctx.(outcomeSink)
	_, cbErr := f.runFor(ctx, sink)
	return cbErr
}
