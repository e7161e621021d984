package future

import (
	"context"
	"fmt"

	"github.com/weftgo/weft/internal/shake"
)

// ReturnWhen says when [Wait] returns.
type ReturnWhen int

const (
	// AllCompleted: when every future is done.
	AllCompleted ReturnWhen = iota
	// FirstCompleted: when at least one future is done.
	FirstCompleted
	// FirstError: when a future finishes with an error (a canceled
	// future does not count), or when all are done if none fails.
	FirstError
)

// String returns the name of the constant, e.g. "FirstCompleted".
func (w ReturnWhen) String() string {
	switch w {
	case AllCompleted:
		return "AllCompleted"
	case FirstCompleted:
		return "FirstCompleted"
	case FirstError:
		return "FirstError"
	}
	return fmt.Sprintf("ReturnWhen(%d)", int(w))
}

// Wait blocks until the condition given by when holds for fs or ctx ends
// (Python's wait). It returns the futures done at that point (those already
// done first, in argument order, then in completion order) and the others,
// in argument order. Every distinct future of fs appears exactly once in
// done or notDone, duplicates included, and a future in notDone was still
// pending when Wait stopped watching it. err is nil when the returned sets
// meet the condition (even if ctx ended meanwhile) and context.Cause(ctx)
// otherwise, when ctx ended first; the two sets are valid in both cases.
// With an empty fs it returns at once.
//
// Wait registers one internal callback per pending future and removes them
// before returning; it starts no goroutine, costs O(len(fs)) and does not
// cancel anything. A nil ctx, a nil future or a when other than the three
// constants panics.
func Wait[T any](ctx context.Context, when ReturnWhen, fs ...*Future[T]) (done, notDone []*Future[T], err error) {
	if ctx == nil {
		panic(errNilContext)
	}
	if when < AllCompleted || when > FirstError {
		panic(fmt.Sprintf("future: Wait with invalid ReturnWhen %d", int(when)))
	}
	checkFutures(fs)
	var c collector[T]
	done, pending := c.watch(fs, len(fs))
	remaining := pending
	failure := false
	for _, f := range done {
		failure = failure || failed(f)
	}
	// fired takes a callback's future into done unless watch already did.
	fired := func(cb *callback[T]) {
		cb.seen = true
		if !c.dup(cb) {
			done = append(done, cb.f)
			failure = failure || failed(cb.f)
		}
	}
	satisfied := func() bool {
		if remaining == 0 {
			return true // nothing left to wait for, whatever the mode
		}
		switch when {
		case FirstCompleted:
			return len(done) > 0
		case FirstError:
			return failure
		}
		return false
	}
	for err == nil && !satisfied() {
		var batch *callback[T]
		batch, err = c.next(ctx)
		for cb := batch; cb != nil; cb = cb.next {
			remaining--
			fired(cb)
		}
	}
	if remaining == 0 {
		return done, nil, err
	}
	shake.Point(shake.FutureWait)
	for cb := c.drain(); cb != nil; cb = cb.next {
		fired(cb)
	}
	// A callback not seen yet belongs to a future that is either still
	// pending (unwatch removes the callback) or done with its callbacks
	// detached by the completing goroutine but not all run yet: that future
	// is done, and a late delivery goes to a collector nobody reads.
	notDone = make([]*Future[T], 0, remaining)
	remaining = 0
	for i := range c.cbs {
		cb := &c.cbs[i]
		switch {
		case cb.seen:
		case c.unwatch(cb):
			notDone = append(notDone, cb.f)
			remaining++
		default:
			fired(cb)
		}
	}
	if err != nil && satisfied() {
		err = nil // the futures settled meanwhile met the condition
	}
	return done, notDone, err
}

// failed reports whether f finished with an error (not a cancellation).
func failed[T any](f *Future[T]) bool {
	return f.State() == Finished && f.err != nil
}
