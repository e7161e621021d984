package pool_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/weftgo/weft/pool"
)

// FuzzMapSeq ranges over MapSeq on a pool, inside a synctest bubble, with
// operations decoded from the fuzz input, and after each one (and
// synctest.Wait) compares the pool, the source iterator and the loop with
// a sequential model built from the docs of MapSeq, WithWindow,
// WithFailFast and Pool.Submit:
//
//   - each element's call runs until the fuzzer releases it (with a value,
//     an error, a panic or runtime.Goexit); an "aware" call also returns
//     context.Canceled as soon as its context is done, the others ignore it;
//   - the pool's queue is FIFO, so the calls and the plain "blocker" tasks
//     that occupy workers start in the order they were submitted, up to the
//     limit;
//   - the loop gets the results in input order, each with its error, and
//     the source is read exactly up to the window ahead of the result the
//     loop is at;
//   - with WithFailFast the first error (in time) cancels every call's
//     context and is what the loop gets, in place of the error of the first
//     failed element in input order, and the loop ends there;
//   - once ctx is canceled, the next thing the loop gets is its cause;
//   - once the loop is left (break, or the end), the calls see a canceled
//     context, calls still queued run with it (a queued task is never
//     dropped), nothing more is read, and the range statement completes
//     only once every call has returned and the source has been stopped;
//   - once the pool is closed, the next element read is refused: the loop
//     gets the results before it, then ErrClosed, and ends;
//   - with a bounded queue (WithQueueSize 0, 1 or 2), the loop blocks in
//     the submit of an element while there is no room, and goes on once
//     there is; ctx's end or the pool's Close refuses it; the blockers are
//     submitted with TrySubmit, refused with ErrQueueFull when full;
//   - Stop, Close and Shutdown, called from another goroutine or from the
//     loop's body (not Stop from the body of a loop in a task of the pool,
//     where it would wait for the task itself for ever; Shutdown there,
//     given the loop's ctx, returns ctx's cause once ctx ends): Stop drops
//     the queued calls (the loop gets ErrClosed in their place, with
//     WithFailFast the cause of the calls' cancellation, ErrStopped unless
//     a call failed first), cancels the calls running (their context's
//     cause is ErrStopped, and a loop in a task of the pool gets ErrStopped
//     as its ctx's cause), returns how many tasks it dropped once the
//     running ones have returned; Shutdown returns once every accepted call
//     has run; after either, as after Close, the next element read is
//     refused; the loop ends, and the range statement completes, with
//     nothing left running;
//   - Stats counts each call by its own outcome.
//
// data[0]: limit 1+b&3, fail-fast b&4, window b>>3&7 (0: the default),
// queue b>>6 (0 unbounded, else WithQueueSize(mode-1));
// data[1]: n%51 elements; data[2]: bit i%8 makes element i aware; data[3]:
// b&0x7f%5 blockers submitted before the loop, and with b&0x80 the loop
// runs in a task of the pool (the "host", with no aware calls: see
// newFmHarness), with the task's context: a call that no worker can start
// at once runs in the host's slot, the loop blocked in its submit until it
// returns, and the group's Wait, once the loop is left, lends the host's
// slot to the pool. Then pairs (op, arg): see step.
func FuzzMapSeq(f *testing.F) {
	const (
		next, brk, rel, blk, cnl, cls, stp, shd, act = 0, 3, 4, 6, 7, 8, 9, 10, 11
		ok, fail, pnc, gxt                           = 0x00, 0x40, 0x80, 0xc0 // release modes, in arg's top bits
	)
	for _, seed := range [][]byte{
		// Order: later calls finish first on a pool of 3, window 4.
		{0x22, 10, 0x00, 0, rel, 2, rel, 1, rel, 0, next, 0, next, 0, rel, 0, next, 0, next, 0, next, 0},
		// Errors per element, no fail-fast: every result comes with its own.
		{0x09, 6, 0x00, 0, rel, fail, next, 0, rel, pnc, next, 0, rel, gxt, next, 0, rel, ok, next, 0, next, 0},
		// Fail-fast: a later element fails first, aware calls before it
		// return Canceled, the loop gets the first error at the first
		// failed position.
		{0x2f, 12, 0x55, 0, rel, 3 | fail, next, 0, rel, 0, next, 0, next, 0, next, 0},
		// Fail-fast with a panic and with Goexit.
		{0x1c, 8, 0xff, 1, rel, 1 | pnc, next, 0, next, 0},
		{0x1c, 8, 0x0f, 0, rel, 2 | gxt, rel, 0, next, 0, rel, 0, next, 0, next, 0},
		// Break with stubborn calls running and queued: the loop waits.
		{0x13, 20, 0x00, 2, rel, 0, next, 0, brk, 0, rel, 0, rel, 0, blk, 1, rel, 0, rel, 0},
		// ctx canceled while the loop waits, and while it holds a result.
		{0x02, 9, 0xaa, 0, next, 0, cnl, 0, next, 0, rel, 0, rel, 0},
		{0x02, 9, 0x00, 0, rel, 0, next, 0, cnl, 0, next, 0, rel, 0, rel, 0},
		// Blockers come and go; default window on a pool of 1.
		{0x00, 5, 0x00, 4, blk, 0, blk, 1, rel, 0, blk, 1, rel, 0, next, 0, blk, 1, next, 0, rel, 0},
		// Close while the loop runs: the next element read is refused,
		// the loop gets ErrClosed after the results before it; with and
		// without fail-fast, with a blocker ahead of the calls.
		{0x01, 6, 0x00, 0, rel, 0, cls, 0, next, 0, rel, 0, next, 0, rel, 0, next, 0, rel, 0, next, 0, next, 0, next, 0},
		{0x05, 9, 0x03, 1, cls, 0, blk, 1, rel, 0, next, 0, rel, 0, next, 0, rel, 0, next, 0, rel, 0, next, 0, next, 0},
		// The loop in a task of a pool of 1: each element runs in the
		// task's slot, the loop reading on once it has returned.
		{0x00, 5, 0x00, 0x80, rel, 0, next, 0, rel, 0, rel, 0, next, 0, cnl, 0, rel, 0, next, 0, next, 0},
		// The loop in a task of a pool of 3 (window 3): two elements on
		// workers, the third in the task's slot; a blocker queued behind;
		// breaking out, Wait lends the task's slot and the blocker starts
		// while an element still runs.
		{0x1a, 6, 0x00, 0x80, blk, 0, rel, 2, rel, 0, blk, 0, brk, 0, rel, 0, blk, 1},
		// The same with fail-fast, aware elements, a blocker from the start.
		{0x1e, 9, 0xf0, 0x81, rel, 1 | fail, next, 0, rel, 0, next, 0, blk, 0, rel, 0},
		// Empty input; window 1.
		{0x08, 0, 0, 0, next, 0},
		{0x08, 3, 0, 0, rel, 0, next, 0, rel, 0, next, 0, rel, 0, next, 0, next, 0},
		// A queue of 1 at limit 1, window 4: the loop blocks in its third
		// submit until the first call ends; a blocker does not fit.
		{0x80 | 0x20, 6, 0x00, 1, rel, 0, blk, 0, next, 0, rel, 0, next, 0, rel, 0, next, 0, next, 0},
		// Hand-off at limit 2, fail-fast: a call fails while the loop is
		// blocked in a submit; the loop reads on, one per result.
		{0x40 | 0x04 | 0x01, 8, 0x00, 0, rel, 1 | fail, rel, 0, next, 0, rel, 0, rel, 0},
		// The same with a queue of 1 at limit 2, window 4, blocked on the
		// fourth submit.
		{0x80 | 0x20 | 0x04 | 0x01, 8, 0x00, 0, rel, 1 | fail, rel, 0, next, 0, rel, 0, rel, 0, rel, 0},
		// Stop from another goroutine with calls running and queued, with
		// and without fail-fast; aware calls end at once.
		{0x19, 9, 0x01, 0, stp, 0, next, 0, rel, 0, next, 0, next, 0, next, 0, next, 0},
		{0x1d, 9, 0x00, 1, stp, 0, blk, 1, rel, 0, rel, 0, next, 0, next, 0},
		// Stop from the loop's body, then the loop goes on.
		{0x11, 9, 0x02, 0, rel, 0, act, 1, rel, 0, next, 0, next, 0, next, 0, next, 0},
		// Shutdown from the body, and from another goroutine on a queue of 2.
		{0x01, 5, 0x00, 0, rel, 0, act, 2, rel, 0, rel, 0, rel, 0, next, 0, next, 0, next, 0, next, 0},
		{0xc0, 5, 0x00, 2, shd, 0, rel, 0, blk, 1, blk, 1, next, 0, rel, 0, next, 0, next, 0},
		// Close from the body, then break.
		{0x02, 9, 0x00, 0, rel, 0, act, 4, rel, 0},
		// The loop in a task: Stop from another goroutine cancels the
		// task's context; Close from the body; bounded queues.
		{0x01, 6, 0x00, 0x81, stp, 0, blk, 1, rel, 0, next, 0},
		{0x41, 6, 0x00, 0x80, rel, 0, act, 0, next, 0, rel, 0, next, 0, next, 0},
		{0x80, 6, 0x00, 0x82, rel, 0, next, 0, brk, 0, blk, 1, blk, 3},
		// The loop in a task: Shutdown from the body waits until ctx
		// ends, then returns its cause, and the loop gets it.
		{0x01, 6, 0x00, 0x80, rel, 0, rel, 0, rel, 0, rel, 0, act, 2, rel, 0, cnl, 0, next, 0, next, 0},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 4 || len(data) > 400 {
			return
		}
		synctest.Test(t, func(t *testing.T) {
			h := newFmHarness(t, data[:4])
			for i := 4; i+1 < len(data); i += 2 {
				h.step(data[i], data[i+1])
			}
			h.finish()
		})
	})
}

