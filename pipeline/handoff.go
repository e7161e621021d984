package pipeline

import (
	"context"
	"runtime"
	"sync"

	"github.com/weftgo/weft/internal/cond"
)

// handoff passes the values of a FromSeq sequence from the goroutine that
// runs it to the goroutine that sends them on: the producer appends to a
// slice under a mutex, and the sender takes the whole slice at once, so it
// passes on whatever is ready even while the producer is blocked. The
// producer runs at most max items ahead.
//
// A lock-free single-producer ring was measured against this on the FromSeq
// end-to-end benchmark (BenchmarkPipelineSum) and was not 1.2× faster, so
// the simpler form stays.
type handoff[T any] struct {
	mu    sync.Mutex
	ready *cond.Cond // the sender waits for items
	room  *cond.Cond // the producer waits for room
	buf   []T
	max   int
	done  bool // the producer has finished
}

func newHandoff[T any](max int) *handoff[T] {
	h := &handoff[T]{buf: make([]T, 0, min(max, startCap)), max: max}
	h.ready = cond.New(&h.mu)
	h.room = cond.New(&h.mu)
	return h
}

// put appends v, waiting while max items are pending. It fails if ctx
// has ended, even with room: the sequence's next yield after the pipeline
// stops must return false, not fill the rest of a chunk nobody will read.
func (h *handoff[T]) put(ctx context.Context, v T) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	h.mu.Lock()
	for len(h.buf) >= h.max {
		if err := h.room.Wait(ctx); err != nil {
			h.mu.Unlock()
			return err
		}
	}
	h.buf = append(h.buf, v)
	if len(h.buf) == 1 {
		h.ready.Signal() // the sender waits only on an empty slice
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
// ends first.
func (h *handoff[T]) take(ctx context.Context) ([]T, bool) {
	h.mu.Lock()
	for len(h.buf) == 0 {
		if h.done || h.ready.Wait(ctx) != nil {
			h.mu.Unlock()
			return nil, false
		}
	}
	// While the producer keeps adding items, let it fill the batch a
	// little more: bigger batches make every later stage cheaper. This
	// stops as soon as the producer makes no progress (it is blocked, or
	// done), so a slow source is not held back.
	for range 4 {
		n := len(h.buf)
		if n >= h.max/2 || h.done {
			break
		}
		h.mu.Unlock()
		runtime.Gosched()
		h.mu.Lock()
		if len(h.buf) == n {
			break
		}
	}
	c := h.buf
	h.buf = make([]T, 0, min(h.max, startCap))
	h.room.Signal()
	h.mu.Unlock()
	return c, true
}
