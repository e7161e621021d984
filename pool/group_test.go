package pool_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
)

func TestGroupCollectsAllErrors(t *testing.T) {
	p := pool.New(3)
	g, _ := p.Group(context.Background())
	var ran atomic.Int64
	for i := range 10 {
		require.NoError(t, g.Go(func(context.Context) error {
			ran.Add(1)
			switch i {
			case 3:
				return io.EOF
			case 7:
				panic(io.ErrUnexpectedEOF)
			}
			return nil
		}))
	}
	err := g.Wait()
	assert.EqualValues(t, 10, ran.Load())
	assert.ErrorIs(t, err, io.EOF)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	var pe *pool.PanicError
	assert.ErrorAs(t, err, &pe)
	assert.NoError(t, p.Wait(), "group errors are not the pool's")
	shutdown(t, p)
}

func TestGroupFailFastCancelsWithCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(4)
		g, ctx := p.Group(context.Background(), pool.WithFailFast())
		boom := errors.New("boom")
		cause := make(chan error, 3)
		for range 3 {
			require.NoError(t, g.Go(func(ctx context.Context) error {
				<-ctx.Done()
				cause <- context.Cause(ctx)
				return ctx.Err()
			}))
		}
		require.NoError(t, g.Go(func(context.Context) error { return boom }))
		assert.Same(t, boom, g.Wait(), "Wait returns the first error only")
		for range 3 {
			assert.Same(t, boom, <-cause)
		}
		assert.Same(t, boom, context.Cause(ctx))
		shutdown(t, p)
	})
}

func TestGroupWaitCancelsContext(t *testing.T) {
	p := pool.New(1)
	g, ctx := p.Group(context.Background())
	require.NoError(t, g.Go(func(context.Context) error { return nil }))
	require.NoError(t, g.Wait())
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
	shutdown(t, p)
}

func TestGroupWaitBlocksUntilTasksEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(2)
		g, _ := p.Group(context.Background())
		release := make(chan struct{})
		require.NoError(t, g.Go(func(context.Context) error { <-release; return nil }))
		done := make(chan error, 1)
		go func() { done <- g.Wait() }()
		synctest.Wait()
		assert.Empty(t, done)
		close(release)
		assert.NoError(t, <-done)
		shutdown(t, p)
	})
}

// fib spawns two subtasks on a group made from its own task context and
// waits for them: with every worker waiting, only slot lending keeps the
// pool from deadlocking.
func fib(ctx context.Context, p *pool.Pool, n int) (int, error) {
	if n < 2 {
		return n, nil
	}
	g, gctx := p.Group(ctx)
	var a, b int
	_ = g.Go(func(context.Context) error { var err error; a, err = fib(gctx, p, n-1); return err })
	_ = g.Go(func(context.Context) error { var err error; b, err = fib(gctx, p, n-2); return err })
	err := g.Wait()
	return a + b, err
}

func TestNestedGroupsDoNotDeadlockSaturatedPool(t *testing.T) {
	for _, limit := range []int{1, 2} {
		p := pool.New(limit)
		got := make(chan int, 1)
		require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
			n, err := fib(ctx, p, 12)
			got <- n
			return err
		}))
		assert.Equal(t, 144, <-got)
		require.NoError(t, p.Wait())
		shutdown(t, p)
	}
}

func TestNestedGroupsKeepRunningTasksWithinLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(2)
		var m concurrencyMeter
		release := make(chan struct{})
		for range 2 {
			require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
				g, _ := p.Group(ctx)
				for range 3 {
					_ = g.Go(func(context.Context) error { m.enter(); <-release; m.leave(); return nil })
				}
				return g.Wait()
			}))
		}
		synctest.Wait()
		assert.EqualValues(t, 2, m.now.Load(), "two waiting parents lend two slots")
		close(release)
		require.NoError(t, p.Wait())
		assert.LessOrEqual(t, m.max.Load(), int64(2))
		shutdown(t, p)
	})
}

func TestGroupReportsTasksDroppedByStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1)
		g, _ := p.Group(context.Background())
		require.NoError(t, g.Go(func(ctx context.Context) error { <-ctx.Done(); return nil }))
		for range 3 {
			require.NoError(t, g.Go(func(context.Context) error { return nil }))
		}
		synctest.Wait()
		assert.Equal(t, 3, p.Stop())
		err := g.Wait()
		assert.ErrorIs(t, err, pool.ErrClosed)
		assert.Contains(t, err.Error(), "3 queued tasks")
		// Submitting to a stopped pool is refused and recorded.
		assert.ErrorIs(t, g.Go(func(context.Context) error { return nil }), pool.ErrClosed)
		assert.ErrorIs(t, g.Wait(), pool.ErrClosed)
	})
}

