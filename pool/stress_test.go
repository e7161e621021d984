package pool_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
)

// stressRounds scales a stress test by GOMAXPROCS, trimmed under -short.
func stressRounds(perProc int) int {
	n := perProc * runtime.GOMAXPROCS(0)
	if testing.Short() {
		n = max(1, n/10)
	}
	return n
}

// TestStressNestedSubmitKeepsLimit runs trees of tasks, each of which
// submits its children with its own context and waits for them on
// channels, from many goroutines at once, on small pools in every queue
// mode. No tree may deadlock, and no more tasks than the limit may execute
// at once: a task waiting on its children is parked in its submit or on a
// channel, and it is not metered while it waits.
func TestStressNestedSubmitKeepsLimit(t *testing.T) {
	for _, mode := range queueModes {
		for _, limit := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/limit=%d", mode.name, limit), func(t *testing.T) {
				p := pool.New(limit, mode.opts...)
				var m concurrencyMeter
				var ran atomic.Int64
				// tree runs a task with fanout children per level, depth
				// levels deep, and returns how many tasks it ran.
				var tree func(ctx context.Context, depth, fanout int) int64
				tree = func(ctx context.Context, depth, fanout int) int64 {
					m.enter()
					ran.Add(1)
					runtime.Gosched()
					m.leave()
					if depth == 0 {
						return 1
					}
					results := make(chan int64, fanout)
					for range fanout {
						err := p.Submit(ctx, func(ctx context.Context) error {
							results <- tree(ctx, depth-1, fanout)
							return nil
						})
						if err != nil {
							results <- 0
						}
					}
					n := int64(1)
					for range fanout {
						n += <-results // a channel, not a Group: only caller-runs saves us
					}
					return n
				}
				var wg sync.WaitGroup
				var want, got atomic.Int64
				for i := range stressRounds(50) {
					wg.Go(func() {
						r := rand.New(rand.NewPCG(uint64(i), 9))
						depth, fanout := 1+r.IntN(3), 1+r.IntN(3)
						size := int64(0)
						for d, w := 0, int64(1); d <= depth; d, w = d+1, w*int64(fanout) {
							size += w
						}
						want.Add(size)
						done := make(chan int64, 1)
						if err := p.Submit(context.Background(), func(ctx context.Context) error {
							done <- tree(ctx, depth, fanout)
							return nil
						}); err != nil {
							t.Errorf("submit: %v", err)
							return
						}
						got.Add(<-done)
					})
				}
				wg.Wait()
				require.NoError(t, p.Shutdown(context.Background()))
				assert.Equal(t, want.Load(), got.Load(), "every task of every tree ran")
				assert.Equal(t, want.Load(), ran.Load())
				assert.LessOrEqual(t, m.max.Load(), int64(limit))
				st := p.Stats()
				assert.EqualValues(t, st.Submitted, st.Completed)
				assert.Zero(t, st.Running)
			})
		}
	}
}

