package benchmarks

import (
	"context"
	"sync"
	"testing"

	"github.com/weftgo/weft/pipeline"
)

// The reference run measured, per item, on the workload below:
// hand-written channels 426 ns unordered and 891 ns ordered, rill 441 and
// 840. rill cannot be fetched here, so the hand-written channel pipelines in
// this file are the baseline measured in the same run.

const pipeItems = 1_000_000

func pipeSource(yield func(int) bool) {
	for i := range pipeItems {
		if !yield(i) {
			return
		}
	}
}

const pipeWant = pipeItems * (pipeItems - 1) // sum of 2x over 0..n-1

// BenchmarkPipeline runs 1,000,000 ints through map(x*2) → filter(even) →
// sum with 2 workers per stage, ordered and unordered; read ns/item.
func BenchmarkPipeline(b *testing.B) {
	for _, ordered := range []bool{false, true} {
		mode := "unordered"
		if ordered {
			mode = "ordered"
		}
		b.Run("weft/"+mode, func(b *testing.B) {
			b.ReportAllocs()
			opts := []pipeline.Option{pipeline.WithConcurrency(2)}
			if ordered {
				opts = append(opts, pipeline.WithOrdered())
			}
			ctx := context.Background()
			for b.Loop() {
				src := pipeline.FromSeq(pipeSource)
				doubled := pipeline.Map(src, func(_ context.Context, x int) (int, error) { return x * 2, nil }, opts...)
				even := pipeline.Filter(doubled, func(_ context.Context, x int) (bool, error) { return x%2 == 0, nil }, opts...)
				sum, err := pipeline.Reduce(ctx, even, 0, func(acc, x int) (int, error) { return acc + x, nil })
				if err != nil || sum != pipeWant {
					b.Fatal(sum, err)
				}
			}
			perItem(b)
		})
		b.Run("chan/"+mode, func(b *testing.B) {
			b.ReportAllocs()
			stage := unorderedStage
			if ordered {
				stage = orderedStage
			}
			for b.Loop() {
				gen := make(chan int)
				go func() {
					defer close(gen)
					pipeSource(func(i int) bool { gen <- i; return true })
				}()
				doubled := stage(gen, func(x int) (int, bool) { return x * 2, true })
				even := stage(doubled, func(x int) (int, bool) { return x, x%2 == 0 })
				sum := 0
				for v := range even {
					sum += v
				}
				if sum != pipeWant {
					b.Fatal(sum)
				}
			}
			perItem(b)
		})
	}
}

func perItem(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pipeItems), "ns/item")
}

// unorderedStage is the textbook fan-out/fan-in stage: 2 workers on
// unbuffered channels.
func unorderedStage(in <-chan int, fn func(int) (int, bool)) <-chan int {
	out := make(chan int)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for v := range in {
				if w, ok := fn(v); ok {
					out <- w
				}
			}
		})
	}
	go func() { wg.Wait(); close(out) }()
	return out
}

// orderedStage keeps order the textbook way: a result channel per item,
// queued in input order and read back in that order.
func orderedStage(in <-chan int, fn func(int) (int, bool)) <-chan int {
	type result struct {
		v  int
		ok bool
	}
	type job struct {
		v   int
		res chan result
	}
	jobs := make(chan job, 2)
	order := make(chan chan result, 2)
	out := make(chan int)
	go func() {
		for v := range in {
			r := make(chan result, 1)
			order <- r
			jobs <- job{v, r}
		}
		close(jobs)
		close(order)
	}()
	for range 2 {
		go func() {
			for j := range jobs {
				w, ok := fn(j.v)
				j.res <- result{w, ok}
			}
		}()
	}
	go func() {
		defer close(out)
		for r := range order {
			if res := <-r; res.ok {
				out <- res.v
			}
		}
	}()
	return out
}

const queueCap = 128

// BenchmarkPipelineQueue moves items from producers to consumers through a
// bounded FIFO pipeline.Queue and, as the baseline, a buffered channel of
// the same capacity, with 1 producer and 1 consumer and with 4 of each.
func BenchmarkPipelineQueue(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{1, 4} {
		name := map[int]string{1: "1x1", 4: "4x4"}[n]
		b.Run("queue/"+name, func(b *testing.B) {
			b.ReportAllocs()
			q := pipeline.NewQueue[int](pipeline.WithCapacity(queueCap))
			putGet(b, n, func(v int) { _ = q.Put(ctx, v) }, func() { _, _ = q.Get(ctx) })
		})
		b.Run("chan/"+name, func(b *testing.B) {
			b.ReportAllocs()
			ch := make(chan int, queueCap)
			putGet(b, n, func(v int) { ch <- v }, func() { <-ch })
		})
	}
}

// putGet moves b.N items in total: each op is one put and one get.
func putGet(b *testing.B, n int, put func(int), get func()) {
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N / n
	for range n {
		wg.Go(func() {
			for i := range per {
				put(i)
			}
		})
		wg.Go(func() {
			for range per {
				get()
			}
		})
	}
	wg.Wait()
}
