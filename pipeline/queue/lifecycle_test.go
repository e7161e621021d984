package queue_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline/queue"
)

func TestQueueCloseDrainsThenErrClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := queue.New[int](queue.WithCapacity(2))
		require.NoError(t, q.Put(bg, 1))
		require.NoError(t, q.Put(bg, 2))
		q.Close()
		q.Close() // idempotent
		require.ErrorIs(t, q.Put(bg, 4), queue.ErrClosed)
		assert.False(t, q.TryPut(4))
		assert.True(t, q.Closed())
		v, err := q.Get(bg)
		require.NoError(t, err)
		assert.Equal(t, 1, v)
		buf := make([]int, 4)
		n, err := q.GetBatch(bg, buf)
		require.NoError(t, err)
		assert.Equal(t, []int{2}, buf[:n])
		_, err = q.Get(bg)
		require.ErrorIs(t, err, queue.ErrClosed)
		_, err = q.GetBatch(bg, buf)
		require.ErrorIs(t, err, queue.ErrClosed)
	})
}

// Each verb ends the queue for waiters the same way: a Put blocked on a
// full queue and a Get blocked on an empty one wake up with ErrClosed, and
// none of the verbs waits for them.
func TestQueueLifecycleWakesBlockedWaiters(t *testing.T) {
	verbs := []struct {
		name string
		// end ends full and empty, and returns a function that completes
		// the verb once the waiters have been checked.
		end func(t *testing.T, full, empty *queue.Queue[int]) (finish func())
	}{
		{"Close", func(t *testing.T, full, empty *queue.Queue[int]) func() {
			full.Close()
			empty.Close()
			return func() {}
		}},
		{"Shutdown", func(t *testing.T, full, empty *queue.Queue[int]) func() {
			require.NoError(t, empty.Shutdown(bg), "nothing to wait for")
			shut := make(chan error, 1)
			go func() { shut <- full.Shutdown(bg) }()
			synctest.Wait()
			return func() {
				require.Empty(t, shut, "Shutdown waits for the queued items")
				for range 2 {
					_, err := full.Get(bg)
					require.NoError(t, err)
					require.NoError(t, full.TaskDone())
				}
				require.NoError(t, <-shut)
			}
		}},
		{"Stop", func(t *testing.T, full, empty *queue.Queue[int]) func() {
			assert.Equal(t, 2, full.Stop())
			assert.Equal(t, 0, empty.Stop())
			return func() {}
		}},
	}
	for _, verb := range verbs {
		t.Run(verb.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				full := queue.New[int](queue.WithCapacity(2))
				require.NoError(t, full.Put(bg, 1))
				require.NoError(t, full.Put(bg, 2))
				empty := queue.New[int]()
				puts, gets := make(chan error, 3), make(chan error, 3)
				for range 3 {
					go func() { puts <- full.Put(bg, 9) }()
					go func() { _, err := empty.Get(bg); gets <- err }()
				}
				synctest.Wait()
				require.Empty(t, puts)
				require.Empty(t, gets)
				finish := verb.end(t, full, empty)
				for range 3 {
					require.ErrorIs(t, <-puts, queue.ErrClosed, "a blocked Put fails")
					require.ErrorIs(t, <-gets, queue.ErrClosed, "a blocked Get fails")
				}
				assert.True(t, full.Closed())
				assert.True(t, empty.Closed())
				finish()
			})
		})
	}
}

// Shutdown closes at once, lets consumers drain the queue, and returns only
// when every item has been taken and marked done.
func TestQueueShutdownWaitsForTaskDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := queue.New[int]()
		for i := range 3 {
			require.NoError(t, q.Put(bg, i))
		}
		taken, _ := q.TryGet() // a consumer holds one item
		shut := make(chan error, 1)
		go func() { shut <- q.Shutdown(bg) }()
		synctest.Wait()
		require.ErrorIs(t, q.Put(bg, 9), queue.ErrClosed, "Shutdown closes first")
		assert.Equal(t, 2, q.Len(), "Shutdown drops nothing")

		for range 2 {
			_, err := q.Get(bg)
			require.NoError(t, err)
		}
		_, err := q.Get(bg)
		require.ErrorIs(t, err, queue.ErrClosed, "drained")
		synctest.Wait()
		require.Empty(t, shut, "taken is not done")
		require.NoError(t, q.TaskDone())
		require.NoError(t, q.TaskDone())
		synctest.Wait()
		require.Empty(t, shut, "one item is taken but not yet marked done")

		// A consumer's writes before TaskDone are visible after Shutdown
		// (the race detector checks the happens-before edge).
		var processed []int
		go func() {
			processed = append(processed, taken)
			_ = q.TaskDone()
		}()
		require.NoError(t, <-shut)
		assert.Equal(t, []int{0}, processed)
		require.NoError(t, q.Shutdown(bg), "a second Shutdown has nothing to wait for")
	})
}

