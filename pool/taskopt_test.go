package pool_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
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

// orderLog records the order in which tasks ran.
type orderLog struct {
	mu  sync.Mutex
	ran []int
}

func (l *orderLog) add(i int) {
	l.mu.Lock()
	l.ran = append(l.ran, i)
	l.mu.Unlock()
}

func (l *orderLog) get() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int(nil), l.ran...)
}

// busy occupies the only worker of a pool of one until the returned
// release is called, so that what is submitted meanwhile is queued.
func busy(t *testing.T, p *pool.Pool) (release func()) {
	t.Helper()
	started, stop := make(chan struct{}), make(chan struct{})
	require.NoError(t, p.Go(func() { close(started); <-stop }))
	<-started
	return func() { close(stop) }
}

// submitters are the six ways to submit a task with options; each returns
// the submit's error.
var submitters = []struct {
	name string
	do   func(p *pool.Pool, g *pool.Group, fn func(), opts ...pool.TaskOption) error
}{
	{"Pool.Go", func(p *pool.Pool, _ *pool.Group, fn func(), opts ...pool.TaskOption) error {
		return p.Go(fn, opts...)
	}},
	{"Pool.Submit", func(p *pool.Pool, _ *pool.Group, fn func(), opts ...pool.TaskOption) error {
		return p.Submit(context.Background(), func(context.Context) error { fn(); return nil }, opts...)
	}},
	{"Pool.TrySubmit", func(p *pool.Pool, _ *pool.Group, fn func(), opts ...pool.TaskOption) error {
		return p.TrySubmit(func(context.Context) error { fn(); return nil }, opts...)
	}},
	{"Group.Go", func(_ *pool.Pool, g *pool.Group, fn func(), opts ...pool.TaskOption) error {
		return g.Go(func(context.Context) error { fn(); return nil }, opts...)
	}},
	{"Group.Submit", func(_ *pool.Pool, g *pool.Group, fn func(), opts ...pool.TaskOption) error {
		return g.Submit(context.Background(), func(context.Context) error { fn(); return nil }, opts...)
	}},
	{"Group.TrySubmit", func(_ *pool.Pool, g *pool.Group, fn func(), opts ...pool.TaskOption) error {
		return g.TrySubmit(func(context.Context) error { fn(); return nil }, opts...)
	}},
}

// TestPriorityOrder: among queued tasks the highest priority runs first,
// FIFO within a priority; tasks without the option have priority 0, also
// those queued before the first task with a priority.
func TestPriorityOrder(t *testing.T) {
	for _, s := range submitters {
		t.Run(s.name, func(t *testing.T) {
			p := pool.New(1)
			defer shutdown(t, p)
			g, _ := p.Group(context.Background())
			release := busy(t, p)
			var log orderLog
			prios := []int{0, 0, 2, 1, 2, -1, 0, 1, -1, 2}
			for i, pr := range prios {
				var opts []pool.TaskOption
				if pr != 0 || i == 6 {
					opts = append(opts, pool.Priority(pr))
				}
				require.NoError(t, s.do(p, g, func() { log.add(i) }, opts...))
			}
			release()
			require.NoError(t, g.Wait())
			require.NoError(t, p.Wait())
			assert.Equal(t, []int{2, 4, 9, 3, 7, 0, 1, 6, 5, 8}, log.get())
		})
	}
}

// TestPriorityAgingBound checks the bound Priority documents: a task of
// priority p is overtaken by at most (q-p)*AgingStep-1 tasks of priority q
// queued after it, and then runs.
func TestPriorityAgingBound(t *testing.T) {
	for _, tc := range []struct{ p, q int }{{0, 1}, {0, 3}, {-2, 0}, {5, 6}} {
		p := pool.New(1)
		release := busy(t, p)
		var log orderLog
		require.NoError(t, p.Go(func() { log.add(-1) }, pool.Priority(tc.p)))
		n := (tc.q-tc.p)*pool.AgingStep + 10
		for i := range n {
			require.NoError(t, p.Go(func() { log.add(i) }, pool.Priority(tc.q)))
		}
		release()
		require.NoError(t, p.Wait())
		ran := log.get()
		require.Len(t, ran, n+1)
		want := (tc.q - tc.p) * pool.AgingStep
		for i := range want - 1 {
			require.Equal(t, i, ran[i], "p=%d q=%d", tc.p, tc.q)
		}
		assert.Equal(t, -1, ran[want-1], "p=%d q=%d: the low-priority task runs after exactly (q-p)*AgingStep-1 later tasks", tc.p, tc.q)
		shutdown(t, p)
	}
}

