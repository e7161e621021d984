package pool_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/weftgo/weft/pool"
)

// TestChaos submits well over 100k tasks from many goroutines with random
// submission forms, outcomes (nil, error, panic, Goexit, waiting on
// cancellation) and resizes, and shuts the pool down in the middle. Every
// task must be accounted for exactly once.
func TestChaos(t *testing.T) {
	for _, stop := range []bool{false, true} {
		name := "Shutdown"
		if stop {
			name = "Stop"
		}
		t.Run(name, func(t *testing.T) { chaos(t, stop) })
	}
}

type tally struct {
	accepted, rejected                 atomic.Int64
	completed, failed, panicked, exits atomic.Int64
}

func chaos(t *testing.T, stop bool) {
	submitters := 4 * runtime.GOMAXPROCS(0)
	total := 400_000
	if testing.Short() {
		total = 40_000
	}
	perSubmitter := total / submitters
	p := pool.New(8, pool.WithQueueSize(256))
	var c tally
	errTask := errors.New("task failed")

	task := func(r *rand.Rand) func(context.Context) error {
		switch r.IntN(10) {
		case 0:
			return func(context.Context) error { c.failed.Add(1); return errTask }
		case 1:
			return func(context.Context) error { c.panicked.Add(1); panic("chaos") }
		case 2:
			return func(context.Context) error { c.exits.Add(1); runtime.Goexit(); return nil }
		case 3:
			return func(ctx context.Context) error {
				if ctx.Err() != nil { // stopped: report it as a failure
					c.failed.Add(1)
					return ctx.Err()
				}
				c.completed.Add(1)
				return nil
			}
		default:
			return func(context.Context) error { c.completed.Add(1); return nil }
		}
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	var wg sync.WaitGroup
	var submitted atomic.Int64
	half := make(chan struct{})
	var halfOnce sync.Once
	for s := range submitters {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(s), 42))
			for range perSubmitter {
				if submitted.Add(1) == int64(total/2) {
					halfOnce.Do(func() { close(half) })
				}
				var err error
				switch r.IntN(4) {
				case 0:
					err = p.TrySubmit(task(r))
				case 1:
					ctx := context.Background()
					if r.IntN(8) == 0 {
						ctx = canceled
					}
					err = p.Submit(ctx, task(r))
				default:
					if r.IntN(10) == 0 {
						err = p.Go(func() { c.panicked.Add(1); panic("chaos") })
					} else {
						err = p.Go(func() { c.completed.Add(1) })
					}
				}
				switch {
				case err == nil:
					c.accepted.Add(1)
				case errors.Is(err, pool.ErrClosed), errors.Is(err, pool.ErrQueueFull), errors.Is(err, context.Canceled):
					c.rejected.Add(1)
				default:
					t.Errorf("unexpected submission error: %v", err)
					return
				}
				if r.IntN(5000) == 0 {
					p.SetLimit(1 + r.IntN(16))
				}
			}
		})
	}
	<-half
	var dropped int
	var kept error
	if stop {
		dropped = p.Stop()
	} else {
		kept = p.Shutdown(context.Background())
	}
	wg.Wait()
	kept = errors.Join(kept, p.Shutdown(context.Background()))
	var pe *pool.PanicError
	assert.ErrorAs(t, kept, &pe, "fire-and-forget panics come back from Shutdown")
	assert.ErrorIs(t, kept, errTask)

	st := p.Stats()
	assert.EqualValues(t, c.accepted.Load(), st.Submitted)
	assert.EqualValues(t, c.rejected.Load(), st.Rejected)
	assert.Equal(t, st.Submitted, st.Completed+st.Failed+st.Panicked+st.Dropped, "every accepted task is accounted for once")
	assert.EqualValues(t, dropped, st.Dropped)
	assert.EqualValues(t, c.completed.Load(), st.Completed)
	assert.EqualValues(t, c.failed.Load()+c.exits.Load(), st.Failed)
	assert.EqualValues(t, c.panicked.Load(), st.Panicked)
	assert.Equal(t, 0, st.Workers)
	assert.Equal(t, 0, st.Running)
	assert.Equal(t, 0, st.Queued)
	if !testing.Short() {
		assert.GreaterOrEqual(t, st.Submitted, uint64(100_000), "the chaos covers at least 100k tasks")
	}
	t.Logf("%+v", st)
}
