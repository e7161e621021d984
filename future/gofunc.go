package future

import "context"

// Go runs fn on a new goroutine and returns its future. The future is Pending
// until the goroutine starts (a [Future.Cancel] before that means fn never
// runs) and Running while fn runs. fn receives a context derived from ctx
// that is also canceled by [Future.Cancel] and once fn has returned. A panic
// in fn becomes the future's [*PanicError]; a runtime.Goexit becomes
// [ErrGoexit].
//
// Go never blocks. Use it for one-off work; to bound concurrency use [Submit]
// with a pool or an [Executor]. A panic in a done-callback run when fn returns
// is kept on the future ([Future.CallbackErr]). A nil ctx or fn panics.
func Go[T any](ctx context.Context, fn func(context.Context) (T, error)) *Future[T] {
	if ctx == nil {
		panic(errNilContext)
	}
	if fn == nil {
		panic("future: Go with nil func")
	}
	f := &Future[T]{fn: fn}
	go f.run(ctx)
	return f
}
