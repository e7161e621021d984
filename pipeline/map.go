package pipeline

import "context"

// Map returns a stream of fn applied to every item of s. fn runs on
// [WithConcurrency] goroutines (default 1), as many calls at once as there
// are goroutines and items available, however s chunks its items; with
// more than one goroutine the results come in completion order unless
// [WithOrdered] is given. fn receives the pipeline's context, which is
// canceled when any stage fails or the sink stops; after that no new call
// starts. An error from fn is handled by the stage's [ErrorPolicy]; with
// the default [StopOnError] the pipeline stops at once, and results not yet
// delivered to the sink are discarded. A panic stops the pipeline with a
// [*PanicError].
//
// Map reads [WithConcurrency], [WithOrdered], [WithReorderWindow],
// [WithErrorPolicy], [WithRateLimit], [WithObserver], [WithBuffer],
// [WithChunkSize] and [WithName].
func Map[A, B any](s *Stream[A], fn func(ctx context.Context, v A) (B, error), opts ...StageOption) *Stream[B] {
	checkStage("Map", s, fn == nil)
	return stage(s, newStream("map", opts, func(r *run, out *outPort[B], c *config) {
		in := s.start(r)
		fn := observed(c.obs, fn)
		runWorkers(r, in, out, c, func(ctx context.Context, items []A) ([]B, int, int, error) {
			res := make([]B, 0, len(items))
			skipped := 0
			for i, v := range items {
				if r.halted() {
					return res, i, skipped, nil
				}
				w, err := fn(ctx, v)
				if err != nil {
					if r.absorb(c.policy, err) {
						out.st.skip()
						skipped++
						continue
					}
					return nil, i, 0, err
				}
				res = append(res, w)
			}
			return res, len(items), skipped, nil
		})
	}))
}

// Filter returns a stream of the items of s for which keep returns true.
// Concurrency, order, errors and panics are as for [Map], and it reads the
// same options.
func Filter[T any](s *Stream[T], keep func(ctx context.Context, v T) (bool, error), opts ...StageOption) *Stream[T] {
	checkStage("Filter", s, keep == nil)
	return stage(s, newStream("filter", opts, func(r *run, out *outPort[T], c *config) {
		in := s.start(r)
		keep := observed(c.obs, keep)
		runWorkers(r, in, out, c, func(ctx context.Context, items []T) ([]T, int, int, error) {
			// The stage owns items: compact them in place.
			res := items[:0]
			skipped := 0
			for i, v := range items {
				if r.halted() {
					return res, i, skipped, nil
				}
				ok, err := keep(ctx, v)
				if err != nil {
					if r.absorb(c.policy, err) {
						out.st.skip()
						skipped++
						continue
					}
					return nil, i, 0, err
				}
				if ok {
					res = append(res, v)
				}
			}
			clear(items[len(res):])
			return res, len(items), skipped, nil
		})
	}))
}

// FlatMap returns a stream of the items of the slices fn returns for every
// item of s, keeping each slice's order. Concurrency, order, errors and
// panics are as for [Map], and it reads the same options. The slice fn
// returns is read, not kept.
func FlatMap[A, B any](s *Stream[A], fn func(ctx context.Context, v A) ([]B, error), opts ...StageOption) *Stream[B] {
	checkStage("FlatMap", s, fn == nil)
	return stage(s, newStream("flatmap", opts, func(r *run, out *outPort[B], c *config) {
		in := s.start(r)
		fn := observed(c.obs, fn)
		runWorkers(r, in, out, c, func(ctx context.Context, items []A) ([]B, int, int, error) {
			var res []B
			skipped := 0
			for i, v := range items {
				if r.halted() {
					return res, i, skipped, nil
				}
				vs, err := fn(ctx, v)
				if err != nil {
					if r.absorb(c.policy, err) {
						out.st.skip()
						skipped++
						continue
					}
					return nil, i, 0, err
				}
				res = append(res, vs...)
			}
			return res, len(items), skipped, nil
		})
	}))
}

// checkStage panics, before anything is built, if the stage named who is
// given an unusable input or a nil function.
func checkStage[A any](who string, in *Stream[A], nilFn bool) {
	in.usable(who)
	if nilFn {
		panic("pipeline: " + who + " with a nil function")
	}
}

// stage claims the input of a worker stage, once its options are checked,
// and marks the stage's output as sequenced when one worker at a time sends
// it.
func stage[A, B any](in *Stream[A], s *Stream[B]) *Stream[B] {
	in.claim()
	s.sequenced = s.cfg.concurrency == 1 || s.cfg.ordered
	return s
}