// Shutdown's context bounds only the wait: the queue stays closed with its
// items, and a later Stop or Shutdown finishes the job.
func TestQueueShutdownContextBoundsWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := queue.New[int]()
		require.NoError(t, q.Put(bg, 1))
		require.NoError(t, q.Put(bg, 2))
		cause := errors.New("deadline for the drain")
		ctx, cancel := context.WithCancelCause(bg)
		shut := make(chan error, 1)
		go func() { shut <- q.Shutdown(ctx) }()
		synctest.Wait()
		cancel(cause)
		require.ErrorIs(t, <-shut, cause)
		assert.True(t, q.Closed())
		assert.Equal(t, 2, q.Len(), "the items stay queued")

		shut = make(chan error, 1)
		go func() { shut <- q.Shutdown(bg) }()
		synctest.Wait()
		require.Empty(t, shut)
		assert.Equal(t, 2, q.Stop(), "Stop drops what Shutdown waited for")
		require.NoError(t, <-shut, "dropped items count as done")
	})
}

// A Shutdown whose wait is over before it starts returns at once, even with
// a context that has already ended.
func TestQueueShutdownWithNothingUnfinished(t *testing.T) {
	q := queue.New[int]()
	require.NoError(t, q.Put(bg, 1))
	_, _ = q.TryGet()
	require.NoError(t, q.TaskDone())
	ctx, cancel := context.WithCancel(bg)
	cancel()
	require.NoError(t, q.Shutdown(ctx))
	assert.True(t, q.Closed())
}

func TestQueueStopAfterClose(t *testing.T) {
	q := queue.New[int]()
	require.NoError(t, q.Put(bg, 1))
	require.NoError(t, q.Put(bg, 2))
	q.Close()
	assert.Equal(t, 2, q.Stop())
	assert.Equal(t, 0, q.Stop(), "a second Stop drops nothing")
	assert.Equal(t, 0, q.Len())
	_, err := q.Get(bg)
	require.ErrorIs(t, err, queue.ErrClosed)
}

func TestQueueTaskDoneJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := queue.New[int]()
		require.NoError(t, q.Join(bg), "nothing unfinished")
		require.NoError(t, q.Put(bg, 1))
		require.NoError(t, q.Put(bg, 2))
		joined := make(chan error, 1)
		go func() { joined <- q.Join(bg) }()
		_, _ = q.TryGet()
		_, _ = q.TryGet()
		require.NoError(t, q.TaskDone())
		synctest.Wait()
		require.Empty(t, joined, "one item still unfinished")
		require.NoError(t, q.TaskDone())
		require.NoError(t, <-joined)
		require.ErrorIs(t, q.TaskDone(), queue.ErrTooManyTaskDone)
		require.NoError(t, q.Put(bg, 3), "the failed TaskDone changed nothing")
		ctx, cancel := context.WithCancel(bg)
		cancel()
		require.ErrorIs(t, q.Join(ctx), context.Canceled)
	})
}

func TestQueueJoinAfterClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := queue.New[int]()
		require.NoError(t, q.Put(bg, 1))
		q.Close()
		joined := make(chan error, 1)
		go func() { joined <- q.Join(bg) }()
		synctest.Wait()
		require.Empty(t, joined, "Close does not release Join")
		_, _ = q.Get(bg)
		require.NoError(t, q.TaskDone())
		require.NoError(t, <-joined)
	})
}

// Join and Shutdown after Stop: dropped items count as done, items taken
// before the Stop still wait for their TaskDone.
func TestQueueJoinAfterStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := queue.New[int]()
		for i := range 5 {
			require.NoError(t, q.Put(bg, i))
		}
		_, _ = q.TryGet() // a consumer holds one item
		joined := make(chan error, 1)
		go func() { joined <- q.Join(bg) }()
		synctest.Wait()
		assert.Equal(t, 4, q.Stop())
		shut := make(chan error, 1)
		go func() { shut <- q.Shutdown(bg) }()
		synctest.Wait()
		require.Empty(t, joined, "the item taken before the Stop is unfinished")
		require.Empty(t, shut, "the item taken before the Stop is unfinished")
		require.NoError(t, q.TaskDone())
		require.NoError(t, <-joined)
		require.NoError(t, <-shut)
		require.NoError(t, q.Join(bg), "Join after Stop with nothing outstanding")
		require.ErrorIs(t, q.TaskDone(), queue.ErrTooManyTaskDone,
			"dropped items must not be marked done again")
	})
}

func TestQueueStopReleasesJoinWhenNothingHeld(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := queue.New[int]()
		require.NoError(t, q.Put(bg, 1))
		joined := make(chan error, 1)
		go func() { joined <- q.Join(bg) }()
		synctest.Wait()
		assert.Equal(t, 1, q.Stop())
		require.NoError(t, <-joined)
	})
}

// TaskDone counts items, not the items taken: a producer may mark an item
// done before any consumer takes it. Stop then drops an item already
// counted as done, and the count must stay at zero, not go below it (as
// Python's shutdown(immediate=True) keeps it): found by FuzzQueue.
func TestQueueStopAfterEarlyTaskDoneKeepsCountAtZero(t *testing.T) {
	q := queue.New[int]()
	require.NoError(t, q.Put(bg, 1))
	require.NoError(t, q.TaskDone())
	assert.Equal(t, 1, q.Stop())
	require.NoError(t, q.Join(bg))
	require.ErrorIs(t, q.TaskDone(), queue.ErrTooManyTaskDone, "the count is zero")
	require.NoError(t, q.Join(bg), "the failed TaskDone changed nothing")
}
