package benchmarks

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"

	marusama "github.com/marusama/semaphore/v2"
	xsemaphore "golang.org/x/sync/semaphore"

	"github.com/weftgo/weft/semaphore"
)

// The peers measured against weft's semaphore.Weighted.
type semImpl struct {
	name string
	make func(limit int64) (acquire, release func())
}

func weft(opts ...semaphore.Option) func(limit int64) (func(), func()) {
	return func(limit int64) (func(), func()) {
		s := semaphore.New(limit, opts...)
		ctx := context.Background()
		return func() {
			if err := s.Acquire(ctx, 1); err != nil {
				panic(err)
			}
		}, func() { s.Release(1) }
	}
}

// semImpls are the contenders. weft is the default (Fair) policy;
// weft-fifo, the strict FIFO policy, is shown for comparison: like the
// channel and x/sync it hands every permit to the next queued goroutine
// once saturated, a context switch per operation.
var semImpls = []semImpl{
	{"xsync", func(limit int64) (func(), func()) {
		s := xsemaphore.NewWeighted(limit)
		ctx := context.Background()
		return func() {
			if err := s.Acquire(ctx, 1); err != nil {
				panic(err)
			}
		}, func() { s.Release(1) }
	}},
	{"marusama", func(limit int64) (func(), func()) {
		s := marusama.New(int(limit))
		ctx := context.Background()
		return func() {
			if err := s.Acquire(ctx, 1); err != nil {
				panic(err)
			}
		}, func() { s.Release(1) }
	}},
	{"chan", func(limit int64) (func(), func()) {
		ch := make(chan struct{}, limit)
		return func() { ch <- struct{}{} }, func() { <-ch }
	}},
	{"weft", weft()},
	{"weft-fifo", weft(semaphore.WithPolicy(semaphore.FIFO))},
}

// atomicsFloor is not a semaphore: it cannot wait. It is what any
// semaphore built on atomics must do at least when permits are free, one
// compare-and-swap to take a permit and one add to give it back, called
// the same way as the semaphores, so that the uncontended case shows how
// close each comes to that floor.
func atomicsFloor(limit int64) (acquire, release func()) {
	var free atomic.Int64
	free.Store(limit)
	return func() {
			for {
				n := free.Load()
				if n <= 0 {
					panic("atomicsFloor: no permit free")
				}
				if free.CompareAndSwap(n, n-1) {
					return
				}
			}
		}, func() {
			free.Add(1)
		}
}

// BenchmarkSemaphore measures one acquire+release of a single permit:
//   - uncontended: one goroutine, limit 1; impl=atomics is the floor that
//     no semaphore built on atomics can beat (see atomicsFloor);
//   - contended: 16 goroutines on a limit of 4, empty critical section;
//   - yield: the same with runtime.Gosched() while holding the permit.
//
// Read the ratios of weft to xsync, marusama and chan within each case:
//
//	benchstat -col /impl results.txt
func BenchmarkSemaphore(b *testing.B) {
	for _, impl := range semImpls {
		if impl.name == "weft-fifo" {
			continue // the same code as weft without contention
		}
		b.Run("case=uncontended/impl="+impl.name, func(b *testing.B) {
			acquire, release := impl.make(1)
			b.ReportAllocs()
			for b.Loop() {
				acquire()
				release()
			}
		})
	}
	b.Run("case=uncontended/impl=atomics", func(b *testing.B) {
		acquire, release := atomicsFloor(1)
		b.ReportAllocs()
		for b.Loop() {
			acquire()
			release()
		}
	})
	for _, impl := range semImpls {
		b.Run("case=contended/impl="+impl.name, func(b *testing.B) {
			contended(b, impl, func() {})
		})
	}
	for _, impl := range semImpls {
		b.Run("case=yield/impl="+impl.name, func(b *testing.B) {
			contended(b, impl, runtime.Gosched)
		})
	}
}

// contended runs 16 goroutines (rounded to a multiple of GOMAXPROCS) that
// acquire and release one permit of a limit of 4, calling hold in between.
func contended(b *testing.B, impl semImpl, hold func()) {
	acquire, release := impl.make(4)
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			acquire()
			hold()
			release()
		}
	})
}
