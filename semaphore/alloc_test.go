package semaphore_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/weftgo/weft/semaphore"
)

func TestUncontendedDoesNotAllocate(t *testing.T) {
	ctx := context.Background()
	for _, p := range policies {
		s := semaphore.New(4, semaphore.WithPolicy(p))
		allocs := testing.AllocsPerRun(1000, func() {
			if err := s.Acquire(ctx, 2); err != nil {
				panic(err)
			}
			if !s.TryAcquire(1) {
				panic("TryAcquire failed")
			}
			s.Release(3)
		})
		assert.Zero(t, allocs, p.String())
	}
}

// A wait does not allocate either once the semaphore has a waiter record
// to reuse. The helper goroutine queues on a held permit in every round.
func TestWaitDoesNotAllocate(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters allocate")
	}
	ctx := context.Background()
	for _, p := range policies {
		s := semaphore.New(1, semaphore.WithPolicy(p))
		start, done := make(chan struct{}), make(chan struct{})
		go func() {
			for range start {
				if err := s.Acquire(ctx, 1); err != nil {
					panic(err)
				}
				s.Release(1)
				done <- struct{}{}
			}
		}()
		allocs := testing.AllocsPerRun(200, func() {
			if err := s.Acquire(ctx, 1); err != nil {
				panic(err)
			}
			start <- struct{}{}
			for s.Waiting() == 0 {
				runtime.Gosched()
			}
			s.Release(1)
			<-done
		})
		close(start)
		assert.Zero(t, allocs, p.String())
	}
}
