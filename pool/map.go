package pool

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"sync/atomic"

	"github.com/weftgo/weft/internal/panics"
)

// Map calls fn on every element of in, on the pool, and returns the results
// in input order. It blocks until every call has returned. Errors are
// handled as in a [Group]: by default Map returns every error joined (the
// results of the calls that failed are whatever fn returned); with
// [WithFailFast] the first error cancels the context of the other calls,
// calls that have not started are skipped, and Map returns that error; if
// ctx ends first, calls that have not started are skipped too, and Map
// returns ctx's cause. Calls that [Pool.Stop] drops never run, and Map's
// error then includes [ErrClosed], with or without WithFailFast.
//
// Map runs on a Group made from ctx, so it is safe to call from a task of
// the same pool with the task's context: it never deadlocks a saturated
// pool, in any queue mode (calls that no worker can start run in the
// task's slot; see [Pool.Submit]).
//
// Each call is counted in [Pool.Stats] by its own outcome. A nil ctx, p or
// fn panics at once.
func Map[T, R any](ctx context.Context, p *Pool, in []T, fn func(context.Context, T) (R, error), opts ...GroupOption) ([]R, error) {
	p.made()
	checkCtx(ctx)
	if fn == nil {
		panic("pool: nil func")
	}
	g, gctx := p.Group(ctx, opts...)
	out := make([]R, len(in))
	errs := make([]error, len(in)) // by index, so errors come back in input order
	cut := false
	var skipped atomic.Pointer[error] // why the first skipped fail-fast call did not run
	for i, v := range in {
		if cut = gctx.Err() != nil; cut {
			break // fail-fast canceled, or ctx ended
		}
		err := g.Go(func(ctx context.Context) error {
			if g.failFast && ctx.Err() != nil {
				cause := context.Cause(ctx)
				skipped.CompareAndSwap(nil, &cause)
				return nil
			}
			errs[i] = panics.Run[PanicError](func() error {
				r, err := fn(ctx, v)
				out[i] = r
				return err
			}, nil)
			if g.failFast {
				return errs[i]
			}
			deliver(ctx, errs[i]) // Map returns it; the group need not
			return nil
		})
		if cut = err != nil; cut {
			break
		}
	}
	cause := context.Cause(gctx) // read before Wait cancels gctx
	err := g.Wait()
	if !g.failFast {
		errs = append(errs, err)
		err = join(slices.DeleteFunc(errs, func(e error) bool { return e == nil }))
	}
	if err == nil && cut {
		err = cause
	}
	if c := skipped.Load(); err == nil && c != nil {
		// No call failed, so ctx ended: the skipped calls' zero results
		// must not pass for theirs.
		err = *c
	}
	return out, err
}

// WithWindow sets how many elements [MapSeq] may have in flight ahead of
// the consumer: the results it holds that the loop has not reached yet, plus
// the calls running. The default is twice the pool's limit. A window below 1
// panics.
func WithWindow(n int) GroupOption {
	if n < 1 {
		panic(fmt.Sprintf("pool: WithWindow(%d): window must be at least 1", n))
	}
	return groupOptionFunc(func(c *groupConfig) { c.window = n })
}

