package pool_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/weftgo/weft/pool"
)

// This file drives a Pool (and, in fuzz_serial_test.go, a Serial) with a
// sequence of operations decoded from the fuzz input, inside a synctest
// bubble, and compares it after every operation with a sequential model.
// synctest.Wait after each operation lets the pool settle, so that its
// state is deterministic: every task runs until the fuzzer releases it.
// The fake clock moves only in Sleep operations, step by step to each
// event the model expects (an idle worker's timeout, a QueueTimeout), so
// the idle workers and the queue deadlines are checked to the nanosecond.
// FZLOG=1 logs each run's operations.
//
// What the pool leaves to the scheduler, the model leaves open too:
//
//   - Which of several submitters blocked on a full queue gets room, when
//     room comes, is whatever the pool does: the docs promise no order
//     among them. The model checks how many do, and that they are blocked
//     ones, and learns which from the calls that returned.
//   - When room for several comes at once (SetLimit), or several blocked
//     keyed submitters fail at once (Close, a context), their pushes race
//     each other and the new workers' pops. The model then keeps every
//     possible queue order ("alternatives") and drops those that a later
//     start contradicts.
//   - Wait and Shutdown calls that return together split the kept errors
//     between them as they happen to take the lock: the model checks their
//     union, each error exactly once.
//   - A task whose context has a parent of its own, and that first looks
//     at its context after both the parent and Stop have canceled it, may
//     see either cause: the pool joins the two lazily (see taskctx.go), and
//     the task could not tell which came first anyway.

// fzOpKind is an operation of the fuzzers.
type fzOpKind uint8

const (
	opGo fzOpKind = iota
	opSubmit
	opSubmitCtx
	opTry
	opRelease
	opProbe
	opSetLimit
	opClose
	opStop
	opShutdown
	opWait
	opCancel
	opSerialGo
	opSerialSubmit
	opSerialSubmitCtx
	opSerialTry
	opTick // time passes, up to the next event the model expects
	// FuzzGroup's (fuzz_group_test.go).
	opGroupNew
	opGroupGo
	opGroupTry
	opGroupSubmit
	opGroupWait
	opNested
)

var fzOpNames = [...]string{"Go", "Submit", "SubmitCtx", "TrySubmit", "Release", "Probe",
	"SetLimit", "Close", "Stop", "Shutdown", "Wait", "Cancel",
	"Serial.Go", "Serial.Submit", "Serial.SubmitCtx", "Serial.TrySubmit", "Tick",
	"Pool.Group", "Group.Go", "Group.TrySubmit", "Group.Submit", "Group.Wait", "Nested"}

// How a released task ends.
type fzMode uint8

const (
	endOK fzMode = iota
	endErr
	endPanic
	endGoexit
	probeCtx // not an end: the task reports what its context says
	expired  // not an end either: its QueueTimeout passed
	// Not ends either: the other errors FuzzGroup's groups report, and the
	// causes of their contexts.
	wClosed     // ErrClosed
	wDropped    // ErrClosed for id tasks of a group dropped by Stop
	wCause      // fzCauses[id]
	wCanceled   // context.Canceled: a group's Wait returned
	wStopped    // ErrStopped
	wQueueFull  // ErrQueueFull
	wRunTimeout // ErrRunTimeout: a task's RunTimeout passed
)

var fzModeNames = [...]string{"ok", "error", "panic", "goexit", "probe", "expired",
	"ErrClosed", "dropped", "cause", "Canceled", "ErrStopped", "ErrQueueFull", "ErrRunTimeout"}

const fzCtxs = 3 // cancelable parent contexts per run

// fzPrios are the priorities the fuzzer gives tasks; the last two are
// beyond ±2^40, so they count as ±2^40.
var fzPrios = [...]int{0, 0, 1, 2, -1, 3, 1 << 41, -(1 << 41)}

// fzQueueTimeouts are the tasks' QueueTimeouts, 0 for none.
var fzQueueTimeouts = [...]time.Duration{0, 0, 300 * time.Millisecond, time.Second}

// fzSleeps are how long a Sleep op lets the fake clock run.
var fzSleeps = [...]time.Duration{50 * time.Millisecond, 300 * time.Millisecond, 700 * time.Millisecond,
	time.Second, 2 * time.Second, 2*time.Second + time.Millisecond, 5 * time.Second, 10 * time.Second}

// fzIdleTimeouts are the pools' idle timeouts.
var fzIdleTimeouts = [...]time.Duration{pool.DefaultIdleTimeout, time.Second, 500 * time.Millisecond, 3 * time.Second}

type fzErr struct{ id int }

func (e fzErr) Error() string { return fmt.Sprintf("task %d failed", e.id) }

type fzPanic struct{ id int }

type fzCtxKey struct{}

type fzProbe struct {
	err, cause error
	done       bool
	val        any
}

// fzRet is what a call made on its own goroutine returned.
type fzRet struct {
	err error
	n   int // Stop's dropped count
}

// fzHarness is the real side: the pool, the tasks' channels and what the
// tasks and calls reported. mu guards what tasks and calls write.
type fzHarness struct {
	t      *testing.T
	p      *pool.Pool
	s      *pool.Serial[int]
	ctxs   [fzCtxs]context.Context
	cancel [fzCtxs]context.CancelCauseFunc
	chans  map[int]chan fzMode

	mu      sync.Mutex
	starts  map[int]int
	started []int // since the last collect
	rets    map[int]fzRet
	probe   *fzProbe

	m       *fzModel
	nextID  int
	history []string
	gx      *fzGroupHarness // FuzzGroup's, and FuzzSerial's with a group; nil for the others
	sgroup  bool            // FuzzSerial: h.s is a group's
}

// newFzHarness makes the pool from the first byte of the fuzz input: its
// limit (1 to 4), its queue (unbounded, hand-off, or bounded to 1 or 2)
// and its idle timeout.
func newFzHarness(t *testing.T, cfg byte, serial bool, extra ...pool.Option) *fzHarness {
	limit := 1 + int(cfg&3)
	qsize := []int{-1, 0, 1, 2}[cfg>>2&3]
	idle := fzIdleTimeouts[cfg>>4&3]
	opts := append([]pool.Option{pool.WithIdleTimeout(idle)}, extra...)
	if qsize >= 0 {
		opts = append(opts, pool.WithQueueSize(qsize))
	}
	h := &fzHarness{t: t, p: pool.New(limit, opts...), chans: map[int]chan fzMode{},
		starts: map[int]int{}, rets: map[int]fzRet{}, m: newFzModel(limit, qsize, idle)}
	if serial {
		h.s = pool.NewSerial[int](h.p)
	}
	for i := range h.ctxs {
		h.ctxs[i], h.cancel[i] = context.WithCancelCause(context.WithValue(context.Background(), fzCtxKey{}, i))
	}
	h.history = append(h.history, fmt.Sprintf("New(%d, queue %d, idle %v) serial=%v", limit, qsize, idle, serial))
	return h
}

func fzCancelCause(i int) error { return fmt.Errorf("ctx %d canceled", i) }

var fzCauses = func() (c [fzCtxs]error) {
	for i := range c {
		c[i] = fzCancelCause(i)
	}
	return c
}()

func (h *fzHarness) id() int {
	h.nextID++
	return h.nextID
}

