package future_test

import (
	"context"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

// blockedExecutor returns an executor with one worker busy until release is
// closed, and n futures queued behind it.
func blockedExecutor(t *testing.T, n int) (e *future.Executor, running *future.Future[int], queued []*future.Future[int], release chan struct{}) {
	t.Helper()
	e = future.NewExecutor(1)
	release = make(chan struct{})
	started := make(chan struct{})
	running, err := future.Submit(t.Context(), e, func(context.Context) (int, error) {
		close(started)
		<-release
		return -1, nil
	})
	require.NoError(t, err)
	<-started
	for i := range n {
		f, err := future.Submit(t.Context(), e, func(context.Context) (int, error) { return i, nil })
		require.NoError(t, err)
		queued = append(queued, f)
	}
	return e, running, queued, release
}

// Close returns at once while a task runs; the accepted tasks, running and
// queued, still run and complete their futures; a submit after Close gets
// ErrClosed.
func TestExecutorCloseReturnsAtOnceAndAcceptedWorkCompletes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, running, queued, release := blockedExecutor(t, 3)
		e.Close() // the bubble would deadlock if Close waited for the blocked task
		assert.Equal(t, future.Running, running.State())
		for _, f := range queued {
			assert.Equal(t, future.Pending, f.State(), "Close cancels nothing")
		}
		_, err := future.Submit(t.Context(), e, func(context.Context) (int, error) { return 0, nil })
		assert.ErrorIs(t, err, future.ErrClosed)
		_, err = future.TrySubmit(e, func(context.Context) (int, error) { return 0, nil })
		assert.ErrorIs(t, err, future.ErrClosed)
		assert.ErrorIs(t, e.Submit(t.Context(), func(context.Context) error { return nil }), future.ErrClosed)
		close(release)
		for i, f := range queued {
			v, err := f.Result(t.Context())
			require.NoError(t, err)
			assert.Equal(t, i, v)
		}
		e.Close() // idempotent
		require.NoError(t, e.Shutdown(context.Background()))
	})
}

// Shutdown waits for the running and the queued tasks, then refuses more.
func TestExecutorShutdownWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, running, queued, release := blockedExecutor(t, 3)
		done := make(chan error, 1)
		go func() { done <- e.Shutdown(context.Background()) }()
		synctest.Wait()
		assert.Empty(t, done, "Shutdown waits for the running task")
		close(release)
		require.NoError(t, <-done)
		for _, f := range append(queued, running) {
			assert.Equal(t, future.Finished, f.State())
		}
		_, err := future.Submit(t.Context(), e, func(context.Context) (int, error) { return 0, nil })
		assert.ErrorIs(t, err, future.ErrClosed)
	})
}

// Stop cancels the queued futures before it returns, reporting how many it
// dropped, cancels the running task's context with pool.ErrStopped, and
// waits for that task.
func TestExecutorStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := future.NewExecutor(1)
		started := make(chan struct{})
		running, err := future.Submit(t.Context(), e, func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			return 0, context.Cause(ctx)
		})
		require.NoError(t, err)
		<-started
		var queued []*future.Future[int]
		for range 3 {
			f, err := future.Submit(t.Context(), e, func(context.Context) (int, error) { return 1, nil })
			require.NoError(t, err)
			queued = append(queued, f)
		}
		require.NoError(t, e.Submit(t.Context(), func(context.Context) error { return nil }))
		assert.Equal(t, 4, e.Stop(), "three futures and a fire-and-forget task")
		assert.Equal(t, future.Finished, running.State(), "Stop waited for the running task")
		_, err = running.Result(t.Context())
		assert.ErrorIs(t, err, pool.ErrStopped)
		for _, f := range queued {
			assert.Equal(t, future.Canceled, f.State(), "canceled before Stop returned")
			_, err := f.Result(t.Context())
			assert.ErrorIs(t, err, future.ErrCanceled)
		}
		assert.Zero(t, e.Stop(), "a second Stop drops nothing")
		_, err = future.Submit(t.Context(), e, func(context.Context) (int, error) { return 0, nil })
		assert.ErrorIs(t, err, future.ErrClosed)
		require.NoError(t, e.Shutdown(context.Background()))
	})
}

func TestExecutorCancelRunning(t *testing.T) {
	e := future.NewExecutor(1)
	defer shutdownExecutor(t, e)
	started := make(chan struct{})
	f, err := future.Submit(t.Context(), e, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		return 0, ctx.Err()
	})
	require.NoError(t, err)
	<-started
	assert.Equal(t, future.Running, f.Cancel())
	_, err = f.Result(t.Context())
	assert.ErrorIs(t, err, context.Canceled)
}

