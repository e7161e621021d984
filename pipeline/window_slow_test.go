package pipeline_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline"
)

// collectSlow runs s in the background like collectTimed, but its consumer
// sleeps for late after every item, so the stage waits for it.
func collectSlow[T any](s *pipeline.Stream[T], late time.Duration) (<-chan []at[T], <-chan error) {
	start := time.Now()
	got := make(chan []at[T], 1)
	errc := make(chan error, 1)
	go func() {
		var all []at[T]
		err := pipeline.ForEach(bg, s, func(_ context.Context, v T) error {
			all = append(all, at[T]{v, time.Since(start)})
			time.Sleep(late)
			return nil
		})
		got <- all
		errc <- err
	}()
	return got, errc
}

// feedUntil sends items on ch at the given offsets from now, then closes
// it at end.
func feedUntil[T any](ch chan<- T, items []at[T], end time.Duration) {
	start := time.Now()
	for _, it := range items {
		time.Sleep(it.At - time.Since(start))
		ch <- it.V
	}
	time.Sleep(end - time.Since(start))
	close(ch)
}

// A window that waited for the receiver past its next ticks holds, when it
// is emitted, only the items of the last size before that moment: the
// tick the ticker kept while the window waited carries a stale time, which
// would let b (1.5s) into a window emitted at 4.5s.
func TestSlidingSlowConsumerHoldsOnlyTheLastSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan string)
		go feedUntil(ch, []at[string]{{"a", 500 * time.Millisecond}, {"b", 1500 * time.Millisecond}}, 10*time.Second)
		s := pipeline.Sliding(pipeline.FromChan(ch), 2*time.Second, time.Second, pipeline.WithBuffer(0))
		got, errc := collectSlow(s, 3500*time.Millisecond)
		require.NoError(t, <-errc)
		assert.Equal(t, []at[[]string]{
			{[]string{"a"}, time.Second},
			{[]string{"a", "b"}, 4500 * time.Millisecond}, // emitted at 2s
		}, <-got)
	})
}

// The ticks that come while a window waits for the receiver are skipped:
// the next window comes on the next tick after the receiver took it, with
// every item read since, not at once with whatever the stage read before
// the tick the ticker kept. Which of the two came first was chance, so the
// run is repeated.
func TestTumblingSlowConsumerSkipsMissedTicks(t *testing.T) {
	for range 20 {
		synctest.Test(t, func(t *testing.T) {
			ms := time.Millisecond
			ch := make(chan string)
			go feedUntil(ch, []at[string]{{"a", 500 * ms}, {"b", 1500 * ms}, {"c", 3000 * ms}, {"d", 4700 * ms}}, 10*time.Second)
			s := pipeline.Tumbling(pipeline.FromChan(ch), time.Second, pipeline.WithBuffer(0))
			got, errc := collectSlow(s, 3500*ms)
			require.NoError(t, <-errc)
			assert.Equal(t, []at[[]string]{
				{[]string{"a"}, time.Second},
				{[]string{"b"}, 4500 * ms},            // emitted at 2s
				{[]string{"c", "d"}, 8 * time.Second}, // emitted at 5s: c waited in FromChan's buffer
			}, <-got)
		})
		if t.Failed() {
			break
		}
	}
}

// Sliding skips the ticks that come while a window waits, too: the window
// after the wait comes on the next tick, not at once.
func TestSlidingSlowConsumerSkipsMissedTicks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ms := time.Millisecond
		ch := make(chan string)
		go feedUntil(ch, []at[string]{{"a", 500 * ms}, {"b", 1500 * ms}, {"c", 4700 * ms}}, 20*time.Second)
		s := pipeline.Sliding(pipeline.FromChan(ch), 4*time.Second, time.Second, pipeline.WithBuffer(0))
		got, errc := collectSlow(s, 3500*ms)
		require.NoError(t, <-errc)
		assert.Equal(t, []at[[]string]{
			{[]string{"a"}, time.Second},
			{[]string{"a", "b"}, 4500 * ms},       // emitted at 2s
			{[]string{"b", "c"}, 8 * time.Second}, // emitted at 5s
		}, <-got)
	})
}
