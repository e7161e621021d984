package future_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

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

func TestWaitAllCompleted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(3)
		_ = ps[1].Resolve(1)
		go func() {
			time.Sleep(time.Second)
			_ = ps[2].Reject(errBoom)
			time.Sleep(time.Second)
			_ = ps[0].Resolve(0)
		}()
		done, notDone, err := future.Wait(t.Context(), future.AllCompleted, fs...)
		if err != nil || len(notDone) != 0 {
			t.Fatalf("err %v, notDone %v", err, notDone)
		}
		if !slices.Equal(done, []*future.Future[int]{fs[1], fs[2], fs[0]}) {
			t.Fatalf("done order = %v", done)
		}
	})
}

func TestWaitFirstCompleted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(3)
		go func() {
			time.Sleep(time.Second)
			_ = ps[2].Resolve(2)
		}()
		done, notDone, err := future.Wait(t.Context(), future.FirstCompleted, fs...)
		if err != nil || !slices.Equal(done, fs[2:]) || !slices.Equal(notDone, fs[:2]) {
			t.Fatalf("done %v notDone %v err %v", done, notDone, err)
		}
		// Nothing left registered: completing the rest must not touch the
		// abandoned wait.
		_ = ps[0].Resolve(0)
		_ = ps[1].Resolve(1)
	})
}

func TestWaitFirstCompletedAlreadyDone(t *testing.T) {
	ps, fs := promises(2)
	_ = ps[1].Resolve(1)
	done, notDone, err := future.Wait(t.Context(), future.FirstCompleted, fs...)
	if err != nil || !slices.Equal(done, fs[1:]) || !slices.Equal(notDone, fs[:1]) {
		t.Fatalf("done %v notDone %v err %v", done, notDone, err)
	}
}

func TestWaitFirstException(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(3)
		fs[0].Cancel() // a cancellation is not an exception
		go func() {
			time.Sleep(time.Second)
			_ = ps[1].Reject(errBoom)
		}()
		done, notDone, err := future.Wait(t.Context(), future.FirstError, fs...)
		if err != nil || !slices.Equal(done, fs[:2]) || !slices.Equal(notDone, fs[2:]) {
			t.Fatalf("done %v notDone %v err %v", done, notDone, err)
		}
		_ = ps[2].Resolve(2)
	})
}

func TestWaitFirstExceptionWithoutErrorIsAllCompleted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(3)
		go func() {
			for i, p := range ps {
				time.Sleep(time.Second)
				_ = p.Resolve(i)
			}
		}()
		start := time.Now()
		done, notDone, err := future.Wait(t.Context(), future.FirstError, fs...)
		if err != nil || len(done) != 3 || len(notDone) != 0 || time.Since(start) != 3*time.Second {
			t.Fatalf("done %v notDone %v err %v after %v", done, notDone, err, time.Since(start))
		}
	})
}

func TestWaitDuplicates(t *testing.T) {
	ps, fs := promises(2)
	_ = ps[0].Resolve(0)
	done, notDone, err := future.Wait(t.Context(), future.FirstCompleted, fs[0], fs[0], fs[1], fs[1])
	if err != nil || !slices.Equal(done, fs[:1]) || !slices.Equal(notDone, fs[1:]) {
		t.Fatalf("done %v notDone %v err %v", done, notDone, err)
	}
}

func TestWaitTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(2)
		_ = ps[0].Resolve(0)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		done, notDone, err := future.Wait(ctx, future.AllCompleted, fs...)
		if !errors.Is(err, context.DeadlineExceeded) || !slices.Equal(done, fs[:1]) || !slices.Equal(notDone, fs[1:]) {
			t.Fatalf("done %v notDone %v err %v", done, notDone, err)
		}
	})
}

func TestWaitEmpty(t *testing.T) {
	done, notDone, err := future.Wait[int](t.Context(), future.FirstCompleted)
	if done != nil || notDone != nil || err != nil {
		t.Fatalf("Wait() = %v %v %v", done, notDone, err)
	}
}

func TestAsCompletedOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(4)
		_ = ps[3].Resolve(3) // already done: yielded first
		go func() {
			for _, i := range []int{1, 0, 2} {
				time.Sleep(time.Second)
				_ = ps[i].Resolve(i)
			}
		}()
		var got []int
		for f := range future.AsCompleted(t.Context(), fs[0], fs[1], fs[1], fs[2], fs[3], fs[0]) {
			v, _ := f.Result(t.Context())
			got = append(got, v)
		}
		if !slices.Equal(got, []int{3, 1, 0, 2}) {
			t.Fatalf("order = %v", got)
		}
	})
}

func TestAsCompletedBreak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(3)
		go func() {
			time.Sleep(time.Second)
			_ = ps[0].Resolve(0)
		}()
		for f := range future.AsCompleted(t.Context(), fs...) {
			if f != fs[0] {
				t.Fatal("wrong future")
			}
			break
		}
		// The callbacks are gone: completing the others must not block or
		// signal anyone.
		_ = ps[1].Resolve(1)
		_ = ps[2].Resolve(2)
		synctest.Wait()
	})
}

func TestAsCompletedContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ps, fs := promises(2)
		_ = ps[0].Resolve(0)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		n := 0
		for range future.AsCompleted(ctx, fs...) {
			n++
		}
		if n != 1 || ctx.Err() == nil {
			t.Fatalf("yielded %d, ctx %v", n, ctx.Err())
		}
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
	seen := make([]bool, n)
	count := 0
	for f := range future.AsCompleted(t.Context(), fs...) {
		v, _ := f.Result(t.Context())
		if seen[v] {
			t.Fatalf("%d yielded twice", v)
		}
		seen[v] = true
		count++
	}
	if count != n {
		t.Fatalf("yielded %d of %d", count, n)
	}
}

// An already-expired context still reports what is done (Python's
// timeout=0): Wait returns the sets, AsCompleted yields the done futures.
func TestZeroTimeout(t *testing.T) {
	ps, fs := promises(3)
	_ = ps[1].Resolve(1)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	done, notDone, err := future.Wait(ctx, future.AllCompleted, fs...)
	if !errors.Is(err, context.Canceled) || !slices.Equal(done, fs[1:2]) || len(notDone) != 2 {
		t.Fatalf("Wait = %v %v %v", done, notDone, err)
	}
	var got []*future.Future[int]
	for f := range future.AsCompleted(ctx, fs...) {
		got = append(got, f)
	}
	if !slices.Equal(got, fs[1:2]) {
		t.Fatalf("AsCompleted yielded %v", got)
	}
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
			require.Equal(t, wantErr, r.err, "when=%d", when)
			require.Equal(t, []*future.Future[int]{fs[0]}, r.done)
			require.Equal(t, []*future.Future[int]{fs[1]}, r.notDone)
			require.NoError(t, ps[1].Resolve(1))
		})
	}
}
