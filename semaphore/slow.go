package semaphore

import (
	"context"
	"fmt"
	"time"

	"github.com/weftgo/weft/internal/shake"
	"github.com/weftgo/weft/observe"
)

// acquireSlow is Acquire when the fast path failed: ctx is done, the
// permits are not free, the policy makes new requests queue, the semaphore
// is closed, or n <= 0. ctx is not nil.
func (s *Weighted) acquireSlow(ctx context.Context, n int64) error {
	if s.obs == nil {
		return s.acquireQueue(ctx, n, nil)
	}
	var queued time.Time
	err := s.acquireQueue(ctx, n, &queued)
	e := observe.Event{Kind: observe.Acquired, Weight: n, Err: err}
	if err != nil {
		e.Kind = observe.Rejected
	}
	if !queued.IsZero() {
		e.Wait = time.Since(queued)
	}
	s.obs.Observe(e)
	return err
}

// acquireQueue is acquireSlow without the observer. If the request queues
// and queued is not nil, it sets *queued to the time it queued.
func (s *Weighted) acquireQueue(ctx context.Context, n int64, queued *time.Time) error {
	checkCount(n)
	done := ctx.Done()
	if isDone(done) {
		return context.Cause(ctx)
	}
	s.mu.lock()
	if err := s.check(n); err != nil || n == 0 {
		s.mu.unlock()
		return err
	}
	for {
		st := s.state.Load()
		if st&flagHandoff == 0 && st>>stateShift >= n {
			if s.state.CompareAndSwap(st, st-n<<stateShift) {
				s.mu.unlock()
				return nil
			}
			continue
		}
		if isDone(done) { // it ended while we waited for the lock
			s.mu.unlock()
			return context.Cause(ctx)
		}
		if s.markQueued(st, false) {
			break
		}
	}
	w := s.newWaiter(n)
	if s.policy == Fair {
		w.since = time.Now()
	}
	if queued != nil {
		if s.policy == Fair {
			*queued = w.since
		} else {
			*queued = time.Now()
		}
	}
	s.push(w, false)
	s.waiting.Add(1)
	s.mu.unlock()
	shake.Point(shake.SemPark)
	return s.wait(ctx, w)
}

// check reports why a request for n permits must fail now, if it must.
// s.mu must be held.
func (s *Weighted) check(n int64) error {
	if s.closed {
		return ErrClosed
	}
	if limit := s.limit.Load(); n > limit {
		return fmt.Errorf("%w: %d permits, limit %d", ErrExceedsLimit, n, limit)
	}
	return nil
}

// markQueued sets the flags for a waiter about to be queued, by a
// compare-and-swap on st, the state the decision to queue was based on. A
// Release racing us adds its permits either before the compare-and-swap,
// which then fails, or after it, and then the state its add returns shows
// the flag, and it comes to the lock to serve us. It reports false if st
// is stale. s.mu must be held.
func (s *Weighted) markQueued(st int64, starving bool) bool {
	set := int64(flagWaiters)
	if s.policy == FIFO || starving {
		set |= flagHandoff
	}
	return st&set == set || s.state.CompareAndSwap(st, st|set)
}

