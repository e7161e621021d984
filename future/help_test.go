package future_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

func TestExecutorTaskWaitsOnTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := future.NewExecutor(1)
		defer e.Shutdown(context.Background(), false)
		outer, err := future.Submit(t.Context(), e, func(ctx context.Context) (int, error) {
			inner, err := future.Submit(ctx, e, func(context.Context) (int, error) { return 41, nil })
			if err != nil {
				return 0, err
			}
			v, err := inner.Result(ctx)
			return v + 1, err
		})
		if err != nil {
			t.Fatal(err)
		}
		if v, err := outer.Result(t.Context()); v != 42 || err != nil {
			t.Fatalf("outer = %v, %v", v, err)
		}
	})
}

func TestExecutorTaskWaitsOnManyTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := future.NewExecutor(2)
		defer e.Shutdown(context.Background(), false)
		fanout := func(ctx context.Context) (int, error) {
			var fs []*future.Future[int]
			for i := range 5 {
				f, err := future.Submit(ctx, e, func(context.Context) (int, error) { return i, nil })
				if err != nil {
					return 0, err
				}
				fs = append(fs, f)
			}
			sum := 0
			for f := range future.AsCompleted(ctx, fs...) {
				v, _ := f.Result(ctx)
				sum += v
			}
			vs, err := future.All(ctx, fs...)
			return sum + len(vs), err
		}
		// Two outer tasks occupy both workers; their inner tasks are queued.
		a, _ := future.Submit(t.Context(), e, fanout)
		b, _ := future.Submit(t.Context(), e, fanout)
		for _, f := range []*future.Future[int]{a, b} {
			if v, err := f.Result(t.Context()); v != 15 || err != nil {
				t.Fatalf("outer = %v, %v", v, err)
			}
		}
	})
}

func TestExecutorMapInsideTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := future.NewExecutor(1)
		defer e.Shutdown(context.Background(), false)
		outer, _ := future.Submit(t.Context(), e, func(ctx context.Context) (int, error) {
			sum := 0
			for v, err := range future.Map(ctx, e, slices.Values([]int{1, 2, 3, 4}), func(_ context.Context, i int) (int, error) {
				return i * 10, nil
			}, future.WithBufferSize(2)) {
				if err != nil {
					return 0, err
				}
				sum += v
			}
			return sum, nil
		})
		if v, err := outer.Result(t.Context()); v != 100 || err != nil {
			t.Fatalf("outer = %v, %v", v, err)
		}
	})
}

func TestPoolTaskWaitsOnTaskFailsByContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1)
		defer p.Shutdown(context.Background())
		outer, _ := future.Submit(t.Context(), p, func(ctx context.Context) (int, error) {
			inner, err := future.Submit(ctx, p, func(context.Context) (int, error) { return 1, nil })
			if err != nil {
				return 0, err
			}
			wctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			return inner.Result(wctx)
		})
		if _, err := outer.Result(t.Context()); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("outer = %v", err)
		}
	})
}
