package pipeline_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline"
)

func TestQueueCloseDrainsThenErrClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := pipeline.NewQueue[int](pipeline.WithCapacity(2))
		require.NoError(t, q.Put(bg, 1))
		require.NoError(t, q.Put(bg, 2))
		blocked := make(chan error, 1)
		go func() { blocked <- q.Put(bg, 3) }()
		synctest.Wait()
		q.Close()
		q.Close() // idempotent
		require.ErrorIs(t, <-blocked, pipeline.ErrClosed, "a blocked Put fails on Close")
		require.ErrorIs(t, q.Put(bg, 4), pipeline.ErrClosed)
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
		require.ErrorIs(t, err, pipeline.ErrClosed)
		_, err = q.GetBatch(bg, buf)
		require.ErrorIs(t, err, pipeline.ErrClosed)
	})
}

func TestQueueCloseWakesGetters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := pipeline.NewQueue[int]()
		errs := make(chan error, 3)
		for range 3 {
			go func() { _, err := q.Get(bg); errs <- err }()
		}
		synctest.Wait()
		q.Close()
		for range 3 {
			require.ErrorIs(t, <-errs, pipeline.ErrClosed)
		}
	})
}

func TestQueueShutdownDropsAndWakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		full := pipeline.NewQueue[int](pipeline.WithCapacity(3))
		for i := range 3 {
			require.NoError(t, full.Put(bg, i))
		}
		empty := pipeline.NewQueue[int]()
		errs := make(chan error, 4)
		for range 2 {
			go func() { errs <- full.Put(bg, 9) }()
			go func() { _, err := empty.Get(bg); errs <- err }()
		}
		synctest.Wait()
		assert.Equal(t, 3, full.Shutdown())
		assert.Equal(t, 0, empty.Shutdown())
		for range 4 {
			require.ErrorIs(t, <-errs, pipeline.ErrClosed)
		}
		assert.Equal(t, 0, full.Len())
		assert.Equal(t, 0, full.Shutdown(), "second Shutdown drops nothing")
		_, err := full.Get(bg)
		require.ErrorIs(t, err, pipeline.ErrClosed)
	})
}

func TestQueueShutdownAfterClose(t *testing.T) {
	q := pipeline.NewQueue[int]()
	require.NoError(t, q.Put(bg, 1))
	require.NoError(t, q.Put(bg, 2))
	q.Close()
	assert.Equal(t, 2, q.Shutdown())
}

func TestQueueTaskDoneJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := pipeline.NewQueue[int]()
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
		require.ErrorIs(t, q.TaskDone(), pipeline.ErrTooManyTaskDone)
		require.NoError(t, q.Put(bg, 3), "the failed TaskDone changed nothing")
		ctx, cancel := context.WithCancel(bg)
		cancel()
		require.ErrorIs(t, q.Join(ctx), context.Canceled)
	})
}

func TestQueueJoinAfterClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := pipeline.NewQueue[int]()
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

// Join after Shutdown: dropped items count as done, items already got still
// wait for their TaskDone.
func TestQueueJoinAfterShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := pipeline.NewQueue[int]()
		for i := range 5 {
			require.NoError(t, q.Put(bg, i))
		}
		_, _ = q.TryGet() // a consumer holds one item
		joined := make(chan error, 1)
		go func() { joined <- q.Join(bg) }()
		synctest.Wait()
		assert.Equal(t, 4, q.Shutdown())
		synctest.Wait()
		require.Empty(t, joined, "the item got before the shutdown is unfinished")
		require.NoError(t, q.TaskDone())
		require.NoError(t, <-joined)
		require.NoError(t, q.Join(bg), "Join after Shutdown with nothing outstanding")
		require.ErrorIs(t, q.TaskDone(), pipeline.ErrTooManyTaskDone,
			"dropped items must not be marked done again")
	})
}

func TestQueueShutdownReleasesJoinWhenNothingHeld(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := pipeline.NewQueue[int]()
		require.NoError(t, q.Put(bg, 1))
		joined := make(chan error, 1)
		go func() { joined <- q.Join(bg) }()
		synctest.Wait()
		assert.Equal(t, 1, q.Shutdown())
		require.NoError(t, <-joined)
	})
}
