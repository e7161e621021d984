package pool_test

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/internal/misuse"
	"github.com/weftgo/weft/pool"
)

// watchdog ends the test binary, with every goroutine's stack, if the
// current test has not called the returned stop within misuse.HangLimit: a case
// that runs on the test goroutine (it uses t) and hangs fails loudly and
// soon instead of at go test's timeout.
func watchdog(t *testing.T) (stop func()) {
	name := t.Name()
	timer := time.AfterFunc(misuse.HangLimit, func() {
		debug.SetTraceback("all")
		panic(fmt.Sprintf("%s hung for %v", name, misuse.HangLimit))
	})
	return func() { timer.Stop() }
}

// TestMisusePanicsAtOnce is the misuse table of issue 9 (bugs 5, 6 and 7):
// each misuse panics at once with a message that starts with "pool:" and
// says what was wrong, before any lock is taken. Each case runs twice —
// a second call that hung would show a lock left held — and then the pool
// it used must still work.
func TestMisusePanicsAtOnce(t *testing.T) {
	noop := func(context.Context) error { return nil }
	same := func(_ context.Context, v int) (int, error) { return v, nil }
	var nilCtx context.Context
	var zero pool.Pool
	var zeroGroup pool.Group
	var nilPool *pool.Pool
	var nilGroup *pool.Group
	const notMade = "pool: Pool must be made with New"
	const groupNotMade = "pool: Group must be made with Pool.Group"

	cases := []struct {
		name string
		want string
		call func(p *pool.Pool, g *pool.Group)
	}{
		{"New(0)", "pool: New(0): limit must be at least 1", func(*pool.Pool, *pool.Group) { pool.New(0) }},
		{"New with a nil Option", "pool: nil Option", func(*pool.Pool, *pool.Group) { pool.New(1, nil) }},
		{"WithQueueSize(-1)", "pool: WithQueueSize(-1): size must not be negative", func(*pool.Pool, *pool.Group) { pool.WithQueueSize(-1) }},
		{"WithIdleTimeout(0)", "pool: WithIdleTimeout(0s): timeout must be positive", func(*pool.Pool, *pool.Group) { pool.WithIdleTimeout(0) }},
		{"WithErrorHandler(nil)", "pool: WithErrorHandler(nil)", func(*pool.Pool, *pool.Group) { pool.WithErrorHandler(nil) }},
		{"WithWindow(0)", "pool: WithWindow(0): window must be at least 1", func(*pool.Pool, *pool.Group) { pool.WithWindow(0) }},
		{"SetLimit(0)", "pool: SetLimit(0): limit must be at least 1", func(p *pool.Pool, _ *pool.Group) { p.SetLimit(0) }},

		// Bug 7: nil functions.
		{"Go(nil)", "pool: nil func", func(p *pool.Pool, _ *pool.Group) { _ = p.Go(nil) }},
		{"Submit(ctx, nil)", "pool: nil func", func(p *pool.Pool, _ *pool.Group) { _ = p.Submit(context.Background(), nil) }},
		{"TrySubmit(nil)", "pool: nil func", func(p *pool.Pool, _ *pool.Group) { _ = p.TrySubmit(nil) }},
		{"Group.Go(nil)", "pool: nil func", func(_ *pool.Pool, g *pool.Group) { _ = g.Go(nil) }},
		{"Group.TrySubmit(nil)", "pool: nil func", func(_ *pool.Pool, g *pool.Group) { _ = g.TrySubmit(nil) }},
		{"Group.Submit(ctx, nil)", "pool: nil func", func(_ *pool.Pool, g *pool.Group) { _ = g.Submit(context.Background(), nil) }},
		{"Map nil func", "pool: nil func", func(p *pool.Pool, _ *pool.Group) {
			_, _ = pool.Map[int, int](context.Background(), p, []int{1}, nil)
		}},
		{"Map nil func, empty input", "pool: nil func", func(p *pool.Pool, _ *pool.Group) {
			_, _ = pool.Map[int, int](context.Background(), p, nil, nil)
		}},
		{"MapSeq nil func", "pool: nil func", func(p *pool.Pool, _ *pool.Group) {
			pool.MapSeq[int, int](context.Background(), p, slices.Values([]int{1}), nil)
		}},
		{"MapSeq nil seq", "pool: nil iter.Seq", func(p *pool.Pool, _ *pool.Group) {
			pool.MapSeq(context.Background(), p, nil, same)
		}},
		{"Group nil GroupOption", "pool: nil GroupOption", func(p *pool.Pool, _ *pool.Group) { p.Group(context.Background(), nil) }},
		{"Map nil GroupOption", "pool: nil GroupOption", func(p *pool.Pool, _ *pool.Group) {
			_, _ = pool.Map(context.Background(), p, []int{1}, same, nil)
		}},

		// Task options (issue 12).
		{"WithObserver(nil)", "pool: nil Observer", func(*pool.Pool, *pool.Group) { pool.WithObserver(nil) }},
		{"QueueTimeout(-1)", "pool: QueueTimeout(-1ns): timeout must not be negative", func(*pool.Pool, *pool.Group) { pool.QueueTimeout(-1) }},
		{"RunTimeout(-1)", "pool: RunTimeout(-1ns): timeout must not be negative", func(*pool.Pool, *pool.Group) { pool.RunTimeout(-1) }},
		{"Go nil TaskOption", "pool: nil TaskOption", func(p *pool.Pool, _ *pool.Group) { _ = p.Go(func() {}, nil) }},
		{"Submit nil TaskOption", "pool: nil TaskOption", func(p *pool.Pool, _ *pool.Group) {
			_ = p.Submit(context.Background(), noop, pool.Priority(1), nil)
		}},
		{"TrySubmit nil TaskOption", "pool: nil TaskOption", func(p *pool.Pool, _ *pool.Group) { _ = p.TrySubmit(noop, nil) }},
		{"Group.Go nil TaskOption", "pool: nil TaskOption", func(_ *pool.Pool, g *pool.Group) { _ = g.Go(noop, nil) }},
		{"Group.Submit nil TaskOption", "pool: nil TaskOption", func(_ *pool.Pool, g *pool.Group) {
			_ = g.Submit(context.Background(), noop, nil)
		}},
		{"Group.TrySubmit nil TaskOption", "pool: nil TaskOption", func(_ *pool.Pool, g *pool.Group) { _ = g.TrySubmit(noop, nil) }},
		{"Go with RunTimeout", "pool: RunTimeout given to Go: the task has no context", func(p *pool.Pool, _ *pool.Group) {
			_ = p.Go(func() {}, pool.RunTimeout(time.Second))
		}},

		// Bug 5: nil contexts.
		{"Submit(nil, fn)", "pool: nil Context", func(p *pool.Pool, _ *pool.Group) { _ = p.Submit(nilCtx, noop) }},
		{"Shutdown(nil)", "pool: nil Context", func(p *pool.Pool, _ *pool.Group) { _ = p.Shutdown(nilCtx) }},
		{"Group(nil)", "pool: nil Context", func(p *pool.Pool, _ *pool.Group) { p.Group(nilCtx) }},
		{"Group.Submit(nil, fn)", "pool: nil Context", func(_ *pool.Pool, g *pool.Group) { _ = g.Submit(nilCtx, noop) }},
		{"Map(nil, ...)", "pool: nil Context", func(p *pool.Pool, _ *pool.Group) { _, _ = pool.Map(nilCtx, p, []int{1}, same) }},
		{"MapSeq(nil, ...)", "pool: nil Context", func(p *pool.Pool, _ *pool.Group) {
			pool.MapSeq(nilCtx, p, slices.Values([]int{1}), same)
		}},

		// Bug 6: zero values and nil pointers.
		{"zero Pool: Go", notMade, func(*pool.Pool, *pool.Group) { _ = zero.Go(func() {}) }},
		{"zero Pool: Submit", notMade, func(*pool.Pool, *pool.Group) { _ = zero.Submit(context.Background(), noop) }},
		{"zero Pool: TrySubmit", notMade, func(*pool.Pool, *pool.Group) { _ = zero.TrySubmit(noop) }},
		{"zero Pool: SetLimit", notMade, func(*pool.Pool, *pool.Group) { zero.SetLimit(2) }},
		{"zero Pool: Limit", notMade, func(*pool.Pool, *pool.Group) { zero.Limit() }},
		{"zero Pool: Stats", notMade, func(*pool.Pool, *pool.Group) { zero.Stats() }},
		{"zero Pool: Wait", notMade, func(*pool.Pool, *pool.Group) { _ = zero.Wait() }},
		{"zero Pool: Shutdown", notMade, func(*pool.Pool, *pool.Group) { _ = zero.Shutdown(context.Background()) }},
		{"zero Pool: Stop", notMade, func(*pool.Pool, *pool.Group) { zero.Stop() }},
		{"zero Pool: Close", notMade, func(*pool.Pool, *pool.Group) { zero.Close() }},
		{"zero Pool: Group", notMade, func(*pool.Pool, *pool.Group) { zero.Group(context.Background()) }},
		{"zero Pool: Map", notMade, func(*pool.Pool, *pool.Group) { _, _ = pool.Map(context.Background(), &zero, []int{1}, same) }},
		{"zero Pool: MapSeq", notMade, func(*pool.Pool, *pool.Group) {
			pool.MapSeq(context.Background(), &zero, slices.Values([]int{1}), same)
		}},
		{"nil *Pool: Go", "pool: nil *Pool", func(*pool.Pool, *pool.Group) { _ = nilPool.Go(func() {}) }},
		{"nil *Pool: Map", "pool: nil *Pool", func(*pool.Pool, *pool.Group) { _, _ = pool.Map(context.Background(), nilPool, []int{1}, same) }},
		{"zero Group: Go", groupNotMade, func(*pool.Pool, *pool.Group) { _ = zeroGroup.Go(noop) }},
		{"zero Group: TrySubmit", groupNotMade, func(*pool.Pool, *pool.Group) { _ = zeroGroup.TrySubmit(noop) }},
		{"zero Group: Submit", groupNotMade, func(*pool.Pool, *pool.Group) { _ = zeroGroup.Submit(context.Background(), noop) }},
		{"zero Group: Wait", groupNotMade, func(*pool.Pool, *pool.Group) { _ = zeroGroup.Wait() }},
		{"nil *Group: Go", "pool: nil *Group", func(*pool.Pool, *pool.Group) { _ = nilGroup.Go(noop) }},
		{"nil *Group: Wait", "pool: nil *Group", func(*pool.Pool, *pool.Group) { _ = nilGroup.Wait() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := pool.New(1)
			g, _ := p.Group(context.Background())
			for range 2 {
				assert.Equal(t, tc.want, misuse.PanicValue(t, func() { tc.call(p, g) }))
			}
			// Nothing was left locked or half done: the pool and the group
			// still work, and shut down cleanly.
			var goErr, waitErr, shutErr error
			ran := false
			assert.Nil(t, misuse.PanicValue(t, func() {
				goErr = g.Go(func(context.Context) error { ran = true; return nil })
				waitErr = g.Wait()
				shutErr = p.Shutdown(context.Background())
			}))
			assert.NoError(t, goErr)
			assert.NoError(t, waitErr)
			assert.NoError(t, shutErr)
			assert.True(t, ran)
		})
	}
}

