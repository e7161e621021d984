package pipeline_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline"
)

// An ordered stage keeps working past a slow item until its reorder window
// is full, whatever its concurrency, and then waits.
func TestOrderedWindowSeparateFromConcurrency(t *testing.T) {
	for _, window := range []int{2, 4, 9} {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			var started atomic.Int64
			src := pipeline.FromSeq(forever(), pipeline.WithChunkSize(1))
			m := pipeline.Map(src, func(_ context.Context, v int) (int, error) {
				started.Add(1)
				if v == 0 {
					<-release
				}
				return v, nil
			}, pipeline.WithConcurrency(2), pipeline.WithOrdered(), pipeline.WithReorderWindow(window))
			got := make(chan []int, 1)
			go func() {
				var first []int
				for v, err := range pipeline.All(bg, m) {
					if err != nil || len(first) == 3*window {
						break
					}
					first = append(first, v)
				}
				got <- first
			}()
			synctest.Wait()
			assert.Equal(t, int64(window), started.Load(),
				"window %d: items started while item 0 is slow", window)
			// In flight: item 0, and the next item, taken from the input
			// and waiting for room; the rest of the window waits for its
			// turn.
			st := m.Stats()
			assert.Equal(t, int64(2), st.InFlight)
			assert.Equal(t, int64(window-1), st.Buffered)
			close(release)
			assert.Equal(t, seq(3*window), <-got, "order kept")
		})
	}
}

// An endless source feeding a consumer that stops consuming reads only as
// far as the buffers allow.
func TestBackpressureBoundsMemory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := pipeline.FromSeq(forever(), pipeline.WithChunkSize(10), pipeline.WithBuffer(2))
		m := pipeline.Map(src, double, pipeline.WithConcurrency(3), pipeline.WithChunkSize(10), pipeline.WithBuffer(2))
		hold := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- pipeline.ForEach(bg, m, func(context.Context, int) error {
				<-hold
				return errBoom
			})
		}()
		synctest.Wait()
		// Source: 2 batches buffered + 1 being sent + 10 pending in its
		// handoff; map: 3 workers, 2 buffered, 1 at the sink.
		st := src.Stats()
		assert.LessOrEqual(t, st.In, int64((2+1+3+2+1)*10+10), "source read %d items", st.In)
		ms := m.Stats()
		assert.LessOrEqual(t, ms.Buffered, int64(50), "map output: 2 batches buffered, 3 waiting to enter")
		assert.Positive(t, ms.Buffered)
		assert.Zero(t, ms.InFlight, "every worker is blocked sending")
		close(hold)
		require.ErrorIs(t, <-done, errBoom)
	})
}

func TestStatsWhileRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan int)
		gate := make(chan struct{})
		src := pipeline.FromChan(ch, pipeline.WithName("input"))
		m := pipeline.Map(src, func(_ context.Context, v int) (int, error) {
			<-gate
			return v, nil
		}, pipeline.WithName("slow"))
		done := make(chan []int, 1)
		go func() { out, _ := pipeline.Collect(bg, m); done <- out }()
		ch <- 1
		synctest.Wait()
		assert.Equal(t, pipeline.Stats{Name: "slow", In: 1, InFlight: 1}, m.Stats())
		assert.Equal(t, pipeline.Stats{Name: "input", In: 1, Out: 1}, src.Stats())
		close(gate)
		close(ch)
		assert.Equal(t, []int{1}, <-done)
		assert.Equal(t, pipeline.Stats{Name: "slow", In: 1, Out: 1}, m.Stats())
	})
}
