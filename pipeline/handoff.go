package pipeline

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/weftgo/weft/internal/cond"
)

// handoff passes items from one producer goroutine to one sender goroutine
// without a lock or channel operation per item: a single-producer,
// single-consumer ring buffer with atomic head and tail. The sender takes
// everything pending at once, so it passes on whatever is ready even while
// the producer is blocked, and the producer runs at most len(buf) items
// ahead.
//
// A side that finds the ring empty (or full) parks on a condition variable
// after announcing it in a flag; the other side checks the flag after
// publishing and signals. Go's atomics are sequentially consistent, so one
// of the two always sees the other and no wake-up is lost.
type handoff[T any] struct {
	buf  []T
	mask uint64

	tail atomic.Uint64 // next slot to write; written by the producer
	_    [56]byte
	head atomic.Uint64 // next slot to read; written by the sender
	_    [56]byte

	done            atomic.Bool // the producer has finished
	senderWaiting   atomic.Bool
	producerWaiting atomic.Bool

	mu    sync.Mutex
	ready *cond.Cond // the sender waits for items
	room  *cond.Cond // the producer waits for room
}

func newHandoff[T any](size int) *handoff[T] {
	n := 1
	for n < size {
		n *= 2
	}
	h := &handoff[T]{buf: make([]T, n), mask: uint64(n - 1)}
	h.ready = cond.New(&h.mu)
	h.room = cond.New(&h.mu)
	return h
}

// put appends v, waiting while the ring is full. It fails only if ctx ends
// first.
func (h *handoff[T]) put(ctx context.Context, v T) error {
	t := h.tail.Load()
	for t-h.head.Load() == uint64(len(h.buf)) {
		h.mu.Lock()
		h.producerWaiting.Store(true)
		var err error
		if t-h.head.Load() == uint64(len(h.buf)) {
			err = h.room.Wait(ctx)
		}
		h.producerWaiting.Store(false)
		h.mu.Unlock()
		if err != nil {
			return err
		}
	}
	h.buf[t&h.mask] = v
	h.tail.Store(t + 1)
	// Clearing the flag makes this the only put that signals, until the
	// sender announces again that it waits.
	if h.senderWaiting.Load() && h.senderWaiting.CompareAndSwap(true, false) {
		h.mu.Lock()
		h.ready.Signal()
		h.mu.Unlock()
	}
	return nil
}

// close tells the sender that no more items will come.
func (h *handoff[T]) close() {
	h.done.Store(true)
	if h.senderWaiting.CompareAndSwap(true, false) {
		h.mu.Lock()
		h.ready.Signal()
		h.mu.Unlock()
	}
}

// take returns every pending item in a new slice, waiting until there is
// one. It reports false once the producer has finished and nothing is
// pending, or if ctx ends first.
func (h *handoff[T]) take(ctx context.Context) ([]T, bool) {
	head := h.head.Load()
	tail := h.tail.Load()
	for tail == head {
		if h.done.Load() {
			// done is set after the last item was published.
			if tail = h.tail.Load(); tail == head {
				return nil, false
			}
			break
		}
		h.mu.Lock()
		h.senderWaiting.Store(true)
		var err error
		if h.tail.Load() == head && !h.done.Load() {
			err = h.ready.Wait(ctx)
		}
		h.senderWaiting.Store(false)
		h.mu.Unlock()
		if err != nil {
			return nil, false
		}
		tail = h.tail.Load()
	}
	// While the producer keeps adding items, let it fill the batch a
	// little more: bigger batches make every later stage cheaper. This
	// stops as soon as the producer makes no progress (it is blocked, or
	// done), so a slow source is not held back.
	for range 4 {
		if tail-head >= uint64(len(h.buf))/2 || h.done.Load() {
			break
		}
		runtime.Gosched()
		next := h.tail.Load()
		if next == tail {
			break
		}
		tail = next
	}
	c := make([]T, tail-head)
	i, j := head&h.mask, tail&h.mask
	if i < j {
		copy(c, h.buf[i:j])
		clear(h.buf[i:j])
	} else {
		k := copy(c, h.buf[i:])
		copy(c[k:], h.buf[:j])
		clear(h.buf[i:])
		clear(h.buf[:j])
	}
	h.head.Store(tail)
	if h.producerWaiting.Load() && h.producerWaiting.CompareAndSwap(true, false) {
		h.mu.Lock()
		h.room.Signal()
		h.mu.Unlock()
	}
	return c, true
}
