// Package pool runs tasks on a bounded set of reused worker goroutines: the
// Go answer to Python's ThreadPoolExecutor and to ants, pond, conc and
// errgroup.
//
// Use a [Pool] when many tasks must share a fixed amount of concurrency, and
// especially when that amount must change at run time ([Pool.Resize]) or be
// observed ([Pool.Stats]). For a one-off fan-out, [Map] and [MapSeq] run a
// function over a slice or an iterator with ordered results; for a scope of
// related tasks with its own Wait and first-error cancellation, use a
// [Group]. For results of individual tasks, see package
// github.com/weftgo/weft/future.
//
// # Submitting
//
//   - [Pool.Go] is fire-and-forget: func(), blocking only while a bounded
//     queue is full.
//   - [Pool.Submit] takes a func(ctx) error and a context that bounds the
//     wait for room in the queue.
//   - [Pool.TrySubmit] never blocks and fails with [ErrQueueFull].
//
// Submission errors ([ErrClosed], [ErrQueueFull], context errors) say the
// task did not run; they are never mixed up with the errors tasks return.
//
// # Where errors and panics go
//
// A panic in a task never crashes the process or the worker: it becomes a
// [*PanicError] with the panic value and stack. A task's error or panic goes
// to its [Group] if it has one; otherwise to the handler set with
// [WithErrorHandler]; otherwise the pool keeps it and the next [Pool.Wait]
// or [Pool.Shutdown] returns it. It is counted in [Pool.Stats] either way.
//
// # Shutting down
//
// [Pool.Shutdown] stops accepting tasks, runs what is queued and waits;
// [Pool.Stop] drops the queue, cancels running tasks' contexts and waits for
// them. A submit racing either returns [ErrClosed]: a task is either run or
// refused, never lost. Idle workers exit after [WithIdleTimeout], so an idle
// pool holds no goroutines.
//
// # Tasks that wait on tasks
//
// A task that waits on other tasks of the same bounded pool can deadlock it:
// every worker waits and nothing runs what they wait for. A [Group] made
// from the context a task received solves this: its Wait lends the worker's
// slot to the pool while it blocks. Calling [Pool.Wait] from a task, or
// blocking on a channel fed by queued tasks, is not protected.
//
// # Costs
//
// Submitting to a busy pool is a mutex-guarded queue push with no
// allocation; waking an idle worker is one channel send, and while one
// wake-up is in flight submitters only queue, so bursts do not pay a
// goroutine wake-up per task. On two cores a batch of empty tasks costs about
// 45 ns per task at limit 2 and 70 ns at limit 1000 (pond: 57 and 176; see
// the benchmarks module). A queued task costs about 25 bytes beyond its
// closure.
package pool
