package pool_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/internal/observetest"
	"github.com/weftgo/weft/observe"
	"github.com/weftgo/weft/pool"
)

// This file is about a fail-fast group whose queued task expires (its
// QueueTimeout passes) while a submitter of the same group waits for room
// in a bounded queue: the expiry both makes room and fails the group.

// holdDropped records events, and holds each Dropped event until hold is
// closed. An Observe must not block; the tests make it block on purpose,
// to keep whoever expired a task (the expiry timer, or a worker) between
// making room in the queue and reporting the task, a window that exists
// without it, only narrower.
type holdDropped struct {
	observetest.Recorder
	hold chan struct{}
}

func (o *holdDropped) Observe(e observe.Event) {
	o.Recorder.Observe(e)
	if e.Kind == observe.Dropped {
		<-o.hold
	}
}

// countOf counts the events of kind k with error err.
func countOf(r *observetest.Recorder, k observe.Kind, err error) int {
	n := 0
	for _, e := range r.Events() {
		if e.Kind == k && e.Err == err {
			n++
		}
	}
	return n
}

// blockedGroupSubmits are the ways a submitter of a group waits for room,
// with the context its group's context gctx.
var blockedGroupSubmits = []struct {
	name string
	do   func(g *pool.Group, gctx context.Context, fn func(context.Context) error, opts ...pool.TaskOption) error
}{
	{"Group.Go", func(g *pool.Group, _ context.Context, fn func(context.Context) error, opts ...pool.TaskOption) error {
		return g.Go(fn, opts...)
	}},
	{"Group.Submit", func(g *pool.Group, _ context.Context, fn func(context.Context) error, opts ...pool.TaskOption) error {
		return g.Submit(context.Background(), fn, opts...)
	}},
	{"Group.Submit with the group's context", func(g *pool.Group, gctx context.Context, fn func(context.Context) error, opts ...pool.TaskOption) error {
		return g.Submit(gctx, fn, opts...)
	}},
}

// A fail-fast group's task that expires while a submitter of the group
// waits for room fails the group before the room it leaves goes to anyone:
// the submitter is refused with ErrQueueTimeout, the group's first error,
// whoever expires the task (the timer, or a worker that frees at the
// deadline), and with or without priorities. The expired task is reported
// once: by Wait (not joined with the refusal Group.Go records), as one
// Expired in Stats and one Dropped event; the refusal counts as Rejected.
func TestFailFastExpiryRefusesBlockedSubmitter(t *testing.T) {
	for _, expirer := range []string{"timer", "worker freeing at the deadline"} {
		for _, prio := range []int{0, 3} {
			for _, s := range blockedGroupSubmits {
				t.Run(expirer+"/priority "+string(rune('0'+prio))+"/"+s.name, func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) {
						obs := &holdDropped{hold: make(chan struct{})}
						p := pool.New(1, pool.WithQueueSize(1), pool.WithObserver(obs))
						release := make(chan struct{})
						require.NoError(t, p.Go(func() {
							if expirer == "timer" {
								<-release
							} else {
								time.Sleep(time.Second)
							}
						}))
						synctest.Wait() // the worker runs it: what follows is queued
						g, gctx := p.Group(context.Background(), pool.WithFailFast())
						var ran atomic.Int32
						never := func(context.Context) error { ran.Add(1); return nil }
						require.NoError(t, g.Go(never, pool.QueueTimeout(time.Second), pool.Priority(prio)))
						res := make(chan error, 1)
						go func() { res <- s.do(g, gctx, never, pool.Priority(2*prio)) }()
						synctest.Wait()
						require.Empty(t, res, "the submit waits for room")

						time.Sleep(time.Second)
						synctest.Wait() // the expirer is held in Dropped
						select {
						case err := <-res:
							assert.Equal(t, pool.ErrQueueTimeout, err, "refused with the group's first error")
						default:
							assert.Fail(t, "the submit still waits")
						}
						close(obs.hold)
						close(release)
						assert.Same(t, pool.ErrQueueTimeout, g.Wait(), "reported once")
						assert.Same(t, pool.ErrQueueTimeout, context.Cause(gctx))
						shutdown(t, p)
						assert.Zero(t, ran.Load(), "neither task ran")
						st := p.Stats()
						assert.Equal(t, pool.Stats{Limit: 1, Submitted: 2, Completed: 1, Expired: 1, Rejected: 1}, st)
						assert.Equal(t, 1, countOf(&obs.Recorder, observe.Dropped, pool.ErrQueueTimeout))
						assert.Equal(t, 1, countOf(&obs.Recorder, observe.Rejected, pool.ErrQueueTimeout))
					})
				})
			}
		}
	}
}

