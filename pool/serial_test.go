package pool_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
)

// TestStressSerialOrderPerKey submits numbered tasks for many keys from
// many goroutines (each key from one goroutine, so that its submission
// order is known), in every queue mode, with panics, errors, nested submits
// and limit changes mixed in. The tasks of a key must run one at a time,
// in order, every task must run once, and different keys must overlap.
func TestStressSerialOrderPerKey(t *testing.T) {
	for _, mode := range queueModes {
		t.Run(mode.name, func(t *testing.T) {
			const limit = 4
			p := pool.New(limit, append(mode.opts, pool.WithErrorHandler(func(error) {}))...)
			s := pool.NewSerial[int](p)
			submitters := 2 * runtime.GOMAXPROCS(0)
			keysEach, perKey := 4, stressRounds(50)
			nkeys := submitters * keysEach
			next := make([]atomic.Int64, nkeys)   // the number the key's next task must have
			inside := make([]atomic.Int32, nkeys) // tasks of the key running now
			var bad atomic.Int64                  // order or exclusion broken
			var m concurrencyMeter
			task := func(key int, n int64) {
				if inside[key].Add(1) != 1 || !next[key].CompareAndSwap(n, n+1) {
					bad.Add(1)
				}
				m.enter()
				runtime.Gosched()
				m.leave()
				inside[key].Add(-1)
			}
			var wg sync.WaitGroup
			for g := range submitters {
				wg.Go(func() {
					for n := range int64(perKey) {
						for j := range keysEach {
							key := g*keysEach + j
							var err error
							switch n % 4 {
							case 0:
								err = s.Go(key, func() { task(key, n) })
							case 1:
								err = s.Submit(context.Background(), key, func(ctx context.Context) error {
									task(key, n)
									return errors.New("task error")
								})
							case 2:
								err = s.Submit(context.Background(), key, func(ctx context.Context) error {
									defer task(key, n)
									panic("task panic")
								})
							default:
								err = s.Submit(context.Background(), key, func(ctx context.Context) error {
									task(key, n)
									// nested work of another key, with this task's context
									return s.Submit(ctx, -1-key, func(context.Context) error { return nil })
								})
							}
							if err != nil {
								bad.Add(1)
							}
						}
						if g == 0 && n%16 == 0 {
							p.SetLimit(2 + int(n/16)%3)
						}
					}
				})
			}
			wg.Wait()
			p.SetLimit(limit)
			require.NoError(t, p.Wait())
			assert.Zero(t, bad.Load(), "tasks of a key overlapped, ran out of order, or were refused")
			for key := range nkeys {
				require.Equal(t, int64(perKey), next[key].Load(), "key %d", key)
			}
			assert.Greater(t, m.max.Load(), int64(1), "keys never ran in parallel")
			st := p.Stats()
			assert.Equal(t, st.Submitted, st.Completed+st.Failed+st.Panicked)
			assert.Zero(t, st.Queued)
			shutdown(t, p)
		})
	}
}

// TestStressSerialRacingStop submits keyed tasks from many goroutines while
// the pool is stopped or shut down: every submit either fails with
// ErrClosed or is accepted, and every accepted task either runs, once, or
// is counted in what Stop returns — none is lost or run twice.
func TestStressSerialRacingStop(t *testing.T) {
	for _, mode := range queueModes {
		for _, c := range []struct{ stop, group bool }{{true, false}, {false, false}, {true, true}, {false, true}} {
			stop := c.stop
			t.Run(fmt.Sprintf("%s/stop=%v/group=%v", mode.name, c.stop, c.group), func(t *testing.T) {
				for range stressRounds(5) {
					p := pool.New(3, mode.opts...)
					g, _ := p.Group(context.Background())
					s := pool.NewSerial[int](p)
					if c.group {
						s = pool.NewGroupSerial[int](g)
					}
					var accepted, ran, bad atomic.Int64
					var wg sync.WaitGroup
					start := make(chan struct{})
					for g := range 2 * runtime.GOMAXPROCS(0) {
						wg.Go(func() {
							<-start
							for i := range 50 {
								key := (g + i) % 5
								var err error
								if i%2 == 0 {
									err = s.Go(key, func() { ran.Add(1) })
								} else {
									err = s.Submit(context.Background(), key, func(context.Context) error { ran.Add(1); return nil })
								}
								switch {
								case err == nil:
									accepted.Add(1)
								case !errors.Is(err, pool.ErrClosed):
									bad.Add(1)
								}
							}
						})
					}
					close(start)
					runtime.Gosched()
					dropped := 0
					if stop {
						dropped = p.Stop()
					} else {
						require.NoError(t, p.Shutdown(context.Background()))
					}
					wg.Wait()
					require.Zero(t, bad.Load())
					require.Equal(t, accepted.Load(), ran.Load()+int64(dropped))
					st := p.Stats()
					require.Equal(t, uint64(accepted.Load()), st.Submitted)
					require.Equal(t, st.Submitted, st.Completed+st.Dropped)
					require.Zero(t, st.Queued)
					if err := g.Wait(); err != nil {
						require.ErrorIs(t, err, pool.ErrClosed)
					}
				}
			})
		}
	}
}

