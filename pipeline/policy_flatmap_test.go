package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline"
)

// FlatMap and Filter read the error policy as Map does: under SkipErrors
// a failed item yields nothing and counts in Stats.Errors; under
// CollectErrors the sink also returns the errors, joined in the order they
// were returned: input order with concurrency 1.
func TestFlatMapAndFilterErrorPolicies(t *testing.T) {
	errOf := func(v int) error { return fmt.Errorf("item %d: %w", v, errBoom) }
	flat := func(s *pipeline.Stream[int], opts ...pipeline.StageOption) *pipeline.Stream[int] {
		return pipeline.FlatMap(s, func(_ context.Context, v int) ([]int, error) {
			if v%3 == 1 {
				return nil, errOf(v)
			}
			return []int{v, v}, nil
		}, opts...)
	}
	filter := func(s *pipeline.Stream[int], opts ...pipeline.StageOption) *pipeline.Stream[int] {
		return pipeline.Filter(s, func(_ context.Context, v int) (bool, error) {
			if v%3 == 1 {
				return false, errOf(v)
			}
			return v%2 == 0, nil
		}, opts...)
	}
	const n = 30
	var flatWant, filterWant []int
	var errsWant []error
	for v := range n {
		if v%3 == 1 {
			errsWant = append(errsWant, errOf(v))
			continue
		}
		flatWant = append(flatWant, v, v)
		if v%2 == 0 {
			filterWant = append(filterWant, v)
		}
	}
	for _, st := range []struct {
		name  string
		build func(*pipeline.Stream[int], ...pipeline.StageOption) *pipeline.Stream[int]
		want  []int
	}{{"FlatMap", flat, flatWant}, {"Filter", filter, filterWant}} {
		for _, conc := range []int{1, 4} {
			for _, policy := range []pipeline.ErrorPolicy{pipeline.SkipErrors, pipeline.CollectErrors} {
				t.Run(fmt.Sprintf("%s/conc=%d/%v", st.name, conc, policy), func(t *testing.T) {
					s := st.build(pipeline.FromSlice(seq(n), pipeline.WithChunkSize(4)),
						pipeline.WithConcurrency(conc), pipeline.WithOrdered(), pipeline.WithErrorPolicy(policy))
					got, err := pipeline.Collect(bg, s)
					assert.Equal(t, st.want, got, "items in input order, none of the failed ones")
					assert.Equal(t, int64(len(errsWant)), s.Stats().Errors)
					if policy == pipeline.SkipErrors {
						require.NoError(t, err)
						return
					}
					require.ErrorIs(t, err, errBoom)
					var joined interface{ Unwrap() []error }
					require.ErrorAs(t, err, &joined)
					errs := joined.Unwrap()
					if conc == 1 {
						assert.Equal(t, errsWant, errs, "joined in the order returned: input order")
					} else {
						assert.ElementsMatch(t, errsWant, errs)
					}
					for _, e := range errs {
						assert.True(t, errors.Is(e, errBoom))
					}
				})
			}
		}
	}
}
