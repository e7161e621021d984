package pool_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
