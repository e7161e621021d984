package pool_test

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
)

// Each worker's idle timeout runs from the moment it last went idle, not
// from the pool's: workers that went idle at different times exit at
// different times.
func TestIdleWorkersExitEachAfterItsOwnTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(3, pool.WithIdleTimeout(time.Second))
		release := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
		for _, ch := range release {
			require.NoError(t, p.Go(func() { <-ch }))
		}
		synctest.Wait()
		for _, ch := range release { // the tasks end at 0, 300 and 600 ms
			close(ch)
			synctest.Wait()
			time.Sleep(300 * time.Millisecond)
		}
		// Now at 900 ms.
		assert.Equal(t, 3, p.Stats().Workers)
		for _, want := range []int{2, 1, 0} {
			time.Sleep(100*time.Millisecond + time.Nanosecond)
			synctest.Wait()
			assert.Equal(t, want, p.Stats().Workers)
			assert.Equal(t, want, parkedWorkers())
			time.Sleep(200*time.Millisecond - time.Nanosecond)
		}
		shutdown(t, p)
	})
}

// A worker that takes a task before its timeout starts its idle time
// again when the task ends.
func TestIdleTimeoutRestartsAfterEachTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1, pool.WithIdleTimeout(time.Second))
		require.NoError(t, p.Go(func() {}))
		synctest.Wait()
		time.Sleep(900 * time.Millisecond)
		require.NoError(t, p.Go(func() { time.Sleep(50 * time.Millisecond) }))
		synctest.Wait()
		time.Sleep(100 * time.Millisecond) // 1000 ms: idle since 950
		synctest.Wait()
		assert.Equal(t, 1, p.Stats().Workers, "the worker went idle 50 ms ago")
		time.Sleep(850 * time.Millisecond) // 1850 ms
		synctest.Wait()
		assert.Equal(t, 1, p.Stats().Workers)
		time.Sleep(100*time.Millisecond + time.Nanosecond) // past 1950 ms
		synctest.Wait()
		assert.Equal(t, 0, p.Stats().Workers)
		assert.Equal(t, 0, parkedWorkers())
		shutdown(t, p)
	})
}

// A worker whose timeout passes just as a submitter picks it runs the
// task: idle workers exiting never lose a task or leave the pool short of
// workers. Tasks arrive at random moments around a 1 ms timeout, in real
// time, so that the exits race the wake-ups.
func TestStressIdleExitRacesWakeUps(t *testing.T) {
	rounds := 2000
	if testing.Short() {
		rounds = 300
	}
	p := pool.New(4, pool.WithIdleTimeout(time.Millisecond))
	var ran atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range rounds / 4 {
				time.Sleep(time.Duration(rand.IntN(1500)) * time.Microsecond) // the workload: tasks arrive now and then
				assert.NoError(t, p.Go(func() { ran.Add(1) }))
			}
		})
	}
	wg.Wait()
	require.NoError(t, p.Wait())
	assert.EqualValues(t, rounds/4*4, ran.Load())
	st := p.Stats()
	assert.LessOrEqual(t, st.Workers, 4)
	shutdown(t, p)
	assert.Equal(t, 0, p.Stats().Workers)
}
