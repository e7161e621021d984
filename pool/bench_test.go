package pool_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/weftgo/weft/observe"
	"github.com/weftgo/weft/pool"
)

// Each benchmark op submits one empty task (an atomic add); the pool or
// baseline is made before the loop and waited for after it, so ns/op is the
// cost of one task at that concurrency. The baselines run in the same
// benchmark so the ratio is what is read.
func BenchmarkSubmit(b *testing.B) {
	for _, limit := range []int{runtime.GOMAXPROCS(0), 1000} {
		var n atomic.Int64
		work := func() { n.Add(1) }
		b.Run(fmt.Sprintf("weft/limit=%d", limit), func(b *testing.B) {
			b.ReportAllocs()
			p := pool.New(limit)
			for b.Loop() {
				_ = p.Go(work)
			}
			_ = p.Shutdown(context.Background())
		})
		b.Run(fmt.Sprintf("goroutines/limit=%d", limit), func(b *testing.B) {
			b.ReportAllocs()
			sem := make(chan struct{}, limit)
			var wg sync.WaitGroup
			for b.Loop() {
				sem <- struct{}{}
				wg.Go(func() { work(); <-sem })
			}
			wg.Wait()
		})
		b.Run(fmt.Sprintf("errgroup/limit=%d", limit), func(b *testing.B) {
			b.ReportAllocs()
			var g errgroup.Group
			g.SetLimit(limit)
			for b.Loop() {
				g.Go(func() error { work(); return nil })
			}
			_ = g.Wait()
		})
		b.Run(fmt.Sprintf("chanpool/limit=%d", limit), func(b *testing.B) {
			b.ReportAllocs()
			tasks := make(chan func(), limit)
			var wg sync.WaitGroup
			for range limit {
				wg.Go(func() {
					for t := range tasks {
						t()
					}
				})
			}
			for b.Loop() {
				tasks <- work
			}
			close(tasks)
			wg.Wait()
		})
	}
}

// BenchmarkGroup measures a fan-out of 100 tasks and its Wait on a shared
// pool, against errgroup with the same limit.
func BenchmarkGroup(b *testing.B) {
	limit := runtime.GOMAXPROCS(0)
	var n atomic.Int64
	b.Run("weft", func(b *testing.B) {
		b.ReportAllocs()
		p := pool.New(limit)
		defer p.Shutdown(context.Background())
		for b.Loop() {
			g, _ := p.Group(context.Background())
			for range 100 {
				_ = g.Go(func(context.Context) error { n.Add(1); return nil })
			}
			_ = g.Wait()
		}
	})
	b.Run("errgroup", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			g, _ := errgroup.WithContext(context.Background())
			g.SetLimit(limit)
			for range 100 {
				g.Go(func() error { n.Add(1); return nil })
			}
			_ = g.Wait()
		}
	})
}

// BenchmarkSubmitContext measures what the submit context costs a task:
// one Submit and Wait per op on a pool of one, with contexts that can never
// be canceled (nothing to join), one that can (a join made only if the task
// waits on its context) and the task's own context (nested work).
func BenchmarkSubmitContext(b *testing.B) {
	type key struct{}
	cancelable, cancel := context.WithCancel(context.Background())
	defer cancel()
	noop := func(context.Context) error { return nil }
	waits := func(ctx context.Context) error { _ = ctx.Done(); return nil }
	cases := []struct {
		name string
		ctx  context.Context
		fn   func(context.Context) error
	}{
		{"Background", context.Background(), noop},
		{"WithValue", context.WithValue(context.Background(), key{}, 1), noop},
		{"WithCancel", cancelable, noop},
		{"WithCancel+Done", cancelable, waits},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			p := pool.New(1)
			defer p.Shutdown(context.Background())
			b.ReportAllocs()
			for b.Loop() {
				_ = p.Submit(c.ctx, c.fn)
				_ = p.Wait()
			}
		})
	}
}

// BenchmarkQueuedMemory reports the bytes each queued task costs beyond its
// closure: a million tasks are queued behind a blocked worker.
func BenchmarkQueuedMemory(b *testing.B) {
	const queued = 1_000_000
	noop := func() {}
	for b.Loop() {
		p := pool.New(1)
		release := make(chan struct{})
		_ = p.Go(func() { <-release })
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range queued {
			_ = p.Go(noop)
		}
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/queued, "B/queued-task")
		close(release)
		_ = p.Shutdown(context.Background())
	}
}

// BenchmarkTaskOptions measures an empty task (an atomic add) submitted
// with Go on a pool of GOMAXPROCS, as BenchmarkSubmit does: plain, with a
// priority (1 to 4 in turn, so every queued task is in the priority heap),
// observed by a no-op observer, and with a queue timeout that never
// passes. plain is the path of a pool that uses no option, and the
// baseline the others are read against.
func BenchmarkTaskOptions(b *testing.B) {
	limit := runtime.GOMAXPROCS(0)
	var n atomic.Int64
	work := func() { n.Add(1) }
	prios := []pool.TaskOption{pool.Priority(1), pool.Priority(2), pool.Priority(3), pool.Priority(4)}
	timeout := pool.QueueTimeout(time.Hour)
	cases := []struct {
		name string
		opts []pool.Option
		sub  func(p *pool.Pool, i int) error
	}{
		{"plain", nil, func(p *pool.Pool, _ int) error { return p.Go(work) }},
		{"priority", nil, func(p *pool.Pool, i int) error { return p.Go(work, prios[i&3]) }},
		{"observed", []pool.Option{pool.WithObserver(observe.Func(func(observe.Event) {}))},
			func(p *pool.Pool, _ int) error { return p.Go(work) }},
		{"queuetimeout", nil, func(p *pool.Pool, _ int) error { return p.Go(work, timeout) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			p := pool.New(limit, c.opts...)
			b.ResetTimer()
			for i := range b.N {
				_ = c.sub(p, i)
			}
			_ = p.Shutdown(context.Background()) // timed: every task has run
		})
	}
}