func TestGroupTryGo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1, pool.WithQueueSize(0))
		g, _ := p.Group(context.Background())
		release := make(chan struct{})
		require.NoError(t, g.TrySubmit(func(context.Context) error { <-release; return nil }))
		assert.ErrorIs(t, g.TrySubmit(func(context.Context) error { return nil }), pool.ErrQueueFull)
		close(release)
		assert.NoError(t, g.Wait(), "a full queue is not recorded as a group error")
		shutdown(t, p)
	})
}

// Issue 9, bug 11a: a Group can be reused after Wait in every queue mode; a
// submitter that must wait for room waits, rather than failing with the
// context that Wait canceled.
func TestGroupReuseAfterWait(t *testing.T) {
	for _, mode := range queueModes {
		t.Run(mode.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(1, mode.opts...)
				g, ctx := p.Group(context.Background())
				require.NoError(t, g.Go(func(context.Context) error { return nil }))
				require.NoError(t, g.Wait())
				require.Error(t, ctx.Err(), "Wait canceled the group's context")

				// Keep the pool busy and its queue full, so the next Go must
				// wait for room.
				release := make(chan struct{})
				require.NoError(t, p.Go(func() { <-release }))
				if len(mode.opts) > 0 {
					synctest.Wait()
					for p.TrySubmit(func(context.Context) error { return nil }) == nil {
					}
				}
				var ran atomic.Int64
				submitted := make(chan error, 1)
				go func() { submitted <- g.Go(func(context.Context) error { ran.Add(1); return nil }) }()
				synctest.Wait()
				if len(mode.opts) > 0 {
					assert.Empty(t, submitted, "Go waits for room")
				}
				close(release)
				assert.NoError(t, <-submitted)
				assert.NoError(t, g.Wait())
				assert.EqualValues(t, 1, ran.Load(), "the task submitted after Wait ran")
				shutdown(t, p)
			})
		})
	}
}

// Issue 9, bug 11b: in fail-fast mode the first error persists, as in
// errgroup: every Wait returns it, and it stays the context's cause.
func TestGroupFailFastErrorPersists(t *testing.T) {
	p := pool.New(2)
	g, ctx := p.Group(context.Background(), pool.WithFailFast())
	boom := errors.New("boom")
	require.NoError(t, g.Go(func(context.Context) error { return boom }))
	assert.Same(t, boom, g.Wait())
	assert.Same(t, boom, g.Wait(), "a second Wait returns the first error again")
	require.NoError(t, g.Go(func(context.Context) error { return io.EOF }))
	assert.Same(t, boom, g.Wait(), "later errors do not replace it")
	assert.Same(t, boom, context.Cause(ctx))
	shutdown(t, p)
}

// In the default mode Wait returns the errors since the last Wait, as
// Pool.Wait does.
func TestGroupWaitForgetsReturnedErrors(t *testing.T) {
	p := pool.New(2)
	g, _ := p.Group(context.Background())
	require.NoError(t, g.Go(func(context.Context) error { return io.EOF }))
	assert.Same(t, io.EOF, g.Wait())
	assert.NoError(t, g.Wait())
	shutdown(t, p)
}

// Group.Submit's context bounds the wait for room; the refusal is returned,
// not recorded.
func TestGroupSubmitContextBoundsTheWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1, pool.WithQueueSize(0))
		release := make(chan struct{})
		require.NoError(t, p.Go(func() { <-release }))
		g, _ := p.Group(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		ran := false
		err := g.Submit(ctx, func(context.Context) error { ran = true; return nil })
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		close(release)
		assert.NoError(t, g.Wait())
		assert.False(t, ran)
		shutdown(t, p)
	})
}

// In fail-fast mode the errors after the first are dropped, but panics
// never are.
func TestGroupFailFastKeepsLaterPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1)
		g, _ := p.Group(context.Background(), pool.WithFailFast())
		require.NoError(t, g.Go(func(context.Context) error { return io.EOF }))
		require.NoError(t, g.Go(func(context.Context) error { return io.ErrUnexpectedEOF }))
		require.NoError(t, g.Go(func(context.Context) error { panic("later") }))
		err := g.Wait()
		assert.ErrorIs(t, err, io.EOF)
		assert.NotErrorIs(t, err, io.ErrUnexpectedEOF, "a later error is dropped")
		var pe *pool.PanicError
		require.ErrorAs(t, err, &pe, "a later panic is not")
		assert.Equal(t, "later", pe.Value)
		assert.Same(t, io.EOF, g.Wait(), "the panic is returned once; the first error every time")
		shutdown(t, p)
	})
}

