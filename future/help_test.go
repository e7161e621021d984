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

// A future's runner, for the nested-work tests: a pool or an executor,
// made in a given queue mode.
var nestRunners = []struct {
	name string
	make func(opts ...pool.Option) (r future.Runner, shutdown func(context.Context) error)
}{
	{"pool", func(opts ...pool.Option) (future.Runner, func(context.Context) error) {
		p := pool.New(1, opts...)
		return p, p.Shutdown
	}},
	{"executor", func(opts ...pool.Option) (future.Runner, func(context.Context) error) {
		e := future.NewExecutor(1, opts...)
		return e, e.Shutdown
	}},
}

// Issue 9, bug 4, and issue 11: a task of a pool or an executor of one
// submits a future to the same runner with its own context and waits for
// it, in every queue mode, while the bounded queue is full. The subtask
// runs in the waiting task's slot; inside the bubble a deadlock fails the
// test. An executor's tasks are its pool's tasks, so the same caller-runs
// rule covers them; they used to block on the full queue.
func TestTaskWaitsOnTaskOfSameRunner(t *testing.T) {
	for _, r := range nestRunners {
		for _, mode := range queueModes {
			t.Run(r.name+"/"+mode.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					run, shutdown := r.make(mode.opts...)
					release := make(chan struct{})
					outer, err := future.Submit(t.Context(), run, func(ctx context.Context) (int, error) {
						<-release
						inner, err := future.Submit(ctx, run, func(context.Context) (int, error) { return 41, nil })
						if err != nil {
							return 0, err
						}
						v, err := inner.Result(ctx)
						return v + 1, err
					})
					require.NoError(t, err)
					synctest.Wait()
					if mode.name == "bounded" {
						_, err := future.TrySubmit(run.(future.TryRunner), func(context.Context) (int, error) { return 0, nil })
						require.NoError(t, err, "fill the queue")
					}
					close(release)
					v, err := outer.Result(t.Context())
					require.NoError(t, err)
					assert.Equal(t, 42, v)
					require.NoError(t, shutdown(context.Background()))
				})
			})
		}
	}
}

// Two tasks occupy both workers of an executor and each fans out five
// subtasks and waits for them all (AsCompleted, All): the subtasks run in
// their submitters' slots.
func TestExecutorTaskWaitsOnManyTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := future.NewExecutor(2)
		defer shutdownExecutor(t, e)
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
		a, err := future.Submit(t.Context(), e, fanout)
		require.NoError(t, err)
		b, err := future.Submit(t.Context(), e, fanout)
		require.NoError(t, err)
		for _, f := range []*future.Future[int]{a, b} {
			v, err := f.Result(t.Context())
			require.NoError(t, err)
			assert.Equal(t, 15, v)
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
