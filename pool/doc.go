// Package pool runs tasks on a bounded set of reused worker goroutines: the
// Go answer to Python's ThreadPoolExecutor and to ants, pond, conc and
// errgroup.
//
// Use a [Pool] when many tasks must share a fixed amount of concurrency, and
// especially when that amount must change at run time ([Pool.SetLimit]) or be
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
//   - [Pool.Submit] takes a func(ctx) error and a context, which is the
//     parent of the task's context and bounds the wait for room in the
//     queue.
//   - [Pool.TrySubmit] never blocks and fails with [ErrQueueFull].
//
// Submission errors ([ErrClosed], [ErrQueueFull], context errors) say the
// task did not run; they are never mixed up with the errors tasks return.
//
// Every submit takes [TaskOption] values after the function: [Priority]
// orders the queue (highest first, FIFO within a priority, with aging so
// that no task waits for ever), [QueueTimeout] drops a task that waited too
// long ([ErrQueueTimeout]), and [RunTimeout] puts a deadline on the task's
// context ([ErrRunTimeout]).
//
// # State per worker, order per key
//
// A [WorkerState] gives each worker goroutine its own value of a type S — a
// buffer, a client, a connection — made at the worker's first
// [WorkerState.Get] and released once when the worker exits; no two running
// tasks share one, and no global is needed. A [Serial] runs the tasks
// submitted with one key one at a time, in submission order, while tasks of
// different keys run in parallel up to the pool's limit; an idle key holds
// no memory and no goroutine. Neither costs anything to a pool that does not
// use it.
//
// # Observing
//
// [Pool.Stats] is a snapshot of counters. For queue-wait and run-time
// distributions, panics, drops and rejections as they happen, give the pool
// an observe.Observer with [WithObserver]; package
// github.com/weftgo/weft/observe/expvarobs publishes one through expvar.
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
// Three verbs, in the sense every weft type that has them gives them:
//
//   - [Pool.Close] stops accepting tasks and returns at once; accepted work
//     still completes, and the workers exit once it is done.
//   - [Pool.Shutdown] is Close, then a wait (bounded by a context) for the
//     accepted work to finish.
//   - [Pool.Stop] stops accepting tasks, drops those not started (returning
//     how many), cancels the contexts of those running and waits for them.
//
// A submit racing any of them either is accepted (and its task runs, or is
// dropped and counted by Stop) or returns [ErrClosed]: a task is never lost
// silently. Idle workers exit after [WithIdleTimeout], so an idle pool holds
// no goroutines.
//
// # Contexts
//
// The context given to [Pool.Submit] or [Group.Submit] is the parent of the
// task's context: its values and deadline reach the task, and its
// cancellation cancels the task, joined with [Pool.Stop] (context.Cause
// [ErrStopped]) and, for a group's task, with the group's own cancellation
// (a fail-fast error, or Wait returning). A task still queued when that
// context ends runs all the same, with its context done. [Pool.Go],
// [Pool.TrySubmit], [Group.Go] and [Group.TrySubmit] take no context: a
// plain Go task has none, the others receive the pool's or the group's. A
// context that can never be canceled costs nothing, and contexts derived
// inside a task cost no goroutine. A task's context may be done once the
// task has returned: do not keep it for work that outlives the task.
//
// # Tasks that wait on tasks
//
// A task that waits on other tasks of the same bounded pool could deadlock
// it: every worker waits and nothing runs what they wait for. The pool
// prevents this for nested work that identifies its caller. Every task that
// takes a context receives one that names that run of that task; a submit
// that presents it (or a context derived from it) while no worker can start
// the new task at once runs the new task in the caller's slot instead of
// queueing it or waiting for room: the caller is suspended while the task
// runs on a goroutine of its own, so the pool's limit holds, and when the
// submit returns the task has ended (its error goes where task errors go).
// This holds in every queue mode: unbounded, bounded and hand-off.
//
// So from inside a task, these never deadlock a saturated pool, whatever
// the task then waits on (a channel, a future, a Group):
//
//   - [Pool.Submit] and [Group.Submit] with the task's context;
//   - [Map], [MapSeq] and [Pool.Group] given the task's context, and
//     [Group.Go] on a group made from it;
//   - future.Submit on the pool (or on a Group, or a future.Executor, whose
//     tasks are a pool's) with the task's context.
//
// [Group.Wait] on a group made from a task's context also lends the task's
// slot to the pool while it blocks.
//
// The price of running a task in its caller's slot is that the submit does
// not return until that task has: a task must not submit, with its context,
// work that waits for something the task itself does only after the submit
// (a value it sends next, a lock it holds), or the two wait on each other.
// Submit such work with [Pool.Go] or [Pool.TrySubmit] instead: they never
// run it inline, so it waits for a free worker like any queued task.
//
// What is not protected:
//
//   - [Pool.Go], [Pool.TrySubmit] and [Group.TrySubmit] take no context, so they
//     cannot tell a task of the pool from any other caller: they never run
//     a task in their caller's slot. From a task, use Submit with the task's
//     context.
//   - [Group.Go] takes its caller for the task that made the group. A task
//     of a group that submits to its own group (or to a group it made from
//     the group's context rather than its own) should use [Group.Submit]
//     with the context it received.
//   - [Pool.Wait] and [Pool.Stop] from a task wait for the task itself,
//     and never return; [Pool.Shutdown] from a task returns only when its
//     context ends.
//   - A context names its task's run, not a goroutine. Code outside any
//     task, and a task's context once the task has returned, never run a
//     task inline or lend a slot; but a goroutine that a task starts and
//     hands its context to is taken for the task while the task runs: its
//     submit may run a task in the task's slot (one at a time) and its
//     Group.Wait lends the slot, while the task itself also runs — over the
//     limit. Hand a task's context only to code that runs within the task.
//
// # Costs
//
// Submitting to a busy pool is a mutex-guarded queue push with no
// allocation; waking an idle worker is one channel send, and while one
// wake-up is in flight submitters only queue, so bursts do not pay a
// goroutine wake-up per task. A worker that finds the queue empty yields
// its processor once before it parks, counted as a wake-up in flight, so
// that goroutines waiting to submit queue their tasks for it rather than
// each wake a parked worker. When many goroutines submit at once, or many
// tasks end at once, a pool of a few workers per processor lets only a few
// per processor wait on its mutex and the others on a channel, so that the
// mutex never turns into a convoy of context switches; in a larger pool
// they yield their processor and try again instead, and a worker just
// started or woken yields once before it takes a task, so that the
// goroutines already waiting to run, submitters among them, go first. An
// idle worker holds its goroutine but no timer: one timer per pool retires
// the workers whose idle timeout has passed. On two cores a batch of empty
// tasks costs 128–136 ns per task at limit 2 and 174–180 ns at limit 1000
// (pond: 193–199 and 543–546; BenchmarkPoolEmpty in the benchmarks module,
// two runs). A queued task costs about 25
// bytes beyond its closure. A task that takes a context gets a context of
// its own each time it runs, which is what identifies it: one 16-byte
// allocation, about 20 ns per task in a Group fan-out (BenchmarkGroup), or
// 40 bytes when the submit gave it a parent context; a future's task
// (package future) keeps room for it, so it costs no allocation there. A
// parent that can be canceled adds, only if the task waits on its context,
// a child context that joins it with Stop: about 0.9 µs and 7 allocations
// (BenchmarkSubmitContext). A task run in its caller's slot also costs a
// goroutine start. Task options and an observer cost one allocation per
// task (see [TaskOption], [WithObserver]); a pool that uses neither pays a
// nil check for them.
package pool
