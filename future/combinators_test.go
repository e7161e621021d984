package future_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/weftgo/weft/future"
)

func TestAll(t *testing.T) {
	ps, fs := promises(3)
	for i, p := range ps {
		_ = p.Resolve(i * 10)
	}
	got, err := future.All(t.Context(), fs[2], fs[0], fs[2])
	if err != nil || !slices.Equal(got, []int{20, 0, 20}) {
		t.Fatalf("All = %v, %v", got, err)
	}
}

func TestAllFailsFastAndCancels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(3)
		started := make(chan struct{})
		running := future.Go(t.Context(), func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			return 0, ctx.Err()
		})
		<-started
		go func() {
			time.Sleep(time.Second)
			_ = ps[1].Reject(errBoom)
		}()
		_, err := future.All(t.Context(), fs[0], fs[1], fs[2], running)
		if !errors.Is(err, errBoom) {
			t.Fatalf("err = %v", err)
		}
		if fs[0].State() != future.Canceled || fs[2].State() != future.Canceled {
			t.Fatal("pending futures not canceled")
		}
		if _, err := running.Result(t.Context()); !errors.Is(err, context.Canceled) {
			t.Fatalf("running future: %v", err)
		}
	})
}

func TestAllContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, fs := promises(2)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := future.All(ctx, fs...); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		if fs[0].State() != future.Pending {
			t.Fatal("All canceled on ctx end")
		}
	})
}

func TestAllSettled(t *testing.T) {
	ps, fs := promises(2)
	_ = ps[0].Resolve(1)
	_ = ps[1].Reject(errBoom)
	got, err := future.AllSettled(t.Context(), fs...)
	if err != nil || got[0].Value != 1 || got[0].Err != nil || !errors.Is(got[1].Err, errBoom) {
		t.Fatalf("AllSettled = %v, %v", got, err)
	}
}

func TestAny(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(3)
		go func() {
			_ = ps[0].Reject(errBoom)
			time.Sleep(time.Second)
			_ = ps[2].Resolve(2)
		}()
		v, err := future.Any(t.Context(), fs...)
		if v != 2 || err != nil {
			t.Fatalf("Any = %v, %v", v, err)
		}
		if fs[1].State() != future.Canceled {
			t.Fatal("loser not canceled")
		}
	})
}

func TestAnyAllFail(t *testing.T) {
	ps, fs := promises(2)
	err1, err2 := errors.New("one"), errors.New("two")
	_ = ps[1].Reject(err2)
	_ = ps[0].Reject(err1)
	_, err := future.Any(t.Context(), fs...)
	if !errors.Is(err, err1) || !errors.Is(err, err2) {
		t.Fatalf("err = %v", err)
	}
	if _, err := future.Any[int](t.Context()); !errors.Is(err, future.ErrNoFutures) {
		t.Fatalf("Any() = %v", err)
	}
}

func TestRace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(2)
		go func() {
			time.Sleep(time.Second)
			_ = ps[1].Reject(errBoom)
		}()
		if _, err := future.Race(t.Context(), fs...); !errors.Is(err, errBoom) {
			t.Fatalf("Race = %v", err)
		}
		if fs[0].State() != future.Canceled {
			t.Fatal("loser not canceled")
		}
		if _, err := future.Race[int](t.Context()); !errors.Is(err, future.ErrNoFutures) {
			t.Fatalf("Race() = %v", err)
		}
	})
}

func TestThen(t *testing.T) {
	p := future.NewPromise[int]()
	g := future.Then(p.Future(), func(_ context.Context, v int) (string, error) {
		return string(rune('a' + v)), nil
	})
	h := future.Then(g, func(_ context.Context, s string) (int, error) { return 0, errBoom })
	k := future.Then(h, func(_ context.Context, v int) (int, error) { t.Error("ran after failure"); return v, nil })
	_ = p.Resolve(2)
	if s, err := g.Result(t.Context()); s != "c" || err != nil {
		t.Fatalf("g = %q, %v", s, err)
	}
	if _, err := k.Result(t.Context()); !errors.Is(err, errBoom) {
		t.Fatalf("k = %v", err)
	}
}

func TestThenCancelledBeforeSource(t *testing.T) {
	p := future.NewPromise[int]()
	g := future.Then(p.Future(), func(_ context.Context, v int) (int, error) {
		t.Error("canceled Then ran")
		return v, nil
	})
	g.Cancel()
	_ = p.Resolve(1)
	if _, err := g.Result(t.Context()); !errors.Is(err, future.ErrCanceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestThenPanic(t *testing.T) {
	p := future.NewPromise[int]()
	g := future.Then(p.Future(), func(context.Context, int) (int, error) { panic("then") })
	_ = p.Resolve(1)
	var pe *future.PanicError
	if _, err := g.Result(t.Context()); !errors.As(err, &pe) {
		t.Fatalf("err = %v", err)
	}
}

func TestCompose(t *testing.T) {
	p := future.NewPromise[int]()
	g := future.Compose(p.Future(), func(ctx context.Context, v int) (*future.Future[int], error) {
		return future.Go(ctx, func(context.Context) (int, error) { return v * 2, nil }), nil
	})
	_ = p.Resolve(21)
	if v, err := g.Result(t.Context()); v != 42 || err != nil {
		t.Fatalf("g = %v, %v", v, err)
	}
}

func TestComposeCancelReachesInner(t *testing.T) {
	p := future.NewPromise[int]()
	started := make(chan struct{})
	g := future.Compose(p.Future(), func(ctx context.Context, v int) (*future.Future[int], error) {
		return future.Go(ctx, func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			return 0, ctx.Err()
		}), nil
	})
	_ = p.Resolve(1)
	<-started
	if s := g.Cancel(); s != future.Running {
		t.Fatalf("Cancel = %v", s)
	}
	if _, err := g.Result(t.Context()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestComposeErrors(t *testing.T) {
	p := future.NewPromise[int]()
	g := future.Compose(p.Future(), func(context.Context, int) (*future.Future[int], error) { return nil, errBoom })
	h := future.Compose(p.Future(), func(context.Context, int) (*future.Future[int], error) { return nil, nil })
	_ = p.Resolve(1)
	if _, err := g.Result(t.Context()); !errors.Is(err, errBoom) {
		t.Fatalf("g = %v", err)
	}
	if _, err := h.Result(t.Context()); err == nil {
		t.Fatal("nil inner future accepted")
	}
}
