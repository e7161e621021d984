package pipeline_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/internal/observetest"
	"github.com/weftgo/weft/observe"
	"github.com/weftgo/weft/pipeline"
)

// Every call of the callback is reported, Started then Finished, with the
// time it ran (exact under synctest) and its error, whatever the error
// policy does with it.
func TestObserverReportsEveryCall(t *testing.T) {
	forEachKind(t, func(t *testing.T, k stageKind, order []pipeline.StageOption) {
		synctest.Test(t, func(t *testing.T) {
			const items = 40
			rec := &observetest.Recorder{}
			opts := append([]pipeline.StageOption{pipeline.WithObserver(rec), pipeline.WithConcurrency(3),
				pipeline.WithErrorPolicy(pipeline.SkipErrors)}, order...)
			out := k.build(pipeline.FromSlice(seq(items), pipeline.WithChunkSize(7)), func(_ context.Context, v int) error {
				time.Sleep(time.Duration(v%4+1) * time.Second)
				if v%5 == 0 {
					return errBoom
				}
				return nil
			}, opts...)
			got, err := pipeline.Collect(bg, out)
			require.NoError(t, err)
			assert.Len(t, got, items-items/5)

			n := rec.Count()
			assert.Equal(t, map[observe.Kind]uint64{observe.Started: uint64(items), observe.Finished: uint64(items)}, n)
			var runs, failed int
			var total time.Duration
			for _, e := range rec.Events() {
				assert.Zero(t, e.Wait)
				if e.Kind != observe.Finished {
					continue
				}
				runs++
				total += e.Run
				assert.Contains(t, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second}, e.Run)
				if e.Err != nil {
					failed++
					assert.ErrorIs(t, e.Err, errBoom)
				}
			}
			assert.Equal(t, items/5, failed)
			assert.Equal(t, time.Duration(items/4*(1+2+3+4))*time.Second, total, "Run is the callback's time")
		})
	})
}

// A panic is reported as Panicked then Finished, both with the
// *PanicError the sink returns, and stops the pipeline even under an error
// policy that skips errors. The items the stage had and did not start are
// Dropped, with the panic as the cause: Started + Dropped = In.
func TestObserverPanicAndDropped(t *testing.T) {
	forEachKind(t, func(t *testing.T, k stageKind, order []pipeline.StageOption) {
		for _, conc := range []int{1, 4} {
			rec := &observetest.Recorder{}
			opts := append([]pipeline.StageOption{pipeline.WithObserver(rec), pipeline.WithConcurrency(conc),
				pipeline.WithErrorPolicy(pipeline.SkipErrors)}, order...)
			out := k.build(pipeline.FromSlice(seq(100), pipeline.WithChunkSize(100)), func(_ context.Context, v int) error {
				if v == 10 {
					panic("ten")
				}
				return nil
			}, opts...)
			_, err := pipeline.Collect(bg, out)
			var pe *pipeline.PanicError
			require.ErrorAs(t, err, &pe, "concurrency %d", conc)
			assert.Equal(t, "ten", pe.Value)

			n := rec.Count()
			assert.Equal(t, uint64(1), n[observe.Panicked])
			assert.Equal(t, n[observe.Started], n[observe.Finished])
			assert.Equal(t, uint64(100), n[observe.Started]+n[observe.Dropped], "concurrency %d: every item started or dropped", conc)
			if conc == 1 {
				assert.Equal(t, uint64(11), n[observe.Started], "items 0 to 10 ran")
			}
			var panicked, finished int
			for _, e := range rec.Events() {
				switch {
				case e.Kind == observe.Panicked:
					panicked++
					assert.Same(t, pe, e.Err)
				case e.Kind == observe.Finished && e.Err != nil:
					finished++
					assert.Same(t, pe, e.Err)
				case e.Kind == observe.Dropped:
					assert.Same(t, pe, e.Err, "the cause of the stop")
				}
			}
			assert.Equal(t, 1, panicked)
			assert.Equal(t, 1, finished)
		}
	})
}

