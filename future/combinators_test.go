package future_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/future"
)

func TestAll(t *testing.T) {
	ps, fs := promises(3)
	for i, p := range ps {
		require.NoError(t, p.Resolve(i*10))
	}
	got, err := future.All(t.Context(), fs[2], fs[0], fs[2])
	require.NoError(t, err)
	assert.Equal(t, []int{20, 0, 20}, got, "values in argument order, duplicates allowed")
}

// The first failure ends All, which cancels the others: pending futures
// never run, running ones see their context canceled.
func TestAllFailsFastAndCancels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(3)
		started := make(chan struct{})
		running := future.Go(t.Context(), func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			return 0, ctx.Err()
		})
		<-started
		time.AfterFunc(time.Second, func() { _ = ps[1].Reject(errBoom) })
		_, err := future.All(t.Context(), fs[0], fs[1], fs[2], running)
		assert.ErrorIs(t, err, errBoom)
		assert.Equal(t, future.Canceled, fs[0].State())
		assert.Equal(t, future.Canceled, fs[2].State())
		_, err = running.Result(t.Context())
		assert.ErrorIs(t, err, context.Canceled, "the running future's context was canceled")
	})
}

// When ctx ends first, All returns its error and cancels nothing.
func TestAllContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, fs := promises(2)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err := future.All(ctx, fs...)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, future.Pending, fs[0].State())
	})
}

func TestAllSettled(t *testing.T) {
	ps, fs := promises(2)
	require.NoError(t, ps[0].Resolve(1))
	require.NoError(t, ps[1].Reject(errBoom))
	got, err := future.AllSettled(t.Context(), fs...)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, future.Outcome[int]{Value: 1}, got[0])
	assert.ErrorIs(t, got[1].Err, errBoom)
}

// Any skips failures, returns the first success and cancels the rest.
func TestAny(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(3)
		time.AfterFunc(time.Second, func() { _ = ps[0].Reject(errBoom) })
		time.AfterFunc(2*time.Second, func() { _ = ps[2].Resolve(2) })
		v, err := future.Any(t.Context(), fs...)
		require.NoError(t, err)
		assert.Equal(t, 2, v)
		assert.Equal(t, future.Canceled, fs[1].State(), "the loser")
	})
}

func TestAnyAllFail(t *testing.T) {
	ps, fs := promises(2)
	err1, err2 := errors.New("one"), errors.New("two")
	require.NoError(t, ps[1].Reject(err2))
	require.NoError(t, ps[0].Reject(err1))
	_, err := future.Any(t.Context(), fs...)
	assert.ErrorIs(t, err, err1)
	assert.ErrorIs(t, err, err2)
}

// Race returns the first outcome, a failure too, and cancels the rest.
func TestRace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(2)
		time.AfterFunc(time.Second, func() { _ = ps[1].Reject(errBoom) })
		_, err := future.Race(t.Context(), fs...)
		assert.ErrorIs(t, err, errBoom)
		assert.Equal(t, future.Canceled, fs[0].State(), "the loser")
	})
}

func TestAnyAndRaceOfNoFutures(t *testing.T) {
	for name, combine := range map[string]func(context.Context, ...*future.Future[int]) (int, error){
		"Any":  future.Any[int],
		"Race": future.Race[int],
	} {
		t.Run(name, func(t *testing.T) {
			_, err := combine(t.Context())
			assert.ErrorIs(t, err, future.ErrNoFutures)
		})
	}
}

// Then chains: a failure passes down the chain and later funcs do not run.
func TestThen(t *testing.T) {
	p := future.NewPromise[int]()
	g := future.Then(p.Future(), func(_ context.Context, v int) (string, error) {
		return string(rune('a' + v)), nil
	})
	h := future.Then(g, func(_ context.Context, s string) (int, error) { return 0, errBoom })
	k := future.Then(h, func(_ context.Context, v int) (int, error) { t.Error("ran after failure"); return v, nil })
	require.NoError(t, p.Resolve(2))
	s, err := g.Result(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "c", s)
	_, err = k.Result(t.Context())
	assert.ErrorIs(t, err, errBoom)
}