// TestStressNestedMixed mixes every protected form of nested submission —
// Map, MapSeq, Group.Go on a group made from the task's context,
// Group.Submit to a group made outside — with errors and panics, on pools
// of every queue mode, and checks that nothing deadlocks and every task is
// counted once, in the right counter.
func TestStressNestedMixed(t *testing.T) {
	for _, mode := range queueModes {
		t.Run(mode.name, func(t *testing.T) {
			p := pool.New(2, mode.opts...)
			outer, _ := p.Group(context.Background())
			var failed, panicked atomic.Int64
			errTask := errors.New("task failed")
			leaf := func(r *rand.Rand) func(context.Context, int) (int, error) {
				switch r.IntN(8) {
				case 0:
					return func(context.Context, int) (int, error) { failed.Add(1); return 0, errTask }
				case 1:
					return func(context.Context, int) (int, error) { panicked.Add(1); panic("leaf") }
				}
				return func(_ context.Context, v int) (int, error) { return v, nil }
			}
			in := []int{1, 2, 3}
			forms := []func(ctx context.Context, r *rand.Rand) error{
				func(ctx context.Context, r *rand.Rand) error {
					_, err := pool.Map(ctx, p, in, leaf(r))
					return err
				},
				func(ctx context.Context, r *rand.Rand) error {
					var errs []error
					for _, err := range pool.MapSeq(ctx, p, slices.Values(in), leaf(r), pool.WithWindow(2)) {
						errs = append(errs, err)
					}
					return errors.Join(errs...)
				},
				func(ctx context.Context, r *rand.Rand) error {
					g, _ := p.Group(ctx)
					for range 3 {
						fn := leaf(r)
						_ = g.Go(func(ctx context.Context) error { _, err := fn(ctx, 0); return err })
					}
					return g.Wait()
				},
				func(ctx context.Context, r *rand.Rand) error {
					fn := leaf(r)
					got := make(chan struct{}, 1)
					if err := outer.Submit(ctx, func(ctx context.Context) error {
						defer func() { got <- struct{}{} }() // a panic too
						_, err := fn(ctx, 0)
						return err // to outer, which reports it
					}); err != nil {
						return err
					}
					<-got
					return nil
				},
			}
			var wg sync.WaitGroup
			for i := range stressRounds(100) {
				wg.Go(func() {
					r := rand.New(rand.NewPCG(uint64(i), 3))
					form := forms[r.IntN(len(forms))]
					seed := r.Uint64()
					if err := outer.Go(func(ctx context.Context) error {
						_ = form(ctx, rand.New(rand.NewPCG(seed, 4)))
						return nil
					}); err != nil {
						t.Errorf("submit: %v", err)
					}
				})
			}
			wg.Wait()
			for _, err := range unjoin(outer.Wait()) {
				var pe *pool.PanicError
				if !errors.Is(err, errTask) && !errors.As(err, &pe) {
					t.Errorf("unexpected error: %v", err)
				}
			}
			require.NoError(t, p.Shutdown(context.Background()))
			st := p.Stats()
			assert.Equal(t, st.Submitted, st.Completed+st.Failed+st.Panicked, "every task is counted once")
			assert.EqualValues(t, failed.Load(), st.Failed)
			assert.EqualValues(t, panicked.Load(), st.Panicked)
		})
	}
}

// unjoin lists the errors joined in err.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// TestNestedSubmitRacingShutdown lets trees of nested work race the pool's
// Shutdown or Stop: a nested submit is either run or refused with
// ErrClosed, and every accepted task is accounted for once.
func TestNestedSubmitRacingShutdown(t *testing.T) {
	for _, stop := range []bool{false, true} {
		for _, mode := range queueModes {
			t.Run(fmt.Sprintf("stop=%v/%s", stop, mode.name), func(t *testing.T) {
				for range stressRounds(25) {
					p := pool.New(2, mode.opts...)
					var accepted, ran atomic.Int64
					var nest func(ctx context.Context, depth int) error
					nest = func(ctx context.Context, depth int) error {
						ran.Add(1)
						if depth == 0 {
							return nil
						}
						for range 2 {
							err := p.Submit(ctx, func(ctx context.Context) error { return nest(ctx, depth-1) })
							switch {
							case err == nil:
								accepted.Add(1)
							case !errors.Is(err, pool.ErrClosed) && !errors.Is(err, pool.ErrStopped):
								return fmt.Errorf("nested submit: %w", err)
							}
						}
						return nil
					}
					var wg sync.WaitGroup
					for range 4 {
						wg.Go(func() {
							if p.Submit(context.Background(), func(ctx context.Context) error { return nest(ctx, 3) }) == nil {
								accepted.Add(1)
							}
						})
					}
					var dropped int
					if stop {
						dropped = p.Stop()
					} else {
						ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
						assert.NoError(t, p.Shutdown(ctx))
						cancel()
					}
					wg.Wait()
					assert.NoError(t, p.Shutdown(context.Background()), "no nested submit failed otherwise than closed")
					st := p.Stats()
					assert.EqualValues(t, accepted.Load(), st.Submitted)
					assert.EqualValues(t, accepted.Load(), ran.Load()+int64(dropped))
					assert.Equal(t, st.Submitted, st.Completed+st.Failed+st.Panicked+st.Dropped)
				}
			})
		}
	}
}
