package queue_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/weftgo/weft/pipeline/queue"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var bg = context.Background()

func drain[T any](t *testing.T, q *queue.Queue[T]) []T {
	t.Helper()
	var got []T
	for {
		v, ok := q.TryGet()
		if !ok {
			return got
		}
		got = append(got, v)
	}
}

func TestQueueOrders(t *testing.T) {
	fifo := queue.New[int]()
	lifo := queue.NewLIFO[int]()
	prio := queue.NewPriority(func(a, b int) bool { return a < b })
	var zero queue.Queue[int] // the zero value is an unbounded FIFO
	for _, v := range []int{3, 1, 4, 1, 5, 9, 2, 6} {
		for _, q := range []*queue.Queue[int]{fifo, lifo, prio, &zero} {
			require.NoError(t, q.Put(bg, v))
		}
	}
	assert.Equal(t, []int{3, 1, 4, 1, 5, 9, 2, 6}, drain(t, fifo))
	assert.Equal(t, []int{6, 2, 9, 5, 1, 4, 1, 3}, drain(t, lifo))
	assert.Equal(t, []int{1, 1, 2, 3, 4, 5, 6, 9}, drain(t, prio))
	assert.Equal(t, []int{3, 1, 4, 1, 5, 9, 2, 6}, drain(t, &zero))
}

func TestQueueRingWrapsAndGrows(t *testing.T) {
	q := queue.New[int]()
	next, want := 0, 0
	for round := range 50 {
		for range round % 7 * 5 {
			require.True(t, q.TryPut(next))
			next++
		}
		for range round % 5 * 6 {
			v, ok := q.TryGet()
			if !ok {
				break
			}
			require.Equal(t, want, v)
			want++
		}
	}
	assert.Equal(t, next-want, q.Len())
}

func TestQueueBoundedTryPutAndCap(t *testing.T) {
	q := queue.New[int](queue.WithCapacity(2))
	assert.Equal(t, 2, q.Cap())
	assert.Equal(t, 0, queue.New[int]().Cap())
	assert.True(t, q.TryPut(1))
	assert.True(t, q.TryPut(2))
	assert.False(t, q.TryPut(3), "full")
	assert.False(t, q.Closed())
	assert.Equal(t, 2, q.Len())
}

func TestQueuePutBlocksWhileFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := queue.New[int](queue.WithCapacity(1))
		require.NoError(t, q.Put(bg, 1))
		done := make(chan error, 1)
		go func() { done <- q.Put(bg, 2) }()
		synctest.Wait()
		require.Empty(t, done, "Put must block on a full queue")
		v, err := q.Get(bg)
		require.NoError(t, err)
		assert.Equal(t, 1, v)
		require.NoError(t, <-done)
		v, _ = q.TryGet()
		assert.Equal(t, 2, v)
	})
}

func TestQueueGetBlocksUntilPut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := queue.New[string]()
		got := make(chan string, 1)
		go func() { v, _ := q.Get(bg); got <- v }()
		synctest.Wait()
		require.Empty(t, got)
		require.NoError(t, q.Put(bg, "x"))
		assert.Equal(t, "x", <-got)
	})
}

func TestQueueContextCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := queue.New[int](queue.WithCapacity(1))
		cause := errors.New("gave up")
		ctx, cancel := context.WithCancelCause(bg)
		errs := make(chan error, 2)
		go func() { _, err := queue.New[int]().Get(ctx); errs <- err }()
		require.NoError(t, q.Put(bg, 1))
		go func() { errs <- q.Put(ctx, 2) }()
		synctest.Wait()
		cancel(cause)
		require.ErrorIs(t, <-errs, cause)
		require.ErrorIs(t, <-errs, cause)
		assert.Equal(t, 1, q.Len(), "a canceled Put adds nothing")
	})
}

func TestQueueBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := queue.New[int](queue.WithCapacity(8))
		buf := make([]int, 3)
		assert.Equal(t, 0, q.TryGetBatch(buf))
		got := make(chan []int, 1)
		go func() {
			n, err := q.GetBatch(bg, buf)
			if err != nil {
				got <- nil
				return
			}
			got <- append([]int(nil), buf[:n]...)
		}()
		synctest.Wait()
		require.NoError(t, q.Put(bg, 1))
		assert.Equal(t, []int{1}, <-got, "GetBatch returns what is there")
		for i := range 5 {
			require.NoError(t, q.Put(bg, i))
		}
		n := q.TryGetBatch(buf)
		assert.Equal(t, []int{0, 1, 2}, buf[:n])
		assert.Equal(t, 2, q.Len())
		assert.Panics(t, func() { _, _ = q.GetBatch(bg, nil) })
	})
}

