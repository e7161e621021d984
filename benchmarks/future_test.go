package benchmarks

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/alitto/pond/v2"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

// intTask is the empty result task of the round-trip benchmarks.
func intTask(context.Context) (int, error) { EmptyTask(); return 1, nil }

// BenchmarkFutureRoundTrip is one submit followed by waiting for its result,
// on two workers (CPython 3.11's ThreadPoolExecutor: ~12µs here). The
// baseline is the same round trip with a goroutine and a channel; pond is
// its result pool's Submit + Wait.
func BenchmarkFutureRoundTrip(b *testing.B) {
	ctx := context.Background()
	workers := runtime.GOMAXPROCS(0)
	b.Run("impl=chan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ch := make(chan int, 1)
			go func() { v, _ := intTask(ctx); ch <- v }()
			<-ch
		}
	})
	b.Run("impl=weft-pool", func(b *testing.B) {
		p := pool.New(workers)
		defer p.Shutdown(ctx)
		b.ReportAllocs()
		for b.Loop() {
			f, _ := future.Submit(ctx, p, intTask)
			_, _ = f.Result(ctx)
		}
	})
	b.Run("impl=weft-executor", func(b *testing.B) {
		e := future.NewExecutor(workers)
		defer e.Shutdown(ctx)
		b.ReportAllocs()
		for b.Loop() {
			f, _ := future.Submit(ctx, e, intTask)
			_, _ = f.Result(ctx)
		}
	})
	b.Run("impl=weft-go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = future.Go(ctx, intTask).Result(ctx)
		}
	})
	b.Run("impl=pond", func(b *testing.B) {
		p := pond.NewResultPool[int](workers)
		defer p.StopAndWait()
		b.ReportAllocs()
		for b.Loop() {
			_, _ = p.SubmitErr(func() (int, error) { return intTask(ctx) }).Wait()
		}
	})
}

// BenchmarkFutureThroughput submits a batch of 1000 tasks, then waits for
// every result: the cost per task when submissions are pipelined, as in a
// fan-out. The baseline starts a goroutine per task and collects the values
// from one channel.
func BenchmarkFutureThroughput(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	workers := runtime.GOMAXPROCS(0)
	perTask := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
	}
	b.Run("impl=chan", func(b *testing.B) {
		b.ReportAllocs()
		ch := make(chan int, n)
		for b.Loop() {
			for range n {
				go func() { v, _ := intTask(ctx); ch <- v }()
			}
			for range n {
				<-ch
			}
		}
		perTask(b)
	})
	submitAll := func(b *testing.B, r future.Runner) {
		fs := make([]*future.Future[int], n)
		b.ReportAllocs()
		for b.Loop() {
			for i := range fs {
				fs[i], _ = future.Submit(ctx, r, intTask)
			}
			for _, f := range fs {
				_, _ = f.Result(ctx)
			}
		}
		perTask(b)
	}
	b.Run("impl=weft-pool", func(b *testing.B) {
		p := pool.New(workers)
		defer p.Shutdown(ctx)
		submitAll(b, p)
	})
	b.Run("impl=weft-executor", func(b *testing.B) {
		e := future.NewExecutor(workers)
		defer e.Shutdown(ctx)
		submitAll(b, e)
	})
	b.Run("impl=pond", func(b *testing.B) {
		p := pond.NewResultPool[int](workers)
		defer p.StopAndWait()
		ts := make([]pond.ResultTask[int], n)
		b.ReportAllocs()
		for b.Loop() {
			for i := range ts {
				ts[i] = p.SubmitErr(func() (int, error) { return intTask(ctx) })
			}
			for _, t := range ts {
				_, _ = t.Wait()
			}
		}
		perTask(b)
	})
}

// The Wait and AsCompleted benchmarks keep the working set fixed: every
// iteration makes futureSet futures and hands them to calls of n futures
// each, so a call over 1k futures meets memory as cold as a call over 100k
// and ns/future compares the calls, not whether n futures fit in the CPU
// cache. (Measured with a hot set of n futures instead, Wait cost 37 ns per
// future at 1k and 72 at 100k.) What still grows at 100k is the call's own
// scratch — one 56-byte callback per future, 5.6 MB at 100k — which no
// longer fits in the cache; allocations per call stay constant.
const futureSet = 100_000

// makeFutureSet makes the working set outside the timed region, then
// collects the previous set's garbage there too, so that no collection the
// set-up caused lands inside a Wait. Without this, the GC's share of a 100k
// call was 81 ns per future against 43 at 1k (at GOGC=400: 38 and 35).
func makeFutureSet(b *testing.B, ps []future.Promise[int], fs []*future.Future[int]) {
	b.StopTimer()
	for i := range ps {
		ps[i] = future.NewPromise[int]()
		fs[i] = ps[i].Future()
	}
	runtime.GC()
	b.StartTimer()
}

// BenchmarkFutureAsCompleted ranges over n futures that complete while the
// loop runs (each yield completes the next one, so every future but the first
// goes through the callback path). ns/future must stay flat as n grows.
func BenchmarkFutureAsCompleted(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ps := make([]future.Promise[int], futureSet)
			fs := make([]*future.Future[int], futureSet)
			b.ReportAllocs()
			for b.Loop() {
				makeFutureSet(b, ps, fs)
				for lo := 0; lo < futureSet; lo += n {
					ps, fs := ps[lo:lo+n], fs[lo:lo+n]
					_ = ps[0].Resolve(0)
					i := 0
					for range future.AsCompleted(ctx, fs...) {
						if i++; i < n {
							_ = ps[i].Resolve(i)
						}
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*futureSet), "ns/future")
		})
	}
}

// BenchmarkFutureWait waits for n pending futures with AllCompleted.
// ns/future must stay flat as n grows. To time Wait itself rather than a
// race with another goroutine, the futures are resolved by the context:
// Wait first registers its callbacks, then asks ctx.Done() before parking,
// and that call resolves every promise (see resolvingCtx).
func BenchmarkFutureWait(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ps := make([]future.Promise[int], futureSet)
			fs := make([]*future.Future[int], futureSet)
			b.ReportAllocs()
			for b.Loop() {
				makeFutureSet(b, ps, fs)
				for lo := 0; lo < futureSet; lo += n {
					ctx := &resolvingCtx{Context: context.Background(), ps: ps[lo : lo+n]}
					if _, notDone, err := future.Wait(ctx, future.AllCompleted, fs[lo:lo+n]...); err != nil || len(notDone) > 0 {
						b.Fatal(err, len(notDone))
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*futureSet), "ns/future")
		})
	}
}

// resolvingCtx resolves its promises the first time Done is called.
type resolvingCtx struct {
	context.Context
	ps []future.Promise[int]
}

func (c *resolvingCtx) Done() <-chan struct{} {
	for i, p := range c.ps {
		_ = p.Resolve(i)
	}
	c.ps = nil
	return nil
}

// BenchmarkFutureBytes is the memory of one completed Future[int]: a promise
// resolved before anyone waits (the bar is 96 B/op, one allocation).
func BenchmarkFutureBytes(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		p := future.NewPromise[int]()
		_ = p.Resolve(1)
	}
}
