package queue

import "errors"

var (
	// ErrClosed is returned by [Queue.Put] on a queue that is closed (by
	// [Queue.Close], [Queue.Shutdown] or [Queue.Stop]) or becomes closed
	// while Put waits, and by [Queue.Get] and [Queue.GetBatch] on a closed
	// queue that is empty.
	ErrClosed = errors.New("queue: closed")
	// ErrTooManyTaskDone is returned by [Queue.TaskDone] when every item put
	// has already been marked done (or dropped by [Queue.Stop]).
	ErrTooManyTaskDone = errors.New("queue: TaskDone called more times than items were put")
)
