package pool_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
)

// queueModes are the three ways a pool can queue: the nested-work promises
// must hold in each.
var queueModes = []struct {
	name string
	opts []pool.Option
}{
	{"unbounded", nil},
	{"handoff", []pool.Option{pool.WithQueueSize(0)}},
	{"bounded", []pool.Option{pool.WithQueueSize(1)}},
}

// saturated makes a pool in each queue mode whose every slot but one is
// busy and whose bounded queue (if any) is full, and calls body from a task
// of it, with that task's context: the nested work body submits finds no
// free worker and, in the bounded modes, no room. Inside a synctest bubble a
// deadlock fails the test ("all goroutines in bubble are blocked").
func saturated(t *testing.T, body func(t *testing.T, p *pool.Pool, ctx context.Context) error) {
	for _, mode := range queueModes {
		for _, limit := range []int{1, 2} {
			t.Run(mode.name+"/limit="+string(rune('0'+limit)), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					p := pool.New(limit, mode.opts...)
					release := make(chan struct{})
					for range limit - 1 {
						require.NoError(t, p.Go(func() { <-release }))
					}
					done := make(chan error, 1)
					require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
						done <- body(t, p, ctx)
						return nil
					}))
					if len(mode.opts) > 0 && limit > 1 {
						synctest.Wait()
						require.NoError(t, p.TrySubmit(func(context.Context) error { return nil }), "fill the queue")
					}
					assert.NoError(t, <-done)
					close(release)
					require.NoError(t, p.Shutdown(context.Background()))
				})
			})
		}
	}
}

func double(_ context.Context, v int) (int, error) { return 2 * v, nil }

// Issue 9, bug 4: every form of nested submission from a task, in every
// queue mode, on a saturated pool.
func TestNestedMapDoesNotDeadlock(t *testing.T) {
	saturated(t, func(t *testing.T, p *pool.Pool, ctx context.Context) error {
		out, err := pool.Map(ctx, p, []int{1, 2, 3}, double)
		assert.Equal(t, []int{2, 4, 6}, out)
		return err
	})
}

func TestNestedMapSeqDoesNotDeadlock(t *testing.T) {
	saturated(t, func(t *testing.T, p *pool.Pool, ctx context.Context) error {
		var got []int
		for v, err := range pool.MapSeq(ctx, p, slices.Values([]int{1, 2, 3}), double) {
			if err != nil {
				return err
			}
			got = append(got, v)
		}
		assert.Equal(t, []int{2, 4, 6}, got)
		return nil
	})
}

func TestNestedSubmitThenWaitOnChannel(t *testing.T) {
	saturated(t, func(t *testing.T, p *pool.Pool, ctx context.Context) error {
		got := make(chan int, 1)
		if err := p.Submit(ctx, func(context.Context) error { got <- 42; return nil }); err != nil {
			return err
		}
		assert.Equal(t, 42, <-got)
		return nil
	})
}

func TestNestedGroupFromTaskContext(t *testing.T) {
	saturated(t, func(t *testing.T, p *pool.Pool, ctx context.Context) error {
		g, _ := p.Group(ctx)
		results := make(chan int, 3)
		for i := range 3 {
			if err := g.Go(func(context.Context) error { results <- i; return nil }); err != nil {
				return err
			}
		}
		assert.Len(t, results, 3, "the subtasks ran before Wait: Go never waited on a worker that cannot come")
		return g.Wait()
	})
}

func TestNestedGroupGoThenWaitOnChannel(t *testing.T) {
	saturated(t, func(t *testing.T, p *pool.Pool, ctx context.Context) error {
		g, _ := p.Group(ctx)
		got := make(chan int, 1)
		if err := g.Go(func(context.Context) error { got <- 7; return nil }); err != nil {
			return err
		}
		assert.Equal(t, 7, <-got)
		return g.Wait()
	})
}

// fibOwn is fib passing each task's own context to the work it nests.
func fibOwn(ctx context.Context, p *pool.Pool, n int) (int, error) {
	if n < 2 {
		return n, nil
	}
	g, _ := p.Group(ctx)
	var a, b int
	_ = g.Go(func(ctx context.Context) error { var err error; a, err = fibOwn(ctx, p, n-1); return err })
	_ = g.Go(func(ctx context.Context) error { var err error; b, err = fibOwn(ctx, p, n-2); return err })
	err := g.Wait()
	return a + b, err
}

func TestNestedRecursionDoesNotDeadlock(t *testing.T) {
	saturated(t, func(t *testing.T, p *pool.Pool, ctx context.Context) error {
		n, err := fibOwn(ctx, p, 10)
		assert.Equal(t, 55, n)
		return err
	})
}

