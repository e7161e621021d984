package queue

import (
	"context"
	"iter"

	"github.com/weftgo/weft/internal/shake"
)

// Close stops the queue from accepting items and returns at once: from now
// on Put and TryPut fail with [ErrClosed] (blocked Puts wake up and fail
// too), while Get keeps returning the items already queued and reports
// [ErrClosed] once the queue is empty, so consumers drain it and then stop.
// Close does not change what [Queue.Join] waits for. Calling it again, or
// after [Queue.Shutdown] or [Queue.Stop], does nothing.
func (q *Queue[T]) Close() {
	shake.Point(shake.QueueClose)
	q.lock()
	if !q.closed {
		q.closed = true
		q.notEmpty.Broadcast()
		q.notFull.Broadcast()
	}
	q.mu.Unlock()
}

// Shutdown closes the queue as [Queue.Close] does, then waits until every
// item put has been taken and marked done with [Queue.TaskDone] (or dropped
// by [Queue.Stop]), and returns nil. If ctx ends first it returns
// context.Cause(ctx); the queue stays closed and its items stay queued, so
// Shutdown may be called again, or [Queue.Stop] may drop them.
//
// Shutdown is [Queue.Close] followed by [Queue.Join]: it waits only if
// consumers call TaskDone for the items they take. Without TaskDone, use
// Close and wait for the consumers themselves. Every item marked done
// synchronizes before Shutdown returns nil. A nil ctx panics, and the queue
// is not closed.
func (q *Queue[T]) Shutdown(ctx context.Context) error {
	checkCtx(ctx)
	q.Close()
	return q.Join(ctx)
}

// Stop closes the queue at once: it drops every item not yet taken, wakes
// every blocked Put and Get (both return [ErrClosed]), and returns how many
// items it dropped. It does not wait: items that consumers have already
// taken are theirs to finish. It may be called on a queue already closed by
// [Queue.Close] or [Queue.Shutdown] to drop what remains (a Shutdown waiting
// then returns once the taken items are marked done); a second Stop returns
// 0.
//
// Dropped items count as done: Stop lowers the count [Queue.Join] and
// [Queue.Shutdown] wait on by the number it dropped, but not below zero
// (TaskDone calls made for items before they were taken may have counted them
// already), as Python 3.13's shutdown(immediate=True) does, so they must not
// be passed to [Queue.TaskDone]. Join therefore still waits for the items
// that consumers took before the Stop until they call TaskDone; if there are
// none, Join returns nil at once.
func (q *Queue[T]) Stop() (dropped int) {
	q.lock()
	q.closed = true
	dropped = q.items.clear()
	// TaskDone may have counted some of them already: it counts items, not
	// the items taken.
	q.unfinished = max(0, q.unfinished-dropped)
	q.notEmpty.Broadcast()
	q.notFull.Broadcast()
	if q.unfinished == 0 {
		q.idle.Broadcast()
	}
	q.mu.Unlock()
	return dropped
}

// TaskDone marks one item that a consumer took as processed. Every
// successful Put adds one to the count of unfinished items and every
// TaskDone removes one; when the count reaches zero, [Queue.Join] and
// [Queue.Shutdown] return. TaskDone returns [ErrTooManyTaskDone], and
// changes nothing, when the count is already zero.
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
// [Queue.TaskDone] (or dropped by [Queue.Stop]), and returns nil. It
// returns at once when nothing is unfinished. If ctx ends first it returns
// context.Cause(ctx). Every item marked done synchronizes before Join
// returns nil.
//
// Closing does not release Join: after [Queue.Close] the queued items are
// still to be taken and marked done. After [Queue.Stop] only the items that
// consumers had already taken remain unfinished.
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

// All returns an iterator over items as they are taken from the queue. It
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

// checkCtx panics on a nil context, before the caller takes any lock.
func checkCtx(ctx context.Context) {
	if ctx == nil {
		panic("queue: nil Context")
	}
}

// noCopy lets go vet's copylocks check flag copies of the types that hold it.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
