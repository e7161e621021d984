package semaphore_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/semaphore"
)

// acquireAsync starts Acquire(ctx, n) on its own goroutine and returns a
// channel that receives its result.
func acquireAsync(ctx context.Context, s *semaphore.Weighted, n int64) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- s.Acquire(ctx, n) }()
	return ch
}

// pending reports whether the Acquire behind ch is still blocked.
func pending(ch <-chan error) bool {
	select {
	case <-ch:
		return false
	default:
		return true
	}
}

func TestAcquireBlocksUntilRelease(t *testing.T) {
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := semaphore.New(2, semaphore.WithPolicy(p))
				require.NoError(t, s.Acquire(t.Context(), 2))
				got := acquireAsync(t.Context(), s, 1)
				synctest.Wait()
				assert.True(t, pending(got))
				assert.Equal(t, 1, s.Waiting())
				s.Release(1)
				require.NoError(t, <-got)
				assert.Equal(t, int64(2), s.Held())
				assert.Equal(t, 0, s.Waiting())
				s.Release(2)
			})
		})
	}
}

func TestAcquireTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := semaphore.New(1)
		require.NoError(t, s.Acquire(t.Context(), 1))
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		err := s.Acquire(ctx, 1)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(start))
		assert.Equal(t, int64(1), s.Held())
		assert.Equal(t, 0, s.Waiting())
		s.Release(1)
		assert.True(t, s.TryAcquire(1), "the canceled waiter left nothing behind")
	})
}

func TestAcquireReturnsCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := semaphore.New(0)
		s.SetLimit(1)
		require.True(t, s.TryAcquire(1))
		cause := errors.New("shutting down")
		ctx, cancel := context.WithCancelCause(t.Context())
		got := acquireAsync(ctx, s, 1)
		synctest.Wait()
		cancel(cause)
		assert.Same(t, cause, <-got)
		// An already-done context fails at once, even with permits free.
		s.Release(1)
		assert.Same(t, cause, s.Acquire(ctx, 1))
		assert.Zero(t, s.Held())
	})
}

func TestFIFOOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := semaphore.New(3, semaphore.WithPolicy(semaphore.FIFO))
		require.NoError(t, s.Acquire(t.Context(), 3))
		order := make(chan int, 3)
		for i, n := range []int64{2, 1, 3} {
			go func() {
				if s.Acquire(t.Context(), n) == nil {
					order <- i
				}
			}()
			synctest.Wait() // queue in this order
		}
		// FIFO: one free permit is not used by the 1-permit request
		// behind the 2-permit head.
		s.Release(1)
		synctest.Wait()
		assert.Empty(t, order)
		assert.False(t, s.TryAcquire(1), "TryAcquire respects the queue under FIFO")
		s.Release(2) // 3 free: the head (2) and then the 1 fit
		assert.ElementsMatch(t, []int{0, 1}, []int{<-order, <-order})
		s.Release(3) // now the 3
		assert.Equal(t, 2, <-order)
		s.Release(3)
	})
}

func TestBargingPassesBlockedHead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := semaphore.New(3, semaphore.WithPolicy(semaphore.Barging))
		require.NoError(t, s.Acquire(t.Context(), 3))
		big := acquireAsync(t.Context(), s, 3)
		synctest.Wait()
		small := acquireAsync(t.Context(), s, 1)
		synctest.Wait()
		s.Release(1)
		require.NoError(t, <-small, "a small waiter passes a head that does not fit")
		assert.True(t, pending(big))
		s.Release(1)
		assert.True(t, s.TryAcquire(1), "TryAcquire barges under Barging")
		s.Release(1)
		s.Release(1)
		s.Release(1)
		require.NoError(t, <-big)
		s.Release(3)
	})
}

