package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline"
)

// statsOf reads a stage's counters whatever its item type.
type statsOf interface{ Stats() pipeline.Stats }

// checkInvariant checks the rules of [pipeline.Stats] once the sink has
// returned: chain lists the stages from the source to the last, delivered
// is how many items the sink's callback saw, and oneToOne says which
// stages emit one item per item (the others emit at most one).
func checkInvariant(t *testing.T, chain []statsOf, oneToOne []bool, delivered int64) {
	t.Helper()
	all := make([]pipeline.Stats, len(chain))
	for i, s := range chain {
		all[i] = s.Stats()
	}
	msg := fmt.Sprintf("%+v", all)
	for i, st := range all {
		assert.Zero(t, st.InFlight, "%s: in flight after the sink returned\n%s", st.Name, msg)
		assert.Zero(t, st.Buffered, "%s: buffered after the sink returned\n%s", st.Name, msg)
		accounted := st.Out + st.InFlight + st.Buffered + st.Errors + st.Dropped
		if oneToOne[i] {
			assert.Equal(t, st.In, accounted, "%s: In != Out+InFlight+Buffered+Errors+Dropped\n%s", st.Name, msg)
		} else {
			assert.LessOrEqual(t, accounted, st.In, "%s: more accounted for than taken\n%s", st.Name, msg)
		}
		if i+1 < len(all) {
			assert.Equal(t, st.Out, all[i+1].In, "%s: Out != In of %s\n%s", st.Name, all[i+1].Name, msg)
		} else {
			assert.Equal(t, delivered, st.Out, "%s: Out != items the sink saw\n%s", st.Name, msg)
		}
	}
}

// TestStatsInvariant runs a source → map → filter → map pipeline to the end,
// into a failure, an early break, a canceled context and a failing sink,
// with every concurrency mode, and checks the counters' rules each time.
func TestStatsInvariant(t *testing.T) {
	modes := map[string][]pipeline.StageOption{
		"serial":    nil,
		"unordered": {pipeline.WithConcurrency(3)},
		"ordered":   {pipeline.WithConcurrency(3), pipeline.WithOrdered(), pipeline.WithReorderWindow(4)},
		"chunk 7":   {pipeline.WithConcurrency(2), pipeline.WithChunkSize(7), pipeline.WithBuffer(1)},
	}
	stop := errors.New("stop")
	ends := map[string]struct {
		failAt int // the first map fails at this item; -1: never
		sink   func(ctx context.Context, s *pipeline.Stream[int], seen *int64) error
	}{
		"exhausted": {-1, func(ctx context.Context, s *pipeline.Stream[int], seen *int64) error {
			return pipeline.ForEach(ctx, s, func(context.Context, int) error { *seen++; return nil })
		}},
		"stage error": {300, func(ctx context.Context, s *pipeline.Stream[int], seen *int64) error {
			got, err := pipeline.Collect(ctx, s)
			*seen = int64(len(got))
			return err
		}},
		"break": {-1, func(ctx context.Context, s *pipeline.Stream[int], seen *int64) error {
			for _, err := range pipeline.All(ctx, s) {
				if err != nil {
					return err
				}
				if *seen++; *seen == 10 {
					return stop
				}
			}
			return nil
		}},
		"sink error": {-1, func(ctx context.Context, s *pipeline.Stream[int], seen *int64) error {
			_, err := pipeline.Reduce(ctx, s, 0, func(acc, v int) (int, error) {
				if *seen++; *seen == 200 {
					return acc, stop
				}
				return acc + v, nil
			})
			return err
		}},
		"ctx cancel": {-1, func(ctx context.Context, s *pipeline.Stream[int], seen *int64) error {
			ctx, cancel := context.WithCancelCause(ctx)
			return pipeline.ForEach(ctx, s, func(context.Context, int) error {
				if *seen++; *seen == 150 {
					cancel(stop)
				}
				return nil
			})
		}},
	}
	for mode, opts := range modes {
		for name, end := range ends {
			t.Run(mode+"/"+name, func(t *testing.T) {
				src := pipeline.FromSlice(seq(1000), pipeline.WithName("source"))
				m := pipeline.Map(src, func(_ context.Context, v int) (int, error) {
					if v == end.failAt {
						return 0, errBoom
					}
					return v, nil
				}, opts...)
				f := pipeline.Filter(m, func(_ context.Context, v int) (bool, error) { return v%3 != 0, nil }, opts...)
				skip := pipeline.Map(f, func(_ context.Context, v int) (int, error) {
					if v%10 == 1 {
						return 0, errBoom
					}
					return v, nil
				}, append([]pipeline.StageOption{pipeline.WithErrorPolicy(pipeline.SkipErrors)}, opts...)...)
				var seen int64
				err := end.sink(bg, skip, &seen)
				if name == "exhausted" {
					require.NoError(t, err)
				} else {
					require.Error(t, err)
				}
				checkInvariant(t, []statsOf{src, m, f, skip}, []bool{true, true, false, true}, seen)
				if name == "exhausted" {
					assert.Zero(t, skip.Stats().Dropped)
					assert.Positive(t, skip.Stats().Errors)
				}
			})
		}
	}
}

