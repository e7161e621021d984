package future_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

var errBoom = errors.New("boom")

func TestGoResult(t *testing.T) {
	f := future.Go(t.Context(), func(context.Context) (int, error) { return 42, nil })
	v, err := f.Result(t.Context())
	if v != 42 || err != nil {
		t.Fatalf("Result = %v, %v", v, err)
	}
	if s := f.State(); s != future.Finished {
		t.Fatalf("State = %v", s)
	}
	<-f.Done()
	if v, err, ok := f.TryResult(); !ok || v != 42 || err != nil {
		t.Fatalf("TryResult = %v, %v, %v", v, err, ok)
	}
}

func TestTaskErrorSurfaces(t *testing.T) {
	f := future.Go(t.Context(), func(context.Context) (int, error) { return 0, errBoom })
	if _, err := f.Result(t.Context()); !errors.Is(err, errBoom) {
		t.Fatalf("err = %v", err)
	}
}

func TestTaskPanicSurfaces(t *testing.T) {
	f := future.Go(t.Context(), func(context.Context) (int, error) { panic(errBoom) })
	_, err := f.Result(t.Context())
	var pe *future.PanicError
	if !errors.As(err, &pe) || !errors.Is(err, errBoom) || len(pe.Stack) == 0 {
		t.Fatalf("err = %v", err)
	}
}

func TestTaskGoexit(t *testing.T) {
	f := future.Go(t.Context(), func(context.Context) (int, error) { runtime.Goexit(); return 1, nil })
	if _, err := f.Result(t.Context()); !errors.Is(err, future.ErrGoexit) {
		t.Fatalf("err = %v", err)
	}
}

func TestResultContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := future.NewPromise[int]()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		_, err := p.Future().Result(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
			t.Fatalf("err = %v after %v", err, time.Since(start))
		}
		if p.Future().State() != future.Pending {
			t.Fatal("a timed-out Result changed the future")
		}
	})
}

func TestCancelPending(t *testing.T) {
	p := future.NewPromise[int]()
	f := p.Future()
	var calls int
	_ = f.OnDone(func(*future.Future[int]) { calls++ })
	if got := f.Cancel(); got != future.Canceled {
		t.Fatalf("Cancel = %v", got)
	}
	if calls != 1 {
		t.Fatalf("callback ran %d times", calls)
	}
	_, err := f.Result(t.Context())
	if !errors.Is(err, future.ErrCanceled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if got := f.Cancel(); got != future.Canceled {
		t.Fatalf("second Cancel = %v", got)
	}
	if err := p.Resolve(1); !errors.Is(err, future.ErrAlreadyCompleted) {
		t.Fatalf("Resolve after cancel = %v", err)
	}
	select {
	case <-p.Context().Done():
	default:
		t.Fatal("promise context not done after cancel")
	}
}

func TestCancelRunning(t *testing.T) {
	started := make(chan struct{})
	f := future.Go(t.Context(), func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		return 7, ctx.Err()
	})
	<-started
	if got := f.Cancel(); got != future.Running {
		t.Fatalf("Cancel = %v", got)
	}
	v, err := f.Result(t.Context())
	if v != 7 || !errors.Is(err, context.Canceled) || f.State() != future.Finished {
		t.Fatalf("Result = %v, %v, state %v", v, err, f.State())
	}
	if got := f.Cancel(); got != future.Finished {
		t.Fatalf("Cancel after finish = %v", got)
	}
}

