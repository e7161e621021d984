package future_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/weftgo/weft/future"
)

// When ctx ends while a future completes, All and Any answer from what
// they saw: ctx's error if they stopped watching first, never a success
// they did not see (All's failed future passing as a value, Any's errors
// joined with a success's nil into a nil error).

// settleOnLookup is a canceled context that settles a future the first
// time a value is looked up in it: the collector looks up the cause once
// it sees ctx done, so the future completes just after All or Any stopped
// watching, the window a plain race hits most of the time.
type settleOnLookup struct {
	context.Context
	armed  atomic.Bool
	settle func()
}

func newSettleOnLookup(settle func()) *settleOnLookup {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := &settleOnLookup{Context: ctx, settle: settle}
	c.armed.Store(true)
	return c
}

func (c *settleOnLookup) Value(key any) any {
	if c.armed.CompareAndSwap(true, false) {
		c.settle()
	}
	return c.Context.Value(key)
}

func TestAllFailureAfterContextEnds(t *testing.T) {
	p := future.NewPromise[int]()
	_, err := future.All(newSettleOnLookup(func() { _ = p.Reject(errBoom) }), p.Future())
	assert.Error(t, err, "a failed future passed for a value")

	for range 1000 {
		p := future.NewPromise[int]()
		ctx, cancel := context.WithCancel(t.Context())
		go func() { cancel(); _ = p.Reject(errBoom) }()
		if _, err := future.All(ctx, p.Future()); err == nil {
			t.Fatal("All returned no error, but its only future failed")
		}
	}
}

func TestAnySuccessAfterContextEnds(t *testing.T) {
	p := future.NewPromise[int]()
	v, err := future.Any(newSettleOnLookup(func() { _ = p.Resolve(5) }), p.Future())
	if err == nil {
		assert.Equal(t, 5, v, "a nil error comes with the value")
	}

	for range 1000 {
		p := future.NewPromise[int]()
		ctx, cancel := context.WithCancel(t.Context())
		go func() { cancel(); _ = p.Resolve(5) }()
		if v, err := future.Any(ctx, p.Future()); err == nil && v != 5 {
			t.Fatalf("Any = (%d, nil), but its only future succeeded with 5", v)
		}
	}
}
