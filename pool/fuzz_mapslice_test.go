package pool_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/weftgo/weft/pool"
)

// FuzzMap calls Map over a slice inside a synctest bubble and checks what
// its doc promises, with the outcome of each element decoded from the input
// (fmOK, fmErrEnd, fmPanicEnd, fmGoexit, as in FuzzMapSeq):
//
//   - the results come back in input order, each what fn returned (the zero
//     value after a panic or Goexit);
//   - without WithFailFast every element is called once and Map returns
//     every error joined, the callers' errors and panics in input order,
//     ErrGoexit after them;
//   - with WithFailFast Map returns one of the errors, calls that had not
//     started are skipped, and no call happens twice;
//   - each call is counted in Stats by its own outcome (a skipped call
//     returned nil);
//   - in any queue mode (WithQueueSize 0, 1, 2 or unbounded), called from
//     a task of the same pool with the task's context, Map never deadlocks
//     a saturated pool;
//   - on a pool of one worker, where the FIFO queue (or the caller's slot)
//     decides alone, the calls start in input order, one at a time, and
//     the calls made are a prefix of the input: with WithFailFast exactly
//     up to the first call that fails or cancels ctx, without it the whole
//     input unless a call canceled ctx (then at least up to that call).
//
// data[0]: limit 1+b&3, queue mode b>>2&3 (0 unbounded, else size mode-1),
// fail-fast b&0x10, from a task of the pool b&0x20. Then one byte per
// element: its outcome b&3, and with b&4 the call cancels Map's ctx first
// (then elements may go uncalled, but never silently: Map returns an error).
func FuzzMap(f *testing.F) {
	for _, seed := range [][]byte{
		{0x00, 0, 1, 2, 3, 0},
		{0x05, 0, 0, 1, 0, 2, 0, 3, 0},
		{0x13, 0, 0, 0, 1, 0, 0},
		{0x24, 0, 1, 0, 2},
		{0x38, 0, 0, 0, 0, 3, 0, 0},
		{0x30, 2, 0, 0},
		{0x20},
		// An element cancels ctx: fail-fast skips the queued calls, Map
		// says so; without fail-fast the calls not yet submitted.
		{0x10, 4, 0, 0, 0},
		{0x00, 0, 4, 0, 1, 0},
		{0x34, 4, 0, 0},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || len(data) > 65 {
			return
		}
		limit := 1 + int(data[0]&3)
		qmode := int(data[0] >> 2 & 3)
		failFast := data[0]&0x10 != 0
		host := data[0]&0x20 != 0
		modes := make([]fmMode, len(data)-1)
		cancels := make([]bool, len(modes))
		in := make([]int, len(modes))
		for i, b := range data[1:] {
			modes[i] = fmMode(b & 3)
			cancels[i] = b&4 != 0
			in[i] = i
		}
		synctest.Test(t, func(t *testing.T) {
			var opts []pool.Option
			if qmode > 0 {
				opts = append(opts, pool.WithQueueSize(qmode-1))
			}
			p := pool.New(limit, opts...)
			calls := make([]int, len(in)) // only the bubble's goroutines touch it, one per index
			var mu sync.Mutex
			var order []int // the calls in the order they started
			running := 0    // calls running at once; more than one on a pool of one is a bug
			overlap := false
			var canceled atomic.Bool
			var mcancel context.CancelFunc
			fn := func(_ context.Context, i int) (int, error) {
				mu.Lock()
				order = append(order, i)
				running++
				overlap = overlap || running > 1
				mu.Unlock()
				defer func() {
					mu.Lock()
					running--
					mu.Unlock()
				}()
				calls[i]++
				if cancels[i] {
					canceled.Store(true)
					mcancel()
				}
				return fmEnd(i, modes[i])
			}
			var gopts []pool.GroupOption
			if failFast {
				gopts = append(gopts, pool.WithFailFast())
			}
			var out []int
			var err error
			if host {
				done := make(chan struct{})
				serr := p.Submit(t.Context(), func(ctx context.Context) error {
					defer close(done)
					mctx, cancel := context.WithCancel(ctx)
					defer cancel()
					mcancel = cancel
					out, err = pool.Map(mctx, p, in, fn, gopts...)
					return nil
				})
				if serr != nil {
					t.Fatalf("Submit of the host: %v", serr)
				}
				<-done
			} else {
				mctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				mcancel = cancel
				out, err = pool.Map(mctx, p, in, fn, gopts...)
			}
			synctest.Wait()
			checkFuzzMap(t, modes, calls, out, err, p.Stats(), failFast, host, canceled.Load())
			if limit == 1 {
				checkFuzzMapOrder(t, modes, cancels, order, overlap, failFast)
			}
			if err := p.Shutdown(t.Context()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
		})
	})
}

