// Package semaphore provides weighted, resizable, closable semaphores that
// honour a context, and a per-key family of them.
//
// Use a [Weighted] to bound how much of something is in use at once:
// goroutines, connections, bytes of memory. Each request takes a number of
// permits out of a limit, and waits, in arrival order, while there are not
// enough. Compared with golang.org/x/sync/semaphore it adds:
//
//   - a choice of [Policy]: [Fair] (the default: no request is ever
//     starved, yet no convoy forms under load), strict [FIFO], or [Barging];
//   - [Weighted.SetLimit] to resize at run time, [Weighted.Close] to fail
//     every waiter, and [Weighted.Limit], [Weighted.Held],
//     [Weighted.Available] and [Weighted.Waiting] to look inside;
//   - [Weighted.Do], which runs a function while holding permits and
//     releases them even if it panics;
//   - [Keyed], one semaphore per key (per host, per tenant), created on
//     demand and dropped when idle;
//   - [WithObserver], which reports acquisitions (with the time waited),
//     rejections and releases to an Observer of package
//     [github.com/weftgo/weft/observe], for metrics;
//   - no allocation and a single atomic operation on the uncontended paths,
//     and no allocation while waiting once warmed up.
//
// Compared with a buffered channel it weighs requests, can be resized and
// closed, and reports its state; under contention it is also faster,
// because a channel hands each slot to the next blocked sender and so
// forces a context switch per operation once it is saturated.
//
// A context that is already done makes Acquire fail at once, even when
// permits are free, as in golang.org/x/sync/semaphore; and a waiter whose
// context ends before the Release that would grant it fails, however the
// two race.
//
// Misuse panics at once, before any lock is taken, with a message starting
// with "semaphore:": a nil Context, a nil func passed to Do, a nil Option,
// a negative limit or count, a zero [Keyed], or releasing more permits
// than are held (the guarantee Python's BoundedSemaphore gives).
//
// A typical use bounds concurrent work:
//
//	sem := semaphore.New(4)
//	for _, job := range jobs {
//		if err := sem.Acquire(ctx, 1); err != nil {
//			return err
//		}
//		go func() {
//			defer sem.Release(1)
//			job.Run()
//		}()
//	}
package semaphore