// TestPriorityClamped: priorities beyond ±2^40 count as ±2^40, so extreme
// values neither overflow nor reorder tasks at the bound.
func TestPriorityClamped(t *testing.T) {
	p := pool.New(1)
	defer shutdown(t, p)
	release := busy(t, p)
	var log orderLog
	prios := []int{1 << 40, math.MaxInt, math.MinInt, -(1 << 40), 0}
	for i, pr := range prios {
		require.NoError(t, p.Go(func() { log.add(i) }, pool.Priority(pr)))
	}
	release()
	require.NoError(t, p.Wait())
	assert.Equal(t, []int{0, 1, 4, 2, 3}, log.get())
}

// TestPriorityBoundedQueueAndStop: priorities live within a bounded queue's
// limit, a blocked submit with a high priority waits for room like any
// other, and Stop drops and counts queued tasks of any priority.
func TestPriorityBoundedQueueAndStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1, pool.WithQueueSize(3))
		release := busy(t, p)
		g, _ := p.Group(context.Background())
		var log orderLog
		require.NoError(t, g.Go(func(context.Context) error { log.add(0); return nil }, pool.Priority(-1)))
		require.NoError(t, g.Go(func(context.Context) error { log.add(1); return nil }, pool.Priority(1)))
		require.NoError(t, p.Go(func() { log.add(2) }))
		require.ErrorIs(t, p.TrySubmit(func(context.Context) error { return nil }, pool.Priority(9)), pool.ErrQueueFull)
		assert.Equal(t, 3, p.Stats().Queued)

		blocked := make(chan error, 1)
		go func() {
			blocked <- p.Submit(context.Background(), func(context.Context) error { log.add(3); return nil }, pool.Priority(5))
		}()
		synctest.Wait() // the submitter waits for room

		dropped := make(chan int, 1)
		go func() { dropped <- p.Stop() }()
		require.ErrorIs(t, <-blocked, pool.ErrClosed)
		release()
		assert.Equal(t, 3, <-dropped)
		assert.ErrorIs(t, g.Wait(), pool.ErrClosed)
		st := p.Stats()
		assert.Equal(t, uint64(3), st.Dropped)
		assert.Equal(t, uint64(2), st.Rejected)
		assert.Equal(t, st.Submitted, st.Completed+st.Failed+st.Panicked+st.Dropped+st.Expired)
		assert.Empty(t, log.get())
	})
}

// TestPriorityHandOff: in hand-off mode a task is accepted only when a
// worker can start it, whatever its priority.
func TestPriorityHandOff(t *testing.T) {
	p := pool.New(1, pool.WithQueueSize(0))
	defer shutdown(t, p)
	release := busy(t, p)
	require.ErrorIs(t, p.TrySubmit(func(context.Context) error { return nil }, pool.Priority(100)), pool.ErrQueueFull)
	release()
	ran := make(chan struct{})
	require.NoError(t, p.Submit(context.Background(), func(context.Context) error { close(ran); return nil }, pool.Priority(-100)))
	<-ran
}