// The classic errgroup-with-a-limit deadlock: a group made outside any task,
// on a pool of one, whose task submits a subtask to the same group and waits
// for it on a channel. The task passes its own context, which identifies it.
func TestGroupTaskSubmitsToOwnGroupAndWaits(t *testing.T) {
	for _, mode := range queueModes {
		t.Run(mode.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(1, mode.opts...)
				g, _ := p.Group(context.Background())
				require.NoError(t, g.Go(func(ctx context.Context) error {
					got := make(chan int, 1)
					if err := g.Submit(ctx, func(context.Context) error { got <- 1; return nil }); err != nil {
						return err
					}
					if v := <-got; v != 1 {
						return errors.New("wrong value")
					}
					return nil
				}))
				require.NoError(t, g.Wait())
				require.NoError(t, p.Shutdown(context.Background()))
			})
		})
	}
}

// Nested work run in its caller's slot keeps the pool's limit: a task
// blocked while its subtask runs does not count, and nothing else runs.
func TestCallerRunsKeepsTheLimit(t *testing.T) {
	for _, mode := range queueModes {
		t.Run(mode.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const limit = 2
				p := pool.New(limit, mode.opts...)
				var m concurrencyMeter
				outer := func(ctx context.Context) error {
					m.enter()
					time.Sleep(time.Millisecond)
					m.leave()
					_, err := pool.Map(ctx, p, make([]int, 20), func(ctx context.Context, v int) (int, error) {
						m.enter()
						defer m.leave()
						time.Sleep(time.Millisecond)
						return v, nil
					})
					return err
				}
				g, _ := p.Group(context.Background())
				for range 4 {
					require.NoError(t, g.Go(outer))
				}
				require.NoError(t, g.Wait())
				assert.LessOrEqual(t, m.max.Load(), int64(limit))
				assert.LessOrEqual(t, p.Stats().Workers, limit)
				require.NoError(t, p.Shutdown(context.Background()))
			})
		})
	}
}

// Only a goroutine that holds a slot of the pool may run a task in it:
// code outside any task never does, whatever it presents, so the pool's
// limit holds. Each case fills the only slot of a hand-off pool, submits
// from outside, and checks that the task waits for the slot instead of
// running at once beyond the limit.
func TestOutsideCodeNeverRunsTasksInline(t *testing.T) {
	type submitFunc func(fn func(context.Context) error) error
	// leak returns a context of a task of p that has returned, and the
	// group that task made from it.
	leak := func(t *testing.T, p *pool.Pool) (context.Context, *pool.Group) {
		type leaked struct {
			ctx context.Context
			g   *pool.Group
		}
		got := make(chan leaked, 1)
		require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
			g, _ := p.Group(ctx)
			got <- leaked{ctx, g}
			return nil
		}))
		l := <-got
		require.NoError(t, p.Wait())
		return l.ctx, l.g
	}
	cases := []struct {
		name   string
		submit func(t *testing.T, p *pool.Pool) submitFunc
	}{
		{"Submit with the context of a group made outside any task", func(t *testing.T, p *pool.Pool) submitFunc {
			_, gctx := p.Group(context.Background())
			return func(fn func(context.Context) error) error { return p.Submit(gctx, fn) }
		}},
		{"Group.Submit with its own group's context", func(t *testing.T, p *pool.Pool) submitFunc {
			g, gctx := p.Group(context.Background())
			return func(fn func(context.Context) error) error { return g.Submit(gctx, fn) }
		}},
		{"Submit with the context of a task that has returned", func(t *testing.T, p *pool.Pool) submitFunc {
			ctx, _ := leak(t, p)
			return func(fn func(context.Context) error) error { return p.Submit(ctx, fn) }
		}},
		{"Group.Go on a group whose task has returned", func(t *testing.T, p *pool.Pool) submitFunc {
			_, g := leak(t, p)
			return func(fn func(context.Context) error) error { return g.Go(fn) }
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(1, pool.WithQueueSize(0))
				submit := tc.submit(t, p)
				release := make(chan struct{})
				require.NoError(t, p.Go(func() { <-release }))
				var ran atomic.Bool
				submitted := make(chan error, 1)
				go func() { submitted <- submit(func(context.Context) error { ran.Store(true); return nil }) }()
				synctest.Wait()
				assert.False(t, ran.Load(), "the task must not run beyond the limit")
				assert.Empty(t, submitted, "the submit waits for the slot")
				close(release)
				assert.NoError(t, <-submitted)
				require.NoError(t, p.Wait())
				assert.True(t, ran.Load(), "it ran once the slot was free")
				shutdown(t, p)
			})
		})
	}
}

