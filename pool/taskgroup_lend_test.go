package pool_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
)

// A task's Group.Wait lends its slot; the task that took it may still run
// when Wait returns, one over the limit. The worker of the group's task
// that ended meanwhile went idle, and is over the limit once Wait returns:
// it must not count as a worker that can start a task at once, or the
// task's next Group.Go queues its task (the idle worker, woken, exits as
// over the limit) instead of running it in the task's slot, as Go's doc
// says it does when no worker can start it, and the task goes on while its
// group's task waits for a slot it may itself be keeping busy.
func TestGroupGoAfterLentWaitRunsInTheCallersSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(2)
		defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
		relT, relB := make(chan struct{}), make(chan struct{})
		inline := make(chan bool, 1)
		hostDone := make(chan struct{})
		cmd := make(chan struct{})
		require.NoError(t, p.Submit(t.Context(), func(ctx context.Context) error {
			defer close(hostDone)
			g, _ := p.Group(ctx)
			// A free worker: T starts on it.
			if err := g.Go(func(context.Context) error { <-relT; return nil }); err != nil {
				return err
			}
			<-cmd // the blocker is queued
			if err := g.Wait(); err != nil {
				return err
			}
			// The host and the blocker hold the two slots: T2 must run
			// in the host's slot, so it has run once Go returns.
			ran := false
			if err := g.Go(func(context.Context) error { ran = true; return nil }); err != nil {
				return err
			}
			inline <- ran
			return g.Wait()
		}))
		synctest.Wait()
		require.NoError(t, p.Go(func() { <-relB })) // queued: the pool is full
		cmd <- struct{}{}
		synctest.Wait()
		assert.Equal(t, 3, p.Stats().Running, "the blocker runs in the slot the host's Wait lends")
		close(relT) // Wait returns, the blocker still runs
		synctest.Wait()
		select {
		case ran := <-inline:
			assert.True(t, ran, "T2 ran before Go returned")
		default:
			t.Error("Go has not returned")
		}
		close(relB)
		<-hostDone
	})
}

// In hand-off mode a submitter blocked while every worker is busy gets the
// slot a Group.Wait lends, as a TrySubmit then would: otherwise a group
// task that waits for the blocked submitter's task would never end, and
// neither would the Wait.
func TestLentSlotWakesBlockedHandOffSubmitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(2, pool.WithQueueSize(0))
		childUp, enterWait, xRan := make(chan struct{}), make(chan struct{}), make(chan struct{})
		waited := make(chan error, 1)
		require.NoError(t, p.Submit(t.Context(), func(ctx context.Context) error { // worker 1
			g, _ := p.Group(ctx)
			assert.NoError(t, g.TrySubmit(func(context.Context) error { // worker 2
				close(childUp)
				<-xRan
				return nil
			}))
			<-enterWait
			waited <- g.Wait() // lends its slot
			return nil
		}))
		<-childUp
		submitted := make(chan error, 1)
		go func() { submitted <- p.Go(func() { close(xRan) }) }()
		synctest.Wait() // both workers busy: the Go waits for room
		close(enterWait)
		require.NoError(t, <-submitted, "the Go was not given the lent slot")
		require.NoError(t, <-waited)
		require.NoError(t, p.Shutdown(t.Context()))
	})
}
