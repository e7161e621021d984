package semaphore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/weftgo/weft/semaphore"
)

// TestStress hammers Acquire (some with short timeouts), TryAcquire,
// Release, SetLimit and Do from many goroutines in real time, tracking the
// permits handed out. The limit moves between 1 and maxLimit: what is in
// use may exceed the current limit after a shrink (permits are never
// revoked), but never maxLimit, and never the limit in force while nobody
// resizes.
func TestStress(t *testing.T) {
	const maxLimit = 8
	workers := 4 * runtime.GOMAXPROCS(0)
	rounds := 10000
	if testing.Short() {
		rounds = 1000
	}
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			s := semaphore.New(maxLimit/2, semaphore.WithPolicy(p))
			var inUse atomic.Int64
			var resizing atomic.Bool
			errs := make(chan error, workers+1)
			check := func(n int64) error {
				u := inUse.Add(n)
				if u > maxLimit {
					return fmt.Errorf("%d permits in use, max limit %d", u, maxLimit)
				}
				if !resizing.Load() && u > s.Limit() {
					return fmt.Errorf("%d permits in use, limit %d", u, s.Limit())
				}
				return nil
			}
			// Phase 1 runs the workers at a fixed limit, phase 2 with the
			// resizer moving it.
			hammer(workers, rounds/2, s, &inUse, check, errs)
			for range workers {
				assert.NoError(t, <-errs)
			}
			resizing.Store(true)
			var wg sync.WaitGroup
			stop := make(chan struct{})
			wg.Go(func() { // resizer
				r := rand.New(rand.NewPCG(1, 2))
				for {
					select {
					case <-stop:
						s.SetLimit(maxLimit)
						errs <- nil
						return
					default:
					}
					if r.IntN(4) == 0 {
						s.SetLimit(1 + r.Int64N(maxLimit))
					} else {
						runtime.Gosched()
					}
				}
			})
			hammer(workers, rounds/2, s, &inUse, check, errs)
			close(stop)
			wg.Wait()
			for range workers + 1 {
				assert.NoError(t, <-errs)
			}
			assert.Equal(t, int64(0), s.Held())
			assert.Equal(t, int64(maxLimit), s.Available())
			assert.Equal(t, 0, s.Waiting())
			assert.Equal(t, int64(maxLimit), s.Limit())
		})
	}
}

// hammer runs workers goroutines doing rounds random operations each on s,
// calling check with the permits obtained, and sends each worker's first
// error (or nil) to errs.
func hammer(workers, rounds int, s *semaphore.Weighted, inUse *atomic.Int64, check func(int64) error, errs chan<- error) {
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 3))
			var err error
			for range rounds {
				n := 1 + r.Int64N(3)
				switch r.IntN(4) {
				case 0: // plain acquire; may fail if a shrink makes n too large
					if s.Acquire(context.Background(), n) == nil {
						err = check(n)
						runtime.Gosched()
						inUse.Add(-n)
						s.Release(n)
					}
				case 1: // acquire with a short timeout, racing grants
					ctx, cancel := context.WithTimeout(context.Background(), time.Duration(r.IntN(50))*time.Microsecond)
					if s.Acquire(ctx, n) == nil {
						err = check(n)
						inUse.Add(-n)
						s.Release(n)
					}
					cancel()
				case 2:
					if s.TryAcquire(n) {
						err = check(n)
						inUse.Add(-n)
						s.Release(n)
					}
				case 3:
					_ = s.Do(context.Background(), n, func() error {
						err = check(n)
						inUse.Add(-n)
						return nil
					})
				}
				if err != nil {
					break
				}
			}
			errs <- err
		})
	}
	wg.Wait()
}
