package pipeline

import (
	"context"
	"runtime"
	"testing"
)

// One producer, one sender, with the producer pausing now and then and a
// small ring: every item arrives once, in order.
func TestHandoffDeliversInOrder(t *testing.T) {
	n := 200000
	if testing.Short() {
		n = 20000
	}
	for _, size := range []int{1, 4, 128} {
		h := newHandoff[int](size)
		ctx := context.Background()
		go func() {
			defer h.close()
			for i := range n {
				if i%1000 == 0 {
					runtime.Gosched()
				}
				if h.put(ctx, i) != nil {
					return
				}
			}
		}()
		want := 0
		for {
			c, ok := h.take(ctx)
			if !ok {
				break
			}
			if len(c) == 0 || len(c) > h.max {
				t.Fatalf("size %d: batch of %d", size, len(c))
			}
			for _, v := range c {
				if v != want {
					t.Fatalf("size %d: got %d, want %d", size, v, want)
				}
				want++
			}
		}
		if want != n {
			t.Fatalf("size %d: got %d items, want %d", size, want, n)
		}
	}
}

func TestHandoffCancel(t *testing.T) {
	h := newHandoff[int](1)
	ctx, cancel := context.WithCancel(context.Background())
	if err := h.put(ctx, 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if h.put(ctx, 2) == nil {
		t.Fatal("put on a full ring with a canceled context succeeded")
	}
	if c, ok := h.take(ctx); !ok || len(c) != 1 {
		t.Fatalf("take = %v, %v", c, ok)
	}
	if _, ok := h.take(ctx); ok {
		t.Fatal("take on an empty ring with a canceled context succeeded")
	}
}
