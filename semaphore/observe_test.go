package semaphore_test

import (
	"context"
	"errors"
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
	"github.com/weftgo/weft/semaphore"
)

// takeByKind is r.Take with the events sorted by kind, keeping the order of
// those of one kind: a Release and the Acquire it grants report on their
// own goroutines, in either order.
func takeByKind(r *observetest.Recorder) []observe.Event {
	ev := r.Take()
	slices.SortStableFunc(ev, func(a, b observe.Event) int { return int(a.Kind) - int(b.Kind) })
	return ev
}

// ev builds an expected event.
func ev(k observe.Kind, weight int64, err error) observe.Event {
	return observe.Event{Kind: k, Weight: weight, Err: err}
}

// sameEvents compares events, matching Err with errors.Is.
func sameEvents(t *testing.T, want, got []observe.Event, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		w, g := want[i], got[i]
		assert.Equal(t, w.Kind, g.Kind, "%s: event %d", what, i)
		assert.Equal(t, w.Weight, g.Weight, "%s: event %d", what, i)
		assert.Equal(t, w.Wait, g.Wait, "%s: event %d", what, i)
		assert.Equal(t, w.Run, g.Run, "%s: event %d", what, i)
		if w.Err == nil {
			assert.NoError(t, g.Err, "%s: event %d", what, i)
		} else {
			assert.ErrorIs(t, g.Err, w.Err, "%s: event %d", what, i)
		}
	}
}

// Every operation that does not wait reports one event, with Wait 0 and
// the reason for a failure.
func TestObserverEvents(t *testing.T) {
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			rec := &observetest.Recorder{}
			s := semaphore.New(2, semaphore.WithPolicy(p), semaphore.WithObserver(rec))
			bg := context.Background()
			done, cancel := context.WithCancelCause(bg)
			cause := errors.New("cause")
			cancel(cause)
			steps := []struct {
				name string
				op   func()
				want []observe.Event
			}{
				{"TryAcquire", func() { assert.True(t, s.TryAcquire(1)) },
					[]observe.Event{ev(observe.Acquired, 1, nil)}},
				{"TryAcquire without permits", func() { assert.False(t, s.TryAcquire(2)) },
					[]observe.Event{ev(observe.Rejected, 2, semaphore.ErrNoPermits)}},
				{"TryAcquire over the limit", func() { assert.False(t, s.TryAcquire(3)) },
					[]observe.Event{ev(observe.Rejected, 3, semaphore.ErrExceedsLimit)}},
				{"Acquire", func() { assert.NoError(t, s.Acquire(bg, 1)) },
					[]observe.Event{ev(observe.Acquired, 1, nil)}},
				{"Release", func() { s.Release(2) },
					[]observe.Event{ev(observe.Released, 2, nil)}},
				{"Release(0)", func() { s.Release(0) }, nil},
				{"Acquire(0)", func() { assert.NoError(t, s.Acquire(bg, 0)) },
					[]observe.Event{ev(observe.Acquired, 0, nil)}},
				{"TryAcquire(0)", func() { assert.True(t, s.TryAcquire(0)) },
					[]observe.Event{ev(observe.Acquired, 0, nil)}},
				{"Acquire on a done context", func() { assert.ErrorIs(t, s.Acquire(done, 1), cause) },
					[]observe.Event{ev(observe.Rejected, 1, cause)}},
				{"Acquire over the limit", func() { assert.ErrorIs(t, s.Acquire(bg, 3), semaphore.ErrExceedsLimit) },
					[]observe.Event{ev(observe.Rejected, 3, semaphore.ErrExceedsLimit)}},
				{"Do", func() { assert.NoError(t, s.Do(bg, 2, nop)) },
					[]observe.Event{ev(observe.Acquired, 2, nil), ev(observe.Released, 2, nil)}},
				{"Close", s.Close, nil},
				{"TryAcquire after Close", func() { assert.False(t, s.TryAcquire(1)) },
					[]observe.Event{ev(observe.Rejected, 1, semaphore.ErrClosed)}},
				{"TryAcquire(0) after Close", func() { assert.False(t, s.TryAcquire(0)) },
					[]observe.Event{ev(observe.Rejected, 0, semaphore.ErrClosed)}},
				{"Acquire after Close", func() { assert.ErrorIs(t, s.Acquire(bg, 1), semaphore.ErrClosed) },
					[]observe.Event{ev(observe.Rejected, 1, semaphore.ErrClosed)}},
			}
			for _, st := range steps {
				st.op()
				sameEvents(t, st.want, rec.Take(), st.name)
			}
		})
	}
}

