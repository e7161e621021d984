package pool_test

import (
	"context"
	"errors"
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

// checkCounts asserts that the observed events match the pool's Stats, as
// WithObserver promises once the pool is idle.
func checkCounts(t *testing.T, p *pool.Pool, r *observetest.Recorder) {
	t.Helper()
	st := p.Stats()
	n := r.Count()
	assert.Equal(t, st.Submitted, n[observe.Queued], "Queued")
	assert.Equal(t, st.Submitted, n[observe.Started]+n[observe.Dropped], "Started+Dropped")
	assert.Equal(t, st.Completed+st.Failed+st.Panicked, n[observe.Finished], "Finished")
	assert.Equal(t, st.Panicked, n[observe.Panicked], "Panicked")
	assert.Equal(t, st.Dropped+st.Expired, n[observe.Dropped], "Dropped")
	assert.Equal(t, st.Rejected, n[observe.Rejected], "Rejected")
}

// TestObserverSeesEachTaskInOrder drives a pool of one, so that events come
// in a known order, through every kind a pool reports, with synctest's
// clock so that the waits and run times are exact.
func TestObserverSeesEachTaskInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &observetest.Recorder{}
		p := pool.New(1, pool.WithQueueSize(2), pool.WithObserver(rec))
		errBoom := errors.New("boom")
		ctx := context.Background()

		require.NoError(t, p.Go(func() { time.Sleep(2 * time.Second) }))
		synctest.Wait() // running, so the next two are queued
		require.NoError(t, p.Submit(ctx, func(context.Context) error {
			time.Sleep(time.Second)
			return errBoom
		}))
		require.NoError(t, p.Submit(ctx, func(context.Context) error { panic("oops") }))
		require.ErrorIs(t, p.TrySubmit(func(context.Context) error { return nil }), pool.ErrQueueFull)
		err := p.Wait()
		require.ErrorIs(t, err, errBoom)

		ev := rec.Take()
		kinds := make([]observe.Kind, len(ev))
		for i, e := range ev {
			kinds[i] = e.Kind
		}
		assert.Equal(t, []observe.Kind{
			observe.Queued, observe.Started, observe.Queued, observe.Queued, observe.Rejected,
			observe.Finished, observe.Started, observe.Finished,
			observe.Started, observe.Panicked, observe.Finished,
		}, kinds)
		assert.Equal(t, observe.Event{Kind: observe.Rejected, Err: pool.ErrQueueFull}, ev[4])
		assert.Equal(t, observe.Event{Kind: observe.Finished, Run: 2 * time.Second}, ev[5])
		assert.Equal(t, observe.Event{Kind: observe.Started, Wait: 2 * time.Second}, ev[6])
		assert.Equal(t, observe.Event{Kind: observe.Finished, Wait: 2 * time.Second, Run: time.Second, Err: errBoom}, ev[7])
		assert.Equal(t, observe.Event{Kind: observe.Started, Wait: 3 * time.Second}, ev[8])
		var pe *pool.PanicError
		require.ErrorAs(t, ev[9].Err, &pe)
		assert.Equal(t, "oops", pe.Value)
		assert.Same(t, ev[9].Err, ev[10].Err)
		assert.Equal(t, 3*time.Second, ev[10].Wait)

		// Stop drops what is queued; a closed pool rejects.
		release := make(chan struct{})
		require.NoError(t, p.Submit(ctx, func(ctx context.Context) error {
			<-ctx.Done()
			<-release
			return nil
		}))
		synctest.Wait()
		require.NoError(t, p.Go(func() {}))
		require.NoError(t, p.Go(func() {}))
		time.Sleep(time.Second)
		rec.Take()
		go func() {
			synctest.Wait()
			close(release)
		}()
		assert.Equal(t, 2, p.Stop())
		assert.ErrorIs(t, p.Go(func() {}), pool.ErrClosed)
		assert.Equal(t, []observe.Event{
			{Kind: observe.Dropped, Wait: time.Second, Err: pool.ErrStopped},
			{Kind: observe.Dropped, Wait: time.Second, Err: pool.ErrStopped},
			{Kind: observe.Finished, Run: time.Second},
			{Kind: observe.Rejected, Err: pool.ErrClosed},
		}, rec.Take())
	})
}

// TestObserverCountsMatchStats checks the count promise of WithObserver on
// a busy pool with groups, nested submits run in the caller's slot, and
// futures-like delivered outcomes (Map).
func TestObserverCountsMatchStats(t *testing.T) {
	rec := &observetest.Recorder{}
	p := pool.New(2, pool.WithQueueSize(4), pool.WithObserver(rec))
	ctx := context.Background()
	g, gctx := p.Group(ctx)
	for i := range 50 {
		_ = g.Go(func(ctx context.Context) error {
			if i%10 == 0 {
				// nested, may run in this task's slot
				_ = p.Submit(ctx, func(context.Context) error { return nil })
			}
			if i%7 == 0 {
				return errors.New("odd")
			}
			return nil
		})
		_ = g.TrySubmit(func(context.Context) error { panic(i) })
	}
	_, _ = pool.Map(gctx, p, []int{1, 2, 3, 4}, func(_ context.Context, v int) (int, error) {
		if v == 3 {
			return 0, errors.New("three")
		}
		return v, nil
	})
	_ = g.Wait()
	_ = p.Wait()
	checkCounts(t, p, rec)
	st := p.Stats()
	assert.NotZero(t, st.Failed)
	assert.NotZero(t, st.Panicked)
	shutdown(t, p)
}

// TestObserverNestedAndFuture: a task run in its caller's slot is Queued
// and Started like any other, a future's Finished carries the future's
// outcome, and Observe runs without the pool's lock: this observer takes
// it (Stats) on every event.
func TestObserverNestedAndFuture(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &observetest.Recorder{}
		var p *pool.Pool
		locked := observe.Func(func(e observe.Event) {
			_ = p.Stats() // deadlocks if called with p's lock held
			rec.Observe(e)
		})
		p = pool.New(1, pool.WithObserver(locked))
		errInner := errors.New("inner")
		require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
			time.Sleep(time.Second)
			// No worker is free: this runs in the caller's slot.
			return p.Submit(ctx, func(context.Context) error {
				time.Sleep(time.Second)
				return errInner
			})
		}))
		require.ErrorIs(t, p.Wait(), errInner)
		assert.Equal(t, []observe.Event{
			{Kind: observe.Queued},
			{Kind: observe.Started},
			{Kind: observe.Queued},
			{Kind: observe.Started},
			{Kind: observe.Finished, Run: time.Second, Err: errInner},
			{Kind: observe.Finished, Run: 2 * time.Second},
		}, rec.Take())

		errFut := errors.New("future failed")
		f, err := future.Submit(context.Background(), p, func(context.Context) (int, error) { return 0, errFut })
		require.NoError(t, err)
		_, err = f.Result(context.Background())
		require.ErrorIs(t, err, errFut)
		require.NoError(t, p.Wait())
		assert.Equal(t, []observe.Event{
			{Kind: observe.Queued},
			{Kind: observe.Started},
			{Kind: observe.Finished, Err: errFut},
		}, rec.Take())
		assert.Equal(t, uint64(2), p.Stats().Failed)
		shutdown(t, p)
	})
}
