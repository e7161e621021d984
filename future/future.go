package future

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/weftgo/weft/internal/shake"
)

// Future is the eventual result of a computation: a value of type T or an
// error. Futures are made by [Go], [Submit] (on a pool or an [Executor]),
// [NewPromise] and the combinators. The zero value is not a future: on it
// [Future.State] reports Pending, [Future.TryResult] reports not done,
// [Future.CallbackErr] returns nil, and every other use (its methods, [Wait],
// [AsCompleted], the combinators) panics at once with a message naming the
// constructors, since nothing could ever complete it.
//
// All methods are safe for concurrent use by any number of goroutines.
// Completing a future synchronizes before every [Future.Result] that returns
// its value, before the close of [Future.Done] is observed, and before every
// done-callback runs. A Future must not be copied after first use.
//
// A completed Future[int] that nobody waited on occupies 80 bytes; the done
// channel is allocated only when someone asks for it.
type Future[T any] struct {
	_     noCopy
	state atomic.Uint32 // State | ctxDoneBit | parentDoneBit
	mu    sync.Mutex    // guards transitions and *ext
	ext   atomic.Pointer[ext[T]]
	cbs   *callback[T] // pending done-callbacks, newest first; guarded by mu
	val   T
	err   error
	// fn is the task, until the goroutine that starts it takes it.
	fn func(context.Context) (T, error)
	// parent is the context the task's context derives from, set when the
	// task starts (at creation for promises and derived futures).
	parent context.Context
}

// ext holds what only some futures need. Allocated on first use, under mu.
type ext[T any] struct {
	done      chan struct{} // closed on completion
	ctxDone   chan struct{} // Done channel of the task's context
	stopAfter func() bool   // unregisters the AfterFunc on parent
	afters    *afterFunc    // registered with the task context's AfterFunc
	cbErr     error         // panics of done-callbacks, joined
}

// State reports the current state. It never blocks.
func (f *Future[T]) State() State {
	checkNotNil(f)
	return State(f.state.Load() & stateMask)
}

// errNilFuture is the panic value of every use of a nil *Future: a method
// called on one, or one given to a function.
const errNilFuture = "future: nil *Future"

// checkNotNil panics if f is nil. Every method checks, directly or through
// State, before it touches f.
func checkNotNil[T any](f *Future[T]) {
	if f == nil {
		panic(errNilFuture)
	}
}

// Done returns a channel that is closed when the future is Finished or
// Canceled, for use in select. Successive calls return the same channel. It
// is allocated by the first call made before completion; a future first
// asked once done returns a closed channel shared by all futures.
func (f *Future[T]) Done() <-chan struct{} {
	if f.State().final() {
		// Written under mu before the completion published the state.
		if e := f.ext.Load(); e != nil && e.done != nil {
			return e.done
		}
		return closedChan
	}
	f.mu.Lock()
	f.checkMadeLocked()
	defer f.mu.Unlock()
	if f.State().final() {
		if e := f.ext.Load(); e != nil && e.done != nil {
			return e.done
		}
		return closedChan
	}
	e := f.extLocked()
	if e.done == nil {
		e.done = make(chan struct{})
	}
	return e.done
}

// Result waits until the future is done or ctx ends. It returns the task's
// value and error, [ErrCanceled] if the future was canceled before it ran,
// a [*PanicError] if the task panicked, and context.Cause(ctx) (with the zero
// value) if ctx ended first, in which case the future is left untouched. A
// nil ctx panics, even if the future is done.
//
// A task that waits for a future it submitted to its own pool or [Executor]
// with its own context cannot deadlock a saturated pool: such a Submit runs
// the task in the caller's slot when no worker is free (see [Submit]).
// Waiting from a task for a future that someone else queued on the same
// saturated pool is not protected: it waits for a free worker.
func (f *Future[T]) Result(ctx context.Context) (T, error) {
	if ctx == nil {
		panic(errNilContext)
	}
	if f.State().final() {
		return f.val, f.err
	}
	// A task just handed to a worker usually finishes within a few
	// scheduling rounds; yielding a little first often saves parking.
	for range spinYields {
		runtime.Gosched()
		if f.State().final() {
			return f.val, f.err
		}
	}
	select {
	case <-f.Done():
		return f.val, f.err
	case <-ctx.Done():
		var zero T
		return zero, context.Cause(ctx)
	}
}

// TryResult is the non-blocking twin of [Future.Result]: ok is false if the
// future is not done yet.
func (f *Future[T]) TryResult() (v T, err error, ok bool) {
	if !f.State().final() {
		return v, nil, false
	}
	return f.val, f.err, true
}

