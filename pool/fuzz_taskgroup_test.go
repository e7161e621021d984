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

// FuzzTaskGroup drives a Group made from a task's context — the "host", a
// task of the pool that ranges over commands from the fuzzer — with plain
// "blocker" tasks submitted from outside that keep the workers busy, and
// checks it after every operation (and synctest.Wait) against a sequential
// model of what the docs of Group, Group.Go, Group.Wait, Pool.Submit and
// "Tasks that wait on tasks" promise:
//
//   - the host's Group.Go and Group.Submit (with its context) start the
//     task on a worker if one can start it at once, and otherwise run it
//     in the host's slot, returning once it has ended, so that the pool's
//     limit holds and nothing deadlocks, in every queue mode; TrySubmit
//     never runs it there: it queues it, or fails with ErrQueueFull;
//   - the host's Group.Wait lends its slot while it blocks: a queued task,
//     the group's or a blocker, starts in it even when every worker is
//     busy; Wait returns once the group has no task left, with its errors
//     (fail-fast: the first, then later panics), and once it has returned
//     the borrower may run one over the limit, until it ends, but no other
//     task starts over the limit, and the host's next Go runs in its slot;
//   - with WithFailFast the first error cancels the group's context, with
//     that error as its cause, and the tasks that start later get the
//     canceled context; Wait's return cancels it with context.Canceled;
//   - once the pool is closed, Go and TrySubmit fail with ErrClosed and
//     record it for Wait, Submit only returns it; the accepted tasks run;
//   - Stop (from outside) drops the queued tasks (Wait then reports
//     ErrClosed for the group's), cancels the host's context and so the
//     group's, derived from it, with ErrStopped, and returns how many it
//     dropped once every task, the host too, has returned;
//   - once the host has returned, its context names no running task: the
//     group's Go (from outside) never runs a task in a slot, and Wait lends
//     none;
//   - Stats counts each task by its outcome, and the workers, running and
//     queued tasks are those the model expects.
//
// data[0]: limit 1+b&3, queue b>>2&3 (0 unbounded, else WithQueueSize
// mode-1), fail-fast b&0x10. Then pairs (op, arg): see step.
func FuzzTaskGroup(f *testing.F) {
	const (
		gGo, blk, rel, gWait, cls, stp, try, ret = 0, 1, 2, 4, 5, 6, 7, 8
		ok, fail, pnc, gxt                       = 0x00, 0x10, 0x20, 0x30 // release modes, in arg's bits 4 and 5
	)
	for _, seed := range [][]byte{
		// Limit 2: a task on the free worker, the next in the host's slot.
		{0x01, gGo, 0, gGo, 0, rel, 1, rel, 0, gWait, 0},
		// Limit 2: Wait lends the slot to a queued blocker; the blocker
		// runs over the limit after Wait; the next Go runs in the slot,
		// also when the host goes on at once from Wait to Go.
		{0x01, gGo, 0, blk, 0, gWait, 0, rel, 0 | fail, gGo, 0, rel, 1, rel, 0, gWait, 0},
		{0x01, gGo, 0, blk, 0, gWait, 1, rel, 0 | fail, rel, 1, rel, 0, gWait, 0},
		// TrySubmit queues a group task behind the full pool; Wait lends
		// the slot and it starts there. Fail-fast, a panic after the
		// first error.
		{0x10, try, 0, try, 0, gWait, 0, rel, 0 | fail, rel, 0 | pnc, gGo, 0, gWait, 0},
		// Hand-off at limit 3: TrySubmit fails when full, Go runs in the
		// slot; Close; Go and TrySubmit record ErrClosed.
		{0x06, gGo, 0, gGo, 0, try, 0, gGo, 0, blk, 0, rel, 2 | gxt, cls, 0, gGo, 0, try, 0, gGo, 1, gWait, 0},
		// A queue of 1 at limit 1, fail-fast: every Go in the slot.
		{0x18, blk, 0, gGo, 0, rel, 0 | fail, gGo, 0, rel, 0, gWait, 0, blk, 0},
		// A queue of 2 at limit 2: blockers and group tasks share it.
		{0x0d, blk, 0, try, 0, blk, 0, gWait, 0, rel, 0, rel, 0, rel, 0, rel, 0},
		// Stop with group tasks queued behind a full pool (limit 1), the
		// host waiting: the drops end its Wait, with ErrClosed.
		{0x00, try, 0, try, 0, blk, 0, stp, 0, gGo, 0, gWait, 0},
		{0x11, gGo, 0, try, 0, gWait, 0, blk, 0, stp, 0, rel, 0, gWait, 0},
		// The host returns with a group task running (limit 2) and a
		// blocker queued; Go from outside queues, Wait lends nothing.
		{0x01, gGo, 0, blk, 0, ret, 0, gGo, 0, gWait, 0, blk, 0, rel, 0, rel, 0, rel, 0},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || len(data) > 301 {
			return
		}
		synctest.Test(t, func(t *testing.T) {
			h := newTgHarness(t, data[0])
			for i := 1; i+1 < len(data); i += 2 {
				h.step(data[i], data[i+1])
			}
			h.finish()
		})
	})
}

