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
//   - [Submit] runs it on a [Runner]: a weft pool.Pool, a pool.Group or an
//     [Executor] (bounded concurrency); [TrySubmit] never blocks.
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
// [Any] and [Race] combine them.
//
// For an ordered, lazy, bounded parallel map over an iter.Seq (Python's
// executor.map), use pool.MapSeq: it yields each result with its error and
// needs no future per element.
//
// # Cancellation
//
// [Future.Cancel] stops a task that has not started (it never runs, its
// error is [ErrCanceled], which also matches context.Canceled) and cancels
// the context of a task that is running; its return value says which
// happened. [Executor.Stop] cancels every future still queued at once, and
// the context of every task running.
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
// or method, a nil func, a nil *Future or *Executor (given to a function or
// used to call a method), an invalid [ReturnWhen],
// [Promise.Reject] with a nil error, and a zero [Promise], [Executor] or
// [Future] (see each type for what its zero value allows).
// Conditions of the run, such as a closed executor or a promise completed
// twice, are errors instead ([ErrClosed], [ErrAlreadyCompleted]).
//
// # From concurrent.futures to weft
//
//	concurrent.futures                     weft future
//	------------------                     -----------
//	ThreadPoolExecutor(max_workers=n)      NewExecutor(n), or p := pool.New(n)
//	executor.submit(fn, *args)             Submit(ctx, executor, fn), or Submit(ctx, p, fn)
//	executor.map(fn, it, timeout,          for v, err := range pool.MapSeq(ctx, p, it, fn,
//	    buffersize=k)                          pool.WithWindow(k))  (timeout: context.WithTimeout)
//	with ThreadPoolExecutor(n) as e:       e := NewExecutor(n); defer e.Shutdown(ctx)
//	executor.shutdown(wait=True)           executor.Shutdown(ctx)  (ctx bounds the wait)
//	executor.shutdown(wait=False)          executor.Close()
//	executor.shutdown(cancel_futures=True) executor.Stop()  (also cancels running tasks;
//	                                           returns how many queued tasks it dropped)
//	Future                                 *Future[T]
//	future.result(timeout)                 f.Result(ctx)  (timeout: context.WithTimeout)
//	future.exception(timeout)              _, err := f.Result(ctx)
//	future.done()                          f.State() >= Finished, or <-f.Done()
//	future.running()                       f.State() == Running
//	future.cancelled()                     f.State() == Canceled
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
// What a porter must know: [Future.Cancel] also cancels a running task,
// through its context, where Python's cancel fails. Python's executor.map
// raises the first failed element's exception and stops; pool.MapSeq yields
// each element's error and goes on, so break at the first error, or pass
// pool.WithFailFast to also cancel the calls in flight. MapSeq reads at most
// twice the pool's limit ahead unless pool.WithWindow says otherwise. The
// map runs on a *pool.Pool: a pool takes [Submit] too, so one pool can
// serve both where a Python program shares one executor.
//
// # Costs
//
// A completed Future[int] that nobody waited on is one 80-byte object; one
// submitted to a pool is one 96-byte object, since it keeps room for the
// pool's context of its run (the context given to [Submit] must be
// context.Background, context.TODO or its group's for that: the run's
// context of a task given another one is an allocation of its own). Its done channel is allocated only if
// [Future.Done] is called, or [Future.Result] blocks, before it completes; a
// done-callback adds one small node. [Future.Result] on a done future does
// not allocate. [Wait] and [AsCompleted] allocate per call, not per future
// watched: one callback node for each pending future, all the nodes of a
// call in one slice, so that their allocations do not grow with their
// number; the futures already done go in a map, for de-duplication, which
// grows with them.
//
// Measured with go test -run '^$' -bench . -count 5 ./future on a shared
// 2-core Xeon, medians:
//
//	Go + Result                       420 ns, 2 allocations (goroutine + channel: 520 ns)
//	Submit + Result on a pool.Pool    480 ns, one allocation
//	Submit + Result on an Executor    490 ns, one allocation
//	NewPromise + Resolve              69 ns, one allocation of 80 bytes
//	Result on a done future           1.7 ns, no allocation
//	AsCompleted, per future           101 ns for 1,000 futures, 121 ns for 10,000
//	Wait, per pending future          58 ns for 1,000 futures, 69 ns for 10,000
//
// AsCompleted's figure includes completing each future from the loop;
// Wait's is registering and removing its callback (FirstCompleted with one
// future done). The work per future is constant; the time per future grows
// a little with the number of futures through cache misses.
package future
