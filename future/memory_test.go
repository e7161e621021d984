package future_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

// retained reports the heap bytes per element kept alive by n calls of mk,
// less the 8-byte pointer that holds each element.
func retained[T any](n int, mk func() T) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	keep := make([]T, n)
	for i := range keep {
		keep[i] = mk()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	return float64(after.HeapAlloc-before.HeapAlloc)/float64(n) - 8
}

// A completed Future[int] that nobody waited on is one object of the
// 80-byte size class (Future[int] is 80 bytes: size_internal_test.go). The
// heap measure is within a couple of bytes, so the bound is halfway to the
// next size class, 96.
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
		t.Run(name, func(t *testing.T) {
			b := retained(n, mk)
			assert.Less(t, b, 88.0, "bytes retained per completed Future[int]")
			t.Logf("%.1f bytes per completed Future[int]", b)
		})
	}
	t.Run("promise allocations", func(t *testing.T) {
		assert.Equal(t, 1.0, testing.AllocsPerRun(100, func() { cases["promise"]() }))
	})
}

// A future submitted to a pool is one allocation of the 96-byte size class
// (size_internal_test.go): the Future[int] and, beside it, the room for the
// context of its run, which the pool would otherwise allocate when the task
// starts. The heap measure's bound is halfway to the next class, 112.
func TestPoolFutureIsOneAllocation(t *testing.T) {
	ctx := context.Background()
	p := pool.New(1)
	defer func() { assert.NoError(t, p.Shutdown(ctx)) }()
	fn := func(context.Context) (int, error) { return 1, nil }
	mk := func() *future.Future[int] {
		f, err := future.Submit(ctx, p, fn)
		assert.NoError(t, err)
		assert.NoError(t, p.Wait())
		return f
	}
	assert.Equal(t, 1.0, testing.AllocsPerRun(200, func() { mk() }))
	b := retained(20000, mk)
	assert.Less(t, b, 104.0, "bytes retained per completed Future[int] from a pool")
	t.Logf("%.1f bytes per completed Future[int] from a pool", b)
}

// The room a pool future keeps serves the run's context only when Submit
// is given a context the pool's own can stand for: with any other, the
// run's context is an allocation of its own, one more, as the doc says.
func TestPoolFutureWithAnotherContextIsTwoAllocations(t *testing.T) {
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, 1)
	p := pool.New(1)
	defer func() { assert.NoError(t, p.Shutdown(ctx)) }()
	fn := func(context.Context) (int, error) { return 1, nil }
	assert.Equal(t, 2.0, testing.AllocsPerRun(200, func() {
		_, err := future.Submit(ctx, p, fn)
		assert.NoError(t, err)
		assert.NoError(t, p.Wait())
	}))
}
