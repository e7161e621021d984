package future

import (
	"errors"

	"github.com/weftgo/weft/internal/shake"
)

// callback is one registered done-callback: a user func, or the internal
// hook of a Wait or AsCompleted call. Pending callbacks form a doubly linked
// list hanging off the future, newest first, so registering and removing are
// O(1) without any extra allocation on the future.
type callback[T any] struct {
	prev, next *callback[T] // prev is the newer neighbour
	fn         func(*Future[T])
	sink       *collector[T] // set for the internal callbacks of Wait and AsCompleted
	f          *Future[T]    // the watched future (internal callbacks only)
	seen       bool          // consumed by the collector's owner
}

// OnDone registers fn to be called with f once f is done (Python's
// add_done_callback). Callbacks run exactly once, in registration order, on
// the goroutine that completes or cancels the future, after the result is
// visible; if f is already done, fn runs at once on the calling goroutine.
//
// A panic in fn is recovered as a [*PanicError] and never lost: it is kept on
// the future, where [Future.CallbackErr] returns it, and it is also returned
// by whatever ran the callback — OnDone itself when f was already done,
// [Promise.Complete] and friends for a promise, and for a future run by a
// pool or an [Executor], the pool task's error (see [Submit]). For futures
// completed by [Go], [Future.Cancel], [Then], [Compose], a task run inline
// by a waiting executor task or a task that called runtime.Goexit, and for
// futures whose task a pool dropped unrun (by Stop, or when its queue
// timeout passed), the future is the only place. A callback that calls runtime.Goexit ends the
// goroutine running it, as Goexit always does, but only once the callbacks
// registered after it have run. Callbacks should be short: they delay the
// completing goroutine. OnDone with a nil fn panics.
func (f *Future[T]) OnDone(fn func(*Future[T])) error {
	if fn == nil {
		panic("future: OnDone with nil func")
	}
	checkNotNil(f)
	f.mu.Lock()
	f.checkMadeLocked()
	if f.State().final() {
		f.mu.Unlock()
		return f.callback(&callback[T]{fn: fn})
	}
	f.pushLocked(&callback[T]{fn: fn})
	f.mu.Unlock()
	return nil
}

// CallbackErr returns the panics of the done-callbacks run so far, joined,
// or nil. It never blocks.
func (f *Future[T]) CallbackErr() error {
	checkNotNil(f)
	if f.ext.Load() == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ext.Load().cbErr
}

func (f *Future[T]) pushLocked(cb *callback[T]) {
	cb.prev, cb.next = nil, f.cbs
	if f.cbs != nil {
		f.cbs.prev = cb
	}
	f.cbs = cb
}

// watchedLocked reports whether c already has a callback on f.
func (f *Future[T]) watchedLocked(c *collector[T]) bool {
	for cb := f.cbs; cb != nil; cb = cb.next {
		if cb.sink == c {
			return true
		}
	}
	return false
}

// removeLocked unlinks a callback that has not run. It is a no-op once the
// future is done (the list was handed to the completing goroutine).
func (f *Future[T]) removeLocked(cb *callback[T]) {
	if f.State().final() {
		return
	}
	if cb.prev != nil {
		cb.prev.next = cb.next
	} else {
		f.cbs = cb.next
	}
	if cb.next != nil {
		cb.next.prev = cb.prev
	}
	cb.prev, cb.next = nil, nil
}

// finish runs the detached callbacks (newest first in the list) in
// registration order, outside the lock, after unregistering the task
// context from its parent.
func (f *Future[T]) finish(cbs *callback[T], stop func() bool) error {
	if stop != nil {
		stop()
	}
	if cbs == nil {
		return nil
	}
	oldest := cbs
	for oldest.next != nil {
		oldest = oldest.next
	}
	return f.runCallbacks(oldest)
}

// runCallbacks runs cb and the newer callbacks after it. A callback that
// calls runtime.Goexit cannot be stopped from ending the goroutine, but the
// rest still run, while it unwinds: each callback runs exactly once.
func (f *Future[T]) runCallbacks(cb *callback[T]) error {
	var errs []error
	defer func() {
		if cb != nil { // only a Goexit leaves the loop early
			f.runCallbacks(cb)
		}
	}()
	for cb != nil {
		c := cb
		cb = c.prev
		c.prev, c.next = nil, nil
		shake.Point(shake.FutureCallback)
		if err := f.callback(c); err != nil {
			errs = append(errs, err)
		}
	}
	if errs == nil {
		return nil
	}
	return errors.Join(errs...)
}

// callback runs one callback, recovering and recording a panic.
func (f *Future[T]) callback(cb *callback[T]) (err error) {
	if cb.sink != nil {
		cb.sink.push(cb)
		return nil
	}
	defer func() {
		if err != nil {
			f.mu.Lock()
			e := f.extLocked()
			e.cbErr = errors.Join(e.cbErr, err)
			f.mu.Unlock()
		}
	}()
	return callProtected(cb.fn, f)
}