// fmEnd ends the call for element i the way mode says: with its error, its
// panic, runtime.Goexit, or its value.
func fmEnd(i int, mode fmMode) (int, error) {
	switch mode {
	case fmErrEnd:
		return i, fmErr{i}
	case fmPanicEnd:
		panic(fmPanic{i})
	case fmGoexit:
		runtime.Goexit()
	}
	return 1000 + i, nil
}

type fmMode uint8

const (
	fmOK fmMode = iota
	fmErrEnd
	fmPanicEnd
	fmGoexit
	fmCanceled // an aware call saw its context done
)

var fmModeNames = [...]string{"ok", "error", "panic", "goexit", "canceled"}

type fmErr struct{ i int }

func (e fmErr) Error() string { return fmt.Sprintf("element %d failed", e.i) }

type fmPanic struct{ i int }

var errFmCause = errors.New("MapSeq's ctx canceled")

type fmRes struct {
	v   int
	err error
}

func (r fmRes) String() string { return fmt.Sprintf("(%d, %v)", r.v, r.err) }

// fmHarness is the real side. mu guards what the calls, the blockers, the
// source and the loop report.
type fmHarness struct {
	t      *testing.T
	p      *pool.Pool
	cancel context.CancelCauseFunc
	chans  map[int]chan fmMode // elements by index, blockers by -1-id
	cmd    chan fmCmd          // the loop's body: what to do, then whether to go on
	m      *fmModel
	hist   []string

	mu       sync.Mutex
	pulled   int
	stopped  bool // the source returned
	started  []int
	ended    map[int]error // element: its context's cause when it returned
	results  []fmRes
	loopDone bool
	rets     []string // what Stop and Shutdown calls returned
}

