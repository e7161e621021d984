package future

import (
	"context"

	"github.com/weftgo/weft/internal/panics"
)

// Then returns a future for fn applied to f's value (Java's thenApply). When
// f succeeds, fn runs on the goroutine that completed f (at once on the
// calling goroutine if f is already done), with a context that
// the returned future's [Future.Cancel] cancels; when f fails or is
// canceled, the returned future fails with the same error and fn does not
// run. Keep fn short, or start the heavy part with [Go] inside [Compose].
//
// Canceling the returned future before f completes makes it Canceled and
// fn never runs; f itself is not canceled. A panic in fn becomes the
// returned future's [*PanicError]; a runtime.Goexit in fn makes it fail
// with [ErrGoexit] and ends the goroutine that completed f, as Goexit
// always does, once f's other callbacks have run. Then never blocks.
func Then[T, U any](f *Future[T], fn func(context.Context, T) (U, error)) *Future[U] {
	if fn == nil {
		panic("future: Then with nil func")
	}
	if f == nil {
		panic("future: Then with nil *Future")
	}
	g := &Future[U]{}
	g.fn = func(ctx context.Context) (U, error) { return fn(ctx, f.val) }
	f.onDoneInternal(func(f *Future[T]) {
		if f.err != nil {
			var zero U
			g.complete(zero, f.err)
			return
		}
		g.run(context.Background())
	})
	return g
}

// Compose returns a future for the future that fn returns from f's value
// (Java's thenCompose, JavaScript's then returning a promise). fn runs as in
// [Then] and should start its work and return at once, for example with
// [Go] or [Submit] using the context it is given: canceling the returned
// future then cancels that work too. If fn returns an error, or f fails, the
// returned future fails with it; if fn returns neither a future nor an
// error (or returns a zero Future), it fails with [ErrNilFuture]. A panic
// or a runtime.Goexit in fn is handled as in [Then]. Compose never blocks.
func Compose[T, U any](f *Future[T], fn func(context.Context, T) (*Future[U], error)) *Future[U] {
	if fn == nil {
		panic("future: Compose with nil func")
	}
	if f == nil {
		panic("future: Compose with nil *Future")
	}
	// g has no task: its parent, set now and never changed, marks it made.
	g := &Future[U]{parent: context.Background()}
	f.onDoneInternal(func(f *Future[T]) {
		var zero U
		if f.err != nil {
			g.complete(zero, f.err)
			return
		}
		if !g.state.CompareAndSwap(uint32(Pending), uint32(Running)) {
			return // canceled meanwhile
		}
		var inner *Future[U]
		err := panics.Run[PanicError](func() (err error) {
			inner, err = fn((*taskCtx[U])(g), f.val)
			return err
		}, func() { g.complete(zero, ErrGoexit) })
		if err == nil && (inner == nil || inner.isZero()) {
			err = ErrNilFuture
		}
		if err != nil {
			g.complete(zero, err)
			return
		}
		// g stays Running until inner is done; Cancel reaches inner through
		// the context fn was given.
		inner.onDoneInternal(func(in *Future[U]) { g.complete(in.val, in.err) })
	})
	return g
}

// onDoneInternal registers a callback whose panics are impossible (weft's
// own code), without reporting anything back.
func (f *Future[T]) onDoneInternal(fn func(*Future[T])) {
	_ = f.OnDone(fn)
}
