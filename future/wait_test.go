package future_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/future"
)

func promises(n int) ([]future.Promise[int], []*future.Future[int]) {
	ps := make([]future.Promise[int], n)
	fs := make([]*future.Future[int], n)
	for i := range ps {
		ps[i] = future.NewPromise[int]()
		fs[i] = ps[i].Future()
	}
	return ps, fs
}

// pick returns the futures of fs at the indexes idx, in that order.
func pick(fs []*future.Future[int], idx []int) []*future.Future[int] {
	out := make([]*future.Future[int], len(idx))
	for i, j := range idx {
		out[i] = fs[j]
	}
	return out
}

// step completes promise i at the fake time at (0: before Wait is called):
// it is rejected with err, canceled if cancel is set, else resolved with i.
type step struct {
	at     time.Duration
	i      int
	err    error
	cancel bool
}

func (s step) do(ps []future.Promise[int]) {
	switch {
	case s.cancel:
		ps[s.i].Future().Cancel()
	case s.err != nil:
		_ = ps[s.i].Reject(s.err)
	default:
		_ = ps[s.i].Resolve(s.i)
	}
}

// Wait over three futures completed on a schedule: what it returns, and
// when.
func TestWait(t *testing.T) {
	cases := []struct {
		name  string
		when  future.ReturnWhen
		steps []step
		// args are the indexes of the futures passed to Wait; nil means all.
		args          []int
		timeout       time.Duration // of Wait's context; 0 means none
		done, notDone []int
		err           error
		took          time.Duration
	}{
		{
			name:  "AllCompleted: done first, then in completion order",
			when:  future.AllCompleted,
			steps: []step{{i: 1}, {at: time.Second, i: 2, err: errBoom}, {at: 2 * time.Second, i: 0}},
			done:  []int{1, 2, 0},
			took:  2 * time.Second,
		},
		{
			name:    "FirstCompleted",
			when:    future.FirstCompleted,
			steps:   []step{{at: time.Second, i: 2}},
			done:    []int{2},
			notDone: []int{0, 1},
			took:    time.Second,
		},
		{
			name:    "FirstCompleted already done",
			when:    future.FirstCompleted,
			steps:   []step{{i: 1}},
			done:    []int{1},
			notDone: []int{0, 2},
		},
		{
			name:    "FirstError: a cancellation is not an error",
			when:    future.FirstError,
			steps:   []step{{i: 0, cancel: true}, {at: time.Second, i: 1, err: errBoom}},
			done:    []int{0, 1},
			notDone: []int{2},
			took:    time.Second,
		},
		{
			name:  "FirstError with no error is AllCompleted",
			when:  future.FirstError,
			steps: []step{{at: time.Second, i: 0}, {at: 2 * time.Second, i: 1}, {at: 3 * time.Second, i: 2}},
			done:  []int{0, 1, 2},
			took:  3 * time.Second,
		},
		{
			name:    "duplicates are listed once",
			when:    future.FirstCompleted,
			steps:   []step{{i: 0}},
			args:    []int{0, 0, 1, 1},
			done:    []int{0},
			notDone: []int{1},
		},
		{
			name:    "context ends first",
			when:    future.AllCompleted,
			steps:   []step{{i: 0}},
			timeout: time.Second,
			done:    []int{0},
			notDone: []int{1, 2},
			err:     context.DeadlineExceeded,
			took:    time.Second,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ps, fs := promises(3)
				for _, s := range c.steps {
					if s.at == 0 {
						s.do(ps)
					} else {
						time.AfterFunc(s.at, func() { s.do(ps) })
					}
				}
				args := fs
				if c.args != nil {
					args = pick(fs, c.args)
				}
				ctx := t.Context()
				if c.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, c.timeout)
					defer cancel()
				}
				start := time.Now()
				done, notDone, err := future.Wait(ctx, c.when, args...)
				assert.Equal(t, c.took, time.Since(start), "Wait returned after")
				assert.Equal(t, c.err, err)
				assert.Equal(t, pick(fs, c.done), done, "done")
				if len(c.notDone) == 0 {
					assert.Empty(t, notDone, "notDone")
				} else {
					assert.Equal(t, pick(fs, c.notDone), notDone, "notDone")
				}
				// Completing the rest must not touch the finished Wait.
				for i, p := range ps {
					_ = p.Resolve(i)
				}
			})
		})
	}
}

func TestWaitNoFutures(t *testing.T) {
	done, notDone, err := future.Wait[int](t.Context(), future.FirstCompleted)
	assert.NoError(t, err)
	assert.Nil(t, done)
	assert.Nil(t, notDone)
}