// fmCmd is what the loop's body does: act (Close, Stop or Shutdown of the
// pool), then go on or break.
type fmCmd struct {
	act fmAct
	brk bool
}

type fmAct uint8

const (
	fmNoAct fmAct = iota
	fmClose
	fmStop
	fmShutdown
)

var fmActNames = [...]string{"", "Close", "Stop", "Shutdown"}

// fmRet is how the model and the harness say what a call returned.
func fmRet(from string, act fmAct, v any) string {
	return fmt.Sprintf("%s from %s: %v", fmActNames[act], from, v)
}

func fmAware(mask byte, i int) bool { return mask>>(i%8)&1 != 0 }

func newFmHarness(t *testing.T, cfg []byte) *fmHarness {
	limit := 1 + int(cfg[0]&3)
	failFast := cfg[0]&4 != 0
	window := int(cfg[0] >> 3 & 7)
	n := int(cfg[1]) % 51
	mask := cfg[2]
	blockers := int(cfg[3]&0x7f) % 5
	host := cfg[3]&0x80 != 0
	if host {
		// Whether a call runs in the host's slot depends on whether a
		// worker is free at that instant: an aware call that ends by
		// itself (started with its context done) would race the loop's
		// next submit, and the model could not tell which comes first.
		mask = 0
	}
	qsize := int(cfg[0]>>6) - 1
	var popts []pool.Option
	if qsize >= 0 {
		popts = append(popts, pool.WithQueueSize(qsize))
	}
	h := &fmHarness{t: t, p: pool.New(limit, popts...), chans: map[int]chan fmMode{}, cmd: make(chan fmCmd),
		ended: map[int]error{}}
	h.m = newFmModel(limit, window, n, failFast, mask)
	h.m.host, h.m.qsize = host, qsize
	h.hist = append(h.hist, fmt.Sprintf("limit %d, queue %d, n %d, window %d (%d), failFast %v, aware %08b, blockers %d, host %v",
		limit, qsize, n, window, h.m.window, failFast, mask, blockers, host))
	for i := range n {
		h.chans[i] = make(chan fmMode, 1)
	}
	// The host task, if any, starts first (the pool is empty) and waits
	// for the blockers to be queued before it ranges.
	cancels := make(chan context.CancelCauseFunc)
	var consume func(ctx context.Context)
	if host {
		h.m.submit(fmHost)
		err := h.p.Submit(t.Context(), func(tctx context.Context) error {
			h.mu.Lock()
			h.started = append(h.started, fmHost)
			h.mu.Unlock()
			ctx, cancel := context.WithCancelCause(tctx)
			cancels <- cancel
			consume(ctx)
			return nil
		})
		if err != nil {
			t.Fatalf("Submit of the host: %v", err)
		}
	} else {
		go func() {
			ctx, cancel := context.WithCancelCause(t.Context())
			cancels <- cancel
			consume(ctx)
		}()
	}
	for range blockers {
		h.addBlocker()
	}
	var opts []pool.GroupOption
	if window > 0 {
		opts = append(opts, pool.WithWindow(window))
	}
	if failFast {
		opts = append(opts, pool.WithFailFast())
	}
	seq := func(yield func(int) bool) {
		defer func() {
			h.mu.Lock()
			h.stopped = true
			h.mu.Unlock()
		}()
		for i := range n {
			h.mu.Lock()
			h.pulled++
			h.mu.Unlock()
			if !yield(i) {
				return
			}
		}
	}
	fn := func(ctx context.Context, i int) (int, error) {
		h.mu.Lock()
		h.started = append(h.started, i)
		h.mu.Unlock()
		var done <-chan struct{}
		if fmAware(mask, i) {
			done = ctx.Done()
		}
		select {
		case <-done:
			h.end(i, context.Cause(ctx))
			return -1, ctx.Err()
		case mode := <-h.chans[i]:
			h.end(i, context.Cause(ctx))
			return fmEnd(i, mode)
		}
	}
	consume = func(ctx context.Context) {
		for v, err := range pool.MapSeq(ctx, h.p, seq, fn, opts...) {
			h.mu.Lock()
			h.results = append(h.results, fmRes{v, err})
			h.mu.Unlock()
			c := <-h.cmd
			if c.act != fmNoAct {
				sctx := context.Background()
				if host {
					sctx = ctx // Shutdown from a task returns only when its ctx ends
				}
				h.act(sctx, "the body", c.act)
			}
			if c.brk {
				break
			}
		}
		h.mu.Lock()
		h.loopDone = true
		h.mu.Unlock()
	}
	h.cancel = <-cancels
	h.m.begin()
	h.check("start")
	return h
}

