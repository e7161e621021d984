package pipeline_test

import (
	"context"
	"testing"
	"time"

	"github.com/weftgo/weft/pipeline"
)

// BenchmarkRateLimit measures WithRateLimit two ways. paced sends 2,000
// items through a stage limited to one every 50µs with 4 workers: x-ideal
// is the wall time over 2,000 × 50µs, so 1.00 means the stage kept the rate
// exactly, and more means time lost to timers firing late or to the
// throttle's own cost. overhead sends 1,000,000 cheap items through a stage
// whose limit (one per nanosecond) never holds anyone back, against the same
// stage without a limit: the difference in ns/item is what the throttle
// costs each item when it does not wait.
func BenchmarkRateLimit(b *testing.B) {
	double := func(_ context.Context, x int) (int, error) { return x * 2, nil }
	b.Run("paced", func(b *testing.B) {
		const items, every = 2_000, 50 * time.Microsecond
		for _, ordered := range []bool{false, true} {
			opts := []pipeline.StageOption{pipeline.WithConcurrency(4), pipeline.WithRateLimit(1, every)}
			name := "unordered"
			if ordered {
				name = "ordered"
				opts = append(opts, pipeline.WithOrdered())
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					n, err := count(pipeline.Map(pipeline.FromSeq(ints(items)), double, opts...))
					if err != nil || n != items {
						b.Fatal(n, err)
					}
				}
				b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(items*every), "x-ideal")
			})
		}
	})
	b.Run("overhead", func(b *testing.B) {
		for _, limited := range []bool{false, true} {
			opts := []pipeline.StageOption{pipeline.WithConcurrency(2)}
			name := "none"
			if limited {
				name = "limit"
				opts = append(opts, pipeline.WithRateLimit(1, time.Nanosecond))
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					n, err := count(pipeline.Map(benchSource(), double, opts...))
					if err != nil || n != benchItems {
						b.Fatal(n, err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchItems), "ns/item")
			})
		}
	})
}

// count drains s and returns how many items it held.
func count(s *pipeline.Stream[int]) (int, error) {
	return pipeline.Reduce(bg, s, 0, func(n, _ int) (int, error) { return n + 1, nil })
}