func TestCancelRunningErrWithoutDone(t *testing.T) {
	started, canceled := make(chan struct{}), make(chan struct{})
	f := future.Go(t.Context(), func(ctx context.Context) (int, error) {
		close(started)
		<-canceled
		return 0, ctx.Err() // never called ctx.Done: the lazy path
	})
	<-started
	f.Cancel()
	close(canceled)
	if _, err := f.Result(t.Context()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestTaskContextFollowsParent(t *testing.T) {
	ctx, cancel := context.WithCancelCause(t.Context())
	started := make(chan struct{})
	f := future.Go(ctx, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		return 0, context.Cause(ctx)
	})
	<-started
	cancel(errBoom)
	if _, err := f.Result(t.Context()); !errors.Is(err, context.Canceled) && !errors.Is(err, errBoom) {
		t.Fatalf("err = %v", err)
	}
}

func TestTaskContextDoneAfterReturn(t *testing.T) {
	leaked := make(chan context.Context, 1)
	f := future.Go(t.Context(), func(ctx context.Context) (int, error) {
		leaked <- ctx
		return 0, nil
	})
	_, _ = f.Result(t.Context())
	ctx := <-leaked
	<-ctx.Done()
	if ctx.Err() == nil {
		t.Fatal("task context not done after the task returned")
	}
}

func TestCallbacksInOrderAndOnce(t *testing.T) {
	p := future.NewPromise[int]()
	var got []int
	for i := range 5 {
		_ = p.Future().OnDone(func(f *future.Future[int]) {
			v, _, _ := f.TryResult()
			got = append(got, i*100+v)
		})
	}
	if err := p.Resolve(1); err != nil {
		t.Fatal(err)
	}
	if err := p.Resolve(2); !errors.Is(err, future.ErrAlreadyCompleted) {
		t.Fatalf("second Resolve = %v", err)
	}
	p.Future().Cancel()
	want := []int{1, 101, 201, 301, 401}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestCallbackAfterDoneRunsAtOnce(t *testing.T) {
	p := future.NewPromise[int]()
	_ = p.Reject(errBoom)
	ran := false
	if err := p.Future().OnDone(func(*future.Future[int]) { ran = true }); err != nil || !ran {
		t.Fatalf("OnDone = %v, ran %v", err, ran)
	}
}

func TestCallbackPanicsAreKept(t *testing.T) {
	p := future.NewPromise[int]()
	f := p.Future()
	second := false
	_ = f.OnDone(func(*future.Future[int]) { panic("first") })
	_ = f.OnDone(func(*future.Future[int]) { second = true })
	err := p.Resolve(1)
	var pe *future.PanicError
	if !errors.As(err, &pe) || pe.Value != "first" {
		t.Fatalf("Resolve = %v", err)
	}
	if !second {
		t.Fatal("a panicking callback stopped the next one")
	}
	if !errors.As(f.CallbackErr(), &pe) {
		t.Fatalf("CallbackErr = %v", f.CallbackErr())
	}
	err = f.OnDone(func(*future.Future[int]) { panic("late") })
	if !errors.As(err, &pe) || pe.Value != "late" {
		t.Fatalf("late OnDone = %v", err)
	}
	if v, _ := f.Result(t.Context()); v != 1 {
		t.Fatal("callback panic changed the result")
	}
}

func TestCallbackPanicOnWorkerIsKept(t *testing.T) {
	release := make(chan struct{})
	f := future.Go(t.Context(), func(context.Context) (int, error) { <-release; return 1, nil })
	_ = f.OnDone(func(*future.Future[int]) { panic("cb") })
	synced := make(chan struct{})
	_ = f.OnDone(func(*future.Future[int]) { close(synced) }) // runs after the first
	close(release)
	<-synced
	var pe *future.PanicError
	if err := f.CallbackErr(); !errors.As(err, &pe) || pe.Value != "cb" {
		t.Fatalf("CallbackErr = %v", err)
	}
}

func TestConcurrentWaiters(t *testing.T) {
	n := 4 * runtime.GOMAXPROCS(0)
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	for range rounds {
		p := future.NewPromise[int]()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				if v, err := p.Future().Result(context.Background()); v != 9 || err != nil {
					errs <- errors.New("bad result")
				}
			})
		}
		wg.Go(func() { _ = p.Resolve(9) })
		wg.Go(func() { p.Future().Cancel() })
		wg.Wait()
		close(errs)
		if p.Future().State() == future.Finished {
			for err := range errs {
				t.Fatal(err)
			}
		}
	}
}

