package pipeline_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline"
)

// A stage kind builds Map, Filter or FlatMap around a callback f that does
// the work and may fail; each emits v for item v.
type stageKind struct {
	name  string
	build func(s *pipeline.Stream[int], f func(ctx context.Context, v int) error, opts ...pipeline.StageOption) *pipeline.Stream[int]
}

var stageKinds = []stageKind{
	{"Map", func(s *pipeline.Stream[int], f func(context.Context, int) error, opts ...pipeline.StageOption) *pipeline.Stream[int] {
		return pipeline.Map(s, func(ctx context.Context, v int) (int, error) { return v, f(ctx, v) }, opts...)
	}},
	{"Filter", func(s *pipeline.Stream[int], f func(context.Context, int) error, opts ...pipeline.StageOption) *pipeline.Stream[int] {
		return pipeline.Filter(s, func(ctx context.Context, v int) (bool, error) { return true, f(ctx, v) }, opts...)
	}},
	{"FlatMap", func(s *pipeline.Stream[int], f func(context.Context, int) error, opts ...pipeline.StageOption) *pipeline.Stream[int] {
		return pipeline.FlatMap(s, func(ctx context.Context, v int) ([]int, error) { return []int{v}, f(ctx, v) }, opts...)
	}},
}

// forEachKind runs body for every stage kind, ordered and unordered.
func forEachKind(t *testing.T, body func(t *testing.T, k stageKind, order []pipeline.StageOption)) {
	for _, k := range stageKinds {
		for _, ordered := range []bool{false, true} {
			name, order := k.name+"/unordered", []pipeline.StageOption(nil)
			if ordered {
				name, order = k.name+"/ordered", []pipeline.StageOption{pipeline.WithOrdered()}
			}
			t.Run(name, func(t *testing.T) { body(t, k, order) })
		}
	}
}

// gauge counts the callbacks in flight and remembers the peak.
type gauge struct{ cur, peak, started atomic.Int64 }

func (g *gauge) enter() {
	g.started.Add(1)
	n := g.cur.Add(1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

func (g *gauge) leave() { g.cur.Add(-1) }

// trickle returns a source that yields items one at a time, every gap, so
// that the stage receives them in batches of one.
func trickle(n int, gap time.Duration) *pipeline.Stream[int] {
	ch := make(chan int)
	go func() {
		defer close(ch)
		for i := range n {
			time.Sleep(gap)
			ch <- i
		}
	}()
	return pipeline.FromChan(ch)
}

// A stage with WithConcurrency(8) has 8 callbacks in flight whenever 8
// items are available, whether the source hands it all of them in one chunk
// or one at a time, and whether the callbacks are slow (10ms) or fast
// (200µs); the run takes the time of 8-way concurrency. (Items whose chunk
// costs less than about 10µs in all are run by one worker on purpose: see
// TestClaimSize.)
func TestConcurrencyIsReal(t *testing.T) {
	const items, conc = 16, 8
	sources := []struct {
		name string
		make func() *pipeline.Stream[int]
		last time.Duration // when the last item is available
	}{
		{"one chunk", func() *pipeline.Stream[int] { return pipeline.FromSlice(seq(items)) }, 0},
		{"one at a time", func() *pipeline.Stream[int] { return trickle(items, 10*time.Microsecond) }, items * 10 * time.Microsecond},
	}
	forEachKind(t, func(t *testing.T, k stageKind, order []pipeline.StageOption) {
		for _, src := range sources {
			for _, d := range []time.Duration{10 * time.Millisecond, 200 * time.Microsecond} {
				t.Run(fmt.Sprintf("%s/%v", src.name, d), func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) {
						var g gauge
						s := k.build(src.make(), func(context.Context, int) error {
							g.enter()
							defer g.leave()
							time.Sleep(d)
							return nil
						}, append(order, pipeline.WithConcurrency(conc))...)
						start := time.Now()
						got, err := pipeline.Collect(bg, s)
						elapsed := time.Since(start)
						require.NoError(t, err)
						assert.Len(t, got, items)
						assert.Equal(t, int64(conc), g.peak.Load(), "peak concurrency")
						ideal := max(src.last+d, items*d/conc)
						assert.LessOrEqual(t, elapsed, ideal+d, "took %v; 8-way concurrency takes %v", elapsed, ideal)
					})
				})
			}
		}
	})
}

// An unordered stage emits each result as soon as it is ready: one slow
// item holds up nothing behind it, whether the other items are costly or
// cheap. An ordered stage emits as soon as order allows: the items before a
// slow one are not held up either.
func TestNoHeadOfLineBlocking(t *testing.T) {
	const slow = 200 * time.Millisecond
	for _, other := range []time.Duration{0, time.Millisecond} {
		t.Run(fmt.Sprintf("others %v", other), func(t *testing.T) {
			forEachKind(t, func(t *testing.T, k stageKind, order []pipeline.StageOption) {
				ordered := len(order) > 0
				if ordered && other == 0 {
					// The slow item comes after items measured to cost
					// nothing, so it is claimed with some of them (the
					// package doc's exception).
					t.Skip("documented exception")
				}
				synctest.Test(t, func(t *testing.T) {
					slowItem := 0
					if ordered {
						slowItem = 5
					}
					s := k.build(pipeline.FromSlice(seq(128)), func(_ context.Context, v int) error {
						if v == slowItem {
							time.Sleep(slow)
						} else {
							time.Sleep(other)
						}
						return nil
					}, append(order, pipeline.WithConcurrency(4))...)
					got, errc := collectTimed(s)
					require.NoError(t, <-errc)
					all := <-got
					require.Len(t, all, 128)
					for _, a := range all {
						switch {
						case a.V == slowItem:
							assert.GreaterOrEqual(t, a.At, slow, "the slow item")
							assert.LessOrEqual(t, a.At, slow+2*other, "the slow item")
						case !ordered || a.V < slowItem:
							assert.Less(t, a.At, slow, "item %d waited for the slow item", a.V)
						}
					}
				})
			})
		})
	}
}

