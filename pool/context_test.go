package pool_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
)

type requestKey struct{}

// ctxSubmits are the submits that take a context, which becomes the parent
// of the task's. Each submits fn to p with ctx and returns a func that waits
// for what it made (the group), if anything.
var ctxSubmits = []struct {
	name   string
	submit func(p *pool.Pool, ctx context.Context, fn func(context.Context) error) (wait func() error, err error)
}{
	{"Pool.Submit", func(p *pool.Pool, ctx context.Context, fn func(context.Context) error) (func() error, error) {
		return p.Wait, p.Submit(ctx, fn)
	}},
	{"Group.Submit", func(p *pool.Pool, ctx context.Context, fn func(context.Context) error) (func() error, error) {
		g, _ := p.Group(context.Background())
		return g.Wait, g.Submit(ctx, fn)
	}},
}

// Issue 11: a task submitted with a 100 ms timeout ran for 1 s and saw no
// request value. The submit's context is the parent of the task's: its
// values, its deadline and its cancellation reach the task.
func TestSubmitContextValueAndDeadlineReachTheTask(t *testing.T) {
	for _, s := range ctxSubmits {
		t.Run(s.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(1)
				defer shutdown(t, p)
				ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), requestKey{}, "req-7"), 100*time.Millisecond)
				defer cancel()
				want, _ := ctx.Deadline()
				type seen struct {
					value    any
					deadline time.Time
					ran      time.Duration
					cause    error
				}
				got := make(chan seen, 1)
				start := time.Now()
				wait, err := s.submit(p, ctx, func(ctx context.Context) error {
					var s seen
					s.value = ctx.Value(requestKey{})
					s.deadline, _ = ctx.Deadline()
					select {
					case <-ctx.Done():
					case <-time.After(time.Second):
					}
					s.ran, s.cause = time.Since(start), context.Cause(ctx)
					got <- s
					return ctx.Err()
				})
				require.NoError(t, err)
				s := <-got
				assert.Equal(t, "req-7", s.value)
				assert.Equal(t, want, s.deadline)
				assert.Equal(t, 100*time.Millisecond, s.ran)
				assert.ErrorIs(t, s.cause, context.DeadlineExceeded)
				assert.ErrorIs(t, wait(), context.DeadlineExceeded)
			})
		})
	}
}

// Canceling the submit's context cancels the running task, and a task
// still queued runs all the same, exactly once, with a done context: a
// submit that returned nil always runs its task.
func TestCanceledSubmitContextReachesRunningAndQueuedTasks(t *testing.T) {
	for _, s := range ctxSubmits {
		t.Run(s.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(1)
				defer shutdown(t, p)
				cause := errors.New("client went away")
				ctx, cancel := context.WithCancelCause(context.Background())
				started := make(chan struct{})
				causes := make(chan error, 2)
				wait, err := s.submit(p, ctx, func(ctx context.Context) error {
					close(started)
					<-ctx.Done()
					causes <- context.Cause(ctx)
					return nil
				})
				require.NoError(t, err)
				<-started
				wait2, err := s.submit(p, ctx, func(ctx context.Context) error {
					causes <- context.Cause(ctx)
					return nil
				})
				require.NoError(t, err)
				cancel(cause)
				assert.Equal(t, cause, <-causes, "the running task")
				assert.Equal(t, cause, <-causes, "the queued task runs, with its context done")
				require.NoError(t, wait())
				require.NoError(t, wait2())
				assert.EqualValues(t, 2, p.Stats().Completed)
			})
		})
	}
}

