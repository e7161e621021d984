package pipeline_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline"
	"github.com/weftgo/weft/pipeline/queue"
)

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func double(_ context.Context, x int) (int, error) { return 2 * x, nil }

func TestMapFilterFlatMapOrdered(t *testing.T) {
	for _, conc := range []int{1, 2, 7} {
		opts := []pipeline.StageOption{pipeline.WithConcurrency(conc), pipeline.WithOrdered(), pipeline.WithChunkSize(3)}
		src := pipeline.FromSlice(seq(1000), pipeline.WithChunkSize(5))
		m := pipeline.Map(src, double, opts...)
		f := pipeline.Filter(m, func(_ context.Context, x int) (bool, error) { return x%3 == 0, nil }, opts...)
		fm := pipeline.FlatMap(f, func(_ context.Context, x int) ([]string, error) {
			return []string{strconv.Itoa(x), "."}, nil
		}, opts...)
		got, err := pipeline.Collect(bg, fm)
		require.NoError(t, err)
		var want []string
		for i := range 1000 {
			if 2*i%3 == 0 {
				want = append(want, strconv.Itoa(2*i), ".")
			}
		}
		assert.Equal(t, want, got, "concurrency %d", conc)
	}
}

func TestUnorderedKeepsEveryItem(t *testing.T) {
	src := pipeline.FromSlice(seq(10000))
	m := pipeline.Map(src, double, pipeline.WithConcurrency(4))
	got, err := pipeline.Collect(bg, m)
	require.NoError(t, err)
	slices.Sort(got)
	want := seq(10000)
	for i := range want {
		want[i] *= 2
	}
	assert.Equal(t, want, got)
}

func TestSources(t *testing.T) {
	ch := make(chan int, 10)
	for i := range 10 {
		ch <- i
	}
	close(ch)
	got, err := pipeline.Collect(bg, pipeline.FromChan(ch, pipeline.WithChunkSize(4)))
	require.NoError(t, err)
	assert.Equal(t, seq(10), got)

	got, err = pipeline.Collect(bg, pipeline.FromSeq(ints(1000)))
	require.NoError(t, err)
	assert.Equal(t, seq(1000), got)

	q := queue.New[int]()
	for i := range 300 {
		require.NoError(t, q.Put(bg, i))
	}
	q.Close()
	got, err = pipeline.Collect(bg, pipeline.FromQueue(q))
	require.NoError(t, err)
	assert.Equal(t, seq(300), got)

	got, err = pipeline.Collect(bg, pipeline.FromSlice[int](nil))
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestReduceAndForEach(t *testing.T) {
	sum, err := pipeline.Reduce(bg, pipeline.FromSlice(seq(101)), 0, func(a, x int) (int, error) { return a + x, nil })
	require.NoError(t, err)
	assert.Equal(t, 5050, sum)
	var got []int
	err = pipeline.ForEach(bg, pipeline.FromSlice(seq(5)), func(_ context.Context, v int) error {
		got = append(got, v)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, seq(5), got)
}

func TestAllIterator(t *testing.T) {
	var got []int
	for v, err := range pipeline.All(bg, pipeline.Map(pipeline.FromSlice(seq(10)), double)) {
		require.NoError(t, err)
		got = append(got, v)
	}
	assert.Equal(t, []int{0, 2, 4, 6, 8, 10, 12, 14, 16, 18}, got)
}

func TestStreamConsumedTwicePanics(t *testing.T) {
	src := pipeline.FromSlice(seq(10))
	_, err := pipeline.Collect(bg, src)
	require.NoError(t, err)
	assert.PanicsWithValue(t, "pipeline: stream consumed twice; use Tee to feed several stages", func() {
		_, _ = pipeline.Collect(bg, src)
	})
}

var errBoom = errors.New("boom")

func TestErrorPolicies(t *testing.T) {
	failOdd := func(_ context.Context, x int) (int, error) {
		if x%2 == 1 {
			return 0, errBoom
		}
		return x, nil
	}
	_, err := pipeline.Collect(bg, pipeline.Map(pipeline.FromSlice(seq(100)), failOdd))
	require.ErrorIs(t, err, errBoom)

	m := pipeline.Map(pipeline.FromSlice(seq(100)), failOdd, pipeline.WithErrorPolicy(pipeline.SkipErrors))
	got, err := pipeline.Collect(bg, m)
	require.NoError(t, err)
	assert.Len(t, got, 50)
	assert.Equal(t, int64(50), m.Stats().Errors)

	m = pipeline.Map(pipeline.FromSlice(seq(10)), failOdd, pipeline.WithErrorPolicy(pipeline.CollectErrors))
	got, err = pipeline.Collect(bg, m)
	assert.Equal(t, []int{0, 2, 4, 6, 8}, got)
	require.ErrorIs(t, err, errBoom)
	var joined interface{ Unwrap() []error }
	require.ErrorAs(t, err, &joined)
	assert.Len(t, joined.Unwrap(), 5)
}

func TestStats(t *testing.T) {
	src := pipeline.FromSlice(seq(1000), pipeline.WithName("numbers"))
	f := pipeline.Filter(src, func(_ context.Context, x int) (bool, error) { return x < 10, nil })
	_, err := pipeline.Collect(bg, f)
	require.NoError(t, err)
	assert.Equal(t, pipeline.Stats{Name: "numbers", In: 1000, Out: 1000}, src.Stats())
	assert.Equal(t, pipeline.Stats{Name: "filter", In: 1000, Out: 10}, f.Stats())
}

// A source that blocks after yielding still gets its items through at once.
func TestFromSeqPassesItemsOnWhileBlocked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		unblock := make(chan struct{})
		src := pipeline.FromSeq(func(yield func(int) bool) {
			for i := range 3 {
				if !yield(i) {
					return
				}
			}
			<-unblock
			yield(3)
		})
		got := make(chan int, 4)
		done := make(chan error, 1)
		go func() {
			done <- pipeline.ForEach(bg, src, func(_ context.Context, v int) error { got <- v; return nil })
		}()
		synctest.Wait()
		require.Len(t, got, 3, "items yielded before the source blocked must arrive")
		close(unblock)
		require.NoError(t, <-done)
		assert.Len(t, got, 4)
	})
}