func (h *fmHarness) end(i int, cause error) {
	h.mu.Lock()
	h.ended[i] = cause
	h.mu.Unlock()
}

// act closes, stops or shuts down the pool and records what that
// returned.
func (h *fmHarness) act(ctx context.Context, from string, a fmAct) {
	var v any
	switch a {
	case fmClose:
		h.p.Close()
		return
	case fmStop:
		v = h.p.Stop()
	case fmShutdown:
		v = h.p.Shutdown(ctx)
	}
	h.mu.Lock()
	h.rets = append(h.rets, fmRet(from, a, v))
	h.mu.Unlock()
}

// addBlocker submits a blocker: with Go on an unbounded queue, otherwise
// with TrySubmit, so that the test's goroutine never blocks.
func (h *fmHarness) addBlocker() {
	id := h.m.nBlockers
	ch := make(chan fmMode, 1)
	body := func() {
		h.mu.Lock()
		h.started = append(h.started, -1-id)
		h.mu.Unlock()
		<-ch
	}
	var err error
	if h.m.qsize < 0 {
		err = h.p.Go(body)
	} else {
		err = h.p.TrySubmit(func(context.Context) error { body(); return nil })
	}
	want := h.m.addBlocker()
	if err != want {
		h.fail("blocker %d: submit returned %v, want %v", id, err, want)
	}
	if err == nil {
		h.chans[-1-id] = ch
	}
}