// TestSerialKeysRunInParallelUpToLimit holds the first task of each of
// limit keys until all of them are running at once.
func TestSerialKeysRunInParallelUpToLimit(t *testing.T) {
	const limit = 4
	p := pool.New(limit)
	s := pool.NewSerial[string](p)
	var in atomic.Int32
	all := make(chan struct{})
	var order []string
	var mu sync.Mutex
	for i := range limit {
		key := fmt.Sprint("k", i)
		require.NoError(t, s.Go(key, func() {
			if in.Add(1) == limit {
				close(all)
			}
			<-all
		}))
		require.NoError(t, s.Go(key, func() { mu.Lock(); order = append(order, key); mu.Unlock() }))
	}
	require.NoError(t, p.Wait())
	assert.Equal(t, int32(limit), in.Load())
	assert.Len(t, order, limit)
	shutdown(t, p)
}

// A key's tasks run one at a time, so handing the key on to its next task
// needs no other worker: the worker whose task ended takes the next one
// itself. Waking or starting another worker for it would be a goroutine
// wake-up for nothing.
func TestSerialHandOnStartsNoWorker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(4)
		s := pool.NewSerial[string](p)
		release := make(chan struct{})
		var order []int
		require.NoError(t, s.Go("k", func() { <-release; order = append(order, 0) }))
		for i := 1; i < 10; i++ {
			require.NoError(t, s.Go("k", func() { order = append(order, i) }))
		}
		synctest.Wait()
		close(release)
		require.NoError(t, p.Wait())
		assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, order)
		assert.Equal(t, 1, p.Stats().Workers, "workers started for one key's tasks")
		shutdown(t, p)
	})
}

// A worker whose Serial task ends after SetLimit lowered the limit retires
// instead of taking the key's next task; the task then runs as soon as the
// limit allows, on the worker that remains.
func TestSerialHandOnWhenTheWorkerRetires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(2)
		s := pool.NewSerial[string](p)
		releaseKey, releasePlain := make(chan struct{}), make(chan struct{})
		var next atomic.Bool
		require.NoError(t, s.Go("k", func() { <-releaseKey }))
		require.NoError(t, s.Go("k", func() { next.Store(true) }))
		require.NoError(t, p.Go(func() { <-releasePlain }))
		synctest.Wait()
		p.SetLimit(1)
		close(releaseKey)
		synctest.Wait()
		assert.False(t, next.Load(), "the key's next task ran beyond the limit")
		assert.Equal(t, 1, p.Stats().Workers, "the worker above the limit retired")
		close(releasePlain)
		require.NoError(t, p.Wait())
		assert.True(t, next.Load(), "the key's next task ran")
		shutdown(t, p)
	})
}

// TestSerialStopDropsParked checks that Stop drops the tasks waiting
// behind their key, counts them in what it returns and in Stats, and never
// runs them; Close and Shutdown run them all, in order.
func TestSerialStopDropsParked(t *testing.T) {
	for _, stop := range []bool{true, false} {
		t.Run(fmt.Sprint("stop=", stop), func(t *testing.T) {
			p := pool.New(1)
			s := pool.NewSerial[int](p)
			release, started := make(chan struct{}), make(chan struct{})
			var ran []int
			require.NoError(t, s.Submit(context.Background(), 0, func(ctx context.Context) error {
				close(started)
				select {
				case <-release:
				case <-ctx.Done(): // Stop
				}
				ran = append(ran, 0)
				return nil
			}))
			<-started
			for i := 1; i <= 5; i++ {
				require.NoError(t, s.Go(0, func() { ran = append(ran, i) }))
			}
			require.NoError(t, s.Go(1, func() { ran = append(ran, 10) })) // queued in the pool
			require.NoError(t, s.Go(1, func() { ran = append(ran, 11) })) // parked
			st := p.Stats()
			assert.Equal(t, 7, st.Queued)
			assert.Equal(t, uint64(8), st.Submitted)
			if stop {
				assert.Equal(t, 7, p.Stop())
				assert.Equal(t, []int{0}, ran)
				st = p.Stats()
				assert.Equal(t, uint64(7), st.Dropped)
				assert.Zero(t, st.Queued)
				assert.ErrorIs(t, s.Go(0, func() {}), pool.ErrClosed)
				return
			}
			p.Close()
			assert.ErrorIs(t, s.Go(0, func() {}), pool.ErrClosed)
			close(release)
			shutdown(t, p)
			assert.Equal(t, []int{0, 10, 1, 11, 2, 3, 4, 5}, ran) // per key in order; limit 1 makes the interleaving fixed
		})
	}
}

