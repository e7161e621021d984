package semaphore_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/weftgo/weft/semaphore"
)

// panicked is what a caller sees when a call panics.
type panicked struct{ value any }

// fixture is what each misuse case works on: fresh values, with one of
// the two permits of s and of key "a" held.
type fixture struct {
	s  *semaphore.Weighted
	k  *semaphore.Keyed[string]
	zs semaphore.Weighted
	zk semaphore.Keyed[string]
}

func newFixture() *fixture {
	f := &fixture{s: semaphore.New(2), k: semaphore.NewKeyed[string](2)}
	if !f.s.TryAcquire(1) || !f.k.TryAcquire("a", 1) {
		panic("fixture: TryAcquire failed")
	}
	return f
}

// misuseTimeout bounds every call of the table: a misuse must never hang,
// and must leave nothing locked for the calls after it.
const misuseTimeout = 10 * time.Second

// call runs op on a goroutine of its own, and returns what op returned or
// a panicked with the value it panicked with. It reports hung if op did not
// return within misuseTimeout.
func call(op func() any) (seen any, hung bool) {
	ch := make(chan any, 1)
	go func() {
		ok := false
		defer func() {
			if !ok {
				ch <- panicked{recover()}
			}
		}()
		v := op()
		ok = true
		ch <- v
	}()
	timer := time.NewTimer(misuseTimeout)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v, false
	case <-timer.C:
		return nil, true
	}
}

// sees checks that got is what the user must see: an error matching want
// with errors.Is, or a value (a panicked among them) equal to want.
func sees(t *testing.T, want, got any, what string) {
	t.Helper()
	if err, ok := want.(error); ok {
		gotErr, _ := got.(error)
		assert.ErrorIs(t, gotErr, err, what)
		return
	}
	assert.Equal(t, want, got, what)
}

// nop is a function Do may run.
func nop() error { return nil }