// The first error stops the stage at once: the items taken with the failing
// one (its batch-mates) do not run first, the callbacks in flight see their
// context canceled, and nothing new starts.
func TestFirstErrorWithoutBatchMates(t *testing.T) {
	forEachKind(t, func(t *testing.T, k stageKind, order []pipeline.StageOption) {
		synctest.Test(t, func(t *testing.T) {
			var g gauge
			var canceled atomic.Int64
			s := k.build(pipeline.FromSlice(seq(128)), func(ctx context.Context, v int) error {
				g.enter()
				defer g.leave()
				if v == 2 {
					return errBoom
				}
				select {
				case <-time.After(time.Second):
				case <-ctx.Done():
					canceled.Add(1)
				}
				return nil
			}, append(order, pipeline.WithConcurrency(4))...)
			start := time.Now()
			_, err := pipeline.Collect(bg, s)
			require.ErrorIs(t, err, errBoom)
			assert.Zero(t, time.Since(start), "the error waited for other callbacks")
			assert.LessOrEqual(t, g.started.Load(), int64(4), "callbacks started beside the failing one")
			assert.Equal(t, g.started.Load()-1, canceled.Load(), "every other callback saw its context canceled")
		})
	})
}

// After the consumer breaks, or its context is canceled, the callbacks in
// flight see a canceled context and nothing new starts, so the sink returns
// after at most one callback whatever the chunk size.
func TestStopLatencyIndependentOfChunkSize(t *testing.T) {
	const d = 10 * time.Millisecond
	stops := map[string]func(s *pipeline.Stream[int]) error{
		"break": func(s *pipeline.Stream[int]) error {
			for _, err := range pipeline.All(bg, s) {
				return err // break after the first item
			}
			return nil
		},
		"cancel": func(s *pipeline.Stream[int]) error {
			ctx, cancel := context.WithTimeout(bg, d+d/2)
			defer cancel()
			return pipeline.ForEach(ctx, s, func(context.Context, int) error { return nil })
		},
	}
	for stop, consume := range stops {
		for _, respects := range []bool{true, false} {
			name := stop + "/callback ignores ctx"
			if respects {
				name = stop + "/callback honours ctx"
			}
			t.Run(name, func(t *testing.T) {
				forEachKind(t, func(t *testing.T, k stageKind, order []pipeline.StageOption) {
					for _, chunk := range []int{1, 128} {
						t.Run(fmt.Sprintf("chunk %d", chunk), func(t *testing.T) {
							synctest.Test(t, func(t *testing.T) {
								var g gauge
								s := k.build(pipeline.FromSlice(seq(1000), pipeline.WithChunkSize(chunk)), func(ctx context.Context, v int) error {
									g.enter()
									defer g.leave()
									if respects {
										select {
										case <-time.After(d):
										case <-ctx.Done():
										}
									} else {
										time.Sleep(d)
									}
									return nil
								}, append(order, pipeline.WithConcurrency(4), pipeline.WithChunkSize(chunk))...)
								start := time.Now()
								err := consume(s)
								elapsed := time.Since(start)
								if stop == "cancel" {
									require.ErrorIs(t, err, context.DeadlineExceeded)
								}
								limit := 2 * d // the first results, then the callbacks in flight
								if respects {
									limit = d + d/2
								}
								assert.LessOrEqual(t, elapsed, limit, "%s with chunk %d took %v", stop, chunk, elapsed)
								assert.Zero(t, g.cur.Load(), "callbacks running after the sink returned")
								assert.LessOrEqual(t, g.started.Load(), int64(4+4), "callbacks started: the first wave and at most one more")
							})
						})
					}
				})
			})
		}
	}
}

// A result waits in its worker at most for the rest of its claim, about
// 500µs of measured work (the package doc), even with one worker and
// large chunks.
func TestResultLatencyBoundedByClaim(t *testing.T) {
	const d = 100 * time.Microsecond
	for _, k := range stageKinds {
		t.Run(k.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := k.build(pipeline.FromSlice(seq(64)), func(context.Context, int) error {
					time.Sleep(d)
					return nil
				})
				got, errc := collectTimed(s)
				require.NoError(t, <-errc)
				for _, a := range <-got {
					finished := time.Duration(a.V+1) * d // one worker: in order
					assert.LessOrEqual(t, a.At-finished, 500*time.Microsecond, "item %d", a.V)
				}
			})
		})
	}
}
