package future_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

// The panic messages a user sees for each kind of misuse.
const (
	msgNilCtx       = "future: nil Context"
	msgZeroPromise  = "future: Promise must be made with NewPromise"
	msgZeroExecutor = "future: Executor must be made with NewExecutor"
	msgZeroFuture   = "future: Future must be made with Go, Submit, NewPromise or a combinator"
)

// misuseTimeout bounds every call of the misuse tables: none may hang.
const misuseTimeout = 10 * time.Second

// outcome is how one call ended.
type outcome struct {
	panicked bool
	value    any // the panic value
}

func (o outcome) String() string {
	if !o.panicked {
		return "returned"
	}
	return fmt.Sprintf("panic(%v)", o.value)
}

// try runs fn on its own goroutine and reports how it ended; it fails the
// test if fn takes longer than misuseTimeout (a hang, or a lock left held).
// A fatal error (such as an unlock of an unlocked mutex) ends the test binary.
func try(t *testing.T, fn func()) outcome {
	t.Helper()
	ch := make(chan outcome, 1)
	go func() {
		o := outcome{panicked: true}
		defer func() {
			if o.panicked {
				o.value = recover()
			}
			ch <- o
		}()
		fn()
		o.panicked = false
	}()
	timer := time.NewTimer(misuseTimeout)
	defer timer.Stop()
	select {
	case o := <-ch:
		return o
	case <-timer.C:
		t.Fatalf("still running after %v", misuseTimeout)
		return outcome{}
	}
}

// misuse is one row of a misuse table.
type misuse struct {
	name string
	// want is the panic message; "" means the call must return normally.
	want string
	// mk builds the call and, if the misuse could leave something broken
	// (a lock held, a callback registered, a future changed), a check of it.
	mk func(t *testing.T) (call func(), check afterCheck)
}

// afterCheck checks that a misuse left nothing broken. It runs under the
// misuse timeout, on a goroutine of its own: it reports with assert, never
// require.
type afterCheck func(t *testing.T)

// runMisuse runs each row: the call ends as wanted; a panicking call, made
// again, panics the same way (so the first left nothing locked); then check.
func runMisuse(t *testing.T, rows []misuse) {
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			call, check := row.mk(t)
			want := outcome{}
			if row.want != "" {
				want = outcome{panicked: true, value: row.want}
			}
			require.Equal(t, want.String(), try(t, call).String())
			if row.want != "" {
				require.Equal(t, want.String(), try(t, call).String(), "second call")
			}
			if check != nil {
				try(t, func() { check(t) })
			}
		})
	}
}

func ok(context.Context) (int, error) { return 1, nil }

func okThen(context.Context, int) (int, error) { return 1, nil }

// pendingFuture returns a promise's future and a check that the misuse left
// it working: it still completes, and every watcher sees it.
func pendingFuture() (*future.Future[int], afterCheck) {
	p := future.NewPromise[int]()
	f := p.Future()
	return f, func(t *testing.T) {
		assert.Equal(t, future.Pending, f.State(), "the future after the misuse")
		if !assert.NoError(t, p.Resolve(7)) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), misuseTimeout)
		defer cancel()
		v, err := f.Result(ctx)
		assert.NoError(t, err)
		assert.Equal(t, 7, v)
		done, notDone, err := future.Wait(ctx, future.AllCompleted, f)
		assert.NoError(t, err)
		assert.Equal(t, []*future.Future[int]{f}, done)
		assert.Empty(t, notDone)
	}
}

// executorStillWorks returns a check that e still runs a task and shuts
// down cleanly.
func executorStillWorks(e *future.Executor) afterCheck {
	return func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), misuseTimeout)
		defer cancel()
		f, err := future.Submit(ctx, e, ok)
		if !assert.NoError(t, err) {
			return
		}
		v, err := f.Result(ctx)
		assert.NoError(t, err)
		assert.Equal(t, 1, v)
		assert.NoError(t, e.Shutdown(ctx))
	}
}

