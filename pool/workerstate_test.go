package pool_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
)

// conn is a fake per-worker resource that notices being shared or
// released twice.
type conn struct {
	id       int64
	inUse    atomic.Int32
	released atomic.Int32
}

// connState counts the conns made and released, and every misuse of one.
type connState struct {
	made, released, shared, badRelease atomic.Int64
	ws                                 *pool.WorkerState[*conn]
}

func newConnState() *connState {
	cs := new(connState)
	cs.ws = pool.NewWorkerState(func(context.Context) (*conn, error) {
		return &conn{id: cs.made.Add(1)}, nil
	}, func(c *conn) {
		if c.inUse.Load() != 0 || c.released.Add(1) != 1 {
			cs.badRelease.Add(1)
		}
		cs.released.Add(1)
	})
	return cs
}

// use gets the task's conn and holds it for a moment, counting a share if
// another task holds it at the same time.
func (cs *connState) use(ctx context.Context) error {
	c, err := cs.ws.Get(ctx)
	if err != nil {
		return err
	}
	if !c.inUse.CompareAndSwap(0, 1) {
		cs.shared.Add(1)
		return nil
	}
	runtime.Gosched()
	c.inUse.Store(0)
	return nil
}

func (cs *connState) check(t *testing.T) {
	t.Helper()
	assert.Zero(t, cs.shared.Load(), "conns shared by running tasks")
	assert.Zero(t, cs.badRelease.Load(), "conns released while in use or twice")
	assert.Equal(t, cs.made.Load(), cs.released.Load(), "conns made vs released")
}

// TestStressWorkerStateNeverShared runs many tasks from many goroutines,
// some nesting with their own context (so that some run in their caller's
// slot), while the limit changes: no value is ever held by two tasks at
// once, and after Shutdown every value made has been released once.
func TestStressWorkerStateNeverShared(t *testing.T) {
	for _, mode := range queueModes {
		t.Run(mode.name, func(t *testing.T) {
			cs := newConnState()
			p := pool.New(3, append(mode.opts, pool.WithWorkerState(cs.ws), pool.WithIdleTimeout(time.Millisecond))...)
			rounds := stressRounds(200)
			var wg sync.WaitGroup
			for g := range 4 * runtime.GOMAXPROCS(0) {
				wg.Go(func() {
					for i := range rounds {
						_ = p.Submit(context.Background(), func(ctx context.Context) error {
							if err := cs.use(ctx); err != nil {
								return err
							}
							if i%3 == 0 {
								return p.Submit(ctx, cs.use)
							}
							return nil
						})
						if g == 0 && i%10 == 0 {
							p.SetLimit(1 + i%5)
						}
					}
				})
			}
			wg.Wait()
			require.NoError(t, p.Wait())
			require.NoError(t, p.Shutdown(context.Background()))
			cs.check(t)
			assert.Positive(t, cs.made.Load())
		})
	}
}

// TestWorkerStateOneValuePerWorker checks that a worker keeps its value
// from task to task, and that a task run in its caller's slot gets the
// caller's value.
func TestWorkerStateOneValuePerWorker(t *testing.T) {
	cs := newConnState()
	p := pool.New(1, pool.WithWorkerState(cs.ws))
	ids := make(chan int64, 3)
	get := func(ctx context.Context) error {
		c, err := cs.ws.Get(ctx)
		ids <- c.id
		return err
	}
	require.NoError(t, p.Submit(context.Background(), get))
	require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
		if err := get(ctx); err != nil {
			return err
		}
		return p.Submit(ctx, get) // no worker free: runs in this task's slot
	}))
	require.NoError(t, p.Wait())
	require.NoError(t, p.Shutdown(context.Background()))
	close(ids)
	for id := range ids {
		assert.Equal(t, int64(1), id)
	}
	cs.check(t)
	assert.Equal(t, int64(1), cs.made.Load())
}

// TestWorkerStateReleasedWhenWorkersExit covers every way a worker exits:
// idle timeout, SetLimit down, Close, Shutdown and Stop. Each value is
// released once, by the time Shutdown or Stop returns.
func TestWorkerStateReleasedWhenWorkersExit(t *testing.T) {
	const limit = 3
	// busy makes every worker take a value and holds them all busy until
	// release is closed.
	busy := func(t *testing.T, p *pool.Pool, cs *connState) (release chan struct{}) {
		release = make(chan struct{})
		var started sync.WaitGroup
		started.Add(limit)
		for range limit {
			require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
				_, err := cs.ws.Get(ctx)
				started.Done()
				<-release
				return err
			}))
		}
		started.Wait()
		return release
	}
	cases := []struct {
		name string
		end  func(p *pool.Pool, release chan struct{})
	}{
		{"IdleTimeout", func(p *pool.Pool, release chan struct{}) {
			close(release)
			time.Sleep(2 * time.Second)
			synctest.Wait()
		}},
		{"SetLimit", func(p *pool.Pool, release chan struct{}) {
			p.SetLimit(1)
			close(release)
			synctest.Wait()
		}},
		{"Close", func(p *pool.Pool, release chan struct{}) {
			p.Close()
			close(release)
			synctest.Wait()
		}},
		{"Shutdown", func(p *pool.Pool, release chan struct{}) {
			close(release)
			_ = p.Shutdown(context.Background())
		}},
		{"Stop", func(p *pool.Pool, release chan struct{}) {
			close(release)
			p.Stop()
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cs := newConnState()
				p := pool.New(limit, pool.WithWorkerState(cs.ws), pool.WithIdleTimeout(time.Second))
				c.end(p, busy(t, p, cs))
				want := int64(limit)
				if c.name == "SetLimit" {
					want = limit - 1 // one worker stays, with its value
				}
				assert.Equal(t, int64(limit), cs.made.Load())
				assert.Equal(t, want, cs.released.Load())
				require.NoError(t, p.Shutdown(context.Background()))
				cs.check(t)
			})
		})
	}
}