// Stop cancels every running task, whatever context it was submitted
// with, and its cause is ErrStopped. A group's cancellation reaches a task
// submitted with a context of its own too.
func TestStopAndGroupCancelReachTasksSubmittedWithAContext(t *testing.T) {
	failure := errors.New("boom")
	ctxs := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"Background", func() (context.Context, context.CancelFunc) { return context.Background(), func() {} }},
		{"WithValue", func() (context.Context, context.CancelFunc) {
			return context.WithValue(context.Background(), requestKey{}, 1), func() {}
		}},
		{"WithCancel", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }},
		{"WithTimeout", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Hour)
		}},
	}
	for _, c := range ctxs {
		t.Run(c.name+"/Stop", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := c.ctx()
				defer cancel()
				p := pool.New(2)
				g, _ := p.Group(context.Background())
				causes := make(chan error, 2)
				task := func(ctx context.Context) error {
					<-ctx.Done()
					causes <- context.Cause(ctx)
					return nil
				}
				require.NoError(t, p.Submit(ctx, task))
				require.NoError(t, g.Submit(ctx, task))
				synctest.Wait()
				assert.Zero(t, p.Stop())
				assert.ErrorIs(t, <-causes, pool.ErrStopped)
				assert.ErrorIs(t, <-causes, pool.ErrStopped)
				assert.NoError(t, g.Wait())
			})
		})
		t.Run(c.name+"/FailFast", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := c.ctx()
				defer cancel()
				p := pool.New(2)
				defer shutdown(t, p)
				g, _ := p.Group(context.Background(), pool.WithFailFast())
				cause := make(chan error, 1)
				require.NoError(t, g.Submit(ctx, func(ctx context.Context) error {
					<-ctx.Done()
					cause <- context.Cause(ctx)
					return nil
				}))
				require.NoError(t, g.Submit(ctx, func(context.Context) error { return failure }))
				assert.Equal(t, failure, <-cause)
				assert.Equal(t, failure, g.Wait())
			})
		})
	}
}

// propagationGoroutines counts the goroutines the context package starts to
// carry a parent's cancellation to a child it cannot reach directly.
func propagationGoroutines() int {
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	return strings.Count(stacks, "created by context.(*cancelCtx).propagateCancel")
}

// A context derived inside a task (WithTimeout, WithCancel, AfterFunc)
// costs no goroutine, whatever the task was submitted with, and sees the
// task's cancellation at once: when the cancel returns, the derived context
// is done.
func TestContextDerivedInTaskCostsNoGoroutine(t *testing.T) {
	type source struct {
		name string
		// submit runs fn as a task of p, submitted with (a context
		// derived from) ctx, and returns once fn has returned.
		submit func(p *pool.Pool, ctx context.Context, fn func(context.Context) error)
	}
	wait := func(run func(fn func(context.Context) error), fn func(context.Context) error) {
		done := make(chan struct{})
		run(func(ctx context.Context) error { defer close(done); return fn(ctx) })
		<-done
	}
	sources := []source{
		{"Pool.Submit", func(p *pool.Pool, ctx context.Context, fn func(context.Context) error) {
			wait(func(fn func(context.Context) error) { _ = p.Submit(ctx, fn) }, fn)
		}},
		{"Group.Submit", func(p *pool.Pool, ctx context.Context, fn func(context.Context) error) {
			g, _ := p.Group(context.Background())
			defer g.Wait()
			wait(func(fn func(context.Context) error) { _ = g.Submit(ctx, fn) }, fn)
		}},
		{"Group.Go", func(p *pool.Pool, ctx context.Context, fn func(context.Context) error) {
			g, _ := p.Group(ctx)
			defer g.Wait()
			wait(func(fn func(context.Context) error) { _ = g.Go(fn) }, fn)
		}},
		{"nested Pool.Submit", func(p *pool.Pool, ctx context.Context, fn func(context.Context) error) {
			// The outer task waits for the inner one, whose context
			// derives from the outer's.
			done := make(chan struct{})
			_ = p.Submit(ctx, func(ctx context.Context) error {
				_ = p.Submit(ctx, func(ctx context.Context) error { defer close(done); return fn(ctx) })
				<-done
				return nil
			})
			<-done
		}},
	}
	for _, s := range sources {
		for _, cancelable := range []bool{false, true} {
			name := s.name + "/values-only"
			if cancelable {
				name = s.name + "/cancelable"
			}
			t.Run(name, func(t *testing.T) {
				p := pool.New(2)
				defer shutdown(t, p)
				ctx, cancel := context.WithCancel(context.WithValue(context.Background(), requestKey{}, 1))
				defer cancel()
				submitCtx := context.WithoutCancel(ctx)
				if cancelable {
					submitCtx = ctx
				}
				type result struct {
					goroutines int
					done       bool
				}
				got := make(chan result, 1)
				s.submit(p, submitCtx, func(ctx context.Context) error {
					before := propagationGoroutines()
					d1, c1 := context.WithTimeout(ctx, time.Hour)
					defer c1()
					d2, c2 := context.WithCancelCause(d1)
					defer c2(nil)
					stop := context.AfterFunc(d2, func() {})
					defer stop()
					r := result{goroutines: propagationGoroutines() - before}
					if cancelable {
						cancel()
						r.done = d2.Err() != nil
					}
					got <- r
					return nil
				})
				r := <-got
				assert.Zero(t, r.goroutines, "goroutines started to propagate cancellation")
				assert.Equal(t, cancelable, r.done, "the derived context is done when cancel returns")
			})
		}
	}
}

