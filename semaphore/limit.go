package semaphore

// SetLimit changes the limit to n. It never blocks for long and is safe to
// call concurrently with every other method.
//
// Raising the limit serves the waiters the new permits satisfy, in the
// order of the policy. Lowering it never revokes permits already held: if
// more are held than the new limit allows, the surplus is retired as it is
// released, and nothing new is granted until the number held is below the
// new limit. Waiters asking for more than the new limit could never be
// served, so they fail with an error wrapping [ErrExceedsLimit].
//
// SetLimit panics if n is negative or larger than [MaxLimit]. It still
// works after [Weighted.Close], although nothing can be acquired then.
func (s *Weighted) SetLimit(n int64) {
	checkLimit(n)
	var wake wakeList
	s.mu.lock()
	if d := n - s.limit.Load(); d != 0 {
		// An odd gen tells Release, which checks its add against the
		// limit without the lock, that the pair is being changed.
		s.gen.Add(1)
		s.limit.Store(n)
		s.state.Add(d << stateShift)
		s.gen.Add(1)
		for w := s.head; d < 0 && w != nil; {
			next := w.next
			if w.n > n {
				w.limit = n
				s.settle(w, outTooLarge, &wake)
			}
			w = next
		}
		s.dispatch(&wake)
	}
	s.mu.unlock()
	wake.wake()
}

// Limit returns the current limit.
func (s *Weighted) Limit() int64 { return s.limit.Load() }

// Available returns the number of permits that are free right now: the
// limit minus the permits held. It is negative after [Weighted.SetLimit]
// lowered the limit below the number held. Free permits can still be out of
// reach of a new request while someone waits, under [FIFO] or in [Fair]'s
// hand-off mode.
func (s *Weighted) Available() int64 { return s.state.Load() >> stateShift }

// Held returns the number of permits held right now: acquired and not yet
// released.
func (s *Weighted) Held() int64 {
	s.mu.lock()
	h := s.limit.Load() - s.state.Load()>>stateShift
	s.mu.unlock()
	return h
}

// Waiting returns the number of Acquire calls that are blocked.
func (s *Weighted) Waiting() int { return int(s.waiting.Load()) }

// Close closes the semaphore: every blocked Acquire returns [ErrClosed] and
// so does every later Acquire, while TryAcquire returns false. Permits
// already held stay valid and may still be released. Close is idempotent
// and never blocks for long.
func (s *Weighted) Close() {
	var wake wakeList
	s.mu.lock()
	if !s.closed {
		s.closed = true
		s.state.Or(flagClosed)
		for s.head != nil {
			s.settle(s.head, outClosed, &wake)
		}
		s.dispatch(&wake) // clears the flags
	}
	s.mu.unlock()
	wake.wake()
}