// A task's context handed to another goroutine does not let that goroutine
// run a task in the task's slot while the slot is taken: the task is
// suspended (a nested task runs in its slot) or has lent it (it waits in
// Group.Wait).
func TestBorrowedTaskContextRunsNothingInATakenSlot(t *testing.T) {
	for _, phase := range []string{"suspended", "lent"} {
		t.Run(phase, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(1)
				var m concurrencyMeter
				release := make(chan struct{})
				started := make(chan struct{})
				var innerRan atomic.Bool
				block := func(context.Context) error { m.enter(); close(started); <-release; m.leave(); return nil }
				inner := func(context.Context) error { m.enter(); innerRan.Store(true); m.leave(); return nil }
				borrowed := make(chan error, 1)
				require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
					go func() {
						<-started
						borrowed <- p.Submit(ctx, inner)
					}()
					if phase == "suspended" {
						return p.Submit(ctx, block) // no worker is free: block runs in this slot
					}
					g, _ := p.Group(ctx)
					if err := g.TrySubmit(block); err != nil { // queued: TrySubmit never runs inline
						return err
					}
					return g.Wait() // lends this slot, so a worker starts block
				}))
				<-started
				synctest.Wait()
				assert.False(t, innerRan.Load(), "nothing else runs in a taken slot")
				close(release)
				require.NoError(t, <-borrowed)
				require.NoError(t, p.Wait())
				assert.True(t, innerRan.Load())
				assert.EqualValues(t, 1, m.max.Load(), "the limit of one held throughout")
				shutdown(t, p)
			})
		})
	}
}

// A task run in its caller's slot is settled as if a worker had run it: its
// error and panic go where task errors go (not to the submitter), it is
// counted once, and its runtime.Goexit ends it alone, not the caller.
func TestCallerRunsSettlesLikeAWorker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var handled []error
		p := pool.New(1, pool.WithQueueSize(0), pool.WithErrorHandler(func(err error) { handled = append(handled, err) }))
		boom := errors.New("boom")
		callerWentOn := make(chan struct{})
		g, _ := p.Group(context.Background())
		require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
			// The only slot is this task's: each submit runs inline.
			assert.NoError(t, p.Submit(ctx, func(context.Context) error { return boom }))
			assert.NoError(t, p.Submit(ctx, func(context.Context) error { panic("inline") }))
			assert.NoError(t, p.Submit(ctx, func(context.Context) error { runtime.Goexit(); return nil }))
			assert.NoError(t, g.Submit(ctx, func(context.Context) error { return io.EOF }))
			close(callerWentOn) // Goexit ended the nested task only
			return nil
		}))
		<-callerWentOn
		require.NoError(t, p.Wait())
		require.Len(t, handled, 3, "the handler got the inline tasks' outcomes, once each")
		assert.Same(t, boom, handled[0])
		var pe *pool.PanicError
		assert.ErrorAs(t, handled[1], &pe)
		assert.ErrorIs(t, handled[2], pool.ErrGoexit)
		assert.Same(t, io.EOF, g.Wait(), "a group task's error goes to its group")
		st := p.Stats()
		assert.EqualValues(t, 5, st.Submitted)
		assert.EqualValues(t, 1, st.Completed)
		assert.EqualValues(t, 3, st.Failed)
		assert.EqualValues(t, 1, st.Panicked)
		assert.Equal(t, 1, st.Workers)
		shutdown(t, p)
	})
}

// Submits without a context cannot identify a task, so they never run a
// task in their caller's slot: from a task they behave as from anywhere.
func TestSubmitsWithoutContextNeverRunInline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1, pool.WithQueueSize(0))
		g, _ := p.Group(context.Background())
		errs := make(chan error, 2)
		require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
			g2, _ := p.Group(ctx)
			errs <- p.TrySubmit(func(context.Context) error { return nil })
			errs <- g.TrySubmit(func(context.Context) error { return nil })
			errs <- g2.TrySubmit(func(context.Context) error { return nil })
			return nil
		}))
		for range 3 {
			assert.ErrorIs(t, <-errs, pool.ErrQueueFull)
		}
		require.NoError(t, g.Wait())

		q := pool.New(1)
		release := make(chan struct{})
		require.NoError(t, q.Submit(context.Background(), func(ctx context.Context) error {
			return q.Go(func() { close(release) }) // queued behind its caller
		}))
		<-release
		require.NoError(t, q.Wait())
		assert.EqualValues(t, 2, q.Stats().Completed)
		shutdown(t, q)
		shutdown(t, p)
	})
}

// A Group whose task has returned lends no slot from its Wait: the Wait
// runs outside any task.
func TestOutsideWaitLendsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1)
		groups := make(chan *pool.Group, 1)
		require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
			g, _ := p.Group(ctx)
			groups <- g
			return nil
		}))
		g := <-groups
		require.NoError(t, p.Wait())
		release := make(chan struct{})
		require.NoError(t, p.Go(func() { <-release }))
		var ran atomic.Bool
		require.NoError(t, g.Go(func(context.Context) error { ran.Store(true); return nil }), "queued")
		waited := make(chan error, 1)
		go func() { waited <- g.Wait() }()
		synctest.Wait()
		assert.False(t, ran.Load(), "the Wait lent no slot, so the task waits for the only one")
		close(release)
		assert.NoError(t, <-waited)
		assert.True(t, ran.Load())
		shutdown(t, p)
	})
}