// An ordered stage after a stage whose output is not sequenced (unordered
// workers, Merge) keeps every item, with a tiny window and batches of one.
func TestOrderedAfterUnsequencedInput(t *testing.T) {
	un := pipeline.Map(pipeline.FromSlice(seq(3000), pipeline.WithChunkSize(1)), double,
		pipeline.WithConcurrency(4), pipeline.WithChunkSize(1))
	merged := pipeline.Merge(un, pipeline.FromSlice(seq(100)))
	ord := pipeline.Map(merged, func(_ context.Context, v int) (int, error) { return v, nil },
		pipeline.WithConcurrency(3), pipeline.WithOrdered(), pipeline.WithReorderWindow(3))
	got, err := pipeline.Collect(bg, ord)
	require.NoError(t, err)
	assert.Len(t, got, 3100)
}

func TestOptionMisusePanics(t *testing.T) {
	for name, f := range map[string]func(){
		"concurrency": func() { pipeline.WithConcurrency(0) },
		"window":      func() { pipeline.WithReorderWindow(0) },
		"buffer":      func() { pipeline.WithBuffer(-1) },
		"chunk":       func() { pipeline.WithChunkSize(0) },
		"policy":      func() { pipeline.WithErrorPolicy(pipeline.ErrorPolicy(9)) },
		"rate":        func() { pipeline.WithRateLimit(1, 0) },
		"tee":         func() { pipeline.Tee(pipeline.FromSlice(seq(1)), 0) },
		"tumbling":    func() { pipeline.Tumbling(pipeline.FromSlice(seq(1)), 0) },
		"sliding":     func() { pipeline.Sliding(pipeline.FromSlice(seq(1)), time.Second, 0) },
	} {
		assert.Panics(t, f, name)
	}
	// Messages name the package.
	assert.PanicsWithValue(t, "pipeline: concurrency 0 must be at least 1", func() { pipeline.WithConcurrency(0) })
}
