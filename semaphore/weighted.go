package semaphore

import (
	"context"
	"sync/atomic"

	"github.com/weftgo/weft/internal/shake"
	"github.com/weftgo/weft/observe"
)

// MaxLimit is the largest limit [New] and [Weighted.SetLimit] accept.
const MaxLimit = 1 << 58

// The state word packs the permits available (limit minus held; negative
// after a shrink while surplus permits are still held) with four flags, so
// that each uncontended path is a single atomic operation on it: a
// compare-and-swap to acquire, an add to release.
const (
	// flagWaiters: the queue is not empty.
	flagWaiters = 1 << iota
	// flagClosed: Close was called.
	flagClosed
	// flagHandoff: released permits are handed to the queue in order and
	// new requests queue behind it (FIFO, or Fair after starveAfter).
	flagHandoff
	// flagWoken: a waiter was taken off the queue and woken to compete for
	// permits, and has not run yet. While it is set, releases need not wake
	// anyone: the woken waiter passes the turn on when it runs.
	flagWoken

	stateShift = 4
)

// Weighted is a counting semaphore whose requests have weights: Acquire(ctx,
// n) takes n permits out of a limit and Release(n) gives them back.
//
// Requests that cannot be served at once wait in a queue in arrival order
// and are served by the [Policy] chosen with [WithPolicy] (by default
// [Fair]: no request is ever starved). Waiting never spins: a waiter parks
// on a channel of its own, and is woken only when its whole request can be
// granted.
//
// The zero value is a [Fair] semaphore with a limit of zero: usable once
// [Weighted.SetLimit] raises the limit, but [New] is the usual constructor.
// A Weighted must not be copied after first use. All methods are safe for
// concurrent use. Inside a testing/synctest bubble, create the semaphore
// inside the bubble: it keeps channels for reuse.
//
// In the terminology of the Go memory model, a Release of permits
// synchronizes before any Acquire or TryAcquire that obtains those permits
// returns.
//
// Costs: when permits are free, Acquire and TryAcquire are one atomic
// compare-and-swap each; Release is one atomic add, which never has to be
// retried however many goroutines release at once, and takes the lock
// only when it has a waiter to serve. None of them allocates. A waiter
// does not allocate either once the semaphore has seen as many
// simultaneous waiters as it is seeing now: waiter records are reused, and
// kept until the semaphore is garbage, so their memory is bounded by the
// peak number of waiters.
type Weighted struct {
	_ noCopy

	state   atomic.Int64 // available<<stateShift | flags
	mu      spinLock
	head    *waiter // guarded by mu
	tail    *waiter // guarded by mu
	closed  bool    // guarded by mu
	waiting atomic.Int64
	free    atomic.Pointer[waiter] // pushed by anyone, popped with mu held
	policy  Policy                 // set by New only
	obs     observe.Observer       // set by New only; nil reports nothing

	// Read by every Release and rarely written: SetLimit, with mu held,
	// makes gen odd, updates limit and the state, and makes gen even
	// again, so that a Release that saw the same even gen before and after
	// its add knows the limit its add was made under (a seqlock). The two
	// are last, at least a cache line past state, so that reading them
	// does not fetch the line that every Acquire and Release writes.
	gen   atomic.Uint64
	limit atomic.Int64
}

// New returns a semaphore with the given limit and options. It panics if
// limit is negative or larger than [MaxLimit].
func New(limit int64, opts ...Option) *Weighted {
	checkLimit(limit)
	c := newConfig(opts)
	s := &Weighted{policy: c.policy, obs: c.obs}
	s.limit.Store(limit)
	s.state.Store(limit << stateShift)
	return s
}

// Acquire takes n permits, blocking until they are granted, ctx is done, or
// the semaphore is closed. It returns nil once the caller holds the n
// permits; give them back with [Weighted.Release].
//
// On failure Acquire holds nothing and leaves the semaphore as if it had not
// been called: a waiter that gives up does not keep permits, even when its
// cancellation races their grant (they are passed on to the waiters behind
// it), and a waiter at the head of the queue that gives up lets the ones
// behind it proceed. It returns
//   - context.Cause(ctx) if ctx is done before the permits are granted. An
//     already-done ctx fails at once, even when the permits are free, and so
//     does a waiter whose ctx ended before the Release that would grant it,
//     as with golang.org/x/sync/semaphore: a canceled context does not
//     start new work. The context is checked before anything else;
//   - [ErrClosed] if the semaphore is closed before the permits are granted;
//   - an error wrapping [ErrExceedsLimit] at once if n is larger than the
//     limit, or later if [Weighted.SetLimit] lowers the limit below n while
//     the call waits.
//
// Acquire(ctx, 0) returns nil at once unless ctx is done or the semaphore
// is closed. A nil ctx or a negative n panics.
func (s *Weighted) Acquire(ctx context.Context, n int64) error {
	checkContext(ctx)
	shake.Point(shake.SemAcquire)
	// Err, not Done: on a cancelCtx it is one atomic load, while Done
	// makes the context allocate its channel.
	if n > 0 && ctx.Err() == nil && s.tryFast(n) {
		if s.obs != nil {
			s.obs.Observe(observe.Event{Kind: observe.Acquired, Weight: n})
		}
		return nil
	}
	return s.acquireSlow(ctx, n)
}

