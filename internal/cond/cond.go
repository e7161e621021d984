// Package cond provides a condition variable whose Wait honours a context.
//
// sync.Cond cannot be abandoned by a waiter (golang/go#16620). [Cond] gives
// every waiter its own channel, so [Cond.Signal] is O(1), a canceled waiter
// leaves the queue at once, and a signal that races a cancellation is passed
// on to the next waiter instead of being lost. Waiting parks on a channel, so
// it is durably blocking inside a testing/synctest bubble.
package cond

import (
	"context"
	"sync"

	"github.com/weftgo/weft/internal/shake"
)

// Cond is a FIFO condition variable bound to a locker. The zero value is not
// usable; create one with [New]. A Cond must not be copied after first use.
//
// All methods must be called with L held.
type Cond struct {
	L sync.Locker

	head, tail *waiter
	free       *waiter // reused waiters, so steady-state waits do not allocate
	n          int
}

type waiter struct {
	ready      chan struct{} // capacity 1: a signal never blocks the signaller
	prev, next *waiter
	signalled  bool
}

// New returns a Cond that waits with l.
func New(l sync.Locker) *Cond { return &Cond{L: l} }

// Wait atomically unlocks c.L and parks until [Cond.Signal] or
// [Cond.Broadcast] wakes it or ctx is done, then locks c.L again before
// returning. As with sync.Cond, a wake-up is a hint: callers re-check their
// condition in a loop.
//
// Wait returns nil when woken by a signal and context.Cause(ctx) when ctx
// ended first. A waiter whose cancellation races a signal returns the context
// error and hands the signal to the next waiter, so no wake-up is lost.
func (c *Cond) Wait(ctx context.Context) error {
	w := c.push()
	c.L.Unlock()
	shake.Point(shake.CondWait)
	var err error
	select {
	case <-w.ready:
	case <-ctx.Done():
		err = context.Cause(ctx)
	}
	c.L.Lock()
	if err != nil {
		if w.signalled {
			<-w.ready // drain before reuse
			c.Signal()
		} else {
			c.remove(w)
		}
	}
	c.recycle(w)
	return err
}

// Signal wakes the longest-waiting waiter, if any.
func (c *Cond) Signal() {
	shake.Locked(shake.CondSignalLocked)
	w := c.head
	if w == nil {
		return
	}
	c.remove(w)
	w.signalled = true
	w.ready <- struct{}{}
}

// Broadcast wakes every waiter.
func (c *Cond) Broadcast() {
	for c.head != nil {
		c.Signal()
	}
}

// Waiters reports how many goroutines are parked in Wait.
func (c *Cond) Waiters() int { return c.n }

func (c *Cond) push() *waiter {
	w := c.free
	if w != nil {
		c.free = w.next
		w.next = nil
	} else {
		w = &waiter{ready: make(chan struct{}, 1)}
	}
	w.prev = c.tail
	if c.tail != nil {
		c.tail.next = w
	} else {
		c.head = w
	}
	c.tail = w
	c.n++
	return w
}

func (c *Cond) remove(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		c.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		c.tail = w.prev
	}
	w.prev, w.next = nil, nil
	c.n--
}

func (c *Cond) recycle(w *waiter) {
	w.signalled = false
	w.prev = nil
	w.next = c.free
	c.free = w
}
