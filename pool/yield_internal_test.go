package pool

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// onFirstYield makes the first yield of any worker call fn, on that
// worker's goroutine, instead of runtime.Gosched.
func onFirstYield(t *testing.T, fn func()) {
	var yields atomic.Int32
	yieldNow = func() {
		if yields.Add(1) == 1 {
			fn()
		}
	}
	t.Cleanup(func() { yieldNow = runtime.Gosched })
}

func TestYieldingWorkerTakesWhatWasQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(4)
		ran := make(chan struct{})
		onFirstYield(t, func() {
			require.NoError(t, p.Go(func() { close(ran) }))
			st := p.Stats()
			assert.Equal(t, 1, st.Workers, "a submit during a yield starts no worker")
			assert.Equal(t, 1, st.Queued)
		})
		require.NoError(t, p.Go(func() {}))
		<-ran
		assert.Equal(t, 1, p.Stats().Workers, "the yielding worker ran the task")
		require.NoError(t, p.Shutdown(context.Background()))
	})
}

// Submitters that queue during a yield wake nobody, so the worker must fan
// out wake-ups when it comes back: with a deadlock otherwise, synctest
// fails the test.
func TestYieldingWorkerFansOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(4)
		started, release := make(chan struct{}), make(chan struct{})
		onFirstYield(t, func() {
			for range 3 {
				require.NoError(t, p.Go(func() {
					started <- struct{}{}
					<-release
				}))
			}
		})
		require.NoError(t, p.Go(func() {}))
		for range 3 {
			<-started
		}
		assert.Equal(t, 3, p.Stats().Running, "all three run at once")
		close(release)
		require.NoError(t, p.Shutdown(context.Background()))
	})
}

// In a large pool a worker yields once when it starts and each time it is
// woken, before it takes the lock (see letOthersFirst); in a small pool it
// does not.
func TestStartedAndWokenWorkersLetOthersFirst(t *testing.T) {
	var yields atomic.Int32
	startYield = func() {
		yields.Add(1)
		runtime.Gosched()
	}
	t.Cleanup(func() { startYield = runtime.Gosched })
	for _, c := range []struct {
		limit int
		want  int32
	}{{largePerProc*runtime.GOMAXPROCS(0) + 1, 2}, {largePerProc * runtime.GOMAXPROCS(0), 0}} {
		synctest.Test(t, func(t *testing.T) {
			yields.Store(0)
			p := New(c.limit)
			require.NoError(t, p.Go(func() {}))
			synctest.Wait() // a worker started, ran the task and parked
			require.NoError(t, p.Go(func() {}))
			synctest.Wait() // it was woken, ran the task and parked again
			assert.Equal(t, 1, p.Stats().Workers)
			assert.Equal(t, c.want, yields.Load(), "yields before taking the lock, limit %d", c.limit)
			require.NoError(t, p.Shutdown(context.Background()))
		})
	}
}
