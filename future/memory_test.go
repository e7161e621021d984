package future_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/weftgo/weft/future"
)

// retained reports the heap bytes per element kept alive by make.
func retained[T any](n int, make func() T) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	keep := make_(n, make)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

func make_[T any](n int, mk func() T) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = mk()
	}
	return s
}

// A completed Future[int] costs at most 96 bytes (the bar).
func TestCompletedFutureBytes(t *testing.T) {
	const n = 20000
	ctx := context.Background()
	cases := map[string]func() *future.Future[int]{
		"promise": func() *future.Future[int] {
			p := future.NewPromise[int]()
			_ = p.Resolve(1)
			return p.Future()
		},
		"go": func() *future.Future[int] {
			f := future.Go(ctx, func(context.Context) (int, error) { return 1, nil })
			for f.State() != future.Finished {
				runtime.Gosched()
			}
			return f
		},
	}
	for name, mk := range cases {
		// Each slot also holds an 8-byte pointer in the slice.
		if b := retained(n, mk) - 8; b > 96 {
			t.Errorf("%s: a completed Future[int] retains %.1f bytes, want <= 96", name, b)
		} else {
			t.Logf("%s: %.1f bytes per completed Future[int]", name, b)
		}
	}
	if a := testing.AllocsPerRun(100, func() { cases["promise"]() }); a != 1 {
		t.Errorf("a resolved promise takes %v allocations, want 1", a)
	}
}
