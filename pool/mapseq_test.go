package pool_test

// MapSeq is the module's lazy ordered map over an iter.Seq, the counterpart
// of Python's Executor.map. These are the corner cases of executor.map that
// CPython's test suite checks (order, laziness, the buffer bound, an
// infinite input, breaking out, an error per item, the timeout), asked of
// MapSeq.

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
)

// upTo yields 0, 1, …, n-1, counting in pulled the elements read and
// setting stopped once it has returned.
func upTo(n int, pulled *atomic.Int64, stopped *atomic.Bool) iter.Seq[int] {
	return func(yield func(int) bool) {
		defer stopped.Store(true)
		for i := range n {
			pulled.Add(1)
			if !yield(i) {
				return
			}
		}
	}
}

func shutdownMapPool(t *testing.T, p *pool.Pool) {
	t.Helper()
	require.NoError(t, p.Shutdown(context.Background()))
}

// Results come out in input order although later calls finish first, and
// at no point is more than the window read ahead of the loop.
func TestMapSeqOrderAndWindowWhenLaterCallsFinishFirst(t *testing.T) {
	cases := []struct {
		name          string
		limit, window int
	}{
		{"window above the limit", 3, 4},
		{"window below the limit", 4, 2},
		{"one at a time", 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const n = 20
				p := pool.New(c.limit)
				defer shutdownMapPool(t, p)
				var pulled atomic.Int64
				var stopped atomic.Bool
				var got []int
				for v, err := range pool.MapSeq(t.Context(), p, upTo(n, &pulled, &stopped), func(ctx context.Context, i int) (int, error) {
					// A call takes n-i (fake) milliseconds: later elements finish first.
					select {
					case <-time.After(time.Duration(n-i) * time.Millisecond):
						return i * i, nil
					case <-ctx.Done():
						return 0, ctx.Err()
					}
				}, pool.WithWindow(c.window)) {
					require.NoError(t, err)
					assert.LessOrEqual(t, pulled.Load()-int64(len(got)), int64(c.window), "read ahead of the loop at result %d", len(got))
					got = append(got, v)
				}
				want := make([]int, n)
				for i := range want {
					want[i] = i * i
				}
				assert.Equal(t, want, got)
			})
		})
	}
}

// A failed call's error is yielded at its position, with the value fn
// returned, and the iteration goes on (Python raises at that position).
func TestMapSeqYieldsEachErrorAtItsPosition(t *testing.T) {
	p := pool.New(2)
	defer shutdownMapPool(t, p)
	boom := errors.New("boom")
	type result struct {
		v   int
		err error
	}
	var got []result
	for v, err := range pool.MapSeq(t.Context(), p, slices.Values([]int{1, 2, 3}), func(_ context.Context, i int) (int, error) {
		if i == 2 {
			return -i, boom
		}
		return i, nil
	}) {
		got = append(got, result{v, err})
	}
	assert.Equal(t, []result{{1, nil}, {-2, boom}, {3, nil}}, got)
}

// Breaking out after the first result reads nothing past the window, stops
// the input, and returns only once every call in flight has returned.
func TestMapSeqBreakReadsNoFurther(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(8)
		defer shutdownMapPool(t, p)
		var pulled atomic.Int64
		var stopped atomic.Bool
		var started, returned atomic.Int64
		for v, err := range pool.MapSeq(t.Context(), p, upTo(100, &pulled, &stopped), func(ctx context.Context, i int) (int, error) {
			if i == 0 {
				return 0, nil
			}
			started.Add(1)
			defer returned.Add(1)
			<-ctx.Done() // only the break ends it
			return 0, ctx.Err()
		}, pool.WithWindow(5)) {
			require.NoError(t, err)
			require.Zero(t, v)
			break
		}
		assert.EqualValues(t, 5, pulled.Load(), "elements read")
		assert.True(t, stopped.Load(), "the input was stopped")
		assert.Equal(t, started.Load(), returned.Load(), "calls still running after the loop")
	})
}

// An infinite input is fine: it is read only as the loop advances.
func TestMapSeqInfiniteInput(t *testing.T) {
	p := pool.New(2)
	defer shutdownMapPool(t, p)
	naturals := func(yield func(int) bool) {
		for i := 0; ; i++ {
			if !yield(i) {
				return
			}
		}
	}
	var got []int
	for v, err := range pool.MapSeq(t.Context(), p, naturals, func(_ context.Context, i int) (int, error) { return i * i, nil }) {
		require.NoError(t, err)
		if got = append(got, v); len(got) == 5 {
			break
		}
	}
	assert.Equal(t, []int{0, 1, 4, 9, 16}, got)
}

