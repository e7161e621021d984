package future_test

import (
	"context"
	"errors"
	"testing"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

func TestSubmitOnPool(t *testing.T) {
	p := pool.New(2)
	defer p.Shutdown(context.Background())
	f, err := future.Submit(t.Context(), p, func(context.Context) (int, error) { return 5, nil })
	if err != nil {
		t.Fatal(err)
	}
	g, _ := future.Submit(t.Context(), p, func(context.Context) (int, error) { return 0, errBoom })
	h, _ := future.Submit(t.Context(), p, func(context.Context) (int, error) { panic("task") })
	if v, err := f.Result(t.Context()); v != 5 || err != nil {
		t.Fatalf("f = %v, %v", v, err)
	}
	if _, err := g.Result(t.Context()); !errors.Is(err, errBoom) {
		t.Fatalf("g = %v", err)
	}
	var pe *future.PanicError
	if _, err := h.Result(t.Context()); !errors.As(err, &pe) {
		t.Fatalf("h = %v", err)
	}
	// Task errors went to the futures only, not to the pool.
	if err := p.Wait(); err != nil {
		t.Fatalf("pool.Wait = %v", err)
	}
}

func TestSubmitOnPoolCallbackPanicGoesToPool(t *testing.T) {
	p := pool.New(1)
	release := make(chan struct{})
	f, _ := future.Submit(t.Context(), p, func(context.Context) (int, error) { <-release; return 1, nil })
	_ = f.OnDone(func(*future.Future[int]) { panic("cb") })
	close(release)
	var pe *future.PanicError
	if err := p.Shutdown(context.Background()); !errors.As(err, &pe) || pe.Value != "cb" {
		t.Fatalf("Shutdown = %v", err)
	}
	if !errors.As(f.CallbackErr(), &pe) {
		t.Fatalf("CallbackErr = %v", f.CallbackErr())
	}
}

func TestTrySubmit(t *testing.T) {
	p := pool.New(1, pool.WithQueueSize(0))
	defer p.Shutdown(context.Background())
	release := make(chan struct{})
	f, err := future.TrySubmit(p, func(context.Context) (int, error) { <-release; return 1, nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := future.TrySubmit(p, func(context.Context) (int, error) { return 2, nil }); !errors.Is(err, pool.ErrQueueFull) {
		t.Fatalf("TrySubmit on a full pool = %v", err)
	}
	close(release)
	if v, _ := f.Result(t.Context()); v != 1 {
		t.Fatal(v)
	}
	e := future.NewExecutor(1, pool.WithQueueSize(0))
	defer e.Shutdown(context.Background(), false)
	g, err := future.TrySubmit(e, func(context.Context) (int, error) { return 3, nil })
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := g.Result(t.Context()); v != 3 {
		t.Fatal(v)
	}
}