// Go and Submit stop waiting for room when the group fails (fail-fast);
// Go also when the context the group was made from ends, and records why.
func TestGroupGoStopsWaitingWhenTheGroupEnds(t *testing.T) {
	for _, how := range []string{"fail-fast", "parent context"} {
		t.Run(how, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(1, pool.WithQueueSize(0))
				parent, cancel := context.WithCancelCause(context.Background())
				g, _ := p.Group(parent, pool.WithFailFast())
				boom := errors.New("boom")
				fail := make(chan struct{})
				require.NoError(t, g.Go(func(context.Context) error { <-fail; return boom }))
				submitted := make(chan error, 2)
				var ran atomic.Bool
				late := func(context.Context) error { ran.Store(true); return nil }
				go func() { submitted <- g.Go(late) }()
				go func() { submitted <- g.Submit(context.Background(), late) }()
				synctest.Wait()
				assert.Empty(t, submitted, "waiting for room")
				if how == "parent context" {
					cancel(boom) // ends Go's wait; Go records it, and the group fails
				}
				close(fail)
				assert.ErrorIs(t, <-submitted, boom)
				assert.ErrorIs(t, <-submitted, boom)
				assert.ErrorIs(t, g.Wait(), boom)
				assert.False(t, ran.Load())
				cancel(nil)
				shutdown(t, p)
			})
		})
	}
}

// A Group made and waited for inside a task leaves nothing behind: many of
// them, on a long-lived pool, do not accumulate memory (a context derived
// from the task's and never canceled would stay registered with the pool's
// own context for as long as the pool lives).
func TestGroupsInTasksLeaveNothingBehind(t *testing.T) {
	p := pool.New(2)
	run := func(n int) {
		for range n {
			require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
				_, err := pool.Map(ctx, p, []int{1}, func(_ context.Context, v int) (int, error) { return v, nil })
				return err
			}))
		}
		require.NoError(t, p.Wait())
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	run(1000) // warm up
	before := heap()
	run(20_000)
	grown := int64(heap()) - int64(before)
	assert.Less(t, grown, int64(200_000), "20k groups retained %d bytes", grown)
	shutdown(t, p)
}

// A Go refused because its fail-fast group failed with a panic returns that
// panic, and records it: Wait still reports the panic once.
func TestGroupFailFastGoAfterPanicReportsItOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1, pool.WithQueueSize(0))
		g, _ := p.Group(context.Background(), pool.WithFailFast())
		require.NoError(t, g.Go(func(context.Context) error { panic("boom") }))
		synctest.Wait()
		release := make(chan struct{})
		require.NoError(t, p.Go(func() { <-release }))
		err := g.Go(func(context.Context) error { return nil })
		var pe *pool.PanicError
		require.ErrorAs(t, err, &pe, "no room, and the group has failed")
		close(release)
		err = g.Wait()
		require.ErrorAs(t, err, &pe)
		_, joined := err.(interface{ Unwrap() []error })
		assert.False(t, joined, "Wait returned %v", err)
		shutdown(t, p)
	})
}

// Stop cancels the context of every group with tasks queued or running,
// including a group whose tasks were all queued, and dropped: its context
// is done with ErrStopped, and its Wait reports the drop. A group with no
// task at the time keeps its context.
func TestStopCancelsGroupsWithQueuedTasksOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1)
		release := make(chan struct{})
		require.NoError(t, p.Go(func() { <-release }))
		queued, qctx := p.Group(context.Background())
		require.NoError(t, queued.Go(func(context.Context) error { return nil }))
		empty, ectx := p.Group(context.Background())
		synctest.Wait()

		stopped := make(chan int)
		go func() { stopped <- p.Stop() }()
		synctest.Wait() // Stop waits for the running plain task
		assert.Equal(t, pool.ErrStopped, context.Cause(qctx))
		assert.NoError(t, ectx.Err(), "a group with no task is not Stop's to cancel")
		close(release)
		assert.Equal(t, 1, <-stopped)
		assert.ErrorIs(t, queued.Wait(), pool.ErrClosed)
		assert.NoError(t, empty.Wait())
	})
}