// The counters of Merge, Batch and a Tee branch follow the same rules.
func TestStatsInvariantFanInOut(t *testing.T) {
	t.Run("merge then break", func(t *testing.T) {
		a := pipeline.FromSeq(forever(), pipeline.WithName("a"))
		b := pipeline.FromSlice(seq(500), pipeline.WithName("b"))
		m := pipeline.Merge(a, b)
		var seen int64
		for range pipeline.All(bg, m) {
			if seen++; seen == 700 {
				break
			}
		}
		checkInvariant(t, []statsOf{m}, []bool{true}, seen)
		assert.Equal(t, a.Stats().Out+b.Stats().Out, m.Stats().In)
		for _, s := range []statsOf{a, b} {
			st := s.Stats()
			assert.Zero(t, st.InFlight+st.Buffered, st.Name)
			assert.Equal(t, st.In, st.Out+st.Dropped, st.Name)
		}
	})
	t.Run("batch then error", func(t *testing.T) {
		src := pipeline.FromSlice(seq(1000))
		bt := pipeline.Batch(src, 10, 0)
		var seen int64
		err := pipeline.ForEach(bg, bt, func(context.Context, []int) error {
			if seen++; seen == 5 {
				return errBoom
			}
			return nil
		})
		require.ErrorIs(t, err, errBoom)
		checkInvariant(t, []statsOf{src}, []bool{true}, bt.Stats().In)
		st := bt.Stats()
		assert.Equal(t, seen, st.Out)
		assert.Zero(t, st.InFlight+st.Buffered)
	})
	t.Run("tee branch breaks", func(t *testing.T) {
		src := pipeline.FromSlice(seq(3000), pipeline.WithName("source"))
		branches := pipeline.Tee(src, 2, pipeline.WithChunkSize(10))
		var early atomic.Int64
		res := make(chan struct{})
		go func() {
			defer close(res)
			for range pipeline.All(bg, branches[1]) {
				if early.Add(1) == 25 {
					break
				}
			}
		}()
		got, err := pipeline.Collect(bg, branches[0])
		require.NoError(t, err)
		<-res
		assert.Len(t, got, 3000)
		b0, b1 := branches[0].Stats(), branches[1].Stats()
		assert.Equal(t, pipeline.Stats{Name: "tee 0", In: 3000, Out: 3000}, b0)
		assert.Zero(t, b1.InFlight+b1.Buffered, "%+v", b1)
		assert.Equal(t, early.Load(), b1.Out)
		assert.Equal(t, b1.In, b1.Out+b1.Dropped, "%+v", b1)
		assert.Equal(t, pipeline.Stats{Name: "source", In: 3000, Out: 3000}, src.Stats())
	})
}
