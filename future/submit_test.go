package future_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

func TestSubmitOnPool(t *testing.T) {
	p := pool.New(2)
	defer p.Shutdown(context.Background())
	f, err := future.Submit(t.Context(), p, func(context.Context) (int, error) { return 5, nil })
	require.NoError(t, err)
	g, err := future.Submit(t.Context(), p, func(context.Context) (int, error) { return 0, errBoom })
	require.NoError(t, err)
	h, err := future.Submit(t.Context(), p, func(context.Context) (int, error) { panic("task") })
	require.NoError(t, err)

	v, err := f.Result(t.Context())
	assert.NoError(t, err)
	assert.Equal(t, 5, v)
	_, err = g.Result(t.Context())
	assert.ErrorIs(t, err, errBoom)
	var pe *future.PanicError
	_, err = h.Result(t.Context())
	assert.ErrorAs(t, err, &pe)
	assert.NoError(t, p.Wait(), "task errors go to the futures only, not to the pool")
}

func TestSubmitOnPoolCallbackPanicGoesToPool(t *testing.T) {
	p := pool.New(1)
	release := make(chan struct{})
	f, err := future.Submit(t.Context(), p, func(context.Context) (int, error) { <-release; return 1, nil })
	require.NoError(t, err)
	_ = f.OnDone(func(*future.Future[int]) { panic("cb") })
	close(release)
	var pe *future.PanicError
	require.ErrorAs(t, p.Shutdown(context.Background()), &pe)
	assert.Equal(t, "cb", pe.Value)
	assert.ErrorAs(t, f.CallbackErr(), &pe)
}

// A done-callback that calls runtime.Goexit ends the worker's run, as a
// task's Goexit does: the pool gets ErrGoexit as the task's error, once,
// and counts the task failed, while the future keeps the task's value.
func TestSubmitOnPoolCallbackGoexitGoesToPool(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var handled []error
		p := pool.New(1, pool.WithErrorHandler(func(err error) { handled = append(handled, err) }))
		release := make(chan struct{})
		f, err := future.Submit(t.Context(), p, func(context.Context) (int, error) { <-release; return 1, nil })
		require.NoError(t, err)
		_ = f.OnDone(func(*future.Future[int]) { runtime.Goexit() })
		close(release)
		v, err := f.Result(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 1, v)
		require.NoError(t, p.Shutdown(t.Context()))
		require.Len(t, handled, 1)
		assert.ErrorIs(t, handled[0], future.ErrGoexit)
		st := p.Stats()
		assert.Equal(t, uint64(0), st.Completed)
		assert.Equal(t, uint64(1), st.Failed)
	})
}

func TestTrySubmit(t *testing.T) {
	t.Run("pool", func(t *testing.T) {
		p := pool.New(1, pool.WithQueueSize(0))
		defer p.Shutdown(context.Background())
		release := make(chan struct{})
		f, err := future.TrySubmit(p, func(context.Context) (int, error) { <-release; return 1, nil })
		require.NoError(t, err)
		_, err = future.TrySubmit(p, func(context.Context) (int, error) { return 2, nil })
		assert.ErrorIs(t, err, pool.ErrQueueFull, "a full pool takes no more")
		close(release)
		v, err := f.Result(t.Context())
		assert.NoError(t, err)
		assert.Equal(t, 1, v)
	})
	t.Run("executor", func(t *testing.T) {
		e := future.NewExecutor(1, pool.WithQueueSize(0))
		defer shutdownExecutor(t, e)
		g, err := future.TrySubmit(e, func(context.Context) (int, error) { return 3, nil })
		require.NoError(t, err)
		v, err := g.Result(t.Context())
		assert.NoError(t, err)
		assert.Equal(t, 3, v)
	})
}

// Issue 9, bug 8: a future task's outcome goes to the future only, exactly
// once, and the pool counts the task once, in the counter that fits.
func TestSubmitOnPoolCountsEachOutcomeOnce(t *testing.T) {
	cases := []struct {
		name                        string
		fn                          func(context.Context) (int, error)
		check                       func(t *testing.T, err error)
		completed, failed, panicked uint64
	}{
		{"value", func(context.Context) (int, error) { return 1, nil },
			func(t *testing.T, err error) { assert.NoError(t, err) }, 1, 0, 0},
		{"error", func(context.Context) (int, error) { return 0, errBoom },
			func(t *testing.T, err error) { assert.ErrorIs(t, err, errBoom) }, 0, 1, 0},
		{"panic", func(context.Context) (int, error) { panic("task") },
			func(t *testing.T, err error) { var pe *future.PanicError; assert.ErrorAs(t, err, &pe) }, 0, 0, 1},
		{"goexit", func(context.Context) (int, error) { runtime.Goexit(); return 0, nil },
			func(t *testing.T, err error) { assert.ErrorIs(t, err, future.ErrGoexit) }, 0, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := pool.New(1)
			f, err := future.Submit(t.Context(), p, tc.fn)
			require.NoError(t, err)
			_, err = f.Result(t.Context())
			tc.check(t, err)
			assert.NoError(t, p.Wait(), "the outcome went to the future; the pool reports nothing")
			st := p.Stats()
			assert.EqualValues(t, 1, st.Submitted)
			assert.Equal(t, tc.completed, st.Completed, "completed")
			assert.Equal(t, tc.failed, st.Failed, "failed")
			assert.Equal(t, tc.panicked, st.Panicked, "panicked")
			assert.Equal(t, 1, st.Workers, "a Goexit does not cost the pool a worker")
			require.NoError(t, p.Shutdown(context.Background()))
		})
	}
}