// TestMisuse lists what a user sees for each misuse of the package, and
// for some edge cases that are not misuse but are easy to get wrong. Each
// misuse runs under a timeout, then a follow-up call on the same value
// checks that the misuse left it working (nothing locked, nothing taken).
func TestMisuse(t *testing.T) {
	bg := context.Background()
	var nilCtx context.Context
	const (
		nilContext   = "semaphore: nil Context"
		nilFunc      = "semaphore: nil func"
		negCount     = "semaphore: negative permit count"
		overRelease  = "semaphore: released more than held"
		negLimit     = "semaphore: negative limit"
		zeroKeyed    = "semaphore: Keyed must be made with NewKeyed"
		holdsOneOfS  = int64(1)
		holdsOneOfKA = int64(1)
	)
	held := func(f *fixture) any { return f.s.Held() }
	heldA := func(f *fixture) any { return f.k.Held("a") }
	cases := []struct {
		name   string
		misuse func(f *fixture) any
		sees   any
		then   func(f *fixture) any // nil: none
		after  any
	}{
		// Contexts and functions.
		{"Acquire(nil ctx) with permits free", func(f *fixture) any { return f.s.Acquire(nilCtx, 1) },
			panicked{nilContext}, held, holdsOneOfS},
		{"Acquire(nil ctx) with permits busy", func(f *fixture) any { return f.s.Acquire(nilCtx, 2) },
			panicked{nilContext}, held, holdsOneOfS},
		{"Acquire(nil ctx, 0)", func(f *fixture) any { return f.s.Acquire(nilCtx, 0) },
			panicked{nilContext}, held, holdsOneOfS},
		{"Do(nil ctx)", func(f *fixture) any { return f.s.Do(nilCtx, 1, nop) },
			panicked{nilContext}, held, holdsOneOfS},
		{"Do(nil func)", func(f *fixture) any { return f.s.Do(bg, 1, nil) },
			panicked{nilFunc}, held, holdsOneOfS},
		{"Do(nil func) on a closed semaphore", func(f *fixture) any { f.s.Close(); return f.s.Do(bg, 1, nil) },
			panicked{nilFunc}, held, holdsOneOfS},
		{"Do whose fn releases the permits itself", func(f *fixture) any {
			f.s.Release(1)
			return f.s.Do(bg, 1, func() error { f.s.Release(1); return nil })
		}, panicked{overRelease}, held, int64(0)},
		{"Keyed.Acquire(nil ctx) with permits free", func(f *fixture) any { return f.k.Acquire(nilCtx, "b", 1) },
			panicked{nilContext}, func(f *fixture) any { return f.k.Len() }, 1},
		{"Keyed.Acquire(nil ctx) with permits busy", func(f *fixture) any { return f.k.Acquire(nilCtx, "a", 2) },
			panicked{nilContext}, heldA, holdsOneOfKA},
		{"Keyed.Do(nil ctx)", func(f *fixture) any { return f.k.Do(nilCtx, "a", 1, nop) },
			panicked{nilContext}, heldA, holdsOneOfKA},
		{"Keyed.Do(nil func)", func(f *fixture) any { return f.k.Do(bg, "b", 1, nil) },
			panicked{nilFunc}, func(f *fixture) any { return f.k.Len() }, 1},
		{"Acquire with a canceled context and free permits", func(f *fixture) any { return f.s.Acquire(canceledCtx(), 1) },
			errCause, held, holdsOneOfS},
		{"Keyed.Acquire with a canceled context", func(f *fixture) any { return f.k.Acquire(canceledCtx(), "b", 1) },
			errCause, func(f *fixture) any { return f.k.Len() }, 1},

		// Counts and limits.
		{"Acquire(-1)", func(f *fixture) any { return f.s.Acquire(bg, -1) }, panicked{negCount}, held, holdsOneOfS},
		{"TryAcquire(-1)", func(f *fixture) any { return f.s.TryAcquire(-1) }, panicked{negCount}, held, holdsOneOfS},
		{"Release(-1)", func(f *fixture) any { f.s.Release(-1); return nil }, panicked{negCount}, held, holdsOneOfS},
		{"Do(-1)", func(f *fixture) any { return f.s.Do(bg, -1, nop) }, panicked{negCount}, held, holdsOneOfS},
		{"Release more than held", func(f *fixture) any { f.s.Release(2); return nil }, panicked{overRelease}, held, holdsOneOfS},
		{"Release(MaxInt64)", func(f *fixture) any { f.s.Release(math.MaxInt64); return nil }, panicked{overRelease}, held, holdsOneOfS},
		{"Release after Close", func(f *fixture) any { f.s.Close(); f.s.Release(1); return nil }, nil, held, int64(0)},
		{"Release after Close, more than held", func(f *fixture) any { f.s.Close(); f.s.Release(2); return nil },
			panicked{overRelease}, held, holdsOneOfS},
		{"Acquire more than the limit", func(f *fixture) any { return f.s.Acquire(bg, 3) }, semaphore.ErrExceedsLimit, held, holdsOneOfS},
		{"Acquire(MaxInt64)", func(f *fixture) any { return f.s.Acquire(bg, math.MaxInt64) }, semaphore.ErrExceedsLimit, held, holdsOneOfS},
		{"TryAcquire(MaxInt64)", func(f *fixture) any { return f.s.TryAcquire(math.MaxInt64) }, false, held, holdsOneOfS},
		{"Acquire after Close", func(f *fixture) any { f.s.Close(); return f.s.Acquire(bg, 1) }, semaphore.ErrClosed, held, holdsOneOfS},
		{"New(-1)", func(*fixture) any { return semaphore.New(-1) }, panicked{negLimit}, nil, nil},
		{"New(MaxLimit+1)", func(*fixture) any { return semaphore.New(semaphore.MaxLimit + 1) },
			panicked{"semaphore: limit larger than MaxLimit"}, nil, nil},
		{"NewKeyed(-1)", func(*fixture) any { return semaphore.NewKeyed[int](-1) }, panicked{negLimit}, nil, nil},
		{"SetLimit(-1)", func(f *fixture) any { f.s.SetLimit(-1); return nil }, panicked{negLimit},
			func(f *fixture) any { return f.s.Limit() }, int64(2)},
		{"SetLimit(MaxLimit+1)", func(f *fixture) any { f.s.SetLimit(semaphore.MaxLimit + 1); return nil },
			panicked{"semaphore: limit larger than MaxLimit"}, func(f *fixture) any { return f.s.Limit() }, int64(2)},
		// Not misuse: a limit of zero is allowed; nothing can be acquired.
		{"SetLimit(0), then Acquire", func(f *fixture) any { f.s.SetLimit(0); return f.s.Acquire(bg, 1) },
			semaphore.ErrExceedsLimit, func(f *fixture) any { f.s.Release(1); return f.s.Available() }, int64(0)},
		{"Keyed.Acquire(-1)", func(f *fixture) any { return f.k.Acquire(bg, "b", -1) }, panicked{negCount},
			func(f *fixture) any { return f.k.Len() }, 1},
		{"Keyed.TryAcquire(-1)", func(f *fixture) any { return f.k.TryAcquire("b", -1) }, panicked{negCount},
			func(f *fixture) any { return f.k.Len() }, 1},
		{"Keyed.Release(-1)", func(f *fixture) any { f.k.Release("a", -1); return nil }, panicked{negCount}, heldA, holdsOneOfKA},
		{"Keyed.Release of a key never acquired", func(f *fixture) any { f.k.Release("b", 1); return nil }, panicked{overRelease},
			func(f *fixture) any { return f.k.Len() }, 1},
		{"Keyed.Release more than held", func(f *fixture) any { f.k.Release("a", 2); return nil }, panicked{overRelease}, heldA, holdsOneOfKA},
		{"Keyed.Release after Close", func(f *fixture) any { f.k.Close(); f.k.Release("a", 1); return nil }, nil,
			func(f *fixture) any { return f.k.Len() }, 0},
		{"Keyed.Acquire of a new key after Close", func(f *fixture) any { f.k.Close(); return f.k.Acquire(bg, "b", 1) },
			semaphore.ErrClosed, func(f *fixture) any { return f.k.Len() }, 1},
		{"Keyed.Acquire more than the limit", func(f *fixture) any { return f.k.Acquire(bg, "b", 3) },
			semaphore.ErrExceedsLimit, func(f *fixture) any { return f.k.Len() }, 1},

		// Options.
		{"WithPolicy(unknown)", func(*fixture) any { return semaphore.WithPolicy(7) }, panicked{"semaphore: unknown policy"}, nil, nil},
		{"New with a nil Option", func(*fixture) any { return semaphore.New(1, nil) }, panicked{"semaphore: nil Option"}, nil, nil},
		{"NewKeyed with a nil Option", func(*fixture) any { return semaphore.NewKeyed[int](1, nil) },
			panicked{"semaphore: nil Option"}, nil, nil},

		// The zero Weighted works: a Fair semaphore with a limit of zero.
		{"zero Weighted: Acquire(1)", func(f *fixture) any { return f.zs.Acquire(bg, 1) }, semaphore.ErrExceedsLimit,
			func(f *fixture) any { return f.zs.Held() }, int64(0)},
		{"zero Weighted: Acquire(0)", func(f *fixture) any { return f.zs.Acquire(bg, 0) }, nil,
			func(f *fixture) any { return f.zs.Waiting() }, 0},
		{"zero Weighted: TryAcquire(1)", func(f *fixture) any { return f.zs.TryAcquire(1) }, false,
			func(f *fixture) any { return f.zs.Available() }, int64(0)},
		{"zero Weighted: Release(1)", func(f *fixture) any { f.zs.Release(1); return nil }, panicked{overRelease},
			func(f *fixture) any { return f.zs.Held() }, int64(0)},
		{"zero Weighted: Do", func(f *fixture) any { return f.zs.Do(bg, 1, nop) }, semaphore.ErrExceedsLimit,
			func(f *fixture) any { return f.zs.Limit() }, int64(0)},
		{"zero Weighted: SetLimit, then Acquire", func(f *fixture) any { f.zs.SetLimit(1); return f.zs.Acquire(bg, 1) }, nil,
			func(f *fixture) any { f.zs.Release(1); return f.zs.Available() }, int64(1)},
		{"zero Weighted: Close", func(f *fixture) any { f.zs.Close(); return nil }, nil,
			func(f *fixture) any { return f.zs.Acquire(bg, 0) }, semaphore.ErrClosed},

		// The zero Keyed is not usable: every method says so at once.
		{"zero Keyed: Acquire", func(f *fixture) any { return f.zk.Acquire(bg, "a", 1) }, panicked{zeroKeyed},
			func(f *fixture) any { return f.zk.TryAcquire("a", 1) }, panicked{zeroKeyed}},
		{"zero Keyed: TryAcquire", func(f *fixture) any { return f.zk.TryAcquire("a", 1) }, panicked{zeroKeyed},
			func(f *fixture) any { return f.zk.Len() }, panicked{zeroKeyed}},
		{"zero Keyed: Release", func(f *fixture) any { f.zk.Release("a", 1); return nil }, panicked{zeroKeyed},
			func(f *fixture) any { f.zk.Close(); return nil }, panicked{zeroKeyed}},
		{"zero Keyed: Do", func(f *fixture) any { return f.zk.Do(bg, "a", 1, nop) }, panicked{zeroKeyed},
			func(f *fixture) any { return f.zk.Held("a") }, panicked{zeroKeyed}},
		{"zero Keyed: Len", func(f *fixture) any { return f.zk.Len() }, panicked{zeroKeyed}, nil, nil},
		{"zero Keyed: Held", func(f *fixture) any { return f.zk.Held("a") }, panicked{zeroKeyed}, nil, nil},
		{"zero Keyed: Limit", func(f *fixture) any { return f.zk.Limit() }, panicked{zeroKeyed}, nil, nil},
		{"zero Keyed: Close", func(f *fixture) any { f.zk.Close(); return nil }, panicked{zeroKeyed},
			func(f *fixture) any { return f.zk.Acquire(bg, "a", 1) }, panicked{zeroKeyed}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture()
			got, hung := call(func() any { return c.misuse(f) })
			if !assert.False(t, hung, "the misuse hung") {
				return
			}
			sees(t, c.sees, got, "the misuse")
			if c.then != nil {
				got, hung = call(func() any { return c.then(f) })
				if assert.False(t, hung, "the call after the misuse hung") {
					sees(t, c.after, got, "the call after the misuse")
				}
			}
		})
	}
}

// Errors a user can test for are the package's sentinels or the context's.
func TestMisuseErrorsAreSentinels(t *testing.T) {
	s := semaphore.New(1)
	err := s.Acquire(context.Background(), 2)
	assert.True(t, errors.Is(err, semaphore.ErrExceedsLimit))
	s.Close()
	assert.Same(t, semaphore.ErrClosed, s.Acquire(context.Background(), 1))
}
