package future

import "context"

// ReturnWhen says when [Wait] returns.
type ReturnWhen int

const (
	// AllCompleted: when every future is done.
	AllCompleted ReturnWhen = iota
	// FirstCompleted: when at least one future is done.
	FirstCompleted
	// FirstException: when a future finishes with an error (a cancelled
	// future does not count), or when all are done if none fails.
	FirstException
)

// Wait blocks until the condition given by when holds for fs or ctx ends
// (Python's wait). It returns the futures done at that point (those already
// done first, in argument order, then in completion order) and the others,
// in argument order; duplicates in fs appear once. err is nil when the
// condition holds and context.Cause(ctx) when ctx ended first; the two sets
// are valid in both cases. With an empty fs it returns at once.
//
// Wait registers one internal callback per pending future and removes them
// before returning; it starts no goroutine, costs O(len(fs)) and does not
// cancel anything.
func Wait[T any](ctx context.Context, when ReturnWhen, fs ...*Future[T]) (done, notDone []*Future[T], err error) {
	var c collector[T]
	done, pending := c.watch(fs, len(fs))
	remaining := pending
	failure := false
	for _, f := range done {
		failure = failure || failed(f)
	}
	satisfied := func() bool {
		if remaining == 0 {
			return true // nothing left to wait for, whatever the mode
		}
		switch when {
		case FirstCompleted:
			return len(done) > 0
		case FirstException:
			return failure
		}
		return false
	}
	for err == nil && !satisfied() {
		var batch *callback[T]
		batch, err = c.next(ctx)
		for cb := batch; cb != nil; cb = cb.next {
			cb.seen = true
			remaining--
			if c.dup(cb) {
				continue
			}
			done = append(done, cb.f)
			failure = failure || failed(cb.f)
		}
	}
	if remaining > 0 {
		c.stop()
		for cb := c.drain(); cb != nil; cb = cb.next {
			cb.seen = true
			if !c.dup(cb) {
				done = append(done, cb.f)
			}
		}
		for i := range c.cbs {
			if cb := &c.cbs[i]; cb.f != nil && !cb.seen {
				notDone = append(notDone, cb.f)
			}
		}
	}
	return done, notDone, err
}

// failed reports whether f finished with an error (not a cancellation).
func failed[T any](f *Future[T]) bool {
	return f.State() == Finished && f.err != nil
}
