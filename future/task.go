package future

import (
	"context"
	"time"

	"github.com/weftgo/weft/internal/panics"
)

// run starts f's task on the calling goroutine if f is still Pending, with a
// task context derived from parent. It reports whether it ran the task, and
// the panics of the done-callbacks it ran.
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
	if State(s&stateMask) != Pending || !f.state.CompareAndSwap(s, uint32(Running)|s&^stateMask) {
		return false, nil
	}
	fn := f.fn
	f.parent = parent
	v, err := f.call(fn, sink)
	_, cbErr = f.complete(v, err)
	if sink != nil {
		// After the callbacks: if one of them calls runtime.Goexit, the
		// pool reports that Goexit itself, the only place it can go.
		sink.Delivered(err)
	}
	return true, cbErr
}

// call runs fn with the task context; a panic becomes a *PanicError. If fn
// calls runtime.Goexit the future completes with ErrGoexit, and sink (if
// any) hears of it, before the goroutine goes away.
func (f *Future[T]) call(fn func(context.Context) (T, error), sink outcomeSink) (v T, err error) {
	var g panics.Guard[PanicError]
	defer g.Catch(&err, func() {
		var zero T
		f.complete(zero, ErrGoexit)
		if sink != nil {
			sink.Delivered(ErrGoexit)
		}
	})
	v, err = fn((*taskCtx[T])(f))
	g.Returned()
	return v, err
}

// callProtected runs a done-callback, turning a panic into a *PanicError.
// A callback that calls runtime.Goexit never returns here; runCallbacks
// runs the rest while the goroutine unwinds.
func callProtected[T any](fn func(*Future[T]), f *Future[T]) error {
	return panics.Run[PanicError](func() error { fn(f); return nil }, nil)
}

// taskCtx is the context a task receives: its future, seen as a context. It
// is done when the future is canceled while running, when the parent is
// done, or when the task has returned. Converting *Future to *taskCtx costs
// nothing, and the Done channel is made only if the task asks for it.
//
// Values and the deadline are the parent's. A context derived from a
// taskCtx (context.WithTimeout, context.AfterFunc) costs no goroutine:
// taskCtx has the AfterFunc method the context package looks for in a
// parent whose Done channel is not a *context.cancelCtx's, and runs the
// functions registered with it when it becomes done.
type taskCtx[T any] Future[T]

func (c *taskCtx[T]) fut() *Future[T] { return (*Future[T])(c) }

func (c *taskCtx[T]) Deadline() (time.Time, bool) { return c.parent.Deadline() }

func (c *taskCtx[T]) Value(key any) any { return c.parent.Value(key) }

// Err keeps the context contract: it is nil until Done is closed, and then
// the same error for ever. A parent found done marks c done first, here
// and in Done, rather than leave it to the watcher of the parent, which
// may not have run yet (or not be registered at all).
func (c *taskCtx[T]) Err() error {
	s := c.fut().state.Load()
	if s&ctxDoneBit == 0 {
		if c.parent.Err() == nil {
			return nil
		}
		c.parentDone()
		s = c.fut().state.Load()
	}
	if s&parentDoneBit != 0 {
		return c.parent.Err()
	}
	return context.Canceled
}

func (c *taskCtx[T]) Done() <-chan struct{} {
	f := c.fut()
	if f.state.Load()&ctxDoneBit == 0 && c.parent.Err() != nil {
		c.parentDone() // so that a child made now is canceled at once
	}
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
	c.watchParentLocked(e)
	return e.ctxDone
}

// AfterFunc arranges for fn to be called once c is done, and returns a
// function that unregisters fn, reporting whether it did so before fn was
// called. fn is called on the goroutine that makes c done, with no lock
// held; if c is already done, it is called on a goroutine of its own, since
// the caller (the context package, making a child of c) may hold the lock
// that fn takes. This is the method context.AfterFunc and the
// context.With* functions use instead of starting a goroutine.
func (c *taskCtx[T]) AfterFunc(fn func()) (stop func() bool) {
	f := c.fut()
	f.mu.Lock()
	if f.state.Load()&ctxDoneBit != 0 {
		f.mu.Unlock()
		go fn()
		return func() bool { return false }
	}
	e := f.extLocked()
	a := &afterFunc{fn: fn}
	a.next = e.afters
	if a.next != nil {
		a.next.prev = a
	}
	e.afters = a
	c.watchParentLocked(e)
	f.mu.Unlock()
	return func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		if a.fn == nil {
			return false // taken by ctxDoneLocked: called, or about to be
		}
		a.fn = nil
		if a.prev != nil {
			a.prev.next = a.next
		} else if e.afters == a {
			e.afters = a.next
		}
		if a.next != nil {
			a.next.prev = a.prev
		}
		return true
	}
}

// afterFunc is one function registered with taskCtx.AfterFunc, in a doubly
// linked list hanging off the future's ext, newest first. Once taken to be
// run, fn is nil and run holds it; the list it is in then belongs to the
// goroutine running it.
type afterFunc struct {
	fn, run    func()
	prev, next *afterFunc
}

// watchParentLocked makes sure the parent's end marks c done, once
// something (a Done channel, an AfterFunc) depends on it. f.mu is held.
func (c *taskCtx[T]) watchParentLocked(e *ext[T]) {
	if e.stopAfter == nil && c.parent.Done() != nil {
		e.stopAfter = context.AfterFunc(c.parent, c.parentDone)
	}
}

// parentDone marks the task context done when its parent ends.
func (c *taskCtx[T]) parentDone() {
	f := c.fut()
	f.mu.Lock()
	for {
		s := f.state.Load()
		if s&ctxDoneBit != 0 {
			f.mu.Unlock()
			return
		}
		if f.state.CompareAndSwap(s, s|ctxDoneBit|parentDoneBit) {
			break
		}
	}
	afters := f.ctxDoneLocked()
	f.mu.Unlock()
	runAfters(afters)
}

// ctxDoneLocked does what the task context's becoming done requires, once
// ctxDoneBit has just been set: it closes the Done channel, if one was made,
// and takes the functions registered with AfterFunc, which the caller runs
// with runAfters once it has released f.mu.
func (f *Future[T]) ctxDoneLocked() *afterFunc {
	e := f.ext.Load()
	if e == nil {
		return nil
	}
	if e.ctxDone != nil && e.ctxDone != closedChan {
		close(e.ctxDone)
	}
	afters := e.afters
	e.afters = nil
	for a := afters; a != nil; a = a.next {
		a.run, a.fn = a.fn, nil // from now on stop reports false
	}
	return afters
}

// runAfters calls the functions taken by ctxDoneLocked.
func runAfters(afters *afterFunc) {
	for a := afters; a != nil; a = a.next {
		a.run()
	}
}

func (c *taskCtx[T]) String() string { return "future.taskContext" }