// Issue 9, bug 5.
func TestSubmitRejectsNilContext(t *testing.T) {
	p := pool.New(1)
	defer p.Shutdown(context.Background())
	task := func(context.Context) (int, error) { return 0, nil }
	var nilCtx context.Context
	assert.PanicsWithValue(t, "future: nil Context", func() { _, _ = future.Submit(nilCtx, p, task) })
	// Nothing was left locked: the pool still takes a task.
	f, err := future.Submit(t.Context(), p, task)
	require.NoError(t, err)
	_, err = f.Result(t.Context())
	assert.NoError(t, err)
}

// Submit waits for room until ctx ends; then it returns the context's cause
// and the task never runs.
func TestSubmitOnPoolContextBoundsTheWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1, pool.WithQueueSize(0))
		release := make(chan struct{})
		require.NoError(t, p.Go(func() { <-release }))
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		ran := false
		f, err := future.Submit(ctx, p, func(context.Context) (int, error) { ran = true; return 1, nil })
		assert.Nil(t, f)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		close(release)
		require.NoError(t, p.Shutdown(context.Background()))
		assert.False(t, ran)
	})
}

type requestKey struct{}

// runners are the Runners a future can be submitted to with a context: each
// makes one with a limit of one, and returns a func that shuts it down.
var runners = []struct {
	name string
	make func() (r future.Runner, stop func() int, shutdown func())
}{
	{"pool", func() (future.Runner, func() int, func()) {
		p := pool.New(1)
		return p, p.Stop, func() { _ = p.Shutdown(context.Background()) }
	}},
	{"group", func() (future.Runner, func() int, func()) {
		p := pool.New(1)
		g, _ := p.Group(context.Background())
		return g, p.Stop, func() { _ = g.Wait(); _ = p.Shutdown(context.Background()) }
	}},
	{"executor", func() (future.Runner, func() int, func()) {
		e := future.NewExecutor(1)
		return e, e.Stop, func() { _ = e.Shutdown(context.Background()) }
	}},
}

// Issue 11: the context given to Submit is the parent of the task's: a
// request value and a deadline reach the task, which a 100 ms timeout ends
// after 100 ms, not after the second the task would otherwise take.
func TestSubmitContextValueAndDeadlineReachTheTask(t *testing.T) {
	for _, r := range runners {
		t.Run(r.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				run, _, shutdown := r.make()
				defer shutdown()
				ctx, cancel := context.WithTimeout(context.WithValue(t.Context(), requestKey{}, "req-7"), 100*time.Millisecond)
				defer cancel()
				want, _ := ctx.Deadline()
				start := time.Now()
				var value any
				var deadline time.Time
				f, err := future.Submit(ctx, run, func(ctx context.Context) (time.Duration, error) {
					value = ctx.Value(requestKey{})
					deadline, _ = ctx.Deadline()
					select {
					case <-ctx.Done():
					case <-time.After(time.Second):
					}
					return time.Since(start), context.Cause(ctx)
				})
				require.NoError(t, err)
				ran, err := f.Result(context.Background())
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				assert.Equal(t, 100*time.Millisecond, ran)
				assert.Equal(t, "req-7", value)
				assert.Equal(t, want, deadline)
			})
		})
	}
}

// Canceling Submit's context cancels the running task; a task still queued
// runs all the same, with its context done.
func TestSubmitContextCancelReachesRunningAndQueuedTasks(t *testing.T) {
	for _, r := range runners {
		t.Run(r.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				run, _, shutdown := r.make()
				defer shutdown()
				cause := errors.New("client went away")
				ctx, cancel := context.WithCancelCause(t.Context())
				started := make(chan struct{})
				running, err := future.Submit(ctx, run, func(ctx context.Context) (int, error) {
					close(started)
					<-ctx.Done()
					return 1, context.Cause(ctx)
				})
				require.NoError(t, err)
				<-started
				queued, err := future.Submit(ctx, run, func(ctx context.Context) (int, error) {
					return 2, context.Cause(ctx)
				})
				require.NoError(t, err)
				cancel(cause)
				v, err := running.Result(t.Context())
				assert.Equal(t, 1, v)
				assert.Equal(t, cause, err)
				v, err = queued.Result(t.Context())
				assert.Equal(t, 2, v, "the queued task ran")
				assert.Equal(t, cause, err)
			})
		})
	}
}

