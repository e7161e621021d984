package semaphore

import (
	"errors"
)

// ErrClosed is returned by Acquire (and Do) once the semaphore has been
// closed with [Weighted.Close] or [Keyed.Close], including to callers that
// were already waiting when it was closed.
var ErrClosed = errors.New("semaphore: closed")

// ErrExceedsLimit is returned by Acquire (and Do) for a request of more
// permits than the limit. Such a request could never be granted, so it fails
// at once instead of blocking until its context ends. A waiter whose request
// no longer fits after [Weighted.SetLimit] lowered the limit fails with it
// too. The returned error wraps ErrExceedsLimit and names both numbers.
var ErrExceedsLimit = errors.New("semaphore: request exceeds the limit")

// ErrNoPermits is the reason an observer is given when
// [Weighted.TryAcquire] fails because the permits are not free (or, under
// [FIFO] or in [Fair]'s hand-off mode, because others wait for them). No
// method returns it.
var ErrNoPermits = errors.New("semaphore: no permits free")
