package pipeline

import (
	"context"
	"iter"

	"github.com/weftgo/weft/internal/panics"
)

// drive runs the pipeline ending in s, handing every batch to each on the
// calling goroutine, and returns once every stage goroutine has ended. each
// runs with panics captured; an error from it stops the pipeline.
func drive[T any](ctx context.Context, s *Stream[T], each func(r *run, batch []T) error) error {
	r := newRun(ctx)
	in := build(r, s)
	for {
		batch, ok := in.recv(r)
		if !ok {
			break
		}
		// A callback calling runtime.Goexit ends the caller's goroutine:
		// stop the pipeline before it goes.
		err := panics.Run(func() error { return each(r, batch) }, func() {
			r.fail(ErrGoexit)
			r.finish()
		})
		if err != nil {
			r.fail(err)
			break
		}
	}
	return r.finish()
}

// ForEach runs the pipeline ending in s and calls fn for every item, in the
// order the items arrive, on the calling goroutine. It returns once every
// stage goroutine has ended: with nil when the input is exhausted, with the
// first error of any stage or of fn (a panic as a [*PanicError]), or with
// context.Cause(ctx) if ctx ended the run. An error from fn is handled by
// [WithErrorPolicy] (default [StopOnError]); it is the only option ForEach reads.
func ForEach[T any](ctx context.Context, s *Stream[T], fn func(ctx context.Context, v T) error, opts ...Option) error {
	c := newConfig("foreach", opts)
	st := &stageStats{}
	return drive(ctx, s, func(r *run, batch []T) error {
		for _, v := range batch {
			if err := fn(r.ctx, v); err != nil && !r.absorb(c.policy, st, err) {
				return err
			}
		}
		return nil
	})
}

// Collect runs the pipeline ending in s and returns its items in arrival
// order. On failure it returns the items collected so far with the error;
// errors and the return guarantee are as for [ForEach].
func Collect[T any](ctx context.Context, s *Stream[T]) ([]T, error) {
	var all []T
	err := drive(ctx, s, func(_ *run, batch []T) error {
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
	acc := init
	err := drive(ctx, s, func(_ *run, batch []T) error {
		for _, v := range batch {
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
	return func(yield func(T, error) bool) {
		r := newRun(ctx)
		in := build(r, s)
		finished := false
		defer func() {
			if !finished {
				r.finish() // the loop body panicked
			}
		}()
		for {
			batch, ok := in.recv(r)
			if !ok {
				break
			}
			for _, v := range batch {
				if !yield(v, nil) {
					finished = true
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