// A deadline on ctx is Python's map timeout: the results ready before it
// come out, then context.DeadlineExceeded once, at the deadline, and the
// iteration ends.
func TestMapSeqDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(3)
		defer shutdownMapPool(t, p)
		ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
		defer cancel()
		start := time.Now()
		var errs []error
		for _, err := range pool.MapSeq(ctx, p, slices.Values([]int{1, 2, 3}), func(ctx context.Context, i int) (int, error) {
			select {
			case <-time.After(time.Duration(i) * time.Second):
				return i, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}) {
			errs = append(errs, err)
		}
		assert.Equal(t, []error{nil, context.DeadlineExceeded}, errs)
		assert.Equal(t, 1500*time.Millisecond, time.Since(start), "the iteration ended at the deadline")
	})
}

// When ctx ends while the loop body runs and the calls in flight have
// already returned (with ctx's error), the next and last thing yielded is
// context.Cause(ctx), once: not the calls' errors first.
func TestMapSeqContextEndsWhileLoopBodyRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(4)
		defer shutdownMapPool(t, p)
		ctx, cancel := context.WithCancelCause(t.Context())
		defer cancel(nil)
		cause := errors.New("caller gave up")
		var errs []error
		for _, err := range pool.MapSeq(ctx, p, slices.Values([]int{0, 1, 2, 3}), func(ctx context.Context, i int) (int, error) {
			if i == 0 {
				return 0, nil
			}
			<-ctx.Done()
			return 0, ctx.Err()
		}) {
			errs = append(errs, err)
			if len(errs) == 1 {
				cancel(cause)
				synctest.Wait() // the other calls have returned context.Canceled
			}
		}
		assert.Equal(t, []error{nil, cause}, errs)
	})
}

// On a closed pool no call runs and what is yielded is pool.ErrClosed.
func TestMapSeqOnClosedPool(t *testing.T) {
	p := pool.New(1)
	shutdownMapPool(t, p)
	var calls atomic.Int64
	var errs []error
	endless := func(yield func(int) bool) {
		for i := 0; yield(i); i++ {
		}
	}
	for _, err := range pool.MapSeq(t.Context(), p, endless, func(_ context.Context, i int) (int, error) {
		calls.Add(1)
		return i, nil
	}) {
		errs = append(errs, err)
		if len(errs) > 10 {
			break
		}
	}
	require.Len(t, errs, 1, "a refused submission ends the iteration, even on an endless input")
	assert.ErrorIs(t, errs[0], pool.ErrClosed)
	assert.Zero(t, calls.Load(), "calls made")
}

// Stop drops the calls still queued. The loop waits on each call's result,
// so a dropped call must still end its wait, with ErrClosed, or the loop
// would hang for ever.
func TestMapSeqEndsWhenStopDropsQueuedCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1)
		started := make(chan struct{})
		var errs []error
		loopDone := make(chan struct{})
		go func() {
			defer close(loopDone)
			for _, err := range pool.MapSeq(context.Background(), p, slices.Values([]int{0, 1, 2, 3}), func(ctx context.Context, i int) (int, error) {
				if i == 0 {
					close(started)
					<-ctx.Done() // holds the only worker until Stop
					return 0, context.Cause(ctx)
				}
				return i, nil
			}, pool.WithWindow(4)) {
				errs = append(errs, err)
			}
		}()
		<-started
		synctest.Wait() // the other three calls are queued
		assert.Equal(t, 3, p.Stop())
		<-loopDone
		require.Len(t, errs, 4)
		assert.ErrorIs(t, errs[0], pool.ErrStopped, "the running call saw Stop's cause")
		for _, err := range errs[1:] {
			assert.ErrorIs(t, err, pool.ErrClosed, "a dropped call reports ErrClosed")
		}
	})
}

// With WithFailFast a call that calls runtime.Goexit fails with ErrGoexit,
// and that first error cancels the calls in flight at once, with itself
// as their context's cause, as any other error does.
func TestMapSeqFailFastGoexitCancelsCallsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(2)
		defer shutdownMapPool(t, p)
		var cause error
		seq := slices.Values([]int{0, 1})
		var got []error
		for _, err := range pool.MapSeq(t.Context(), p, seq, func(ctx context.Context, i int) (int, error) {
			if i == 0 {
				runtime.Goexit()
			}
			<-ctx.Done()
			cause = context.Cause(ctx)
			return 0, ctx.Err()
		}, pool.WithFailFast(), pool.WithWindow(2)) {
			got = append(got, err)
		}
		require.Equal(t, []error{pool.ErrGoexit}, got)
		assert.Equal(t, pool.ErrGoexit, cause, "the cause the call in flight saw")
	})
}
