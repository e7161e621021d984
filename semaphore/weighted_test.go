package semaphore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/semaphore"
)

var policies = []semaphore.Policy{semaphore.Fair, semaphore.FIFO, semaphore.Barging}

func TestAcquireRelease(t *testing.T) {
	ctx := context.Background()
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			s := semaphore.New(5, semaphore.WithPolicy(p))
			require.NoError(t, s.Acquire(ctx, 3))
			assert.Equal(t, int64(3), s.Held())
			assert.Equal(t, int64(2), s.Available())
			assert.True(t, s.TryAcquire(2))
			assert.False(t, s.TryAcquire(1))
			assert.Equal(t, int64(5), s.Held())
			s.Release(5)
			assert.Equal(t, int64(0), s.Held())
			assert.Equal(t, int64(5), s.Available())
			assert.Equal(t, int64(5), s.Limit())
			assert.Equal(t, 0, s.Waiting())
		})
	}
}

func TestZeroCount(t *testing.T) {
	s := semaphore.New(0)
	assert.NoError(t, s.Acquire(context.Background(), 0))
	assert.True(t, s.TryAcquire(0))
	s.Release(0)
	s.Close()
	assert.ErrorIs(t, s.Acquire(context.Background(), 0), semaphore.ErrClosed)
	assert.False(t, s.TryAcquire(0))
}

func TestZeroValue(t *testing.T) {
	var s semaphore.Weighted
	assert.ErrorIs(t, s.Acquire(context.Background(), 1), semaphore.ErrExceedsLimit)
	s.SetLimit(2)
	require.NoError(t, s.Acquire(context.Background(), 2))
	s.Release(2)
}

func TestExceedsLimitFailsAtOnce(t *testing.T) {
	s := semaphore.New(3)
	err := s.Acquire(context.Background(), 4)
	require.ErrorIs(t, err, semaphore.ErrExceedsLimit)
	assert.Equal(t, "semaphore: request exceeds the limit: 4 permits, limit 3", err.Error())
	assert.False(t, s.TryAcquire(4))
	assert.Equal(t, int64(0), s.Held())
}

func TestMisusePanics(t *testing.T) {
	s := semaphore.New(2)
	require.NoError(t, s.Acquire(context.Background(), 1))
	assert.PanicsWithValue(t, "semaphore: released more than held", func() { s.Release(2) })
	assert.Equal(t, int64(1), s.Held(), "a panicking Release changes nothing")
	assert.PanicsWithValue(t, "semaphore: negative permit count", func() { s.Release(-1) })
	assert.PanicsWithValue(t, "semaphore: negative permit count", func() { _ = s.Acquire(context.Background(), -1) })
	assert.PanicsWithValue(t, "semaphore: negative permit count", func() { s.TryAcquire(-1) })
	assert.PanicsWithValue(t, "semaphore: negative limit", func() { semaphore.New(-1) })
	assert.PanicsWithValue(t, "semaphore: limit larger than MaxLimit", func() { semaphore.New(semaphore.MaxLimit + 1) })
	assert.PanicsWithValue(t, "semaphore: negative limit", func() { s.SetLimit(-1) })
	assert.PanicsWithValue(t, "semaphore: unknown policy", func() { semaphore.WithPolicy(7) })
	s.Release(1)
	assert.PanicsWithValue(t, "semaphore: released more than held", func() { s.Release(1) })
	var z semaphore.Weighted
	assert.PanicsWithValue(t, "semaphore: released more than held", func() { z.Release(1) })
}

func TestHugeCounts(t *testing.T) {
	s := semaphore.New(semaphore.MaxLimit)
	require.True(t, s.TryAcquire(semaphore.MaxLimit))
	assert.PanicsWithValue(t, "semaphore: released more than held", func() { s.Release(1<<62 + 1) })
	s.Release(semaphore.MaxLimit)
	assert.Equal(t, int64(semaphore.MaxLimit), s.Available())
}

func TestPolicyString(t *testing.T) {
	assert.Equal(t, "Fair", semaphore.Fair.String())
	assert.Equal(t, "FIFO", semaphore.FIFO.String())
	assert.Equal(t, "Barging", semaphore.Barging.String())
	assert.Equal(t, "Policy(9)", semaphore.Policy(9).String())
}

func TestCloseFailsLaterAcquires(t *testing.T) {
	s := semaphore.New(2)
	require.NoError(t, s.Acquire(context.Background(), 1))
	s.Close()
	s.Close() // idempotent
	assert.ErrorIs(t, s.Acquire(context.Background(), 1), semaphore.ErrClosed)
	assert.False(t, s.TryAcquire(1))
	s.Release(1) // holders can still give back
	assert.Equal(t, int64(0), s.Held())
	assert.True(t, errors.Is(s.Acquire(context.Background(), 5), semaphore.ErrClosed), "closed is reported before too large")
}

// SetLimit still works after Close, although nothing can be acquired.
func TestSetLimitAfterClose(t *testing.T) {
	s := semaphore.New(2)
	require.True(t, s.TryAcquire(2))
	s.Close()
	s.SetLimit(1)
	assert.Equal(t, int64(1), s.Limit())
	assert.Equal(t, int64(-1), s.Available())
	s.SetLimit(4)
	assert.Equal(t, int64(2), s.Available())
	assert.ErrorIs(t, s.Acquire(context.Background(), 1), semaphore.ErrClosed)
	assert.False(t, s.TryAcquire(1))
	s.Release(2)
	assert.Equal(t, int64(4), s.Available())
	assert.Zero(t, s.Held())
}
