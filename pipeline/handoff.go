package pipeline

import (
	"context"
	"sync"

	"github.com/weftgo/weft/internal/cond"
)

// handoff passes items from a producer goroutine to a sender goroutine
// without a channel operation per item: the producer appends to pending
// under mu, and the sender takes everything pending in one swap. The
// sender therefore passes on whatever is ready, even while the producer is
// blocked, and the producer runs at most max items ahead.
type handoff[T any] struct {
	mu      sync.Mutex
	ready   *cond.Cond // the sender waits for items
	room    *cond.Cond // the producer waits for room
	pending []T
	next    int // capacity of the next pending slice
	max     int
	done    bool // the producer has finished
}

func newHandoff[T any](max int) *handoff[T] {
	h := &handoff[T]{max: max, next: min(max, 16)}
	h.ready = cond.New(&h.mu)
	h.room = cond.New(&h.mu)
	return h
}

// put appends v, waiting while max items are pending. It fails only if ctx
// ends first.
func (h *handoff[T]) put(ctx context.Context, v T) error {
	h.mu.Lock()
	for len(h.pending) >= h.max {
		if err := h.room.Wait(ctx); err != nil {
			h.mu.Unlock()
			return err
		}
	}
	if h.pending == nil {
		h.pending = make([]T, 0, h.next)
	}
	h.pending = append(h.pending, v)
	if len(h.pending) == 1 {
		h.ready.Signal()
	}
	h.mu.Unlock()
	return nil
}

// close tells the sender that no more items will come.
func (h *handoff[T]) close() {
	h.mu.Lock()
	h.done = true
	h.ready.Signal()
	h.mu.Unlock()
}

// take returns every pending item, waiting until there is one. It reports
// false once the producer has finished and nothing is pending, or if ctx
// ends first. The slice returned belongs to the caller.
func (h *handoff[T]) take(ctx context.Context) ([]T, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.pending) == 0 {
		if h.done || h.ready.Wait(ctx) != nil {
			return nil, false
		}
	}
	c := h.pending
	h.pending = nil
	// Size the next slice for the batch sizes seen, so slow producers do
	// not allocate max-sized batches.
	h.next = max(16, min(h.max, 2*len(c)))
	h.room.Signal()
	return c, true
}