// keepBusy starts 4 goroutines that keep taking one permit each and holding
// it for 100µs of (fake) time, the i-th starting i×stagger late, and lets
// them run for 1ms so they keep every permit busy. stop ends them and waits.
func keepBusy(t *testing.T, s *semaphore.Weighted, stagger time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	for i := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			time.Sleep(time.Duration(i) * stagger)
			for ctx.Err() == nil {
				if s.Acquire(ctx, 1) != nil {
					return
				}
				time.Sleep(100 * time.Microsecond) // holding the permit is the workload
				s.Release(1)
			}
		}()
	}
	time.Sleep(time.Millisecond)
	return func() {
		cancel()
		for range 4 {
			<-done
		}
	}
}

// Under Fair a new request may take free permits ahead of the queue, but
// not for long: a large request is served within about starveAfter even
// while a stream of small requests keeps every permit busy.
func TestFairDoesNotStarveLargeRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := semaphore.New(4)
		stop := keepBusy(t, s, 0)
		start := time.Now()
		require.NoError(t, s.Acquire(t.Context(), 4))
		assert.Less(t, time.Since(start), 3*time.Millisecond)
		s.Release(4)
		stop()
	})
}

// Without the switch to hand-off mode, Barging starves the large request.
func TestBargingCanStarveLargeRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := semaphore.New(4, semaphore.WithPolicy(semaphore.Barging))
		stop := keepBusy(t, s, 25*time.Microsecond)
		big, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		assert.ErrorIs(t, s.Acquire(big, 4), context.DeadlineExceeded)
		stop()
	})
}

func TestCancelledHeadLetsOthersProceed(t *testing.T) {
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := semaphore.New(4, semaphore.WithPolicy(p))
				require.NoError(t, s.Acquire(t.Context(), 3))
				ctx, cancel := context.WithCancel(t.Context())
				head := acquireAsync(ctx, s, 4)
				synctest.Wait()
				behind := acquireAsync(t.Context(), s, 1)
				synctest.Wait()
				if p != semaphore.FIFO {
					// Fair lets a new request pass a head that does not
					// fit while the head has waited less than starveAfter.
					require.NoError(t, <-behind)
				} else {
					assert.True(t, pending(behind))
					cancel()
					require.NoError(t, <-behind, "the waiter behind a canceled head gets the free permit")
				}
				cancel()
				assert.ErrorIs(t, <-head, context.Canceled)
				assert.Equal(t, int64(4), s.Held())
				assert.Equal(t, 0, s.Waiting())
				s.Release(4)
			})
		})
	}
}

// A cancellation racing the grant of the permits must not lose or leak
// them: whichever wins, the permits end with exactly one owner.
func TestCancelRacesGrant(t *testing.T) {
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			var won, lost int
			for i := range 20 {
				synctest.Test(t, func(t *testing.T) {
					s := semaphore.New(1, semaphore.WithPolicy(p))
					require.True(t, s.TryAcquire(1))
					ctx, cancel := context.WithCancel(t.Context())
					first := acquireAsync(ctx, s, 1)
					synctest.Wait()
					second := acquireAsync(t.Context(), s, 1)
					synctest.Wait()
					// The cancel wakes first before it can run; the release
					// then finds it still queued. Or the other way round.
					if i%2 == 0 {
						cancel()
						s.Release(1)
					} else {
						s.Release(1)
						cancel()
					}
					if err := <-first; err == nil {
						won++
						assert.True(t, pending(second))
						s.Release(1)
					} else {
						lost++
						assert.ErrorIs(t, err, context.Canceled)
					}
					require.NoError(t, <-second, "the permit reaches the second waiter")
					assert.Equal(t, int64(1), s.Held())
					s.Release(1)
					assert.Equal(t, int64(1), s.Available())
					assert.Equal(t, 0, s.Waiting())
				})
			}
			t.Logf("grant won %d, cancel won %d", won, lost)
			assert.NotZero(t, lost)
		})
	}
}

func TestCloseWakesWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := semaphore.New(1)
		require.NoError(t, s.Acquire(t.Context(), 1))
		a := acquireAsync(t.Context(), s, 1)
		b := acquireAsync(t.Context(), s, 1)
		synctest.Wait()
		assert.Equal(t, 2, s.Waiting())
		s.Close()
		assert.ErrorIs(t, <-a, semaphore.ErrClosed)
		assert.ErrorIs(t, <-b, semaphore.ErrClosed)
		assert.Equal(t, 0, s.Waiting())
		s.Release(1)
	})
}

func TestSetLimit(t *testing.T) {
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := semaphore.New(2, semaphore.WithPolicy(p))
				require.NoError(t, s.Acquire(t.Context(), 2))
				a := acquireAsync(t.Context(), s, 2)
				synctest.Wait()
				b := acquireAsync(t.Context(), s, 1)
				synctest.Wait()
				s.SetLimit(5) // grows by 3: both fit
				require.NoError(t, <-a)
				require.NoError(t, <-b)
				assert.Equal(t, int64(5), s.Held())

				// Shrinking revokes nothing ...
				s.SetLimit(2)
				assert.Equal(t, int64(5), s.Held())
				assert.Equal(t, int64(-3), s.Available())
				assert.False(t, s.TryAcquire(1))
				c := acquireAsync(t.Context(), s, 1)
				tooBig := acquireAsync(t.Context(), s, 2)
				synctest.Wait()
				// ... but fails waiters that no longer fit.
				s.SetLimit(1)
				err := <-tooBig
				assert.ErrorIs(t, err, semaphore.ErrExceedsLimit)
				assert.EqualError(t, err, "semaphore: request exceeds the limit: 2 permits, limit 1")
				s.Release(2)
				s.Release(2)
				synctest.Wait()
				assert.True(t, pending(c), "held 1 of limit 1")
				s.Release(1)
				require.NoError(t, <-c)
				s.Release(1)
				assert.Equal(t, int64(1), s.Available())
				assert.Equal(t, 0, s.Waiting())
			})
		})
	}
}

// newcomerFirst runs attempt, which races a new request against a waiter
// that a Release has just woken, until the new request wins (attempt
// reports true). The woken goroutine waits in the run queue of the only P
// while the test goroutine goes on, so the new request nearly always wins;
// attempt handles the other case and reports false.
func newcomerFirst(t *testing.T, attempt func(t *testing.T) bool) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for range 20 {
		won := false
		synctest.Test(t, func(t *testing.T) { won = attempt(t) })
		if won || t.Failed() {
			return
		}
	}
	t.Fatal("the new request never got ahead of the woken waiter")
}

// Under Fair a woken waiter competes for its permits: a new request that
// gets there first wins, and the waiter queues again, first in line. Once
// it has waited starveAfter, the semaphore hands permits over instead.
func TestFairWokenWaiterCompetes(t *testing.T) {
	newcomerFirst(t, func(t *testing.T) bool {
		s := semaphore.New(1)
		require.True(t, s.TryAcquire(1))
		a := acquireAsync(t.Context(), s, 1)
		synctest.Wait()
		s.Release(1)          // wakes a, which has not run yet ...
		if !s.TryAcquire(1) { // ... unless it has
			require.NoError(t, <-a)
			s.Release(1)
			return false
		}
		synctest.Wait()
		assert.True(t, pending(a), "a lost the race and queued again")
		assert.Equal(t, 1, s.Waiting())

		time.Sleep(time.Millisecond) // a is starving now
		s.Release(1)
		if !s.TryAcquire(1) {
			require.NoError(t, <-a)
			s.Release(1)
			return false
		}
		synctest.Wait() // a loses once more and switches to hand-off
		s.Release(1)
		assert.False(t, s.TryAcquire(1), "hand-off mode: new requests queue")
		require.NoError(t, <-a)
		s.Release(1)
		assert.True(t, s.TryAcquire(1), "back to normal once the queue is empty")
		s.Release(1)
		return true
	})
}