// neverDone is a context that can never be canceled and carries a value,
// without the allocation that each Value call of context.WithoutCancel's
// context makes.
type neverDone struct{ context.Context }

func (neverDone) Value(key any) any {
	if key == (requestKey{}) {
		return "never"
	}
	return nil
}

// A submit context that can never be canceled (ctx.Done() == nil) costs
// nothing beyond what a Background one does: its values reach the task
// without an allocation of their own.
func TestUncancelableSubmitContextAllocatesNothing(t *testing.T) {
	p := pool.New(1)
	defer shutdown(t, p)
	var seen any
	fn := func(ctx context.Context) error { seen = ctx.Value(requestKey{}); return nil }
	allocs := func(ctx context.Context) float64 {
		return testing.AllocsPerRun(200, func() {
			_ = p.Submit(ctx, fn)
			_ = p.Wait()
		})
	}
	base := allocs(context.Background())
	withValue := context.WithValue(context.Background(), requestKey{}, "v")
	assert.Equal(t, base, allocs(withValue))
	assert.Equal(t, "v", seen)
	assert.Equal(t, base, allocs(&neverDone{context.Background()}))
	assert.Equal(t, "never", seen)
	assert.LessOrEqual(t, base, 1.0, "one task context per run")
}

// The submit context and the pool's Stop (or the group's cancellation) are
// joined when the task first looks at its context, so the cause it sees is
// whichever had happened by then: ErrStopped if only Stop had, and the
// submit context's cause if both had, whatever their order.
func TestCauseSeenIsWhatHadHappenedWhenTheTaskLooks(t *testing.T) {
	for _, s := range ctxSubmits {
		for _, parentToo := range []bool{false, true} {
			name := s.name + "/StopOnly"
			if parentToo {
				name = s.name + "/StopThenParent"
			}
			t.Run(name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					p := pool.New(1)
					cause := errors.New("client went away")
					ctx, cancel := context.WithCancelCause(context.Background())
					defer cancel(nil)
					look, seen := make(chan struct{}), make(chan error, 1)
					wait, err := s.submit(p, ctx, func(ctx context.Context) error {
						<-look
						seen <- context.Cause(ctx)
						return nil
					})
					require.NoError(t, err)
					synctest.Wait()
					stopped := make(chan int)
					go func() { stopped <- p.Stop() }()
					synctest.Wait() // Stop has canceled the pool and waits for the task
					if parentToo {
						cancel(cause)
					}
					close(look)
					if parentToo {
						assert.Equal(t, cause, <-seen)
					} else {
						assert.Equal(t, pool.ErrStopped, <-seen)
					}
					assert.Zero(t, <-stopped)
					assert.NoError(t, wait())
				})
			})
		}
	}
}

// A group whose context has a deadline gives its tasks that deadline; when
// it passes, a task submitted with a context of its own reads
// DeadlineExceeded in Err, as the group's context does, and so do its
// children: code that tells a timeout from a cancel by Err sees a timeout.
func TestGroupDeadlineReadsDeadlineExceeded(t *testing.T) {
	for _, passedBefore := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			p := pool.New(1)
			defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
			gparent, stop := context.WithTimeout(t.Context(), time.Second)
			defer stop()
			g, gctx := p.Group(gparent)
			if passedBefore {
				<-gparent.Done()
			}
			own, cancel := context.WithCancel(t.Context())
			defer cancel()
			type seen struct{ err, childErr, cause error }
			got := make(chan seen, 1)
			require.NoError(t, g.Submit(own, func(ctx context.Context) error {
				child, stopChild := context.WithCancel(ctx)
				defer stopChild()
				<-ctx.Done()
				got <- seen{ctx.Err(), child.Err(), context.Cause(ctx)}
				return nil
			}))
			s := <-got
			<-gctx.Done() // the same deadline ends it, maybe a moment later
			assert.Equal(t, context.DeadlineExceeded, gctx.Err())
			assert.Equal(t, context.DeadlineExceeded, s.err, "the task's Err")
			assert.Equal(t, context.DeadlineExceeded, s.childErr, "its child's Err")
			assert.Equal(t, context.DeadlineExceeded, s.cause, "the cause")
			assert.NoError(t, g.Wait())
		})
	}
}