// AsCompleted yields the futures already done, then the others as they
// complete, each once however often it is listed.
func TestAsCompletedOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(4)
		require.NoError(t, ps[3].Resolve(3)) // already done: yielded first
		for n, i := range []int{1, 0, 2} {
			time.AfterFunc(time.Duration(n+1)*time.Second, func() { _ = ps[i].Resolve(i) })
		}
		var got []int
		for f := range future.AsCompleted(t.Context(), fs[0], fs[1], fs[1], fs[2], fs[3], fs[0]) {
			v, err := f.Result(t.Context())
			require.NoError(t, err)
			got = append(got, v)
		}
		assert.Equal(t, []int{3, 1, 0, 2}, got)
	})
}

// Breaking out of AsCompleted leaves nothing watching the other futures:
// completing them afterwards blocks and signals no one.
func TestAsCompletedBreak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(3)
		time.AfterFunc(time.Second, func() { _ = ps[0].Resolve(0) })
		for f := range future.AsCompleted(t.Context(), fs...) {
			assert.Same(t, fs[0], f)
			break
		}
		require.NoError(t, ps[1].Resolve(1))
		require.NoError(t, ps[2].Resolve(2))
		synctest.Wait()
	})
}

// AsCompleted stops when its context ends, after yielding what was done.
func TestAsCompletedContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(2)
		require.NoError(t, ps[0].Resolve(0))
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		var got []*future.Future[int]
		for f := range future.AsCompleted(ctx, fs...) {
			got = append(got, f)
		}
		assert.Equal(t, fs[:1], got)
		assert.Error(t, ctx.Err(), "the iteration ended with the context")
	})
}

func TestAsCompletedManyConcurrent(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	fs := make([]*future.Future[int], n)
	for i := range fs {
		fs[i] = future.Go(t.Context(), func(context.Context) (int, error) { return i, nil })
	}
	seen := make([]int, n)
	for f := range future.AsCompleted(t.Context(), fs...) {
		v, err := f.Result(t.Context())
		require.NoError(t, err)
		seen[v]++
	}
	for v, k := range seen {
		require.Equal(t, 1, k, "future %d yielded", v)
	}
}

// An already-expired context still reports what is done (Python's
// timeout=0): Wait returns the sets, AsCompleted yields the done futures.
func TestZeroTimeout(t *testing.T) {
	ps, fs := promises(3)
	require.NoError(t, ps[1].Resolve(1))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	done, notDone, err := future.Wait(ctx, future.AllCompleted, fs...)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, fs[1:2], done)
	assert.Equal(t, []*future.Future[int]{fs[0], fs[2]}, notDone)
	var got []*future.Future[int]
	for f := range future.AsCompleted(ctx, fs...) {
		got = append(got, f)
	}
	assert.Equal(t, fs[1:2], got)
}

// When ctx ends while a future's completion is being delivered (its Wait
// callback taken off it, not yet run), the future is done: Wait lists it in
// done, once, and the futures still pending in notDone. err is nil if the
// sets meet the condition after all.
func TestWaitContextEndsWhileCompletionInFlight(t *testing.T) {
	for when, wantErr := range map[future.ReturnWhen]error{
		future.AllCompleted:   context.Canceled,
		future.FirstError:     context.Canceled,
		future.FirstCompleted: nil,
	} {
		t.Run(when.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ps, fs := promises(2)
				release := make(chan struct{})
				require.NoError(t, fs[0].OnDone(func(*future.Future[int]) { <-release }))
				ctx, cancel := context.WithCancel(t.Context())
				type result struct {
					done, notDone []*future.Future[int]
					err           error
				}
				out := make(chan result, 1)
				go func() {
					done, notDone, err := future.Wait(ctx, when, fs[0], fs[1], fs[0])
					out <- result{done, notDone, err}
				}()
				synctest.Wait() // Wait is parked with its callbacks registered
				go func() { _ = ps[0].Resolve(0) }()
				synctest.Wait() // fs[0] is Finished; its callbacks wait on release
				require.Equal(t, future.Finished, fs[0].State())
				cancel()
				r := <-out
				close(release)
				assert.Equal(t, wantErr, r.err)
				assert.Equal(t, []*future.Future[int]{fs[0]}, r.done)
				assert.Equal(t, []*future.Future[int]{fs[1]}, r.notDone)
				require.NoError(t, ps[1].Resolve(1))
			})
		})
	}
}