// The room a fail-fast group's expired task leaves goes to a submitter of
// another group, not to the group's own (refused), whatever their
// priorities; the group's other queued tasks still run, in priority order,
// with the group's context canceled by ErrQueueTimeout.
func TestFailFastExpiryRoomGoesToOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		obs := &holdDropped{hold: make(chan struct{})}
		p := pool.New(1, pool.WithQueueSize(3), pool.WithObserver(obs))
		release := busy(t, p)
		g, _ := p.Group(context.Background(), pool.WithFailFast())
		other, _ := p.Group(context.Background())
		var log orderLog
		var ran atomic.Int32
		never := func(context.Context) error { ran.Add(1); return nil }
		require.NoError(t, g.Go(never, pool.QueueTimeout(time.Second), pool.Priority(3)))
		require.NoError(t, p.Go(func() { log.add(1) }))
		var cause error
		require.NoError(t, g.Go(func(ctx context.Context) error { cause = context.Cause(ctx); log.add(2); return nil }))
		mine, theirs := make(chan error, 1), make(chan error, 1)
		go func() { mine <- g.Go(never, pool.Priority(5)) }()
		synctest.Wait()
		go func() { theirs <- other.Go(func(context.Context) error { log.add(3); return nil }, pool.Priority(1)) }()
		synctest.Wait()
		require.Empty(t, mine, "waiting for room")
		require.Empty(t, theirs, "waiting for room")

		time.Sleep(time.Second)
		synctest.Wait() // the expirer is held in Dropped
		require.Len(t, mine, 1, "the group's submitter is refused at once")
		assert.Equal(t, pool.ErrQueueTimeout, <-mine)
		require.Len(t, theirs, 1, "the other group's submitter got the room")
		assert.NoError(t, <-theirs)
		close(obs.hold)
		release()
		assert.Same(t, pool.ErrQueueTimeout, g.Wait())
		assert.NoError(t, other.Wait())
		assert.Equal(t, []int{3, 1, 2}, log.get(), "priority 1 first, then FIFO")
		assert.Same(t, pool.ErrQueueTimeout, cause, "a task of the failed group starts with its context canceled")
		assert.Zero(t, ran.Load())
		shutdown(t, p)
		assert.Equal(t, pool.Stats{Limit: 1, Submitted: 5, Completed: 4, Expired: 1, Rejected: 1}, p.Stats())
	})
}

// fullWithExpiring makes a pool of one with a queue of one, its worker
// busy until release is called and its queue full with a task of a new
// fail-fast group g, made from parent, that expires after a second and
// must never run; ran counts the runs of never.
func fullWithExpiring(t *testing.T, parent context.Context, opts ...pool.Option) (p *pool.Pool, g *pool.Group, gctx context.Context, never func(context.Context) error, ran *atomic.Int32, release func()) {
	t.Helper()
	p = pool.New(1, append([]pool.Option{pool.WithQueueSize(1)}, opts...)...)
	release = busy(t, p)
	g, gctx = p.Group(parent, pool.WithFailFast())
	ran = new(atomic.Int32)
	never = func(context.Context) error { ran.Add(1); return nil }
	require.NoError(t, g.Go(never, pool.QueueTimeout(time.Second)))
	return p, g, gctx, never, ran, release
}

