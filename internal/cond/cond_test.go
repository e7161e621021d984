package cond_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/weftgo/weft/internal/cond"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSignalWakesInFIFOOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		c := cond.New(&mu)
		woke := make(chan int, 3)
		for i := range 3 {
			go func() {
				mu.Lock()
				defer mu.Unlock()
				_ = c.Wait(context.Background())
				woke <- i
			}()
			synctest.Wait() // park i before starting i+1
		}
		mu.Lock()
		assert.Equal(t, 3, c.Waiters())
		mu.Unlock()
		for want := range 3 {
			mu.Lock()
			c.Signal()
			mu.Unlock()
			assert.Equal(t, want, <-woke)
		}
	})
}

func TestCancelledWaiterLeavesQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		c := cond.New(&mu)
		ctx, cancel := context.WithCancelCause(context.Background())
		cause := errors.New("gave up")
		done := make(chan error, 1)
		go func() {
			mu.Lock()
			defer mu.Unlock()
			done <- c.Wait(ctx)
		}()
		synctest.Wait()
		cancel(cause)
		require.ErrorIs(t, <-done, cause)
		mu.Lock()
		assert.Equal(t, 0, c.Waiters())
		c.Signal() // no waiter: a no-op
		mu.Unlock()
	})
}

// A signal delivered to a waiter whose context has also ended must reach the
// next waiter, whichever way the waiter's select goes.
func TestSignalRacingCancelIsPassedOn(t *testing.T) {
	for range 200 {
		var mu sync.Mutex
		c := cond.New(&mu)
		ctx, cancel := context.WithCancel(context.Background())
		first := make(chan error, 1)
		second := make(chan error, 1)
		mu.Lock()
		go func() { mu.Lock(); defer mu.Unlock(); first <- c.Wait(ctx) }()
		mu.Unlock()
		for {
			mu.Lock()
			n := c.Waiters()
			mu.Unlock()
			if n == 1 {
				break
			}
			runtimeYield()
		}
		mu.Lock()
		go func() { mu.Lock(); defer mu.Unlock(); second <- c.Wait(context.Background()) }()
		mu.Unlock()
		for {
			mu.Lock()
			n := c.Waiters()
			mu.Unlock()
			if n == 2 {
				break
			}
			runtimeYield()
		}
		mu.Lock()
		c.Signal() // goes to first
		cancel()   // ... which may also see ctx done
		mu.Unlock()
		err := <-first
		if err != nil {
			// first gave up: its signal must have been forwarded.
			require.NoError(t, <-second)
		} else {
			mu.Lock()
			c.Signal()
			mu.Unlock()
			require.NoError(t, <-second)
		}
	}
}

func TestBroadcastWakesAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		c := cond.New(&mu)
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				mu.Lock()
				defer mu.Unlock()
				assert.NoError(t, c.Wait(context.Background()))
			})
		}
		synctest.Wait()
		mu.Lock()
		c.Broadcast()
		mu.Unlock()
		wg.Wait()
	})
}

func TestSteadyStateWaitDoesNotAllocate(t *testing.T) {
	var mu sync.Mutex
	c := cond.New(&mu)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		mu.Lock()
		// Signal before waiting would be lost, so simulate a waiter being
		// woken at once: push, signal, and wait consume the same waiter.
		go func() { mu.Lock(); c.Signal(); mu.Unlock() }()
		_ = c.Wait(ctx)
		mu.Unlock()
	})
	// The goroutine itself allocates; the waiter must not add to it.
	assert.LessOrEqual(t, allocs, 1.0)
}
