package future

import (
	"context"
	"sync"

	"github.com/weftgo/weft/internal/shake"
)

// collector gathers the futures of one Wait or AsCompleted call as they
// complete. Each future gets one internal callback (allocated in a single
// slice for the whole call) that links itself onto a FIFO list, through its
// now unused next field, and signals a capacity-1 channel: waiting on n
// futures costs O(n), no goroutine and no allocation per completion.
type collector[T any] struct {
	mu         sync.Mutex
	head, tail *callback[T] // fired callbacks not taken yet, oldest first
	signal     chan struct{}
	cbs        []callback[T]
	// doneSeen holds the futures watch found done, to drop duplicates.
	doneSeen map[*Future[T]]struct{}
	mayDup   bool // dup must look in doneSeen
}

// watch dedups fs, returns the futures already done (in argument order) and
// registers a callback on each of the others, returning how many.
//
// Duplicates are found without a set of all futures: a pending future that
// already carries this collector's callback is a duplicate, and only the
// futures found done go in a map (c.doneSeen). A future registered while
// pending that completes before a later occurrence is met done has its
// callback dropped by dup when it fires.
func (c *collector[T]) watch(fs []*Future[T], capDone int) (done []*Future[T], pending int) {
	if capDone > 0 {
		done = make([]*Future[T], 0, capDone)
	}
	c.signal = make(chan struct{}, 1)
	c.cbs = make([]callback[T], len(fs)) // never grown: futures point into it
	k := 0
	for _, f := range fs {
		f.mu.Lock()
		if f.zeroLocked() {
			f.mu.Unlock()
			c.cbs = c.cbs[:k]
			c.stop() // leave nothing behind on the futures met so far
			panic(errZeroFuture)
		}
		if f.State().final() {
			f.mu.Unlock()
			if c.doneSeen == nil {
				c.doneSeen = make(map[*Future[T]]struct{})
			}
			n := len(c.doneSeen)
			if c.doneSeen[f] = struct{}{}; len(c.doneSeen) > n {
				done = append(done, f)
				// Only a future met done after some registration can also
				// have a callback of ours.
				c.mayDup = c.mayDup || k > 0
			}
			continue
		}
		if f.watchedLocked(c) {
			f.mu.Unlock()
			continue
		}
		cb := &c.cbs[k]
		k++
		cb.sink, cb.f = c, f
		f.pushLocked(cb)
		f.mu.Unlock()
	}
	c.cbs = c.cbs[:k]
	return done, k
}

// checkFutures panics on a nil future before anything is registered, so the
// misuse leaves no callback behind.
func checkFutures[T any](fs []*Future[T]) {
	for _, f := range fs {
		if f == nil {
			panic(errNilFuture)
		}
	}
}

// dup reports whether a fired callback's future was already returned by
// watch as done (see watch).
func (c *collector[T]) dup(cb *callback[T]) bool {
	if !c.mayDup {
		return false
	}
	_, ok := c.doneSeen[cb.f]
	return ok
}

// push is the callback body: it runs on the completing goroutine, after
// finish has unlinked cb from the future's list.
func (c *collector[T]) push(cb *callback[T]) {
	c.mu.Lock()
	cb.next = nil
	first := c.head == nil
	if first {
		c.head = cb
	} else {
		c.tail.next = cb
	}
	c.tail = cb
	c.mu.Unlock()
	if !first {
		return // the consumer only parks after finding the list empty
	}
	select {
	case c.signal <- struct{}{}:
	default:
	}
}

// next waits for completions and returns them as a list linked by next, in
// completion order. It returns nil and the cause if ctx ends first.
func (c *collector[T]) next(ctx context.Context) (*callback[T], error) {
	for {
		if batch := c.drain(); batch != nil {
			return batch, nil
		}
		shake.Point(shake.FutureWait)
		select {
		case <-c.signal:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

// drain takes the completions already signalled, without waiting.
func (c *collector[T]) drain() *callback[T] {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.head
	c.head, c.tail = nil, nil
	return out
}

// stop unregisters the callbacks that have not fired, so an abandoned wait
// leaves nothing behind on the futures.
func (c *collector[T]) stop() {
	for i := range c.cbs {
		c.unwatch(&c.cbs[i])
	}
}

// unwatch removes cb from its future and reports true if the future is still
// pending. It reports false once the future is done: its completion detached
// cb under the same lock, and cb has run or is about to. A future only
// becomes done under its lock, so true means it was pending at that instant.
func (c *collector[T]) unwatch(cb *callback[T]) bool {
	f := cb.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.State().final() {
		return false
	}
	f.removeLocked(cb)
	return true
}
