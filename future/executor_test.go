package future_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

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
			if f.State() != future.Canceled || !errors.Is(err, future.ErrCanceled) || !errors.Is(err, context.Canceled) {
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
		if f.State() != future.Canceled {
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
		t.Fatalf("Stop canceled %d", n)
	}
	if _, err := running.Result(t.Context()); !errors.Is(err, pool.ErrStopped) {
		t.Fatalf("running = %v", err)
	}
	if _, err := queued.Result(t.Context()); !errors.Is(err, future.ErrCanceled) {
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
	if s := queued[0].Cancel(); s != future.Canceled {
		t.Fatalf("Cancel = %v", s)
	}
	close(release)
	if err := e.Shutdown(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if queued[0].State() != future.Canceled {
		t.Fatal("canceled future ran")
	}
}

// A task that waits on another future of the same saturated executor: the
// waiting task runs the queued one itself instead of deadlocking.
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

func TestNewExecutorMisuse(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "future: ") {
			t.Fatalf("panic = %v", r)
		}
	}()
	future.NewExecutor(0)
}