func TestExecutorCancelPendingNeverRuns(t *testing.T) {
	e, _, queued, release := blockedExecutor(t, 1)
	assert.Equal(t, future.Canceled, queued[0].Cancel())
	close(release)
	require.NoError(t, e.Shutdown(context.Background()))
	assert.Equal(t, future.Canceled, queued[0].State(), "the canceled future did not run")
}

func TestExecutorCallbackPanicGoesToShutdown(t *testing.T) {
	e := future.NewExecutor(1)
	release := make(chan struct{})
	f, err := future.Submit(t.Context(), e, func(context.Context) (int, error) { <-release; return 1, nil })
	require.NoError(t, err)
	require.NoError(t, f.OnDone(func(*future.Future[int]) { panic("cb") }))
	close(release)
	var pe *future.PanicError
	assert.ErrorAs(t, e.Shutdown(context.Background()), &pe)
}

func TestExecutorShutdownContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, _, _, release := blockedExecutor(t, 1)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		assert.ErrorIs(t, e.Shutdown(ctx), context.DeadlineExceeded)
		close(release)
		require.NoError(t, e.Shutdown(context.Background()))
	})
}

func TestExecutorSubmitContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := future.NewExecutor(1, pool.WithQueueSize(0))
		release := make(chan struct{})
		_, err := future.Submit(t.Context(), e, func(context.Context) (int, error) { <-release; return 0, nil })
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err = future.Submit(ctx, e, func(context.Context) (int, error) { return 0, nil })
		assert.ErrorIs(t, err, context.DeadlineExceeded, "Submit on a full executor")
		close(release)
		require.NoError(t, e.Shutdown(context.Background()))
	})
}

func TestNewExecutorMisuse(t *testing.T) {
	assert.PanicsWithValue(t, "future: NewExecutor(0): limit must be at least 1", func() { future.NewExecutor(0) })
}

// Stop counts every queued task it drops, a future that Future.Cancel had
// already canceled included: its task is still in the queue.
func TestExecutorStopCountsCanceledQueuedFutures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, running, queued, release := blockedExecutor(t, 2)
		queued[1].Cancel()
		stopped := make(chan int)
		go func() { stopped <- e.Stop() }()
		synctest.Wait()
		close(release)
		assert.Equal(t, 2, <-stopped)
		_, err := running.Result(t.Context())
		assert.NoError(t, err)
		for _, f := range queued {
			assert.Equal(t, future.Canceled, f.State())
		}
	})
}

// A panic in a done-callback of a future whose task called runtime.Goexit
// is kept on the future only: the pool receives the task's end, not the
// callback's panic.
func TestCallbackPanicAfterGoexitIsKeptOnTheFutureOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := future.NewExecutor(1)
		release := make(chan struct{})
		f, err := future.Submit(t.Context(), e, func(context.Context) (int, error) {
			<-release
			runtime.Goexit()
			return 0, nil
		})
		require.NoError(t, err)
		require.NoError(t, f.OnDone(func(*future.Future[int]) { panic("cb") }))
		close(release)
		_, err = f.Result(t.Context())
		assert.ErrorIs(t, err, future.ErrGoexit)
		synctest.Wait() // the callbacks run after the result is visible
		var pe *future.PanicError
		require.ErrorAs(t, f.CallbackErr(), &pe)
		assert.Equal(t, "cb", pe.Value)
		assert.NoError(t, e.Shutdown(context.Background()), "the callback's panic is on the future only")
	})
}

// A done-callback's panic on a future whose task the pool dropped unrun
// (here: its queue timeout passed) is kept on the future only, as OnDone
// says: the pool ran nothing that could return it.
func TestCallbackPanicOfDroppedFutureStaysOnTheFuture(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := future.NewExecutor(1)
		release := make(chan struct{})
		_, err := future.Submit(t.Context(), e, func(context.Context) (int, error) { <-release; return 0, nil })
		require.NoError(t, err)
		f, err := future.Submit(t.Context(), e, func(context.Context) (int, error) { return 1, nil }, pool.QueueTimeout(time.Second))
		require.NoError(t, err)
		_ = f.OnDone(func(*future.Future[int]) { panic("cb") })
		<-f.Done()
		_, err = f.Result(t.Context())
		assert.ErrorIs(t, err, pool.ErrQueueTimeout)
		close(release)
		assert.NoError(t, e.Shutdown(t.Context()), "the pool ran no callback")
		var pe *future.PanicError
		assert.ErrorAs(t, f.CallbackErr(), &pe)
	})
}