func TestQueueAll(t *testing.T) {
	q := queue.New[int]()
	for i := range 5 {
		require.NoError(t, q.Put(bg, i))
	}
	q.Close()
	var got []int
	for v := range q.All(bg) {
		got = append(got, v)
		if v == 2 {
			break
		}
	}
	assert.Equal(t, []int{0, 1, 2}, got)
	for v := range q.All(bg) {
		got = append(got, v)
	}
	assert.Equal(t, []int{0, 1, 2, 3, 4}, got, "a break takes nothing more")
}

func TestQueueConcurrentWaitersAllServed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := queue.New[int](queue.WithCapacity(1))
		var wg sync.WaitGroup
		const n = 20
		sum := make(chan int, n)
		for i := range n {
			wg.Go(func() { _ = q.Put(bg, i) })
			wg.Go(func() { v, _ := q.Get(bg); sum <- v })
		}
		wg.Wait()
		total := 0
		for range n {
			total += <-sum
		}
		assert.Equal(t, n*(n-1)/2, total)
	})
}

// explosiveLess is an int order that panics with "bad less" while
// *explode is set.
func explosiveLess() (less func(a, b int) bool, explode *bool) {
	explode = new(bool)
	return func(a, b int) bool {
		if *explode {
			panic("bad less")
		}
		return a < b
	}, explode
}

func TestPriorityQueueLessPanicReleasesLock(t *testing.T) {
	less, explode := explosiveLess()
	q := queue.NewPriority(less)
	require.NoError(t, q.Put(bg, 1))
	*explode = true
	assert.PanicsWithValue(t, "bad less", func() { _ = q.Put(bg, 2) })
	*explode = false
	assert.Equal(t, 2, q.Len(), "the queue is still usable")
}

// A Put whose less panics has added its item all the same, and counted it:
// Stop drops only what is left, and Join still waits for the item taken.
func TestPriorityQueueLessPanicInPutCountsItem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		less, explode := explosiveLess()
		q := queue.NewPriority(less)
		require.NoError(t, q.Put(bg, 1))
		*explode = true
		assert.PanicsWithValue(t, "bad less", func() { _ = q.Put(bg, 2) })
		*explode = false
		require.Equal(t, 2, q.Len())
		v, err := q.Get(bg) // taken, not yet marked done
		require.NoError(t, err)
		assert.Contains(t, []int{1, 2}, v)
		assert.Equal(t, 1, q.Stop())
		joined := make(chan error, 1)
		go func() { joined <- q.Join(bg) }()
		synctest.Wait()
		require.Empty(t, joined, "Join returned while a taken item was not marked done")
		require.NoError(t, q.TaskDone())
		require.NoError(t, <-joined)
	})
}

// A Get whose less panics takes nothing: a Put blocked on the full queue
// stays blocked, as the queue is still full, until a Get frees a slot and
// wakes it; every item is still there.
func TestPriorityQueueLessPanicInGetTakesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		less, explode := explosiveLess()
		q := queue.NewPriority(less, queue.WithCapacity(3))
		ctx, cancel := context.WithCancel(bg)
		defer cancel() // unblocks the Put if the test fails first
		for i := range 3 {
			require.NoError(t, q.Put(ctx, i))
		}
		putDone := make(chan error, 1)
		go func() { putDone <- q.Put(ctx, 9) }()
		synctest.Wait()
		*explode = true
		assert.PanicsWithValue(t, "bad less", func() { _, _ = q.Get(ctx) })
		*explode = false
		synctest.Wait()
		require.Equal(t, q.Cap(), q.Len(), "the Get whose less panicked took an item")
		require.Empty(t, putDone, "Put returned while the queue was full")
		v, err := q.Get(ctx)
		require.NoError(t, err)
		require.NoError(t, <-putDone)
		got := append(drain(t, q), v)
		assert.ElementsMatch(t, []int{0, 1, 2, 9}, got)
		for range got {
			require.NoError(t, q.TaskDone())
		}
		require.NoError(t, q.Join(ctx))
	})
}

// A batch get whose less panics takes no item at all, and leaves buf alone:
// an item left in buf would be taken with no count to tell the caller.
func TestPriorityQueueLessPanicInGetBatchTakesNothing(t *testing.T) {
	less, explode := explosiveLess()
	q := queue.NewPriority(less)
	for i := range 6 {
		require.NoError(t, q.Put(bg, i))
	}
	buf := []int{-1, -1, -1, -1}
	*explode = true
	assert.PanicsWithValue(t, "bad less", func() { q.TryGetBatch(buf) })
	assert.PanicsWithValue(t, "bad less", func() { _, _ = q.GetBatch(bg, buf) })
	*explode = false
	assert.Equal(t, []int{-1, -1, -1, -1}, buf)
	require.Equal(t, 6, q.Len())
	n := q.TryGetBatch(buf)
	got := append(buf[:n:n], drain(t, q)...)
	assert.ElementsMatch(t, []int{0, 1, 2, 3, 4, 5}, got)
}