// TestSerialParkedBehindAFailedSubmit parks tasks behind a key whose first
// task is still waiting for room in a full queue, then ends that wait
// (ctx canceled, or Close): the first task is refused, and the parked ones,
// already accepted, still run in order, before Shutdown returns.
func TestSerialParkedBehindAFailedSubmit(t *testing.T) {
	for _, how := range []string{"cancel", "close"} {
		t.Run(how, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(1, pool.WithQueueSize(1))
				s := pool.NewSerial[string](p)
				release := make(chan struct{})
				require.NoError(t, p.Go(func() { <-release }))
				require.NoError(t, p.Go(func() {})) // the queue is full
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				headErr := make(chan error, 1)
				go func() {
					headErr <- s.Submit(ctx, "k", func(context.Context) error { return errors.New("must not run") })
				}()
				synctest.Wait() // the first task of "k" waits for room
				var ran []int
				for i := range 3 {
					require.NoError(t, s.Go("k", func() { ran = append(ran, i) }))
				}
				assert.Equal(t, 1+3, p.Stats().Queued)
				if how == "cancel" {
					cancel()
					require.ErrorIs(t, <-headErr, context.Canceled)
				} else {
					p.Close()
					require.ErrorIs(t, <-headErr, pool.ErrClosed)
				}
				close(release)
				shutdown(t, p)
				assert.Equal(t, []int{0, 1, 2}, ran)
				st := p.Stats()
				assert.Equal(t, uint64(5), st.Submitted)
				assert.Equal(t, uint64(5), st.Completed)
			})
		})
	}
}

// TestSerialErrorsAndPanics checks that a keyed task's error and panic are
// reported as a plain task's, and that the key's next task runs anyway,
// also after a runtime.Goexit.
func TestSerialErrorsAndPanics(t *testing.T) {
	p := pool.New(2)
	s := pool.NewSerial[int](p)
	errBoom := errors.New("boom")
	var ran []string
	require.NoError(t, s.Submit(context.Background(), 7, func(context.Context) error { ran = append(ran, "err"); return errBoom }))
	require.NoError(t, s.Go(7, func() { ran = append(ran, "panic"); panic("bang") }))
	require.NoError(t, s.Go(7, func() { ran = append(ran, "goexit"); runtime.Goexit() }))
	require.NoError(t, s.Go(7, func() { ran = append(ran, "ok") }))
	err := p.Wait()
	require.ErrorIs(t, err, errBoom)
	require.ErrorIs(t, err, pool.ErrGoexit)
	var pe *pool.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "bang", pe.Value)
	assert.Equal(t, []string{"err", "panic", "goexit", "ok"}, ran)
	shutdown(t, p)
}

// TestSerialTaskResubmitsItsKey checks that a task may submit to its own
// key, with its context, without waiting: the new task runs after it.
func TestSerialTaskResubmitsItsKey(t *testing.T) {
	p := pool.New(1)
	s := pool.NewSerial[string](p)
	var ran []int
	var step func(ctx context.Context, i int) error
	step = func(ctx context.Context, i int) error {
		ran = append(ran, i)
		if i < 5 {
			return s.Submit(ctx, "k", func(ctx context.Context) error { return step(ctx, i+1) })
		}
		return nil
	}
	require.NoError(t, s.Submit(context.Background(), "k", func(ctx context.Context) error { return step(ctx, 0) }))
	require.NoError(t, p.Wait())
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5}, ran)
	shutdown(t, p)
}

func TestSerialTrySubmit(t *testing.T) {
	p := pool.New(1, pool.WithQueueSize(0))
	s := pool.NewSerial[int](p)
	release := make(chan struct{})
	require.NoError(t, s.Go(1, func() { <-release }))
	noop := func(context.Context) error { return nil }
	assert.ErrorIs(t, s.TrySubmit(2, noop), pool.ErrQueueFull) // no worker free
	assert.NoError(t, s.TrySubmit(1, noop))                    // waits behind key 1
	close(release)
	require.NoError(t, p.Wait())
	assert.NoError(t, s.TrySubmit(2, noop))
	shutdown(t, p)
	st := p.Stats()
	assert.Equal(t, uint64(3), st.Completed)
	assert.Equal(t, uint64(1), st.Rejected)
}

