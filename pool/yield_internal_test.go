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
