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

// With room for windows in its buffer, Tumbling emits on every tick while
// the receiver is slow, and skips ticks only while the buffer is full.
func TestTumblingSlowConsumerWithBuffer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ms := time.Millisecond
		ch := make(chan string)
		go feedUntil(ch, []at[string]{
			{"a", 250 * ms}, {"b", 1250 * ms}, {"c", 2250 * ms}, {"d", 3250 * ms},
			{"e", 4250 * ms}, {"f", 5250 * ms}, {"g", 6250 * ms}, {"h", 7250 * ms},
		}, 12500*ms)
		s := pipeline.Tumbling(pipeline.FromChan(ch), time.Second, pipeline.WithBuffer(2))
		got, errc := collectSlow(s, 3500*ms)
		require.NoError(t, <-errc)
		assert.Equal(t, []at[[]string]{
			{[]string{"a"}, time.Second},
			{[]string{"b"}, 4500 * ms}, // b, c emitted at 2s, 3s into the buffer
			{[]string{"c"}, 8 * time.Second},
			{[]string{"d"}, 11500 * ms},           // emitted at 4s, waited till 4.5s for room
			{[]string{"e"}, 15 * time.Second},     // emitted at 5s, waited till 8s
			{[]string{"f", "g", "h"}, 18500 * ms}, // the 6s tick skipped; emitted at 9s
		}, <-got)
	})
}

// While a window waits for the receiver, Tumbling reads no input: with no
// buffer upstream either, the producer's send waits too.
func TestTumblingSlowConsumerHoldsInputBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ms := time.Millisecond
		ch := make(chan string)
		sent := make(chan []time.Duration, 1)
		go func() {
			start := time.Now()
			var done []time.Duration
			for _, it := range []at[string]{{"a", 500 * ms}, {"b", 1500 * ms}, {"c", 2500 * ms}, {"d", 3200 * ms}} {
				time.Sleep(it.At - time.Since(start))
				ch <- it.V
				done = append(done, time.Since(start))
			}
			close(ch)
			sent <- done
		}()
		s := pipeline.Tumbling(pipeline.FromChan(ch, pipeline.WithBuffer(0)), time.Second, pipeline.WithBuffer(0))
		got, errc := collectSlow(s, 3500*ms)
		require.NoError(t, <-errc)
		// FromChan took c at once and held it: its send to Tumbling waited
		// with the window of b, from 2s to 4.5s, and d's send with it.
		assert.Equal(t, []time.Duration{500 * ms, 1500 * ms, 2500 * ms, 4500 * ms}, <-sent)
		assert.Equal(t, []at[[]string]{
			{[]string{"a"}, time.Second},
			{[]string{"b"}, 4500 * ms},
			{[]string{"c", "d"}, 8 * time.Second}, // the input ended at 4.5s
		}, <-got)
	})
}

// When the input ends while a window waits, the stage sees the end once
// the receiver has taken it, and emits the partial window then.
func TestWindowsInputEndsWhileAWindowWaits(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		make func(*pipeline.Stream[string]) *pipeline.Stream[[]string]
		want []at[[]string]
	}{
		{"tumbling", func(s *pipeline.Stream[string]) *pipeline.Stream[[]string] {
			return pipeline.Tumbling(s, time.Second, pipeline.WithBuffer(0))
		}, []at[[]string]{
			{[]string{"a"}, time.Second},
			{[]string{"b"}, 4500 * ms},
			{[]string{"c"}, 8 * time.Second}, // emitted at 4.5s, when the stage read c and the end
		}},
		{"sliding", func(s *pipeline.Stream[string]) *pipeline.Stream[[]string] {
			return pipeline.Sliding(s, 3500*ms, time.Second, pipeline.WithBuffer(0))
		}, []at[[]string]{
			{[]string{"a"}, time.Second},
			{[]string{"a", "b"}, 4500 * ms}, // emitted at 2s
			// Emitted at 4.5s: c arrived then, and a more than 3.5s before.
			{[]string{"b", "c"}, 8 * time.Second},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ch := make(chan string)
				go feedUntil(ch, []at[string]{{"a", 500 * ms}, {"b", 1500 * ms}, {"c", 2500 * ms}}, 3250*ms)
				got, errc := collectSlow(tc.make(pipeline.FromChan(ch)), 3500*ms)
				require.NoError(t, <-errc)
				assert.Equal(t, tc.want, <-got)
			})
		})
	}
}