func TestDoneIsStable(t *testing.T) {
	p := future.NewPromise[int]()
	before := p.Future().Done()
	_ = p.Resolve(1)
	if after := p.Future().Done(); after != before {
		t.Fatal("Done changed after completion")
	}
	q := future.NewPromise[int]()
	_ = q.Resolve(1)
	first := q.Future().Done()
	if q.Future().Done() != first {
		t.Fatal("Done not stable on a done future")
	}
}

// Every outcome of a task — value, error, panic, Goexit, a return after
// Cancel — is delivered to its future exactly once, whatever runs the task:
// the future's result never changes afterwards and each done-callback runs
// once.
func TestTaskOutcomeDeliveredOnce(t *testing.T) {
	outcomes := map[string]struct {
		fn    func(ctx context.Context) (int, error)
		check func(t *testing.T, v int, err error)
	}{
		"value": {
			func(context.Context) (int, error) { return 5, nil },
			func(t *testing.T, v int, err error) { require.NoError(t, err); require.Equal(t, 5, v) },
		},
		"error": {
			func(context.Context) (int, error) { return 5, errBoom },
			func(t *testing.T, v int, err error) { require.ErrorIs(t, err, errBoom); require.Equal(t, 5, v) },
		},
		"panic": {
			func(context.Context) (int, error) { panic(errBoom) },
			func(t *testing.T, _ int, err error) {
				var pe *future.PanicError
				require.ErrorAs(t, err, &pe)
				require.ErrorIs(t, err, errBoom)
			},
		},
		"Goexit": {
			func(context.Context) (int, error) { runtime.Goexit(); return 5, nil },
			func(t *testing.T, _ int, err error) { require.ErrorIs(t, err, future.ErrGoexit) },
		},
		"canceled while running": {
			func(ctx context.Context) (int, error) { <-ctx.Done(); return 5, ctx.Err() },
			func(t *testing.T, v int, err error) {
				require.ErrorIs(t, err, context.Canceled)
				require.Equal(t, 5, v)
			},
		},
	}
	runners := map[string]func(t *testing.T, fn func(context.Context) (int, error)) (*future.Future[int], func()){
		"Go": func(t *testing.T, fn func(context.Context) (int, error)) (*future.Future[int], func()) {
			return future.Go(t.Context(), fn), func() {}
		},
		"pool": func(t *testing.T, fn func(context.Context) (int, error)) (*future.Future[int], func()) {
			p := pool.New(1)
			f, err := future.Submit(t.Context(), p, fn)
			require.NoError(t, err)
			// The pool's own report of the task is the pool's business.
			return f, func() { _ = p.Shutdown(context.Background()) }
		},
		"executor": func(t *testing.T, fn func(context.Context) (int, error)) (*future.Future[int], func()) {
			e := future.NewExecutor(1)
			f, err := future.Submit(t.Context(), e, fn)
			require.NoError(t, err)
			return f, func() { _ = e.Shutdown(context.Background(), false) }
		},
	}
	for rname, run := range runners {
		for oname, o := range outcomes {
			t.Run(rname+"/"+oname, func(t *testing.T) {
				gate, started := make(chan struct{}), make(chan struct{})
				f, stop := run(t, func(ctx context.Context) (int, error) {
					close(started)
					<-gate
					return o.fn(ctx)
				})
				var calls atomic.Int32
				require.NoError(t, f.OnDone(func(*future.Future[int]) { calls.Add(1) }))
				<-started
				if oname == "canceled while running" {
					require.Equal(t, future.Running, f.Cancel())
				}
				close(gate)
				v, err := f.Result(t.Context())
				o.check(t, v, err)
				stop()
				require.Equal(t, future.Finished, f.State())
				require.Equal(t, int32(1), calls.Load())
				v2, err2, ok := f.TryResult()
				require.True(t, ok)
				require.Equal(t, v, v2)
				require.Equal(t, err, err2)
				require.Equal(t, future.Finished, f.Cancel())
				require.NoError(t, f.CallbackErr())
				done, notDone, werr := future.Wait(t.Context(), future.AllCompleted, f, f)
				require.NoError(t, werr)
				require.Equal(t, []*future.Future[int]{f}, done)
				require.Empty(t, notDone)
			})
		}
	}
}
