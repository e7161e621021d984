package pool_test

import (
	"context"
	"runtime"
	"slices"
	"sync"
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

// slowQueued is an observer whose report of the second Queued event takes
// a second: the submitter of the second task is still reporting it when the
// task starts or is dropped. It records each event once Observe is done
// with it, which is when the event has been reported.
type slowQueued struct {
	rec    observetest.Recorder
	queued atomic.Int32
}

func (o *slowQueued) Observe(e observe.Event) {
	if e.Kind == observe.Queued && o.queued.Add(1) == 2 {
		time.Sleep(time.Second)
	}
	o.rec.Observe(e)
}

func kinds(events []observe.Event) []observe.Kind {
	ks := make([]observe.Kind, len(events))
	for i, e := range events {
		ks[i] = e.Kind
	}
	return ks
}

// TestObserverQueuedBeforeStartedWhenReportIsSlow: the second task is
// queued behind the first, which ends while the second's submitter is
// still reporting Queued. Its worker must not report Started before that
// report is done.
func TestObserverQueuedBeforeStartedWhenReportIsSlow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		obs := &slowQueued{}
		p := pool.New(1, pool.WithObserver(obs))
		require.NoError(t, p.Go(func() { time.Sleep(500 * time.Millisecond) }))
		require.NoError(t, p.Go(func() {}))
		require.NoError(t, p.Shutdown(context.Background()))
		events := obs.rec.Take()
		assert.Equal(t, []observe.Kind{
			observe.Queued, observe.Started, observe.Finished,
			observe.Queued, observe.Started, observe.Finished,
		}, kinds(events))
		assert.Equal(t, time.Second, events[4].Wait, "the second task starts once its Queued is reported")
	})
}

// TestObserverQueuedBeforeDroppedWhenReportIsSlow: the second task is
// dropped, by Stop or by its queue timeout, while its submitter is still
// reporting Queued. Its Dropped event must come after its Queued, and
// Stop's before Stop returns.
func TestObserverQueuedBeforeDroppedWhenReportIsSlow(t *testing.T) {
	tests := []struct {
		name string
		opts []pool.TaskOption
		stop bool
	}{
		{name: "Stop", stop: true},
		{name: "QueueTimeout", opts: []pool.TaskOption{pool.QueueTimeout(500 * time.Millisecond)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				obs := &slowQueued{}
				p := pool.New(1, pool.WithObserver(obs))
				require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
					select {
					case <-ctx.Done():
					case <-time.After(2 * time.Second):
					}
					return nil
				}))
				stopped := make(chan int)
				if tt.stop {
					go func() {
						time.Sleep(500 * time.Millisecond)
						stopped <- p.Stop()
					}()
				}
				require.NoError(t, p.Go(func() {}, tt.opts...))
				if tt.stop {
					assert.Equal(t, 1, <-stopped)
				}
				_ = p.Shutdown(context.Background())

				ks := kinds(obs.rec.Take())
				second := slices.Index(ks[1:], observe.Queued) + 1
				dropped := slices.Index(ks, observe.Dropped)
				require.Positive(t, second, "the second task's Queued: %v", ks)
				require.Positive(t, dropped, "the second task's Dropped: %v", ks)
				assert.Less(t, second, dropped, "Queued before Dropped: %v", ks)
			})
		})
	}
}

// TestObserverQueuedBeforeStartedSerial: a Serial's task parked behind its
// key starts when the task before it ends, which here happens while its
// submitter is still reporting Queued.
func TestObserverQueuedBeforeStartedSerial(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		obs := &slowQueued{}
		p := pool.New(2, pool.WithObserver(obs))
		s := pool.NewSerial[string](p)
		require.NoError(t, s.Go("k", func() { time.Sleep(500 * time.Millisecond) }))
		require.NoError(t, s.Go("k", func() {}))
		require.NoError(t, p.Shutdown(context.Background()))
		assert.Equal(t, []observe.Kind{
			observe.Queued, observe.Started, observe.Finished,
			observe.Queued, observe.Started, observe.Finished,
		}, kinds(obs.rec.Take()))
	})
}

// queuedGauge counts the tasks queued as the events tell it: Queued adds
// one, Started and Dropped take one away. A task's events in order keep it
// from ever going below zero.
type queuedGauge struct {
	n, low atomic.Int64
}

func (g *queuedGauge) Observe(e observe.Event) {
	switch e.Kind {
	case observe.Queued:
		g.n.Add(1)
	case observe.Started, observe.Dropped:
		if v := g.n.Add(-1); v < 0 {
			for l := g.low.Load(); v < l && !g.low.CompareAndSwap(l, v); l = g.low.Load() {
			}
		}
	}
}

// TestStressObserverQueuedGauge submits from many goroutines at once, with
// queue timeouts that expire, nested submits that run in their caller's
// slot and a Stop racing the submits; a gauge of queued tasks built from
// the events must never go negative, and must end at zero.
func TestStressObserverQueuedGauge(t *testing.T) {
	for round := range stressRounds(4) {
		g := &queuedGauge{}
		p := pool.New(2, pool.WithObserver(g))
		var submitters sync.WaitGroup
		for s := range 4 * runtime.GOMAXPROCS(0) {
			submitters.Go(func() {
				for i := range 50 {
					switch (s + i) % 3 {
					case 0:
						_ = p.Go(func() {}, pool.QueueTimeout(time.Microsecond))
					case 1:
						_ = p.Submit(context.Background(), func(ctx context.Context) error {
							return p.Submit(ctx, func(context.Context) error { return nil })
						})
					default:
						_ = p.Go(runtime.Gosched)
					}
				}
			})
		}
		if round%2 == 1 {
			p.Stop()
		}
		submitters.Wait()
		_ = p.Shutdown(context.Background())
		require.Zero(t, g.low.Load(), "the gauge went below zero")
		require.Zero(t, g.n.Load(), "tasks left counted as queued")
	}
}

// TestObserverPanicInQueuedLeavesNoWorkerWaiting: the task starts while
// its submitter is still reporting Queued, so its worker waits for that
// report; the report panics, and the worker must go on all the same.
func TestObserverPanicInQueuedLeavesNoWorkerWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var queued atomic.Int32
		o := observe.Func(func(e observe.Event) {
			if e.Kind == observe.Queued && queued.Add(1) == 2 {
				time.Sleep(time.Second)
				panic("observer")
			}
		})
		p := pool.New(1, pool.WithObserver(o))
		require.NoError(t, p.Go(func() { time.Sleep(500 * time.Millisecond) }))
		ran := make(chan struct{})
		assert.PanicsWithValue(t, "observer", func() { _ = p.Go(func() { close(ran) }) })
		<-ran
		require.NoError(t, p.Shutdown(context.Background()))
	})
}