// step performs operation code with argument arg, if it applies now.
func (h *fmHarness) step(code, arg byte) {
	m := h.m
	var what string
	switch code % 12 {
	case 0, 1, 2: // the loop's body returns true
		if m.cons != fmInBody || m.bodyCmd != nil {
			return
		}
		what = "next"
		h.cmd <- fmCmd{}
		m.next()
	case 3: // the loop's body breaks
		if m.cons != fmInBody || m.bodyCmd != nil {
			return
		}
		what = "break"
		h.cmd <- fmCmd{brk: true}
		m.leave()
	case 4, 5: // release a running call
		ids := m.runningElems()
		if len(ids) == 0 {
			return
		}
		i := ids[int(arg&0x3f)%len(ids)]
		mode := fmMode(arg >> 6)
		what = fmt.Sprintf("release %d: %s", i, fmModeNames[mode])
		h.chans[i] <- mode
		m.end(i, mode)
	case 6: // a blocker comes or goes
		ids := m.runningBlockers()
		if arg&1 != 0 && len(ids) > 0 {
			b := ids[int(arg>>1)%len(ids)]
			what = fmt.Sprintf("release blocker %d", -1-b)
			h.chans[b] <- fmOK
			m.end(b, fmOK)
		} else {
			if m.nBlockers >= 8 || m.closed || m.blockerTries >= 16 {
				return
			}
			what = fmt.Sprintf("blocker %d", m.nBlockers)
			h.addBlocker()
		}
	case 7:
		if m.ctxCause != nil {
			return
		}
		what = "cancel ctx"
		h.cancel(errFmCause)
		m.cancelCtx(errFmCause)
	case 8:
		if m.closed {
			return
		}
		what = "close"
		h.p.Close()
		m.close()
	case 9, 10: // Stop or Shutdown from another goroutine
		a := []fmAct{fmStop, fmShutdown}[code%12-9]
		what = fmActNames[a]
		go h.act(context.Background(), "another goroutine", a)
		m.act("another goroutine", a)
	case 11: // the body acts, then goes on (or breaks, with arg&4)
		a := []fmAct{fmClose, fmStop, fmShutdown, fmClose}[arg&3]
		if m.cons != fmInBody || m.bodyCmd != nil || m.host && a == fmStop {
			return
		}
		c := fmCmd{act: a, brk: arg&4 != 0}
		what = fmt.Sprintf("%s in the body, then break %v", fmActNames[a], c.brk)
		h.cmd <- c
		m.bodyAct(c)
	}
	m.settle()
	h.check(what)
}

func (h *fmHarness) fail(format string, args ...any) {
	h.t.Helper()
	h.t.Errorf("%s\nafter:\n  %s\nmodel: %s", fmt.Sprintf(format, args...), strings.Join(h.hist, "\n  "), h.m)
	// Free every goroutine, so that the bubble can end and the error be
	// seen rather than a deadlock.
	if h.cancel != nil {
		h.cancel(errFmCause)
	}
	for _, ch := range h.chans {
		close(ch)
	}
	close(h.cmd)
	_ = h.p.Shutdown(context.Background())
	h.t.FailNow()
}

func fmSameErr(got, want error) bool {
	if want == nil || got == nil {
		return got == want
	}
	if wp, ok := want.(*pool.PanicError); ok {
		var gp *pool.PanicError
		return errors.As(got, &gp) && gp.Value == wp.Value
	}
	return got == want
}

// check lets the bubble settle and compares everything with the model.
func (h *fmHarness) check(what string) {
	h.t.Helper()
	h.hist = append(h.hist, what)
	synctest.Wait()
	m := h.m
	h.mu.Lock()
	started, ended, results := h.started, h.ended, h.results
	pulled, stopped, loopDone := h.pulled, h.stopped, h.loopDone
	rets := h.rets
	h.started, h.ended, h.results, h.rets = nil, map[int]error{}, nil, nil
	h.mu.Unlock()
	slices.Sort(rets)
	wantRets := slices.Sorted(slices.Values(m.rets))
	m.rets = nil
	if !slices.Equal(rets, wantRets) {
		h.fail("calls returned %q, want %q", rets, wantRets)
	}
	slices.Sort(started)
	wantStarted := slices.Sorted(slices.Values(m.started))
	if !slices.Equal(started, wantStarted) {
		h.fail("started %v, want %v", started, wantStarted)
	}
	if len(ended) != len(m.ended) {
		h.fail("calls returned with causes %v, want %v", ended, m.ended)
	}
	for i, want := range m.ended {
		if got, ok := ended[i]; !ok || !fmSameErr(got, want) {
			h.fail("call %d returned with its context's cause %v, want %v (%v)", i, got, want, ended)
		}
	}
	if !slices.EqualFunc(results, m.results, func(a, b fmRes) bool { return a.v == b.v && fmSameErr(a.err, b.err) }) {
		h.fail("the loop got %v, want %v", results, m.results)
	}
	if len(results) > 0 {
		h.hist[len(h.hist)-1] += fmt.Sprintf(": the loop got %v", results)
	}
	m.started, m.ended, m.results = nil, map[int]error{}, nil
	if pulled != m.pulled {
		h.fail("read %d elements, want %d", pulled, m.pulled)
	}
	if m.cons == fmInBody && pulled-m.c > m.window {
		h.fail("read %d elements at result %d, beyond the window %d", pulled, m.c, m.window)
	}
	if loopDone != (m.cons == fmDone) {
		h.fail("loop done %v, want %v", loopDone, m.cons == fmDone)
	}
	if loopDone && !stopped {
		h.fail("the loop completed before the source was stopped")
	}
	st := h.p.Stats()
	want := m.st
	want.Limit, want.Workers = st.Limit, st.Workers
	want.Running, want.Queued = len(m.running), len(m.queue)
	if st != want {
		h.fail("Stats %+v, want %+v", st, want)
	}
}