// Cancel asks the future to stop and reports what it did, as the state the
// future was in:
//
//   - Pending: the future is now Canceled, its task will never run, its
//     error is [ErrCanceled] and its callbacks have run; Cancel returns
//     Canceled.
//   - Running: the task's context is canceled; the task decides when to
//     return and what (typically ctx.Err()). Cancel returns Running.
//   - Finished or Canceled: nothing happens; Cancel returns that state.
//
// Cancel never blocks on the task. It is idempotent.
func (f *Future[T]) Cancel() State {
	checkNotNil(f)
	return f.cancel(false)
}

// cancel is Cancel; with onlyPending it leaves a running task alone.
func (f *Future[T]) cancel(onlyPending bool) State {
	f.mu.Lock()
	f.checkMadeLocked()
	for {
		s := f.state.Load()
		switch State(s & stateMask) {
		case Pending:
			// Publish the error with the state: readers that see the final
			// state read err without the lock.
			f.err = ErrCanceled
			if !f.state.CompareAndSwap(s, uint32(Canceled)|ctxDoneBit|s&parentDoneBit) {
				f.err = nil
				continue
			}
			f.fn = nil
			cbs, stop, afters := f.releaseLocked(s)
			f.mu.Unlock()
			shake.Point(shake.FutureComplete)
			runAfters(afters)
			f.finish(cbs, stop)
			return Canceled
		case Running:
			var afters *afterFunc
			if s&ctxDoneBit == 0 && !onlyPending {
				if !f.state.CompareAndSwap(s, s|ctxDoneBit) {
					continue
				}
				afters = f.ctxDoneLocked()
			}
			f.mu.Unlock()
			runAfters(afters)
			return Running
		default:
			f.mu.Unlock()
			return State(s & stateMask)
		}
	}
}

const errZeroFuture = "future: Future must be made with Go, Submit, NewPromise or a combinator"

// zeroLocked reports whether f is a zero Future: pending with neither a task
// nor a parent context. Every constructor sets one of them, and a task is
// dropped only once the future is done. Reading f.parent is race-free here:
// only a future with a task sets it after creation.
func (f *Future[T]) zeroLocked() bool {
	return f.State() == Pending && f.fn == nil && f.parent == nil
}

// isZero is zeroLocked for a caller that does not hold f.mu.
func (f *Future[T]) isZero() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.zeroLocked()
}

// checkMadeLocked panics, unlocking f.mu first, if f is a zero Future.
func (f *Future[T]) checkMadeLocked() {
	if f.zeroLocked() {
		f.mu.Unlock()
		panic(errZeroFuture)
	}
}

func (f *Future[T]) extLocked() *ext[T] {
	e := f.ext.Load()
	if e == nil {
		e = new(ext[T])
		f.ext.Store(e)
	}
	return e
}

// complete moves a Pending or Running future to Finished. It returns false if
// the future was already done, and the callbacks' panics otherwise.
func (f *Future[T]) complete(v T, err error) (bool, error) {
	f.mu.Lock()
	if f.State().final() {
		f.mu.Unlock()
		return false, nil
	}
	// Write the result before publishing the state: readers that see a final
	// state read it without the lock. Only a Pending→Running start can race
	// this transition, and it does not touch the result.
	f.val, f.err = v, err
	var old uint32
	for {
		old = f.state.Load()
		if f.state.CompareAndSwap(old, uint32(Finished)|ctxDoneBit|old&parentDoneBit) {
			break
		}
	}
	f.fn = nil
	cbs, stop, afters := f.releaseLocked(old)
	f.mu.Unlock()
	shake.Point(shake.FutureComplete)
	runAfters(afters)
	return true, f.finish(cbs, stop)
}

// releaseLocked wakes the waiters of a future that has just become final and
// detaches its callbacks; if the task context was not done yet, it is now,
// and the functions registered with its AfterFunc are returned to be run
// once f.mu is released. old is the state word before the transition.
func (f *Future[T]) releaseLocked(old uint32) (*callback[T], func() bool, *afterFunc) {
	cbs := f.cbs
	f.cbs = nil
	e := f.ext.Load()
	if e == nil {
		return cbs, nil, nil
	}
	if e.done != nil {
		close(e.done)
	}
	var afters *afterFunc
	if old&ctxDoneBit == 0 {
		afters = f.ctxDoneLocked()
	}
	stop := e.stopAfter
	e.stopAfter = nil
	return cbs, stop, afters
}

type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// spinYields is how many times Result yields the processor before parking.
const spinYields = 1