// TestMisuse is the package's misuse table: each wrong use and what the user
// sees. Misuse panics at once, with a "future: " message, and leaves nothing
// locked; run-time conditions are errors.
func TestMisuse(t *testing.T) {
	ctx := context.Background()
	var nilCtx context.Context
	done := func() *future.Future[int] {
		p := future.NewPromise[int]()
		_ = p.Resolve(1)
		return p.Future()
	}
	runMisuse(t, []misuse{
		// Nil contexts.
		{"Go nil Context", msgNilCtx, func(*testing.T) (func(), afterCheck) {
			return func() { future.Go(nilCtx, ok) }, nil
		}},
		{"Result nil Context pending", msgNilCtx, func(*testing.T) (func(), afterCheck) {
			f, check := pendingFuture()
			return func() { _, _ = f.Result(nilCtx) }, check
		}},
		{"Result nil Context done", msgNilCtx, func(*testing.T) (func(), afterCheck) {
			f := done()
			return func() { _, _ = f.Result(nilCtx) }, nil
		}},
		{"Wait nil Context", msgNilCtx, func(*testing.T) (func(), afterCheck) {
			f, check := pendingFuture()
			return func() { _, _, _ = future.Wait(nilCtx, future.AllCompleted, f) }, check
		}},
		{"AsCompleted nil Context", msgNilCtx, func(*testing.T) (func(), afterCheck) {
			f, check := pendingFuture()
			return func() { future.AsCompleted(nilCtx, f) }, check
		}},
		{"All nil Context", msgNilCtx, func(*testing.T) (func(), afterCheck) {
			f, check := pendingFuture()
			return func() { _, _ = future.All(nilCtx, f) }, check
		}},
		{"AllSettled nil Context", msgNilCtx, func(*testing.T) (func(), afterCheck) {
			f, check := pendingFuture()
			return func() { _, _ = future.AllSettled(nilCtx, f) }, check
		}},
		{"Any nil Context", msgNilCtx, func(*testing.T) (func(), afterCheck) {
			f, check := pendingFuture()
			return func() { _, _ = future.Any(nilCtx, f) }, check
		}},
		{"Any nil Context no futures", msgNilCtx, func(*testing.T) (func(), afterCheck) {
			return func() { _, _ = future.Any[int](nilCtx) }, nil
		}},
		{"Race nil Context", msgNilCtx, func(*testing.T) (func(), afterCheck) {
			f, check := pendingFuture()
			return func() { _, _ = future.Race(nilCtx, f) }, check
		}},
		{"Race nil Context no futures", msgNilCtx, func(*testing.T) (func(), afterCheck) {
			return func() { _, _ = future.Race[int](nilCtx) }, nil
		}},
		{"Submit nil Context on an Executor", msgNilCtx, func(*testing.T) (func(), afterCheck) {
			e := future.NewExecutor(1)
			return func() { _, _ = future.Submit(nilCtx, e, ok) }, executorStillWorks(e)
		}},
		{"Executor.Submit nil Context", msgNilCtx, func(*testing.T) (func(), afterCheck) {
			e := future.NewExecutor(1)
			return func() { _ = e.Submit(nilCtx, func(context.Context) error { return nil }) }, executorStillWorks(e)
		}},
		{"Executor.Shutdown nil Context", msgNilCtx, func(*testing.T) (func(), afterCheck) {
			e := future.NewExecutor(1)
			return func() { _ = e.Shutdown(nilCtx) }, executorStillWorks(e)
		}},

		// Nil funcs, nil futures, bad arguments.
		{"Go nil func", "future: Go with nil func", func(*testing.T) (func(), afterCheck) {
			return func() { future.Go[int](ctx, nil) }, nil
		}},
		{"OnDone nil func", "future: OnDone with nil func", func(*testing.T) (func(), afterCheck) {
			f, check := pendingFuture()
			return func() { _ = f.OnDone(nil) }, check
		}},
		{"Then nil func", "future: Then with nil func", func(*testing.T) (func(), afterCheck) {
			f, check := pendingFuture()
			return func() { future.Then[int, int](f, nil) }, check
		}},
		{"Then nil future", "future: Then with nil *Future", func(*testing.T) (func(), afterCheck) {
			return func() { future.Then(nil, okThen) }, nil
		}},
		{"Compose nil func", "future: Compose with nil func", func(*testing.T) (func(), afterCheck) {
			f, check := pendingFuture()
			return func() { future.Compose[int, int](f, nil) }, check
		}},
		{"Compose nil future", "future: Compose with nil *Future", func(*testing.T) (func(), afterCheck) {
			return func() {
				future.Compose(nil, func(context.Context, int) (*future.Future[int], error) { return nil, nil })
			}, nil
		}},
		{"Wait nil future after a pending one", "future: nil *Future", func(*testing.T) (func(), afterCheck) {
			f, check := pendingFuture()
			return func() { _, _, _ = future.Wait(ctx, future.AllCompleted, f, nil) }, check
		}},
		{"AsCompleted nil future", "future: nil *Future", func(*testing.T) (func(), afterCheck) {
			f, check := pendingFuture()
			return func() { future.AsCompleted(ctx, f, nil) }, check
		}},
		{"All nil future", "future: nil *Future", func(*testing.T) (func(), afterCheck) {
			f, check := pendingFuture()
			return func() { _, _ = future.All(ctx, f, nil) }, check
		}},
		{"nil *Future State", "future: nil *Future", func(*testing.T) (func(), afterCheck) {
			var f *future.Future[int]
			return func() { f.State() }, nil
		}},
		{"nil *Future Done", "future: nil *Future", func(*testing.T) (func(), afterCheck) {
			var f *future.Future[int]
			return func() { f.Done() }, nil
		}},
		{"nil *Future Result", "future: nil *Future", func(*testing.T) (func(), afterCheck) {
			var f *future.Future[int]
			return func() { _, _ = f.Result(ctx) }, nil
		}},
		{"nil *Future TryResult", "future: nil *Future", func(*testing.T) (func(), afterCheck) {
			var f *future.Future[int]
			return func() { _, _, _ = f.TryResult() }, nil
		}},
		{"nil *Future Cancel", "future: nil *Future", func(*testing.T) (func(), afterCheck) {
			var f *future.Future[int]
			return func() { f.Cancel() }, nil
		}},
		{"nil *Future OnDone", "future: nil *Future", func(*testing.T) (func(), afterCheck) {
			var f *future.Future[int]
			return func() { _ = f.OnDone(func(*future.Future[int]) {}) }, nil
		}},
		{"nil *Future CallbackErr", "future: nil *Future", func(*testing.T) (func(), afterCheck) {
			var f *future.Future[int]
			return func() { _ = f.CallbackErr() }, nil
		}},
		{"nil *Executor Submit", "future: nil *Executor", func(*testing.T) (func(), afterCheck) {
			var e *future.Executor
			return func() { _ = e.Submit(ctx, func(context.Context) error { return nil }) }, nil
		}},
		{"nil *Executor TrySubmit", "future: nil *Executor", func(*testing.T) (func(), afterCheck) {
			var e *future.Executor
			return func() { _ = e.TrySubmit(func(context.Context) error { return nil }) }, nil
		}},
		{"nil *Executor Close", "future: nil *Executor", func(*testing.T) (func(), afterCheck) {
			var e *future.Executor
			return func() { e.Close() }, nil
		}},
		{"nil *Executor Shutdown", "future: nil *Executor", func(*testing.T) (func(), afterCheck) {
			var e *future.Executor
			return func() { _ = e.Shutdown(ctx) }, nil
		}},
		{"nil *Executor Stop", "future: nil *Executor", func(*testing.T) (func(), afterCheck) {
			var e *future.Executor
			return func() { e.Stop() }, nil
		}},
		{"Submit on a nil *Executor", "future: nil *Executor", func(*testing.T) (func(), afterCheck) {
			var e *future.Executor
			return func() { _, _ = future.Submit(ctx, e, ok) }, nil
		}},
		{"TrySubmit on a nil *Executor", "future: nil *Executor", func(*testing.T) (func(), afterCheck) {
			var e *future.Executor
			return func() { _, _ = future.TrySubmit(e, ok) }, nil
		}},
		{"Wait ReturnWhen 99", "future: Wait with invalid ReturnWhen 99", func(*testing.T) (func(), afterCheck) {
			f, check := pendingFuture()
			return func() { _, _, _ = future.Wait(ctx, future.ReturnWhen(99), f) }, check
		}},
		{"Wait ReturnWhen -1", "future: Wait with invalid ReturnWhen -1", func(*testing.T) (func(), afterCheck) {
			f, check := pendingFuture()
			return func() { _, _, _ = future.Wait(ctx, future.ReturnWhen(-1), f) }, check
		}},
		{"Wait ReturnWhen 99 no futures", "future: Wait with invalid ReturnWhen 99", func(*testing.T) (func(), afterCheck) {
			return func() { _, _, _ = future.Wait[int](ctx, future.ReturnWhen(99)) }, nil
		}},
		{"Reject nil error", "future: Reject with nil error", func(*testing.T) (func(), afterCheck) {
			p := future.NewPromise[int]()
			return func() { _ = p.Reject(nil) }, func(t *testing.T) {
				assert.Equal(t, future.Pending, p.Future().State(), "the future after the misuse")
				assert.NoError(t, p.Resolve(1))
			}
		}},
		{"NewExecutor 0", "future: NewExecutor(0): limit must be at least 1", func(*testing.T) (func(), afterCheck) {
			return func() { future.NewExecutor(0) }, nil
		}},
		{"Executor.Submit nil func", "future: Executor.Submit with nil func", func(*testing.T) (func(), afterCheck) {
			e := future.NewExecutor(1)
			return func() { _ = e.Submit(ctx, nil) }, executorStillWorks(e)
		}},
		{"Executor.TrySubmit nil func", "future: Executor.TrySubmit with nil func", func(*testing.T) (func(), afterCheck) {
			e := future.NewExecutor(1)
			return func() { _ = e.TrySubmit(nil) }, executorStillWorks(e)
		}},
		{"Submit nil Runner", "future: Submit with nil func or Runner", func(*testing.T) (func(), afterCheck) {
			return func() { _, _ = future.Submit[int](ctx, nil, ok) }, nil
		}},
		{"Submit nil func", "future: Submit with nil func or Runner", func(*testing.T) (func(), afterCheck) {
			e := future.NewExecutor(1)
			return func() { _, _ = future.Submit[int](ctx, e, nil) }, executorStillWorks(e)
		}},

		// Run-time conditions: errors, not panics.
		{"Resolve twice", "", func(t *testing.T) (func(), afterCheck) {
			p := future.NewPromise[int]()
			require.NoError(t, p.Resolve(1))
			return func() { assert.ErrorIs(t, p.Resolve(2), future.ErrAlreadyCompleted) }, nil
		}},
		{"Resolve after Cancel", "", func(t *testing.T) (func(), afterCheck) {
			p := future.NewPromise[int]()
			p.Future().Cancel()
			return func() { assert.ErrorIs(t, p.Resolve(2), future.ErrAlreadyCompleted) }, nil
		}},
		{"Compose func returns nil future", "", func(t *testing.T) (func(), afterCheck) {
			return func() {
				g := future.Compose(done(), func(context.Context, int) (*future.Future[int], error) { return nil, nil })
				_, err := g.Result(ctx)
				assert.ErrorIs(t, err, future.ErrNilFuture)
			}, nil
		}},
		{"Submit after Shutdown", "", func(t *testing.T) (func(), afterCheck) {
			e := future.NewExecutor(1)
			require.NoError(t, e.Shutdown(ctx))
			return func() {
				_, err := future.Submit(ctx, e, ok)
				assert.ErrorIs(t, err, future.ErrClosed)
				assert.ErrorIs(t, e.Submit(ctx, func(context.Context) error { return nil }), future.ErrClosed)
				assert.ErrorIs(t, e.TrySubmit(func(context.Context) error { return nil }), future.ErrClosed)
			}, nil
		}},
		{"Shutdown, Close and Stop twice", "", func(t *testing.T) (func(), afterCheck) {
			e := future.NewExecutor(1)
			return func() {
				assert.NoError(t, e.Shutdown(ctx))
				assert.NoError(t, e.Shutdown(ctx))
				e.Close()
				e.Close()
				assert.Zero(t, e.Stop())
				assert.Zero(t, e.Stop())
			}, nil
		}},
		{"Cancel a done future", "", func(t *testing.T) (func(), afterCheck) {
			f := done()
			return func() { assert.Equal(t, future.Finished, f.Cancel()) }, nil
		}},
		{"Result with a done Context", "", func(t *testing.T) (func(), afterCheck) {
			f, check := pendingFuture()
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			return func() {
				_, err := f.Result(cctx)
				assert.ErrorIs(t, err, context.Canceled)
			}, check
		}},
		{"Any with no futures", "", func(t *testing.T) (func(), afterCheck) {
			return func() {
				_, err := future.Any[int](ctx)
				assert.ErrorIs(t, err, future.ErrNoFutures)
			}, nil
		}},
		{"Submit on a stopped pool", "", func(t *testing.T) (func(), afterCheck) {
			p := pool.New(1)
			p.Stop()
			return func() {
				_, err := future.Submit(ctx, p, ok)
				assert.ErrorIs(t, err, pool.ErrClosed)
			}, nil
		}},
	})
}

