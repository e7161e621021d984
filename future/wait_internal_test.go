package future

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// hasWaitCallback reports whether some Wait or AsCompleted has a callback on f.
func hasWaitCallback[T any](f *Future[T]) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for cb := f.cbs; cb != nil; cb = cb.next {
		if cb.sink != nil {
			return true
		}
	}
	return false
}

// inFlight sets up the race of issue 9 (bug 3) deterministically: a watch of
// f, h, f that registers on f, then stops on h's lock while f completes; f's
// callbacks are detached, and the first (registered before the watch) holds
// the completing goroutine until release is closed, so the watch's callback
// is taken off f but not delivered. watch is started by start; when the
// returned unblock is called, the watch meets h and then f again, done.
func inFlight(t *testing.T, start func(fs ...*Future[int])) (f, h *Future[int], ph Promise[int], release chan struct{}) {
	pf, ph := NewPromise[int](), NewPromise[int]()
	f, h = pf.Future(), ph.Future()
	release = make(chan struct{})
	entered := make(chan struct{})
	require.NoError(t, f.OnDone(func(*Future[int]) {
		close(entered)
		<-release
	}))
	h.mu.Lock()
	go start(f, h, f)
	for !hasWaitCallback(f) {
		runtime.Gosched() // the watcher registers on f, then blocks on h.mu
	}
	go func() { _ = pf.Resolve(1) }()
	<-entered
	require.Equal(t, Finished, f.State())
	h.mu.Unlock()
	return f, h, ph, release
}

// A future whose Wait callback was taken off it, but not delivered, when Wait
// stopped waiting is done: it must be listed once, in done, never in notDone.
func TestWaitCallbackInFlightListedOnce(t *testing.T) {
	type result struct {
		done, notDone []*Future[int]
		err           error
	}
	out := make(chan result, 1)
	f, h, ph, release := inFlight(t, func(fs ...*Future[int]) {
		done, notDone, err := Wait(context.Background(), FirstCompleted, fs...)
		out <- result{done, notDone, err}
	})
	r := <-out
	close(release)
	require.NoError(t, r.err)
	require.Equal(t, []*Future[int]{f}, r.done)
	require.Equal(t, []*Future[int]{h}, r.notDone)
	require.NoError(t, ph.Resolve(2))
}

// AsCompleted in the same race yields each future exactly once.
func TestAsCompletedCallbackInFlightYieldsOnce(t *testing.T) {
	out := make(chan *Future[int], 4)
	f, h, ph, release := inFlight(t, func(fs ...*Future[int]) {
		for g := range AsCompleted(context.Background(), fs...) {
			out <- g
		}
		close(out)
	})
	require.Equal(t, f, <-out)
	close(release) // delivers f's callback: a duplicate to drop
	require.NoError(t, ph.Resolve(2))
	var rest []*Future[int]
	for g := range out {
		rest = append(rest, g)
	}
	require.Equal(t, []*Future[int]{h}, rest)
}

// A Wait or AsCompleted that panics on a nil or zero future leaves no
// callback on the futures it met before.
func TestWatchMisuseLeavesNoCallback(t *testing.T) {
	var zero Future[int]
	for name, bad := range map[string]*Future[int]{"nil": nil, "zero": &zero} {
		t.Run(name, func(t *testing.T) {
			f := NewPromise[int]().Future()
			require.Panics(t, func() { _, _, _ = Wait(context.Background(), AllCompleted, f, bad) })
			require.False(t, hasWaitCallback(f))
			require.Panics(t, func() {
				for range AsCompleted(context.Background(), f, bad) {
				}
			})
			require.False(t, hasWaitCallback(f))
		})
	}
}

// Wait and AsCompleted leave no callback on the futures they stop watching,
// and cancel none of them, however they stop.
func TestWatchersLeaveNoCallback(t *testing.T) {
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	stops := map[string]func(fs ...*Future[int]){
		"Wait FirstCompleted": func(fs ...*Future[int]) { _, _, _ = Wait(context.Background(), FirstCompleted, fs...) },
		"Wait context ended":  func(fs ...*Future[int]) { _, _, _ = Wait(ended, AllCompleted, fs...) },
		"AsCompleted break": func(fs ...*Future[int]) {
			for range AsCompleted(context.Background(), fs...) {
				break
			}
		},
		"AsCompleted context ended": func(fs ...*Future[int]) {
			for range AsCompleted(ended, fs...) {
			}
		},
	}
	for name, stop := range stops {
		t.Run(name, func(t *testing.T) {
			done := NewPromise[int]()
			require.NoError(t, done.Resolve(1))
			pending := []*Future[int]{NewPromise[int]().Future(), NewPromise[int]().Future()}
			stop(pending[0], done.Future(), pending[1], pending[0])
			for _, f := range pending {
				require.False(t, hasWaitCallback(f))
				require.Equal(t, Pending, f.State())
			}
		})
	}
}
