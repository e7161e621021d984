package future_test

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

// TestStressExecutor races submitters, cancellers, waiters and a shutdown,
// and checks that every future ends done, exactly once, with its callbacks run.
func TestStressExecutor(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	perG := 2000
	if testing.Short() {
		perG = 200
	}
	e := future.NewExecutor(procs)
	var callbacks atomic.Int64
	futures := make(chan *future.Future[int], 4*procs*perG)
	var wg sync.WaitGroup
	for g := range 2 * procs {
		wg.Go(func() {
			for i := range perG {
				f, err := future.Submit(context.Background(), e, func(ctx context.Context) (int, error) {
					if i%7 == 0 {
						<-ctx.Done()
						return 0, ctx.Err()
					}
					return i, nil
				})
				if err != nil {
					return // closed by the shutdown below
				}
				_ = f.OnDone(func(*future.Future[int]) { callbacks.Add(1) })
				if (g+i)%3 == 0 || i%7 == 0 {
					f.Cancel()
				}
				futures <- f
			}
		})
	}
	wg.Go(func() {
		var fs []*future.Future[int]
		for range 3 * procs {
			select {
			case f := <-futures:
				fs = append(fs, f)
				futures <- f
			default:
			}
		}
		for range future.AsCompleted(context.Background(), fs...) {
		}
	})
	wg.Wait()
	e.Stop() // cancels the futures still queued
	require.NoError(t, e.Shutdown(context.Background()))
	close(futures)
	seen := map[*future.Future[int]]bool{}
	for f := range futures {
		seen[f] = true
		_, err := f.Result(context.Background())
		s := f.State()
		require.True(t, s == future.Finished || s == future.Canceled, "future left %v (%v)", s, err)
	}
	require.EqualValues(t, len(seen), callbacks.Load(), "callbacks run, one per future")
}

// TestStressWaitAsCompleted completes futures from many goroutines while
// Wait and AsCompleted watch them.
func TestStressWaitAsCompleted(t *testing.T) {
	n := 500 * runtime.GOMAXPROCS(0)
	if testing.Short() {
		n = 100
	}
	ps, fs := promises(n)
	var wg sync.WaitGroup
	for w := range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := w; i < n; i += runtime.GOMAXPROCS(0) {
				if i%5 == 0 {
					fs[i].Cancel()
				} else {
					_ = ps[i].Resolve(i)
				}
			}
		})
	}
	got := 0
	for range future.AsCompleted(context.Background(), fs...) {
		got++
	}
	done, notDone, err := future.Wait(context.Background(), future.AllCompleted, fs...)
	wg.Wait()
	assert.Equal(t, n, got, "futures AsCompleted yielded")
	assert.NoError(t, err)
	assert.Len(t, done, n)
	assert.Empty(t, notDone)
}

// TestStressDuplicates gives AsCompleted and Wait lists full of duplicates
// while the futures complete concurrently, so that some complete between two
// of their occurrences: each must still come out exactly once.
func TestStressDuplicates(t *testing.T) {
	rounds := 300
	if testing.Short() {
		rounds = 30
	}
	for r := range rounds {
		ps, fs := promises(8)
		list := make([]*future.Future[int], 0, 64)
		for i := range 64 {
			list = append(list, fs[(i*5+r)%8])
		}
		go func() {
			for i, p := range ps {
				_ = p.Resolve(i)
			}
		}()
		if r%2 == 0 {
			seen := map[*future.Future[int]]int{}
			for f := range future.AsCompleted(context.Background(), list...) {
				seen[f]++
			}
			for i, f := range fs {
				require.Equal(t, 1, seen[f], "round %d: future %d yielded", r, i)
			}
			continue
		}
		when := future.AllCompleted
		if r%4 == 1 {
			when = future.FirstCompleted
		}
		done, notDone, err := future.Wait(context.Background(), when, list...)
		require.NoError(t, err, "round %d", r)
		uniq := map[*future.Future[int]]bool{}
		for _, f := range append(slices.Clone(done), notDone...) {
			require.False(t, uniq[f], "round %d: a future is listed twice", r)
			uniq[f] = true
		}
		require.Len(t, uniq, 8, "round %d", r)
		if when == future.AllCompleted {
			require.Empty(t, notDone, "round %d", r)
		}
		for _, f := range done {
			require.Equal(t, future.Finished, f.State(), "round %d: a future in done", r)
		}
		// Let the resolver finish before the next round.
		_, _, _ = future.Wait(context.Background(), future.AllCompleted, fs...)
	}
}