// TestQueueTimeoutDropsAndReports: a task that waits longer than its queue
// timeout is dropped unrun, counted as Expired, and ErrQueueTimeout reaches
// its group, the error handler, Wait and a future — when the deadline
// passes, while the only worker is still busy, not when it frees.
func TestQueueTimeoutDropsAndReports(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var handled []error
		var hmu sync.Mutex
		rec := &observetest.Recorder{}
		withHandler := pool.New(1, pool.WithErrorHandler(func(err error) {
			hmu.Lock()
			handled = append(handled, err)
			hmu.Unlock()
		}), pool.WithObserver(rec))
		plain := pool.New(1)
		ctx := context.Background()
		ran := false
		for _, p := range []*pool.Pool{withHandler, plain} {
			require.NoError(t, p.Go(func() { time.Sleep(time.Hour) }))
		}
		synctest.Wait()

		g, _ := withHandler.Group(ctx)
		require.NoError(t, g.Go(func(context.Context) error { ran = true; return nil }, pool.QueueTimeout(time.Second)))
		require.NoError(t, withHandler.Go(func() { ran = true }, pool.QueueTimeout(2*time.Second)))
		f, err := future.Submit(ctx, withHandler, func(context.Context) (int, error) { ran = true; return 1, nil }, pool.QueueTimeout(3*time.Second))
		require.NoError(t, err)
		require.NoError(t, plain.Submit(ctx, func(context.Context) error { ran = true; return nil }, pool.QueueTimeout(time.Second)))
		// A queued task without a timeout is not disturbed.
		kept := make(chan struct{})
		require.NoError(t, withHandler.Go(func() { close(kept) }))

		time.Sleep(3 * time.Second)
		synctest.Wait()
		assert.Equal(t, future.Finished, f.State(), "the future settles when its deadline passes")
		_, ferr := f.Result(context.Background())
		assert.ErrorIs(t, ferr, pool.ErrQueueTimeout)
		hmu.Lock()
		assert.Equal(t, []error{pool.ErrQueueTimeout}, handled)
		hmu.Unlock()
		st := withHandler.Stats()
		assert.Equal(t, uint64(3), st.Expired)
		assert.Equal(t, 1, st.Queued)
		assert.Equal(t, uint64(1), plain.Stats().Expired)
		var drops []observe.Event
		for _, e := range rec.Take() {
			if e.Kind == observe.Dropped {
				drops = append(drops, e)
			}
		}
		assert.Equal(t, []observe.Event{
			{Kind: observe.Dropped, Wait: time.Second, Err: pool.ErrQueueTimeout},
			{Kind: observe.Dropped, Wait: 2 * time.Second, Err: pool.ErrQueueTimeout},
			{Kind: observe.Dropped, Wait: 3 * time.Second, Err: pool.ErrQueueTimeout},
		}, drops)

		assert.ErrorIs(t, g.Wait(), pool.ErrQueueTimeout)
		time.Sleep(time.Hour)
		<-kept
		require.NoError(t, withHandler.Wait(), "the handler took the error")
		assert.ErrorIs(t, plain.Wait(), pool.ErrQueueTimeout)
		assert.False(t, ran, "an expired task never runs")
		for _, p := range []*pool.Pool{withHandler, plain} {
			st := p.Stats()
			assert.Equal(t, st.Submitted, st.Completed+st.Failed+st.Panicked+st.Dropped+st.Expired)
			shutdown(t, p)
		}
	})
}

// TestQueueTimeoutNotStartedLate: a worker that frees exactly when a
// queued task's deadline passes does not start it.
func TestQueueTimeoutNotStartedLate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1)
		require.NoError(t, p.Go(func() { time.Sleep(time.Second) }))
		ran := false
		require.NoError(t, p.Go(func() { ran = true }, pool.QueueTimeout(time.Second)))
		require.ErrorIs(t, p.Wait(), pool.ErrQueueTimeout)
		assert.False(t, ran)
		assert.Equal(t, uint64(1), p.Stats().Expired)
		shutdown(t, p)
	})
}

// TestQueueTimeoutInTimeRuns: a task that starts before its deadline runs,
// and a zero timeout means no limit.
func TestQueueTimeoutInTimeRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1)
		require.NoError(t, p.Go(func() { time.Sleep(time.Second) }))
		ran := make(chan struct{})
		require.NoError(t, p.Go(func() { close(ran) }, pool.QueueTimeout(time.Second+time.Nanosecond)))
		<-ran
		require.NoError(t, p.Wait())

		require.NoError(t, p.Go(func() { time.Sleep(time.Hour) }))
		ranToo := make(chan struct{})
		require.NoError(t, p.Go(func() { close(ranToo) }, pool.QueueTimeout(0)))
		<-ranToo
		require.NoError(t, p.Wait())
		assert.Equal(t, uint64(0), p.Stats().Expired)
		shutdown(t, p)
	})
}

// TestRunTimeoutZeroIsNoLimit: RunTimeout(0) puts no deadline on the
// task's context.
func TestRunTimeoutZeroIsNoLimit(t *testing.T) {
	p := pool.New(1)
	defer shutdown(t, p)
	has := true
	require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
		_, has = ctx.Deadline()
		return nil
	}, pool.RunTimeout(0)))
	require.NoError(t, p.Wait())
	assert.False(t, has)
}

