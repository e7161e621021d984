package pipeline_test

import (
	"context"
	"math"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline"
	"github.com/weftgo/weft/pipeline/queue"
)

// A size, chunk size or window is a limit, not an amount to allocate: one
// far above what a run sees (math.MaxInt, to batch by time only) works,
// where allocating it up front crashed the process from a stage goroutine.
func TestLimitsAreNotAllocatedUpFront(t *testing.T) {
	huge := pipeline.WithChunkSize(math.MaxInt)
	t.Run("Batch", func(t *testing.T) {
		got, err := pipeline.Collect(bg, pipeline.Batch(pipeline.FromSlice([]int{1, 2, 3}), math.MaxInt, time.Second))
		require.NoError(t, err)
		assert.Equal(t, [][]int{{1, 2, 3}}, got)
	})
	t.Run("FromQueue", func(t *testing.T) {
		q := queue.New[int]()
		for i := range 3000 {
			require.NoError(t, q.Put(bg, i))
		}
		q.Close()
		got, err := pipeline.Collect(bg, pipeline.FromQueue(q, huge))
		require.NoError(t, err)
		assert.Len(t, got, 3000)
	})
	t.Run("FromSeq", func(t *testing.T) {
		got, err := pipeline.Collect(bg, pipeline.FromSeq(func(yield func(int) bool) {
			for i := range 3000 {
				if !yield(i) {
					return
				}
			}
		}, huge))
		require.NoError(t, err)
		assert.Len(t, got, 3000)
	})
	t.Run("reorder window", func(t *testing.T) {
		m := pipeline.Map(pipeline.FromSlice([]int{1, 2, 3}), func(_ context.Context, v int) (int, error) { return v, nil },
			pipeline.WithConcurrency(2), pipeline.WithOrdered(), pipeline.WithReorderWindow(math.MaxInt))
		got, err := pipeline.Collect(bg, m)
		require.NoError(t, err)
		assert.Equal(t, []int{1, 2, 3}, got)
	})
}

// A batch of one item costs one item's room however large the size.
func TestBatchAllocatesWhatItHolds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan int)
		go func() {
			defer close(ch)
			for i := range 10 {
				ch <- i
				time.Sleep(time.Second) // each item is a batch of its own
			}
		}()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got, err := pipeline.Collect(bg, pipeline.Batch(pipeline.FromChan(ch), 1<<22, time.Millisecond))
		runtime.ReadMemStats(&after)
		require.NoError(t, err)
		assert.Len(t, got, 10)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20), "bytes allocated for 10 one-item batches")
	})
}
