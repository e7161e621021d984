package future_test

import (
	"context"
	"errors"
	"iter"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

func count(n int, pulled *atomic.Int64) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			pulled.Add(1)
			if !yield(i) {
				return
			}
		}
	}
}

func TestMapOrderAndBound(t *testing.T) {
	for _, name := range []string{"goroutines", "pool", "executor"} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var r future.Runner
				switch name {
				case "pool":
					p := pool.New(3)
					defer p.Shutdown(context.Background())
					r = p
				case "executor":
					e := future.NewExecutor(3)
					defer e.Shutdown(context.Background(), false)
					r = e
				}
				const k = 4
				var pulled atomic.Int64
				var got []int
				seq := future.Map(t.Context(), r, count(20, &pulled), func(_ context.Context, i int) (int, error) {
					time.Sleep(time.Duration(20-i) * time.Millisecond) // later inputs finish first
					return i * i, nil
				}, future.WithBufferSize(k))
				for v, err := range seq {
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, v)
					if ahead := pulled.Load() - int64(len(got)); ahead > k {
						t.Fatalf("%d tasks ahead of the consumer, want <= %d", ahead, k)
					}
				}
				for i, v := range got {
					if v != i*i {
						t.Fatalf("got %v", got)
					}
				}
				if len(got) != 20 {
					t.Fatalf("got %d results", len(got))
				}
			})
		})
	}
}

func TestMapErrorsAreYielded(t *testing.T) {
	var got []error
	for _, err := range future.Map(t.Context(), nil, slices.Values([]int{1, 2, 3}), func(_ context.Context, i int) (int, error) {
		if i == 2 {
			return 0, errBoom
		}
		return i, nil
	}) {
		got = append(got, err)
	}
	if len(got) != 3 || got[0] != nil || !errors.Is(got[1], errBoom) || got[2] != nil {
		t.Fatalf("errors = %v", got)
	}
}

func TestMapEarlyExitCancelsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var started, returned atomic.Int64
		var pulled atomic.Int64
		for v, err := range future.Map(t.Context(), nil, count(100, &pulled), func(ctx context.Context, i int) (int, error) {
			if i == 0 {
				return 0, nil
			}
			started.Add(1)
			defer returned.Add(1)
			<-ctx.Done() // only returns when canceled
			return 0, ctx.Err()
		}, future.WithBufferSize(5)) {
			if v != 0 || err != nil {
				t.Fatal(v, err)
			}
			break
		}
		// Map has returned only after the in-flight tasks returned.
		if started.Load() != returned.Load() || pulled.Load() != 5 {
			t.Fatalf("started %d, returned %d, pulled %d", started.Load(), returned.Load(), pulled.Load())
		}
	})
}

func TestMapTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var errs []error
		start := time.Now()
		for _, err := range future.Map(t.Context(), nil, slices.Values([]int{1, 2, 3}), func(ctx context.Context, i int) (int, error) {
			select {
			case <-time.After(time.Duration(i) * time.Second):
				return i, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}, future.WithTimeout(1500*time.Millisecond)) {
			errs = append(errs, err)
		}
		if len(errs) != 2 || errs[0] != nil || !errors.Is(errs[1], context.DeadlineExceeded) {
			t.Fatalf("errs = %v", errs)
		}
		if d := time.Since(start); d != 1500*time.Millisecond {
			t.Fatalf("took %v", d)
		}
	})
}

func TestMapSubmitFailure(t *testing.T) {
	p := pool.New(1)
	_ = p.Shutdown(context.Background())
	var errs []error
	for _, err := range future.Map(t.Context(), p, slices.Values([]int{1, 2}), func(_ context.Context, i int) (int, error) { return i, nil }) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], pool.ErrClosed) {
		t.Fatalf("errs = %v", errs)
	}
}

func TestWithBufferSizeMisuse(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("no panic")
		}
	}()
	future.WithBufferSize(0)
}
