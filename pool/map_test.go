package pool_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
)

func TestMapKeepsOrder(t *testing.T) {
	p := pool.New(4)
	in := make([]int, 1000)
	for i := range in {
		in[i] = i
	}
	out, err := pool.Map(context.Background(), p, in, func(_ context.Context, v int) (string, error) {
		return fmt.Sprint(v * v), nil
	})
	require.NoError(t, err)
	for i, s := range out {
		require.Equal(t, fmt.Sprint(i*i), s)
	}
	shutdown(t, p)
}

func TestMapCollectsAllErrors(t *testing.T) {
	p := pool.New(2)
	out, err := pool.Map(context.Background(), p, []int{1, 2, 3, 4}, func(_ context.Context, v int) (int, error) {
		if v%2 == 0 {
			return -v, fmt.Errorf("even %d", v)
		}
		return v, nil
	})
	assert.EqualError(t, err, "even 2\neven 4")
	assert.Equal(t, []int{1, -2, 3, -4}, out)
	shutdown(t, p)
}

func TestMapFailFastSkipsTheRest(t *testing.T) {
	p := pool.New(1)
	var calls atomic.Int64
	_, err := pool.Map(context.Background(), p, make([]int, 100), func(context.Context, int) (int, error) {
		if calls.Add(1) == 3 {
			return 0, io.EOF
		}
		return 0, nil
	}, pool.WithFailFast())
	assert.Same(t, io.EOF, err)
	assert.Less(t, calls.Load(), int64(100), "calls after the failure are skipped")
	shutdown(t, p)
}

func TestMapHonoursCancelledContext(t *testing.T) {
	p := pool.New(2)
	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("caller gave up")
	cancel(cause)
	_, err := pool.Map(ctx, p, []int{1, 2, 3}, func(ctx context.Context, v int) (int, error) { return v, nil })
	assert.ErrorIs(t, err, cause)
	shutdown(t, p)
}

func TestMapSeqKeepsOrderAndWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(4)
		var pulled atomic.Int64
		seq := func(yield func(int) bool) {
			for i := range 100 {
				pulled.Add(1)
				if !yield(i) {
					return
				}
			}
		}
		var got []int
		for v, err := range pool.MapSeq(context.Background(), p, seq, func(_ context.Context, v int) (int, error) {
			return v * 10, nil
		}, pool.WithWindow(5)) {
			require.NoError(t, err)
			if len(got) == 0 {
				synctest.Wait()
				assert.EqualValues(t, 5, pulled.Load(), "at most the window is read ahead")
			}
			got = append(got, v)
		}
		want := make([]int, 100)
		for i := range want {
			want[i] = i * 10
		}
		assert.Equal(t, want, got)
		shutdown(t, p)
	})
}

func TestMapSeqBreakCancelsAndLeavesNothingRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(4)
		var canceled atomic.Int64
		in := make([]int, 1000)
		for i := range in {
			in[i] = i
		}
		for v, err := range pool.MapSeq(context.Background(), p, slices.Values(in), func(ctx context.Context, v int) (int, error) {
			if v > 0 {
				<-ctx.Done()
				canceled.Add(1)
			}
			return v, nil
		}) {
			require.NoError(t, err)
			require.Equal(t, 0, v)
			break
		}
		assert.Positive(t, canceled.Load(), "calls in flight saw the cancellation")
		st := p.Stats()
		assert.Equal(t, 0, st.Running, "break waits for the calls in flight")
		assert.Equal(t, 0, st.Queued)
		assert.Less(t, st.Submitted, uint64(1000))
		shutdown(t, p)
	})
}

func TestMapSeqFailFastYieldsTheCause(t *testing.T) {
	p := pool.New(2)
	boom := errors.New("boom")
	var errs []error
	for _, err := range pool.MapSeq(context.Background(), p, slices.Values([]int{0, 1, 2, 3, 4, 5}), func(ctx context.Context, v int) (int, error) {
		if v == 3 {
			return 0, boom
		}
		return v, nil
	}, pool.WithFailFast()) {
		errs = append(errs, err)
	}
	require.NotEmpty(t, errs)
	assert.Same(t, boom, errs[len(errs)-1])
	for _, err := range errs[:len(errs)-1] {
		assert.NoError(t, err)
	}
	shutdown(t, p)
}

