package semaphore_test

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/weftgo/weft/semaphore"
)

// The baseline in every benchmark is a buffered channel used as a
// semaphore; the benchmarks module also measures golang.org/x/sync. Built
// with -tags weft_semaphore_mutex, the same benchmarks measure the
// semaphore with a sync.Mutex in place of its spin lock (lock_mutex.go),
// so that benchstat compares the two end to end.

func BenchmarkUncontended(b *testing.B) {
	ctx := context.Background()
	b.Run("weft", func(b *testing.B) {
		s := semaphore.New(1)
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Acquire(ctx, 1); err != nil {
				b.Fatal(err)
			}
			s.Release(1)
		}
	})
	b.Run("weft-try", func(b *testing.B) {
		s := semaphore.New(1)
		b.ReportAllocs()
		for b.Loop() {
			if !s.TryAcquire(1) {
				b.Fatal("TryAcquire failed")
			}
			s.Release(1)
		}
	})
	b.Run("chan", func(b *testing.B) {
		ch := make(chan struct{}, 1)
		b.ReportAllocs()
		for b.Loop() {
			ch <- struct{}{}
			<-ch
		}
	})
}

// BenchmarkContended runs 16 goroutines on a limit of 4, with an empty
// critical section and with a runtime.Gosched() while holding.
func BenchmarkContended(b *testing.B) {
	for _, yield := range []bool{false, true} {
		name := "empty"
		if yield {
			name = "yield"
		}
		hold := func() {}
		if yield {
			hold = runtime.Gosched
		}
		for _, p := range []semaphore.Policy{semaphore.Fair, semaphore.FIFO, semaphore.Barging} {
			b.Run(name+"/weft-"+p.String(), func(b *testing.B) {
				s := semaphore.New(4, semaphore.WithPolicy(p))
				ctx := context.Background()
				parallel16(b, func() {
					if err := s.Acquire(ctx, 1); err != nil {
						panic(err)
					}
					hold()
					s.Release(1)
				})
			})
		}
		b.Run(name+"/chan", func(b *testing.B) {
			ch := make(chan struct{}, 4)
			parallel16(b, func() {
				ch <- struct{}{}
				hold()
				<-ch
			})
		})
	}
}

// BenchmarkConvoy starts 16 goroutines on a limit of 4 with every permit
// taken, so that all of them queue before the first release: the steady
// state a strict FIFO semaphore (and a channel) falls into sooner or later
// under RunParallel, and never leaves. The default policy leaves it.
func BenchmarkConvoy(b *testing.B) {
	for _, p := range []semaphore.Policy{semaphore.Fair, semaphore.FIFO} {
		b.Run("weft-"+p.String(), func(b *testing.B) {
			s := semaphore.New(4, semaphore.WithPolicy(p))
			ctx := context.Background()
			convoy16(b, func() { _ = s.Acquire(ctx, 4) }, func() { s.Release(4) }, func() {
				_ = s.Acquire(ctx, 1)
				s.Release(1)
			})
		})
	}
	b.Run("chan", func(b *testing.B) {
		ch := make(chan struct{}, 4)
		convoy16(b, func() {
			for range 4 {
				ch <- struct{}{}
			}
		}, func() {
			for range 4 {
				<-ch
			}
		}, func() {
			ch <- struct{}{}
			<-ch
		})
	})
}

func parallel16(b *testing.B, op func()) {
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			op()
		}
	})
}

func convoy16(b *testing.B, fill, drain, op func()) {
	b.ReportAllocs()
	fill()
	var wg sync.WaitGroup
	per := b.N/16 + 1
	b.ResetTimer()
	for range 16 {
		wg.Go(func() {
			for range per {
				op()
			}
		})
	}
	drain()
	wg.Wait()
}
