package future_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

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

// blockedExecutor returns an executor with one worker busy until release is
// closed, and n futures queued behind it.
func blockedExecutor(t *testing.T, n int) (e *future.Executor, running *future.Future[int], queued []*future.Future[int], release chan struct{}) {
	e = future.NewExecutor(1)
	release = make(chan struct{})
	started := make(chan struct{})
	running, err := future.Submit(t.Context(), e, func(context.Context) (int, error) {
		close(started)
		<-release
		return -1, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	for i := range n {
		f, err := future.Submit(t.Context(), e, func(context.Context) (int, error) { return i, nil })
		if err != nil {
			t.Fatal(err)
		}
		queued = append(queued, f)
	}
	return e, running, queued, release
}

func TestExecutorShutdownWaits(t *testing.T) {
	e, running, queued, release := blockedExecutor(t, 3)
	close(release)
	if err := e.Shutdown(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	for i, f := range append(queued, running) {
		if f.State() != future.Finished {
			t.Fatalf("future %d is %v after Shutdown", i, f.State())
		}
	}
	if _, err := future.Submit(t.Context(), e, func(context.Context) (int, error) { return 0, nil }); !errors.Is(err, future.ErrClosed) {
		t.Fatalf("Submit after Shutdown = %v", err)
	}
}

func TestExecutorShutdownCancelFutures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, running, queued, release := blockedExecutor(t, 3)
		go func() {
			time.Sleep(time.Second)
			close(release)
		}()
		if err := e.Shutdown(context.Background(), true); err != nil {
			t.Fatal(err)
		}
		if v, err := running.Result(t.Context()); v != -1 || err != nil {
			t.Fatalf("running future = %v, %v", v, err)
		}
		for _, f := range queued {
			_, err := f.Result(t.Context())
			if f.State() != future.Cancelled || !errors.Is(err, future.ErrCancelled) || !errors.Is(err, context.Canceled) {
				t.Fatalf("queued future: %v, %v", f.State(), err)
			}
		}
	})
}

func TestExecutorCloseDoesNotWait(t *testing.T) {
	e, running, queued, release := blockedExecutor(t, 2)
	e.Close(true) // returns while the running task is still blocked
	if running.State() != future.Running {
		t.Fatalf("running future is %v", running.State())
	}
	for _, f := range queued {
		if f.State() != future.Cancelled {
			t.Fatalf("queued future is %v", f.State())
		}
	}
	close(release)
	if err := e.Shutdown(context.Background(), false); err != nil {
		t.Fatal(err)
	}
}

func TestExecutorStop(t *testing.T) {
	e := future.NewExecutor(1)
	started := make(chan struct{})
	running, _ := future.Submit(t.Context(), e, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		return 0, context.Cause(ctx)
	})
	<-started
	queued, _ := future.Submit(t.Context(), e, func(context.Context) (int, error) { return 1, nil })
	if n := e.Stop(); n != 1 {
		t.Fatalf("Stop cancelled %d", n)
	}
	if _, err := running.Result(t.Context()); !errors.Is(err, pool.ErrStopped) {
		t.Fatalf("running = %v", err)
	}
	if _, err := queued.Result(t.Context()); !errors.Is(err, future.ErrCancelled) {
		t.Fatalf("queued = %v", err)
	}
}

func TestExecutorCancelRunning(t *testing.T) {
	e := future.NewExecutor(1)
	defer e.Shutdown(context.Background(), false)
	started := make(chan struct{})
	f, _ := future.Submit(t.Context(), e, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		return 0, ctx.Err()
	})
	<-started
	if s := f.Cancel(); s != future.Running {
		t.Fatalf("Cancel = %v", s)
	}
	if _, err := f.Result(t.Context()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestExecutorCancelPendingNeverRuns(t *testing.T) {
	e, _, queued, release := blockedExecutor(t, 1)
	if s := queued[0].Cancel(); s != future.Cancelled {
		t.Fatalf("Cancel = %v", s)
	}
	close(release)
	if err := e.Shutdown(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if queued[0].State() != future.Cancelled {
		t.Fatal("cancelled future ran")
	}
}

// A task that waits on another future of the same saturated executor: the
// waiting task runs the queued one itself instead of deadlocking.
func TestExecutorTaskWaitsOnTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := future.NewExecutor(1)
		defer e.Shutdown(context.Background(), false)
		outer, err := future.Submit(t.Context(), e, func(ctx context.Context) (int, error) {
			inner, err := future.Submit(ctx, e, func(context.Context) (int, error) { return 41, nil })
			if err != nil {
				return 0, err
			}
			v, err := inner.Result(ctx)
			return v + 1, err
		})
		if err != nil {
			t.Fatal(err)
		}
		if v, err := outer.Result(t.Context()); v != 42 || err != nil {
			t.Fatalf("outer = %v, %v", v, err)
		}
	})
}

func TestExecutorTaskWaitsOnManyTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := future.NewExecutor(2)
		defer e.Shutdown(context.Background(), false)
		fanout := func(ctx context.Context) (int, error) {
			var fs []*future.Future[int]
			for i := range 5 {
				f, err := future.Submit(ctx, e, func(context.Context) (int, error) { return i, nil })
				if err != nil {
					return 0, err
				}
				fs = append(fs, f)
			}
			sum := 0
			for f := range future.AsCompleted(ctx, fs...) {
				v, _ := f.Result(ctx)
				sum += v
			}
			vs, err := future.All(ctx, fs...)
			return sum + len(vs), err
		}
		// Two outer tasks occupy both workers; their inner tasks are queued.
		a, _ := future.Submit(t.Context(), e, fanout)
		b, _ := future.Submit(t.Context(), e, fanout)
		for _, f := range []*future.Future[int]{a, b} {
			if v, err := f.Result(t.Context()); v != 15 || err != nil {
				t.Fatalf("outer = %v, %v", v, err)
			}
		}
	})
}

func TestExecutorCallbackPanicGoesToShutdown(t *testing.T) {
	e := future.NewExecutor(1)
	release := make(chan struct{})
	f, _ := future.Submit(t.Context(), e, func(context.Context) (int, error) { <-release; return 1, nil })
	_ = f.OnDone(func(*future.Future[int]) { panic("cb") })
	close(release)
	var pe *future.PanicError
	if err := e.Shutdown(context.Background(), false); !errors.As(err, &pe) {
		t.Fatalf("Shutdown = %v", err)
	}
}

func TestExecutorShutdownContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, _, _, release := blockedExecutor(t, 1)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := e.Shutdown(ctx, false); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v", err)
		}
		close(release)
		if err := e.Shutdown(context.Background(), false); err != nil {
			t.Fatal(err)
		}
	})
}

func TestExecutorSubmitContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := future.NewExecutor(1, pool.WithQueueSize(0))
		release := make(chan struct{})
		_, _ = future.Submit(t.Context(), e, func(context.Context) (int, error) { <-release; return 0, nil })
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := future.Submit(ctx, e, func(context.Context) (int, error) { return 0, nil }); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Submit on a full executor = %v", err)
		}
		close(release)
		if err := e.Shutdown(context.Background(), false); err != nil {
			t.Fatal(err)
		}
	})
}

// Map on the executor from inside one of its tasks: the queued calls are run
// by the waiting task, so a one-worker executor does not deadlock.
func TestExecutorMapInsideTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := future.NewExecutor(1)
		defer e.Shutdown(context.Background(), false)
		outer, _ := future.Submit(t.Context(), e, func(ctx context.Context) (int, error) {
			sum := 0
			for v, err := range future.Map(ctx, e, slices.Values([]int{1, 2, 3, 4}), func(_ context.Context, i int) (int, error) {
				return i * 10, nil
			}, future.WithBufferSize(2)) {
				if err != nil {
					return 0, err
				}
				sum += v
			}
			return sum, nil
		})
		if v, err := outer.Result(t.Context()); v != 100 || err != nil {
			t.Fatalf("outer = %v, %v", v, err)
		}
	})
}

// On a plain pool nothing runs the queued task for the waiting one: the wait
// fails through its context instead of hanging silently.
func TestPoolTaskWaitsOnTaskFailsByContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1)
		defer p.Shutdown(context.Background())
		outer, _ := future.Submit(t.Context(), p, func(ctx context.Context) (int, error) {
			inner, err := future.Submit(ctx, p, func(context.Context) (int, error) { return 1, nil })
			if err != nil {
				return 0, err
			}
			wctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			return inner.Result(wctx)
		})
		if _, err := outer.Result(t.Context()); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("outer = %v", err)
		}
	})
}

func TestNewExecutorMisuse(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "future: ") {
			t.Fatalf("panic = %v", r)
		}
	}()
	future.NewExecutor(0)
}
