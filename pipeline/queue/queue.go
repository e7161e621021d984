package queue

import (
	"context"
	"sync"

	"github.com/weftgo/weft/internal/cond"
	"github.com/weftgo/weft/internal/shake"
)

// Queue is a multi-producer, multi-consumer queue: the Go counterpart of
// Python's queue.Queue. Items leave in FIFO order ([New]), LIFO order
// ([NewLIFO]) or least-first by a less function ([NewPriority]).
// A bounded queue ([WithCapacity]) blocks [Queue.Put] while full; an
// unbounded one never does.
//
// The zero value is an empty, unbounded FIFO queue ready to use. A Queue must
// not be copied after first use. All methods are safe for concurrent use.
//
// Blocking methods take a context and return its cause when it ends first;
// a nil context panics.
// Waiting uses a context-aware condition variable with one wake-up channel
// per waiter: a signal costs O(1), and a signal that races a cancellation is
// passed on to the next waiter, so an item is never stranded.
//
// Every item put is accounted for: it is returned by a Get, or dropped by
// [Queue.Stop], which reports how many it dropped. A Put synchronizes
// before the Get that returns its item.
//
// [Queue.TaskDone] and [Queue.Join] track work the way Python's task_done
// and join do. The queue's lifecycle uses the module's three verbs:
// [Queue.Close] stops accepting items and lets consumers drain the queue,
// [Queue.Shutdown] closes and waits until every item is taken and marked
// done, and [Queue.Stop] drops what is queued.
type Queue[T any] struct {
	_ noCopy

	mu         sync.Mutex
	notEmpty   *cond.Cond // getters wait here
	notFull    *cond.Cond // putters wait here (bounded queues only)
	idle       *cond.Cond // Join waits here
	items      store[T]
	capacity   int // 0: unbounded
	unfinished int
	closed     bool
}

// New returns an empty FIFO queue, unbounded unless [WithCapacity] is given.
func New[T any](opts ...Option) *Queue[T] {
	c := newConfig(opts)
	return &Queue[T]{capacity: c.capacity}
}

// NewLIFO returns an empty LIFO queue (a stack): Get returns the item put
// most recently. Options are as for [New].
func NewLIFO[T any](opts ...Option) *Queue[T] {
	q := New[T](opts...)
	q.items.lifo = true
	return q
}

// NewPriority returns an empty priority queue: Get returns the least
// item according to less, which must be a strict weak order. Items that
// compare equal leave in no particular order. less is called with the
// queue's lock held and must not call the queue. If less panics, the panic
// goes on to the caller of the Put or Get (or its Try or batch form) and
// the queue's lock is released. No item is lost and none is counted twice:
// a Put has added its item all the same, and a Get has taken nothing (a
// GetBatch, no item at all), so [Queue.Len], the capacity and the count
// [Queue.Join] waits on stay exact. Only the order suffers: until the
// queue is next empty, items may leave out of order.
// Options are as for [New]. A nil less panics.
func NewPriority[T any](less func(a, b T) bool, opts ...Option) *Queue[T] {
	if less == nil {
		panic("queue: NewPriority with a nil less function")
	}
	q := New[T](opts...)
	q.items.less = less
	return q
}

// lock locks q.mu and creates the condition variables on first use, so the
// zero Queue works.
func (q *Queue[T]) lock() {
	q.mu.Lock()
	if q.notEmpty == nil {
		q.notEmpty = cond.New(&q.mu)
		q.notFull = cond.New(&q.mu)
		q.idle = cond.New(&q.mu)
	}
}

func (q *Queue[T]) full() bool { return q.capacity > 0 && q.items.len() >= q.capacity }

// Put adds v to the queue, blocking while a bounded queue is full. It
// returns [ErrClosed] if the queue is closed, or becomes closed while Put
// waits, and context.Cause(ctx) if ctx ends first; in both cases v was not
// added.
func (q *Queue[T]) Put(ctx context.Context, v T) error {
	checkCtx(ctx)
	shake.Point(shake.QueuePut)
	q.lock()
	for !q.closed && q.full() {
		if err := q.notFull.Wait(ctx); err != nil {
			q.mu.Unlock()
			return err
		}
	}
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	q.add(v)
	q.mu.Unlock()
	return nil
}

// TryPut adds v if the queue is open and has room, without blocking. It
// reports whether v was added; [Queue.Closed] tells a full queue from a
// closed one.
func (q *Queue[T]) TryPut(v T) bool {
	q.lock()
	ok := !q.closed && !q.full()
	if ok {
		q.add(v)
	}
	q.mu.Unlock()
	return ok
}

