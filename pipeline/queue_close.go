package pipeline

import (
	"context"
	"iter"
)

// Close stops the queue from accepting items: from now on Put and TryPut
// fail with [ErrClosed] (blocked Puts wake up and fail too), while Get keeps
// returning the items already queued and reports [ErrClosed] once the queue
// is empty. Close does not change what [Queue.Join] waits for. Calling it
// again does nothing.
func (q *Queue[T]) Close() {
	q.lock()
	if !q.closed {
		q.closed = true
		q.notEmpty.Broadcast()
		q.notFull.Broadcast()
	}
	q.mu.Unlock()
}

// Shutdown closes the queue at once: it drops every queued item, wakes every
// blocked Put (which returns [ErrClosed]) and Get (which returns
// [ErrClosed]), and returns how many items it dropped. It may be called on a
// queue already closed by [Queue.Close] to drop what remains; a second
// Shutdown returns 0.
//
// Dropped items count as done: Shutdown lowers the count [Queue.Join] waits
// on by the number it dropped, as Python 3.13's shutdown(immediate=True)
// does. Join therefore still waits for the items that consumers got before
// the shutdown until they call [Queue.TaskDone]; if there are none, Join
// returns nil at once.
func (q *Queue[T]) Shutdown() (dropped int) {
	q.lock()
	q.closed = true
	dropped = q.items.clear()
	q.unfinished -= dropped
	q.notEmpty.Broadcast()
	q.notFull.Broadcast()
	if q.unfinished == 0 {
		q.idle.Broadcast()
	}
	q.mu.Unlock()
	return dropped
}

// TaskDone marks one item that a consumer got as processed. Every successful
// Put adds one to the count of unfinished items and every TaskDone removes
// one; when the count reaches zero, [Queue.Join] returns. TaskDone returns
// [ErrTooManyTaskDone], and changes nothing, when the count is already zero.
func (q *Queue[T]) TaskDone() error {
	q.lock()
	defer q.mu.Unlock()
	if q.unfinished == 0 {
		return ErrTooManyTaskDone
	}
	q.unfinished--
	if q.unfinished == 0 {
		q.idle.Broadcast()
	}
	return nil
}

// Join blocks until every item put has been marked done with
// [Queue.TaskDone] (or dropped by [Queue.Shutdown]), and returns nil. It
// returns at once when nothing is unfinished. If ctx ends first it returns
// context.Cause(ctx).
//
// Closing does not release Join: after [Queue.Close] the queued items are
// still to be got and marked done. After [Queue.Shutdown] only the items
// that consumers had already got remain unfinished.
func (q *Queue[T]) Join(ctx context.Context) error {
	checkCtx(ctx)
	q.lock()
	defer q.mu.Unlock()
	for q.unfinished > 0 {
		if err := q.idle.Wait(ctx); err != nil {
			return err
		}
	}
	return nil
}

// All returns an iterator over items as they are got from the queue. It
// blocks between items and ends when the queue is closed and empty, when ctx
// ends, or when the loop breaks; an item is only removed once it is yielded.
// The loop body may call [Queue.TaskDone].
func (q *Queue[T]) All(ctx context.Context) iter.Seq[T] {
	checkCtx(ctx)
	return func(yield func(T) bool) {
		for {
			v, err := q.Get(ctx)
			if err != nil || !yield(v) {
				return
			}
		}
	}
}

// noCopy lets go vet's copylocks check flag copies of the types that hold it.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