func checkFuzzMap(t *testing.T, modes []fmMode, calls, out []int, err error, st pool.Stats, failFast, host, canceled bool) {
	t.Helper()
	if len(out) != len(modes) {
		t.Errorf("%d results for %d elements", len(out), len(modes))
		return
	}
	var count [4]uint64
	called := 0
	failures := 0
	for i, m := range modes {
		if calls[i] > 1 || (!failFast && !canceled && calls[i] != 1) {
			t.Errorf("element %d called %d times (fail-fast %v)", i, calls[i], failFast)
			return
		}
		if m != fmOK && calls[i] == 1 {
			failures++
		}
		if calls[i] == 0 && err == nil {
			t.Errorf("element %d not called, and Map returned nil", i)
			return
		}
		want := 0
		if calls[i] == 1 {
			called++
			count[m]++
			switch m {
			case fmOK:
				want = 1000 + i
			case fmErrEnd:
				want = i
			}
		}
		if out[i] != want {
			t.Errorf("result %d = %d, want %d (outcome %s)", i, out[i], want, fmModeNames[m])
			return
		}
	}
	isElemErr := func(e error, i int) bool {
		switch modes[i] {
		case fmErrEnd:
			return e == fmErr{i}
		case fmPanicEnd:
			var pe *pool.PanicError
			return errors.As(e, &pe) && pe.Value == fmPanic{i}
		case fmGoexit:
			return errors.Is(e, pool.ErrGoexit)
		}
		return false
	}
	isCancel := canceled && errors.Is(err, context.Canceled)
	if failures == 0 && err != nil && !isCancel {
		t.Errorf("Map: %v, want nil", err)
		return
	}
	if failures > 0 && failFast {
		ok := isCancel
		for i := range modes {
			ok = ok || (calls[i] == 1 && isElemErr(err, i))
		}
		if !ok {
			t.Errorf("fail-fast Map: %v, want the error of a failed call", err)
			return
		}
	}
	if failures > 0 && !failFast {
		var errs []error
		if u, ok := err.(interface{ Unwrap() []error }); ok {
			errs = u.Unwrap()
		} else if err != nil {
			errs = []error{err}
		}
		k := 0
		for i, m := range modes {
			if calls[i] == 1 && (m == fmErrEnd || m == fmPanicEnd) {
				if k >= len(errs) || !isElemErr(errs[k], i) {
					t.Errorf("Map: %v, want element %d's %s at position %d", err, i, fmModeNames[m], k)
					return
				}
				k++
			}
		}
		rest := errs[k:]
		if (count[fmGoexit] > 0 && len(rest) == 0) || (!canceled && count[fmGoexit] == 0 && len(rest) > 0) {
			t.Errorf("Map: %v, with %d Goexits: unexpected tail %v", err, count[fmGoexit], rest)
			return
		}
		for _, e := range rest {
			if !errors.Is(e, pool.ErrGoexit) && !(canceled && errors.Is(e, context.Canceled)) {
				t.Errorf("Map: %v: %v after the callers' errors is not ErrGoexit", err, e)
				return
			}
		}
	}
	extra := uint64(0)
	if host {
		extra = 1
	}
	skipped := st.Submitted - extra - uint64(called)
	if st.Submitted < extra+uint64(called) || (!failFast && skipped != 0) {
		t.Errorf("Stats %+v: %d calls", st, called)
		return
	}
	// A fail-fast group refuses the submit blocked when it failed: Map
	// stops there.
	if st.Rejected > 1 || (!failFast && !canceled && st.Rejected != 0) {
		t.Errorf("Stats %+v: Rejected", st)
		return
	}
	want := pool.Stats{Limit: st.Limit, Workers: st.Workers, Submitted: st.Submitted, Rejected: st.Rejected,
		Completed: extra + count[fmOK] + skipped, Failed: count[fmErrEnd] + count[fmGoexit],
		Panicked: count[fmPanicEnd]}
	if st != want {
		t.Errorf("Stats %+v, want %+v", st, want)
		return
	}
}

// checkFuzzMapOrder checks the calls on a pool of one worker: they start
// one at a time, in input order, and are the prefix of the input that the
// calls' outcomes predict.
func checkFuzzMapOrder(t *testing.T, modes []fmMode, cancels []bool, order []int, overlap, failFast bool) {
	t.Helper()
	if overlap {
		t.Errorf("calls overlapped on a pool of one worker: %v", order)
	}
	for k, i := range order {
		if i != k {
			t.Errorf("calls started in the order %v, want input order", order)
			return
		}
	}
	// stop is the first call after which no other may start (fail-fast),
	// or must start (ctx canceled, without fail-fast).
	stop := len(modes)
	for i := range modes {
		if cancels[i] || failFast && modes[i] != fmOK {
			stop = i + 1
			break
		}
	}
	switch {
	case failFast && len(order) != stop:
		t.Errorf("fail-fast: calls %v started, want the first %d", order, stop)
	case !failFast && stop == len(modes) && len(order) != len(modes):
		t.Errorf("calls %v started, want all %d", order, len(modes))
	case !failFast && len(order) < stop:
		t.Errorf("calls %v started, want at least the first %d", order, stop)
	}
}
