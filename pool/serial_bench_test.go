package pool_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/weftgo/weft/pool"
)

// BenchmarkSerial measures one empty task per op submitted with a key,
// cycling through a number of keys, against the same task submitted with
// Pool.Go, on a pool with a limit of GOMAXPROCS (issue 12's bar: keyed at
// most twice plain).
func BenchmarkSerial(b *testing.B) {
	limit := runtime.GOMAXPROCS(0)
	var n atomic.Int64
	work := func() { n.Add(1) }
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		p := pool.New(limit)
		b.ResetTimer()
		for range b.N {
			_ = p.Go(work)
		}
		_ = p.Shutdown(context.Background()) // timed: every task has run
	})
	for _, keys := range []int{1, 16, 1024} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			b.ReportAllocs()
			p := pool.New(limit)
			s := pool.NewSerial[int](p)
			b.ResetTimer()
			for i := range b.N {
				_ = s.Go(i%keys, work)
			}
			_ = p.Shutdown(context.Background()) // timed: every task has run
		})
	}
}
