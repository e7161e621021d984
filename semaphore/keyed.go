package semaphore

import (
	"context"
	"sync"
	"time"

	"github.com/weftgo/weft/internal/panics"
	"github.com/weftgo/weft/observe"
)

// Keyed is a family of [Weighted] semaphores, one per key, all with the
// same limit and options: for example at most 4 requests in flight per
// host. A key's semaphore is created when the key is first used and dropped
// as soon as no permit of it is held and nobody waits for one, so memory is
// bounded by the keys in use, not by the keys ever seen.
//
// The zero value is not usable: create one with [NewKeyed]. Every method
// of a zero Keyed panics with "semaphore: Keyed must be made with
// NewKeyed", leaving nothing locked. A Keyed must not be copied after first
// use. All methods are safe for concurrent use; the semaphores of different
// keys are independent, except that every method briefly takes one lock
// shared by all keys, so a Keyed suits per-host or per-tenant limits rather
// than millions of operations a second.
//
// Releasing a key's permits synchronizes before the Acquire or TryAcquire
// of the same key that obtains them returns.
type Keyed[K comparable] struct {
	_ noCopy

	limit  int64
	policy Policy
	obs    observe.Observer // reports for every key; the keys' semaphores have none

	mu     sync.Mutex
	sems   map[K]*keyedSem
	closed bool
}

type keyedSem struct {
	Weighted
	// refs counts the permits held plus the Acquire calls in progress;
	// the entry is dropped when it reaches zero. Guarded by Keyed.mu.
	refs int64
}

// NewKeyed returns a Keyed whose semaphores each have the given limit and
// options. It panics if limit is negative or larger than [MaxLimit].
func NewKeyed[K comparable](limit int64, opts ...Option) *Keyed[K] {
	checkLimit(limit)
	c := newConfig(opts)
	return &Keyed[K]{limit: limit, policy: c.policy, obs: c.obs, sems: make(map[K]*keyedSem)}
}

// Acquire takes n permits of key's semaphore, blocking as
// [Weighted.Acquire] does, and returns the same errors (an already-done
// ctx fails at once). A successful Acquire must be matched by a Release of
// the same key. A failed one leaves no key behind that was not in use.
// A nil ctx or a negative n panics.
func (k *Keyed[K]) Acquire(ctx context.Context, key K, n int64) error {
	k.mustBeMade()
	checkContext(ctx)
	checkCount(n)
	if ctx.Err() != nil {
		err := context.Cause(ctx)
		k.report(observe.Rejected, n, time.Time{}, err)
		return err
	}
	k.mu.Lock()
	e, err := k.get(key)
	if err != nil {
		k.mu.Unlock()
		k.report(observe.Rejected, n, time.Time{}, err)
		return err
	}
	if e.TryAcquire(n) {
		e.refs += n
		k.drop(key, e) // n == 0 holds nothing: a new key is not in use
		k.mu.Unlock()
		k.report(observe.Acquired, n, time.Time{}, nil)
		return nil
	}
	e.refs++
	k.mu.Unlock()

	// The wait is measured from when the request queues, as Weighted
	// measures it: one that fails or succeeds without queueing waited 0.
	var queued time.Time
	var noteQueued *time.Time
	if k.obs != nil {
		noteQueued = &queued
	}
	err = e.acquireQueue(ctx, n, noteQueued)

	k.mu.Lock()
	e.refs--
	if err == nil {
		e.refs += n
	}
	k.drop(key, e)
	k.mu.Unlock()
	if err != nil {
		k.report(observe.Rejected, n, queued, err)
	} else {
		k.report(observe.Acquired, n, queued, nil)
	}
	return err
}

// report gives the observer, if any, an event about a request of n permits
// that waited since then (zero: it did not wait). k.mu must not be held.
func (k *Keyed[K]) report(kind observe.Kind, n int64, since time.Time, err error) {
	if k.obs == nil {
		return
	}
	e := observe.Event{Kind: kind, Weight: n, Err: err}
	if !since.IsZero() {
		e.Wait = time.Since(since)
	}
	k.obs.Observe(e)
}

