package pipeline_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline"
)

// An error SkipErrors skipped counts in Stats.Errors even when a later item
// of the same claim stops the run with a panic or runtime.Goexit; it was
// counted as dropped, as the claim's results were.
func TestSkippedErrorCountsWhenItsClaimFails(t *testing.T) {
	for name, stop := range map[string]func(){
		"panic":  func() { panic("two") },
		"Goexit": runtime.Goexit,
	} {
		t.Run(name, func(t *testing.T) {
			// One chunk of cheap items: after the first, one claim holds
			// the rest.
			m := pipeline.Map(pipeline.FromSlice(seq(10)), func(_ context.Context, v int) (int, error) {
				switch v {
				case 1:
					return 0, errBoom
				case 2:
					stop()
				}
				return v, nil
			}, pipeline.WithErrorPolicy(pipeline.SkipErrors))
			_, err := pipeline.Collect(bg, m)
			require.Error(t, err)
			st := m.Stats()
			assert.Equal(t, int64(1), st.Errors, "%+v", st)
			assert.Equal(t, st.In, st.Out+st.Errors+st.Dropped, "%+v", st)
		})
	}
}
