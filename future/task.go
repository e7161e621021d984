package future

import (
	"context"
	"time"

	"github.com/weftgo/weft/internal/panics"
)

// run starts f's task on the calling goroutine if f is still Pending, with a
// task context derived from parent (for an executor's future, parent is
// ignored: its context derives from the executor's, set at creation). It
// reports whether it ran the task, and the panics of the done-callbacks it
// ran.
func (f *Future[T]) run(parent context.Context) (ran bool, cbErr error) {
	return f.runFor(parent, nil)
}

// outcomeSink is implemented by the context a pool gives its tasks
// (pool.taskCtx.Delivered): a task that delivers its own outcome, as a
// future's does, tells the pool what it was, so that the pool counts the
// task by it in pool.Stats and does not report it a second time.
type outcomeSink interface{ Delivered(err error) }

// runFor is run for a task that a pool runs: once the future is complete,
// its outcome — the task's error, panic or Goexit — is handed to sink, if
// not nil, even when the task ends this goroutine with runtime.Goexit.
func (f *Future[T]) runFor(parent context.Context, sink outcomeSink) (ran bool, cbErr error) {
	s := f.state.Load()
	if State(s&stateMask) != Pending || !f.state.CompareAndSwap(s, with(s, Running, s&ctxDoneBit)) {
		return false, nil
	}
	fn := f.fn
	if s&execBit == 0 {
		f.parent = parent // an executor's future keeps the executor's context
	}
	v, err := f.call(fn, sink)
	_, cbErr = f.complete(v, err)
	if sink != nil {
		// After the callbacks: if one of them calls runtime.Goexit, the
		// pool reports that Goexit itself, the only place it can go.
		sink.Delivered(err)
	}
	return true, cbErr
}

// call runs fn with the task context, turning a panic into a *PanicError.
// If fn calls runtime.Goexit the future completes with ErrGoexit, and sink
// (if any) hears of it, before the goroutine goes away.
func (f *Future[T]) call(fn func(context.Context) (T, error), sink outcomeSink) (v T, err error) {
	normal := false
	defer func() {
		if normal {
			return
		}
		if r := recover(); r != nil {
			err = panics.New(r)
			return
		}
		var zero T
		f.complete(zero, ErrGoexit)
		if sink != nil {
			sink.Delivered(ErrGoexit)
		}
	}()
	v, err = fn((*taskCtx[T])(f))
	normal = true
	return v, err
}

// callProtected runs a done-callback, turning a panic into a *PanicError.
func callProtected[T any](fn func(*Future[T]), f *Future[T]) error {
	goexit := false
	err := panics.Run(func() error { fn(f); return nil }, func() { goexit = true })
	if goexit {
		return ErrGoexit
	}
	return err
}

// taskCtx is the context a task receives: its future, seen as a context. It
// is done when the future is canceled while running, when the parent is
// done, or when the task has returned. Converting *Future to *taskCtx costs
// nothing, and the Done channel is made only if the task asks for it.
type taskCtx[T any] Future[T]

// ownerKey is the context key under which an executor's context, and so the
// context of each of its tasks, reports the *Executor.
type ownerKey struct{}

func (c *taskCtx[T]) fut() *Future[T] { return (*Future[T])(c) }

func (c *taskCtx[T]) Deadline() (time.Time, bool) { return c.parent.Deadline() }

func (c *taskCtx[T]) Value(key any) any { return c.parent.Value(key) }

func (c *taskCtx[T]) Err() error {
	if err := c.parent.Err(); err != nil {
		return err
	}
	if c.fut().state.Load()&ctxDoneBit != 0 {
		return context.Canceled
	}
	return nil
}

func (c *taskCtx[T]) Done() <-chan struct{} {
	f := c.fut()
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.extLocked()
	if e.ctxDone != nil {
		return e.ctxDone
	}
	if f.state.Load()&ctxDoneBit != 0 {
		e.ctxDone = closedChan
		return e.ctxDone
	}
	e.ctxDone = make(chan struct{})
	if c.parent.Done() != nil {
		e.stopAfter = context.AfterFunc(c.parent, c.parentDone)
	}
	return e.ctxDone
}

// parentDone marks the task context done when its parent ends.
func (c *taskCtx[T]) parentDone() {
	f := c.fut()
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		s := f.state.Load()
		if s&ctxDoneBit != 0 {
			return
		}
		if f.state.CompareAndSwap(s, s|ctxDoneBit) {
			close(f.ext.Load().ctxDone)
			return
		}
	}
}

func (c *taskCtx[T]) String() string { return "future.taskContext" }
