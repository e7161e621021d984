package future

import (
	"context"
	"iter"
)

// Map applies fn to every element of in, running the calls concurrently on
// r, and yields the results in input order (Python's Executor.map with
// buffersize). It is lazy: in is read only as the consumer advances, and at
// most k calls are submitted ahead of the consumer, where k is set by
// [WithBufferSize] (default GOMAXPROCS). A nil r runs each call on its own
// goroutine, as [Go] does.
//
// Each call's error is yielded with its position's zero value, and the
// iteration goes on; break to stop at the first error. When ctx ends (or the
// [WithTimeout] bound passes) Map yields context.Cause once and stops. When
// the iteration stops for any reason — break, ctx, a failed submission
// (yielded as an error) — the calls in flight are canceled ([Future.Cancel])
// and Map returns only after they have returned, so nothing is left running.
//
// Ranging over Map from a task of the pool r, with the task's context as
// ctx, never deadlocks that pool, in any queue mode (see [Submit]). A nil
// ctx, in or fn panics when Map is called.
func Map[T, U any](ctx context.Context, r Runner, in iter.Seq[T], fn func(context.Context, T) (U, error), opts ...Option) iter.Seq2[U, error] {
	if ctx == nil {
		panic("future: nil Context")
	}
	if in == nil {
		panic("future: Map with nil iter.Seq")
	}
	if fn == nil {
		panic("future: Map with nil func")
	}
	cfg := defaultConfig()
	for _, o := range opts {
		o.apply(&cfg)
	}
	return func(yield func(U, error) bool) {
		ctx := ctx
		if cfg.timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, cfg.timeout)
			defer cancel()
		}
		var zero U
		// q is a ring of the futures in flight, oldest at head.
		q := make([]*Future[U], cfg.buffer)
		head, n := 0, 0
		defer func() {
			for i := range n {
				q[(head+i)%len(q)].Cancel()
			}
			for i := range n {
				<-q[(head+i)%len(q)].Done()
			}
		}()
		// next yields the oldest result; false means stop.
		next := func() bool {
			f := q[head]
			q[head] = nil
			head, n = (head+1)%len(q), n-1
			v, err := f.Result(ctx)
			if ctx.Err() != nil {
				// ctx ended: report it once, whatever this task did.
				f.Cancel()
				<-f.Done()
				yield(zero, context.Cause(ctx))
				return false
			}
			return yield(v, err)
		}
		for x := range in {
			task := func(ctx context.Context) (U, error) { return fn(ctx, x) }
			var f *Future[U]
			if r == nil {
				f = Go(ctx, task)
			} else {
				var err error
				if f, err = Submit(ctx, r, task); err != nil {
					yield(zero, err)
					return
				}
			}
			q[(head+n)%len(q)] = f
			n++
			// Wait for the oldest before pulling more input, so in is read
			// no further than k elements ahead of the consumer.
			if n == len(q) && !next() {
				return
			}
		}
		for n > 0 {
			if !next() {
				return
			}
		}
	}
}