// tgHost is the host task's id.
const tgHost = 0

type tgStart struct {
	id    int
	cause error // the task's context's cause as it started (nil: live)
}

// tgHarness is the real side; mu guards what the tasks and the host report.
type tgHarness struct {
	t        *testing.T
	p        *pool.Pool
	g        *pool.Group
	gctx     context.Context
	cmds     chan func(ctx context.Context) // the host's
	chans    map[int]chan fzMode
	hostDone chan error
	m        *tgModel
	hist     []string
	next     int

	mu      sync.Mutex
	started []tgStart
	rets    map[int]error // calls: by id
}

func newTgHarness(t *testing.T, cfg byte) *tgHarness {
	limit := 1 + int(cfg&3)
	qsize := int(cfg>>2&3) - 1
	failFast := cfg&0x10 != 0
	var opts []pool.Option
	if qsize >= 0 {
		opts = append(opts, pool.WithQueueSize(qsize))
	}
	h := &tgHarness{t: t, p: pool.New(limit, opts...), cmds: make(chan func(context.Context)),
		chans: map[int]chan fzMode{}, hostDone: make(chan error, 1), rets: map[int]error{}, next: 1}
	h.m = newTgModel(limit, qsize, failFast)
	h.hist = append(h.hist, fmt.Sprintf("limit %d, queue %d, failFast %v", limit, qsize, failFast))
	var gopts []pool.GroupOption
	if failFast {
		gopts = append(gopts, pool.WithFailFast())
	}
	made := make(chan struct{})
	err := h.p.Submit(context.Background(), func(ctx context.Context) error {
		h.g, h.gctx = h.p.Group(ctx, gopts...)
		close(made)
		for f := range h.cmds {
			f(ctx)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Submit of the host: %v", err)
	}
	<-made
	h.check("start")
	return h
}

// body returns the task with id id: it reports its start, then waits for
// its end.
func (h *tgHarness) body(id int) func(context.Context) error {
	ch := make(chan fzMode, 1)
	h.chans[id] = ch
	return func(ctx context.Context) error {
		var cause error
		if ctx != nil {
			cause = context.Cause(ctx)
		}
		h.mu.Lock()
		h.started = append(h.started, tgStart{id, cause})
		h.mu.Unlock()
		switch <-ch {
		case endErr:
			return fzErr{id}
		case endPanic:
			panic(fzPanic{id})
		case endGoexit:
			runtime.Goexit()
		}
		return nil
	}
}

// outside submits a task to the group from outside, once the host (the
// group's creator) has returned: with Go (on an unbounded queue only, where
// it never blocks) or TrySubmit.
func (h *tgHarness) outside(try bool) {
	m := h.m
	if !try && m.qsize >= 0 {
		return
	}
	id, call := h.next, h.next+1
	h.next += 2
	fn, g := h.body(id), h.g
	var err error
	kind := tgGo
	if try {
		kind = tgTry
		err = g.TrySubmit(fn)
	} else {
		err = g.Go(fn)
	}
	h.mu.Lock()
	h.rets[call] = err
	h.mu.Unlock()
	m.submit(id, call, kind)
	h.check(fmt.Sprintf("outside: %s task %d call %d", tgKindNames[kind], id, call))
}

// host has the host run f, recording what it returns as call id.
func (h *tgHarness) host(id int, f func(ctx context.Context) error) {
	h.cmds <- func(ctx context.Context) {
		err := f(ctx)
		h.mu.Lock()
		h.rets[id] = err
		h.mu.Unlock()
	}
}

func (h *tgHarness) step(code, arg byte) {
	m := h.m
	var what string
	switch code % 9 {
	case 0, 7: // the host's Go or Submit (with its context), or TrySubmit
		if m.host == hsDone {
			h.outside(code%8 == 7)
			return
		}
		if m.host != hsReady {
			return
		}
		id, call := h.next, h.next+1
		h.next += 2
		fn, g := h.body(id), h.g
		kind := tgGo
		switch {
		case code%9 == 7:
			kind = tgTry
			h.host(call, func(context.Context) error { return g.TrySubmit(fn) })
		case arg&1 != 0:
			kind = tgSubmit
			h.host(call, func(ctx context.Context) error { return g.Submit(ctx, fn) })
		default:
			h.host(call, func(context.Context) error { return g.Go(fn) })
		}
		what = fmt.Sprintf("host: %s task %d call %d", tgKindNames[kind], id, call)
		m.submit(id, call, kind)
	case 1: // a blocker from outside
		if m.closed || m.blockers >= 8 {
			return
		}
		id := h.next
		h.next++
		fn := h.body(id)
		var err error
		if m.qsize < 0 {
			err = h.p.Go(func() { _ = fn(nil) })
		} else {
			err = h.p.TrySubmit(fn)
		}
		want := m.blocker(id)
		what = fmt.Sprintf("blocker %d: %v", id, err)
		if !errors.Is(err, want) || (err == nil) != (want == nil) {
			h.fail("blocker %d: submit returned %v, want %v", id, err, want)
		}
	case 6: // Stop from outside
		if m.stopCall >= 0 {
			return
		}
		call := h.next
		h.next++
		what = fmt.Sprintf("Stop call %d", call)
		go func() {
			n := h.p.Stop()
			h.mu.Lock()
			h.rets[call] = tgDropped(n)
			h.mu.Unlock()
		}()
		m.stop(call)
	case 2, 3: // a task ends
		ids := m.releasable()
		if len(ids) == 0 {
			return
		}
		id := ids[int(arg&15)%len(ids)]
		mode := fzMode(arg >> 4 & 3)
		if m.blockerIDs[id] {
			mode = endOK // the blockers' ends are not what is checked here
		}
		what = fmt.Sprintf("release %d: %s", id, fzModeNames[mode])
		h.chans[id] <- mode
		m.release(id, mode)
	case 4: // the host's Wait
		if m.host == hsDone && m.outWait < 0 {
			call := h.next
			h.next++
			g := h.g
			what = fmt.Sprintf("outside: Wait call %d", call)
			go func() {
				err := g.Wait()
				h.mu.Lock()
				h.rets[call] = err
				h.mu.Unlock()
			}()
			m.outsideWait(call)
			break
		}
		if m.host != hsReady {
			return
		}
		call := h.next
		h.next++
		g := h.g
		if arg&1 == 0 {
			what = fmt.Sprintf("host: Wait call %d", call)
			h.host(call, func(context.Context) error { return g.Wait() })
			m.wait(call, -1, -1)
			break
		}
		// Wait, then Go at once: while a worker that went idle during
		// the Wait may still be on its way out, over the limit.
		id, gcall := h.next, h.next+1
		h.next += 2
		fn := h.body(id)
		what = fmt.Sprintf("host: Wait call %d, then Go task %d call %d", call, id, gcall)
		h.cmds <- func(context.Context) {
			err := g.Wait()
			h.mu.Lock()
			h.rets[call] = err
			h.mu.Unlock()
			err = g.Go(fn)
			h.mu.Lock()
			h.rets[gcall] = err
			h.mu.Unlock()
		}
		m.wait(call, id, gcall)
	case 5:
		if m.closed {
			return
		}
		what = "Close"
		h.p.Close()
		m.close()
	case 8: // the host returns, its group living on
		if m.host != hsReady {
			return
		}
		what = "the host returns"
		close(h.cmds)
		m.hostReturns()
	}
	h.check(what)
}

func (h *tgHarness) fail(format string, args ...any) {
	h.t.Helper()
	for _, ch := range h.chans {
		close(ch)
	}
	if h.m.host != hsDone {
		close(h.cmds)
	}
	go h.p.Stop()
	synctest.Wait()
	h.t.Fatalf("%s\nafter:\n  %s\nmodel: %v", fmt.Sprintf(format, args...), strings.Join(h.hist, "\n  "), h.m)
}

// check lets the bubble settle and compares it with the model.
func (h *tgHarness) check(what string) {
	h.t.Helper()
	h.hist = append(h.hist, what)
	synctest.Wait()
	m := h.m
	h.mu.Lock()
	started, rets := h.started, h.rets
	h.started, h.rets = nil, map[int]error{}
	h.mu.Unlock()
	slices.SortFunc(started, func(a, b tgStart) int { return a.id - b.id })
	want := m.started
	m.started = nil
	slices.SortFunc(want, func(a, b tgStart) int { return a.id - b.id })
	if len(started) != len(want) {
		h.fail("started %v, want %v", started, want)
	}
	for i, s := range started {
		w := want[i]
		if s.id != w.id || !tgSameCause(s.cause, w.cause) {
			h.fail("started %v, want %v (with their contexts' causes)", started, want)
		}
	}
	wantRets := m.rets
	m.rets = map[int]tgRet{}
	if len(rets) != len(wantRets) {
		h.fail("calls returned %v, want %v", rets, wantRets)
	}
	for id, err := range rets {
		w, ok := wantRets[id]
		if !ok {
			h.fail("call %d returned %v unexpectedly (want %v)", id, err, wantRets)
		}
		if e := w.check(err); e != nil {
			h.fail("call %d: %v", id, e)
		}
	}
	if alts := m.gCauses; len(alts) > 0 {
		// Stop ended the host's Wait: Stop's cancellation and Wait's race.
		got := context.Cause(h.gctx)
		if !slices.ContainsFunc(alts, func(e error) bool { return tgSameCause(got, e) }) {
			h.fail("group context: Cause %v, want one of %v", got, alts)
		}
		m.gCause, m.gCauses = got, nil
	}
	if g := m.gCause; g == nil {
		if h.gctx.Err() != nil {
			h.fail("group context canceled (%v), want it live", context.Cause(h.gctx))
		}
	} else if !errors.Is(h.gctx.Err(), context.Canceled) || !tgSameCause(context.Cause(h.gctx), g) {
		h.fail("group context: Err %v, Cause %v; want Canceled, %v", h.gctx.Err(), context.Cause(h.gctx), g)
	}
	st := h.p.Stats()
	ws := m.st
	ws.Limit = m.limit
	ws.Workers = m.workers
	ws.Running = len(m.running)
	if m.inline >= 0 {
		ws.Running++
	}
	ws.Queued = len(m.queue)
	if st != ws {
		h.fail("Stats\n   got %+v\n  want %+v", st, ws)
	}
}

// finish ends every task, has the host Wait (once more) and return, and
// shuts the pool down.
func (h *tgHarness) finish() {
	m := h.m
	waited := false
	for {
		switch {
		case len(m.releasable()) > 0:
			h.step(2, 0)
			continue
		case m.host == hsReady && !waited:
			waited = true
			h.step(4, 0)
			continue
		case m.host == hsReady:
			h.step(8, 0)
			continue
		}
		break
	}
	if m.host != hsDone || len(m.queue) > 0 || len(m.running) > 0 || m.outWait >= 0 {
		h.fail("the host has not returned, or tasks are queued or running, with nothing to release")
	}
	if err := h.p.Shutdown(context.Background()); err != nil {
		h.fail("Shutdown: %v", err)
	}
	st := h.p.Stats()
	if st.Submitted != st.Completed+st.Failed+st.Panicked+st.Dropped || st.Running+st.Queued+st.Workers != 0 {
		h.fail("Stats %+v after Shutdown", st)
	}
	if os.Getenv("FZLOG") != "" {
		h.t.Log(strings.Join(h.hist, "\n"))
	}
}

// tgDropped is what a Stop call returned, as an error for the rets map.
type tgDropped int

func (n tgDropped) Error() string { return fmt.Sprintf("Stop dropped %d", int(n)) }

func tgSameCause(got error, want error) bool {
	if want == nil || got == nil {
		return got == want
	}
	if wp, ok := want.(*pool.PanicError); ok {
		var gp *pool.PanicError
		return errors.As(got, &gp) && gp.Value == wp.Value
	}
	return got == want
}

// The model.

type tgKind uint8

const (
	tgGo tgKind = iota
	tgSubmit
	tgTry
)

var tgKindNames = [...]string{"Go", "Submit", "TrySubmit"}

type tgHostState uint8

const (
	hsReady     tgHostState = iota // waiting for a command
	hsSuspended                    // in a submit whose task runs in its slot
	hsWaiting                      // in Wait
	hsDone                         // returned
)

// tgRet is what a call must return: nil, one error, or Wait's errors.
type tgRet struct {
	err   error
	wait  bool
	first *fzWant
	errs  []fzWant
}

func (r tgRet) check(got error) error {
	if !r.wait {
		if !tgSameCause(got, r.err) {
			return fmt.Errorf("returned %v, want %v", got, r.err)
		}
		return nil
	}
	ws := fzFlatten(got)
	if r.first != nil {
		if len(ws) == 0 {
			return fmt.Errorf("Wait returned nil, want the first error %v first", *r.first)
		}
		if w, err := fzWantOf(ws[0]); err != nil || w != *r.first {
			return fmt.Errorf("Wait returned %v, want the first error %v first", got, *r.first)
		}
		ws = ws[1:]
	}
	var gw []fzWant
	for _, e := range ws {
		w, err := fzWantOf(e)
		if err != nil {
			return fmt.Errorf("Wait: %w", err)
		}
		gw = append(gw, w)
	}
	if !fzSameWants(gw, slices.Clone(r.errs)) {
		return fmt.Errorf("Wait returned %v, want %v then %v", got, r.first, r.errs)
	}
	return nil
}

type tgModel struct {
	limit, qsize int
	failFast     bool
	workers      int
	idle         int
	lent         int          // 1 while the host's Wait lends its slot
	running      map[int]bool // tasks on workers, the host among them
	inline       int          // the task running in the host's slot; -1: none
	queue        []int
	closed       bool
	host         tgHostState
	hostCall     int // the host's pending call
	outWait      int // a Wait call from outside, pending; -1: none
	then         int // the task the host submits with Go once its Wait returns; -1: none
	thenCall     int
	blockers     int
	blockerIDs   map[int]bool
	groupIDs     map[int]bool

	outstanding int
	dropped     int     // the group's tasks dropped by Stop, for the next Wait
	stopCall    int     // the Stop call, -1 before
	stopN       int     // what it returns; -1 once it has
	gCauses     []error // the group context's possible causes, when they race
	first       *fzWant
	errs        []fzWant
	gCause      error

	st      pool.Stats
	started []tgStart
	rets    map[int]tgRet
}

func newTgModel(limit, qsize int, failFast bool) *tgModel {
	m := &tgModel{limit: limit, qsize: qsize, failFast: failFast, running: map[int]bool{tgHost: true}, inline: -1, then: -1,
		stopCall: -1, outWait: -1,
		blockerIDs: map[int]bool{}, groupIDs: map[int]bool{}, rets: map[int]tgRet{}, workers: 1}
	m.st.Submitted = 1
	m.started = []tgStart{} // the host's start is not reported
	return m
}

func (m *tgModel) String() string {
	return fmt.Sprintf("workers %d idle %d lent %d running %v inline %d queue %v closed %v host %d outstanding %d first %v errs %v cause %v",
		m.workers, m.idle, m.lent, slices.Sorted(func(yield func(int) bool) {
			for id := range m.running {
				if !yield(id) {
					return
				}
			}
		}), m.inline, m.queue, m.closed, m.host, m.outstanding, m.first, m.errs, m.gCause)
}

// free counts the workers that can start a task at once.
func (m *tgModel) free() int { return max(0, m.idle+m.limit+m.lent-m.workers) }

// room says whether a task submitted without a caller is accepted now.
func (m *tgModel) room() bool { return m.qsize < 0 || len(m.queue) < m.qsize+m.free() }

// dispatch starts queued tasks on idle or new workers, as far as the
// limit (and a lent slot) allows.
func (m *tgModel) dispatch() {
	for len(m.queue) > 0 {
		switch {
		case m.idle > 0:
			m.idle--
		case m.workers-m.lent < m.limit:
			m.workers++
		default:
			return
		}
		m.start(m.queue[0])
		m.queue = m.queue[1:]
	}
}

func (m *tgModel) start(id int) {
	m.running[id] = true
	var cause error
	if m.groupIDs[id] {
		cause = m.gCause
	}
	m.started = append(m.started, tgStart{id, cause})
}

func (m *tgModel) blocker(id int) error {
	if m.closed {
		m.st.Rejected++
		return pool.ErrClosed
	}
	if !m.room() {
		m.st.Rejected++
		return pool.ErrQueueFull
	}
	m.blockers++
	m.blockerIDs[id] = true
	m.st.Submitted++
	m.queue = append(m.queue, id)
	m.dispatch()
	return nil
}

// submit is the host's Go, Submit or TrySubmit of group task id.
func (m *tgModel) submit(id, call int, kind tgKind) {
	if m.closed {
		m.st.Rejected++
		m.rets[call] = tgRet{err: pool.ErrClosed}
		if kind != tgSubmit {
			m.addErr(fzWant{wClosed, 0}) // recorded for Wait
		}
		return
	}
	switch {
	case kind == tgTry && !m.room():
		m.st.Rejected++
		m.rets[call] = tgRet{err: pool.ErrQueueFull}
		return
	case kind == tgTry || len(m.queue) < m.free() || m.host == hsDone:
		// A worker starts it at once, or it waits in the queue: the
		// group's creator has returned, or TrySubmit never runs a task
		// in a slot (on an unbounded queue; see outside).
		m.accept(id)
		m.queue = append(m.queue, id)
		m.dispatch()
		m.rets[call] = tgRet{}
	default:
		// No worker can start it at once: it runs in the host's slot,
		// the host suspended until it ends.
		m.accept(id)
		m.inline = id
		m.started = append(m.started, tgStart{id, m.gCause})
		m.host, m.hostCall = hsSuspended, call
	}
}

func (m *tgModel) accept(id int) {
	m.groupIDs[id] = true
	m.st.Submitted++
	m.outstanding++
}

// releasable are the tasks the fuzzer may end: those running, but not the
// host.
func (m *tgModel) releasable() []int {
	var ids []int
	for id := range m.running {
		if id != tgHost {
			ids = append(ids, id)
		}
	}
	if m.inline >= 0 {
		ids = append(ids, m.inline)
	}
	slices.Sort(ids)
	return ids
}

func (m *tgModel) addErr(w fzWant) {
	if !m.failFast {
		m.errs = append(m.errs, w)
		return
	}
	if m.first == nil {
		m.first = &w
		if m.gCause == nil {
			m.gCause = tgErrOf(w)
		}
		return
	}
	if w.mode == endPanic {
		m.errs = append(m.errs, w)
	}
}

// tgErrOf is the error w stands for, as a context's cause.
func tgErrOf(w fzWant) error {
	switch w.mode {
	case endErr:
		return fzErr{w.id}
	case endPanic:
		return &pool.PanicError{Value: fzPanic{w.id}}
	case endGoexit:
		return pool.ErrGoexit
	case wClosed:
		return pool.ErrClosed
	}
	panic(fmt.Sprintf("tgErrOf(%v)", w))
}

// freed has the worker of task id, which ended, go on: above the limit it
// exits, else it takes the next queued task, else (closed) it exits, else
// it idles.
func (m *tgModel) freed(id int) {
	delete(m.running, id)
	switch {
	case m.workers-m.lent > m.limit:
		m.workers--
	case len(m.queue) > 0:
		m.start(m.queue[0])
		m.queue = m.queue[1:]
	case m.closed:
		m.workers--
	default:
		m.idle++
	}
}

// end counts task id's end.
func (m *tgModel) end(id int, mode fzMode) {
	switch mode {
	case endOK:
		m.st.Completed++
	case endErr, endGoexit:
		m.st.Failed++
	case endPanic:
		m.st.Panicked++
	}
}

func (m *tgModel) release(id int, mode fzMode) {
	m.end(id, mode)
	if m.groupIDs[id] {
		switch mode {
		case endErr:
			m.addErr(fzWant{endErr, id})
		case endPanic:
			m.addErr(fzWant{endPanic, id})
		case endGoexit:
			m.addErr(fzWant{endGoexit, 0})
		}
		m.outstanding--
	}
	if id == m.inline {
		// The host goes on: its submit returns.
		m.inline = -1
		m.host = hsReady
		m.rets[m.hostCall] = tgRet{}
	} else {
		m.freed(id)
	}
	if m.host == hsWaiting && m.outstanding == 0 {
		m.waitReturns()
	}
	m.outWaitReturns()
	m.stopReturns()
}

// wait is the host's Wait; if then >= 0, the host submits task then with
// Go, as call thenCall, as soon as Wait returns.
func (m *tgModel) wait(call, then, thenCall int) {
	m.hostCall = call
	m.then, m.thenCall = then, thenCall
	if m.outstanding == 0 {
		m.waitReturns()
		return
	}
	m.host = hsWaiting
	m.lent = 1
	m.dispatch()
}

// collect is a Wait call returning: the group's errors, its context
// canceled.
func (m *tgModel) collect(call int) {
	if m.dropped > 0 {
		m.errs = append(m.errs, fzWant{wDropped, m.dropped})
		m.dropped = 0
	}
	m.rets[call] = tgRet{wait: true, first: m.first, errs: m.errs}
	m.errs = nil
	if m.gCause == nil {
		m.gCause = context.Canceled
	}
}

// waitReturns is the host's Wait returning: its slot is back (idle workers
// above the limit go), its errors are returned, the group's context is
// canceled.
func (m *tgModel) waitReturns() {
	if m.lent > 0 {
		m.lent = 0
		for m.idle > 0 && m.workers > m.limit {
			m.idle--
			m.workers--
		}
	}
	m.collect(m.hostCall)
	m.host = hsReady
	if m.then >= 0 {
		id := m.then
		m.then = -1
		m.submit(id, m.thenCall, tgGo)
	}
}

// stop is Stop: Close, the queued tasks dropped, the group canceled if it
// had tasks queued or running; the call returns once every task has.
func (m *tgModel) stop(call int) {
	had := m.outstanding > 0
	m.close()
	m.stopCall, m.stopN = call, len(m.queue)
	m.st.Dropped += uint64(len(m.queue))
	for _, id := range m.queue {
		if m.groupIDs[id] {
			m.outstanding--
			m.dropped++
		}
	}
	m.queue = nil
	if m.gCause == nil {
		// Stop cancels the host's context, which the group's derives
		// from, whether or not the group has tasks (and the group's own,
		// if it has).
		m.gCause = pool.ErrStopped
		if had && m.host == hsWaiting && m.outstanding == 0 {
			// The drops end the host's Wait, which cancels the group
			// too, before or after Stop does.
			m.gCauses = []error{pool.ErrStopped, context.Canceled}
		}
	}
	if m.host == hsWaiting && m.outstanding == 0 {
		m.waitReturns()
	}
	m.outWaitReturns()
	m.stopReturns()
}

// stopReturns returns the Stop call once nothing runs.
func (m *tgModel) stopReturns() {
	if m.stopCall >= 0 && m.stopN >= 0 && len(m.running) == 0 && m.inline < 0 {
		m.rets[m.stopCall] = tgRet{err: tgDropped(m.stopN)}
		m.stopN = -1
	}
}

// hostReturns is the host's return: its worker goes on, and its context
// no longer names a running task, so the group's Go never runs a task in
// its slot, and Wait lends none.
func (m *tgModel) hostReturns() {
	m.host = hsDone
	m.st.Completed++
	m.freed(tgHost)
	m.stopReturns()
}

// outsideWait is a Wait from outside: it lends nothing, and returns once
// the group has no task left.
func (m *tgModel) outsideWait(call int) {
	m.outWait = call
	m.outWaitReturns()
}

func (m *tgModel) outWaitReturns() {
	if m.outWait < 0 || m.outstanding > 0 {
		return
	}
	m.collect(m.outWait)
	m.outWait = -1
}

func (m *tgModel) close() {
	m.closed = true
	m.workers -= m.idle
	m.idle = 0
}
