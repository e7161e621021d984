package pipeline_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/weftgo/weft/pipeline"
)

// TestStressWindowsSlowConsumer runs Tumbling and Sliding on the real clock
// behind input that comes in bursts and a receiver that is slow at random,
// several at once: Tumbling must deliver every item once, in order; Sliding
// windows of a size far above the period must be runs of the input moving
// forward that together hold every item; and the counters must settle.
func TestStressWindowsSlowConsumer(t *testing.T) {
	stressParallel(t, 20, 4, stressWindowsOnce)
}

func stressWindowsOnce(rng *rand.Rand) string {
	n := rng.IntN(200)
	period := time.Duration(200+rng.IntN(800)) * time.Microsecond
	sliding := rng.IntN(2) == 0
	ch := make(chan int, rng.IntN(3))
	src := pipeline.FromChan(ch, pipeline.WithChunkSize(1+rng.IntN(8)), pipeline.WithBuffer(rng.IntN(3)))
	opts := []pipeline.Option{pipeline.WithBuffer(rng.IntN(3)), pipeline.WithChunkSize(1 + rng.IntN(2))}
	var s *pipeline.Stream[[]int]
	if sliding {
		s = pipeline.Sliding(src, time.Second, period, opts...)
	} else {
		s = pipeline.Tumbling(src, period, opts...)
	}
	// The random delays are drawn up front: rng is not safe for
	// concurrent use.
	pauses := make([]time.Duration, n)
	for i := range pauses {
		if rng.IntN(8) == 0 {
			pauses[i] = time.Duration(rng.IntN(3)) * period
		}
	}
	slow := make([]time.Duration, n+1) // a window per item at most, plus the last
	for i := range slow {
		slow[i] = time.Duration(rng.IntN(4)) * period / 2
	}
	go func() {
		for i := range n {
			time.Sleep(pauses[i]) // a burst ends
			ch <- i
		}
		close(ch)
	}()
	var got [][]int
	err := pipeline.ForEach(bg, s, func(_ context.Context, w []int) error {
		if len(got) < len(slow) {
			time.Sleep(slow[len(got)])
		}
		got = append(got, w)
		return nil
	})
	desc := fmt.Sprintf("sliding=%v period=%v n=%d", sliding, period, n)
	if err != nil {
		return fmt.Sprintf("%s: %v", desc, err)
	}
	seen := make([]bool, n)
	lo, hi := 0, -1
	for _, w := range got {
		if len(w) == 0 || !isRun(w) || w[0] < 0 || w[len(w)-1] >= n {
			return fmt.Sprintf("%s: window %v", desc, w)
		}
		if sliding && (w[0] < lo || w[len(w)-1] < hi) {
			return fmt.Sprintf("%s: window %v after items %d..%d", desc, w, lo, hi)
		}
		lo, hi = w[0], w[len(w)-1]
		for _, v := range w {
			if seen[v] && !sliding {
				return fmt.Sprintf("%s: item %d twice in %v", desc, v, got)
			}
			seen[v] = true
		}
	}
	if i := slices.Index(seen, false); i >= 0 {
		return fmt.Sprintf("%s: item %d in no window: %v", desc, i, got)
	}
	if !sliding && !slices.Equal(slices.Concat(got...), seq(n)) {
		return fmt.Sprintf("%s: windows %v", desc, got)
	}
	for _, st := range []pipeline.Stats{src.Stats(), s.Stats()} {
		if st.InFlight != 0 || st.Buffered != 0 || st.Dropped != 0 || st.In != int64(n) {
			return fmt.Sprintf("%s: %+v", desc, st)
		}
	}
	if st := s.Stats(); st.Out != int64(len(got)) {
		return fmt.Sprintf("%s: %d windows, %+v", desc, len(got), st)
	}
	return ""
}
