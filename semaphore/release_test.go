package semaphore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/internal/shake"
	"github.com/weftgo/weft/semaphore"
)

const overRelease = "semaphore: released more than held"

// TestOverReleasePanics checks that a Release of more than is held panics,
// whatever path the Release takes (no waiters, waiters to serve, hand-off
// mode, after Close, after a shrink, at the largest counts), and leaves
// the semaphore as it was: the waiters stay queued, and a correct Release
// afterwards serves them.
func TestOverReleasePanics(t *testing.T) {
	cases := []struct {
		name   string
		limit  int64
		held   int64
		waiter int64 // an Acquire of this many queues first; 0: none
		setup  func(s *semaphore.Weighted)
		n      int64 // the over-release
	}{
		{name: "no waiters", limit: 4, held: 2, n: 3},
		{name: "no waiters, nothing held", limit: 4, n: 1},
		{name: "waiters queued", limit: 4, held: 3, waiter: 2, n: 4},
		{name: "waiters queued, all held", limit: 4, held: 4, waiter: 1, n: 5},
		{name: "after Close", limit: 4, held: 2, setup: func(s *semaphore.Weighted) { s.Close() }, n: 3},
		{name: "after a shrink below held", limit: 4, held: 4, setup: func(s *semaphore.Weighted) { s.SetLimit(1) }, n: 5},
		{name: "MaxLimit, nothing held", limit: semaphore.MaxLimit, n: semaphore.MaxLimit},
		{name: "MaxLimit, one held", limit: semaphore.MaxLimit, held: 1, n: semaphore.MaxLimit},
		{name: "more than MaxLimit", limit: semaphore.MaxLimit, held: semaphore.MaxLimit, n: semaphore.MaxLimit + 1},
	}
	for _, p := range policies {
		for _, c := range cases {
			t.Run(p.String()+"/"+c.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					s := semaphore.New(c.limit, semaphore.WithPolicy(p))
					if c.held > 0 {
						require.True(t, s.TryAcquire(c.held))
					}
					var got <-chan error
					if c.waiter > 0 {
						got = acquireAsync(t.Context(), s, c.waiter)
						synctest.Wait()
						require.Equal(t, 1, s.Waiting())
					}
					if c.setup != nil {
						c.setup(s)
					}
					held, avail := s.Held(), s.Available()
					assert.PanicsWithValue(t, overRelease, func() { s.Release(c.n) })
					assert.Equal(t, held, s.Held(), "a panicking Release changes nothing")
					assert.Equal(t, avail, s.Available(), "a panicking Release changes nothing")
					if got != nil {
						synctest.Wait()
						assert.True(t, pending(got), "the waiter is still queued")
						assert.Equal(t, 1, s.Waiting())
						s.Release(c.held)
						require.NoError(t, <-got)
						s.Release(c.waiter)
					} else if c.held > 0 {
						s.Release(c.held)
					}
					assert.Equal(t, int64(0), s.Held())
					assert.Equal(t, s.Limit(), s.Available())
				})
			})
		}
	}
}

// TestOverReleaseRacesSetLimit checks that an over-release panics, and
// changes nothing, even while SetLimit moves the limit up and down under
// it: Release's check must not compare the permits it gives back with a
// limit the state did not have at that moment.
func TestOverReleaseRacesSetLimit(t *testing.T) {
	rounds := 20000
	if testing.Short() || shake.Enabled { // shake mode makes each call slow
		rounds = 2000
	}
	s := semaphore.New(64)
	require.True(t, s.TryAcquire(1))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { // resizer: shrinks to the one permit held, grows again
		for i := 0; ; i++ {
			select {
			case <-stop:
				s.SetLimit(64)
				return
			default:
			}
			s.SetLimit(1 + 63*int64(i&1))
		}
	})
	missed := 0
	for range rounds {
		if !panics(func() { s.Release(2) }) {
			missed++
			break // the state is wrong from here on
		}
	}
	close(stop)
	wg.Wait()
	require.Zero(t, missed, "an over-release racing SetLimit did not panic")
	assert.Equal(t, int64(1), s.Held())
	s.Release(1)
	assert.Equal(t, int64(0), s.Held())
	assert.Equal(t, int64(64), s.Available())
}

// panics reports whether fn panicked with the over-release message; any
// other panic is passed on.
func panics(fn func()) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != overRelease {
				panic(v)
			}
			ok = true
		}
	}()
	fn()
	return false
}

// TestReleaseRacesSetLimitStress runs legitimate Acquire, TryAcquire, Do
// and Release calls from many goroutines while SetLimit moves the limit as
// fast as it can between 0 and maxLimit, often below what is held. No
// Release may panic, and at the end the semaphore must be exact: nothing
// held, every permit of the limit available, nobody waiting.
func TestReleaseRacesSetLimitStress(t *testing.T) {
	const maxLimit = 6
	workers := 4 * runtime.GOMAXPROCS(0)
	rounds := 5000
	if testing.Short() || shake.Enabled {
		rounds = 500
	}
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			s := semaphore.New(maxLimit, semaphore.WithPolicy(p))
			stop := make(chan struct{})
			resized := make(chan struct{})
			go func() {
				defer close(resized)
				r := rand.New(rand.NewPCG(7, 8))
				for {
					select {
					case <-stop:
						s.SetLimit(maxLimit)
						return
					default:
					}
					s.SetLimit(r.Int64N(maxLimit + 1))
				}
			}()
			errs := make(chan error, workers)
			var wg sync.WaitGroup
			for g := range workers {
				wg.Go(func() {
					errs <- releaseWorker(s, uint64(g), rounds)
				})
			}
			wg.Wait()
			close(stop)
			<-resized
			for range workers {
				assert.NoError(t, <-errs)
			}
			assert.Equal(t, int64(0), s.Held())
			assert.Equal(t, int64(maxLimit), s.Available())
			assert.Equal(t, int64(maxLimit), s.Limit())
			assert.Equal(t, 0, s.Waiting())
		})
	}
}

// releaseWorker does rounds random acquisitions on s, each released in
// one or two calls, and returns the first panic as an error.
func releaseWorker(s *semaphore.Weighted, seed uint64, rounds int) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	r := rand.New(rand.NewPCG(seed, 9))
	release := func(n int64) {
		if k := r.Int64N(n + 1); k > 0 && k < n {
			s.Release(k) // in two parts
			s.Release(n - k)
		} else {
			s.Release(n)
		}
	}
	for range rounds {
		n := 1 + r.Int64N(3)
		switch r.IntN(3) {
		case 0:
			// Waits until the limit fits n again, or fails when a shrink
			// makes n too large; the timeout bounds the wait for a limit
			// that stays too small.
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(r.IntN(100))*time.Microsecond)
			if s.Acquire(ctx, n) == nil {
				release(n)
			}
			cancel()
		case 1:
			if s.TryAcquire(n) {
				release(n)
			}
		case 2:
			_ = s.Do(context.Background(), n, func() error { return nil })
		}
	}
	return nil
}
