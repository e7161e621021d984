package semaphore

import (
	"context"

	"github.com/weftgo/weft/internal/panics"
)

// Do acquires n permits, calls fn while holding them, and releases them
// when fn returns, panics, or calls runtime.Goexit.
//
// If the permits cannot be acquired, Do returns the error from
// [Weighted.Acquire] (context, [ErrClosed], [ErrExceedsLimit]) without
// calling fn. Otherwise it returns fn's error, or a [*PanicError] carrying
// the panic value and stack if fn panicked; the panic does not propagate.
// If fn calls runtime.Goexit the permits are released and the goroutine
// exits as usual.
//
// A nil ctx, a nil fn or a negative n panics before anything is acquired.
func (s *Weighted) Do(ctx context.Context, n int64, fn func() error) error {
	checkContext(ctx)
	checkFunc(fn)
	if err := s.Acquire(ctx, n); err != nil {
		return err
	}
	defer s.Release(n)
	return panics.Run[PanicError](fn, nil)
}