// A waiter's events carry how long it waited, exactly under synctest:
// from when it queued to when it returned, granted or not.
func TestObserverWaitDuration(t *testing.T) {
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &observetest.Recorder{}
				s := semaphore.New(1, semaphore.WithPolicy(p), semaphore.WithObserver(rec))
				require.NoError(t, s.Acquire(t.Context(), 1))

				got := acquireAsync(t.Context(), s, 1)
				time.Sleep(3 * time.Second)
				s.Release(1)
				require.NoError(t, <-got)
				granted := ev(observe.Acquired, 1, nil)
				granted.Wait = 3 * time.Second
				sameEvents(t, []observe.Event{ev(observe.Acquired, 1, nil), granted, ev(observe.Released, 1, nil)},
					takeByKind(rec), "granted after 3s")

				ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
				defer cancel()
				assert.ErrorIs(t, s.Acquire(ctx, 1), context.DeadlineExceeded)
				timedOut := ev(observe.Rejected, 1, context.DeadlineExceeded)
				timedOut.Wait = 2 * time.Second
				sameEvents(t, []observe.Event{timedOut}, rec.Take(), "timed out after 2s")

				got = acquireAsync(t.Context(), s, 1)
				time.Sleep(time.Second)
				s.Close()
				assert.ErrorIs(t, <-got, semaphore.ErrClosed)
				closed := ev(observe.Rejected, 1, semaphore.ErrClosed)
				closed.Wait = time.Second
				sameEvents(t, []observe.Event{closed}, rec.Take(), "closed after 1s")
				s.Release(1)
				rec.Take()
			})
		})
	}
}

// A Keyed request that fails or succeeds without queueing waited 0, as a
// Weighted's does, on the real clock (in a bubble every wait reads 0).
func TestKeyedObserverNoWaitWithoutQueueing(t *testing.T) {
	ctx := context.Background()
	rec := &observetest.Recorder{}
	k := semaphore.NewKeyed[string](2, semaphore.WithObserver(rec))

	assert.ErrorIs(t, k.Acquire(ctx, "a", 3), semaphore.ErrExceedsLimit)
	sameEvents(t, []observe.Event{ev(observe.Rejected, 3, semaphore.ErrExceedsLimit)}, rec.Take(), "over the limit")

	require.True(t, k.TryAcquire("b", 1))
	rec.Take()
	k.Close()
	assert.ErrorIs(t, k.Acquire(ctx, "b", 1), semaphore.ErrClosed)
	sameEvents(t, []observe.Event{ev(observe.Rejected, 1, semaphore.ErrClosed)}, rec.Take(), "closed, key in use")
	k.Release("b", 1)
}

// reentrant is an Observer that calls back into the semaphore on every
// event: Held takes the semaphore's lock, so Observe called with the lock
// held would never return.
type reentrant struct {
	s      atomic.Pointer[semaphore.Weighted]
	events atomic.Int64
	nested atomic.Bool // stops the recursion of the events Observe causes
}

func (r *reentrant) Observe(observe.Event) {
	s := r.s.Load()
	_ = s.Held()
	_ = s.Available()
	if r.nested.CompareAndSwap(false, true) {
		if s.TryAcquire(1) { // reports events of its own, from inside Observe
			s.Release(1)
		}
		r.nested.Store(false)
	}
	r.events.Add(1)
}

// TestObserverMayCallBack runs every kind of event, on the fast and the
// slow paths (a queued waiter granted by Release, cancelled, closed), with
// an Observer that calls into the semaphore. Each scenario runs on its own
// goroutine and must end in time.
func TestObserverMayCallBack(t *testing.T) {
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			var obs reentrant
			s := semaphore.New(2, semaphore.WithPolicy(p), semaphore.WithObserver(&obs))
			obs.s.Store(s)
			ended, hung := call(func() any {
				ctx := context.Background()
				if err := s.Acquire(ctx, 2); err != nil {
					return err
				}
				got := make(chan error, 1)
				go func() { got <- s.Acquire(ctx, 1) }()
				for s.Waiting() == 0 {
					runtime.Gosched()
				}
				s.Release(2) // slow path: serves the waiter
				if err := <-got; err != nil {
					return err
				}
				s.Release(1)
				_ = s.TryAcquire(5)
				_ = s.Do(ctx, 2, func() error {
					short, cancel := context.WithCancel(ctx)
					go func() { got <- s.Acquire(short, 1) }()
					for s.Waiting() == 0 {
						runtime.Gosched()
					}
					cancel()
					return <-got
				})
				s.Close()
				return s.Acquire(ctx, 1)
			})
			require.False(t, hung, "an Observer calling the semaphore deadlocked")
			assert.ErrorIs(t, ended.(error), semaphore.ErrClosed)
			assert.Positive(t, obs.events.Load())
		})
	}
}

func TestKeyedObserverEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &observetest.Recorder{}
		k := semaphore.NewKeyed[string](2, semaphore.WithObserver(rec))
		ctx := t.Context()
		require.True(t, k.TryAcquire("a", 2))
		assert.False(t, k.TryAcquire("a", 1))
		assert.False(t, k.TryAcquire("b", 3))
		sameEvents(t, []observe.Event{
			ev(observe.Acquired, 2, nil),
			ev(observe.Rejected, 1, semaphore.ErrNoPermits),
			ev(observe.Rejected, 3, semaphore.ErrExceedsLimit),
		}, rec.Take(), "TryAcquire")

		got := make(chan error, 1)
		go func() { got <- k.Acquire(ctx, "a", 1) }()
		time.Sleep(5 * time.Second)
		k.Release("a", 2)
		require.NoError(t, <-got)
		granted := ev(observe.Acquired, 1, nil)
		granted.Wait = 5 * time.Second
		sameEvents(t, []observe.Event{granted, ev(observe.Released, 2, nil)}, takeByKind(rec), "a waiter")

		done, cancel := context.WithCancel(ctx)
		cancel()
		assert.ErrorIs(t, k.Acquire(done, "a", 1), context.Canceled)
		assert.NoError(t, k.Do(ctx, "b", 1, nop))
		k.Release("a", 1)
		k.Release("a", 0)
		k.Close()
		assert.ErrorIs(t, k.Acquire(ctx, "c", 1), semaphore.ErrClosed)
		assert.False(t, k.TryAcquire("c", 1))
		sameEvents(t, []observe.Event{
			ev(observe.Rejected, 1, context.Canceled),
			ev(observe.Acquired, 1, nil), ev(observe.Released, 1, nil),
			ev(observe.Released, 1, nil),
			ev(observe.Rejected, 1, semaphore.ErrClosed),
			ev(observe.Rejected, 1, semaphore.ErrClosed),
		}, rec.Take(), "Keyed")
	})
}

// keyedReentrant calls back into the Keyed, whose methods take its lock.
type keyedReentrant struct {
	k      atomic.Pointer[semaphore.Keyed[string]]
	events atomic.Int64
}

func (r *keyedReentrant) Observe(observe.Event) {
	k := r.k.Load()
	_ = k.Len()
	_ = k.Held("a")
	r.events.Add(1)
}

func TestKeyedObserverMayCallBack(t *testing.T) {
	var obs keyedReentrant
	k := semaphore.NewKeyed[string](1, semaphore.WithObserver(&obs))
	obs.k.Store(k)
	_, hung := call(func() any {
		ctx := context.Background()
		_ = k.Acquire(ctx, "a", 1)
		_ = k.TryAcquire("a", 1)
		got := make(chan error, 1)
		// Whether or not it queues before the Release, the waiter's
		// events are reported the same way, after k's lock is released.
		go func() { got <- k.Acquire(ctx, "a", 1) }()
		runtime.Gosched()
		k.Release("a", 1)
		<-got
		k.Release("a", 1)
		k.Close()
		return k.Acquire(ctx, "a", 1)
	})
	require.False(t, hung, "an Observer calling the Keyed deadlocked")
	assert.GreaterOrEqual(t, obs.events.Load(), int64(6))
}

// With an observer set, the uncontended paths still do not allocate.
func TestObservedUncontendedDoesNotAllocate(t *testing.T) {
	var n atomic.Int64
	s := semaphore.New(4, semaphore.WithObserver(observe.Func(func(observe.Event) { n.Add(1) })))
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		if err := s.Acquire(ctx, 2); err != nil {
			panic(err)
		}
		if !s.TryAcquire(1) || s.TryAcquire(4) {
			panic("TryAcquire")
		}
		s.Release(3)
	})
	assert.Zero(t, allocs)
	assert.Positive(t, n.Load())
}

func TestWithObserverNilPanics(t *testing.T) {
	assert.PanicsWithValue(t, "semaphore: nil Observer", func() { semaphore.WithObserver(nil) })
}

// TestObserverStress checks under contention that every successful
// acquisition and every release is reported once, with its weight.
func TestObserverStress(t *testing.T) {
	workers := 4 * runtime.GOMAXPROCS(0)
	rounds := 5000
	if testing.Short() {
		rounds = 500
	}
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			var acquired, released, rejected atomic.Int64
			obs := observe.Func(func(e observe.Event) {
				switch e.Kind {
				case observe.Acquired:
					acquired.Add(e.Weight)
				case observe.Released:
					released.Add(e.Weight)
				case observe.Rejected:
					rejected.Add(1)
				}
			})
			s := semaphore.New(3, semaphore.WithPolicy(p), semaphore.WithObserver(obs))
			var took, fails atomic.Int64
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					n := int64(w%2 + 1)
					for i := range rounds {
						ctx := context.Background()
						var cancel context.CancelFunc = func() {}
						if i%7 == 0 {
							ctx, cancel = context.WithTimeout(ctx, time.Microsecond)
						}
						ok := false
						if i%3 == 0 {
							ok = s.TryAcquire(n)
						} else {
							ok = s.Acquire(ctx, n) == nil
						}
						cancel()
						if !ok {
							fails.Add(1)
							continue
						}
						took.Add(n)
						s.Release(n)
					}
				})
			}
			wg.Wait()
			assert.Equal(t, took.Load(), acquired.Load(), "permits reported acquired")
			assert.Equal(t, took.Load(), released.Load(), "permits reported released")
			assert.Equal(t, fails.Load(), rejected.Load(), "failures reported")
		})
	}
}
