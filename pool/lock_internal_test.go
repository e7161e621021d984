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

// waitingOnLock waits until want goroutines wait in lockVia, and returns
// how many of them wait on the mutex itself and how many on a gate's
// channel.
func waitingOnLock(t *testing.T, want int) (onMutex, onGate int) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for {
		onMutex, onGate = 0, 0
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
			}
		}
		if onMutex+onGate == want {
			return onMutex, onGate
		}
		runtime.Gosched()
	}
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
	n := 3 * workerGateSize()
	p := New(n)
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