// TestZeroValueMisuse calls every method of each zero value: those that
// cannot work panic at once with a message naming the constructor, and
// leave nothing locked (the second call panics the same way); the rest
// work as documented.
func TestZeroValueMisuse(t *testing.T) {
	ctx := context.Background()
	noop := func(context.Context) error { return nil }
	var rows []misuse
	zeroPromise := func(name string, call func(p future.Promise[int])) {
		rows = append(rows, misuse{"Promise." + name, msgZeroPromise, func(*testing.T) (func(), afterCheck) {
			var p future.Promise[int]
			return func() { call(p) }, nil
		}})
	}
	zeroPromise("Future", func(p future.Promise[int]) { p.Future() })
	zeroPromise("Resolve", func(p future.Promise[int]) { _ = p.Resolve(1) })
	zeroPromise("Reject", func(p future.Promise[int]) { _ = p.Reject(errBoom) })
	zeroPromise("Complete", func(p future.Promise[int]) { _ = p.Complete(1, nil) })
	zeroPromise("Context", func(p future.Promise[int]) { p.Context() })

	zeroExecutor := func(name string, call func(e *future.Executor)) {
		rows = append(rows, misuse{"Executor." + name, msgZeroExecutor, func(*testing.T) (func(), afterCheck) {
			var e future.Executor
			return func() { call(&e) }, nil
		}})
	}
	zeroExecutor("Submit", func(e *future.Executor) { _ = e.Submit(ctx, noop) })
	zeroExecutor("TrySubmit", func(e *future.Executor) { _ = e.TrySubmit(noop) })
	zeroExecutor("Shutdown", func(e *future.Executor) { _ = e.Shutdown(ctx) })
	zeroExecutor("Close", func(e *future.Executor) { e.Close() })
	zeroExecutor("Stop", func(e *future.Executor) { e.Stop() })
	zeroExecutor("future.Submit", func(e *future.Executor) { _, _ = future.Submit(ctx, e, ok) })
	zeroExecutor("future.TrySubmit", func(e *future.Executor) { _, _ = future.TrySubmit(e, ok) })

	zeroFuture := func(name, want string, call func(f *future.Future[int])) {
		rows = append(rows, misuse{"Future." + name, want, func(*testing.T) (func(), afterCheck) {
			var f future.Future[int]
			return func() { call(&f) }, nil
		}})
	}
	zeroFuture("Done", msgZeroFuture, func(f *future.Future[int]) { f.Done() })
	zeroFuture("Result", msgZeroFuture, func(f *future.Future[int]) { _, _ = f.Result(ctx) })
	zeroFuture("Cancel", msgZeroFuture, func(f *future.Future[int]) { f.Cancel() })
	zeroFuture("OnDone", msgZeroFuture, func(f *future.Future[int]) { _ = f.OnDone(func(*future.Future[int]) {}) })
	zeroFuture("Then", msgZeroFuture, func(f *future.Future[int]) { future.Then(f, okThen) })
	zeroFuture("Compose", msgZeroFuture, func(f *future.Future[int]) {
		future.Compose(f, func(context.Context, int) (*future.Future[int], error) { return nil, nil })
	})
	zeroFuture("Wait", msgZeroFuture, func(f *future.Future[int]) { _, _, _ = future.Wait(ctx, future.AllCompleted, f) })
	zeroFuture("AsCompleted", msgZeroFuture, func(f *future.Future[int]) {
		for range future.AsCompleted(ctx, f) {
		}
	})
	zeroFuture("All", msgZeroFuture, func(f *future.Future[int]) { _, _ = future.All(ctx, f) })
	zeroFuture("Race", msgZeroFuture, func(f *future.Future[int]) { _, _ = future.Race(ctx, f) })
	// The read-only methods report a future that is not done.
	zeroFuture("State", "", func(f *future.Future[int]) {
		if f.State() != future.Pending {
			panic("State of a zero Future is not Pending")
		}
	})
	zeroFuture("TryResult", "", func(f *future.Future[int]) {
		if _, _, ok := f.TryResult(); ok {
			panic("TryResult of a zero Future is ok")
		}
	})
	zeroFuture("CallbackErr", "", func(f *future.Future[int]) {
		if f.CallbackErr() != nil {
			panic("CallbackErr of a zero Future is not nil")
		}
	})
	runMisuse(t, rows)
}