// TestGroupSerial checks that a Serial of a group runs its tasks as tasks
// of the group: Wait waits for every one, also those waiting behind their
// key, and returns their errors; Stop drops the waiting ones, and Wait
// says so; Go records a refused submit for Wait.
func TestGroupSerial(t *testing.T) {
	t.Run("Wait", func(t *testing.T) {
		p := pool.New(2)
		defer shutdown(t, p)
		g, _ := p.Group(context.Background())
		s := pool.NewGroupSerial[int](g)
		errOdd := errors.New("odd")
		var mu sync.Mutex
		var ran []int
		for i := range 10 {
			require.NoError(t, s.Submit(context.Background(), i%2, func(ctx context.Context) error {
				mu.Lock()
				ran = append(ran, i)
				mu.Unlock()
				if i == 3 {
					return errOdd
				}
				return nil
			}))
		}
		require.ErrorIs(t, g.Wait(), errOdd)
		assert.Len(t, ran, 10)
		var evens, odds []int
		for _, i := range ran {
			if i%2 == 0 {
				evens = append(evens, i)
			} else {
				odds = append(odds, i)
			}
		}
		assert.Equal(t, []int{0, 2, 4, 6, 8}, evens)
		assert.Equal(t, []int{1, 3, 5, 7, 9}, odds)
		require.NoError(t, p.Wait(), "the group's errors went to the group")
	})
	t.Run("Stop", func(t *testing.T) {
		p := pool.New(1)
		g, _ := p.Group(context.Background())
		s := pool.NewGroupSerial[int](g)
		started := make(chan struct{})
		require.NoError(t, s.Submit(context.Background(), 0, func(ctx context.Context) error {
			close(started)
			<-ctx.Done()
			return nil
		}))
		<-started
		for range 3 {
			require.NoError(t, s.Go(0, func() { t.Error("a dropped task ran") }))
		}
		assert.Equal(t, 3, p.Stop())
		err := g.Wait()
		require.ErrorIs(t, err, pool.ErrClosed)
		assert.Contains(t, err.Error(), "3 queued tasks")
		assert.ErrorIs(t, s.Go(0, func() {}), pool.ErrClosed)
		assert.ErrorIs(t, g.Wait(), pool.ErrClosed, "Go recorded its refusal")
	})
}

func TestSerialMisuse(t *testing.T) {
	p := pool.New(1)
	defer p.Shutdown(context.Background())
	s := pool.NewSerial[int](p)
	var nilCtx context.Context
	var nilPool *pool.Pool
	var nilSerial *pool.Serial[int]
	noop := func(context.Context) error { return nil }
	for _, c := range []struct {
		msg string
		fn  func()
	}{
		{"pool: nil *Pool", func() { pool.NewSerial[int](nilPool) }},
		{"pool: nil *Group", func() { pool.NewGroupSerial[int](nil) }},
		{"pool: Pool must be made with New", func() { pool.NewSerial[int](new(pool.Pool)) }},
		{"pool: nil *Serial", func() { _ = nilSerial.Go(1, func() {}) }},
		{"pool: Serial must be made with NewSerial", func() { _ = new(pool.Serial[int]).Go(1, func() {}) }},
		{"pool: nil func", func() { _ = s.Go(1, nil) }},
		{"pool: nil func", func() { _ = s.Submit(context.Background(), 1, nil) }},
		{"pool: nil func", func() { _ = s.TrySubmit(1, nil) }},
		{"pool: nil Context", func() { _ = s.Submit(nilCtx, 1, noop) }},
	} {
		assert.PanicsWithValue(t, c.msg, c.fn)
		assert.PanicsWithValue(t, c.msg, c.fn) // and nothing was left locked
	}
	require.NoError(t, s.Submit(context.Background(), 1, noop))
}

// ExampleSerial applies each account's operations in order, while
// different accounts are served in parallel.
func ExampleSerial() {
	p := pool.New(4)
	accounts := pool.NewSerial[string](p)
	var mu sync.Mutex
	history := map[string][]string{}
	apply := func(account, op string) {
		_ = accounts.Go(account, func() {
			mu.Lock()
			history[account] = append(history[account], op)
			mu.Unlock()
		})
	}
	for _, name := range []string{"alice", "bob", "carol"} {
		apply(name, "open")
		apply(name, "deposit 100")
		apply(name, "withdraw 30")
		apply(name, "close")
	}
	if err := p.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
	}
	names := make([]string, 0, len(history))
	for name := range history {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Println(name+":", strings.Join(history[name], ", "))
	}
	// Output:
	// alice: open, deposit 100, withdraw 30, close
	// bob: open, deposit 100, withdraw 30, close
	// carol: open, deposit 100, withdraw 30, close
}
