package future_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// queueModes are the three ways a pool can queue; nested work must not
// deadlock in any of them.
var queueModes = []struct {
	name string
	opts []pool.Option
}{
	{"unbounded", nil},
	{"handoff", []pool.Option{pool.WithQueueSize(0)}},
	{"bounded", []pool.Option{pool.WithQueueSize(1)}},
}

// Issue 9, bug 4: a task of a pool of one submits a future to the same pool
// with its own context and waits for it, in every queue mode. The subtask
// runs in the waiting task's slot; inside the bubble a deadlock fails the
// test.
func TestPoolTaskWaitsOnTask(t *testing.T) {
	for _, mode := range queueModes {
		t.Run(mode.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(1, mode.opts...)
				defer p.Shutdown(context.Background())
				outer, err := future.Submit(t.Context(), p, func(ctx context.Context) (int, error) {
					inner, err := future.Submit(ctx, p, func(context.Context) (int, error) { return 41, nil })
					if err != nil {
						return 0, err
					}
					v, err := inner.Result(ctx)
					return v + 1, err
				})
				require.NoError(t, err)
				v, err := outer.Result(t.Context())
				require.NoError(t, err)
				assert.Equal(t, 42, v)
			})
		})
	}
}

// The errgroup-with-a-limit deadlock, with a future: a group made outside
// any task, on a pool of one, whose task submits a future to the same group
// (a Group is a Runner) and waits for it.
func TestGroupTaskWaitsOnFutureOfSameGroup(t *testing.T) {
	for _, mode := range queueModes {
		t.Run(mode.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(1, mode.opts...)
				defer p.Shutdown(context.Background())
				g, _ := p.Group(context.Background())
				got := make(chan int, 1)
				require.NoError(t, g.Go(func(ctx context.Context) error {
					f, err := future.Submit(ctx, g, func(context.Context) (int, error) { return 7, nil })
					if err != nil {
						return err
					}
					v, err := f.Result(ctx)
					got <- v
					return err
				}))
				require.NoError(t, g.Wait())
				assert.Equal(t, 7, <-got)
			})
		})
	}
}
