package semaphore_test

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/semaphore"
)

func TestKeyedIndependentKeys(t *testing.T) {
	ctx := context.Background()
	k := semaphore.NewKeyed[string](2)
	require.NoError(t, k.Acquire(ctx, "a", 2))
	assert.False(t, k.TryAcquire("a", 1))
	assert.True(t, k.TryAcquire("b", 2), "another key has its own limit")
	assert.Equal(t, 2, k.Len())
	assert.Equal(t, int64(2), k.Held("a"))
	assert.Equal(t, int64(2), k.Limit())
	k.Release("a", 1)
	k.Release("a", 1)
	k.Release("b", 2)
	assert.Equal(t, 0, k.Len())
	assert.Equal(t, int64(0), k.Held("a"))
}

// Memory is bounded by the keys in use: 200 000 keys seen, one at a
// time, leave nothing behind.
func TestKeyedReclaimsIdleKeys(t *testing.T) {
	ctx := context.Background()
	k := semaphore.NewKeyed[int](1)
	keys := 200_000
	if testing.Short() {
		keys = 10_000
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range keys {
		require.NoError(t, k.Acquire(ctx, i, 1))
		assert.False(t, k.TryAcquire(i+1, 2), "a failed TryAcquire leaves no key behind")
		if i%1000 == 0 {
			assert.Equal(t, 1, k.Len())
		}
		k.Release(i, 1)
		require.NoError(t, k.Do(ctx, -i, 1, func() error { return nil }))
	}
	assert.Equal(t, 0, k.Len())
	runtime.GC()
	runtime.ReadMemStats(&after)
	assert.Less(t, int64(after.HeapAlloc)-int64(before.HeapAlloc), int64(1<<20),
		"heap grew with the number of keys seen")
}

func TestKeyedWaiterKeepsKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := semaphore.NewKeyed[string](1)
		require.NoError(t, k.Acquire(t.Context(), "h", 1))
		got := make(chan error, 1)
		go func() { got <- k.Acquire(t.Context(), "h", 1) }()
		synctest.Wait()
		k.Release("h", 1)
		require.NoError(t, <-got)
		assert.Equal(t, 1, k.Len())
		k.Release("h", 1)
		assert.Equal(t, 0, k.Len())

		// A canceled waiter on an otherwise unused key drops it too.
		require.NoError(t, k.Acquire(t.Context(), "x", 1))
		ctx, cancel := context.WithCancel(t.Context())
		go func() { got <- k.Acquire(ctx, "x", 1) }()
		synctest.Wait()
		cancel()
		assert.ErrorIs(t, <-got, context.Canceled)
		k.Release("x", 1)
		assert.Equal(t, 0, k.Len())
	})
}

func TestKeyedMisuseAndClose(t *testing.T) {
	k := semaphore.NewKeyed[string](1, semaphore.WithPolicy(semaphore.FIFO))
	assert.PanicsWithValue(t, "semaphore: released more than held", func() { k.Release("nope", 1) })
	assert.PanicsWithValue(t, "semaphore: negative permit count", func() { k.Release("nope", -1) })
	k.Release("nope", 0)
	assert.PanicsWithValue(t, "semaphore: negative permit count", func() { _ = k.Acquire(context.Background(), "a", -1) })
	assert.PanicsWithValue(t, "semaphore: negative permit count", func() { k.TryAcquire("a", -1) })
	assert.Equal(t, 0, k.Len(), "misuse leaves no key behind")
	assert.ErrorIs(t, k.Acquire(context.Background(), "a", 2), semaphore.ErrExceedsLimit)
	assert.Equal(t, 0, k.Len())
	require.NoError(t, k.Acquire(context.Background(), "a", 1))
	assert.PanicsWithValue(t, "semaphore: released more than held", func() { k.Release("a", 2) })

	synctest.Test(t, func(t *testing.T) {
		got := make(chan error, 1)
		go func() { got <- k.Acquire(t.Context(), "a", 1) }()
		synctest.Wait()
		k.Close()
		assert.ErrorIs(t, <-got, semaphore.ErrClosed)
	})
	assert.ErrorIs(t, k.Acquire(context.Background(), "new", 1), semaphore.ErrClosed)
	assert.False(t, k.TryAcquire("new", 1))
	k.Release("a", 1)
	assert.Equal(t, 0, k.Len())
}

func TestKeyedDoPanics(t *testing.T) {
	k := semaphore.NewKeyed[string](1)
	err := k.Do(context.Background(), "a", 1, func() error { panic(io.EOF) })
	assert.ErrorIs(t, err, io.EOF)
	var pe *semaphore.PanicError
	assert.ErrorAs(t, err, &pe)
	assert.Equal(t, 0, k.Len())
	assert.ErrorIs(t, k.Do(context.Background(), "a", 2, nop), semaphore.ErrExceedsLimit)

	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = k.Do(context.Background(), "a", 1, func() error { runtime.Goexit(); return nil })
	}()
	<-done
	assert.Zero(t, k.Len(), "Goexit in fn releases the permits")
}

func TestKeyedConcurrent(t *testing.T) {
	k := semaphore.NewKeyed[string](2)
	ctx := context.Background()
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			var err error
			for i := range 2000 {
				key := fmt.Sprint("host", (g+i)%3)
				if err = k.Acquire(ctx, key, 1); err != nil {
					break
				}
				if h := k.Held(key); h > 2 {
					err = fmt.Errorf("%s: %d held", key, h)
				}
				k.Release(key, 1)
				if err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		assert.NoError(t, <-errs)
	}
	assert.Equal(t, 0, k.Len())
}
