package pool

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockWaiters counts the goroutines in lockVia once want of them are there
// (and, if parked is set, each waits on the mutex or at a gate): how many
// wait on the mutex itself, how many on a gate's channel, and how many are
// neither (yielding, in a large pool, or between two steps).
func lockWaiters(t *testing.T, want int, parked bool) (onMutex, onGate, other int) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for {
		onMutex, onGate, other = 0, 0, 0
		stacks := buf[:runtime.Stack(buf, true)]
		for g := range bytes.SplitSeq(stacks, []byte("\n\n")) {
			if !bytes.Contains(g, []byte("pool.(*Pool).lockVia")) {
				continue
			}
			switch {
			case bytes.Contains(g, []byte("[sync.Mutex.Lock")):
				onMutex++
			case bytes.Contains(g, []byte("[chan send")):
				onGate++
			default:
				other++
			}
		}
		if onMutex+onGate+other == want && (!parked || other == 0) {
			return onMutex, onGate, other
		}
		runtime.Gosched()
	}
}

// waitingOnLock waits until want goroutines wait in lockVia, each on the
// mutex or at a gate, and returns how many wait on each.
func waitingOnLock(t *testing.T, want int) (onMutex, onGate int) {
	t.Helper()
	onMutex, onGate, _ = lockWaiters(t, want, true)
	return onMutex, onGate
}

// busyWorkers submits n tasks to p and returns once all n run, each until
// release is closed.
func busyWorkers(t *testing.T, p *Pool, n int) (release chan struct{}) {
	t.Helper()
	started, release := make(chan struct{}), make(chan struct{})
	for range n {
		require.NoError(t, p.Go(func() {
			started <- struct{}{}
			<-release
		}))
	}
	for range n {
		<-started
	}
	return release
}

func TestSubmittersWaitAtTheGate(t *testing.T) {
	p := New(1)
	n := 3 * submitGateSize()
	p.mu.Lock()
	var submitters sync.WaitGroup
	for range n {
		submitters.Go(func() { assert.NoError(t, p.Go(func() {})) })
	}
	onMutex, onGate := waitingOnLock(t, n)
	assert.Equal(t, submitGateSize(), onMutex, "submitters waiting on the mutex")
	assert.Equal(t, n-submitGateSize(), onGate, "submitters waiting at the gate")
	p.mu.Unlock()

	submitters.Wait()
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Equal(t, uint64(n), p.Stats().Completed)
	assert.Zero(t, len(p.submitGate), "places left taken in the submit gate")
}

func TestEndingWorkersWaitAtTheGate(t *testing.T) {
	n := largePerProc * runtime.GOMAXPROCS(0) // the most workers a pool that is not large has
	require.Greater(t, n, workerGateSize())
	p := New(n)
	release := busyWorkers(t, p, n)
	p.mu.Lock()
	close(release)
	onMutex, onGate := waitingOnLock(t, n)
	assert.Equal(t, workerGateSize(), onMutex, "workers waiting on the mutex")
	assert.Equal(t, n-workerGateSize(), onGate, "workers waiting at the gate")
	p.mu.Unlock()

	require.NoError(t, p.Shutdown(context.Background()))
	assert.Equal(t, uint64(n), p.Stats().Completed)
	assert.Zero(t, len(p.workerGate), "places left taken in the worker gate")
}

// In a large pool, submitters and workers that find the lock held yield
// rather than park: none of them waits on the mutex or at a gate.
func TestLargePoolWaitersYield(t *testing.T) {
	limit := largePerProc*runtime.GOMAXPROCS(0) + 1
	p := New(limit)
	require.True(t, p.large.Load())
	release := busyWorkers(t, p, limit)
	submitters := 2 * submitGateSize()
	p.mu.Lock()
	close(release)
	var wg sync.WaitGroup
	for range submitters {
		wg.Go(func() { assert.NoError(t, p.Go(func() {})) })
	}
	onMutex, onGate, yielding := lockWaiters(t, limit+submitters, false)
	assert.Zero(t, onMutex, "goroutines waiting on the mutex")
	assert.Zero(t, onGate, "goroutines waiting at a gate")
	assert.Equal(t, limit+submitters, yielding)
	p.mu.Unlock()

	wg.Wait()
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Equal(t, uint64(limit+submitters), p.Stats().Completed)
}

// SetLimit moves a pool between large and not: the rule follows the
// limit, whichever way it goes.
func TestSetLimitSwitchesLarge(t *testing.T) {
	small := largePerProc * runtime.GOMAXPROCS(0)
	p := New(small)
	assert.False(t, p.large.Load(), "New(%d)", small)
	p.SetLimit(small + 1)
	assert.True(t, p.large.Load(), "SetLimit(%d)", small+1)
	p.SetLimit(1)
	assert.False(t, p.large.Load(), "SetLimit(1)")
	require.NoError(t, p.Shutdown(context.Background()))
}

// Goroutines waiting for the lock while SetLimit moves the pool between
// large and not, in both directions, all get it: whichever way each waits
// (yielding, at a gate or on the mutex), no task is lost.
func TestLockWaitersAcrossLimitChanges(t *testing.T) {
	small := largePerProc * runtime.GOMAXPROCS(0)
	p := New(1)
	const submitters, each = 32, 200
	var wg sync.WaitGroup
	for range submitters {
		wg.Go(func() {
			for range each {
				assert.NoError(t, p.Go(func() { runtime.Gosched() }))
			}
		})
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	for i := 0; ; i++ {
		select {
		case <-done:
			require.NoError(t, p.Shutdown(context.Background()))
			assert.Equal(t, uint64(submitters*each), p.Stats().Completed)
			return
		default:
			p.SetLimit(1 + i%2*small) // 1, small+1, 1, …
			runtime.Gosched()
		}
	}
}
