package pool

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSerialIdleKeysHoldNothing runs one task for each of 100k keys: once
// they have run, the Serial holds no state for any key, and the heap is
// within 64 KiB of what it was with the pool and Serial idle (issue 12).
func TestSerialIdleKeysHoldNothing(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	heap := func() int64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	p := New(runtime.GOMAXPROCS(0))
	s := NewSerial[int](p)
	noop := func() {}
	// Warm up: workers started, the queue's block made.
	for i := range 300 {
		require.NoError(t, s.Go(-i, noop))
	}
	require.NoError(t, p.Wait())
	before := heap()
	for i := range n {
		require.NoError(t, s.Go(i, noop))
	}
	require.NoError(t, p.Wait())
	after := heap()

	p.mu.Lock()
	keys, parked, serials := len(s.keys), p.parked.n, len(p.parked.by)
	p.mu.Unlock()
	assert.Zero(t, keys, "keys held after their tasks ran")
	assert.Zero(t, parked)
	assert.Zero(t, serials)
	assert.LessOrEqual(t, after-before, int64(64<<10), "heap grew by %d bytes", after-before)
	runtime.KeepAlive(s)
	require.NoError(t, p.Shutdown(context.Background()))
}
