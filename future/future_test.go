package future_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

var errBoom = errors.New("boom")

func TestGoResult(t *testing.T) {
	f := future.Go(t.Context(), func(context.Context) (int, error) { return 42, nil })
	v, err := f.Result(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 42, v)
	assert.Equal(t, future.Finished, f.State())
	<-f.Done()
	v, err, ok := f.TryResult()
	require.True(t, ok, "TryResult of a done future")
	assert.NoError(t, err)
	assert.Equal(t, 42, v)
}

// However a task fails, its failure is the future's error.
func TestTaskFailureIsTheError(t *testing.T) {
	cases := []struct {
		name  string
		fn    func(context.Context) (int, error)
		check func(t *testing.T, err error)
	}{
		{"error", func(context.Context) (int, error) { return 0, errBoom }, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, errBoom)
		}},
		{"panic", func(context.Context) (int, error) { panic(errBoom) }, func(t *testing.T, err error) {
			var pe *future.PanicError
			require.ErrorAs(t, err, &pe)
			assert.ErrorIs(t, err, errBoom, "errors.Is reaches the value passed to panic")
			assert.NotEmpty(t, pe.Stack)
		}},
		{"Goexit", func(context.Context) (int, error) { runtime.Goexit(); return 1, nil }, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, future.ErrGoexit)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := future.Go(t.Context(), c.fn).Result(t.Context())
			c.check(t, err)
		})
	}
}

// Result returns when its context ends and leaves the future alone.
func TestResultContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := future.NewPromise[int]()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		_, err := p.Future().Result(ctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(start), "Result returned at the deadline")
		assert.Equal(t, future.Pending, p.Future().State(), "a timed-out Result changed the future")
	})
}

func TestCancelPending(t *testing.T) {
	p := future.NewPromise[int]()
	f := p.Future()
	var calls int
	require.NoError(t, f.OnDone(func(*future.Future[int]) { calls++ }))
	assert.Equal(t, future.Canceled, f.Cancel())
	assert.Equal(t, 1, calls, "callbacks run by Cancel")
	_, err := f.Result(t.Context())
	assert.ErrorIs(t, err, future.ErrCanceled)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, future.Canceled, f.Cancel(), "second Cancel")
	assert.ErrorIs(t, p.Resolve(1), future.ErrAlreadyCompleted, "Resolve after Cancel")
	select {
	case <-p.Context().Done():
	default:
		t.Error("the promise's context is not done after Cancel")
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
	assert.Equal(t, future.Running, f.Cancel())
	v, err := f.Result(t.Context())
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 7, v, "the value the task returned")
	assert.Equal(t, future.Finished, f.State())
	assert.Equal(t, future.Finished, f.Cancel(), "Cancel after the task returned")
}

// A canceled task that never asks for ctx.Done still sees ctx.Err.
func TestCancelRunningErrWithoutDone(t *testing.T) {
	started, canceled := make(chan struct{}), make(chan struct{})
	f := future.Go(t.Context(), func(ctx context.Context) (int, error) {
		close(started)
		<-canceled
		return 0, ctx.Err()
	})
	<-started
	f.Cancel()
	close(canceled)
	_, err := f.Result(t.Context())
	assert.ErrorIs(t, err, context.Canceled)
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
	_, err := f.Result(t.Context())
	assert.ErrorIs(t, err, errBoom, "the parent's cause reaches the task")
}

func TestTaskContextDoneAfterReturn(t *testing.T) {
	leaked := make(chan context.Context, 1)
	f := future.Go(t.Context(), func(ctx context.Context) (int, error) {
		leaked <- ctx
		return 0, nil
	})
	_, err := f.Result(t.Context())
	require.NoError(t, err)
	ctx := <-leaked
	<-ctx.Done()
	assert.Error(t, ctx.Err())
}

// Callbacks run once each, in the order they were added, whatever
// completes or cancels the future afterwards.
func TestCallbacksInOrderAndOnce(t *testing.T) {
	p := future.NewPromise[int]()
	var got []int
	for i := range 5 {
		require.NoError(t, p.Future().OnDone(func(f *future.Future[int]) {
			v, _, _ := f.TryResult()
			got = append(got, i*100+v)
		}))
	}
	require.NoError(t, p.Resolve(1))
	assert.ErrorIs(t, p.Resolve(2), future.ErrAlreadyCompleted, "second Resolve")
	p.Future().Cancel()
	assert.Equal(t, []int{1, 101, 201, 301, 401}, got)
}

func TestCallbackAfterDoneRunsAtOnce(t *testing.T) {
	p := future.NewPromise[int]()
	require.NoError(t, p.Reject(errBoom))
	ran := false
	assert.NoError(t, p.Future().OnDone(func(*future.Future[int]) { ran = true }))
	assert.True(t, ran, "OnDone on a done future ran the callback")
}

