package semaphore_test

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/semaphore"
)

// A waiter whose context is canceled strictly before the Release that
// grants it must fail with the context's error and leave the permit free
// (golang/go#63615). The waiter usually reaches its select only after both
// the cancellation and the grant, which is where the choice between them
// used to be random. With one P the waiter parks before the test goes on,
// so the race needs -cpu=2 or more to show.
func TestCancelBeforeReleaseNeverSucceeds(t *testing.T) {
	tries := 10_000
	if testing.Short() {
		tries = 1_000
	}
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			s := semaphore.New(1, semaphore.WithPolicy(p))
			succeeded := 0
			for range tries {
				require.True(t, s.TryAcquire(1))
				ctx, cancel := context.WithCancel(context.Background())
				got := acquireAsync(ctx, s, 1)
				for s.Waiting() != 1 {
					runtime.Gosched()
				}
				cancel()
				s.Release(1)
				if err := <-got; err != nil {
					require.ErrorIs(t, err, context.Canceled)
				} else {
					succeeded++
					s.Release(1)
				}
				require.Zero(t, s.Held())
				require.Zero(t, s.Waiting())
			}
			assert.Zero(t, succeeded, "canceled Acquire calls that succeeded, of %d", tries)
			assert.True(t, s.TryAcquire(1), "the permit stayed free")
		})
	}
}

// stallCtx is a context whose Done method, once the semaphore has a
// waiter, stalls its first such caller until resume is closed: it holds a
// queued Acquire between queueing and parking, the window in which
// TestCancelBeforeReleaseNeverSucceeds finds the race by chance.
type stallCtx struct {
	context.Context
	s       *semaphore.Weighted
	stalled atomic.Bool
	resume  chan struct{}
}

func (c *stallCtx) Done() <-chan struct{} {
	if c.s.Waiting() == 1 && c.stalled.CompareAndSwap(false, true) {
		<-c.resume
	}
	return c.Context.Done()
}

// The same race, made deterministic: the waiter is held after it queued
// and before it parks while the test cancels and then releases. If an
// implementation reads Done only before queueing, the waiter parks first
// and this checks the plain cancel-then-grant order instead.
func TestCancelBeforeReleaseSynctest(t *testing.T) {
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			for range 20 {
				synctest.Test(t, func(t *testing.T) {
					s := semaphore.New(1, semaphore.WithPolicy(p))
					require.True(t, s.TryAcquire(1))
					inner, cancel := context.WithCancel(t.Context())
					ctx := &stallCtx{Context: inner, s: s, resume: make(chan struct{})}
					got := acquireAsync(ctx, s, 1)
					synctest.Wait()
					require.Equal(t, 1, s.Waiting())
					cancel()
					s.Release(1)
					close(ctx.resume)
					assert.ErrorIs(t, <-got, context.Canceled)
					assert.Zero(t, s.Held())
					assert.Zero(t, s.Waiting())
					assert.True(t, s.TryAcquire(1), "the permit stayed free")
				})
			}
		})
	}
}

// A permit that a canceled waiter gives back goes on to the next waiter.
func TestCancelledGrantPassesOn(t *testing.T) {
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := semaphore.New(1, semaphore.WithPolicy(p))
				require.True(t, s.TryAcquire(1))
				inner, cancel := context.WithCancel(t.Context())
				ctx := &stallCtx{Context: inner, s: s, resume: make(chan struct{})}
				first := acquireAsync(ctx, s, 1)
				synctest.Wait()
				second := acquireAsync(t.Context(), s, 1)
				synctest.Wait()
				cancel()
				s.Release(1)
				close(ctx.resume)
				assert.ErrorIs(t, <-first, context.Canceled)
				require.NoError(t, <-second)
				assert.Equal(t, int64(1), s.Held())
				assert.Zero(t, s.Waiting())
				s.Release(1)
			})
		})
	}
}

// An Acquire whose context is already done fails with the context's cause
// even when the permits are free, as golang.org/x/sync/semaphore does: a
// canceled context must not start new work. It leaves the semaphore
// unchanged, and Do does not call its function.
func TestCancelledContextFailsAtOnce(t *testing.T) {
	cause := errCause
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			ctx := canceledCtx()
			s := semaphore.New(2, semaphore.WithPolicy(p))
			for _, n := range []int64{0, 1, 2, 3} {
				assert.Equal(t, cause, s.Acquire(ctx, n), "Acquire(%d)", n)
				assert.Equal(t, cause, s.Do(ctx, n, func() error { t.Error("fn called"); return nil }), "Do(%d)", n)
			}
			assert.Zero(t, s.Held())
			assert.Equal(t, int64(2), s.Available())
			s.Close()
			assert.Equal(t, cause, s.Acquire(ctx, 1), "the context is checked first")

			k := semaphore.NewKeyed[string](2, semaphore.WithPolicy(p))
			for _, n := range []int64{0, 1, 2, 3} {
				assert.Equal(t, cause, k.Acquire(ctx, "a", n), "Keyed.Acquire(%d)", n)
				assert.Equal(t, cause, k.Do(ctx, "a", n, func() error { t.Error("fn called"); return nil }), "Keyed.Do(%d)", n)
			}
			assert.Zero(t, k.Len(), "a failed Acquire leaves no key behind")
		})
	}
}

var errCause = errors.New("the cause")

// canceledCtx returns a context canceled with errCause.
func canceledCtx() context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errCause)
	return ctx
}