// TestMisuseReturnsErrors covers run-time mistakes that are not bugs in the
// caller's code: each returns an error the caller can test for, promptly.
func TestMisuseReturnsErrors(t *testing.T) {
	noop := func(context.Context) error { return nil }
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"submit after Shutdown", func(t *testing.T) {
			p := pool.New(1)
			require.NoError(t, p.Shutdown(context.Background()))
			assert.ErrorIs(t, p.Go(func() {}), pool.ErrClosed)
			assert.ErrorIs(t, p.Submit(context.Background(), noop), pool.ErrClosed)
			assert.ErrorIs(t, p.TrySubmit(noop), pool.ErrClosed)
		}},
		{"group submit after Stop", func(t *testing.T) {
			p := pool.New(1)
			g, _ := p.Group(context.Background())
			p.Stop()
			assert.ErrorIs(t, g.Go(noop), pool.ErrClosed)
			assert.ErrorIs(t, g.Submit(context.Background(), noop), pool.ErrClosed)
			assert.ErrorIs(t, g.Wait(), pool.ErrClosed, "Go records the refusal; Submit only returns it")
		}},
		{"Shutdown with a done context", func(t *testing.T) {
			p := pool.New(1)
			release := make(chan struct{})
			require.NoError(t, p.Go(func() { <-release }))
			assert.ErrorIs(t, p.Shutdown(canceled), context.Canceled)
			assert.ErrorIs(t, p.Go(func() {}), pool.ErrClosed, "the pool closed all the same")
			close(release)
			assert.NoError(t, p.Shutdown(context.Background()))
		}},
		{"Stop twice", func(t *testing.T) {
			p := pool.New(1)
			assert.Equal(t, 0, p.Stop())
			assert.Equal(t, 0, p.Stop())
		}},
		{"Close, Shutdown and Stop in any order, twice", func(t *testing.T) {
			p := pool.New(1)
			p.Close()
			assert.NoError(t, p.Shutdown(context.Background()))
			assert.Equal(t, 0, p.Stop())
			p.Close()
			assert.NoError(t, p.Shutdown(context.Background()))
			assert.Equal(t, 0, p.Stop())
			assert.ErrorIs(t, p.Go(func() {}), pool.ErrClosed)
		}},
		{"Wait on an empty group, twice", func(t *testing.T) {
			p := pool.New(1)
			g, _ := p.Group(context.Background())
			assert.NoError(t, g.Wait())
			assert.NoError(t, g.Wait())
			require.NoError(t, p.Shutdown(context.Background()))
		}},
		{"Submit with a done context on a full pool", func(t *testing.T) {
			p := pool.New(1, pool.WithQueueSize(0))
			release := make(chan struct{})
			require.NoError(t, p.Go(func() { <-release }))
			assert.ErrorIs(t, p.Submit(canceled, noop), context.Canceled)
			g, _ := p.Group(context.Background())
			assert.ErrorIs(t, g.Submit(canceled, noop), context.Canceled)
			close(release)
			assert.NoError(t, g.Wait(), "Group.Submit does not record its refusal")
			require.NoError(t, p.Shutdown(context.Background()))
		}},
		{"Shutdown from a task of the pool, bounded by its context", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(1)
				got := make(chan error, 1)
				require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
					ctx, cancel := context.WithTimeout(ctx, time.Second)
					defer cancel()
					got <- p.Shutdown(ctx) // waits for itself: only its context ends it
					return nil
				}))
				assert.ErrorIs(t, <-got, context.DeadlineExceeded)
				assert.NoError(t, p.Shutdown(context.Background()))
			})
		}},
		{"a task's context given to another pool", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				other := pool.New(1)
				p := pool.New(1, pool.WithQueueSize(0))
				release := make(chan struct{})
				require.NoError(t, p.Go(func() { <-release }))
				got := make(chan error, 1)
				ran := make(chan struct{}, 1)
				require.NoError(t, other.Submit(context.Background(), func(ctx context.Context) error {
					ctx, cancel := context.WithTimeout(ctx, time.Second)
					defer cancel()
					// A task of other is not a task of p: it holds no slot
					// of p, so it waits like any outsider.
					got <- p.Submit(ctx, func(context.Context) error { ran <- struct{}{}; return nil })
					return nil
				}))
				assert.ErrorIs(t, <-got, context.DeadlineExceeded)
				assert.Empty(t, ran)
				close(release)
				assert.NoError(t, p.Shutdown(context.Background()))
				assert.NoError(t, other.Shutdown(context.Background()))
			})
		}},
		{"Map and MapSeq over nothing", func(t *testing.T) {
			p := pool.New(1)
			out, err := pool.Map(context.Background(), p, []int(nil), func(_ context.Context, v int) (int, error) { return v, nil })
			assert.NoError(t, err)
			assert.Empty(t, out)
			for range pool.MapSeq(context.Background(), p, slices.Values([]int(nil)), func(_ context.Context, v int) (int, error) { return v, nil }) {
				t.Error("yielded from an empty input")
			}
			require.NoError(t, p.Shutdown(context.Background()))
		}},
		{"error handler that panics", func(t *testing.T) {
			p := pool.New(1, pool.WithErrorHandler(func(error) { panic("handler") }))
			require.NoError(t, p.Submit(context.Background(), func(context.Context) error { return errors.New("task") }))
			var pe *pool.PanicError
			assert.ErrorAs(t, p.Wait(), &pe)
			require.NoError(t, p.Shutdown(context.Background()))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer watchdog(t)()
			tc.run(t)
		})
	}
}