// TestWorkerStateInitFails checks that a failed init is the error of the
// task that asked, leaves the worker without a value, and is retried by the
// next Get, not before; a panicking init or release becomes a *PanicError.
func TestWorkerStateInitFails(t *testing.T) {
	errDown := errors.New("database down")
	var attempts, released atomic.Int64
	ws := pool.NewWorkerState(func(ctx context.Context) (int, error) {
		switch attempts.Add(1) {
		case 1:
			return 0, errDown
		case 2:
			panic("init blew up")
		}
		return 42, nil
	}, func(v int) {
		released.Add(1)
		panic("release blew up")
	})
	p := pool.New(1, pool.WithWorkerState(ws))
	get := func(ctx context.Context) error { _, err := ws.Get(ctx); return err }

	require.NoError(t, p.Submit(context.Background(), get))
	err := p.Wait()
	require.ErrorIs(t, err, errDown)
	assert.Equal(t, int64(1), attempts.Load(), "init retried without a Get")

	require.NoError(t, p.Submit(context.Background(), get))
	err = p.Wait()
	var pe *pool.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "init blew up", pe.Value)

	require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
		v, err := ws.Get(ctx)
		if v != 42 {
			return fmt.Errorf("got %d", v)
		}
		return err
	}))
	require.NoError(t, p.Wait())
	assert.Equal(t, int64(3), attempts.Load())
	st := p.Stats()
	assert.Equal(t, uint64(1), st.Failed)
	assert.Equal(t, uint64(1), st.Panicked)

	err = p.Shutdown(context.Background())
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "release blew up", pe.Value)
	assert.Equal(t, int64(1), released.Load())
}

// TestWorkerStateReleaseGoexit checks that a release that calls
// runtime.Goexit neither hangs Shutdown nor skips the other values.
func TestWorkerStateReleaseGoexit(t *testing.T) {
	var released atomic.Int64
	a := pool.NewWorkerState(func(context.Context) (int, error) { return 1, nil }, func(int) { released.Add(1) })
	b := pool.NewWorkerState(func(context.Context) (int, error) { return 2, nil }, func(int) { runtime.Goexit() })
	p := pool.New(1, pool.WithWorkerState(a), pool.WithWorkerState(b))
	require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
		_, err := a.Get(ctx)
		if err == nil {
			_, err = b.Get(ctx)
		}
		return err
	}))
	require.NoError(t, p.Wait())
	require.ErrorIs(t, p.Shutdown(context.Background()), pool.ErrGoexit)
	assert.Equal(t, int64(1), released.Load())
}

// TestWorkerStateReleasePanicGoesToHandler checks that a release's panic
// goes where a fire-and-forget task's error goes when there is a handler.
func TestWorkerStateReleasePanicGoesToHandler(t *testing.T) {
	ws := pool.NewWorkerState(func(context.Context) (int, error) { return 1, nil }, func(int) { panic("bad release") })
	var got []error
	p := pool.New(1, pool.WithWorkerState(ws), pool.WithErrorHandler(func(err error) { got = append(got, err) }))
	require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error { _, err := ws.Get(ctx); return err }))
	require.NoError(t, p.Shutdown(context.Background()))
	require.Len(t, got, 1)
	var pe *pool.PanicError
	require.ErrorAs(t, got[0], &pe)
	assert.Equal(t, "bad release", pe.Value)
}

// TestWorkerStateUnusedCostsNothing checks that workers whose tasks never
// call Get make no value, and that several WorkerStates live side by side.
func TestWorkerStateSeveralAndUnused(t *testing.T) {
	var order []string
	var mu sync.Mutex
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	a := pool.NewWorkerState(func(context.Context) (string, error) { note("make a"); return "a", nil }, func(string) { note("release a") })
	b := pool.NewWorkerState(func(context.Context) ([]byte, error) { note("make b"); return make([]byte, 8), nil }, func([]byte) { note("release b") })
	p := pool.New(1, pool.WithWorkerState(a), pool.WithWorkerState(b))
	require.NoError(t, p.Go(func() {}))
	require.NoError(t, p.Submit(context.Background(), func(context.Context) error { return nil }))
	require.NoError(t, p.Wait())
	assert.Empty(t, order)
	require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
		if _, err := b.Get(ctx); err != nil {
			return err
		}
		g, gctx := p.Group(ctx) // a derived context finds the same worker
		_ = g
		s, err := a.Get(gctx)
		if s != "a" {
			return fmt.Errorf("got %q", s)
		}
		return err
	}))
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Equal(t, []string{"make b", "make a", "release b", "release a"}, order)
}