// isDone reports whether done, a context's Done channel, is closed.
func isDone(done <-chan struct{}) bool {
	if done == nil {
		return false
	}
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// wait parks until w is granted, fails, or is woken to compete for its
// permits (then it takes them or queues again at the front).
func (s *Weighted) wait(ctx context.Context, w *waiter) error {
	done := ctx.Done()
	for {
		if done == nil {
			<-w.ready
		} else {
			select {
			case <-w.ready:
				shake.Point(shake.SemWoken)
				// When ctx ended before the Release that settled w, both
				// cases may be ready by the time w gets here, and select
				// picks one at random: the cancellation must win
				// (golang/go#63615).
				if isDone(done) {
					return s.cancel(ctx, w, true)
				}
			case <-done:
				shake.Point(shake.SemCancel)
				return s.cancel(ctx, w, false)
			}
		}
		if w.outcome != outWoken {
			err := w.err()
			s.recycle(w)
			return err
		}
		if ok, err := s.compete(w); ok {
			s.recycle(w)
			return err
		}
	}
}

// compete runs a woken waiter's attempt to take its permits. It reports
// ok with the result of Acquire, or !ok if w lost the race to a new request
// and is queued again, first in line.
func (s *Weighted) compete(w *waiter) (ok bool, err error) {
	var wake wakeList
	s.mu.lock()
	s.state.And(^int64(flagWoken))
	if err = s.check(w.n); err == nil {
		for {
			st := s.state.Load()
			if st>>stateShift >= w.n {
				if !s.state.CompareAndSwap(st, st-w.n<<stateShift) {
					continue
				}
				ok = true
				break
			}
			starving := s.policy == Fair && time.Since(w.since) >= starveAfter
			if s.markQueued(st, starving) {
				s.push(w, true)
				break
			}
		}
	} else {
		ok = true
	}
	if ok {
		s.waiting.Add(-1)
	}
	// Pass the turn on: whether or not w got its permits, another waiter
	// may fit now (under Barging, one behind w that asks for less).
	s.dispatch(&wake)
	s.mu.unlock()
	shake.Point(shake.SemGrant)
	wake.wake()
	return ok, err
}

// cancel withdraws a waiter whose context ended; received reports whether
// w's wake-up has been received already. Whatever the race with Release,
// SetLimit or Close turned out to be, the semaphore ends as if the waiter
// had never queued.
func (s *Weighted) cancel(ctx context.Context, w *waiter, received bool) error {
	var wake wakeList
	s.mu.lock()
	o := w.outcome
	switch o {
	case outPending:
		s.remove(w)
		s.waiting.Add(-1)
	case outWoken:
		s.state.And(^int64(flagWoken))
		s.waiting.Add(-1)
	case outGranted:
		// Granted, but too late for the caller: put the permits back
		// and let dispatch pass them on.
		s.state.Add(w.n << stateShift)
	}
	s.dispatch(&wake) // the ones behind may proceed now
	s.mu.unlock()
	shake.Point(shake.SemGrant)
	wake.wake()
	if o != outPending && !received {
		<-w.ready // sent once the waker released the lock
	}
	s.recycle(w)
	return context.Cause(ctx)
}

// releaseSlow is Release of 0 < n <= MaxLimit when its lock-free
// over-release check failed or was not conclusive (SetLimit ran), with its
// permits not added: it checks and adds them with the lock held, where the
// limit and the state agree, and serves the waiters.
func (s *Weighted) releaseSlow(n int64) {
	var wake wakeList
	s.mu.lock()
	for {
		st := s.state.Load()
		if n > s.limit.Load()-st>>stateShift {
			s.mu.unlock()
			panic("semaphore: released more than held")
		}
		if s.state.CompareAndSwap(st, st+n<<stateShift) {
			break
		}
	}
	s.dispatch(&wake)
	s.mu.unlock()
	shake.Point(shake.SemGrant)
	wake.wake()
	if s.obs != nil {
		s.obs.Observe(observe.Event{Kind: observe.Released, Weight: n})
	}
}

// serveReleased serves the waiters after a Release added its permits to
// the state without the lock: if nobody took them in the meantime,
// dispatch grants them or wakes the waiter they satisfy.
func (s *Weighted) serveReleased() {
	var wake wakeList
	s.mu.lock()
	s.dispatch(&wake)
	s.mu.unlock()
	shake.Point(shake.SemGrant)
	wake.wake()
}

// observeTry reports a TryAcquire of n permits that succeeded if ok.
func (s *Weighted) observeTry(n int64, ok bool) {
	e := observe.Event{Kind: observe.Acquired, Weight: n}
	if !ok {
		e.Kind = observe.Rejected
		e.Err = s.tryFailure(n)
	}
	s.obs.Observe(e)
}

// tryFailure says why a TryAcquire of n permits failed, as well as the
// state, read after the fact, shows it.
func (s *Weighted) tryFailure(n int64) error {
	switch {
	case s.state.Load()&flagClosed != 0:
		return ErrClosed
	case n > s.limit.Load():
		return ErrExceedsLimit
	}
	return ErrNoPermits
}

// dispatch restores the invariant after permits became available or the
// queue or mode changed: in hand-off mode, the head of the queue does not
// fit in the free permits; otherwise, either a woken waiter is on its way
// or no waiter the policy would wake fits. It grants or wakes waiters onto
// wake and updates the flags. s.mu must be held.
func (s *Weighted) dispatch(wake *wakeList) {
	for s.head != nil {
		st := s.state.Load()
		if st&flagHandoff != 0 {
			w := s.head
			if !s.take(w.n) {
				break
			}
			s.settle(w, outGranted, wake)
			// Fair leaves hand-off mode once it serves a waiter that did
			// not wait long: the backlog is gone.
			if s.policy == Fair && time.Since(w.since) < starveAfter {
				s.state.And(^int64(flagHandoff))
			}
			continue
		}
		if st&flagWoken != 0 {
			break
		}
		if w := s.fitting(st >> stateShift); w != nil {
			s.state.Or(flagWoken)
			s.settle(w, outWoken, wake)
			break
		}
		if s.policy == Fair && time.Since(s.head.since) >= starveAfter {
			s.state.Or(flagHandoff)
			continue
		}
		break
	}
	if s.head == nil && s.state.Load()&(flagWaiters|flagHandoff) != 0 {
		s.state.And(^int64(flagWaiters | flagHandoff))
	}
}

// fitting returns the waiter to wake when avail permits are free: the head
// if it fits, or under Barging the first waiter that fits. s.mu must be
// held.
func (s *Weighted) fitting(avail int64) *waiter {
	for w := s.head; w != nil; w = w.next {
		if w.n <= avail {
			return w
		}
		if s.policy != Barging {
			break
		}
	}
	return nil
}

// take removes n permits from the state if they are available. s.mu must
// be held; new requests may still race it.
func (s *Weighted) take(n int64) bool {
	for {
		st := s.state.Load()
		if st>>stateShift < n {
			return false
		}
		if s.state.CompareAndSwap(st, st-n<<stateShift) {
			return true
		}
	}
}
