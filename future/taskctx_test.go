package future_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

// The context a task receives keeps the context.Context contract, which
// code built on the context package relies on: Err is nil until Done is
// closed, then the same error for ever, and a child of a done context is
// done from the start. Inside a bubble nothing else runs while the task
// looks, so a watcher goroutine cannot close Done for it in between.

// The ways a task can be run, each given ctx as its parent.
var taskRunners = []struct {
	name string
	run  func(t *testing.T, ctx context.Context, fn func(context.Context) (bool, error)) *future.Future[bool]
}{
	{"Go", func(_ *testing.T, ctx context.Context, fn func(context.Context) (bool, error)) *future.Future[bool] {
		return future.Go(ctx, fn)
	}},
	{"Submit", func(t *testing.T, ctx context.Context, fn func(context.Context) (bool, error)) *future.Future[bool] {
		p := pool.New(1)
		t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
		f, err := future.Submit(ctx, p, fn)
		require.NoError(t, err)
		return f
	}},
}

func TestTaskContextErrOnlyOnceDone(t *testing.T) {
	for _, r := range taskRunners {
		t.Run(r.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancelCause(t.Context())
				cancel(errBoom)
				f := r.run(t, ctx, func(ctx context.Context) (bool, error) {
					err := ctx.Err()
					select {
					case <-ctx.Done():
						return err != nil && context.Cause(ctx) == errBoom, nil
					default:
						return false, err
					}
				})
				ok, err := f.Result(t.Context())
				assert.NoError(t, err, "Err reported done while Done was open")
				assert.True(t, ok, "Err and the cause once Done is closed")
			})
		})
	}
}

func TestTaskContextChildOfDoneIsDone(t *testing.T) {
	for _, r := range taskRunners {
		t.Run(r.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				f := r.run(t, ctx, func(ctx context.Context) (bool, error) {
					child, stop := context.WithCancel(ctx)
					defer stop()
					return child.Err() != nil, nil
				})
				ok, err := f.Result(t.Context())
				require.NoError(t, err)
				assert.True(t, ok, "a child of the task's done context is not done")
			})
		})
	}
}

// The first reason the task's context is done decides its Err: a Cancel
// first, then the parent's deadline, leaves it context.Canceled; the
// deadline first leaves it context.DeadlineExceeded.
func TestTaskContextErrNeverChanges(t *testing.T) {
	for _, cancelFirst := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			parent, stop := context.WithTimeout(t.Context(), time.Second)
			defer stop()
			errs := make(chan error, 2)
			next := make(chan struct{})
			f := future.Go(parent, func(ctx context.Context) (int, error) {
				<-ctx.Done()
				errs <- ctx.Err()
				<-next
				errs <- ctx.Err()
				return 0, nil
			})
			synctest.Wait()
			if cancelFirst {
				f.Cancel()
				synctest.Wait()
				<-parent.Done() // the deadline passes
			} else {
				<-parent.Done()
				synctest.Wait()
				f.Cancel()
			}
			close(next)
			first, second := <-errs, <-errs
			want := context.DeadlineExceeded
			if cancelFirst {
				want = context.Canceled
			}
			assert.Equal(t, want, first)
			assert.Equal(t, first, second, "Err changed")
			_, err := f.Result(t.Context())
			require.NoError(t, err)
		})
	}
}
