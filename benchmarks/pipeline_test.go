package benchmarks

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/destel/rill"

	"github.com/weftgo/weft/pipeline"
	"github.com/weftgo/weft/pipeline/queue"
)

// The pipelines are measured against rill (github.com/destel/rill) and
// against hand-written channel pipelines, the textbook fan-out/fan-in.

var pipeModes = []struct {
	name    string
	ordered bool
}{{"unordered", false}, {"ordered", true}}

const pipeItems = 1_000_000

func pipeSource(yield func(int) bool) {
	for i := range pipeItems {
		if !yield(i) {
			return
		}
	}
}

const pipeWant = pipeItems * (pipeItems - 1) // sum of 2x over 0..n-1

func double(x int) (int, error) { return x * 2, nil }
func even(x int) (bool, error)  { return x%2 == 0, nil }

// BenchmarkPipeline runs 1,000,000 ints through map(x*2) → filter(even) →
// sum with 2 workers per stage, ordered and unordered: callbacks that cost
// nothing, so this is the pipeline's own cost. Read ns/item.
func BenchmarkPipeline(b *testing.B) {
	ctx := context.Background()
	for _, mode := range pipeModes {
		b.Run("mode="+mode.name+"/impl=weft", func(b *testing.B) {
			b.ReportAllocs()
			opts := []pipeline.StageOption{pipeline.WithConcurrency(2)}
			if mode.ordered {
				opts = append(opts, pipeline.WithOrdered())
			}
			for b.Loop() {
				src := pipeline.FromSeq(pipeSource)
				doubled := pipeline.Map(src, func(_ context.Context, x int) (int, error) { return double(x) }, opts...)
				evens := pipeline.Filter(doubled, func(_ context.Context, x int) (bool, error) { return even(x) }, opts...)
				sum, err := pipeline.Reduce(ctx, evens, 0, func(acc, x int) (int, error) { return acc + x, nil })
				if err != nil || sum != pipeWant {
					b.Fatal(sum, err)
				}
			}
			perItem(b)
		})
		b.Run("mode="+mode.name+"/impl=rill", func(b *testing.B) {
			b.ReportAllocs()
			mapf, filter := rill.Map[int, int], rill.Filter[int]
			if mode.ordered {
				mapf, filter = rill.OrderedMap[int, int], rill.OrderedFilter[int]
			}
			for b.Loop() {
				src := rill.FromSeq(pipeSource, nil)
				sum, err := rillSum(filter(mapf(src, 2, double), 2, even))
				if err != nil || sum != pipeWant {
					b.Fatal(sum, err)
				}
			}
			perItem(b)
		})
		b.Run("mode="+mode.name+"/impl=chan", func(b *testing.B) {
			b.ReportAllocs()
			stage := chanStage(mode.ordered)
			for b.Loop() {
				gen := make(chan int)
				go func() {
					defer close(gen)
					pipeSource(func(i int) bool { gen <- i; return true })
				}()
				doubled := stage(gen, 2, func(x int) (int, bool) { return x * 2, true })
				evens := stage(doubled, 2, func(x int) (int, bool) { return x, x%2 == 0 })
				sum := 0
				for v := range evens {
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

// rillSum is the sink of the rill pipelines: it sums a stream and stops at
// the first error.
func rillSum(s <-chan rill.Try[int]) (int, error) {
	sum := 0
	for r := range s {
		if r.Error != nil {
			rill.Discard(s) // lets the stages finish, as rill asks
			return 0, r.Error
		}
		sum += r.Value
	}
	return sum, nil
}

// A mapSum runs a slice of items through one map stage of concurrency conc
// and sums the results: the shape of the CPU and HTTP pipeline benchmarks,
// where the callback is the work and the pipeline should keep conc of them
// busy, as in pipeline.Map(pipeline.FromSlice(urls), fetch, ...).
type mapSum func(ctx context.Context, items []int, conc int, ordered bool, fn func(context.Context, int) (int, error)) (int, error)

var mapSums = []struct {
	name string
	run  mapSum
}{
	{"weft", func(ctx context.Context, items []int, conc int, ordered bool, fn func(context.Context, int) (int, error)) (int, error) {
		opts := []pipeline.StageOption{pipeline.WithConcurrency(conc)}
		if ordered {
			opts = append(opts, pipeline.WithOrdered())
		}
		mapped := pipeline.Map(pipeline.FromSlice(items), fn, opts...)
		return pipeline.Reduce(ctx, mapped, 0, func(acc, x int) (int, error) { return acc + x, nil })
	}},
	{"rill", func(ctx context.Context, items []int, conc int, ordered bool, fn func(context.Context, int) (int, error)) (int, error) {
		mapf := rill.Map[int, int]
		if ordered {
			mapf = rill.OrderedMap[int, int]
		}
		src := rill.FromSlice(items, nil)
		return rillSum(mapf(src, conc, func(x int) (int, error) { return fn(ctx, x) }))
	}},
	{"chan", func(ctx context.Context, items []int, conc int, ordered bool, fn func(context.Context, int) (int, error)) (int, error) {
		// The textbook pipeline has no error path: the first error is
		// kept aside and returned at the end.
		var failed atomic.Pointer[error]
		gen := make(chan int)
		go func() {
			defer close(gen)
			for _, v := range items {
				gen <- v
			}
		}()
		mapped := chanStage(ordered)(gen, conc, func(x int) (int, bool) {
			v, err := fn(ctx, x)
			if err != nil {
				failed.CompareAndSwap(nil, &err)
				return 0, false
			}
			return v, true
		})
		sum := 0
		for v := range mapped {
			sum += v
		}
		if p := failed.Load(); p != nil {
			return 0, *p
		}
		return sum, nil
	}},
}

// ints returns 0..n-1.
func ints(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// BenchmarkPipelineCPU runs 10,000 items through one map stage whose
// callback is about 20µs of CPU work, with concurrency 2 on (ideally) two
// cores. Read x-ideal: the wall time as a multiple of items × measured
// callback cost ÷ 2.
func BenchmarkPipelineCPU(b *testing.B) {
	const (
		n    = 10_000
		conc = 2
	)
	work := CPUCallback()
	fn := func(_ context.Context, x int) (int, error) { work.Do(); return x, nil }
	const want = n * (n - 1) / 2
	items := ints(n)
	ctx := context.Background()
	for _, mode := range pipeModes {
		for _, impl := range mapSums {
			b.Run("mode="+mode.name+"/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if sum, err := impl.run(ctx, items, conc, mode.ordered, fn); err != nil || sum != want {
						b.Fatal(sum, err)
					}
				}
				ideal := float64(n) * float64(work.Cost) / conc
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/ideal, "x-ideal")
			})
		}
	}
}

// BenchmarkPipelineHTTP runs 1,000 items through one map stage whose
// callback is a GET to an HTTP server on loopback that answers after 1ms,
// with concurrency 16 and 64. Read x-ideal: the wall time as a multiple of
// 1,000 × 1ms ÷ concurrency. Client and server share the machine's cores,
// so at high concurrency the CPU cost of HTTP itself shows.
func BenchmarkPipelineHTTP(b *testing.B) {
	const n = 1000
	items := ints(n)
	ctx := context.Background()
	for _, conc := range []int{16, 64} {
		for _, mode := range pipeModes {
			for _, impl := range mapSums {
				b.Run(fmt.Sprintf("conc=%d/mode=%s/impl=%s", conc, mode.name, impl.name), func(b *testing.B) {
					l := newLoopback(b, conc)
					b.ReportAllocs()
					for b.Loop() {
						if sum, err := impl.run(ctx, items, conc, mode.ordered, l.fetch); err != nil || sum != n*len(reply) {
							b.Fatal(sum, err)
						}
					}
					l.report(b, n, conc)
				})
			}
		}
	}
}

// chanStage returns the hand-written stage of the given order.
func chanStage(ordered bool) func(in <-chan int, workers int, fn func(int) (int, bool)) <-chan int {
	if ordered {
		return orderedStage
	}
	return unorderedStage
}

// unorderedStage is the textbook fan-out/fan-in stage: workers goroutines
// on unbuffered channels.
func unorderedStage(in <-chan int, workers int, fn func(int) (int, bool)) <-chan int {
	out := make(chan int)
	var wg sync.WaitGroup
	for range workers {
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
func orderedStage(in <-chan int, workers int, fn func(int) (int, bool)) <-chan int {
	type result struct {
		v  int
		ok bool
	}
	type job struct {
		v   int
		res chan result
	}
	jobs := make(chan job, workers)
	order := make(chan chan result, workers)
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
	for range workers {
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
// bounded FIFO queue.Queue and, as the baseline, a buffered channel of
// the same capacity, with 1 producer and 1 consumer and with 4 of each.
func BenchmarkPipelineQueue(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{1, 4} {
		name := fmt.Sprintf("pc=%dx%d", n, n)
		b.Run(name+"/impl=queue", func(b *testing.B) {
			b.ReportAllocs()
			q := queue.New[int](queue.WithCapacity(queueCap))
			putGet(b, n, func(v int) { _ = q.Put(ctx, v) }, func() { _, _ = q.Get(ctx) })
		})
		b.Run(name+"/impl=chan", func(b *testing.B) {
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