// MapSeq returns an iterator that calls fn on the elements of seq, on the
// pool, and yields the results in input order, lazily: at most the window
// (see [WithWindow]) of elements is read ahead of the loop.
//
// Each result comes with its error. With [WithFailFast], the first error
// cancels the calls in flight, is yielded (as the context.Cause of the
// cancellation, so the real error is seen rather than a later
// context.Canceled), and ends the iteration once the loop reaches it in
// input order; until then the loop goes on reading one element per result
// it yields, and the calls of those elements start with their context
// already done. If ctx ends, the iteration yields context.Cause(ctx) and
// ends. If the pool refuses a call because it is closed, the iteration
// yields the results before it, then [ErrClosed], and ends: an endless seq
// on a closed pool does not yield for ever. On a bounded queue the loop
// waits in the submit of an element for room, until ctx ends or the pool
// closes. Calls that [Pool.Stop] drops never run: the loop gets ErrClosed
// in their place (with WithFailFast, the cause of the calls' cancellation,
// [ErrStopped] unless a call failed first, and the iteration ends there),
// and the next element read is refused as on a closed pool.
//
// Breaking out of the loop cancels the calls in flight and waits for them
// to return before the loop statement completes: nothing is left running.
// Calls still queued then run all the same, with their context already done
// (as any queued task does, see [Pool.Submit]), and are waited for too.
// seq is pulled from the goroutine of the loop.
//
// Ranging over the result from a task of the same pool, with the task's
// context as ctx, never deadlocks a saturated pool, in any queue mode:
// calls that no worker can start run in the task's slot. Each call is
// counted in [Pool.Stats] by its own outcome. A nil ctx, p, seq or fn panics
// at once, when MapSeq is called.
func MapSeq[T, R any](ctx context.Context, p *Pool, seq iter.Seq[T], fn func(context.Context, T) (R, error), opts ...GroupOption) iter.Seq2[R, error] {
	p.made()
	checkCtx(ctx)
	if seq == nil {
		panic("pool: nil iter.Seq")
	}
	if fn == nil {
		panic("pool: nil func")
	}
	c := groupConfigOf(opts)
	return func(yield func(R, error) bool) {
		window := c.window
		if window == 0 {
			window = 2 * p.Limit()
		}
		m := &seqMapper[T, R]{g: p.newGroup(ctx, groupConfig{}), fn: fn, failFast: c.failFast}
		next, stop := iter.Pull(seq)
		defer func() {
			m.g.cancel(context.Canceled)
			_ = m.g.Wait()
			stop()
		}()
		more := true
		for more && len(m.pending) < window {
			more = m.start(next)
		}
		for len(m.pending) > 0 {
			s := m.pending[0]
			m.pending = m.pending[1:]
			select {
			case <-s.done:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				// Once ctx has ended, its cause is the last thing yielded,
				// even if the call also returned by now (with ctx's error).
				var zero R
				yield(zero, context.Cause(ctx))
				return
			}
			if s.err != nil && m.failFast {
				if cause := context.Cause(m.g.ctx); cause != nil {
					s.err = cause // the first failure, not a later cancellation
				}
				yield(s.r, s.err)
				return
			}
			if !yield(s.r, s.err) {
				return
			}
			if more {
				more = m.start(next)
			}
		}
	}
}

type seqMapper[T, R any] struct {
	g        *Group
	fn       func(context.Context, T) (R, error)
	failFast bool
	pending  []*seqSlot[R]
}

type seqSlot[R any] struct {
	r    R
	err  error
	done chan struct{}
}

// seqCall is one element's call. It is a hook.Task so that a call
// [Pool.Stop] drops from the queue still closes its slot, with [ErrClosed]:
// the loop waits on the slot, not on the group.
type seqCall[T, R any] struct {
	m *seqMapper[T, R]
	v T
	s *seqSlot[R]
}

func (c *seqCall[T, R]) Run(ctx context.Context) error {
	m, s := c.m, c.s
	defer close(s.done)
	s.err = panics.Run[PanicError](func() error {
		r, err := m.fn(ctx, c.v)
		s.r = r
		return err
	}, func() {
		// s.err stays ErrGoexit, the first error as much as any other.
		if m.failFast {
			m.g.cancel(ErrGoexit)
		}
	})
	if s.err != nil && m.failFast {
		m.g.cancel(s.err)
	}
	deliver(ctx, s.err) // the slot carries the error to the loop
	return nil
}

func (c *seqCall[T, R]) Drop(err error) {
	if err == nil {
		err = ErrClosed
	}
	c.s.err = err
	close(c.s.done)
}

// start pulls one element and submits its call; it returns false once seq
// is exhausted or the pool refuses the call.
func (m *seqMapper[T, R]) start(next func() (T, bool)) bool {
	v, ok := next()
	if !ok {
		return false
	}
	s := &seqSlot[R]{done: make(chan struct{}), err: ErrGoexit}
	m.pending = append(m.pending, s)
	// The wait for room ends with ctx, as Group.Go's does, not with the
	// group's context: a fail-fast error cancels that, and the loop must
	// still read one element per result until it reaches the failed one.
	err := m.g.p.submit(m.g.parent, m.g.task(&seqCall[T, R]{m: m, v: v, s: s}), true, m.g.creator, nil)
	if err != nil {
		// The pool refused the call (it is closed): no later element could
		// run either, so this one's error is the last thing yielded.
		s.err = err
		close(s.done)
		return false
	}
	return true
}
