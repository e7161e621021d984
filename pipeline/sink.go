package pipeline

import (
	"context"
	"errors"
	"iter"

	"github.com/weftgo/weft/internal/panics"
)

// drive runs the pipeline ending in s, handing every batch to each on the
// calling goroutine, and returns once every stage goroutine has ended. each
// runs with panics captured; an error from it stops the pipeline. each
// keeps in *at the index of the item it is at, so that the items after it
// are counted as dropped, not delivered, when it stops part-way.
func drive[T any](ctx context.Context, s *Stream[T], each func(r *run, batch []T, at *int) error) error {
	r := newRun(ctx)
	in := build(r, s)
	var batch []T
	at := 0
	call := func() error { return each(r, batch, &at) }
	// A callback calling runtime.Goexit ends the caller's goroutine: stop
	// the pipeline before it goes.
	goexit := func() {
		in.unreached(len(batch) - at - 1)
		r.fail(ErrGoexit)
		r.finish()
	}
	for {
		var ok bool
		batch, ok = in.recv(r, nil)
		if !ok {
			break
		}
		at = 0
		err := panics.Run[PanicError](call, goexit)
		if err != nil {
			in.unreached(len(batch) - at - 1)
			if err != errHalted {
				r.fail(err)
			}
			break
		}
	}
	return r.finish()
}

// errHalted is returned by a sink's each when the run stopped before an
// item of its batch: the item before it is the last one delivered.
var errHalted = errors.New("pipeline: run stopped")

// halted reports whether the run has stopped. Workers and sinks check it
// before every item, since the run may stop in the middle of a batch (a
// stage failing, the caller's context ending, even from the sink's own
// callback), and no callback starts after that. The parent's cancel
// cancels the run's context before it returns, so its Err sees the
// caller's cancel at once, for one atomic load (a non-blocking receive from
// done takes twice as long); a flag set by a watch of the parent would hear
// of it only from the watch's goroutine, a moment later.
func (r *run) halted() bool {
	return r.ctx.Err() != nil
}

// checkSink panics, before anything runs, if a sink is given a nil context,
// an unusable stream or a nil function; then it claims s.
func checkSink[T any](who string, ctx context.Context, s *Stream[T], nilFn bool) {
	checkCtx(ctx)
	s.usable(who)
	if nilFn {
		panic("pipeline: " + who + " with a nil function")
	}
}

// ForEach runs the pipeline ending in s and calls fn for every item, in the
// order the items arrive, on the calling goroutine. It returns once every
// stage goroutine has ended: with nil when the input is exhausted (or the
// errors [CollectErrors] kept, joined), with the first error of any stage
// or of fn (a panic as a [*PanicError]), or with context.Cause(ctx) if ctx
// ended the run. An error from fn is handled by [WithErrorPolicy] (default
// [StopOnError]); it is the only option ForEach reads.
func ForEach[T any](ctx context.Context, s *Stream[T], fn func(ctx context.Context, v T) error, opts ...SinkOption) error {
	checkSink("ForEach", ctx, s, fn == nil)
	c := newConfig("foreach", opts)
	s.claim()
	return drive(ctx, s, func(r *run, batch []T, at *int) error {
		for i, v := range batch {
			if r.halted() {
				*at = i - 1
				return errHalted
			}
			*at = i
			if err := fn(r.ctx, v); err != nil && !r.absorb(c.policy, err) {
				return err
			}
		}
		return nil
	})
}

// Collect runs the pipeline ending in s and returns its items in arrival
// order. On failure it returns the items collected so far with the error
// (they may include a batch that arrived as the pipeline stopped: Collect
// runs no callback, so it does not check for the stop between items);
// errors and the return guarantee are as for [ForEach].
func Collect[T any](ctx context.Context, s *Stream[T]) ([]T, error) {
	checkSink("Collect", ctx, s, false)
	s.claim()
	var all []T
	err := drive(ctx, s, func(_ *run, batch []T, _ *int) error {
		all = append(all, batch...)
		return nil
	})
	return all, err
}

// Reduce runs the pipeline ending in s and folds its items into an
// accumulator, starting from init, with fn on the calling goroutine. An
// error from fn stops the pipeline; errors and the return guarantee are as
// for [ForEach]. On failure it returns the accumulator so far.
func Reduce[T, R any](ctx context.Context, s *Stream[T], init R, fn func(acc R, v T) (R, error)) (R, error) {
	checkSink("Reduce", ctx, s, fn == nil)
	s.claim()
	acc := init
	err := drive(ctx, s, func(r *run, batch []T, at *int) error {
		for i, v := range batch {
			if r.halted() {
				*at = i - 1
				return errHalted
			}
			*at = i
			next, err := fn(acc, v)
			if err != nil {
				return err
			}
			acc = next
		}
		return nil
	})
	return acc, err
}

// All returns an iterator that runs the pipeline ending in s and yields its
// items with a nil error, in arrival order. If the pipeline fails, or ctx
// ends the run, the last pair yielded has the zero item and the error.
//
// Breaking out of the loop stops the pipeline, and the loop statement
// finishes only after every stage goroutine has ended. A panic in the loop
// body stops the pipeline the same way and then goes on. The iterator runs
// the pipeline once: ranging over it again panics.
func All[T any](ctx context.Context, s *Stream[T]) iter.Seq2[T, error] {
	checkSink("All", ctx, s, false)
	s.claim()
	return func(yield func(T, error) bool) {
		r := newRun(ctx)
		in := build(r, s)
		finished := false
		left := 0 // items of the current batch not yet yielded
		defer func() {
			if !finished {
				in.unreached(left)
				r.finish() // the loop body panicked
			}
		}()
	recv:
		for {
			batch, ok := in.recv(r, nil)
			if !ok {
				break
			}
			left = len(batch)
			for _, v := range batch {
				if r.halted() {
					in.unreached(left)
					break recv
				}
				left--
				if !yield(v, nil) {
					finished = true
					in.unreached(left)
					r.finish()
					return
				}
			}
		}
		finished = true
		if err := r.finish(); err != nil {
			var zero T
			yield(zero, err)
		}
	}
}
