package benchmarks

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/alitto/pond/v2"
	"github.com/panjf2000/ants/v2"
	concpool "github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"

	"github.com/weftgo/weft/pool"
)

// A batch is the whole life of a pool: create it, submit every task, wait
// for them, shut it down. Each runner does one batch of n tasks of work at
// the given concurrency. Wrappers a peer needs around work are made once
// per batch, so the allocations per task are the library's own.
type batchRunner func(concurrency, n int, work func())

var poolRunners = []struct {
	name string
	run  batchRunner
}{
	{"weft", func(c, n int, work func()) {
		p := pool.New(c)
		for range n {
			_ = p.Go(work)
		}
		_ = p.Shutdown(context.Background())
	}},
	{"pond", func(c, n int, work func()) {
		p := pond.NewPool(c)
		for range n {
			_ = p.Go(work)
		}
		p.StopAndWait()
	}},
	{"ants", func(c, n int, work func()) {
		p, _ := ants.NewPool(c)
		var wg sync.WaitGroup
		wg.Add(n)
		task := func() { work(); wg.Done() }
		for range n {
			_ = p.Submit(task)
		}
		wg.Wait()
		p.Release()
	}},
	{"conc", func(c, n int, work func()) {
		p := concpool.New().WithMaxGoroutines(c)
		for range n {
			p.Go(work)
		}
		p.Wait()
	}},
	{"errgroup", func(c, n int, work func()) {
		var g errgroup.Group
		g.SetLimit(c)
		task := func() error { work(); return nil }
		for range n {
			g.Go(task)
		}
		_ = g.Wait()
	}},
	{"goroutines", func(c, n int, work func()) {
		sem := make(chan struct{}, c)
		var wg sync.WaitGroup
		task := func() { work(); <-sem }
		for range n {
			sem <- struct{}{}
			wg.Go(task)
		}
		wg.Wait()
	}},
	{"chanpool", func(c, n int, work func()) {
		tasks := make(chan func(), c)
		var wg sync.WaitGroup
		for range c {
			wg.Go(func() {
				for t := range tasks {
					t()
				}
			})
		}
		for range n {
			tasks <- work
		}
		close(tasks)
		wg.Wait()
	}},
}

// benchBatches runs one batch per b.Loop iteration and reports per-task
// figures: ns/task, allocs/task and B/task.
func benchBatches(b *testing.B, n int, batch func()) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	batches := 0
	for b.Loop() {
		batch()
		batches++
	}
	runtime.ReadMemStats(&after)
	tasks := float64(batches * n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/tasks, "ns/task")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/tasks, "allocs/task")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/tasks, "B/task")
}

func BenchmarkPoolEmpty(b *testing.B) {
	const n = 100_000
	for _, c := range []int{runtime.GOMAXPROCS(0), 1000} {
		for _, r := range poolRunners {
			b.Run(fmt.Sprintf("conc=%d/impl=%s", c, r.name), func(b *testing.B) {
				benchBatches(b, n, func() { r.run(c, n, EmptyTask) })
			})
		}
	}
}

// BenchmarkPoolHTTP runs batches of 1,000 GETs to an HTTP server on
// loopback that answers after 1ms, at concurrency 16 and 64. Besides
// ns/task it reports x-ideal, the wall time as a multiple of
// 1,000 × 1ms ÷ concurrency.
func BenchmarkPoolHTTP(b *testing.B) {
	const n = 1000
	for _, c := range []int{16, 64} {
		for _, r := range poolRunners {
			b.Run(fmt.Sprintf("conc=%d/impl=%s", c, r.name), func(b *testing.B) {
				l := newLoopback(b, c)
				benchBatches(b, n, func() { r.run(c, n, l.task) })
				l.report(b, n, c)
			})
		}
	}
}

// BenchmarkPoolCPU reports, besides ns/task, the ratio to the ideal time
// (tasks × measured task cost ÷ GOMAXPROCS): 1.00 is perfect scaling.
func BenchmarkPoolCPU(b *testing.B) {
	const n = 1000
	c := runtime.GOMAXPROCS(0)
	work := CPUTask()
	ideal := float64(work.Cost.Nanoseconds()) / float64(c)
	for _, r := range poolRunners {
		b.Run(fmt.Sprintf("conc=%d/impl=%s", c, r.name), func(b *testing.B) {
			benchBatches(b, n, func() { r.run(c, n, work.Do) })
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/ideal, "x-ideal")
		})
	}
}