// A future whose task a pool's Stop drops is canceled before Stop
// returns, on a plain pool and on a group as on an executor: no future is
// left pending for ever.
func TestStopCancelsQueuedFutures(t *testing.T) {
	for _, r := range runners {
		t.Run(r.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				run, stop, shutdown := r.make()
				defer shutdown()
				running, err := future.Submit(t.Context(), run, func(ctx context.Context) (int, error) {
					<-ctx.Done()
					return 0, context.Cause(ctx)
				})
				require.NoError(t, err)
				synctest.Wait()
				queued, err := future.Submit(t.Context(), run, func(context.Context) (int, error) { return 1, nil })
				require.NoError(t, err)
				assert.Equal(t, 1, stop())
				assert.Equal(t, future.Canceled, queued.State())
				_, err = queued.Result(t.Context())
				assert.ErrorIs(t, err, future.ErrCanceled)
				_, err = running.Result(t.Context())
				assert.ErrorIs(t, err, pool.ErrStopped)
			})
		})
	}
}

// propagationGoroutines counts the goroutines the context package starts to
// carry a parent's cancellation to a child it cannot reach directly.
func propagationGoroutines() int {
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	return strings.Count(stacks, "created by context.(*cancelCtx).propagateCancel")
}

// Issue 11: a context derived from a future's task context (WithTimeout,
// WithCancelCause, AfterFunc) costs no goroutine. It is done as soon as the
// task context is: when Future.Cancel returns; when the task context's
// parent is canceled, once the task context has heard of it.
func TestTaskContextDerivationStartsNoGoroutine(t *testing.T) {
	type result struct {
		goroutines int
		done       bool // when the cancel returned
		doneLater  bool // within ten seconds
	}
	derive := func(ctx context.Context, cancel func()) result {
		before := propagationGoroutines()
		d1, c1 := context.WithTimeout(ctx, time.Hour)
		defer c1()
		d2, c2 := context.WithCancelCause(d1)
		defer c2(nil)
		stop := context.AfterFunc(d2, func() {})
		defer stop()
		r := result{goroutines: propagationGoroutines() - before}
		cancel()
		r.done = d2.Err() != nil
		select {
		case <-d2.Done():
			r.doneLater = true
		case <-time.After(10 * time.Second):
		}
		return r
	}
	cases := []struct {
		name string
		sync bool // canceled by Future.Cancel
		run  func(t *testing.T, parent context.Context) result
	}{
		{"Go, canceled by its parent", false, func(t *testing.T, parent context.Context) result {
			ctx, cancel := context.WithCancel(parent)
			defer cancel()
			got := make(chan result, 1)
			f := future.Go(ctx, func(ctx context.Context) (int, error) {
				got <- derive(ctx, cancel)
				return 0, nil
			})
			defer f.Result(t.Context())
			return <-got
		}},
		{"Submit on a pool, canceled by Future.Cancel", true, func(t *testing.T, parent context.Context) result {
			p := pool.New(1)
			defer p.Shutdown(context.Background())
			got := make(chan result, 1)
			var f *future.Future[int]
			ready := make(chan struct{})
			f, err := future.Submit(parent, p, func(ctx context.Context) (int, error) {
				<-ready
				got <- derive(ctx, func() { f.Cancel() })
				return 0, nil
			})
			require.NoError(t, err)
			close(ready)
			return <-got
		}},
		{"Submit on an executor, canceled by its parent", false, func(t *testing.T, parent context.Context) result {
			e := future.NewExecutor(1)
			defer e.Shutdown(context.Background())
			ctx, cancel := context.WithCancel(parent)
			defer cancel()
			got := make(chan result, 1)
			_, err := future.Submit(ctx, e, func(ctx context.Context) (int, error) {
				got <- derive(ctx, cancel)
				return 0, nil
			})
			require.NoError(t, err)
			return <-got
		}},
		{"Promise.Context", true, func(t *testing.T, parent context.Context) result {
			p := future.NewPromise[int]()
			return derive(p.Context(), func() { p.Future().Cancel() })
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.run(t, context.WithValue(context.Background(), requestKey{}, 1))
			assert.Zero(t, r.goroutines, "goroutines started to propagate cancellation")
			if tc.sync {
				assert.True(t, r.done, "the derived context is done when Cancel returns")
			}
			assert.True(t, r.doneLater, "the derived context is done")
		})
	}
}