// TestPriorityAllocatesNothing: a priority is spent when the task is
// queued, so it costs no allocation of its own, even while queued tasks are
// ordered by priority.
func TestPriorityAllocatesNothing(t *testing.T) {
	p := pool.New(1)
	defer shutdown(t, p)
	release := busy(t, p)
	defer release()
	hi, lo := pool.Priority(2), pool.Priority(-2)
	noop := func() {}
	for range 1000 { // grow the queue's rings first
		_ = p.Go(noop, hi)
		_ = p.Go(noop, lo)
	}
	allocs := testing.AllocsPerRun(200, func() {
		_ = p.Go(noop, hi)
		_ = p.Go(noop, lo)
	})
	assert.Zero(t, allocs)
}

// TestRunTimeout: the task's context has a deadline RunTimeout after the
// task starts, not after it was queued, with ErrRunTimeout as its cause;
// also for a future's task.
func TestRunTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1)
		require.NoError(t, p.Go(func() { time.Sleep(5 * time.Second) }))
		start := time.Now()
		type result struct {
			ran      time.Duration
			err      error
			cause    error
			deadline time.Time
		}
		res := make(chan result, 1)
		require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
			d, _ := ctx.Deadline()
			<-ctx.Done()
			res <- result{time.Since(start), ctx.Err(), context.Cause(ctx), d}
			return context.Cause(ctx)
		}, pool.RunTimeout(time.Second)))
		r := <-res
		assert.Equal(t, 6*time.Second, r.ran)
		assert.Equal(t, start.Add(6*time.Second), r.deadline)
		assert.ErrorIs(t, r.err, context.DeadlineExceeded)
		assert.ErrorIs(t, r.cause, pool.ErrRunTimeout)
		assert.ErrorIs(t, pool.ErrRunTimeout, context.DeadlineExceeded)
		assert.ErrorIs(t, p.Wait(), pool.ErrRunTimeout)

		f, err := future.Submit(context.Background(), p, func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 0, context.Cause(ctx)
		}, pool.RunTimeout(time.Second))
		require.NoError(t, err)
		_, err = f.Result(context.Background())
		assert.ErrorIs(t, err, pool.ErrRunTimeout)
		require.NoError(t, p.Wait(), "a future's outcome goes to the future only")
		assert.Equal(t, uint64(2), p.Stats().Failed)

		// A task that finishes in time is not canceled, and its context is
		// released when it returns.
		var after context.Context
		require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
			after = ctx
			return ctx.Err()
		}, pool.RunTimeout(time.Hour)))
		require.NoError(t, p.Wait())
		<-after.Done()
		assert.NotErrorIs(t, context.Cause(after), pool.ErrRunTimeout)
		shutdown(t, p)
	})
}

// TestTaskOptionsNestedInSlot: options on a task run in its caller's slot
// (see Pool.Submit) still apply where they can: RunTimeout does; a queue
// timeout cannot expire a task that is never queued.
func TestTaskOptionsNestedInSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1)
		var cause error
		require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
			return p.Submit(ctx, func(ctx context.Context) error {
				<-ctx.Done()
				cause = context.Cause(ctx)
				return nil
			}, pool.RunTimeout(time.Second), pool.QueueTimeout(time.Nanosecond), pool.Priority(3))
		}))
		require.NoError(t, p.Wait())
		assert.ErrorIs(t, cause, pool.ErrRunTimeout)
		assert.Equal(t, uint64(0), p.Stats().Expired)
		shutdown(t, p)
	})
}

// countingObserver counts events by kind.
type countingObserver struct{ n [8]atomic.Uint64 }

func (o *countingObserver) Observe(e observe.Event) { o.n[e.Kind].Add(1) }

// countErrs counts the errors in err, which may be joined, that are target.
func countErrs(err, target error) int {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		n := 0
		for _, e := range j.Unwrap() {
			n += countErrs(e, target)
		}
		return n
	}
	if errors.Is(err, target) {
		return 1
	}
	return 0
}

