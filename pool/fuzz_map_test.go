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
//   - Stats counts each call by its own outcome.
//
// data[0]: limit 1+b&3, fail-fast b&4, window b>>3&7 (0: the default);
// data[1]: n%51 elements; data[2]: bit i%8 makes element i aware; data[3]:
// b&0x7f%5 blockers submitted before the loop, and with b&0x80 the loop
// runs in a task of the pool (the "host", with no aware calls: see
// newFmHarness), with the task's context: a call that no worker can start
// at once runs in the host's slot, the loop blocked in its submit until it
// returns, and the group's Wait, once the loop is left, lends the host's
// slot to the pool. Then pairs (op, arg): see step.
func FuzzMapSeq(f *testing.F) {
	const (
		next, brk, rel, blk, cnl, cls = 0, 3, 4, 6, 7, 8
		ok, fail, pnc, gxt            = 0x00, 0x40, 0x80, 0xc0 // release modes, in arg's top bits
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
	cmd    chan bool           // the loop's body: true to go on, false to break
	m      *fmModel
	hist   []string

	mu       sync.Mutex
	pulled   int
	stopped  bool // the source returned
	started  []int
	ended    map[int]error // element: its context's cause when it returned
	results  []fmRes
	loopDone bool
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
	h := &fmHarness{t: t, p: pool.New(limit), chans: map[int]chan fmMode{}, cmd: make(chan bool),
		ended: map[int]error{}}
	h.m = newFmModel(limit, window, n, failFast, mask)
	h.m.host = host
	h.hist = append(h.hist, fmt.Sprintf("limit %d, n %d, window %d (%d), failFast %v, aware %08b, blockers %d, host %v",
		limit, n, window, h.m.window, failFast, mask, blockers, host))
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
			if !<-h.cmd {
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

func (h *fmHarness) addBlocker() {
	id := h.m.nBlockers
	ch := make(chan fmMode, 1)
	h.chans[-1-id] = ch
	h.p.Go(func() {
		h.mu.Lock()
		h.started = append(h.started, -1-id)
		h.mu.Unlock()
		<-ch
	})
	h.m.addBlocker()
}

// step performs operation code with argument arg, if it applies now.
func (h *fmHarness) step(code, arg byte) {
	m := h.m
	var what string
	switch code % 9 {
	case 0, 1, 2: // the loop's body returns true
		if m.cons != fmInBody {
			return
		}
		what = "next"
		h.cmd <- true
		m.next()
	case 3: // the loop's body breaks
		if m.cons != fmInBody {
			return
		}
		what = "break"
		h.cmd <- false
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
			if m.nBlockers >= 8 || m.closed {
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
		m.cancelCtx()
	case 8:
		if m.closed {
			return
		}
		what = "close"
		h.p.Close()
		m.closed = true
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
	h.started, h.ended, h.results = nil, map[int]error{}, nil
	h.mu.Unlock()
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
		if m.cons == fmInBody {
			h.step(3, 0) // break
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
	st := h.p.Stats()
	if st.Submitted != st.Completed+st.Failed+st.Panicked {
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
		inSlot: -1}
	if m.window == 0 {
		m.window = 2 * limit
	}
	return m
}

func (m *fmModel) String() string {
	return fmt.Sprintf("pulled %d, queue %v, running %v, cons %d at %d, gCause %v", m.pulled, m.queue, m.running, m.cons, m.c, m.gCause)
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

func (m *fmModel) addBlocker() {
	m.nBlockers++
	m.submit(-m.nBlockers)
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
	return m.inSlot >= 0 || m.pulled < m.pullTo && !m.refused
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

func (m *fmModel) cancelCtx() {
	m.ctxCause = errFmCause
	m.cancelGroup(errFmCause)
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