// TestStressWaitContextRace ends Wait's context while the futures complete
// or are canceled, in every mode: whatever wins, each future is listed once,
// every future in done is done, and a nil error means the condition holds.
func TestStressWaitContextRace(t *testing.T) {
	rounds := 200 * runtime.GOMAXPROCS(0)
	if testing.Short() {
		rounds = 50
	}
	modes := []future.ReturnWhen{future.AllCompleted, future.FirstCompleted, future.FirstError}
	for r := range rounds {
		ps, fs := promises(8)
		list := make([]*future.Future[int], 0, 24)
		for i := range 24 {
			list = append(list, fs[(i*3+r)%8])
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() {
			for i, p := range ps {
				switch (i + r) % 4 {
				case 0:
					p.Future().Cancel()
				case 1:
					_ = p.Reject(errBoom)
				default:
					_ = p.Resolve(i)
				}
				if i == r%8 {
					cancel()
				}
			}
		})
		when := modes[r%len(modes)]
		done, notDone, err := future.Wait(ctx, when, list...)
		wg.Wait()
		cancel()
		uniq := map[*future.Future[int]]bool{}
		for _, f := range append(slices.Clone(done), notDone...) {
			require.False(t, uniq[f], "round %d: a future is listed twice", r)
			uniq[f] = true
		}
		require.Len(t, uniq, 8, "round %d", r)
		failed := false
		for _, f := range done {
			s := f.State()
			require.True(t, s == future.Finished || s == future.Canceled, "round %d: a future in done is %v", r, s)
			_, ferr, _ := f.TryResult()
			failed = failed || s == future.Finished && ferr != nil
		}
		if err == nil {
			switch when {
			case future.AllCompleted:
				require.Empty(t, notDone, "round %d", r)
			case future.FirstCompleted:
				require.NotEmpty(t, done, "round %d", r)
			case future.FirstError:
				require.True(t, failed || len(notDone) == 0, "round %d", r)
			}
		} else {
			require.ErrorIs(t, err, context.Canceled, "round %d", r)
		}
	}
}

// TestStressCancelRace races Cancel against the start and the completion of
// tasks on Go, a pool and an Executor, while AsCompleted watches: each future
// ends once — Canceled with its task never run, or Finished with it run —
// each callback runs once and AsCompleted yields each future once.
func TestStressCancelRace(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	n := 1000 * procs
	if testing.Short() {
		n = 100
	}
	p := pool.New(procs)
	e := future.NewExecutor(procs)
	ran := make([]atomic.Int32, n)
	calls := make([]atomic.Int32, n)
	// A callback runs after its future's result is visible, so AsCompleted
	// may yield a future before it runs, and nothing waits for the
	// callbacks of a future.Go: each one reports here (twice if it runs
	// twice, which calls catches).
	called := make(chan struct{}, 2*n)
	fs := make([]*future.Future[int], n)
	for i := range fs {
		task := func(ctx context.Context) (int, error) {
			ran[i].Add(1)
			if i%5 == 0 {
				<-ctx.Done() // ended by Cancel, or when the runner stops
				return i, ctx.Err()
			}
			return i, nil
		}
		var err error
		switch i % 3 {
		case 0:
			fs[i] = future.Go(context.Background(), task)
		case 1:
			fs[i], err = future.Submit(context.Background(), p, task)
		case 2:
			fs[i], err = future.Submit(context.Background(), e, task)
		}
		require.NoError(t, err)
		require.NoError(t, fs[i].OnDone(func(*future.Future[int]) {
			calls[i].Add(1)
			called <- struct{}{}
		}))
	}
	var wg sync.WaitGroup
	for w := range procs {
		wg.Go(func() {
			for i := w; i < n; i += procs {
				if i%2 == 0 || i%5 == 0 {
					fs[i].Cancel()
				}
			}
		})
	}
	seen := make(map[*future.Future[int]]int, n)
	for f := range future.AsCompleted(context.Background(), fs...) {
		seen[f]++
	}
	wg.Wait()
	require.NoError(t, p.Shutdown(context.Background()))
	shutdownExecutor(t, e)
	for range n {
		<-called
	}
	require.Len(t, seen, n)
	for i, f := range fs {
		require.Equal(t, 1, seen[f], "future %d yielded %d times", i, seen[f])
		require.Equal(t, int32(1), calls[i].Load(), "future %d: callbacks", i)
		switch s := f.State(); s {
		case future.Canceled:
			require.Zero(t, ran[i].Load(), "future %d: canceled but its task ran", i)
			_, err := f.Result(context.Background())
			require.ErrorIs(t, err, future.ErrCanceled)
		case future.Finished:
			require.Equal(t, int32(1), ran[i].Load(), "future %d: finished, task ran %d times", i, ran[i].Load())
		default:
			require.Fail(t, "future left unfinished", "future %d: %v", i, s)
		}
	}
}
