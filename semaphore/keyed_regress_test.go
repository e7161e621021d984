package semaphore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/semaphore"
)

// Acquire(ctx, key, 0) holds nothing and waits for nothing, so it must not
// leave key in use: Len counts "keys with permits held or requests
// waiting", and memory is bounded by the keys in use. Found by FuzzKeyed.
func TestKeyedAcquireZeroLeavesNoKey(t *testing.T) {
	for _, p := range []semaphore.Policy{semaphore.Fair, semaphore.FIFO, semaphore.Barging} {
		t.Run(p.String(), func(t *testing.T) {
			ctx := context.Background()
			k := semaphore.NewKeyed[string](1, semaphore.WithPolicy(p))
			require.NoError(t, k.Acquire(ctx, "a", 0))
			assert.Equal(t, 0, k.Len(), "after Acquire(a, 0)")

			// Nor while fn of a Do of 0 permits runs.
			require.NoError(t, k.Do(ctx, "b", 0, func() error {
				assert.Equal(t, 0, k.Len(), "in Do(b, 0)")
				return nil
			}))
			assert.Equal(t, 0, k.Len())

			// On a key in use, it leaves the key as it was.
			require.NoError(t, k.Acquire(ctx, "c", 1))
			require.NoError(t, k.Acquire(ctx, "c", 0))
			assert.Equal(t, 1, k.Len())
			k.Release("c", 1)
			assert.Equal(t, 0, k.Len())
		})
	}
}