func (q *Queue[T]) add(v T) {
	// Counted and announced before the push: v is in the heap before less
	// is called, so a less that panics must not skip this.
	q.unfinished++
	q.notEmpty.Signal()
	if q.items.less != nil {
		q.lessGuard(func() { q.items.push(v) })
	} else {
		q.items.push(v)
	}
}

// lessGuard runs f, which calls a priority queue's less function. If less
// panics, lessGuard puts back the items f moved out of the heap, so that a
// panic can upset the order of the items but not their number, and
// releases q.mu, so the queue stays usable while the panic goes on to the
// caller.
func (q *Queue[T]) lessGuard(f func()) {
	ok := false
	defer func() {
		if !ok {
			if q.items.putBack() > 0 {
				// A getter that takes nothing after all passes its
				// wake-up on, as a canceled waiter does.
				q.notEmpty.Signal()
			}
			q.mu.Unlock()
		}
	}()
	f()
	ok = true
}

// Get removes and returns the next item, blocking while the queue is empty.
// On a closed queue it keeps returning items until the queue is empty, then
// returns [ErrClosed]. If ctx ends first it returns context.Cause(ctx) and
// takes nothing.
func (q *Queue[T]) Get(ctx context.Context) (T, error) {
	checkCtx(ctx)
	shake.Point(shake.QueueGet)
	q.lock()
	for q.items.len() == 0 {
		if q.closed {
			q.mu.Unlock()
			var zero T
			return zero, ErrClosed
		}
		if err := q.notEmpty.Wait(ctx); err != nil {
			q.mu.Unlock()
			var zero T
			return zero, err
		}
	}
	v := q.take()
	q.mu.Unlock()
	return v, nil
}

// TryGet removes and returns the next item if there is one, without
// blocking. It reports false on an empty queue, open or closed.
func (q *Queue[T]) TryGet() (T, bool) {
	q.lock()
	if q.items.len() == 0 {
		q.mu.Unlock()
		var zero T
		return zero, false
	}
	v := q.take()
	q.mu.Unlock()
	return v, true
}

func (q *Queue[T]) take() (v T) {
	if q.items.less != nil {
		q.lessGuard(func() { v = q.items.pop() })
	} else {
		v = q.items.pop()
	}
	if q.capacity > 0 {
		q.notFull.Signal()
	}
	return v
}

// GetBatch removes up to len(buf) items into buf and returns how many. It
// blocks until at least one item is available, then takes what is there
// without waiting for more. Errors are as for [Queue.Get], with n == 0. It
// panics if buf is empty.
func (q *Queue[T]) GetBatch(ctx context.Context, buf []T) (n int, err error) {
	checkCtx(ctx)
	shake.Point(shake.QueueGet)
	if len(buf) == 0 {
		panic("queue: GetBatch with an empty buffer")
	}
	q.lock()
	for q.items.len() == 0 {
		if q.closed {
			q.mu.Unlock()
			return 0, ErrClosed
		}
		if err := q.notEmpty.Wait(ctx); err != nil {
			q.mu.Unlock()
			return 0, err
		}
	}
	n = q.takeBatch(buf)
	q.mu.Unlock()
	return n, nil
}

// TryGetBatch removes up to len(buf) items into buf without blocking and
// returns how many.
func (q *Queue[T]) TryGetBatch(buf []T) int {
	q.lock()
	n := q.takeBatch(buf)
	q.mu.Unlock()
	return n
}

func (q *Queue[T]) takeBatch(buf []T) int {
	n := min(len(buf), q.items.len())
	if q.items.less != nil {
		// All or nothing: if less panics, putBack returns every item
		// moved out, where taking them one by one would leave some in buf
		// with no count to tell the caller.
		q.lessGuard(func() {
			for range n {
				q.items.popHeap()
			}
		})
		q.items.takeOut(buf[:n])
		if q.capacity > 0 {
			for range n {
				q.notFull.Signal()
			}
		}
	} else {
		for i := range n {
			buf[i] = q.take()
		}
	}
	if n > 0 && q.items.len() > 0 {
		// Items remain: let another getter have them.
		q.notEmpty.Signal()
	}
	return n
}

// Len returns the number of items in the queue. It is a snapshot that other
// goroutines may change at once.
func (q *Queue[T]) Len() int {
	q.lock()
	defer q.mu.Unlock()
	return q.items.len()
}

// Cap returns the capacity of a bounded queue, and 0 for an unbounded one.
func (q *Queue[T]) Cap() int { return q.capacity }

// Closed reports whether [Queue.Close], [Queue.Shutdown] or [Queue.Stop]
// has been called.
func (q *Queue[T]) Closed() bool {
	q.lock()
	defer q.mu.Unlock()
	return q.closed
}
