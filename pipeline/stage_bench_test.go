package pipeline_test

import (
	"context"
	"flag"
	"iter"
	"testing"

	"github.com/weftgo/weft/pipeline"
)

const benchItems = 1_000_000

var fromSlice = flag.Bool("fromslice", false, "benchmark sources read a slice")
var window = flag.Int("window", 4, "reorder window")

func ints(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

// BenchmarkPipelineSum runs 1,000,000 ints through map(x*2) → filter(even) →
// sum with 2 workers per stage; ns/item is the figure to read.
func BenchmarkPipelineSum(b *testing.B) {
	for _, ordered := range []bool{false, true} {
		name := "unordered"
		opts := []pipeline.Option{pipeline.WithConcurrency(2)}
		if ordered {
			name = "ordered"
			opts = append(opts, pipeline.WithOrdered(), pipeline.WithReorderWindow(*window))
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				src := benchSource()
				doubled := pipeline.Map(src, func(_ context.Context, x int) (int, error) { return x * 2, nil }, opts...)
				even := pipeline.Filter(doubled, func(_ context.Context, x int) (bool, error) { return x%2 == 0, nil }, opts...)
				sum, err := pipeline.Reduce(bg, even, 0, func(acc, x int) (int, error) { return acc + x, nil })
				if err != nil || sum != benchItems*(benchItems-1) {
					b.Fatal(sum, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchItems), "ns/item")
		})
	}
}

var benchSlice = seq(benchItems)

func benchSource() *pipeline.Stream[int] {
	if *fromSlice {
		return pipeline.FromSlice(benchSlice)
	}
	return pipeline.FromSeq(ints(benchItems))
}
