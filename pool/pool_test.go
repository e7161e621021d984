package pool_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/weftgo/weft/internal/bubbletest"
	"github.com/weftgo/weft/pool"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// concurrencyMeter records the highest number of tasks seen inside at once.
type concurrencyMeter struct {
	now, max atomic.Int64
}

func (m *concurrencyMeter) enter() {
	n := m.now.Add(1)
	for {
		old := m.max.Load()
		if n <= old || m.max.CompareAndSwap(old, n) {
			return
		}
	}
}

func (m *concurrencyMeter) leave() { m.now.Add(-1) }

func shutdown(t *testing.T, p *pool.Pool) {
	t.Helper()
	require.NoError(t, p.Shutdown(context.Background()))
}

func TestNewRejectsBadLimit(t *testing.T) {
	assert.PanicsWithValue(t, "pool: New(0): limit must be at least 1", func() { pool.New(0) })
	assert.Panics(t, func() { pool.WithQueueSize(-1) })
	assert.Panics(t, func() { pool.WithIdleTimeout(0) })
	p := pool.New(1)
	assert.Panics(t, func() { p.SetLimit(0) })
	assert.PanicsWithValue(t, "pool: nil func", func() { _ = p.Go(nil) })
	shutdown(t, p)
}

func TestLimitIsNeverExceeded(t *testing.T) {
	const limit = 3
	p := pool.New(limit)
	var m concurrencyMeter
	var ran atomic.Int64
	for range 2000 {
		require.NoError(t, p.Go(func() {
			m.enter()
			runtime.Gosched()
			m.leave()
			ran.Add(1)
		}))
	}
	require.NoError(t, p.Wait())
	assert.EqualValues(t, 2000, ran.Load())
	assert.LessOrEqual(t, m.max.Load(), int64(limit))
	st := p.Stats()
	assert.LessOrEqual(t, st.Workers, limit)
	assert.EqualValues(t, 2000, st.Submitted)
	assert.EqualValues(t, 2000, st.Completed)
	shutdown(t, p)
}

func TestWorkersAreReused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(4)
		for range 100 {
			require.NoError(t, p.Go(func() {}))
			synctest.Wait() // the task ends and its worker parks before the next submit
		}
		assert.Equal(t, 1, p.Stats().Workers, "one worker serves sequential tasks")
		shutdown(t, p)
	})
}

func TestIdlePoolHoldsNoGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(10_000, pool.WithIdleTimeout(time.Second))
		start := make(chan struct{})
		for range 10_000 {
			require.NoError(t, p.Go(func() { <-start }))
		}
		synctest.Wait()
		assert.Equal(t, 10_000, p.Stats().Workers)
		close(start)
		require.NoError(t, p.Wait())
		<-time.After(999 * time.Millisecond)
		synctest.Wait()
		assert.Equal(t, 10_000, p.Stats().Workers, "workers linger until the timeout")
		assert.Equal(t, 10_000, parkedWorkers())
		<-time.After(2 * time.Millisecond)
		synctest.Wait()
		st := p.Stats()
		assert.Equal(t, 0, st.Workers)
		assert.Equal(t, 0, parkedWorkers(), "every worker goroutine has exited")
		// The pool still works after its workers have gone.
		done := make(chan struct{})
		require.NoError(t, p.Go(func() { close(done) }))
		<-done
		shutdown(t, p)
	})
}

// A large pool, whose goroutines yield rather than park when they find its
// lock held, works inside a synctest bubble under contention: a hundred
// submitters' thousand sleeping tasks all run at once, so the bubble's clock
// moves by one sleep, and everything winds down.
func TestLargePoolUnderContentionInBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1000)
		var ran atomic.Int64
		start := time.Now()
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				for range 10 {
					assert.NoError(t, p.Go(func() {
						time.Sleep(10 * time.Millisecond)
						ran.Add(1)
					}))
				}
			})
		}
		wg.Wait()
		shutdown(t, p)
		assert.Equal(t, int64(1000), ran.Load())
		assert.Equal(t, 10*time.Millisecond, time.Since(start), "every task ran at once")
	})
}

func TestSubmitHonoursContextWhenQueueFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1, pool.WithQueueSize(1))
		release := make(chan struct{})
		block := func(context.Context) error { <-release; return nil }
		require.NoError(t, p.TrySubmit(block)) // runs
		require.NoError(t, p.TrySubmit(block)) // queued
		assert.ErrorIs(t, p.TrySubmit(block), pool.ErrQueueFull)

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := p.Submit(ctx, block)
		assert.ErrorIs(t, err, context.DeadlineExceeded)

		// A blocked submitter gets in as soon as there is room.
		got := make(chan error, 1)
		go func() { got <- p.Submit(context.Background(), func(context.Context) error { return nil }) }()
		synctest.Wait()
		assert.Empty(t, got, "submit must block while the queue is full")
		close(release)
		assert.NoError(t, <-got)
		require.NoError(t, p.Wait())
		st := p.Stats()
		assert.EqualValues(t, 3, st.Submitted)
		assert.EqualValues(t, 2, st.Rejected)
		shutdown(t, p)
	})
}

func TestHandOffModeHasNoQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(2, pool.WithQueueSize(0))
		release := make(chan struct{})
		block := func(context.Context) error { <-release; return nil }
		require.NoError(t, p.TrySubmit(block))
		require.NoError(t, p.TrySubmit(block))
		assert.ErrorIs(t, p.TrySubmit(block), pool.ErrQueueFull)
		synctest.Wait()
		assert.Equal(t, 0, p.Stats().Queued)

		got := make(chan error, 1)
		go func() { got <- p.Go(func() {}) }()
		synctest.Wait()
		assert.Empty(t, got)
		release <- struct{}{} // one worker frees up and takes the hand-off
		assert.NoError(t, <-got)
		close(release)
		shutdown(t, p)
	})
}

func panicky() { panic("kaboom") }

func TestPanicBecomesErrorAtWait(t *testing.T) {
	p := pool.New(2)
	require.NoError(t, p.Go(panicky))
	require.NoError(t, p.Submit(context.Background(), func(context.Context) error { panic(io.ErrClosedPipe) }))
	require.NoError(t, p.Submit(context.Background(), func(context.Context) error { return io.EOF }))
	err := p.Wait()
	var pe *pool.PanicError
	require.ErrorAs(t, err, &pe)
	assert.ErrorIs(t, err, io.ErrClosedPipe, "errors.Is reaches an error passed to panic")
	assert.ErrorIs(t, err, io.EOF)
	assert.Contains(t, err.Error(), "kaboom")
	assert.Contains(t, err.Error(), "panicky", "the stack shows the panicking function")
	assert.NoError(t, p.Wait(), "Wait forgets the errors it returned")

	st := p.Stats()
	assert.EqualValues(t, 2, st.Panicked)
	assert.EqualValues(t, 1, st.Failed)
	assert.Equal(t, 3, int(st.Submitted))
	shutdown(t, p)
}

func TestGoexitKeepsWorkerAndReports(t *testing.T) {
	p := pool.New(1)
	for range 5 {
		require.NoError(t, p.Go(func() { runtime.Goexit() }))
	}
	ran := make(chan struct{})
	require.NoError(t, p.Go(func() { close(ran) }))
	<-ran // the pool still runs tasks after its only worker's goroutine exited
	err := p.Wait()
	assert.ErrorIs(t, err, pool.ErrGoexit)
	st := p.Stats()
	assert.EqualValues(t, 5, st.Failed)
	assert.EqualValues(t, 1, st.Completed)
	assert.Equal(t, 1, st.Workers)
	shutdown(t, p)
}

func TestErrorHandlerReceivesTaskErrors(t *testing.T) {
	var mu sync.Mutex
	var got []error
	p := pool.New(2, pool.WithErrorHandler(func(err error) {
		mu.Lock()
		got = append(got, err)
		mu.Unlock()
		if errors.Is(err, io.ErrShortWrite) {
			panic("handler panics too")
		}
	}))
	require.NoError(t, p.Go(panicky))
	require.NoError(t, p.Submit(context.Background(), func(context.Context) error { return io.EOF }))
	require.NoError(t, p.Submit(context.Background(), func(context.Context) error { return io.ErrShortWrite }))
	err := p.Wait()
	var pe *pool.PanicError
	require.ErrorAs(t, err, &pe, "the handler's own panic is kept for Wait")
	assert.Equal(t, "handler panics too", pe.Value)
	mu.Lock()
	assert.Len(t, got, 3)
	mu.Unlock()
	shutdown(t, p)
}

// parkedWorkers counts goroutines of the calling synctest bubble parked as
// idle pool workers. Only the bubble's: a worker of an earlier test's pool
// may still be on its way out of park after that pool's Shutdown returned
// (Shutdown waits for the count of workers, not for their goroutines), and
// a bubble's goroutines cannot outlive it.
func parkedWorkers() int {
	n := 0
	for _, g := range bubbletest.Stacks() {
		if strings.Contains(g, "pool.(*worker).park(") {
			n++
		}
	}
	return n
}

func TestNewStartsNoGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(8, pool.WithQueueSize(4))
		synctest.Wait()
		assert.Equal(t, 0, p.Stats().Workers)
		assert.Equal(t, 0, parkedWorkers())
		shutdown(t, p)
	})
}