func TestThenCanceledBeforeSource(t *testing.T) {
	p := future.NewPromise[int]()
	g := future.Then(p.Future(), func(_ context.Context, v int) (int, error) {
		t.Error("canceled Then ran")
		return v, nil
	})
	g.Cancel()
	require.NoError(t, p.Resolve(1))
	_, err := g.Result(t.Context())
	assert.ErrorIs(t, err, future.ErrCanceled)
}

func TestThenPanic(t *testing.T) {
	p := future.NewPromise[int]()
	g := future.Then(p.Future(), func(context.Context, int) (int, error) { panic("then") })
	require.NoError(t, p.Resolve(1))
	_, err := g.Result(t.Context())
	var pe *future.PanicError
	assert.ErrorAs(t, err, &pe)
}

func TestCompose(t *testing.T) {
	p := future.NewPromise[int]()
	g := future.Compose(p.Future(), func(ctx context.Context, v int) (*future.Future[int], error) {
		return future.Go(ctx, func(context.Context) (int, error) { return v * 2, nil }), nil
	})
	require.NoError(t, p.Resolve(21))
	v, err := g.Result(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 42, v)
}

// Canceling a composed future cancels the inner future's task.
func TestComposeCancelReachesInner(t *testing.T) {
	p := future.NewPromise[int]()
	started := make(chan struct{})
	g := future.Compose(p.Future(), func(ctx context.Context, v int) (*future.Future[int], error) {
		return future.Go(ctx, func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			return 0, ctx.Err()
		}), nil
	})
	require.NoError(t, p.Resolve(1))
	<-started
	assert.Equal(t, future.Running, g.Cancel())
	_, err := g.Result(t.Context())
	assert.ErrorIs(t, err, context.Canceled)
}

func TestComposeErrors(t *testing.T) {
	cases := []struct {
		name  string
		fn    func(context.Context, int) (*future.Future[int], error)
		check func(t *testing.T, err error)
	}{
		{"func fails", func(context.Context, int) (*future.Future[int], error) { return nil, errBoom },
			func(t *testing.T, err error) { assert.ErrorIs(t, err, errBoom) }},
		{"func returns nil future", func(context.Context, int) (*future.Future[int], error) { return nil, nil },
			func(t *testing.T, err error) { assert.ErrorIs(t, err, future.ErrNilFuture) }},
		{"func returns zero future", func(context.Context, int) (*future.Future[int], error) { return new(future.Future[int]), nil },
			func(t *testing.T, err error) { assert.ErrorIs(t, err, future.ErrNilFuture) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { // a future that never completes fails, not hangs
				p := future.NewPromise[int]()
				g := future.Compose(p.Future(), c.fn)
				require.NoError(t, p.Resolve(1))
				_, err := g.Result(t.Context())
				c.check(t, err)
			})
		})
	}
}

// Futures already done when a combinator is called count in argument
// order, whatever order they completed in.
func TestCombinatorsTakeDoneFuturesInArgumentOrder(t *testing.T) {
	p1, p2 := future.NewPromise[int](), future.NewPromise[int]()
	errFirst, errSecond := errors.New("failed first"), errors.New("failed second")
	require.NoError(t, p2.Reject(errFirst))
	require.NoError(t, p1.Reject(errSecond))
	_, err := future.All(t.Context(), p1.Future(), p2.Future())
	assert.Equal(t, errSecond, err, "All: the first failure in argument order")
	_, err = future.Race(t.Context(), p1.Future(), p2.Future())
	assert.Equal(t, errSecond, err, "Race: the first in argument order")

	q1, q2 := future.NewPromise[int](), future.NewPromise[int]()
	require.NoError(t, q2.Resolve(2))
	require.NoError(t, q1.Resolve(1))
	v, err := future.Any(t.Context(), q1.Future(), q2.Future())
	require.NoError(t, err)
	assert.Equal(t, 1, v, "Any: the first success in argument order")
}
