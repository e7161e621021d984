package pool_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
)

func TestShutdownRunsQueuedTasksAndRefusesNew(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1)
		release := make(chan struct{})
		var ran atomic.Int64
		require.NoError(t, p.Go(func() { <-release; ran.Add(1) }))
		for range 5 {
			require.NoError(t, p.Go(func() { ran.Add(1) }))
		}
		done := make(chan error, 1)
		go func() { done <- p.Shutdown(context.Background()) }()
		synctest.Wait()
		assert.Empty(t, done, "Shutdown waits for queued tasks")
		assert.ErrorIs(t, p.Go(func() {}), pool.ErrClosed)
		close(release)
		assert.NoError(t, <-done)
		assert.EqualValues(t, 6, ran.Load())
		st := p.Stats()
		assert.Equal(t, 0, st.Workers)
		assert.EqualValues(t, 1, st.Rejected)
		assert.NoError(t, p.Shutdown(context.Background()), "Shutdown is idempotent")
	})
}

// Close returns at once while tasks run; the accepted tasks, running and
// queued, all run; a submit after Close gets ErrClosed; and once the work
// is done no worker goroutine is left, without anyone waiting.
func TestCloseReturnsAtOnceAndAcceptedWorkCompletes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(2)
		release := make(chan struct{})
		var ran atomic.Int64
		for range 2 {
			require.NoError(t, p.Go(func() { <-release; ran.Add(1) }))
		}
		for range 5 {
			require.NoError(t, p.Submit(context.Background(), func(context.Context) error { ran.Add(1); return nil }))
		}
		synctest.Wait()
		p.Close() // returns although two tasks are blocked: the bubble would deadlock otherwise
		assert.ErrorIs(t, p.Go(func() {}), pool.ErrClosed)
		assert.ErrorIs(t, p.Submit(context.Background(), func(context.Context) error { return nil }), pool.ErrClosed)
		assert.ErrorIs(t, p.TrySubmit(func(context.Context) error { return nil }), pool.ErrClosed)
		assert.Equal(t, 2, p.Stats().Running)
		assert.Equal(t, 5, p.Stats().Queued)
		close(release)
		synctest.Wait() // every goroutine of the bubble but this one has exited or is durably blocked
		assert.EqualValues(t, 7, ran.Load())
		st := p.Stats()
		assert.Equal(t, 0, st.Workers, "no worker is left once the work is done")
		assert.EqualValues(t, 7, st.Completed)
		assert.EqualValues(t, 3, st.Rejected)
		assert.Zero(t, parkedWorkers())
		p.Close() // idempotent
		assert.NoError(t, p.Shutdown(context.Background()))
		assert.Zero(t, p.Stop())
	})
}

// Close wakes submitters blocked on a full queue with ErrClosed, as
// Shutdown does, and does not wait for the queued task.
func TestCloseWakesBlockedSubmitters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1, pool.WithQueueSize(1))
		release := make(chan struct{})
		require.NoError(t, p.Go(func() { <-release }))
		require.NoError(t, p.Go(func() {}))
		got := make(chan error, 1)
		go func() { got <- p.Go(func() {}) }()
		synctest.Wait()
		p.Close()
		assert.ErrorIs(t, <-got, pool.ErrClosed)
		close(release)
		require.NoError(t, p.Shutdown(context.Background()))
		assert.EqualValues(t, 2, p.Stats().Completed)
	})
}

func TestShutdownContextBoundsTheWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1)
		release := make(chan struct{})
		require.NoError(t, p.Go(func() { <-release }))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		assert.ErrorIs(t, p.Shutdown(ctx), context.DeadlineExceeded)
		close(release)
		assert.NoError(t, p.Shutdown(context.Background()))
	})
}

func TestShutdownWakesBlockedSubmitters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1, pool.WithQueueSize(1))
		release := make(chan struct{})
		require.NoError(t, p.Go(func() { <-release }))
		require.NoError(t, p.Go(func() {}))
		got := make(chan error, 3)
		for range 3 {
			go func() { got <- p.Go(func() {}) }()
		}
		synctest.Wait()
		go func() { _ = p.Shutdown(context.Background()) }()
		synctest.Wait()
		for range 3 {
			assert.ErrorIs(t, <-got, pool.ErrClosed)
		}
		close(release)
		require.NoError(t, p.Wait())
	})
}

func TestStopDropsQueueAndCancelsRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(2)
		started := make(chan struct{}, 2)
		causes := make(chan error, 2)
		for range 2 {
			require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
				started <- struct{}{}
				<-ctx.Done()
				causes <- context.Cause(ctx)
				return ctx.Err()
			}))
		}
		<-started
		<-started
		var ran atomic.Int64
		for range 10 {
			require.NoError(t, p.Go(func() { ran.Add(1) }))
		}
		assert.Equal(t, 10, p.Stop())
		assert.ErrorIs(t, <-causes, pool.ErrStopped)
		assert.ErrorIs(t, <-causes, pool.ErrStopped)
		assert.Zero(t, ran.Load(), "dropped tasks never run")
		st := p.Stats()
		assert.EqualValues(t, 10, st.Dropped)
		assert.EqualValues(t, 2, st.Failed)
		assert.Equal(t, 0, st.Workers)
		assert.Equal(t, st.Submitted, st.Completed+st.Failed+st.Panicked+st.Dropped)
		assert.Equal(t, 0, p.Stop(), "a second Stop drops nothing")
		assert.ErrorIs(t, p.Go(func() {}), pool.ErrClosed)
		assert.Error(t, p.Wait(), "the canceled tasks' errors are kept")
	})
}

// Submissions racing a shutdown either run or are refused with ErrClosed:
// none panics and none is lost.
func TestSubmitRacingShutdown(t *testing.T) {
	rounds := 50
	if testing.Short() {
		rounds = 5
	}
	for range rounds {
		p := pool.New(4, pool.WithQueueSize(8))
		var accepted, ran atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 200 {
					err := p.Go(func() { ran.Add(1) })
					if err == nil {
						accepted.Add(1)
					} else if !errors.Is(err, pool.ErrClosed) {
						t.Errorf("unexpected submit error %v", err)
						return
					}
				}
			})
		}
		require.NoError(t, p.Shutdown(context.Background()))
		wg.Wait()
		assert.Equal(t, accepted.Load(), ran.Load())
		st := p.Stats()
		assert.EqualValues(t, accepted.Load(), st.Submitted)
		assert.EqualValues(t, 8*200-accepted.Load(), st.Rejected)
	}
}

func TestSubmitRacingStop(t *testing.T) {
	rounds := 50
	if testing.Short() {
		rounds = 5
	}
	for range rounds {
		p := pool.New(2)
		var accepted, ran atomic.Int64
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 200 {
					if p.Go(func() { ran.Add(1) }) == nil {
						accepted.Add(1)
					}
				}
			})
		}
		dropped := p.Stop()
		wg.Wait()
		assert.Equal(t, accepted.Load(), ran.Load()+int64(dropped))
	}
}

func TestResizeGrowsAndShrinks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1)
		release := make(chan struct{})
		var m concurrencyMeter
		for range 6 {
			require.NoError(t, p.Go(func() { m.enter(); <-release; m.leave() }))
		}
		synctest.Wait()
		assert.Equal(t, 1, p.Stats().Running)
		p.SetLimit(4)
		synctest.Wait()
		assert.Equal(t, 4, p.Stats().Running, "growing starts queued tasks at once")
		p.SetLimit(2)
		assert.Equal(t, 2, p.Limit())
		assert.Equal(t, 4, p.Stats().Running, "shrinking never interrupts a task")
		for range 4 {
			release <- struct{}{}
		}
		synctest.Wait()
		st := p.Stats()
		assert.Equal(t, 2, st.Running, "the shrunk limit holds once tasks end")
		assert.Equal(t, 2, st.Workers)
		close(release)
		require.NoError(t, p.Wait())
		assert.EqualValues(t, 4, m.max.Load())
		shutdown(t, p)
	})
}

func TestResizeUnderLoadKeepsLimit(t *testing.T) {
	p := pool.New(4)
	var m concurrencyMeter
	var over atomic.Int64
	var limit atomic.Int64
	limit.Store(4)
	n := 20_000
	if testing.Short() {
		n = 2000
	}
	stop := make(chan struct{})
	resized := make(chan struct{})
	go func() {
		defer close(resized)
		sizes := []int{1, 8, 3, 16, 2, 4}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p.SetLimit(sizes[i%len(sizes)])
		}
	}()
	for range n {
		require.NoError(t, p.Go(func() {
			m.enter()
			if m.now.Load() > 16 {
				over.Add(1)
			}
			m.leave()
		}))
	}
	close(stop)
	<-resized
	require.NoError(t, p.Wait())
	assert.Zero(t, over.Load(), "never more than the largest limit at once")
	st := p.Stats()
	assert.EqualValues(t, n, st.Completed)
	shutdown(t, p)
}