// finish leaves the loop, releases every call and blocker, and shuts the
// pool down.
func (h *fmHarness) finish() {
	m := h.m
	for m.cons == fmInBody || slices.ContainsFunc(m.running, func(r int) bool { return r != fmHost }) {
		if m.cons == fmInBody && m.bodyCmd == nil {
			h.step(3, 0) // break
			continue
		}
		if !slices.ContainsFunc(m.running, func(r int) bool { return r != fmHost }) && m.ctxCause == nil {
			h.step(7, 0) // the body's Shutdown in the host waits for ctx
			continue
		}
		r := m.running[slices.IndexFunc(m.running, func(r int) bool { return r != fmHost })]
		h.chans[r] <- fmOK
		m.end(r, fmOK)
		m.settle()
		h.check(fmt.Sprintf("release %d", r))
	}
	if m.cons != fmDone {
		h.fail("the loop is not done with nothing running")
	}
	if err := h.p.Shutdown(context.Background()); err != nil {
		h.fail("Shutdown: %v", err)
	}
	if len(m.calls) > 0 {
		h.fail("calls %v pending at the end", m.calls)
	}
	st := h.p.Stats()
	if st.Submitted != st.Completed+st.Failed+st.Panicked+st.Dropped {
		h.fail("Stats %+v do not add up", st)
	}
	if os.Getenv("FZLOG") != "" {
		h.t.Log(strings.Join(h.hist, "\n"))
	}
}

// The model.

type fmCons uint8

const (
	fmWaiting   fmCons = iota // for element c's result
	fmInBody                  // with element c's result
	fmFinishing               // left the loop, waiting for the calls
	fmDone
)

type fmElem struct {
	state uint8 // 0 queued, 1 running, 2 done
	v     int
	err   error
}

type fmModel struct {
	limit, window, n int
	failFast         bool
	mask             byte
	elems            []fmElem // pulled ones
	pulled           int
	closed           bool // the pool is: the next element read is refused
	refused          bool // an element was: nothing more is read
	qsize            int  // < 0: unbounded
	blockedPull      int  // the element whose submit waits for room; -1: none
	blockerTries     int
	stops            int      // Stop calls: all but the first return 0
	calls            []fmCall // Stop and Shutdown calls pending
	bodyCmd          *fmCmd   // what the body does once its Stop or Shutdown returns
	rets             []string // what calls returned during this op
	nBlockers        int
	host             bool  // the loop runs in a task of the pool, fmHost
	lent             bool  // the host's slot, while the group's Wait blocks
	inSlot           int   // the element running in the host's slot; -1: none
	pullTo           int   // the loop reads elements until it has read so many
	queue, running   []int // elements, and blockers as -1-id
	gCause, ctxCause error
	cons             fmCons
	c                int
	begun            bool // the range statement has started
	terminal         bool // the result held is the last
	st               pool.Stats

	started []int
	ended   map[int]error
	results []fmRes
}

func newFmModel(limit, window, n int, failFast bool, mask byte) *fmModel {
	m := &fmModel{limit: limit, window: window, n: n, failFast: failFast, mask: mask, ended: map[int]error{},
		inSlot: -1, blockedPull: -1}
	if m.window == 0 {
		m.window = 2 * limit
	}
	return m
}

func (m *fmModel) String() string {
	return fmt.Sprintf("pulled %d (blocked %d), queue %v, running %v, cons %d at %d, gCause %v, closed %v, calls %v",
		m.pulled, m.blockedPull, m.queue, m.running, m.cons, m.c, m.gCause, m.closed, m.calls)
}

// fmCall is a Stop or Shutdown call that has not returned.
type fmCall struct {
	from string
	act  fmAct
	n    int // what Stop returns
	// A Shutdown from the body of a loop in a task, with the loop's ctx:
	// it waits for the task itself, so it returns only when ctx ends.
	ctxBound bool
}

// room says whether a submit that waits for room finds it: a task is
// accepted while the queue holds fewer than its bound plus the free slots.
func (m *fmModel) room() bool {
	return m.qsize < 0 || len(m.queue) < m.qsize+max(0, m.capacity()-m.busy())
}

// close is Close: nothing more is accepted, and a submit that waits for
// room is refused.
func (m *fmModel) close() {
	m.closed = true
	if i := m.blockedPull; i >= 0 {
		m.refuse(i, pool.ErrClosed)
	}
}

