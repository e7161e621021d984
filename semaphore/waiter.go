package semaphore

import (
	"fmt"
	"time"
)

// A waiter is one blocked Acquire. It is queued with s.mu held; whoever
// removes it from the queue sets its outcome, still holding s.mu, and then
// sends on ready once s.mu is released. The waiter's goroutine reads the
// outcome after receiving from ready, and only then recycles the record. A
// waiter woken to compete for its permits (outWoken) that loses the race
// goes back to the queue, first in line, and waits for another wake.
type waiter struct {
	ready      chan struct{} // capacity 1, so waking never blocks
	n          int64
	outcome    outcome
	limit      int64     // the limit that made the request too large
	since      time.Time // when the request first queued (Fair only)
	prev, next *waiter   // queue links; next also links a wakeList
	freeNext   *waiter   // link in Weighted.free
}

type outcome uint8

const (
	outPending  outcome = iota // queued
	outWoken                   // taken off the queue to compete for permits
	outGranted                 // the n permits were taken on its behalf
	outClosed                  // Close failed it
	outTooLarge                // SetLimit lowered the limit below n
)

func (w *waiter) err() error {
	switch w.outcome {
	case outGranted:
		return nil
	case outClosed:
		return ErrClosed
	default:
		return fmt.Errorf("%w: %d permits, limit %d", ErrExceedsLimit, w.n, w.limit)
	}
}

// newWaiter returns a recycled waiter record, or a new one. s.mu must be
// held: the lock makes this the only goroutine popping from s.free, so a
// popped record cannot come back with a different freeNext (no ABA).
func (s *Weighted) newWaiter(n int64) *waiter {
	for {
		w := s.free.Load()
		if w == nil {
			w = &waiter{ready: make(chan struct{}, 1)}
		} else if !s.free.CompareAndSwap(w, w.freeNext) {
			continue
		}
		w.freeNext = nil
		w.n = n
		return w
	}
}

// recycle returns w to s.free. Its channel must be empty.
func (s *Weighted) recycle(w *waiter) {
	for {
		top := s.free.Load()
		w.freeNext = top
		if s.free.CompareAndSwap(top, w) {
			return
		}
	}
}

// push appends w to the queue, or puts it first if front is set (a woken
// waiter that lost the race for its permits keeps its turn). s.mu must be
// held.
func (s *Weighted) push(w *waiter, front bool) {
	w.outcome = outPending
	if front {
		w.next = s.head
		if s.head != nil {
			s.head.prev = w
		} else {
			s.tail = w
		}
		s.head = w
	} else {
		w.prev = s.tail
		if s.tail != nil {
			s.tail.next = w
		} else {
			s.head = w
		}
		s.tail = w
	}
}

// remove unlinks w from the queue. s.mu must be held.
func (s *Weighted) remove(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		s.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		s.tail = w.prev
	}
	w.prev, w.next = nil, nil
}

// settle takes w off the queue and moves it to wake with outcome o.
// Unless w is only woken to compete, its Acquire is over: it no longer
// counts as waiting. s.mu must be held.
func (s *Weighted) settle(w *waiter, o outcome, wake *wakeList) {
	s.remove(w)
	if o != outWoken {
		s.waiting.Add(-1)
	}
	wake.add(w, o)
}

// A wakeList collects waiters removed from the queue with s.mu held, so
// that they can be woken after s.mu is released.
type wakeList struct {
	head, tail *waiter
}

func (l *wakeList) add(w *waiter, o outcome) {
	w.outcome = o
	if l.tail != nil {
		l.tail.next = w
	} else {
		l.head = w
	}
	l.tail = w
}

// wake wakes every waiter on the list, in order. s.mu must not be held.
func (l *wakeList) wake() {
	for w := l.head; w != nil; {
		next := w.next
		w.next = nil
		w.ready <- struct{}{} // w may be recycled from here on
		w = next
	}
}
