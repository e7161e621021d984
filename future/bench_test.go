package future_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

// BenchmarkRoundTrip is submit + Result for an empty task; "chan" is the
// goroutine + channel baseline to read the ratios against. The peer
// comparison (pond) lives in the benchmarks module.
func BenchmarkRoundTrip(b *testing.B) {
	ctx := context.Background()
	task := func(context.Context) (int, error) { return 1, nil }
	b.Run("impl=chan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ch := make(chan int, 1)
			go func() { v, _ := task(ctx); ch <- v }()
			<-ch
		}
	})
	b.Run("impl=go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = future.Go(ctx, task).Result(ctx)
		}
	})
	b.Run("impl=pool", func(b *testing.B) {
		p := pool.New(2)
		defer p.Shutdown(ctx)
		b.ReportAllocs()
		for b.Loop() {
			f, _ := future.Submit(ctx, p, task)
			_, _ = f.Result(ctx)
		}
	})
	b.Run("impl=executor", func(b *testing.B) {
		e := future.NewExecutor(2)
		defer e.Shutdown(ctx)
		b.ReportAllocs()
		for b.Loop() {
			f, _ := future.Submit(ctx, e, task)
			_, _ = f.Result(ctx)
		}
	})
}

// BenchmarkResultDone is Result on a future that is already done: the path
// every waiter takes once the value is there. It must not allocate.
func BenchmarkResultDone(b *testing.B) {
	ctx := context.Background()
	p := future.NewPromise[int]()
	_ = p.Resolve(1)
	f := p.Future()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = f.Result(ctx)
	}
}

// BenchmarkPromise is the cost of one completed Future[int]: one object.
func BenchmarkPromise(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		p := future.NewPromise[int]()
		_ = p.Resolve(1)
	}
}

// BenchmarkAsCompleted ranges over n futures completed one by one from the
// loop body; ns/future must not grow with n.
func BenchmarkAsCompleted(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ps, fs := make([]future.Promise[int], n), make([]*future.Future[int], n)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer() // making the futures is not what is measured
				for i := range ps {
					ps[i] = future.NewPromise[int]()
					fs[i] = ps[i].Future()
				}
				b.StartTimer()
				_ = ps[0].Resolve(0)
				i := 0
				for range future.AsCompleted(ctx, fs...) {
					if i++; i < n {
						_ = ps[i].Resolve(i)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/future")
		})
	}
}

// BenchmarkWait is Wait on n pending futures and one done: it registers a
// callback on each pending future and removes it again, the cost of
// watching a future; ns/future must not grow with n.
func BenchmarkWait(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ps, fs := make([]future.Promise[int], n+1), make([]*future.Future[int], n+1)
			for i := range ps {
				ps[i] = future.NewPromise[int]()
				fs[i] = ps[i].Future()
			}
			_ = ps[n].Resolve(n)
			b.ReportAllocs()
			for b.Loop() {
				_, _, _ = future.Wait(ctx, future.FirstCompleted, fs...)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/future")
		})
	}
}