// Close, Shutdown and Stop refuse a fail-fast group's submitter waiting
// for room with ErrClosed. Close and Shutdown keep the queued task, which
// still expires: with Group.Go, whose refusal the group records as its
// first error, the expiry is a later error that Wait drops (Stats and the
// observer count it); with Group.Submit, which records nothing, Wait
// returns ErrQueueTimeout. Stop drops the task instead: it never expires,
// and Wait reports the drop.
func TestFailFastBlockedSubmitterWhenPoolEnds(t *testing.T) {
	for _, how := range []string{"Close", "Shutdown", "Stop"} {
		for _, s := range blockedGroupSubmits[:2] {
			t.Run(how+"/"+s.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					rec := &observetest.Recorder{}
					p, g, gctx, never, ran, release := fullWithExpiring(t, context.Background(), pool.WithObserver(rec))
					res := make(chan error, 1)
					go func() { res <- s.do(g, gctx, never) }()
					synctest.Wait()
					require.Empty(t, res, "waiting for room")

					ended := make(chan any, 1)
					switch how {
					case "Close":
						p.Close()
						ended <- nil
					case "Shutdown":
						go func() { ended <- p.Shutdown(context.Background()) }()
					case "Stop":
						go func() { ended <- p.Stop() }()
					}
					synctest.Wait()
					require.Len(t, res, 1, "refused at once")
					assert.Equal(t, pool.ErrClosed, <-res)
					time.Sleep(2 * time.Second) // past the deadline
					synctest.Wait()
					release()
					gerr := g.Wait()
					end := <-ended
					shutdown(t, p)
					st := p.Stats()
					switch how {
					case "Stop":
						assert.Equal(t, 1, end, "Stop dropped the queued task")
						assert.ErrorIs(t, gerr, pool.ErrClosed)
						assert.NotErrorIs(t, gerr, pool.ErrQueueTimeout)
						assert.Equal(t, pool.Stats{Limit: 1, Submitted: 2, Completed: 1, Dropped: 1, Rejected: 1}, st)
						assert.Equal(t, 1, countOf(rec, observe.Dropped, pool.ErrStopped))
						if s.name == "Group.Go" {
							// Stop cancels the group once it has released the
							// pool's lock, and Go records its refusal: either
							// comes first.
							assert.Contains(t, []error{pool.ErrStopped, pool.ErrClosed}, context.Cause(gctx))
						} else {
							assert.Equal(t, pool.ErrStopped, context.Cause(gctx))
						}
					default:
						assert.Nil(t, end)
						want := pool.ErrQueueTimeout
						if s.name == "Group.Go" {
							want = pool.ErrClosed
						}
						assert.Same(t, want, gerr, "the first error alone")
						assert.Same(t, want, context.Cause(gctx))
						assert.Equal(t, pool.Stats{Limit: 1, Submitted: 2, Completed: 1, Expired: 1, Rejected: 1}, st)
						assert.Equal(t, 1, countOf(rec, observe.Dropped, pool.ErrQueueTimeout))
					}
					assert.Equal(t, 1, countOf(rec, observe.Rejected, pool.ErrClosed))
					assert.Zero(t, ran.Load())
				})
			})
		}
	}
}

// A Stop at the instant a fail-fast group's queued task expires, with a
// submitter of the group waiting for room: either the task expired (Wait
// returns ErrQueueTimeout, the submitter is refused with it or, if Stop
// took the lock before it, with ErrClosed) or Stop dropped it (Wait
// reports the drop, the submitter gets ErrClosed): exactly one, and the
// task never runs.
func TestFailFastExpiryRacingStop(t *testing.T) {
	for _, s := range blockedGroupSubmits {
		t.Run(s.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &observetest.Recorder{}
				p, g, gctx, never, ran, release := fullWithExpiring(t, context.Background(), pool.WithObserver(rec))
				res := make(chan error, 1)
				go func() { res <- s.do(g, gctx, never) }()
				synctest.Wait()
				require.Empty(t, res, "waiting for room")

				stopped := make(chan int, 1)
				time.AfterFunc(time.Second, func() { stopped <- p.Stop() })
				time.Sleep(time.Second)
				synctest.Wait()
				require.Len(t, res, 1, "refused")
				serr := <-res
				release()
				dropped := <-stopped
				gerr := g.Wait()
				st := p.Stats()
				assert.Equal(t, uint64(1), st.Expired+st.Dropped, "expired or dropped, once")
				assert.Equal(t, 1, countOf(rec, observe.Dropped, pool.ErrQueueTimeout)+countOf(rec, observe.Dropped, pool.ErrStopped))
				if st.Expired == 1 {
					assert.Zero(t, dropped)
					assert.Contains(t, []error{pool.ErrQueueTimeout, pool.ErrClosed}, serr)
					assert.Same(t, pool.ErrQueueTimeout, gerr)
				} else {
					assert.Equal(t, 1, dropped)
					assert.Equal(t, pool.ErrClosed, serr)
					assert.ErrorIs(t, gerr, pool.ErrClosed)
					assert.NotErrorIs(t, gerr, pool.ErrQueueTimeout)
				}
				t.Logf("expired %d dropped %d: submit %v, Wait %v", st.Expired, st.Dropped, serr, gerr)
				assert.Zero(t, ran.Load())
				shutdown(t, p)
			})
		})
	}
}

