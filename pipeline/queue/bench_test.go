package queue_test

import (
	"sync"
	"testing"

	"github.com/weftgo/weft/pipeline/queue"
)

const benchCap = 128

// BenchmarkQueuePutGet moves b.N items from producers to consumers through a
// bounded FIFO Queue and, as the baseline, a buffered channel of the same
// capacity. Read the ratio of the two.
func BenchmarkQueuePutGet(b *testing.B) {
	for _, pc := range []struct {
		name string
		n    int
	}{{"1x1", 1}, {"4x4", 4}} {
		b.Run("queue/"+pc.name, func(b *testing.B) {
			b.ReportAllocs()
			q := queue.New[int](queue.WithCapacity(benchCap))
			runPutGet(b, pc.n, func(v int) { _ = q.Put(bg, v) }, func() { _, _ = q.Get(bg) })
		})
		b.Run("chan/"+pc.name, func(b *testing.B) {
			b.ReportAllocs()
			ch := make(chan int, benchCap)
			runPutGet(b, pc.n, func(v int) { ch <- v }, func() { <-ch })
		})
	}
}

func runPutGet(b *testing.B, n int, put func(int), get func()) {
	per := 10000
	for b.Loop() {
		var wg sync.WaitGroup
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
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n*per), "ns/item")
}

func TestQueueSteadyStateDoesNotAllocate(t *testing.T) {
	queues := map[string]*queue.Queue[int]{
		"fifo":     queue.New[int](queue.WithCapacity(64)),
		"lifo":     queue.NewLIFO[int](),
		"priority": queue.NewPriority(func(a, b int) bool { return a > b }),
	}
	for name, q := range queues {
		cycle := func() {
			for i := range 64 {
				_ = q.Put(bg, i)
			}
			for range 64 {
				_, _ = q.Get(bg)
			}
		}
		cycle() // grow the buffer once
		if allocs := testing.AllocsPerRun(100, cycle); allocs != 0 {
			t.Errorf("%s: steady-state Put/Get allocated %v times per 64 items", name, allocs)
		}
	}
}
