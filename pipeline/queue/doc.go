// Package queue provides [Queue], a multi-producer, multi-consumer queue
// with context-aware waits: the Go counterpart of Python's queue.Queue,
// LifoQueue and PriorityQueue.
//
// A queue keeps FIFO ([New]), LIFO ([NewLIFO]) or priority ([NewPriority])
// order, bounded ([WithCapacity]) or not, with blocking [Queue.Put] and
// [Queue.Get] that honour a context, never-blocking [Queue.TryPut] and
// [Queue.TryGet], batch gets, and [Queue.TaskDone] and [Queue.Join] to wait
// until every item has been processed. Use it instead of a channel when a
// send after close must be an error rather than a panic, when consumers
// must drain what is left after the producers are done, or when you need
// join, priority order or a count of the items dropped. A FIFO put and get
// costs about as much as a buffered channel operation and does not
// allocate. A [github.com/weftgo/weft/pipeline] can read from a queue with
// [github.com/weftgo/weft/pipeline.FromQueue].
//
// The lifecycle uses the module's three verbs:
//
//   - [Queue.Close] stops accepting items and returns at once; consumers
//     still take what is queued, then Get reports [ErrClosed].
//   - [Queue.Shutdown](ctx) closes, then waits until every item has been
//     taken and marked done with [Queue.TaskDone]; ctx bounds the wait.
//   - [Queue.Stop] stops accepting, drops every item not yet taken and
//     reports how many, and wakes every waiter with [ErrClosed]. Dropped
//     items count as done for [Queue.Join] and [Queue.Shutdown].
//
// Python's q.shutdown() is Close, and q.shutdown(immediate=True) is Stop.
//
//	q := queue.New[string](queue.WithCapacity(100))
//	go func() {
//		for job := range q.All(ctx) { // until closed and drained
//			handle(job)
//			q.TaskDone()
//		}
//	}()
//	q.Put(ctx, "job")
//	err := q.Shutdown(ctx) // no more jobs; wait until every job is handled
//
// Misuse (a nil context, a nil less function, a capacity below 1, an empty
// batch buffer) panics at once with a message that starts with "queue:".
package queue
