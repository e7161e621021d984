package future

import "context"

// Promise is the writing end of a [Future] that is completed by hand, for
// adapting callback-based APIs. Create one with [NewPromise]; the zero value
// is not usable: each of its methods panics at once. A Promise may be copied:
// copies complete the same future.
//
// The future completes exactly once. Later completions, and completions after
// the consumer canceled the future, fail with [ErrAlreadyCompleted]. All
// methods are safe for concurrent use.
type Promise[T any] struct {
	f *Future[T]
}

// NewPromise returns a pending promise.
func NewPromise[T any]() Promise[T] {
	f := &Future[T]{parent: context.Background()}
	return Promise[T]{f: f}
}

// fut returns p's future, panicking if p is a zero Promise.
func (p Promise[T]) fut() *Future[T] {
	if p.f == nil {
		panic("future: Promise must be made with NewPromise")
	}
	return p.f
}

// Future returns the future the promise completes.
func (p Promise[T]) Future() *Future[T] { return p.fut() }

// Resolve completes the future with v. See [Promise.Complete].
func (p Promise[T]) Resolve(v T) error { return p.Complete(v, nil) }

// Reject completes the future with err. See [Promise.Complete]. A nil err
// panics: it would make the future succeed with the zero value; use
// [Promise.Resolve] or [Promise.Complete] for that.
func (p Promise[T]) Reject(err error) error {
	if err == nil {
		panic("future: Reject with nil error")
	}
	var zero T
	return p.Complete(zero, err)
}

// Complete completes the future with v and err, then runs its done-callbacks
// on the calling goroutine. It returns [ErrAlreadyCompleted] if the future was
// already completed or canceled (nothing changes then), and otherwise the
// panics of the callbacks, joined, or nil. Completing synchronizes before
// every waiter of the future returns.
func (p Promise[T]) Complete(v T, err error) error {
	ok, cbErr := p.fut().complete(v, err)
	if !ok {
		return ErrAlreadyCompleted
	}
	return cbErr
}

// Context returns a context that is done once the future is done — in
// particular when the consumer calls [Future.Cancel] — so the producer can
// stop work nobody waits for any more.
func (p Promise[T]) Context() context.Context { return (*taskCtx[T])(p.fut()) }
