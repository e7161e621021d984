package future

import (
	"context"
	"iter"
)

// AsCompleted returns an iterator over fs that yields each future once, as it
// completes (Python's as_completed). Futures already done when the iteration
// starts are yielded first, in argument order; duplicates in fs are yielded
// once. The futures are watched through internal done-callbacks, not
// goroutines, so the whole iteration costs O(len(fs)).
//
// The iteration stops early, without error, when ctx ends: check ctx.Err()
// after the loop to tell that case from normal exhaustion. Breaking out of the
// loop, or ctx ending, unregisters every callback; nothing is left behind and
// the futures are not canceled. The iterator may be ranged over more than
// once; each range watches afresh. A nil ctx or a nil future panics at once,
// when AsCompleted is called; a zero [Future] panics when the range starts.
func AsCompleted[T any](ctx context.Context, fs ...*Future[T]) iter.Seq[*Future[T]] {
	if ctx == nil {
		panic(errNilContext)
	}
	checkFutures(fs)
	return func(yield func(*Future[T]) bool) {
		var c collector[T]
		done, pending := c.watch(fs, 0)
		remaining := pending
		defer func() {
			if remaining > 0 {
				c.stop()
			}
		}()
		for _, f := range done {
			if !yield(f) {
				return
			}
		}
		for remaining > 0 {
			batch, err := c.next(ctx)
			if err != nil {
				return
			}
			for cb := batch; cb != nil; cb = cb.next {
				remaining--
				if c.dup(cb) {
					continue
				}
				if !yield(cb.f) {
					return
				}
			}
		}
	}
}