// TryAcquire takes n permits if it can do so without waiting and reports
// whether it did. It never blocks.
//
// TryAcquire follows the policy exactly as a new Acquire would. Under
// [FIFO] it respects the queue: it fails whenever anyone waits, even if n
// permits are free, because taking them would let a stream of TryAcquire
// calls starve the request at the head of the queue, which is what FIFO
// promises not to do (x/sync/semaphore behaves the same). Under [Barging]
// it takes any free permits. Under [Fair] it takes free permits unless the
// semaphore is in its strict hand-off mode, so it can delay a waiter by at
// most the same bounded amount as any other new request.
//
// TryAcquire fails if n is larger than the limit or the semaphore is closed.
// TryAcquire(0) reports whether the semaphore is open. A negative n panics.
func (s *Weighted) TryAcquire(n int64) bool {
	var ok bool
	if n > 0 {
		ok = s.tryFast(n)
	} else {
		checkCount(n)
		ok = s.state.Load()&flagClosed == 0
	}
	if s.obs != nil {
		s.observeTry(n, ok)
	}
	return ok
}

// tryFast takes n > 0 permits with a compare-and-swap if they are free and
// the policy lets a new request take them.
func (s *Weighted) tryFast(n int64) bool {
	for {
		st := s.state.Load()
		if st&(flagClosed|flagHandoff) != 0 || st>>stateShift < n {
			return false
		}
		if s.state.CompareAndSwap(st, st-n<<stateShift) {
			return true
		}
	}
}

// Release gives back n permits, handing them to waiters or waking the
// waiter they satisfy, as the policy says. It never blocks and may be
// called after [Weighted.Close], so holders can give back what they hold.
//
// Release panics with "semaphore: released more than held" if n is larger
// than the number of permits held, and panics if n is negative.
// Release(0) does nothing. A Release that panics takes back the permits it
// gave, so that used by one goroutine the semaphore is left as it was; but
// while it runs, other goroutines may see the extra permits free, and an
// Acquire that takes them then holds permits beyond the limit until it
// releases them.
func (s *Weighted) Release(n int64) {
	shake.Point(shake.SemRelease)
	// One comparison for the rare counts: n <= 0, or n > MaxLimit, more
	// than can ever be held.
	if uint64(n-1) >= MaxLimit {
		releaseRare(n)
		return
	}
	g, limit := s.gen.Load(), s.limit.Load()
	if g&1 != 0 { // SetLimit is half-way
		s.releaseSlow(n)
		return
	}
	st := s.state.Add(n << stateShift)
	// Over-release check: n > held before the add, where held = limit -
	// available, is available > limit after it. It is exact if gen did not
	// move: then the add was made under this limit; otherwise it is not
	// made here. Available is never below -MaxLimit, so a result below it
	// is an add that overflowed the state, which only an over-release can
	// do. A check that fails or is not made is not yet a panic: the add is
	// undone, and releaseSlow checks again with the lock held, where no
	// SetLimit is half-way. The permits were visible in between;
	// golang.org/x/sync/semaphore too changes its state before it panics
	// (and leaves it changed).
	if a := st >> stateShift; a > limit || a < -MaxLimit || s.gen.Load() != g {
		s.state.Add(-n << stateShift)
		s.releaseSlow(n)
		return
	}
	// In hand-off mode, or when a waiter must be woken (someone waits and
	// nobody is woken yet), the permits just added are the queue's. After
	// Close the queue is empty for good: nothing to do.
	if st&flagHandoff != 0 || st&(flagWaiters|flagWoken) == flagWaiters {
		s.serveReleased()
	}
	if s.obs != nil {
		s.obs.Observe(observe.Event{Kind: observe.Released, Weight: n})
	}
}

// releaseRare is Release of n <= 0 or n > MaxLimit.
func releaseRare(n int64) {
	if checkCount(n); n > 0 {
		panic("semaphore: released more than held")
	}
}

func checkContext(ctx context.Context) {
	if ctx == nil {
		panic("semaphore: nil Context")
	}
}

func checkFunc(fn func() error) {
	if fn == nil {
		panic("semaphore: nil func")
	}
}

func checkCount(n int64) {
	if n < 0 {
		panic("semaphore: negative permit count")
	}
}

func checkLimit(limit int64) {
	if limit < 0 {
		panic("semaphore: negative limit")
	}
	if limit > MaxLimit {
		panic("semaphore: limit larger than MaxLimit")
	}
}

// noCopy makes go vet's copylocks check flag copies of a Weighted.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
