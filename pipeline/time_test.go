package pipeline_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline"
)

type at[T any] struct {
	V  T
	At time.Duration
}

// collectTimed runs s in the background and reports every item with the
// fake time it reached the sink.
func collectTimed[T any](s *pipeline.Stream[T]) (<-chan []at[T], <-chan error) {
	start := time.Now()
	got := make(chan []at[T], 1)
	errc := make(chan error, 1)
	go func() {
		var all []at[T]
		err := pipeline.ForEach(bg, s, func(_ context.Context, v T) error {
			all = append(all, at[T]{v, time.Since(start)})
			return nil
		})
		got <- all
		errc <- err
	}()
	return got, errc
}

// feed sends items on ch at the given offsets from now, then closes it.
func feed[T any](ch chan<- T, items []at[T]) {
	start := time.Now()
	for _, it := range items {
		time.Sleep(it.At - time.Since(start))
		ch <- it.V
	}
	close(ch)
}

func TestBatchBySizeAndMaxWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan string)
		go feed(ch, []at[string]{
			{"a", 0}, {"b", 0}, {"c", 0}, // full batch at once
			{"d", 2 * time.Second}, {"e", 2500 * time.Millisecond}, // timer from d
			{"f", 5 * time.Second}, {"g", 5 * time.Second}, {"h", 5200 * time.Millisecond},
			{"i", 7 * time.Second}, // input ends at 7s: partial batch at once
		})
		got, errc := collectTimed(pipeline.Batch(pipeline.FromChan(ch), 3, time.Second))
		require.NoError(t, <-errc)
		assert.Equal(t, []at[[]string]{
			{[]string{"a", "b", "c"}, 0},
			{[]string{"d", "e"}, 3 * time.Second},
			{[]string{"f", "g", "h"}, 5200 * time.Millisecond},
			{[]string{"i"}, 7 * time.Second},
		}, <-got)
	})
}

func TestBatchWithoutMaxWait(t *testing.T) {
	got, err := pipeline.Collect(bg, pipeline.Batch(pipeline.FromSlice(seq(7)), 3, 0))
	require.NoError(t, err)
	assert.Equal(t, [][]int{{0, 1, 2}, {3, 4, 5}, {6}}, got)
	assert.Panics(t, func() { pipeline.Batch(pipeline.FromSlice(seq(1)), 0, 0) })
}

func TestTumblingWindows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan string)
		go feed(ch, []at[string]{
			{"a", 100 * time.Millisecond}, {"b", 900 * time.Millisecond},
			{"c", 2500 * time.Millisecond}, // nothing in [1s, 2s): no window
			{"d", 3100 * time.Millisecond},
		})
		got, errc := collectTimed(pipeline.Tumbling(pipeline.FromChan(ch), time.Second))
		require.NoError(t, <-errc)
		assert.Equal(t, []at[[]string]{
			{[]string{"a", "b"}, time.Second},
			{[]string{"c"}, 3 * time.Second},
			{[]string{"d"}, 3100 * time.Millisecond}, // input ended
		}, <-got)
	})
}

func TestSlidingWindows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan string)
		go feed(ch, []at[string]{
			{"a", 500 * time.Millisecond}, {"b", 1500 * time.Millisecond},
			{"c", 4200 * time.Millisecond},
			// Not at 6s: synctest runs the timers of one instant one by
			// one, so d could come before or after that tick.
			{"d", 6100 * time.Millisecond},
		})
		got, errc := collectTimed(pipeline.Sliding(pipeline.FromChan(ch), 2*time.Second, time.Second))
		require.NoError(t, <-errc)
		assert.Equal(t, []at[[]string]{
			{[]string{"a"}, time.Second},
			{[]string{"a", "b"}, 2 * time.Second},
			{[]string{"b"}, 3 * time.Second},
			{[]string{"c"}, 5 * time.Second},
			{[]string{"c"}, 6 * time.Second},
			{[]string{"c", "d"}, 6100 * time.Millisecond}, // input ended with d fresh
		}, <-got)
	})
}

func TestRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var started []time.Duration
		m := pipeline.Map(pipeline.FromSlice(seq(5)), func(_ context.Context, v int) (int, error) {
			started = append(started, time.Since(start))
			return v, nil
		}, pipeline.WithRateLimit(2, time.Second))
		got, errc := collectTimed(m)
		require.NoError(t, <-errc)
		ms := time.Millisecond
		assert.Equal(t, []time.Duration{0, 500 * ms, 1000 * ms, 1500 * ms, 2000 * ms}, started)
		// Each item reaches the sink as soon as it is processed: pacing
		// never holds back an item already allowed.
		assert.Equal(t, []at[int]{{0, 0}, {1, 500 * ms}, {2, 1000 * ms}, {3, 1500 * ms}, {4, 2000 * ms}}, <-got)
	})
}

func TestRateLimitIdleDoesNotBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan string)
		go feed(ch, []at[string]{{"a", 0}, {"b", 5 * time.Second}, {"c", 5 * time.Second}})
		m := pipeline.Map(pipeline.FromChan(ch), func(_ context.Context, v string) (string, error) { return v, nil },
			pipeline.WithRateLimit(1, time.Second))
		got, errc := collectTimed(m)
		require.NoError(t, <-errc)
		assert.Equal(t, []at[string]{{"a", 0}, {"b", 5 * time.Second}, {"c", 6 * time.Second}}, <-got)
	})
}

func TestWindowsStopOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan int) // never closed
		ctx, cancel := context.WithTimeout(bg, 10*time.Second)
		defer cancel()
		src := pipeline.Merge(
			pipeline.Batch(pipeline.FromChan(ch), 10, time.Second),
			pipeline.Tumbling(pipeline.FromSeq(ints(3)), time.Second),
			pipeline.Sliding(pipeline.FromSeq(ints(3)), time.Second, time.Second),
		)
		_, err := pipeline.Collect(ctx, src)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

// An item that arrives after its slot, because the input was idle, goes at
// once, and the next one an interval after it: catching up on the missed
// slot would let two items go half an interval apart.
func TestRateLimitLateInputKeepsSpacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan string)
		ms := time.Millisecond
		go feed(ch, []at[string]{{"a", 0}, {"b", 1500 * ms}, {"c", 1500 * ms}})
		m := pipeline.Map(pipeline.FromChan(ch), func(_ context.Context, v string) (string, error) { return v, nil },
			pipeline.WithRateLimit(1, time.Second))
		got, errc := collectTimed(m)
		require.NoError(t, <-errc)
		assert.Equal(t, []at[string]{{"a", 0}, {"b", 1500 * ms}, {"c", 2500 * ms}}, <-got)
	})
}

// When every worker is busy, an item enters the stage only once a worker
// takes it, and the next one an interval after that: the items held up
// must not go together to make up for the lost time.
func TestRateLimitBusyStageKeepsSpacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var started []time.Duration
		m := pipeline.Map(pipeline.FromSlice(seq(4)), func(_ context.Context, v int) (int, error) {
			started = append(started, time.Since(start))
			if v == 0 {
				time.Sleep(2500 * time.Millisecond)
			}
			return v, nil
		}, pipeline.WithRateLimit(1, time.Second))
		_, errc := collectTimed(m)
		require.NoError(t, <-errc)
		ms := time.Millisecond
		assert.Equal(t, []time.Duration{0, 2500 * ms, 3500 * ms, 4500 * ms}, started)
	})
}

// Items enter at most n per period even when per/n is not a whole number
// of nanoseconds.
func TestRateLimitRoundsIntervalUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var started []time.Duration
		m := pipeline.Map(pipeline.FromSlice(seq(4)), func(_ context.Context, v int) (int, error) {
			started = append(started, time.Since(start))
			return v, nil
		}, pipeline.WithRateLimit(3, time.Second))
		_, errc := collectTimed(m)
		require.NoError(t, <-errc)
		require.Len(t, started, 4)
		assert.GreaterOrEqual(t, started[3]-started[0], time.Second, "4 starts in %v", started)
	})
}

// In an ordered stage whose reorder window is full, the rate limit holds an
// item back until there is room: held up in the window after it entered,
// it would start together with the items behind it.
func TestRateLimitOrderedWindowKeepsSpacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var mu sync.Mutex
		var started []time.Duration
		m := pipeline.Map(pipeline.FromSlice(seq(4)), func(_ context.Context, v int) (int, error) {
			mu.Lock()
			started = append(started, time.Since(start))
			mu.Unlock()
			if v == 0 {
				time.Sleep(5 * time.Second)
			}
			return v, nil
		}, pipeline.WithConcurrency(2), pipeline.WithOrdered(), pipeline.WithReorderWindow(2), pipeline.WithRateLimit(1, time.Second))
		got, errc := collectTimed(m)
		require.NoError(t, <-errc)
		s := time.Second
		assert.Equal(t, []time.Duration{0, s, 5 * s, 6 * s}, started)
		assert.Equal(t, []at[int]{{0, 5 * s}, {1, 5 * s}, {2, 5 * s}, {3, 6 * s}}, <-got)
	})
}
