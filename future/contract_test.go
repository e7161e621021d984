package future_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/internal/bubbletest"
	"github.com/weftgo/weft/pool"
)

// Tests of documented promises that had none, one per promise.

// Wait and AsCompleted watch through callbacks: no goroutine is started for
// them, however many futures they watch.
func TestWatchersStartNoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(1000)
		go func() { _, _, _ = future.Wait(t.Context(), future.AllCompleted, fs...) }()
		go func() {
			for range future.AsCompleted(t.Context(), fs...) {
			}
		}()
		synctest.Wait() // both are parked, watching
		stacks := strings.Join(bubbletest.Stacks(), "\n\n")
		require.Contains(t, stacks, "future.Wait[", "the watchers' own goroutines are listed")
		require.NotContains(t, stacks, "created by github.com/weftgo/weft/future.")
		for i, p := range ps {
			require.NoError(t, p.Resolve(i))
		}
	})
}

// Wait and AsCompleted cost O(1) allocations per call, not per future: all
// the callback nodes of a call share one slice.
func TestWatchersAllocateOncePerCall(t *testing.T) {
	allocs := func(n int) (wait, asCompleted float64) {
		ps, fs := promises(n + 1)
		_ = ps[n].Resolve(n) // FirstCompleted returns at once, with n pending
		wait = testing.AllocsPerRun(20, func() {
			_, _, _ = future.Wait(t.Context(), future.FirstCompleted, fs...)
		})
		asCompleted = testing.AllocsPerRun(20, func() {
			for range future.AsCompleted(t.Context(), fs...) {
				break
			}
		})
		return wait, asCompleted
	}
	w10, a10 := allocs(10)
	w1000, a1000 := allocs(1000)
	require.Equal(t, w10, w1000, "Wait allocations for 10 and 1000 futures")
	require.Equal(t, a10, a1000, "AsCompleted allocations for 10 and 1000 futures")
}

// Completing a future synchronizes before every Result that returns its
// value, before the close of Done is observed and before Wait, AsCompleted
// and the combinators report it: plain writes made by the task are visible
// there (the race detector checks the happens-before).
func TestCompletionSynchronizes(t *testing.T) {
	waits := map[string]func(t *testing.T, f *future.Future[int]){
		"Result": func(t *testing.T, f *future.Future[int]) { _, _ = f.Result(t.Context()) },
		"Done":   func(_ *testing.T, f *future.Future[int]) { <-f.Done() },
		"TryResult": func(_ *testing.T, f *future.Future[int]) {
			for _, _, ok := f.TryResult(); !ok; _, _, ok = f.TryResult() {
				runtime.Gosched()
			}
		},
		"Wait": func(t *testing.T, f *future.Future[int]) {
			_, _, _ = future.Wait(t.Context(), future.AllCompleted, f)
		},
		"AsCompleted": func(t *testing.T, f *future.Future[int]) {
			for range future.AsCompleted(t.Context(), f) {
			}
		},
		"All": func(t *testing.T, f *future.Future[int]) { _, _ = future.All(t.Context(), f) },
	}
	for name, wait := range waits {
		t.Run(name, func(t *testing.T) {
			var data int
			f := future.Go(t.Context(), func(context.Context) (int, error) {
				data = 42
				return 0, nil
			})
			p := future.NewPromise[int]()
			var pdata int
			go func() {
				pdata = 43
				_ = p.Resolve(0)
			}()
			wait(t, f)
			wait(t, p.Future())
			require.Equal(t, 42, data)
			require.Equal(t, 43, pdata)
		})
	}
}