// TestStressTaskOptions submits tasks with random priorities, queue
// timeouts and run timeouts from many goroutines, through the pool, groups
// and futures, in every queue mode. Every accepted task either runs once or
// expires once, each expiry is reported exactly once where the task's error
// goes, the limit holds, and Stats and the observer agree.
func TestStressTaskOptions(t *testing.T) {
	for _, mode := range queueModes {
		for _, limit := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/limit=%d", mode.name, limit), func(t *testing.T) {
				var handled, handledExpired atomic.Int64
				obs := &countingObserver{}
				opts := append(slices.Clone(mode.opts), pool.WithObserver(obs), pool.WithErrorHandler(func(err error) {
					handled.Add(1)
					if errors.Is(err, pool.ErrQueueTimeout) {
						handledExpired.Add(1)
					}
				}))
				p := pool.New(limit, opts...)
				var m concurrencyMeter
				var ran, accepted, expired, runTimedOut atomic.Int64
				var twice atomic.Bool
				submitters := stressRounds(4)
				perSubmitter := 200
				if testing.Short() {
					perSubmitter = 50
				}
				var wg sync.WaitGroup
				for s := range submitters {
					wg.Go(func() {
						rng := rand.New(rand.NewPCG(uint64(s), 12))
						g, _ := p.Group(context.Background())
						var futs []*future.Future[int]
						for range perSubmitter {
							var once atomic.Bool
							body := func(ctx context.Context) error {
								if once.Swap(true) {
									twice.Store(true)
								}
								m.enter()
								ran.Add(1)
								if rng := rand.N(4); rng == 0 {
									time.Sleep(time.Duration(rand.N(50)) * time.Microsecond)
								} else {
									runtime.Gosched()
								}
								m.leave()
								if ctx != nil && rand.N(8) == 0 {
									<-ctx.Done() // only a run timeout (or Stop) ends this
									if errors.Is(context.Cause(ctx), pool.ErrRunTimeout) {
										runTimedOut.Add(1)
									}
								}
								return nil
							}
							var topts []pool.TaskOption
							if rng.IntN(2) == 0 {
								topts = append(topts, pool.Priority(rng.IntN(7)-3))
							}
							if rng.IntN(3) == 0 {
								topts = append(topts, pool.QueueTimeout(time.Duration(rng.IntN(300))*time.Microsecond))
							}
							var err error
							switch rng.IntN(4) {
							case 0:
								err = p.Go(func() { _ = body(nil) }, topts...)
							case 1:
								topts = append(topts, pool.RunTimeout(time.Duration(1+rng.IntN(200))*time.Microsecond))
								err = p.Submit(context.Background(), func(ctx context.Context) error { return body(ctx) }, topts...)
							case 2:
								topts = append(topts, pool.RunTimeout(time.Duration(1+rng.IntN(200))*time.Microsecond))
								err = g.Go(func(ctx context.Context) error { return body(ctx) }, topts...)
							default:
								var f *future.Future[int]
								topts = append(topts, pool.RunTimeout(time.Duration(1+rng.IntN(200))*time.Microsecond))
								f, err = future.Submit(context.Background(), p, func(ctx context.Context) (int, error) { return 0, body(ctx) }, topts...)
								if err == nil {
									futs = append(futs, f)
								}
							}
							if err == nil {
								accepted.Add(1)
							}
						}
						expired.Add(int64(countErrs(g.Wait(), pool.ErrQueueTimeout)))
						for _, f := range futs {
							if _, err := f.Result(context.Background()); errors.Is(err, pool.ErrQueueTimeout) {
								expired.Add(1)
							}
						}
					})
				}
				wg.Wait()
				require.NoError(t, p.Wait(), "the handler takes every fire-and-forget error")
				expired.Add(handledExpired.Load())
				assert.False(t, twice.Load(), "a task ran twice")
				assert.LessOrEqual(t, m.max.Load(), int64(limit))
				st := p.Stats()
				assert.Equal(t, uint64(accepted.Load()), st.Submitted)
				assert.Equal(t, accepted.Load(), ran.Load()+expired.Load(), "every accepted task runs or expires")
				assert.Equal(t, uint64(expired.Load()), st.Expired, "every expiry is reported once")
				assert.Equal(t, st.Submitted, st.Completed+st.Failed+st.Panicked+st.Dropped+st.Expired)
				assert.Equal(t, st.Submitted, obs.n[observe.Queued].Load())
				assert.Equal(t, st.Completed+st.Failed+st.Panicked, obs.n[observe.Finished].Load())
				assert.Equal(t, st.Expired, obs.n[observe.Dropped].Load())
				assert.Equal(t, st.Rejected, obs.n[observe.Rejected].Load())
				assert.Equal(t, uint64(handled.Load()), uint64(handledExpired.Load()))
				t.Logf("submitted %d, expired %d, run timeouts seen %d", st.Submitted, st.Expired, runTimedOut.Load())
				shutdown(t, p)
			})
		}
	}
}
