// Package future gives Go what Python's concurrent.futures gives Python: run
// a function somewhere, get a [Future] for its result, and wait on one or many
// futures in every useful way — plus what Python cannot do: cancel a task that
// is already running (through its context), range over results with
// iterators, and combine futures like JavaScript promises and Java's
// CompletableFuture.
//
// Use this package when individual results matter: a value per task, waiting
// for the first of several, results as they come. For fire-and-forget work or
// a scope of tasks with a single error, package
// github.com/weftgo/weft/pool (its Group, Map and MapSeq) is simpler.
//
// # Making futures
//
//   - [Go] runs a function on its own goroutine.
//   - [Submit] runs it on a weft pool.Pool or an [Executor] (bounded
//     concurrency); [TrySubmit] never blocks.
//   - [NewPromise] makes a future that you complete by hand, to adapt
//     callback APIs.
//   - [Then] and [Compose] chain a future into the next computation. Go has
//     no generic methods, so combinators that change the type are functions.
//
// # Waiting
//
// [Future.Result] waits with a context; [Future.Done] is a channel for
// select; [Wait] and [AsCompleted] watch many futures at O(1) cost each, with
// internal callbacks rather than a goroutine per future; [All], [AllSettled],
// [Any] and [Race] combine them. For an ordered, lazy, bounded parallel map
// over an iter.Seq (Python's executor.map), use pool.MapSeq: it needs no
// future per element.
//
// # Cancellation
//
// [Future.Cancel] stops a task that has not started (it never runs, its
// error is [ErrCanceled], which also matches context.Canceled) and cancels
// the context of a task that is running; its return value says which
// happened. [Executor.Shutdown] can cancel every queued future at once.
//
// # Panics
//
// A panic in a task becomes the future's error, a [*PanicError] with the
// value and stack. A panic in a done-callback is recovered too and never
// lost: it is kept on the future ([Future.CallbackErr]) and returned by
// whatever ran the callback — [Future.OnDone] if the future was already done,
// the [Promise] method that completed it, or, for a future run by a pool or
// an [Executor], the pool task's error (pool.Wait, [Executor.Shutdown] or the
// pool's error handler).
//
// # Misuse
//
// Misuse panics at once, with a message that starts with "future: ", and
// leaves nothing locked: a recovered panic leaves the values involved as they
// were. Misuse is a nil context ("future: nil Context") given to any function
// or method, a nil func or a nil future, an invalid [ReturnWhen],
// [Promise.Reject] with a nil error, and a zero [Promise], [Executor] or
// [Future] (see each type for what its zero value allows).
// Conditions of the run, such as a closed executor or a promise completed
// twice, are errors instead ([ErrClosed], [ErrAlreadyCompleted]).
//
// # From concurrent.futures to weft
//
//	concurrent.futures                     weft future
//	------------------                     -----------
//	ThreadPoolExecutor(max_workers=n)      NewExecutor(n)
//	executor.submit(fn, *args)             Submit(ctx, executor, fn)
//	executor.map(fn, it, timeout,          pool.MapSeq(ctx, p, it, fn, pool.WithWindow(k))
//	    buffersize=k)                          (timeout: context.WithTimeout; p a *pool.Pool)
//	executor.shutdown(wait=True,           executor.Shutdown(ctx, cancelFutures)
//	    cancel_futures=c)
//	executor.shutdown(wait=False, ...)     executor.Close(cancelFutures)
//	(no equivalent)                        executor.Stop() — also cancels running tasks
//	Future                                 *Future[T]
//	future.result(timeout)                 f.Result(ctx)  (timeout: context.WithTimeout)
//	future.exception(timeout)              _, err := f.Result(ctx)
//	future.done()                          f.State() >= Finished, or <-f.Done()
//	future.running()                       f.State() == Running
//	future.canceled()                     f.State() == Canceled
//	future.cancel()                        f.Cancel() == Canceled
//	future.add_done_callback(fn)           f.OnDone(fn)
//	Future() + set_result / set_exception  NewPromise[T](); p.Resolve(v) / p.Reject(err)
//	future.set_running_or_notify_cancel()  p.Context() is done once the future is canceled
//	InvalidStateError                      ErrAlreadyCompleted
//	CancelledError                         ErrCanceled (errors.Is(err, context.Canceled))
//	TimeoutError                           context.DeadlineExceeded (from ctx)
//	BrokenExecutor                         (none: panics become *PanicError, workers survive)
//	wait(fs, timeout, return_when)         Wait(ctx, when, fs...) (done, notDone, err)
//	FIRST_COMPLETED, FIRST_EXCEPTION,      FirstCompleted, FirstError,
//	ALL_COMPLETED                          AllCompleted
//	as_completed(fs, timeout)              for f := range AsCompleted(ctx, fs...)
//	(asyncio.gather / Promise.all)         All(ctx, fs...)
//	(Promise.allSettled)                   AllSettled(ctx, fs...)
//	(Promise.any / Promise.race)           Any(ctx, fs...) / Race(ctx, fs...)
//	(Java thenApply / thenCompose)         Then(f, fn) / Compose(f, fn)
//	(threading.Thread + Future)            Go(ctx, fn)
//
// # Costs
//
// A completed Future[int] that nobody waited on is one 80-byte object (the
// bar is 96); the done channel is allocated only when someone parks on the
// future, and a done-callback costs one small node. Submit on a pool adds a
// 16-byte closure to the pool's own cost; Result on a done future is a load
// and costs about 2ns. Wait and AsCompleted cost O(1) per future: one
// callback node (all nodes of a call in one slice) for a pending future, one
// map entry (for de-duplication) for a future already done.
//
// On the 2-core reference machine (benchmarks module, medians of 10 runs):
// submit + Result on a pool is a 580 ns round trip (goroutine + channel:
// 430 ns; pond's result task: 3.1 µs), about 115 ns per task when
// submissions are pipelined; [Go] + Result is 330 ns. [AsCompleted] costs
// about 75 ns and [Wait] about 70 ns per pending future, from 10k to 100k
// futures (less at 1k, where everything stays in cache).
package future