// A woken waiter that loses its race passes the turn on: under Barging a
// smaller waiter behind it may fit in what is left.
func TestBargingLoserPassesTurn(t *testing.T) {
	newcomerFirst(t, func(t *testing.T) bool {
		s := semaphore.New(3, semaphore.WithPolicy(semaphore.Barging))
		require.True(t, s.TryAcquire(3))
		a := acquireAsync(t.Context(), s, 2)
		synctest.Wait()
		b := acquireAsync(t.Context(), s, 1)
		synctest.Wait()
		s.Release(2)          // wakes a
		if !s.TryAcquire(1) { // a got there first
			require.NoError(t, <-a)
			s.Release(3)
			require.NoError(t, <-b)
			s.Release(1)
			return false
		}
		require.NoError(t, <-b, "b fits in the permit a could not use")
		assert.True(t, pending(a))
		s.Release(3)
		require.NoError(t, <-a)
		s.Release(2)
		return true
	})
}

// A Release synchronizes before the Acquire or TryAcquire that obtains its
// permits returns: under -race, a plain variable written before the
// Release and read after the Acquire is not reported as a data race. The
// two goroutines share nothing else.
func TestReleaseSynchronizesBeforeAcquire(t *testing.T) {
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			ctx := context.Background()
			s := semaphore.New(1, semaphore.WithPolicy(p))
			k := semaphore.NewKeyed[string](1, semaphore.WithPolicy(p))
			obtainers := []struct {
				name    string
				obtain  func()
				release func()
				waits   func() bool
			}{
				{"Acquire that waits", func() { _ = s.Acquire(ctx, 1) }, func() { s.Release(1) },
					func() bool { return s.Waiting() == 1 }},
				{"TryAcquire", func() {
					for !s.TryAcquire(1) {
						runtime.Gosched()
					}
				}, func() { s.Release(1) }, nil},
				// Whether or not it waits by the time of the Release.
				{"Keyed.Acquire", func() { _ = k.Acquire(ctx, "a", 1) }, func() { k.Release("a", 1) }, nil},
			}
			for _, o := range obtainers {
				var data int
				o.obtain() // the test holds the permit
				got := make(chan int, 1)
				go func() {
					o.obtain()
					got <- data
				}()
				for o.waits != nil && !o.waits() {
					runtime.Gosched()
				}
				data = 42
				o.release()
				assert.Equal(t, 42, <-got, o.name)
				o.release()
			}
		})
	}
}

// Fair switches to hand-off at the next change that finds the head of the
// queue starved, not only at a Release: a waiter giving up or a SetLimit
// that leaves the head waiting switches it too, so that a new request no
// longer takes free permits ahead of the head. With no change since the
// head queued, nothing switches, and a new request still may.
func TestFairSwitchesOnAnyChangeThatFindsTheHeadStarved(t *testing.T) {
	for _, change := range []string{"none", "a waiter gives up", "SetLimit"} {
		t.Run(change, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := semaphore.New(3) // Fair
				require.True(t, s.TryAcquire(2))
				go func() { _ = s.Acquire(t.Context(), 3) }() // the head: 1 permit free
				synctest.Wait()
				other, giveUp := context.WithCancel(t.Context())
				defer giveUp()
				go func() { _ = s.Acquire(other, 3) }()
				synctest.Wait()
				time.Sleep(2 * time.Millisecond) // the head has waited over 1 ms
				switch change {
				case "a waiter gives up":
					giveUp()
				case "SetLimit":
					s.SetLimit(4) // 2 free: the head still does not fit
				}
				synctest.Wait()
				took := s.TryAcquire(1)
				assert.Equal(t, change == "none", took, "a new request took free permits ahead of the head")
				if took {
					s.Release(1)
				}
				s.Close()
			})
		})
	}
}
