package pool_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/internal/observetest"
	"github.com/weftgo/weft/observe"
	"github.com/weftgo/weft/pool"
)

// An observed pool reports the tasks of a Serial like any other: those
// parked behind their key are Queued when submitted, Started with the wait
// since then, and Dropped by Stop; and a Serial's func() (no context) runs
// under an observer.
func TestSerialObserved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &observetest.Recorder{}
		p := pool.New(2, pool.WithObserver(r))
		s := pool.NewSerial[int](p)
		release := make(chan struct{})
		for i := range 6 {
			require.NoError(t, s.Submit(context.Background(), i%2, func(context.Context) error {
				<-release
				return nil
			}))
		}
		require.NoError(t, s.Go(2, func() {}))
		synctest.Wait()
		time.Sleep(time.Second)
		close(release)
		require.NoError(t, p.Shutdown(context.Background()))
		checkCounts(t, p, r)
		var waited int
		for _, e := range r.Take() {
			if e.Kind == observe.Started && e.Wait >= time.Second {
				waited++
			}
		}
		// The four tasks parked behind keys 0 and 1, and key 2's, queued
		// in the pool while both slots were busy.
		assert.Equal(t, 5, waited, "tasks that waited a second")

		// Stop drops the parked tasks and the observer hears of each.
		p = pool.New(1, pool.WithObserver(r))
		s = pool.NewSerial[int](p)
		block := make(chan struct{})
		require.NoError(t, s.Submit(context.Background(), 0, func(ctx context.Context) error {
			close(block)
			<-ctx.Done()
			return nil
		}))
		<-block
		for range 3 {
			require.NoError(t, s.Submit(context.Background(), 0, func(context.Context) error { return nil }))
		}
		assert.Equal(t, 3, p.Stop())
		checkCounts(t, p, r)
	})
}

// A Serial's submit refused by a closed pool is a Rejected event, as a
// pool's own is, so the events still match Stats.
func TestSerialRejectedIsObserved(t *testing.T) {
	for _, inGroup := range []bool{false, true} {
		rec := &observetest.Recorder{}
		p := pool.New(1, pool.WithObserver(rec))
		s := pool.NewSerial[string](p)
		if inGroup {
			g, _ := p.Group(context.Background())
			s = pool.NewGroupSerial[string](g)
		}
		p.Close()
		assert.ErrorIs(t, s.Go("k", func() {}), pool.ErrClosed)
		assert.ErrorIs(t, s.Submit(context.Background(), "k", func(context.Context) error { return nil }), pool.ErrClosed)
		assert.ErrorIs(t, s.TrySubmit("k", func(context.Context) error { return nil }), pool.ErrClosed)
		assert.Equal(t, uint64(3), p.Stats().Rejected)
		assert.Equal(t, uint64(3), rec.Count()[observe.Rejected], "Rejected events, in a group: %v", inGroup)
	}
}