// refuse ends the read of element i, whose submit failed with err.
func (m *fmModel) refuse(i int, err error) {
	m.blockedPull = -1
	m.elems[i] = fmElem{state: 2, err: err}
	m.refused = true
	m.st.Rejected++
}

// act is a Close, Stop or Shutdown call from the body or from another
// goroutine. Stop cancels the contexts first (the loop's ctx, if it runs
// in a task; its group's, if that has calls queued or running), then
// drops the queued calls and blockers.
func (m *fmModel) act(from string, a fmAct) {
	m.close()
	switch a {
	case fmStop:
		if m.host {
			m.cancelCtx(pool.ErrStopped)
		}
		if slices.ContainsFunc(m.elems, func(e fmElem) bool { return e.state != 2 }) {
			m.cancelGroup(pool.ErrStopped)
		}
		n := len(m.queue)
		for _, r := range m.queue {
			if r >= 0 {
				m.elems[r] = fmElem{state: 2, err: pool.ErrClosed}
			}
		}
		m.queue = nil
		m.st.Dropped += uint64(n)
		if m.stops == 0 {
			m.calls = append(m.calls, fmCall{from: from, act: a, n: n})
		} else {
			m.calls = append(m.calls, fmCall{from: from, act: a})
		}
		m.stops++
	case fmShutdown:
		m.calls = append(m.calls, fmCall{from: from, act: a, ctxBound: m.host && from == "the body"})
	}
}

// bodyAct is the body's Close, Stop or Shutdown: the body goes on once
// it has returned.
func (m *fmModel) bodyAct(c fmCmd) {
	m.act("the body", c.act)
	switch {
	case c.act != fmClose:
		m.bodyCmd = &c
	case c.brk:
		m.leave()
	default:
		m.next()
	}
}

// returns takes the Stop and Shutdown calls that return now: Stop once no
// task runs, Shutdown once none is queued either.
func (m *fmModel) returns() bool {
	changed := false
	m.calls = slices.DeleteFunc(m.calls, func(c fmCall) bool {
		var v any = c.n
		switch {
		case c.ctxBound && m.ctxCause != nil:
			v = m.ctxCause
		case len(m.running) > 0 || c.act == fmShutdown && len(m.queue) > 0:
			return false
		case c.act == fmShutdown:
			v = error(nil)
		}
		m.rets = append(m.rets, fmRet(c.from, c.act, v))
		changed = true
		if c.from == "the body" {
			bc := *m.bodyCmd
			m.bodyCmd = nil
			if bc.brk {
				m.leave()
			} else {
				m.next()
			}
		}
		return true
	})
	return changed
}

func (m *fmModel) runningElems() []int {
	var ids []int
	for _, r := range m.running {
		if r >= 0 {
			ids = append(ids, r)
		}
	}
	slices.Sort(ids)
	return ids
}

func (m *fmModel) runningBlockers() []int {
	var ids []int
	for _, r := range m.running {
		if r < 0 && r != fmHost {
			ids = append(ids, r)
		}
	}
	slices.Sort(ids)
	return ids
}

func (m *fmModel) submit(r int) {
	m.queue = append(m.queue, r)
	m.st.Submitted++
	m.settle()
}

// addBlocker submits a blocker and returns what the submit returns: a
// TrySubmit on a bounded queue fails when there is no room.
func (m *fmModel) addBlocker() error {
	m.blockerTries++
	if !m.room() {
		m.st.Rejected++
		return pool.ErrQueueFull
	}
	m.nBlockers++
	m.submit(-m.nBlockers)
	return nil
}

// fmHost is the task the loop runs in, if any.
const fmHost = -1000

// busy counts the tasks that hold a worker's slot: not an element running
// in the host's slot.
func (m *fmModel) busy() int {
	if m.inSlot >= 0 {
		return len(m.running) - 1
	}
	return len(m.running)
}

func (m *fmModel) capacity() int {
	if m.lent {
		return m.limit + 1
	}
	return m.limit
}

// pulling says whether the loop is still reading (and submitting).
func (m *fmModel) pulling() bool {
	return m.inSlot >= 0 || m.blockedPull >= 0 || m.pulled < m.pullTo && !m.refused
}

