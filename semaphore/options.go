package semaphore

import (
	"fmt"
	"time"

	"github.com/weftgo/weft/observe"
)

// Policy decides who gets permits when there are not enough for everyone.
// Under every policy a Release hands permits straight to waiters or wakes
// only a waiter whose whole request fits in the permits then free, never
// one that is sure to go back to sleep. Under [Fair] and [Barging] a new
// request may still take those permits before the woken waiter runs; the
// waiter then waits again, first in line.
type Policy int

const (
	// Fair, the default, serves waiters in arrival order and never starves
	// a request, whatever its size. To avoid convoys (every Acquire parking
	// behind a queue that never drains, a context switch per call) it
	// borrows the rule of sync.Mutex: while the request at the head of the
	// queue has waited less than 1 ms, a new request may take free permits
	// ahead of it, and a woken waiter competes for its permits instead of
	// being handed them. Once the head has waited 1 ms, the next change
	// that finds it still waiting — a Release, a waiter giving up, a
	// SetLimit, or the head's own next attempt if it was woken and lost
	// its permits — switches the semaphore to strict
	// [FIFO] hand-off (released permits go to the queue in order, new
	// requests queue behind it) until the backlog is served. The switch is
	// made there rather than by a timer: until then a new request may still
	// take free permits ahead of the head.
	// The cost of fairness is head-of-line blocking in that mode: free
	// permits stay unused while the head waits for enough of them.
	Fair Policy = iota

	// FIFO serves requests strictly in arrival order: once a request waits,
	// every later request queues behind it, and released permits are handed
	// to the queue in order (the behaviour of golang.org/x/sync/semaphore).
	// It gives the most predictable ordering, at the cost of head-of-line
	// blocking and of a context switch per Acquire while the semaphore is
	// saturated: a queue fed by goroutines that re-acquire at once never
	// drains.
	FIFO

	// Barging grants every request that fits as soon as it fits. Waiters
	// are still considered in arrival order, but one that does not fit no
	// longer blocks those behind it, and a new request (including
	// [Weighted.TryAcquire]) takes free permits even while others wait. It
	// keeps permits busy with mixed request sizes, at the price that a large
	// request can be starved by a steady stream of small ones.
	Barging
)

// starveAfter is how long the head of the queue may wait under [Fair]
// before the semaphore switches to strict hand-off.
const starveAfter = time.Millisecond

// String returns "Fair", "FIFO" or "Barging".
func (p Policy) String() string {
	switch p {
	case Fair:
		return "Fair"
	case FIFO:
		return "FIFO"
	case Barging:
		return "Barging"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// Option configures [New] and [NewKeyed]; a nil Option panics there.
type Option interface {
	apply(*config)
}

type config struct {
	policy Policy
	obs    observe.Observer
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithPolicy selects the queueing policy. The default is [Fair]. An unknown
// policy panics.
func WithPolicy(p Policy) Option {
	if p != Fair && p != FIFO && p != Barging {
		panic("semaphore: unknown policy")
	}
	return optionFunc(func(c *config) { c.policy = p })
}

// WithObserver reports the semaphore's acquisitions and releases to o:
//
//   - [observe.Acquired] when Acquire, TryAcquire or Do obtains permits:
//     Weight is the number obtained (0 for Acquire(ctx, 0) and
//     TryAcquire(0)), Wait how long the call waited in the queue, measured
//     from when it queued to when it returned; it is 0, and the clock is not
//     read, when the permits were obtained without queueing;
//   - [observe.Rejected] when Acquire or Do fails, or TryAcquire returns
//     false: Weight is the number asked for, Err the error Acquire returns
//     (the context's cause, [ErrClosed], an error wrapping
//     [ErrExceedsLimit]) or, for TryAcquire, [ErrClosed], [ErrExceedsLimit]
//     or [ErrNoPermits], and Wait as for Acquired;
//   - [observe.Released] when Release gives back n > 0 permits: Weight is n.
//
// A [Keyed] reports the same events for every key, without the key.
//
// The events are reported on the calling goroutine, after the operation
// took effect and with no lock of the semaphore held, so Observe may call
// the semaphore's methods. Events of different goroutines may arrive in
// either order: a waiter's Acquired may come before the Released that
// granted it. Without an observer the semaphore reads no clock
// and its uncontended paths cost what they cost before: one nil check. A
// nil o panics.
func WithObserver(o observe.Observer) Option {
	if o == nil {
		panic("semaphore: nil Observer")
	}
	return optionFunc(func(c *config) { c.obs = o })
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o == nil {
			panic("semaphore: nil Option")
		}
		o.apply(&c)
	}
	return c
}