// body returns the task with id id: it reports its start, then obeys its
// channel until told to end.
func (h *fzHarness) body(id int) func(ctx context.Context) error {
	ch := make(chan fzMode, 1)
	h.chans[id] = ch
	var cmds chan func(context.Context) // FuzzGroup's nested submits
	if h.gx != nil {
		cmds = make(chan func(context.Context), 1)
		h.gx.cmds[id] = cmds
	}
	return func(ctx context.Context) error {
		h.mu.Lock()
		h.starts[id]++
		h.started = append(h.started, id)
		h.mu.Unlock()
		for {
			var mode fzMode
			select {
			case f := <-cmds:
				f(ctx)
				continue
			case m, ok := <-ch:
				if !ok {
					return nil
				}
				mode = m
			}
			switch mode {
			case probeCtx:
				r := &fzProbe{err: ctx.Err(), cause: context.Cause(ctx), val: ctx.Value(fzCtxKey{})}
				select {
				case <-ctx.Done():
					r.done = true
				default:
				}
				h.mu.Lock()
				h.probe = r
				h.mu.Unlock()
			case endErr:
				return fzErr{id}
			case endPanic:
				panic(fzPanic{id})
			case endGoexit:
				runtime.Goexit()
			default:
				return nil
			}
		}
	}
}

func (h *fzHarness) goBody(id int) func() {
	fn := h.body(id)
	return func() { _ = fn(nil) }
}

// call runs fn on a goroutine of its own, as call id: it may block.
func (h *fzHarness) call(id int, fn func() fzRet) {
	go func() {
		r := fn()
		h.mu.Lock()
		h.rets[id] = r
		h.mu.Unlock()
	}()
}

// fzObs is what happened during one operation.
type fzObs struct {
	started []int
	rets    map[int]fzRet
	probe   *fzProbe
}

func (h *fzHarness) collect() *fzObs {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := &fzObs{started: h.started, rets: h.rets, probe: h.probe}
	h.started, h.rets, h.probe = nil, map[int]fzRet{}, nil
	return o
}

// fzOp is one decoded operation.
type fzOp struct {
	kind fzOpKind
	task int // the task submitted, released or probed
	call int // the call's id, for calls that may block
	prio int
	ctx  int // parent context index, -1 for none
	key  int // -1 for an unkeyed task
	mode fzMode
	n    int           // SetLimit's limit
	qt   time.Duration // QueueTimeout; for a tick, when it ends
	rt   time.Duration // RunTimeout
	grp  int           // FuzzGroup: the group (index+1), 0 for none
	sub  int           // FuzzGroup: a nested submit's task (op.task submits it)
}

func (op fzOp) String() string {
	if op.kind >= opGroupNew {
		return op.groupString()
	}
	s := fzOpNames[op.kind]
	switch op.kind {
	case opGo, opSubmit, opSubmitCtx, opTry, opSerialGo, opSerialSubmit, opSerialSubmitCtx, opSerialTry:
		s += fmt.Sprintf(" task %d call %d", op.task, op.call)
		if op.prio != 0 {
			s += fmt.Sprintf(" prio %d", op.prio)
		}
		if op.key >= 0 {
			s += fmt.Sprintf(" key %d", op.key)
		}
		if op.ctx >= 0 {
			s += fmt.Sprintf(" ctx %d", op.ctx)
		}
		if op.qt != 0 {
			s += fmt.Sprintf(" queue timeout %v", op.qt)
		}
	case opTick:
		s += fmt.Sprintf(" to %v", op.qt)
	case opRelease, opProbe:
		s += fmt.Sprintf(" task %d %s", op.task, fzModeNames[op.mode])
	case opSetLimit:
		s += fmt.Sprintf("(%d)", op.n)
	case opShutdown:
		s += fmt.Sprintf(" call %d ctx %d", op.call, op.ctx)
	case opCancel:
		s += fmt.Sprintf(" ctx %d", op.ctx)
	case opStop, opWait:
		s += fmt.Sprintf(" call %d", op.call)
	}
	return s
}

// submitOp makes a submit operation of kind k; it returns false if the
// model says it would block while three submitters are blocked already, to
// keep the alternatives few.
func (h *fzHarness) submitOp(k fzOpKind, prio, ctx, key int, qt time.Duration) (fzOp, bool) {
	op := fzOp{kind: k, prio: prio, ctx: ctx, key: key, qt: qt}
	try := k == opTry || k == opSerialTry
	if !try && len(h.m.blocked) >= 3 && h.m.wouldBlock(key) {
		return op, false
	}
	op.task, op.call = h.id(), h.id()
	return op, true
}

// do performs op on the pool, lets the bubble settle and checks the pool
// against the model.
func (h *fzHarness) do(op fzOp) {
	h.t.Helper()
	h.history = append(h.history, op.String())
	var opts []pool.TaskOption
	if op.prio != 0 {
		opts = append(opts, pool.Priority(op.prio))
	}
	if op.qt != 0 && op.kind != opTick {
		opts = append(opts, pool.QueueTimeout(op.qt))
	}
	if op.rt != 0 {
		opts = append(opts, pool.RunTimeout(op.rt))
	}
	p, s := h.p, h.s
	switch op.kind {
	case opGo:
		fn := h.goBody(op.task)
		h.call(op.call, func() fzRet { return fzRet{err: p.Go(fn, opts...)} })
	case opSubmit:
		fn := h.body(op.task)
		h.call(op.call, func() fzRet { return fzRet{err: p.Submit(context.Background(), fn, opts...)} })
	case opSubmitCtx:
		fn, ctx := h.body(op.task), h.ctxs[op.ctx]
		h.call(op.call, func() fzRet { return fzRet{err: p.Submit(ctx, fn, opts...)} })
	case opTry:
		fn := h.body(op.task)
		h.call(op.call, func() fzRet { return fzRet{err: p.TrySubmit(fn, opts...)} })
	case opSerialGo:
		fn := h.goBody(op.task)
		h.call(op.call, func() fzRet { return fzRet{err: s.Go(op.key, fn)} })
	case opSerialSubmit:
		fn := h.body(op.task)
		h.call(op.call, func() fzRet { return fzRet{err: s.Submit(context.Background(), op.key, fn)} })
	case opSerialSubmitCtx:
		fn, ctx := h.body(op.task), h.ctxs[op.ctx]
		h.call(op.call, func() fzRet { return fzRet{err: s.Submit(ctx, op.key, fn)} })
	case opSerialTry:
		fn := h.body(op.task)
		h.call(op.call, func() fzRet { return fzRet{err: s.TrySubmit(op.key, fn)} })
	case opRelease, opProbe:
		h.chans[op.task] <- op.mode
	case opSetLimit:
		p.SetLimit(op.n)
	case opClose:
		p.Close()
	case opStop:
		h.call(op.call, func() fzRet { return fzRet{n: p.Stop()} })
	case opShutdown:
		ctx := context.Background()
		if op.ctx >= 0 {
			ctx = h.ctxs[op.ctx]
		}
		h.call(op.call, func() fzRet { return fzRet{err: p.Shutdown(ctx)} })
	case opWait:
		h.call(op.call, func() fzRet { return fzRet{err: p.Wait()} })
	case opCancel:
		h.cancel[op.ctx](fzCauses[op.ctx])
	case opTick:
		time.Sleep(op.qt - h.m.now)
	default:
		h.doGroup(op, opts)
	}
	synctest.Wait()
	obs := h.collect()
	for _, id := range obs.started {
		if h.starts[id] != 1 {
			h.fail("task %d started %d times", id, h.starts[id])
		}
	}
	if err := h.m.apply(op, obs); err != nil {
		h.fail("%v", err)
	}
	if err := h.m.checkStats(h.p.Stats()); err != nil {
		h.fail("%v", err)
	}
	if h.gx != nil {
		if err := h.checkGroupCtxs(); err != nil {
			h.fail("%v", err)
		}
	}
	if len(h.m.alts) > 5000 {
		h.fail("%d queue alternatives", len(h.m.alts))
	}
}

