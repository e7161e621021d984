package pipeline_test

import (
	"context"
	"flag"
	"iter"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
		opts := []pipeline.StageOption{pipeline.WithConcurrency(2)}
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

// cpuItems items of about cpuWork of CPU each, at concurrency 2, is the
// workload where batching must not serialise the callbacks.
const (
	cpuItems = 10_000
	cpuWork  = 20 * time.Microsecond
)

// spin burns CPU for n rounds of a linear congruential generator.
func spin(n int) uint64 {
	x := uint64(n)
	for range n {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

// spun keeps spin's results alive, so that the compiler cannot drop the
// work when calibrating.
var spun uint64

// spinRounds calibrates spin to take about d on this machine.
func spinRounds(d time.Duration) int {
	n := 1000
	for {
		start := time.Now()
		spun += spin(n)
		if took := time.Since(start); took > 5*time.Millisecond {
			return int(float64(n) * float64(d) / float64(took))
		}
		n *= 2
	}
}

// serialCost measures what one spin(rounds) costs when run alone: the
// best of a few runs of 100.
func serialCost(rounds int) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range 5 {
		start := time.Now()
		for range 100 {
			spun += spin(rounds)
		}
		best = min(best, time.Since(start)/100)
	}
	return best
}

// BenchmarkPipelineCPU runs 10,000 items whose map callback burns about
// 20µs of CPU through a stage with concurrency 2, and, as the baseline,
// through two goroutines fed by a channel. x-ideal is the wall time over
// the ideal, items × (the callback's cost alone) / 2; it is the figure to
// read (the bar is 1.10).
func BenchmarkPipelineCPU(b *testing.B) {
	rounds := spinRounds(cpuWork)
	items := seq(cpuItems)
	var sink atomic.Uint64
	for _, impl := range []string{"unordered", "ordered", "channels"} {
		b.Run(impl, func(b *testing.B) {
			ideal := serialCost(rounds) * cpuItems / 2
			for b.Loop() {
				switch impl {
				case "channels":
					sink.Add(spinChannels(items, rounds))
				default:
					opts := []pipeline.StageOption{pipeline.WithConcurrency(2)}
					if impl == "ordered" {
						opts = append(opts, pipeline.WithOrdered())
					}
					m := pipeline.Map(pipeline.FromSlice(items), func(_ context.Context, v int) (uint64, error) {
						return spin(rounds) + uint64(v), nil
					}, opts...)
					sum, err := pipeline.Reduce(bg, m, uint64(0), func(acc, v uint64) (uint64, error) { return acc + v, nil })
					if err != nil {
						b.Fatal(err)
					}
					sink.Add(sum)
				}
			}
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(ideal), "x-ideal")
		})
	}
}

// spinChannels is the hand-written equivalent: two workers take items from
// a channel and send results to the summing goroutine.
func spinChannels(items []int, rounds int) uint64 {
	in := make(chan int, 128)
	out := make(chan uint64, 128)
	go func() {
		defer close(in)
		for _, v := range items {
			in <- v
		}
	}()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for v := range in {
				out <- spin(rounds) + uint64(v)
			}
		})
	}
	go func() { wg.Wait(); close(out) }()
	var sum uint64
	for v := range out {
		sum += v
	}
	return sum
}