// TryAcquire takes n permits of key's semaphore if it can do so without
// waiting, as [Weighted.TryAcquire] does, and reports whether it did.
func (k *Keyed[K]) TryAcquire(key K, n int64) bool {
	k.mustBeMade()
	checkCount(n)
	k.mu.Lock()
	e, err := k.get(key)
	ok := false
	if err == nil {
		if ok = e.TryAcquire(n); ok {
			e.refs += n
		} else if k.obs != nil {
			err = e.tryFailure(n)
		}
		k.drop(key, e)
	}
	k.mu.Unlock()
	if ok {
		k.report(observe.Acquired, n, time.Time{}, nil)
	} else {
		k.report(observe.Rejected, n, time.Time{}, err)
	}
	return ok
}

// Release gives back n permits of key's semaphore. It panics with
// "semaphore: released more than held" if fewer are held for key.
func (k *Keyed[K]) Release(key K, n int64) {
	k.mustBeMade()
	checkCount(n)
	k.mu.Lock()
	e := k.sems[key]
	if e == nil {
		k.mu.Unlock()
		if n == 0 {
			return
		}
		panic("semaphore: released more than held")
	}
	func() {
		// Release panics on an over-release; the lock must not stay held.
		defer k.mu.Unlock()
		e.Release(n)
		e.refs -= n
		k.drop(key, e)
	}()
	if n > 0 {
		k.report(observe.Released, n, time.Time{}, nil)
	}
}

// Do runs fn while holding n permits of key's semaphore, as [Weighted.Do]
// does: the permits are released however fn ends, and a panic in fn is
// returned as a [*PanicError]. A nil ctx, a nil fn or a negative n panics
// before anything is acquired.
func (k *Keyed[K]) Do(ctx context.Context, key K, n int64, fn func() error) error {
	k.mustBeMade()
	checkContext(ctx)
	checkFunc(fn)
	if err := k.Acquire(ctx, key, n); err != nil {
		return err
	}
	defer k.Release(key, n)
	return panics.Run[PanicError](fn, nil)
}

// Len returns the number of keys in use: keys with permits held or
// requests waiting.
func (k *Keyed[K]) Len() int {
	k.mustBeMade()
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.sems)
}

// Held returns the number of permits of key held right now.
func (k *Keyed[K]) Held(key K) int64 {
	k.mustBeMade()
	k.mu.Lock()
	defer k.mu.Unlock()
	if e := k.sems[key]; e != nil {
		return e.Held()
	}
	return 0
}

// Limit returns the limit of every key's semaphore.
func (k *Keyed[K]) Limit() int64 {
	k.mustBeMade()
	return k.limit
}

// Close closes every key's semaphore, as [Weighted.Close] does: blocked and
// later Acquire calls fail with [ErrClosed], for known and new keys alike.
// Permits held may still be released.
func (k *Keyed[K]) Close() {
	k.mustBeMade()
	k.mu.Lock()
	defer k.mu.Unlock()
	k.closed = true
	for _, e := range k.sems {
		e.Close()
	}
}

// mustBeMade panics if k is a zero Keyed. It reads k.sems without the
// lock: NewKeyed sets the field once, before k is shared.
func (k *Keyed[K]) mustBeMade() {
	if k.sems == nil {
		panic("semaphore: Keyed must be made with NewKeyed")
	}
}

// get returns key's semaphore, creating it if needed. k.mu must be held.
func (k *Keyed[K]) get(key K) (*keyedSem, error) {
	if e := k.sems[key]; e != nil {
		return e, nil
	}
	if k.closed {
		return nil, ErrClosed
	}
	e := &keyedSem{}
	e.policy = k.policy // and no observer: Keyed reports, after unlocking k.mu
	e.limit.Store(k.limit)
	e.state.Store(k.limit << stateShift)
	k.sems[key] = e
	return e, nil
}

// drop forgets key's semaphore if nothing refers to it. k.mu must be held.
func (k *Keyed[K]) drop(key K, e *keyedSem) {
	if e.refs == 0 && k.sems[key] == e {
		delete(k.sems, key)
	}
}