func (h *fzHarness) fail(format string, args ...any) {
	h.t.Helper()
	// Let every goroutine go, so that the bubble ends quietly unless the
	// pool itself is stuck.
	for _, ch := range h.chans {
		close(ch)
	}
	go h.p.Stop()
	synctest.Wait()
	n := len(h.history)
	from := max(0, n-60)
	h.t.Fatalf("after op %d (%s): %s\nmodel: %s\nops (from %d):\n  %s", n-1, h.history[n-1],
		fmt.Sprintf(format, args...), h.m, from, strings.Join(h.history[from:], "\n  "))
}

// sleep lets d pass on the fake clock, in steps that end at the events the
// model expects (an idle worker's timeout, a queued task's deadline), so
// that what happens at each is checked apart.
func (h *fzHarness) sleep(d time.Duration) {
	h.t.Helper()
	end := h.m.now + d
	for h.m.now < end {
		h.do(fzOp{kind: opTick, qt: min(end, h.m.nextEvent())})
	}
}

// finish shuts the pool down, releasing every task, and checks that every
// accepted task that was not dropped ran exactly once, and no other did.
func (h *fzHarness) finish() {
	h.t.Helper()
	h.do(fzOp{kind: opShutdown, call: h.id(), ctx: -1})
	for len(h.m.running)+len(h.m.inline) > 0 {
		h.do(fzOp{kind: opRelease, task: h.m.runningIDs()[0], mode: endOK})
	}
	m := h.m
	if len(m.blocked)+len(m.waits)+len(m.stops) > 0 {
		h.fail("calls still pending at the end: blocked %v waits %v stops %v", m.blocked, m.waits, m.stops)
	}
	for i, g := range m.groups {
		if len(g.waits) > 0 || g.outstanding > 0 {
			h.fail("group %d: Waits %v pending, %d tasks outstanding at the end", i, g.waits, g.outstanding)
		}
	}
	for id, t := range m.tasks {
		want := 0
		if t.state == tsDone {
			want = 1
		} else if t.state != tsDropped && t.state != tsRejected && t.state != tsExpired {
			h.fail("task %d left in state %d", id, t.state)
		}
		if h.starts[id] != want {
			h.fail("task %d (state %d) started %d times, want %d", id, t.state, h.starts[id], want)
		}
	}
	st := h.p.Stats()
	if os.Getenv("FZLOG") != "" {
		h.t.Logf("%s\n%+v", strings.Join(h.history, "\n"), st)
	}
	if st.Submitted != st.Completed+st.Failed+st.Panicked+st.Dropped+st.Expired {
		h.fail("idle pool's counters do not add up: %+v", st)
	}
}

// The model.

type fzTaskState uint8

const (
	tsBlocked fzTaskState = iota
	tsParked
	tsQueued
	tsRunning
	tsDone
	tsDropped
	tsRejected
	tsExpired
)

type fzTaskM struct {
	id     int
	grp    int  // FuzzGroup: the task's group (index+1), 0 for none
	record bool // FuzzGroup: Group.Go or TrySubmit, whose failure is recorded for Wait
	nested bool // FuzzGroup: submitted by a task with its context
	inline bool // FuzzGroup: running in its caller's slot
	caller int  // FuzzGroup: the task that submitted it, if nested
	hasCtx bool // a func(ctx) error task
	ctx    int  // parent context, -1 for none
	key    int  // -1: not a Serial's
	prio   int
	try    bool
	call   int
	state  fzTaskState
	joinAt int // op of the task's first probe, -1 before

	qt       time.Duration // QueueTimeout, 0 for none
	deadline time.Duration // while queued with a QueueTimeout

	rt        time.Duration // RunTimeout, 0 for none
	startedAt time.Duration // when it started
	rtAt      int           // the op during which its RunTimeout passed, -1 before
}

// fzQE is a queued task: the pool takes the one with the lowest (key, seq).
type fzQE struct {
	id       int
	key, seq int64
}

// fzAlt is one possible order of the queue.
type fzAlt struct {
	q      []fzQE
	seq    int64
	popped []int // this operation's
}

func (a *fzAlt) clone() *fzAlt {
	return &fzAlt{q: slices.Clone(a.q), seq: a.seq, popped: slices.Clone(a.popped)}
}

func (a *fzAlt) push(id, prio int) {
	prio = min(max(prio, -(1<<40)), 1<<40)
	a.q = append(a.q, fzQE{id: id, key: a.seq - int64(prio)*pool.AgingStep, seq: a.seq})
	a.seq++
}

func (a *fzAlt) pop() {
	best := 0
	for i, e := range a.q {
		if e.key < a.q[best].key || e.key == a.q[best].key && e.seq < a.q[best].seq {
			best = i
		}
	}
	a.popped = append(a.popped, a.q[best].id)
	a.q = slices.Delete(a.q, best, best+1)
}

func (a *fzAlt) String() string {
	var b strings.Builder
	for _, e := range a.q {
		fmt.Fprintf(&b, "%d/%d/%d ", e.id, e.key, e.seq)
	}
	fmt.Fprintf(&b, "seq %d popped %v", a.seq, a.popped)
	return b.String()
}

type fzWant struct {
	mode fzMode // endErr, endPanic, endGoexit or expired
	id   int    // 0 for endGoexit and expired: the error does not say whose
}

type fzCallKind uint8

const (
	callWait fzCallKind = iota
	callShutdown
)

type fzWaitCall struct {
	id   int
	kind fzCallKind
	ctx  int
}

type fzModel struct {
	limit, qsize int // qsize < 0: unbounded
	idleTimeout  time.Duration
	now          time.Duration   // since New
	idle         []time.Duration // when each idle worker went idle, oldest first
	running      map[int]bool
	pops         int // tasks popped during this operation
	alts         []*fzAlt
	tasks        map[int]*fzTaskM
	blocked      []int // tasks whose submit is blocked, oldest first
	waits        []fzWaitCall
	stops        []int // Stop calls pending
	stopped      bool
	closed       bool
	op           int
	stopAt       int
	canceledAt   [fzCtxs]int
	busy         map[int]bool  // keys with a task in the pool or being submitted
	parked       map[int][]int // tasks parked behind each key
	nParked      int
	stopN        []int // what each pending Stop call returns
	kept         []fzWant
	st           pool.Stats

	// FuzzGroup's (see fuzz_group_test.go).
	groups      []*fzGroupM
	inline      map[int]bool // tasks running in their caller's slot, without a worker
	suspended   map[int]int  // callers suspended in a nested submit: the submit's call
	touchedIdle bool         // the pool was idle for a while during this op (see settledAWhile)
	handler     bool         // WithErrorHandler: the pool tasks' errors go to it, not to Wait
	handled     []fzWant     // what the handler gets during this op
	handed      []int        // parked tasks handed on by refused keyed submits, to be queued
}