// pull reads and submits the next element: refused by a closed pool; in
// the host's slot, if there is a host and no worker can start it at once;
// queued otherwise.
func (m *fmModel) pull() {
	m.pulled++
	i := m.pulled - 1
	if m.closed {
		m.elems = append(m.elems, fmElem{state: 2, err: pool.ErrClosed})
		m.refused = true
		m.st.Rejected++
		return
	}
	m.elems = append(m.elems, fmElem{})
	if !m.host && !m.room() {
		m.blockedPull = i
		return
	}
	if m.host && len(m.queue) >= max(0, m.capacity()-m.busy()) {
		m.st.Submitted++
		m.elems[i].state = 1
		m.running = append(m.running, i)
		m.started = append(m.started, i)
		m.inSlot = i
		return
	}
	m.submit(i)
}

// begin is the range statement's start: the window is read.
func (m *fmModel) begin() {
	m.begun = true
	m.pullTo = min(m.n, m.window)
	m.settle()
}

func (m *fmModel) next() {
	if m.terminal {
		m.leave()
		return
	}
	m.c++
	m.cons = fmWaiting
	m.pullTo = min(m.n, m.pulled+1)
}

func (m *fmModel) leave() {
	m.cons = fmFinishing
	m.cancelGroup(context.Canceled)
}

func (m *fmModel) cancelGroup(cause error) {
	if m.gCause == nil {
		m.gCause = cause
	}
}

func (m *fmModel) cancelCtx(cause error) {
	if m.ctxCause == nil {
		m.ctxCause = cause
	}
	m.cancelGroup(cause)
}

// end has running task r end with mode.
func (m *fmModel) end(r int, mode fmMode) {
	m.running = slices.DeleteFunc(m.running, func(x int) bool { return x == r })
	if r == m.inSlot {
		m.inSlot = -1
	}
	if r < 0 {
		m.st.Completed++
		return
	}
	e := &m.elems[r]
	e.state = 2
	m.ended[r] = m.gCause
	switch mode {
	case fmOK:
		e.v, e.err = 1000+r, nil
		m.st.Completed++
	case fmErrEnd:
		e.v, e.err = r, fmErr{r}
		m.st.Failed++
	case fmPanicEnd:
		e.err = &pool.PanicError{Value: fmPanic{r}}
		m.st.Panicked++
	case fmGoexit:
		e.err = pool.ErrGoexit
		m.st.Failed++
	case fmCanceled:
		e.v, e.err = -1, context.Canceled
		m.st.Failed++
	}
	if m.failFast && e.err != nil {
		m.cancelGroup(e.err)
	}
}

// settle runs what the pool and the loop do by themselves until nothing
// changes.
func (m *fmModel) settle() {
	for changed := true; changed; {
		changed = false
		if m.gCause != nil {
			for _, r := range m.runningElems() {
				if fmAware(m.mask, r) {
					m.end(r, fmCanceled)
					changed = true
				}
			}
		}
		for m.busy() < m.capacity() && len(m.queue) > 0 {
			r := m.queue[0]
			m.queue = m.queue[1:]
			m.running = append(m.running, r)
			m.started = append(m.started, r)
			if r >= 0 {
				m.elems[r].state = 1
			}
			changed = true
		}
		if !m.begun {
			continue
		}
		if m.returns() {
			changed = true
		}
		if i := m.blockedPull; i >= 0 {
			// Its submit waits for room until ctx ends or the pool closes
			// (Close refuses it at once: see close).
			switch {
			case m.ctxCause != nil:
				m.refuse(i, m.ctxCause)
				changed = true
			case m.room():
				m.blockedPull = -1
				m.submit(i)
				changed = true
			}
			continue
		}
		if m.pulling() {
			if m.inSlot < 0 {
				m.pull()
				changed = true
			}
			continue
		}
		switch m.cons {
		case fmWaiting:
			switch {
			case m.c >= m.pulled:
				m.leave()
				changed = true
			case m.ctxCause != nil:
				m.yield(fmRes{0, m.ctxCause}, true)
				changed = true
			case m.elems[m.c].state == 2:
				e := m.elems[m.c]
				if e.err != nil && m.failFast {
					cause := m.gCause
					if cause == nil { // a refused element: the group did not fail
						cause = e.err
					}
					m.yield(fmRes{e.v, cause}, true)
				} else {
					m.yield(fmRes{e.v, e.err}, false)
				}
				changed = true
			}
		case fmFinishing:
			if !slices.ContainsFunc(m.elems, func(e fmElem) bool { return e.state != 2 }) {
				// Wait returns, the loop completes, the host returns.
				m.cons = fmDone
				m.lent = false
				if m.host {
					m.end(fmHost, fmOK)
				}
				changed = true
			} else if m.host && !m.lent {
				m.lent = true // Wait lends the host's slot
				changed = true
			}
		}
	}
}

func (m *fmModel) yield(r fmRes, terminal bool) {
	m.results = append(m.results, r)
	m.cons = fmInBody
	m.terminal = terminal
}