// The calls documented as never blocking return while a task is stuck:
// State, TryResult, CallbackErr, Cancel of a running task, Go, Then,
// Compose, TrySubmit on a full executor, and Executor.Close.
func TestNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	stuck := func(context.Context) (int, error) {
		close(started)
		<-release // ignores its context: only release ends it
		return 1, nil
	}
	e := future.NewExecutor(1, pool.WithQueueSize(0))
	defer func() {
		close(release)
		shutdownExecutor(t, e)
	}()
	f, err := future.Submit(t.Context(), e, stuck)
	require.NoError(t, err)
	<-started
	calls := map[string]func(t *testing.T){
		"State":       func(t *testing.T) { assert.Equal(t, future.Running, f.State()) },
		"TryResult":   func(t *testing.T) { _, _, ok := f.TryResult(); assert.False(t, ok) },
		"CallbackErr": func(t *testing.T) { assert.NoError(t, f.CallbackErr()) },
		"Cancel":      func(t *testing.T) { assert.Equal(t, future.Running, f.Cancel()) },
		"Go":          func(t *testing.T) { future.Go(t.Context(), func(context.Context) (int, error) { return 0, nil }) },
		"Then":        func(t *testing.T) { future.Then(f, okThen) },
		"Compose": func(t *testing.T) {
			future.Compose(f, func(context.Context, int) (*future.Future[int], error) { return f, nil })
		},
		"TrySubmit": func(t *testing.T) {
			_, err := future.TrySubmit(e, ok)
			assert.ErrorIs(t, err, pool.ErrQueueFull)
		},
		"Executor.TrySubmit": func(t *testing.T) {
			assert.ErrorIs(t, e.TrySubmit(func(context.Context) error { return nil }), pool.ErrQueueFull)
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			require.False(t, try(t, func() { call(t) }).panicked)
		})
	}
	t.Run("Executor.Close", func(t *testing.T) {
		require.False(t, try(t, func() { e.Close() }).panicked)
		assert.Equal(t, future.Running, f.State())
	})
}

// Every wait that ends with its context reports context.Cause, not just
// ctx.Err, and leaves the futures alone.
func TestContextCauseIsReturned(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errBoom)
	_, fs := promises(2)
	waits := map[string]func() error{
		"Result": func() error {
			v, err := fs[0].Result(ctx)
			require.Zero(t, v)
			return err
		},
		"Wait": func() error {
			_, _, err := future.Wait(ctx, future.AllCompleted, fs...)
			return err
		},
		"All":        func() error { _, err := future.All(ctx, fs...); return err },
		"AllSettled": func() error { _, err := future.AllSettled(ctx, fs...); return err },
		"Any":        func() error { _, err := future.Any(ctx, fs...); return err },
		"Race":       func() error { _, err := future.Race(ctx, fs...); return err },
		"Executor.Shutdown": func() error {
			e := future.NewExecutor(1)
			release := make(chan struct{})
			_, err := future.Submit(context.Background(), e, func(context.Context) (int, error) { <-release; return 0, nil })
			require.NoError(t, err)
			err = e.Shutdown(ctx)
			close(release)
			require.NoError(t, e.Shutdown(context.Background()))
			return err
		},
	}
	for name, wait := range waits {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, wait(), errBoom)
			for _, f := range fs {
				require.Equal(t, future.Pending, f.State())
			}
		})
	}
}

// The iterator of AsCompleted may be ranged over more than once; each range
// watches afresh and yields every future.
func TestAsCompletedRangedTwice(t *testing.T) {
	ps, fs := promises(3)
	_ = ps[0].Resolve(0)
	seq := future.AsCompleted(t.Context(), fs...)
	go func() {
		_ = ps[1].Resolve(1)
		_ = ps[2].Resolve(2)
	}()
	for range 2 {
		n := 0
		for range seq {
			n++
		}
		require.Equal(t, 3, n)
	}
}

// A panic in a done-callback run by Cancel is kept on the future.
func TestCancelCallbackPanicIsKept(t *testing.T) {
	f := future.NewPromise[int]().Future()
	require.NoError(t, f.OnDone(func(*future.Future[int]) { panic("cb") }))
	require.Equal(t, future.Canceled, f.Cancel())
	var pe *future.PanicError
	require.ErrorAs(t, f.CallbackErr(), &pe)
	require.Equal(t, "cb", pe.Value)
}

// Copies of a Promise complete the same future, once; its Context is done
// once the future is.
func TestPromiseCopiesShareTheFuture(t *testing.T) {
	p := future.NewPromise[int]()
	q := p
	require.Same(t, p.Future(), q.Future())
	require.NoError(t, p.Context().Err())
	require.NoError(t, q.Resolve(1))
	require.ErrorIs(t, p.Resolve(2), future.ErrAlreadyCompleted)
	v, err := p.Future().Result(t.Context())
	require.NoError(t, err)
	require.Equal(t, 1, v)
	<-p.Context().Done()
	require.Error(t, p.Context().Err())
}
