package future_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// Issue 9, bug 8: a future task's outcome goes to the future only, exactly
// once, and the pool counts the task once, in the counter that fits.
func TestSubmitOnPoolCountsEachOutcomeOnce(t *testing.T) {
	cases := []struct {
		name                        string
		fn                          func(context.Context) (int, error)
		check                       func(t *testing.T, err error)
		completed, failed, panicked uint64
	}{
		{"value", func(context.Context) (int, error) { return 1, nil },
			func(t *testing.T, err error) { assert.NoError(t, err) }, 1, 0, 0},
		{"error", func(context.Context) (int, error) { return 0, errBoom },
			func(t *testing.T, err error) { assert.ErrorIs(t, err, errBoom) }, 0, 1, 0},
		{"panic", func(context.Context) (int, error) { panic("task") },
			func(t *testing.T, err error) { var pe *future.PanicError; assert.ErrorAs(t, err, &pe) }, 0, 0, 1},
		{"goexit", func(context.Context) (int, error) { runtime.Goexit(); return 0, nil },
			func(t *testing.T, err error) { assert.ErrorIs(t, err, future.ErrGoexit) }, 0, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := pool.New(1)
			f, err := future.Submit(t.Context(), p, tc.fn)
			require.NoError(t, err)
			_, err = f.Result(t.Context())
			tc.check(t, err)
			assert.NoError(t, p.Wait(), "the outcome went to the future; the pool reports nothing")
			st := p.Stats()
			assert.EqualValues(t, 1, st.Submitted)
			assert.Equal(t, tc.completed, st.Completed, "completed")
			assert.Equal(t, tc.failed, st.Failed, "failed")
			assert.Equal(t, tc.panicked, st.Panicked, "panicked")
			assert.Equal(t, 1, st.Workers, "a Goexit does not cost the pool a worker")
			require.NoError(t, p.Shutdown(context.Background()))
		})
	}
}

// Issue 9, bug 5.
func TestSubmitRejectsNilContext(t *testing.T) {
	p := pool.New(1)
	defer p.Shutdown(context.Background())
	task := func(context.Context) (int, error) { return 0, nil }
	var nilCtx context.Context
	assert.PanicsWithValue(t, "future: nil Context", func() { _, _ = future.Submit(nilCtx, p, task) })
	// Nothing was left locked: the pool still takes a task.
	f, err := future.Submit(t.Context(), p, task)
	require.NoError(t, err)
	_, err = f.Result(t.Context())
	assert.NoError(t, err)
}

// Submit waits for room until ctx ends; then it returns the context's cause
// and the task never runs.
func TestSubmitOnPoolContextBoundsTheWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1, pool.WithQueueSize(0))
		release := make(chan struct{})
		require.NoError(t, p.Go(func() { <-release }))
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		ran := false
		f, err := future.Submit(ctx, p, func(context.Context) (int, error) { ran = true; return 1, nil })
		assert.Nil(t, f)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		close(release)
		require.NoError(t, p.Shutdown(context.Background()))
		assert.False(t, ran)
	})
}