// An error that stops the pipeline, and the caller's context ending it,
// drop the items the stage has not started, with the run's cause.
func TestObserverDroppedOnStop(t *testing.T) {
	cause := errors.New("caller gave up")
	cases := []struct {
		name  string
		fail  bool // the callback fails on item 10; else the caller cancels there
		cause error
	}{
		{"callback error", true, errBoom},
		{"caller's context", false, cause},
	}
	for _, tc := range cases {
		forEachKind(t, func(t *testing.T, k stageKind, order []pipeline.StageOption) {
			t.Run(tc.name, func(t *testing.T) {
				rec := &observetest.Recorder{}
				ctx, cancel := context.WithCancelCause(bg)
				defer cancel(nil)
				opts := append([]pipeline.StageOption{pipeline.WithObserver(rec), pipeline.WithConcurrency(2)}, order...)
				out := k.build(pipeline.FromSlice(seq(64), pipeline.WithChunkSize(64)), func(_ context.Context, v int) error {
					if v == 10 {
						if tc.fail {
							return errBoom
						}
						cancel(cause)
					}
					return nil
				}, opts...)
				_, err := pipeline.Collect(ctx, out)
				require.ErrorIs(t, err, tc.cause)
				n := rec.Count()
				assert.Equal(t, n[observe.Started], n[observe.Finished])
				assert.Equal(t, uint64(64), n[observe.Started]+n[observe.Dropped])
				if tc.fail {
					// The caller's cancellation reaches the workers
					// asynchronously: they may finish every item first.
					assert.Positive(t, n[observe.Dropped])
				}
				for _, e := range rec.Events() {
					if e.Kind == observe.Dropped {
						assert.ErrorIs(t, e.Err, tc.cause)
					}
				}
			})
		})
	}
}

func TestObserverGoexit(t *testing.T) {
	rec := &observetest.Recorder{}
	out := pipeline.Map(pipeline.FromSlice(seq(3)), func(_ context.Context, v int) (int, error) {
		if v == 1 {
			runtime.Goexit()
		}
		return v, nil
	}, pipeline.WithObserver(rec))
	_, err := pipeline.Collect(bg, out)
	require.ErrorIs(t, err, pipeline.ErrGoexit)
	// Started, Finished, Started, Finished, and Dropped for item 2 unless
	// it was in item 1's claim (then it is not reported).
	ev := rec.Events()
	require.GreaterOrEqual(t, len(ev), 4)
	require.LessOrEqual(t, len(ev), 5)
	assert.Equal(t, observe.Finished, ev[3].Kind)
	assert.ErrorIs(t, ev[3].Err, pipeline.ErrGoexit)
	if len(ev) == 5 {
		assert.Equal(t, observe.Dropped, ev[4].Kind)
	}
}

// Observing a stage allocates nothing per item: a run with an observer
// allocates as much as one without, give or take the option itself.
func TestObserverDoesNotAllocatePerItem(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters allocate")
	}
	items := seq(2000)
	run := func(opts ...pipeline.StageOption) float64 {
		return testing.AllocsPerRun(20, func() {
			src := pipeline.FromSlice(items, pipeline.WithChunkSize(len(items)))
			_, err := pipeline.Collect(bg, pipeline.Filter(src, func(_ context.Context, v int) (bool, error) { return true, nil }, opts...))
			if err != nil {
				panic(err)
			}
		})
	}
	nop := pipeline.WithObserver(observe.Func(func(observe.Event) {}))
	plain, observed := run(), run(nop)
	assert.InDelta(t, plain, observed, 5, "allocations per run: %v without an observer, %v with one", plain, observed)
}

func TestWithObserverNilPanics(t *testing.T) {
	assert.PanicsWithValue(t, "pipeline: nil Observer", func() { pipeline.WithObserver(nil) })
}