func TestCallbackPanicsAreKept(t *testing.T) {
	p := future.NewPromise[int]()
	f := p.Future()
	second := false
	require.NoError(t, f.OnDone(func(*future.Future[int]) { panic("first") }))
	require.NoError(t, f.OnDone(func(*future.Future[int]) { second = true }))
	var pe *future.PanicError
	err := p.Resolve(1)
	require.ErrorAs(t, err, &pe, "Resolve returns the callback's panic")
	assert.Equal(t, "first", pe.Value)
	assert.True(t, second, "a panicking callback stopped the next one")
	assert.ErrorAs(t, f.CallbackErr(), &pe)

	err = f.OnDone(func(*future.Future[int]) { panic("late") })
	require.ErrorAs(t, err, &pe, "OnDone on a done future returns its panic")
	assert.Equal(t, "late", pe.Value)
	v, err := f.Result(t.Context())
	assert.NoError(t, err)
	assert.Equal(t, 1, v, "a callback panic changed the result")
}

func TestCallbackPanicOnWorkerIsKept(t *testing.T) {
	release := make(chan struct{})
	f := future.Go(t.Context(), func(context.Context) (int, error) { <-release; return 1, nil })
	require.NoError(t, f.OnDone(func(*future.Future[int]) { panic("cb") }))
	synced := make(chan struct{})
	require.NoError(t, f.OnDone(func(*future.Future[int]) { close(synced) })) // runs after the first
	close(release)
	<-synced
	var pe *future.PanicError
	require.ErrorAs(t, f.CallbackErr(), &pe)
	assert.Equal(t, "cb", pe.Value)
}

// Many waiters racing a Resolve and a Cancel all see the one outcome.
func TestConcurrentWaiters(t *testing.T) {
	n := 4 * runtime.GOMAXPROCS(0)
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	type result struct {
		v   int
		err error
	}
	for r := range rounds {
		p := future.NewPromise[int]()
		var wg sync.WaitGroup
		results := make(chan result, n)
		for range n {
			wg.Go(func() {
				v, err := p.Future().Result(context.Background())
				results <- result{v, err}
			})
		}
		wg.Go(func() { _ = p.Resolve(9) })
		wg.Go(func() { p.Future().Cancel() })
		wg.Wait()
		close(results)
		resolved := p.Future().State() == future.Finished
		for res := range results {
			if resolved {
				require.Equal(t, result{9, nil}, res, "round %d", r)
			} else {
				require.ErrorIs(t, res.err, future.ErrCanceled, "round %d", r)
			}
		}
	}
}

// Done returns the same channel before and after completion.
func TestDoneIsStable(t *testing.T) {
	p := future.NewPromise[int]()
	before := p.Future().Done()
	require.NoError(t, p.Resolve(1))
	assert.Equal(t, before, p.Future().Done(), "Done changed at completion")

	q := future.NewPromise[int]()
	require.NoError(t, q.Resolve(1))
	first := q.Future().Done()
	assert.Equal(t, first, q.Future().Done(), "Done of a done future changed")
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
			return f, func() { shutdownExecutor(t, e) }
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
				ran := make(chan struct{})
				require.NoError(t, f.OnDone(func(*future.Future[int]) {
					if calls.Add(1) == 1 {
						close(ran)
					}
				}))
				<-started
				if oname == "canceled while running" {
					require.Equal(t, future.Running, f.Cancel())
				}
				close(gate)
				v, err := f.Result(t.Context())
				o.check(t, v, err)
				stop()
				// Callbacks run after the result is visible: Result may return
				// first, and a future.Go has no Shutdown to wait for them.
				select {
				case <-ran:
				case <-time.After(10 * time.Second):
					t.Fatal("the callback never ran")
				}
				assert.Equal(t, future.Finished, f.State())
				assert.Equal(t, int32(1), calls.Load(), "callback runs")
				v2, err2, ok := f.TryResult()
				require.True(t, ok)
				assert.Equal(t, v, v2, "TryResult's value")
				assert.Equal(t, err, err2, "TryResult's error")
				assert.Equal(t, future.Finished, f.Cancel())
				assert.NoError(t, f.CallbackErr())
				done, notDone, werr := future.Wait(t.Context(), future.AllCompleted, f, f)
				require.NoError(t, werr)
				assert.Equal(t, []*future.Future[int]{f}, done)
				assert.Empty(t, notDone)
			})
		}
	}
}

// Every enum prints the name of its constant, and its type and number when
// it has none.
func TestEnumStrings(t *testing.T) {
	cases := []struct {
		v    fmt.Stringer
		want string
	}{
		{future.Pending, "Pending"},
		{future.Running, "Running"},
		{future.Finished, "Finished"},
		{future.Canceled, "Canceled"},
		{future.State(9), "State(9)"},
		{future.AllCompleted, "AllCompleted"},
		{future.FirstCompleted, "FirstCompleted"},
		{future.FirstError, "FirstError"},
		{future.ReturnWhen(-1), "ReturnWhen(-1)"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.v.String())
	}
}
