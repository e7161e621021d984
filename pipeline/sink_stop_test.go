package pipeline_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline"
)

// Once the run has stopped, a sink hands no further item to its callback or
// loop body, even one of the chunk it is in the middle of: no new callback
// starts, and results not yet delivered are discarded (found by
// FuzzPipelineEdges).
func TestSinkDeliversNothingAfterStop(t *testing.T) {
	stop := errors.New("enough")
	items := []int{0, 1, 2, 3, 4, 5, 6, 7} // one chunk
	type sink func(ctx context.Context, s *pipeline.Stream[int], cancel context.CancelCauseFunc) (seen int, err error)
	sinks := map[string]sink{
		"ForEach": func(ctx context.Context, s *pipeline.Stream[int], cancel context.CancelCauseFunc) (int, error) {
			seen := 0
			err := pipeline.ForEach(ctx, s, func(context.Context, int) error {
				if seen++; seen == 3 {
					cancel(stop)
				}
				return nil
			})
			return seen, err
		},
		"Reduce": func(ctx context.Context, s *pipeline.Stream[int], cancel context.CancelCauseFunc) (int, error) {
			return pipeline.Reduce(ctx, s, 0, func(seen, _ int) (int, error) {
				if seen++; seen == 3 {
					cancel(stop)
				}
				return seen, nil
			})
		},
		"All": func(ctx context.Context, s *pipeline.Stream[int], cancel context.CancelCauseFunc) (int, error) {
			seen := 0
			for _, err := range pipeline.All(ctx, s) {
				if err != nil {
					return seen, err
				}
				if seen++; seen == 3 {
					cancel(stop)
				}
			}
			return seen, nil
		},
	}
	for name, run := range sinks {
		t.Run(name+" caller's context", func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(bg)
			defer cancel(nil)
			s := pipeline.FromSlice(items)
			seen, err := run(ctx, s, cancel)
			require.ErrorIs(t, err, stop)
			assert.Equal(t, 3, seen, "items delivered after the caller's context was canceled")
			st := s.Stats()
			assert.Equal(t, int64(3), st.Out)
			assert.Equal(t, int64(len(items)-3), st.Dropped)
		})
	}

	// A stage fails while the sink is in the middle of a chunk.
	t.Run("stage error", func(t *testing.T) {
		failed := errors.New("stage failed")
		first := make(chan struct{})
		bad := pipeline.Map(pipeline.FromSlice([]int{-1}), func(context.Context, int) (int, error) {
			<-first
			return 0, failed
		})
		seen := 0
		err := pipeline.ForEach(bg, pipeline.Merge(pipeline.FromSlice(items), bad), func(ctx context.Context, _ int) error {
			if seen++; seen == 1 {
				close(first)
				<-ctx.Done() // the stage has failed
			}
			return nil
		})
		require.ErrorIs(t, err, failed)
		assert.Equal(t, 1, seen, "items delivered after a stage failed")
	})
}