func TestMapSeqCapturesPanics(t *testing.T) {
	p := pool.New(2)
	var errs []error
	for _, err := range pool.MapSeq(context.Background(), p, slices.Values([]int{1, 2, 3}), func(ctx context.Context, v int) (int, error) {
		if v == 2 {
			panic("two")
		}
		return v, nil
	}) {
		errs = append(errs, err)
	}
	require.Len(t, errs, 3)
	var pe *pool.PanicError
	assert.ErrorAs(t, errs[1], &pe)
	assert.NoError(t, errs[0])
	assert.NoError(t, errs[2])
	shutdown(t, p)
}

func TestMapSeqStopsWhenContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1)
		ctx, cancel := context.WithCancel(context.Background())
		var last error
		for _, err := range pool.MapSeq(ctx, p, slices.Values(make([]int, 50)), func(ctx context.Context, v int) (int, error) {
			cancel()
			<-ctx.Done()
			return v, ctx.Err()
		}) {
			last = err
		}
		assert.ErrorIs(t, last, context.Canceled)
		shutdown(t, p)
	})
}

// t.FailNow inside a mapped function calls runtime.Goexit: the call must be
// reported, not hang Map or cost the pool a worker.
func TestMapReportsGoexit(t *testing.T) {
	p := pool.New(1)
	out, err := pool.Map(context.Background(), p, []int{1, 2, 3}, func(_ context.Context, v int) (int, error) {
		if v == 2 {
			runtime.Goexit()
		}
		return v, nil
	})
	assert.ErrorIs(t, err, pool.ErrGoexit)
	assert.Equal(t, []int{1, 0, 3}, out)
	for _, err := range pool.MapSeq(context.Background(), p, slices.Values([]int{1}), func(context.Context, int) (int, error) {
		runtime.Goexit()
		return 0, nil
	}) {
		assert.ErrorIs(t, err, pool.ErrGoexit)
	}
	assert.Equal(t, 1, p.Stats().Workers, "the worker was replaced")
	shutdown(t, p)
}

// Issue 9, bug 8: each call of Map and MapSeq is counted once, in the
// counter its outcome belongs to, and reported once: by Map, not also by
// the pool.
func TestMapCountsEachCallByItsOutcome(t *testing.T) {
	call := func(_ context.Context, v int) (int, error) {
		switch v {
		case 1:
			return 0, io.EOF
		case 2:
			panic("two")
		}
		return v, nil
	}
	in := []int{0, 1, 2, 0}
	for _, name := range []string{"Map", "MapSeq"} {
		t.Run(name, func(t *testing.T) {
			p := pool.New(2)
			var errs []error
			if name == "Map" {
				_, err := pool.Map(context.Background(), p, in, call)
				errs = append(errs, err)
			} else {
				for _, err := range pool.MapSeq(context.Background(), p, slices.Values(in), call) {
					errs = append(errs, err)
				}
			}
			err := errors.Join(errs...)
			assert.ErrorIs(t, err, io.EOF)
			var pe *pool.PanicError
			assert.ErrorAs(t, err, &pe)
			assert.NoError(t, p.Wait(), "the errors went to the caller, not to the pool")
			st := p.Stats()
			assert.EqualValues(t, 4, st.Submitted)
			assert.EqualValues(t, 2, st.Completed)
			assert.EqualValues(t, 1, st.Failed)
			assert.EqualValues(t, 1, st.Panicked)
			shutdown(t, p)
		})
	}
}

// By default MapSeq reads twice the pool's limit ahead of the loop.
func TestMapSeqDefaultWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(3)
		var pulled atomic.Int64
		seq := func(yield func(int) bool) {
			for i := range 100 {
				pulled.Add(1)
				if !yield(i) {
					return
				}
			}
		}
		for range pool.MapSeq(context.Background(), p, seq, func(_ context.Context, v int) (int, error) { return v, nil }) {
			synctest.Wait()
			assert.EqualValues(t, 6, pulled.Load())
			break
		}
		shutdown(t, p)
	})
}
