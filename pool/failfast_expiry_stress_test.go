package pool_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
)

// TestStressFailFastExpiryWithBlockedSubmitters is the real-time
// counterpart of failfast_expiry_test.go: a pool's workers are held while
// its bounded queue is full with a fail-fast group's task whose
// QueueTimeout passes at a random moment (and, in half the rounds, Stop
// races it), with submitters of that group and of another one blocked or
// arriving around it, with random priorities. The workers go on once the
// group's context is done. Every submit is accepted or refused with a
// documented error; a task of the failed group that runs sees
// ErrQueueTimeout as its context's cause; the expiring task never runs,
// and is counted once, expired or dropped; Wait reports it once, as the
// first error, if it expired; nothing hangs.
func TestStressFailFastExpiryWithBlockedSubmitters(t *testing.T) {
	for _, stop := range []bool{false, true} {
		t.Run(fmt.Sprintf("stop=%v", stop), func(t *testing.T) {
			for round := range stressRounds(25) {
				stressFailFastExpiry(t, rand.New(rand.NewPCG(uint64(round), 7)), stop)
				if t.Failed() {
					t.Fatalf("round %d", round)
				}
			}
		})
	}
}

func stressFailFastExpiry(t *testing.T, rng *rand.Rand, stop bool) {
	limit, qsize := 1+rng.IntN(2), 1+rng.IntN(2)
	p := pool.New(limit, pool.WithQueueSize(qsize))
	hold := make(chan struct{})
	var holding sync.WaitGroup
	for range limit {
		holding.Add(1)
		require.NoError(t, p.Go(func() { holding.Done(); <-hold }))
	}
	holding.Wait()
	g, gctx := p.Group(context.Background(), pool.WithFailFast())
	other, _ := p.Group(context.Background())
	var never, ranG, ranO, badCause atomic.Int32
	theirs := func(context.Context) error { ranO.Add(1); return nil }
	for i := range qsize {
		opts := []pool.TaskOption{pool.Priority(rng.IntN(5) - 2)}
		if i == 0 {
			opts = append(opts, pool.QueueTimeout(time.Duration(rng.IntN(200))*time.Microsecond))
			require.NoError(t, g.Go(func(context.Context) error { never.Add(1); return nil }, opts...))
		} else {
			require.NoError(t, other.Go(theirs, opts...))
		}
	}
	mine := func(ctx context.Context) error {
		ranG.Add(1)
		if context.Cause(ctx) != pool.ErrQueueTimeout && !stop {
			badCause.Add(1)
		}
		return nil
	}
	nMine, nTheirs := 2+rng.IntN(4), 1+rng.IntN(3)
	resMine, resTheirs := make(chan error, nMine), make(chan error, nTheirs)
	for i := range nMine {
		opts := []pool.TaskOption{pool.Priority(rng.IntN(5) - 2)}
		go func() {
			switch i % 3 {
			case 0:
				resMine <- g.Go(mine, opts...)
			case 1:
				resMine <- g.Submit(context.Background(), mine, opts...)
			default:
				resMine <- g.Submit(gctx, mine, opts...)
			}
		}()
	}
	for range nTheirs {
		opts := []pool.TaskOption{pool.Priority(rng.IntN(5) - 2)}
		go func() { resTheirs <- other.Go(theirs, opts...) }()
	}
	stopped := make(chan int, 1)
	if stop {
		go func() { stopped <- p.Stop() }()
	}
	<-gctx.Done() // the expiry, or Stop, which the queued task keeps the group in
	close(hold)

	admitted := 0
	for range nMine {
		switch err := <-resMine; {
		case err == nil:
			admitted++
		case err == pool.ErrQueueTimeout, stop && (err == pool.ErrClosed || err == pool.ErrStopped):
		default:
			t.Errorf("a submit of the failing group returned %v", err)
		}
	}
	for range nTheirs {
		switch err := <-resTheirs; {
		case err == nil:
			admitted++
		case stop && err == pool.ErrClosed:
		default:
			t.Errorf("a submit of the other group returned %v", err)
		}
	}
	gerr := g.Wait()
	oerr := other.Wait()
	if stop {
		<-stopped
	}
	shutdown(t, p)
	st := p.Stats()
	assert.Zero(t, never.Load(), "the expiring task ran")
	assert.Zero(t, badCause.Load(), "a task of the failed group ran with another cause")
	assert.Equal(t, uint64(limit+qsize+admitted), st.Submitted)
	assert.Equal(t, st.Submitted, uint64(limit)+uint64(ranG.Load()+ranO.Load())+st.Expired+st.Dropped, "every task ran, expired or was dropped, once")
	assert.Equal(t, st.Submitted, st.Completed+st.Expired+st.Dropped)
	assert.LessOrEqual(t, st.Expired, uint64(1))
	if st.Expired == 1 {
		assert.Equal(t, 1, countErrs(gerr, pool.ErrQueueTimeout), "Wait returned %v", gerr)
		first := gerr
		if j, ok := gerr.(interface{ Unwrap() []error }); ok {
			first = j.Unwrap()[0]
		}
		assert.Same(t, pool.ErrQueueTimeout, first, "the first error first")
	} else {
		assert.True(t, stop, "no expiry without Stop")
		assert.NotErrorIs(t, gerr, pool.ErrQueueTimeout)
	}
	if !stop {
		assert.Same(t, pool.ErrQueueTimeout, gerr)
		assert.NoError(t, oerr)
	} else if oerr != nil {
		assert.ErrorIs(t, oerr, pool.ErrClosed)
	}
	if errors.Is(gerr, pool.ErrQueueTimeout) || !stop {
		assert.Same(t, pool.ErrQueueTimeout, context.Cause(gctx))
	}
}