// The end of the context a fail-fast group was made from does not fail the
// group: it ends the wait of Group.Go, which records the cause as the
// group's first error, and of a Group.Submit given the group's context,
// which only returns it; a Group.Submit given another context goes on
// waiting, until the expiry fails the group with ErrQueueTimeout. The
// expired task is counted once either way, and is Wait's error only if
// nothing failed the group before it.
func TestFailFastBlockedSubmitterParentCanceled(t *testing.T) {
	for _, s := range blockedGroupSubmits {
		t.Run(s.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				parent, cancel := context.WithCancelCause(context.Background())
				defer cancel(nil)
				p, g, gctx, never, ran, release := fullWithExpiring(t, parent)
				res := make(chan error, 1)
				go func() { res <- s.do(g, gctx, never) }()
				synctest.Wait()
				require.Empty(t, res, "waiting for room")

				boom := errors.New("boom")
				cancel(boom)
				synctest.Wait()
				var serr error
				if s.name == "Group.Submit" {
					require.Empty(t, res, "a Submit given another context waits on")
					time.Sleep(time.Second)
					synctest.Wait()
					require.Len(t, res, 1, "refused when the task expires")
					serr = <-res
					assert.Equal(t, pool.ErrQueueTimeout, serr)
				} else {
					require.Len(t, res, 1, "refused at once")
					serr = <-res
					assert.Equal(t, boom, serr)
					time.Sleep(time.Second)
				}
				release()
				want := pool.ErrQueueTimeout
				if s.name == "Group.Go" {
					want = boom
				}
				assert.Equal(t, want, g.Wait(), "the first error alone")
				assert.Equal(t, boom, context.Cause(gctx))
				assert.Zero(t, ran.Load())
				shutdown(t, p)
				assert.Equal(t, pool.Stats{Limit: 1, Submitted: 2, Completed: 1, Expired: 1, Rejected: 1}, p.Stats())
			})
		})
	}
}

// A future's task reports its outcome to its future only, an expiry too
// (see QueueTimeout): on a fail-fast group, its expiry does not fail the
// group, and the room it leaves goes to a submitter of the group.
func TestFailFastExpiryOfAFutureLeavesTheGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1, pool.WithQueueSize(1))
		release := busy(t, p)
		g, gctx := p.Group(context.Background(), pool.WithFailFast())
		f, err := future.Submit(context.Background(), g, func(context.Context) (int, error) { return 1, nil }, pool.QueueTimeout(time.Second))
		require.NoError(t, err)
		var live atomic.Bool
		res := make(chan error, 1)
		go func() { res <- g.Go(func(ctx context.Context) error { live.Store(ctx.Err() == nil); return nil }) }()
		synctest.Wait()
		require.Empty(t, res, "waiting for room")

		time.Sleep(time.Second)
		synctest.Wait()
		require.Len(t, res, 1, "the expiry made room")
		assert.NoError(t, <-res)
		_, ferr := f.Result(context.Background())
		assert.Equal(t, pool.ErrQueueTimeout, ferr)
		assert.NoError(t, gctx.Err(), "the group has not failed")
		release()
		assert.NoError(t, g.Wait())
		assert.True(t, live.Load(), "the task ran with a live context")
		shutdown(t, p)
		assert.Equal(t, pool.Stats{Limit: 1, Submitted: 3, Completed: 2, Expired: 1}, p.Stats())
	})
}

// Once a fail-fast group has failed by an expiry, its submitters waiting
// for room are refused, but a submit that finds room at once is accepted
// and its task runs with the canceled context (see WithFailFast); a second
// expiry of the group is a later error, dropped: Wait reports one.
func TestFailFastGroupAfterItsExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1, pool.WithQueueSize(2))
		release := busy(t, p)
		g, _ := p.Group(context.Background(), pool.WithFailFast())
		var ran atomic.Int32
		never := func(context.Context) error { ran.Add(1); return nil }
		require.NoError(t, g.Go(never, pool.QueueTimeout(time.Second)))
		require.NoError(t, g.Go(never, pool.QueueTimeout(2*time.Second), pool.Priority(1)))
		res := make(chan error, 2)
		go func() { res <- g.Go(never) }()
		go func() { res <- g.Submit(context.Background(), never) }()
		synctest.Wait()
		require.Empty(t, res, "waiting for room")

		time.Sleep(time.Second)
		synctest.Wait()
		require.Len(t, res, 2, "both refused at the first expiry")
		assert.Equal(t, pool.ErrQueueTimeout, <-res)
		assert.Equal(t, pool.ErrQueueTimeout, <-res)
		causes := make(chan error, 2)
		probe := func(ctx context.Context) error { causes <- context.Cause(ctx); return nil }
		assert.NoError(t, g.TrySubmit(probe), "room at once")
		assert.Equal(t, pool.ErrQueueFull, g.TrySubmit(never), "full again")
		time.Sleep(time.Second)
		synctest.Wait()
		assert.NoError(t, g.Go(probe), "room at once, after the second expiry")
		release()
		assert.Same(t, pool.ErrQueueTimeout, g.Wait(), "one error: the first")
		assert.Equal(t, pool.ErrQueueTimeout, <-causes)
		assert.Equal(t, pool.ErrQueueTimeout, <-causes)
		assert.Zero(t, ran.Load())
		shutdown(t, p)
		assert.Equal(t, pool.Stats{Limit: 1, Submitted: 5, Completed: 3, Expired: 2, Rejected: 3}, p.Stats())
	})
}
