package future_test

import (
	"context"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/future"
)

// Found by FuzzChain: a Then fn, a Compose fn or a done-callback that calls
// runtime.Goexit ends the goroutine completing the future, but the future's
// later callbacks (a user's, a derived future's, a waiter's) still run,
// exactly once: they used to be dropped, leaving derived futures pending
// and waiters blocked for ever.
func TestGoexitInCallbackRunsLaterCallbacks(t *testing.T) {
	goexitThen := func(f *future.Future[int]) *future.Future[int] {
		return future.Then(f, func(context.Context, int) (int, error) { runtime.Goexit(); return 0, nil })
	}
	goexitCompose := func(f *future.Future[int]) *future.Future[int] {
		return future.Compose(f, func(context.Context, int) (*future.Future[int], error) { runtime.Goexit(); return nil, nil })
	}
	goexitOnDone := func(f *future.Future[int]) *future.Future[int] {
		require.NoError(t, f.OnDone(func(*future.Future[int]) { runtime.Goexit() }))
		return nil
	}
	for _, tc := range []struct {
		name    string
		install func(*future.Future[int]) *future.Future[int]
	}{{"Then", goexitThen}, {"Compose", goexitCompose}, {"OnDone", goexitOnDone}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := future.NewPromise[int]()
				g := tc.install(p.Future())
				ran := 0
				require.NoError(t, p.Future().OnDone(func(*future.Future[int]) { ran++ }))
				h := future.Then(p.Future(), func(_ context.Context, v int) (int, error) { return v + 1, nil })
				waited := make(chan error, 1)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel() // on failure, so that the report is not a deadlock
				go func() {
					_, _, err := future.Wait(ctx, future.AllCompleted, p.Future(), h)
					waited <- err
				}()
				synctest.Wait()
				exited := make(chan struct{})
				go func() {
					defer close(exited)
					_ = p.Resolve(1)
				}()
				<-exited
				synctest.Wait()
				if g != nil {
					_, err, ok := g.TryResult()
					require.True(t, ok, "the future whose fn called Goexit is done")
					require.ErrorIs(t, err, future.ErrGoexit)
				}
				assert.Equal(t, 1, ran, "the callback registered after")
				v, err, ok := h.TryResult()
				require.True(t, ok, "the Then registered after is done")
				require.NoError(t, err)
				assert.Equal(t, 2, v)
				select {
				case err := <-waited:
					require.NoError(t, err)
				default:
					t.Fatal("Wait over the future has not returned")
				}
			})
		})
	}
}

// Found by FuzzChain, a doc gap: the panic of a done-callback of a Compose
// future is kept on that future only; the Promise calls that set the
// cascade off return their own callbacks' panics, not it.
func TestComposeCallbackPanicStaysOnFuture(t *testing.T) {
	p, q := future.NewPromise[int](), future.NewPromise[int]()
	c := future.Compose(p.Future(), func(context.Context, int) (*future.Future[int], error) { return q.Future(), nil })
	require.NoError(t, c.OnDone(func(*future.Future[int]) { panic("compose callback") }))
	require.NoError(t, p.Resolve(1))
	require.NoError(t, q.Resolve(2))
	var pe *future.PanicError
	require.ErrorAs(t, c.CallbackErr(), &pe)
	assert.Equal(t, "compose callback", pe.Value)
	v, err := c.Result(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, v)
}

// Then's fn runs with a context that the returned future's Cancel cancels:
// a long fn that watches it (directly, or through a context derived from
// it) returns when Cancel is called, and the future ends with what fn
// returned; a fn that ignores it runs to its end, and its value stands. The
// source future is not canceled either way.
func TestThenCancelWhileFnRuns(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(ctx context.Context, v int) (int, error)
		want error // nil: the future ends with fn's value, v+1
	}{
		{"watches", func(ctx context.Context, v int) (int, error) {
			<-ctx.Done()
			return v, context.Cause(ctx)
		}, context.Canceled},
		{"derived", func(ctx context.Context, v int) (int, error) {
			ctx, cancel := context.WithTimeout(ctx, time.Hour)
			defer cancel()
			<-ctx.Done()
			return v, ctx.Err()
		}, context.Canceled},
		{"ignores", func(_ context.Context, v int) (int, error) {
			time.Sleep(time.Minute)
			return v + 1, nil
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := future.NewPromise[int]()
				g := future.Then(p.Future(), tc.fn)
				h := future.Then(g, func(_ context.Context, v int) (int, error) { return v * 10, nil })
				resolved := make(chan error, 1)
				go func() { resolved <- p.Resolve(1) }() // runs fn on this goroutine
				synctest.Wait()
				require.Equal(t, future.Running, g.State())

				require.Equal(t, future.Running, g.Cancel(), "Cancel of a running Then")
				synctest.Wait()
				if tc.want == nil {
					require.Equal(t, future.Running, g.State(), "a fn that ignores its context still runs")
					time.Sleep(time.Minute)
					synctest.Wait()
				}
				require.NoError(t, <-resolved)
				v, err, ok := g.TryResult()
				require.True(t, ok, "the Then's future is done once fn returns")
				hv, herr, hok := h.TryResult()
				require.True(t, hok, "a Then chained on it is done too")
				if tc.want != nil {
					require.ErrorIs(t, err, tc.want)
					require.ErrorIs(t, herr, tc.want)
				} else {
					require.NoError(t, err)
					assert.Equal(t, 2, v)
					require.NoError(t, herr)
					assert.Equal(t, 20, hv)
				}
				assert.Equal(t, future.Finished, p.Future().State(), "the source is not canceled")
			})
		})
	}
}

// Canceling a Compose's future cancels the work fn started with the
// context it was given, even once fn has returned.
func TestComposeCancelReachesStartedWork(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := future.NewPromise[int]()
		sawCancel := make(chan error, 1)
		g := future.Compose(p.Future(), func(ctx context.Context, v int) (*future.Future[int], error) {
			return future.Go(ctx, func(ctx context.Context) (int, error) {
				<-ctx.Done()
				sawCancel <- context.Cause(ctx)
				return v, ctx.Err()
			}), nil
		})
		require.NoError(t, p.Resolve(1))
		synctest.Wait()
		_, _, done := g.TryResult()
		require.False(t, done, "the composed work is still running")
		g.Cancel()
		synctest.Wait()
		require.ErrorIs(t, <-sawCancel, context.Canceled)
		_, err, ok := g.TryResult()
		require.True(t, ok)
		require.ErrorIs(t, err, context.Canceled)
	})
}