// TestWorkerStateSurvivesGoexitAndServesMap checks that a worker replaced
// after a task's runtime.Goexit keeps its value, and that Map's calls and
// keyed tasks of a Serial reach their worker's value too.
func TestWorkerStateSurvivesGoexitAndServesMap(t *testing.T) {
	cs := newConnState()
	p := pool.New(1, pool.WithWorkerState(cs.ws))
	require.NoError(t, p.Submit(context.Background(), func(ctx context.Context) error {
		_ = cs.use(ctx)
		runtime.Goexit()
		return nil
	}))
	require.ErrorIs(t, p.Wait(), pool.ErrGoexit)
	ids, err := pool.Map(context.Background(), p, []int{1, 2, 3}, func(ctx context.Context, _ int) (int64, error) {
		c, err := cs.ws.Get(ctx)
		return c.id, err
	})
	require.NoError(t, err)
	assert.Equal(t, []int64{1, 1, 1}, ids)
	s := pool.NewSerial[string](p)
	require.NoError(t, s.Submit(context.Background(), "k", cs.use))
	require.NoError(t, p.Wait())
	require.NoError(t, p.Shutdown(context.Background()))
	cs.check(t)
	assert.Equal(t, int64(1), cs.made.Load())
}

func TestWorkerStateMisuse(t *testing.T) {
	ws := pool.NewWorkerState(func(context.Context) (int, error) { return 1, nil }, nil)
	other := pool.NewWorkerState(func(context.Context) (int, error) { return 1, nil }, nil)
	p := pool.New(1, pool.WithWorkerState(ws))
	defer p.Shutdown(context.Background())
	plain := pool.New(1)
	defer plain.Shutdown(context.Background())

	// getIn calls get in a task of p and returns what it panicked with.
	getIn := func(p *pool.Pool, get func(ctx context.Context)) any {
		got := make(chan any, 1)
		_ = p.Submit(context.Background(), func(ctx context.Context) error {
			defer func() { got <- recover() }()
			get(ctx)
			return nil
		})
		return <-got
	}
	var nilCtx context.Context
	assert.PanicsWithValue(t, "pool: NewWorkerState: nil init func", func() { pool.NewWorkerState[int](nil, nil) })
	assert.PanicsWithValue(t, "pool: WithWorkerState(nil)", func() { pool.WithWorkerState[int](nil) })
	assert.PanicsWithValue(t, "pool: WorkerState must be made with NewWorkerState", func() { pool.WithWorkerState(new(pool.WorkerState[int])) })
	assert.PanicsWithValue(t, "pool: WorkerState must be made with NewWorkerState", func() { _, _ = new(pool.WorkerState[int]).Get(context.Background()) })
	assert.PanicsWithValue(t, "pool: WithWorkerState: the same WorkerState given twice", func() { pool.New(1, pool.WithWorkerState(ws), pool.WithWorkerState(ws)) })
	assert.PanicsWithValue(t, "pool: nil Context", func() { _, _ = ws.Get(nilCtx) })
	assert.PanicsWithValue(t, "pool: WorkerState.Get: ctx is not the context of a task", func() { _, _ = ws.Get(context.Background()) })
	const notMade = "pool: WorkerState.Get: the task's pool was not made WithWorkerState with this WorkerState"
	assert.Equal(t, notMade, getIn(plain, func(ctx context.Context) { _, _ = ws.Get(ctx) }))
	assert.Equal(t, notMade, getIn(p, func(ctx context.Context) { _, _ = other.Get(ctx) }))
	assert.Nil(t, getIn(p, func(ctx context.Context) { _, _ = ws.Get(ctx) }))
}

// ExampleWorkerState gives each worker a buffer of its own: tasks reuse
// it without a lock, and it is released when its worker exits.
func ExampleWorkerState() {
	var made, released atomic.Int64
	buffers := pool.NewWorkerState(
		func(context.Context) (*[]byte, error) {
			made.Add(1)
			b := make([]byte, 0, 64)
			return &b, nil
		},
		func(*[]byte) { released.Add(1) },
	)
	p := pool.New(2, pool.WithWorkerState(buffers))
	var total atomic.Int64
	for i := range 100 {
		_ = p.Submit(context.Background(), func(ctx context.Context) error {
			buf, err := buffers.Get(ctx)
			if err != nil {
				return err
			}
			*buf = fmt.Appendf((*buf)[:0], "task %d", i)
			total.Add(int64(len(*buf)))
			return nil
		})
	}
	if err := p.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Println("bytes formatted:", total.Load())
	fmt.Println("buffers reused:", made.Load() < 100)
	fmt.Println("all released:", made.Load() == released.Load())
	// Output:
	// bytes formatted: 690
	// buffers reused: true
	// all released: true
}