func newFzModel(limit, qsize int, idle time.Duration) *fzModel {
	m := &fzModel{limit: limit, qsize: qsize, idleTimeout: idle, running: map[int]bool{}, alts: []*fzAlt{{}},
		tasks: map[int]*fzTaskM{}, stopAt: -1, busy: map[int]bool{}, parked: map[int][]int{},
		inline: map[int]bool{}, suspended: map[int]int{}}
	for i := range m.canceledAt {
		m.canceledAt[i] = -1
	}
	return m
}

func (m *fzModel) String() string {
	var alts []string
	for _, a := range m.alts {
		alts = append(alts, a.String())
	}
	return fmt.Sprintf("at %v: limit %d queue %d idle workers %v running %v blocked %v parked %v closed %v stopped %v kept %v\n  queue alternatives: %s",
		m.now, m.limit, m.qsize, m.idle, m.runningIDs(), m.blocked, m.parked, m.closed, m.stopped, m.kept,
		strings.Join(alts, "\n    ")) + m.groupsString()
}

// runningIDs returns the running tasks that can be released or probed:
// not those suspended in a nested submit, but those running in their
// place.
func (m *fzModel) runningIDs() []int {
	ids := make([]int, 0, len(m.running))
	for id := range m.running {
		if _, ok := m.suspended[id]; !ok {
			ids = append(ids, id)
		}
	}
	for id := range m.inline {
		if _, ok := m.suspended[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func (m *fzModel) nRunning() int { return len(m.running) + m.pops }

// workers counts the worker goroutines: at rest, each runs a task or is idle.
func (m *fzModel) workers() int { return m.nRunning() + len(m.idle) }
func (m *fzModel) qlen() int    { return len(m.alts[0].q) }

// room is how many more tasks a submit would find room for.
func (m *fzModel) room() int {
	if m.qsize < 0 {
		return 1 << 30
	}
	return m.qsize + max(0, m.limit-m.nRunning()) - m.qlen()
}

// wouldBlock says whether a blocking submit of key would block now.
func (m *fzModel) wouldBlock(key int) bool {
	return !m.closed && !(key >= 0 && m.busy[key]) && m.room() <= 0
}

func (m *fzModel) push(id int) {
	t := m.tasks[id]
	t.state = tsQueued
	t.deadline = m.now + t.qt
	for _, a := range m.alts {
		a.push(id, t.prio)
	}
}

// popOne has a worker take the next task: the idle one that went idle
// last, or a new one.
func (m *fzModel) popOne() {
	m.wakeOne()
	for _, a := range m.alts {
		a.pop()
	}
}

func (m *fzModel) wakeOne() {
	if n := len(m.idle); n > 0 {
		m.idle = m.idle[:n-1]
	}
	m.pops++
}

// popOwn has the worker whose task just ended take the next task.
func (m *fzModel) popOwn() {
	m.pops++
	for _, a := range m.alts {
		a.pop()
	}
}

// fill starts queued tasks while there are free slots.
func (m *fzModel) fill() {
	for m.nRunning() < m.limit && m.qlen() > 0 {
		m.popOne()
	}
}

// explore pushes ids in any order, interleaved with pops tasks taken by
// workers, keeping every outcome as an alternative.
func (m *fzModel) explore(ids []int, pops int) {
	for _, id := range ids {
		m.tasks[id].state = tsQueued
		m.tasks[id].deadline = m.now + m.tasks[id].qt
	}
	var out []*fzAlt
	var walk func(a *fzAlt, rest []int, pops int)
	walk = func(a *fzAlt, rest []int, pops int) {
		if len(rest) == 0 && pops == 0 {
			out = append(out, a)
			return
		}
		for i, id := range rest {
			b := a.clone()
			b.push(id, m.tasks[id].prio)
			walk(b, slices.Concat(rest[:i], rest[i+1:]), pops)
		}
		if pops > 0 && len(a.q) > 0 {
			b := a.clone()
			b.pop()
			walk(b, rest, pops-1)
		}
	}
	for _, a := range m.alts {
		walk(a, ids, pops)
	}
	for range pops {
		m.wakeOne()
	}
	m.alts = out
}

// endOp keeps the alternatives whose starts in this operation are the
// observed ones, and merges identical ones.
func (m *fzModel) endOp(started []int) error {
	got := slices.Sorted(slices.Values(started))
	var keep []*fzAlt
	seen := map[string]bool{}
	var predicted []string
	for _, a := range m.alts {
		want := slices.Sorted(slices.Values(a.popped))
		if !slices.Equal(want, got) {
			predicted = append(predicted, fmt.Sprint(want))
			continue
		}
		a.popped = nil
		if k := a.String(); !seen[k] {
			seen[k] = true
			keep = append(keep, a)
		}
	}
	if len(keep) == 0 {
		return fmt.Errorf("tasks %v started; the model predicted %s", got, strings.Join(predicted, " or "))
	}
	m.alts = keep
	for _, id := range got {
		t := m.tasks[id]
		t.state = tsRunning
		t.startedAt = m.now
		if t.rt > 0 {
			// The run deadline's context is made at the start, from the
			// task's, which it looks at then.
			t.joinAt = m.op
		}
		if !m.inline[id] {
			m.running[id] = true
		}
	}
	m.pops = 0
	return nil
}

// fzCheck consumes the observed returns of calls, checking each against
// what the model expects.
type fzCheck struct {
	obs *fzObs
}

func (c fzCheck) ret(call int, what string, ok func(fzRet) bool) error {
	r, found := c.obs.rets[call]
	if !found {
		return fmt.Errorf("call %d did not return; want it to return %s", call, what)
	}
	delete(c.obs.rets, call)
	if !ok(r) {
		return fmt.Errorf("call %d returned %v (n %d), want %s", call, r.err, r.n, what)
	}
	return nil
}

func isErr(want error) func(fzRet) bool {
	return func(r fzRet) bool {
		if want == nil {
			return r.err == nil
		}
		return errors.Is(r.err, want)
	}
}

func (m *fzModel) apply(op fzOp, obs *fzObs) error {
	m.op++
	c := fzCheck{obs}
	var err error
	switch op.kind {
	case opGo, opSubmit, opSubmitCtx, opTry, opSerialGo, opSerialSubmit, opSerialSubmitCtx, opSerialTry,
		opGroupGo, opGroupTry, opGroupSubmit:
		err = m.submit(op, c)
	case opRelease:
		err = m.release(op, c)
	case opProbe:
		err = m.probe(op, obs.probe)
	case opSetLimit:
		err = m.setLimit(op.n, c)
	case opClose:
		err = m.close(c)
	case opStop:
		err = m.stop(op, c)
	case opShutdown:
		if err = m.close(c); err == nil {
			m.waits = append(m.waits, fzWaitCall{id: op.call, kind: callShutdown, ctx: op.ctx})
			if op.ctx >= 0 && m.canceledAt[op.ctx] >= 0 && !m.isIdle() {
				m.waits = m.waits[:len(m.waits)-1]
				err = c.ret(op.call, "the context's cause", isErr(fzCauses[op.ctx]))
			}
		}
	case opWait:
		m.waits = append(m.waits, fzWaitCall{id: op.call, kind: callWait})
	case opCancel:
		err = m.cancel(op.ctx, c)
	case opTick:
		err = m.tick(op.qt, c)
	default:
		err = m.applyGroup(op, c)
	}
	if err != nil {
		return err
	}
	if ids := m.handed; len(ids) > 0 {
		// Keys whose blocked submit a failed group refused: the submitters
		// hand them on, their parked tasks queued in any order.
		m.handed = nil
		m.explore(ids, min(max(0, m.limit-m.nRunning()), m.qlen()+len(ids)))
	}
	if err := m.endOp(obs.started); err != nil {
		return err
	}
	if err := m.settled(c); err != nil {
		return err
	}
	if err := m.settleGroups(c); err != nil {
		return err
	}
	if len(obs.rets) > 0 {
		return fmt.Errorf("calls returned unexpectedly: %v", obs.rets)
	}
	return nil
}

func (m *fzModel) submit(op fzOp, c fzCheck) error {
	t := &fzTaskM{id: op.task, ctx: op.ctx, key: op.key, prio: op.prio, call: op.call, joinAt: -1, qt: op.qt, rt: op.rt, rtAt: -1,
		hasCtx: op.kind != opGo && op.kind != opSerialGo, try: op.kind == opTry || op.kind == opSerialTry || op.kind == opGroupTry,
		grp: op.grp, record: op.kind == opGroupGo || op.kind == opGroupTry ||
			op.grp > 0 && (op.kind == opSerialGo || op.kind == opSerialTry)} // a group's Serial records as Group.Go does
	m.tasks[t.id] = t
	if m.closed {
		t.state = tsRejected
		m.st.Rejected++
		if err := c.ret(op.call, "ErrClosed", isErr(pool.ErrClosed)); err != nil {
			return err
		}
		return m.recordFor(t, fzWant{wClosed, 0}, c)
	}
	if t.key >= 0 {
		if m.busy[t.key] {
			t.state = tsParked
			m.parked[t.key] = append(m.parked[t.key], t.id)
			m.nParked++
			m.st.Submitted++
			m.accepted(t) // a group's Wait waits for it too
			return c.ret(op.call, "nil (parked)", isErr(nil))
		}
		m.busy[t.key] = true
	}
	if m.room() > 0 {
		m.st.Submitted++
		m.accepted(t)
		m.push(t.id)
		m.fill()
		return c.ret(op.call, "nil", isErr(nil))
	}
	var want fzWant
	switch {
	case t.try:
		want = fzWant{wQueueFull, 0}
	case t.grp > 0 && m.groups[t.grp-1].first != nil:
		want = *m.groups[t.grp-1].first
	case m.waitCtx(t) >= 0 && m.canceledAt[m.waitCtx(t)] >= 0:
		want = fzWant{wCause, m.waitCtx(t)}
	default:
		t.state = tsBlocked
		m.blocked = append(m.blocked, t.id)
		return nil
	}
	t.state = tsRejected
	m.st.Rejected++
	if t.key >= 0 {
		if id, ok := m.handOn(t.key); ok {
			m.push(id)
			m.fill()
		}
	}
	if err := c.ret(op.call, fmt.Sprint(want), isWant(want)); err != nil {
		return err
	}
	if want.mode == wQueueFull {
		return nil
	}
	return m.recordFor(t, want, c)
}

// handOn hands key on once its task in the pool ended or was refused:
// its first parked task goes to the queue (returned), or the key is free.
func (m *fzModel) handOn(key int) (int, bool) {
	if m.stopped {
		return 0, false // Stop dropped the parked tasks
	}
	ps := m.parked[key]
	if len(ps) == 0 {
		delete(m.busy, key)
		return 0, false
	}
	m.parked[key] = ps[1:]
	if len(ps) == 1 {
		delete(m.parked, key)
	}
	m.nParked--
	return ps[0], true
}

func (m *fzModel) release(op fzOp, c fzCheck) error {
	t := m.tasks[op.task]
	if !m.running[t.id] && !m.inline[t.id] {
		return fmt.Errorf("model: releasing task %d, which is not running", t.id)
	}
	delete(m.running, t.id)
	t.state = tsDone
	var report *fzWant
	switch op.mode {
	case endOK:
		m.st.Completed++
	case endErr:
		m.st.Failed++
		report = &fzWant{endErr, t.id}
	case endPanic:
		m.st.Panicked++
		report = &fzWant{endPanic, t.id}
	case endGoexit:
		m.st.Failed++
		report = &fzWant{endGoexit, 0}
	}
	if err := m.taskEnded(t, report, c); err != nil {
		return err
	}
	if len(m.blocked) > 0 && m.nRunning() == 0 && len(m.inline) == 0 && m.qlen() == 0 && m.nParked == 0 {
		// The pool is idle until a blocked submitter gets the room: a
		// Wait may return meanwhile, or go on waiting.
		m.touchedIdle = true
	}
	if t.inline {
		return m.inlineEnded(t, c) // its caller's worker goes on with its caller
	}
	if t.key >= 0 {
		if id, ok := m.handOn(t.key); ok {
			m.push(id) // before the worker looks at the queue
		}
	}
	signal := false
	switch {
	case m.workers()+1 > m.limit:
		// A busy worker above the limit exits as its task ends.
	case m.qlen() > 0:
		m.popOwn()
		signal = true
	case m.closed:
		// It exits.
	default:
		// The pool's clock reads at least 1ns (see idleClock), so a
		// worker idle from the start retires 1ns late.
		m.idle = append(m.idle, max(m.now, 1))
		signal = m.qsize == 0 // hand-off mode: a parked worker is room
	}
	if signal && len(m.blocked) > 0 {
		n := 0
		if m.room() > 0 {
			n = 1
		}
		ids, err := m.admitted(c, n)
		if err != nil {
			return err
		}
		for _, id := range ids {
			m.push(id)
		}
		m.fill()
	}
	return nil
}

// admitted returns the blocked submitters that returned nil; there must be
// n of them.
func (m *fzModel) admitted(c fzCheck, n int) ([]int, error) {
	var ids []int
	m.blocked = slices.DeleteFunc(m.blocked, func(id int) bool {
		r, ok := c.obs.rets[m.tasks[id].call]
		if !ok {
			return false
		}
		delete(c.obs.rets, m.tasks[id].call)
		if r.err != nil {
			ids = append(ids, -id)
			return true
		}
		ids = append(ids, id)
		m.st.Submitted++
		m.accepted(m.tasks[id])
		return true
	})
	if len(ids) != n || slices.ContainsFunc(ids, func(id int) bool { return id < 0 }) {
		return nil, fmt.Errorf("blocked submits of tasks %v returned (negative: with an error), want %d to return nil", ids, n)
	}
	return ids, nil
}

func (m *fzModel) setLimit(n int, c fzCheck) error {
	m.limit = n
	for len(m.idle) > 0 && m.workers() > n {
		m.idle = m.idle[:len(m.idle)-1] // the one idle the shortest time exits
	}
	if len(m.blocked) == 0 {
		m.fill()
		return nil
	}
	k := min(len(m.blocked), max(0, m.room()))
	pops := min(max(0, n-m.nRunning()), m.qlen()+k)
	ids, err := m.admitted(c, k)
	if err != nil {
		return err
	}
	m.explore(ids, pops)
	return nil
}

// close is what Close, Shutdown and Stop share: blocked submitters
// get ErrClosed, and the keys of keyed ones are handed on.
func (m *fzModel) close(c fzCheck) error {
	if m.closed {
		return nil
	}
	m.closed = true
	m.idle = nil // idle workers exit
	var ids []int
	blocked := m.blocked
	m.blocked = nil
	for _, id := range blocked {
		t := m.tasks[id]
		if t.state != tsBlocked {
			continue // refused already: its group failed
		}
		t.state = tsRejected
		m.st.Rejected++
		if err := c.ret(t.call, "ErrClosed", isErr(pool.ErrClosed)); err != nil {
			return err
		}
		if err := m.recordFor(t, fzWant{wClosed, 0}, c); err != nil {
			return err
		}
		if t.key >= 0 {
			if next, ok := m.handOn(t.key); ok {
				ids = append(ids, next)
			}
		}
	}
	m.blocked = nil
	m.explore(ids, min(max(0, m.limit-m.nRunning()), m.qlen()+len(ids)))
	return nil
}

func (m *fzModel) stop(op fzOp, c fzCheck) error {
	first := !m.stopped
	m.stopped = true // before close: the parked tasks go, not on
	if first {
		m.stopAt = m.op
	}
	m.stopGroups() // before the drops: a group whose tasks were all queued is canceled too
	n := m.qlen() + m.nParked
	for _, e := range m.alts[0].q {
		m.tasks[e.id].state = tsDropped
		m.droppedFromGroup(m.tasks[e.id])
	}
	for _, ps := range m.parked {
		for _, id := range ps {
			m.tasks[id].state = tsDropped
			m.droppedFromGroup(m.tasks[id])
		}
	}
	for _, a := range m.alts {
		a.q = nil
	}
	m.alts = m.alts[:1]
	m.parked, m.nParked, m.busy = map[int][]int{}, 0, map[int]bool{}
	m.st.Dropped += uint64(n)
	if err := m.close(c); err != nil {
		return err
	}
	m.stops = append(m.stops, op.call)
	m.stopN = append(m.stopN, n) // returned once the running tasks have
	return nil
}

func (m *fzModel) cancel(i int, c fzCheck) error {
	if m.canceledAt[i] >= 0 {
		return nil
	}
	m.canceledAt[i] = m.op
	var ids []int
	var err error
	m.cancelGroups(i)
	var rec []*fzTaskM
	m.blocked = slices.DeleteFunc(m.blocked, func(id int) bool {
		t := m.tasks[id]
		if m.waitCtx(t) != i {
			return false
		}
		t.state = tsRejected
		m.st.Rejected++
		rec = append(rec, t)
		if e := c.ret(t.call, "the context's cause", isErr(fzCauses[i])); e != nil && err == nil {
			err = e
		}
		if t.key >= 0 {
			if next, ok := m.handOn(t.key); ok {
				ids = append(ids, next)
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	for _, t := range rec {
		if err := m.recordFor(t, fzWant{wCause, i}, c); err != nil {
			return err
		}
	}
	m.explore(ids, min(max(0, m.limit-m.nRunning()), m.qlen()+len(ids)))
	m.waits = slices.DeleteFunc(m.waits, func(w fzWaitCall) bool {
		if w.kind != callShutdown || w.ctx != i {
			return false
		}
		if e := c.ret(w.id, "the context's cause", isErr(fzCauses[i])); e != nil && err == nil {
			err = e
		}
		return true
	})
	return err
}

// nextEvent is when the pool should next act by itself: retire an idle
// worker, or drop a queued task whose QueueTimeout has passed.
func (m *fzModel) nextEvent() time.Duration {
	next := time.Duration(math.MaxInt64)
	if len(m.idle) > 0 {
		next = m.idle[0] + m.idleTimeout
	}
	for _, e := range m.alts[0].q {
		if t := m.tasks[e.id]; t.qt > 0 {
			next = min(next, t.deadline)
		}
	}
	for id := range m.running {
		if t := m.tasks[id]; t.rt > 0 && t.rtAt < 0 {
			next = min(next, t.startedAt+t.rt)
		}
	}
	return next
}

// tick moves the clock to now: idle workers whose timeout has passed exit,
// and queued tasks whose deadline has passed are dropped, reported with
// ErrQueueTimeout, and make room for blocked submitters.
func (m *fzModel) tick(now time.Duration, c fzCheck) error {
	m.now = now
	for id := range m.running {
		if t := m.tasks[id]; t.rt > 0 && t.rtAt < 0 && t.startedAt+t.rt <= now {
			t.rtAt = m.op
		}
	}
	for len(m.idle) > 0 && m.idle[0]+m.idleTimeout <= now {
		m.idle = m.idle[1:]
	}
	gone := map[int]bool{}
	for _, e := range m.alts[0].q {
		if t := m.tasks[e.id]; t.qt > 0 && t.deadline <= now {
			gone[e.id] = true
			t.state = tsExpired
			m.st.Expired++
			if t.grp > 0 {
				// To its group's Wait. A fail-fast group fails here, and
				// refuses its blocked submitters, before the room the
				// task leaves goes to anyone (see WithFailFast).
				if err := m.taskEnded(t, &fzWant{expired, 0}, c); err != nil {
					return err
				}
				continue
			}
			m.kept = append(m.kept, fzWant{expired, 0})
		}
	}
	if len(gone) == 0 {
		return nil
	}
	for _, a := range m.alts {
		a.q = slices.DeleteFunc(a.q, func(e fzQE) bool { return gone[e.id] })
	}
	k := min(len(m.blocked), max(0, m.room()))
	ids, err := m.admitted(c, k)
	if err != nil {
		return err
	}
	m.explore(ids, min(max(0, m.limit-m.nRunning()), m.qlen()+len(ids)))
	return nil
}

func (m *fzModel) isIdle() bool { return m.nRunning() == 0 && m.qlen() == 0 && m.nParked == 0 }

// settled returns the pending Wait, Shutdown and Stop calls once the pool
// has nothing left to run: their errors together must be the kept ones.
func (m *fzModel) settled(c fzCheck) error {
	touched := m.touchedIdle
	m.touchedIdle = false
	if !m.isIdle() {
		if touched {
			return m.settledAWhile(c)
		}
		return nil
	}
	for i, id := range m.stops {
		if err := c.ret(id, fmt.Sprintf("dropped %d", m.stopN[i]), func(r fzRet) bool { return r.n == m.stopN[i] && r.err == nil }); err != nil {
			return err
		}
	}
	m.stops, m.stopN = nil, nil
	if len(m.waits) == 0 {
		return nil
	}
	var got []fzWant
	for _, w := range m.waits {
		r, ok := c.obs.rets[w.id]
		if !ok {
			return fmt.Errorf("call %d (Wait or Shutdown) did not return on an idle pool", w.id)
		}
		delete(c.obs.rets, w.id)
		for _, e := range fzFlatten(r.err) {
			fw, err := fzWantOf(e)
			if err != nil {
				return fmt.Errorf("call %d: %w", w.id, err)
			}
			got = append(got, fw)
		}
	}
	want := slices.Clone(m.kept)
	if !fzSameWants(got, want) {
		return fmt.Errorf("Wait/Shutdown calls %v returned errors %v, want %v", m.waits, got, want)
	}
	m.waits, m.kept = nil, nil
	return nil
}

// settledAWhile checks the Wait calls that returned while the pool was
// idle for a while during this op: together they return every kept error,
// and the others go on waiting.
func (m *fzModel) settledAWhile(c fzCheck) error {
	var got []fzWant
	var returned []int
	m.waits = slices.DeleteFunc(m.waits, func(w fzWaitCall) bool {
		r, ok := c.obs.rets[w.id]
		if !ok || w.kind != callWait {
			return false
		}
		delete(c.obs.rets, w.id)
		returned = append(returned, w.id)
		for _, e := range fzFlatten(r.err) {
			fw, err := fzWantOf(e)
			if err != nil {
				fw = fzWant{mode: 255}
			}
			got = append(got, fw)
		}
		return true
	})
	if len(returned) == 0 {
		return nil
	}
	want := slices.Clone(m.kept)
	if !fzSameWants(got, want) {
		return fmt.Errorf("Wait calls %v returned errors %v, want %v", returned, got, want)
	}
	m.kept = nil
	return nil
}

func fzFlatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, fzFlatten(e)...)
		}
		return out
	}
	return []error{err}
}

func fzWantOf(err error) (fzWant, error) {
	var pe *pool.PanicError
	var fe fzErr
	switch {
	case errors.As(err, &pe):
		v, ok := pe.Value.(fzPanic)
		if !ok {
			return fzWant{}, fmt.Errorf("PanicError with value %#v", pe.Value)
		}
		return fzWant{endPanic, v.id}, nil
	case errors.Is(err, pool.ErrGoexit):
		return fzWant{endGoexit, 0}, nil
	case errors.Is(err, pool.ErrQueueTimeout):
		return fzWant{expired, 0}, nil
	case errors.Is(err, pool.ErrRunTimeout):
		return fzWant{wRunTimeout, 0}, nil
	case errors.As(err, &fe):
		return fzWant{endErr, fe.id}, nil
	case err == pool.ErrClosed:
		return fzWant{wClosed, 0}, nil
	case errors.Is(err, pool.ErrClosed):
		var n int
		if _, e := fmt.Sscanf(strings.TrimPrefix(err.Error(), pool.ErrClosed.Error()+": "), "%d queued", &n); e != nil {
			return fzWant{}, fmt.Errorf("unexpected error %v", err)
		}
		return fzWant{wDropped, n}, nil
	case errors.Is(err, pool.ErrStopped):
		return fzWant{wStopped, 0}, nil
	case errors.Is(err, pool.ErrQueueFull):
		return fzWant{wQueueFull, 0}, nil
	case errors.Is(err, context.Canceled):
		return fzWant{wCanceled, 0}, nil
	}
	for i, c := range fzCauses {
		if err == c {
			return fzWant{wCause, i}, nil
		}
	}
	return fzWant{}, fmt.Errorf("unexpected error %v", err)
}

func (m *fzModel) probe(op fzOp, r *fzProbe) error {
	t := m.tasks[op.task]
	if r == nil {
		return fmt.Errorf("task %d did not answer its probe", t.id)
	}
	first := t.joinAt < 0
	if first {
		t.joinAt = m.op
	}
	parentAt := -1
	var wantVal any
	if t.ctx >= 0 {
		parentAt = m.canceledAt[t.ctx]
		wantVal = t.ctx
	} else if t.grp > 0 && m.groups[t.grp-1].parent >= 0 {
		wantVal = m.groups[t.grp-1].parent
	}
	if r.val != wantVal {
		return fmt.Errorf("task %d: ctx.Value = %v, want %v", t.id, r.val, wantVal)
	}
	// The scope's context: the pool's, which Stop cancels, or the group's.
	stopAt, scopeCauses := m.stopAt, []fzWant{{wStopped, 0}}
	if t.grp > 0 {
		g := m.groups[t.grp-1]
		stopAt, scopeCauses = g.canceledAt, g.causes
	}
	if t.rtAt >= 0 && (stopAt < 0 || stopAt >= t.rtAt) {
		// The run deadline passed first (or in the same op as the scope's
		// cancellation, which may then come first).
		got, err := fzWantOf(r.cause)
		switch {
		case !r.done:
			return fmt.Errorf("task %d: context live after its RunTimeout (op %d)", t.id, t.rtAt)
		case err == nil && got == fzWant{wRunTimeout, 0} && errors.Is(r.err, context.DeadlineExceeded):
			return nil
		case stopAt != t.rtAt:
			return fmt.Errorf("task %d: Err %v, Cause %v; want DeadlineExceeded, ErrRunTimeout (RunTimeout passed at op %d)",
				t.id, r.err, r.cause, t.rtAt)
		}
	}
	done := parentAt >= 0 || stopAt >= 0
	if r.done != done || (r.err != nil) != done {
		return fmt.Errorf("task %d: context done %v, Err %v; want done %v (parent canceled at op %d, scope at op %d)",
			t.id, r.done, r.err, done, parentAt, stopAt)
	}
	if !done {
		if r.cause != nil {
			return fmt.Errorf("task %d: Cause %v of a live context", t.id, r.cause)
		}
		return nil
	}
	if !errors.Is(r.err, context.Canceled) {
		return fmt.Errorf("task %d: Err %v, want context.Canceled", t.id, r.err)
	}
	got, err := fzWantOf(r.cause)
	if err != nil {
		return fmt.Errorf("task %d: Cause: %w", t.id, err)
	}
	var ok bool
	switch {
	case parentAt < 0:
		ok = slices.Contains(scopeCauses, got)
	case stopAt < 0 || parentAt <= stopAt || parentAt < t.joinAt:
		// The parent came first, or both before the task first looked
		// (Submit's doc: the cause is then ctx's). Both in one op: a
		// group made from the same context, which has the same cause.
		ok = got == fzWant{wCause, t.ctx}
	default:
		// The scope's came first, and the task looked at its context
		// before the parent was canceled.
		ok = slices.Contains(scopeCauses, got)
	}
	if !ok {
		return fmt.Errorf("task %d: Cause %v (parent canceled at op %d, scope at op %d with %v, first probe at op %d)",
			t.id, r.cause, parentAt, stopAt, scopeCauses, t.joinAt)
	}
	return nil
}

func (m *fzModel) checkStats(got pool.Stats) error {
	want := m.st
	want.Limit = m.limit
	want.Workers = m.workers()
	want.Running = len(m.running) + len(m.inline)
	want.Queued = m.qlen() + m.nParked
	if got != want {
		return fmt.Errorf("Stats\n   got %+v\n  want %+v", got, want)
	}
	return nil
}

// FuzzPool drives a Pool with operations decoded from data and checks it
// against a sequential model after each (see the top of this file).
//
// data[0] chooses the limit (1 to 4), the queue (unbounded, hand-off or
// bounded to 1 or 2) and the idle timeout (see newFzHarness). Then every
// two bytes are an operation and its argument (see stepPool).
func FuzzPool(f *testing.F) {
	// Op codes (see decodePool and decodeCommon); a release's argument
	// chooses the task (low 4 bits) and how it ends (bits 4 and 5: ok,
	// error, panic, Goexit); a submit's top 3 bits choose its priority.
	const (
		cGo, cSubmit, cSubmitCtx, cTry, cRelease, cProbe, cSetLimit = 0, 1, 2, 3, 4, 5, 6
		cClose, cStop, cShutdown, cWait, cCancel, cSleep            = 7, 8, 9, 10, 11, 12
	)
	for _, seed := range [][]byte{
		// Queue timeouts (bits 3-4 of a submit's argument: 300 ms, 1 s)
		// and idle timeouts (1 s here) as the fake clock runs.
		{0x10, cSubmit, 0, cSubmit, 0x10, cGo, 0x18, cSubmit, 0x08, cTry, 0x58, cSleep, 1, cRelease, 0,
			cSleep, 3, cRelease, 0, cSleep, 4, cSubmit, 0x10, cSleep, 0, cWait, 0, cRelease, 0, cSleep, 6},
		// Idle workers retiring one by one, each its timeout (500 ms)
		// after it went idle, the most recently idle woken first.
		{0x23, cSubmit, 0, cSubmit, 0, cSubmit, 0, cRelease, 0, cSleep, 0, cRelease, 0, cSleep, 1,
			cSleep, 1, cSubmit, 0, cSleep, 3, cRelease, 0, cSleep, 4, cSubmit, 0, cRelease, 0},
		// Queue timeouts on a bounded queue with submitters blocked.
		{0x08, cSubmit, 0, cSubmit, 0x10, cSubmit, 0x18, cGo, 0x10, cSubmitCtx, 0, cSleep, 1,
			cSleep, 3, cRelease, 0, cSleep, 3, cRelease, 0, cRelease, 0},
		// One of each op on an unbounded pool of 2.
		{0x01, cGo, 0, cSubmit, 0, cSubmitCtx, 0, cTry, 0, cProbe, 1, cRelease, 0, cRelease, 0x10,
			cRelease, 0x20, cRelease, 0x30, cWait, 0, cCancel, 0, cSetLimit, 3, cGo, 0, cGo, 0,
			cClose, 0, cStop, 0, cShutdown, 0, cWait, 0},
		// A bounded queue of 1 at limit 1: blocking submits, TrySubmit
		// full, a cancel while blocked, SetLimit growing with submitters
		// blocked.
		{0x08, cGo, 0, cSubmit, 0, cSubmitCtx, 1, cTry, 0, cGo, 0, cSubmitCtx, 0, cCancel, 1,
			cSubmit, 0, cSubmit, 0, cSetLimit, 3, cRelease, 0, cRelease, 0x11, cProbe, 0,
			cRelease, 0x22, cRelease, 0x33},
		// Priorities on a pool of 1.
		{0x00, cSubmit, 0, cSubmit, 0x20, cSubmit, 0x40, cSubmit, 0xa0, cSubmit, 0xc0, cSubmit, 0xe0,
			cTry, 0x60, cGo, 0x80, cRelease, 0, cRelease, 0, cRelease, 0, cRelease, 0,
			cRelease, 0, cWait, 0},
		// Hand-off at limit 2, Stop with tasks running, and probes.
		{0x05, cSubmitCtx, 0, cSubmitCtx, 1, cGo, 0, cTry, 0, cProbe, 0, cProbe, 1, cStop, 0,
			cProbe, 0, cCancel, 0, cProbe, 1, cRelease, 0, cRelease, 0, cRelease, 0},
		// Shutdown with a context canceled while it waits, then Wait.
		{0x0c, cSubmit, 0, cSubmit, 0, cSubmit, 0, cSubmit, 0, cShutdown, 2, cCancel, 1,
			cRelease, 0x10, cWait, 0, cRelease, 0x20, cRelease, 0x30, cRelease, 0},
		// Aging: B, of priority 1, queued 63 tasks after A, of priority 0,
		// starts before A; 64 tasks after, it would not.
		slices.Concat([]byte{0x00, cSubmit, 0, cSubmit, 0}, bytes.Repeat([]byte{cGo, 0}, 62),
			[]byte{cSubmit, 0x40, cRelease, 0, cRelease, 0}),
		// SetLimit shrinking with busy workers, then growing.
		{0x03, cSubmit, 0, cSubmit, 0, cSubmit, 0, cSubmit, 0, cSubmit, 0, cSubmit, 0,
			cSetLimit, 0, cRelease, 0, cRelease, 0, cRelease, 0, cSetLimit, 3, cRelease, 0, cRelease, 0},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || len(data) > 601 {
			return
		}
		synctest.Test(t, func(t *testing.T) {
			h := newFzHarness(t, data[0], false)
			for i := 1; i+1 < len(data); i += 2 {
				h.stepPool(data[i], data[i+1])
			}
			h.finish()
		})
	})
}

// stepPool performs the operation code with argument arg. A submit's
// argument chooses its priority (top 3 bits), its QueueTimeout (bits 3
// and 4) and for SubmitCtx its parent context (low 3 bits).
func (h *fzHarness) stepPool(code, arg byte) {
	prio, qt := fzPrios[arg>>5], fzQueueTimeouts[arg>>3&3]
	var op fzOp
	var ok bool
	switch code % 13 {
	case 0:
		op, ok = h.submitOp(opGo, prio, -1, -1, qt)
	case 1:
		op, ok = h.submitOp(opSubmit, prio, -1, -1, qt)
	case 2:
		op, ok = h.submitOp(opSubmitCtx, prio, int(arg&7)%fzCtxs, -1, qt)
	case 3:
		op, ok = h.submitOp(opTry, prio, -1, -1, qt)
	default:
		h.stepCommon(code%13, arg)
		return
	}
	if ok {
		h.do(op)
	}
}

// stepCommon performs the operations FuzzPool and FuzzSerial share,
// numbered 4 to 12.
func (h *fzHarness) stepCommon(code, arg byte) {
	if code == 12 {
		h.sleep(fzSleeps[arg&7])
		return
	}
	if op, ok := h.decodeCommon(code, arg); ok {
		h.do(op)
	}
}

func (h *fzHarness) decodeCommon(code, arg byte) (fzOp, bool) {
	switch code {
	case 4, 5: // release or probe a running task
		ids := h.m.runningIDs()
		mode := fzMode(arg >> 4 & 3)
		if code == 5 {
			mode = probeCtx
			ids = slices.DeleteFunc(ids, func(id int) bool { return !h.m.tasks[id].hasCtx || h.m.tasks[id].nested })
		}
		if len(ids) == 0 {
			return fzOp{}, false
		}
		id := ids[int(arg&15)%len(ids)]
		if mode == endErr && !h.m.tasks[id].hasCtx {
			mode = endOK // a func() cannot fail
		}
		return fzOp{kind: opRelease + fzOpKind(code-4), task: id, mode: mode}, true
	case 6:
		n := 1 + int(arg&3)
		if len(h.m.alts) > 8 && len(h.m.blocked) > 1 {
			n = min(n, h.m.limit) // no more room, no more alternatives
		}
		return fzOp{kind: opSetLimit, n: n}, true
	case 7:
		return fzOp{kind: opClose}, true
	case 8:
		return fzOp{kind: opStop, call: h.id()}, true
	case 9:
		ctx := int(arg&3) - 1 // -1: context.Background
		if ctx >= fzCtxs {
			ctx = -1
		}
		return fzOp{kind: opShutdown, call: h.id(), ctx: ctx}, true
	case 10:
		return fzOp{kind: opWait, call: h.id()}, true
	case 11:
		return fzOp{kind: opCancel, ctx: int(arg) % fzCtxs}, true
	}
	return fzOp{}, false
}

// fzSameWants reports whether got and want hold the same outcomes, in any
// order; it sorts both.
func fzSameWants(got, want []fzWant) bool {
	cmp := func(a, b fzWant) int {
		if a.mode != b.mode {
			return int(a.mode) - int(b.mode)
		}
		return a.id - b.id
	}
	slices.SortFunc(got, cmp)
	slices.SortFunc(want, cmp)
	return slices.Equal(got, want)
}