// A cancel while a window waits for the receiver drops the window: the sink
// returns the cause once its callback returns, and the window and the
// items still upstream are counted as dropped.
func TestWindowsCancelWhileAWindowWaits(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		make func(*pipeline.Stream[string]) *pipeline.Stream[[]string]
		// Items and slices dropped: the window that waits at the cancel,
		// and the items Sliding holds.
		dropped int64
	}{
		{"tumbling", func(s *pipeline.Stream[string]) *pipeline.Stream[[]string] {
			return pipeline.Tumbling(s, time.Second, pipeline.WithBuffer(0))
		}, 1},
		{"sliding", func(s *pipeline.Stream[string]) *pipeline.Stream[[]string] {
			return pipeline.Sliding(s, 3*time.Second, time.Second, pipeline.WithBuffer(0))
		}, 1 + 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ch := make(chan string)
				fed := make(chan struct{})
				go func() {
					defer close(fed)
					feedUntil(ch, []at[string]{{"a", 500 * ms}, {"b", 1500 * ms}, {"c", 2500 * ms}}, 10*time.Second)
				}()
				defer func() { <-fed }()
				ctx, cancel := context.WithTimeout(bg, 3*time.Second)
				defer cancel()
				src := pipeline.FromChan(ch)
				s := tc.make(src)
				start := time.Now()
				var got []at[[]string]
				err := pipeline.ForEach(ctx, s, func(_ context.Context, w []string) error {
					got = append(got, at[[]string]{w, time.Since(start)})
					time.Sleep(3500 * ms)
					return nil
				})
				require.ErrorIs(t, err, context.DeadlineExceeded)
				assert.Equal(t, 4500*ms, time.Since(start))
				assert.Equal(t, []at[[]string]{{[]string{"a"}, time.Second}}, got)
				assert.Equal(t, pipeline.Stats{Name: tc.name, In: 2, Out: 1, Dropped: tc.dropped}, s.Stats())
				// c waited in FromChan's buffer.
				assert.Equal(t, pipeline.Stats{Name: "chan", In: 3, Out: 2, Dropped: 1}, src.Stats())
			})
		})
	}
}

// Sliding stamps an item when it reads it: c, sent while the window of 2s
// waited, arrived at 4.5s, so the window of 5s holds it (stamped when it
// was sent, it would be in no window).
func TestSlidingItemsSentDuringAWaitArriveAfterIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ms := time.Millisecond
		ch := make(chan string)
		go feedUntil(ch, []at[string]{{"a", 500 * ms}, {"b", 1500 * ms}, {"c", 2200 * ms}}, 10*time.Second)
		s := pipeline.Sliding(pipeline.FromChan(ch), 2*time.Second, time.Second, pipeline.WithBuffer(0))
		got, errc := collectSlow(s, 3500*ms)
		require.NoError(t, <-errc)
		assert.Equal(t, []at[[]string]{
			{[]string{"a"}, time.Second},
			{[]string{"a", "b"}, 4500 * ms},
			{[]string{"c"}, 8 * time.Second}, // emitted at 5s
		}, <-got)
	})
}

// A window holds the items that arrived less than size before it: an item
// that arrived exactly size before is out.
func TestSlidingSizeIsExclusive(t *testing.T) {
	for _, tc := range []struct {
		size time.Duration
		want [][]string
	}{
		{time.Second, nil},
		{time.Second + 1, [][]string{{"a"}}},
	} {
		synctest.Test(t, func(t *testing.T) {
			ch := make(chan string)
			go feedUntil(ch, []at[string]{{"a", 0}}, 1500*time.Millisecond)
			got, err := pipeline.Collect(bg, pipeline.Sliding(pipeline.FromChan(ch), tc.size, time.Second))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got, "size %v", tc.size)
		})
	}
}
