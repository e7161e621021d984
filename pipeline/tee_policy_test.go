package pipeline_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline"
)

// Errors collected upstream of a Tee are returned by the sink of every
// branch that reads the whole input, with the branch's own, in the order
// they were returned (found by FuzzPipelineFan: they were lost).
func TestTeeReturnsErrorsCollectedUpstream(t *testing.T) {
	errOdd := errors.New("odd")
	m := pipeline.Map(pipeline.FromSlice(seq(10)), func(_ context.Context, v int) (int, error) {
		if v%2 == 1 {
			return 0, errOdd
		}
		return v, nil
	}, pipeline.WithErrorPolicy(pipeline.CollectErrors))
	branches := pipeline.Tee(m, 2)
	errc := make(chan error, 1)
	go func() {
		errc <- pipeline.ForEach(bg, branches[1], func(_ context.Context, v int) error {
			if v == 4 {
				return errBoom
			}
			return nil
		}, pipeline.WithErrorPolicy(pipeline.CollectErrors))
	}()
	got, err := pipeline.Collect(bg, branches[0])
	assert.Equal(t, []int{0, 2, 4, 6, 8}, got)
	var joined interface{ Unwrap() []error }
	require.ErrorAs(t, err, &joined)
	assert.Equal(t, []error{errOdd, errOdd, errOdd, errOdd, errOdd}, joined.Unwrap())

	err = <-errc
	require.ErrorAs(t, err, &joined)
	all := joined.Unwrap()
	assert.Len(t, all, 6)
	assert.ErrorIs(t, err, errBoom)
	assert.ErrorIs(t, err, errOdd)
}
