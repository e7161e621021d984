package pool_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/weftgo/weft/observe"
	"github.com/weftgo/weft/pool"
)

// FuzzGroup drives Groups on a Pool, with plain pool tasks beside them and
// tasks that submit to their own pool with the context they received, and
// checks them against the sequential model of fuzz_pool_test.go, extended
// here with what the docs promise for groups:
//
//   - Group.Go and TrySubmit record their refusals (ErrClosed, the cause of
//     the context the group was made from) for Wait, Submit only returns
//     them; a failed fail-fast group refuses a blocked submit with its
//     first error, recorded by Go only once.
//   - Wait returns once the group has no task left, with every error since
//     the last Wait exactly once (fail-fast: the first error every time,
//     later panics once, later errors never), and ErrClosed if Stop dropped
//     some of its tasks.
//   - The group's context is live until its first error (fail-fast), the
//     cancellation of the context it was made from, Wait's return
//     (context.Canceled) or Stop while it has tasks queued or running
//     (ErrStopped).
//   - A task's submit with its own context runs the new task on a free
//     worker if there is one, and otherwise in its slot, returning once
//     the new task has ended: the workers stay within the limit (Stats),
//     and nothing deadlocks;
//   - a group's task options: Priority orders the group's queued tasks
//     among the pool's as any others (highest first, FIFO within one,
//     with aging); a group task whose QueueTimeout passes while it is
//     queued never runs, and Wait reports ErrQueueTimeout for it, once
//     (with WithFailFast, as the first error if no other came before,
//     which cancels the group's context and refuses the group's blocked
//     submitters before the room the task leaves goes to anyone else's);
//     a RunTimeout puts a deadline on
//     the task's context, d after it started: if nothing canceled it
//     before, its Err is then context.DeadlineExceeded and its Cause
//     ErrRunTimeout.
//
// What the scheduler decides, the model learns (see fuzz_pool_test.go):
// and a Wait whose group runs out of tasks while a blocked submitter of the
// group gets room may return or go on waiting.
//
// data[0] chooses the pool as for FuzzPool (its idle timeout passes only in
// Sleep ops), and its bit 6 gives the pool a WithErrorHandler,
// which must get each failed pool task's error once, during the op that
// ended the task, instead of Wait; its bit 7 gives it an observer that
// yields in each Dropped event (fzYielder). Two groups exist from the start: group 0 on
// context.Background, group 1 fail-fast on context 0. Then every two bytes
// are an operation and its argument (see stepGroup); a group submit's
// argument gives its priority (top 3 bits), with bit 4 a QueueTimeout of
// 300 ms and, for Go and TrySubmit, with bit 2 a RunTimeout of 500 ms.
func FuzzGroup(f *testing.F) {
	const (
		cSubmit, cNew, cGo, cTry, cGSubmit, cRelease, cProbe, cSetLimit   = 0, 1, 2, 3, 4, 5, 6, 7
		cClose, cStop, cShutdown, cWait, cCancel, cGWait, cNested, cSleep = 8, 9, 10, 11, 12, 13, 14, 15
	)
	for _, seed := range [][]byte{
		// One of each op on an unbounded pool of 2.
		{0x01, cGo, 0, cGo, 1, cSubmit, 0, cTry, 0, cGSubmit, 0x04, cProbe, 0, cProbe, 1, cNested, 0x10,
			cRelease, 0x10, cRelease, 0x20, cGWait, 0, cGWait, 1, cNew, 0x03, cGo, 2, cRelease, 0x30,
			cRelease, 0, cRelease, 0, cCancel, 0, cSetLimit, 2, cClose, 0, cStop, 0, cShutdown, 0, cWait, 0},
		// Fail-fast on a pool of 1 with a queue of 1: blocked submitters
		// of the failing group give up with its first error.
		{0x08, cGo, 1, cGo, 1, cGo, 1, cGSubmit, 1, cGo, 0, cGWait, 1, cRelease, 0x20, cRelease, 0,
			cGWait, 1, cRelease, 0, cRelease, 0},
		// Hand-off at limit 1: nested submits run in the caller's slot,
		// into the pool and into groups, two deep.
		{0x04, cGSubmit, 0, cNested, 0x00, cNested, 0x10, cProbe, 0, cRelease, 0x10, cRelease, 0x00,
			cGWait, 0, cNested, 0x20, cRelease, 0x20, cRelease, 0, cGWait, 1},
		// Nested submits at limit 2 with a free worker, then saturated.
		{0x01, cGo, 0, cNested, 0x00, cNested, 0x01, cNested, 0x12, cRelease, 0, cRelease, 0x10,
			cRelease, 0x20, cRelease, 0x30, cRelease, 0, cRelease, 0},
		// Stop with group tasks running and queued, Wait reporting the
		// dropped ones.
		{0x00, cGo, 0, cGo, 0, cGo, 1, cSubmit, 0, cGWait, 0, cStop, 0, cProbe, 0, cRelease, 0,
			cGWait, 0, cGWait, 1, cGo, 0},
		// An error handler for the pool's tasks, not the groups'.
		{0x41, cSubmit, 0, cGo, 0, cNested, 0x00, cRelease, 0x10, cRelease, 0x20, cRelease, 0x30,
			cWait, 0, cGWait, 0},
		// Canceling the context of group 1, with Go blocked on room.
		{0x04, cGo, 1, cGo, 1, cGSubmit, 0x05, cProbe, 0, cCancel, 0, cProbe, 0, cGWait, 1,
			cRelease, 0x30, cGo, 1},
		// A Wait whose group runs out of tasks while a submitter of it
		// gets room; SetLimit growing with several blocked.
		{0x08, cGo, 0, cGo, 0, cGo, 0, cGo, 0, cGWait, 0, cRelease, 0, cSetLimit, 3, cRelease, 0,
			cRelease, 0, cRelease, 0, cGWait, 0},
		// Priorities of group tasks on a pool of 1, among plain ones.
		{0x00, cGo, 0, cGo, 0x20, cSubmit, 0, cGo, 0xa0, cGSubmit, 0xc1, cTry, 0x61, cRelease, 0,
			cRelease, 0, cRelease, 0, cRelease, 0, cRelease, 0, cGWait, 0, cGWait, 1},
		// Queue timeouts of group tasks expiring: Wait reports them; in
		// the fail-fast group, as its first error.
		{0x00, cGo, 0, cGo, 0x10, cGo, 0x11, cGo, 0x01, cGWait, 0, cGWait, 1, cSleep, 1, cProbe, 0,
			cRelease, 0, cRelease, 0, cGWait, 1},
		// Run timeouts on group tasks, one probed before and after.
		{0x01, cGo, 0x04, cGo, 0x05, cProbe, 0, cSleep, 1, cProbe, 0, cSleep, 1, cProbe, 0, cProbe, 1,
			cRelease, 0, cRelease, 0, cGWait, 0, cGWait, 1},
		// An expiry that empties a group with a Go blocked (queue of 1).
		{0x08, cGo, 2, cGo, 0x10, cGo, 0, cGWait, 0, cSleep, 1, cRelease, 0, cRelease, 0, cGWait, 0},
		// A fail-fast group's task expiring on a full queue of 1 while a Go
		// and a Submit of the group and a Go of group 0 wait for room: the
		// group's are refused with ErrQueueTimeout, group 0's gets the
		// room; with the yielding observer.
		{0x88, cGo, 0x01, cGo, 0x11, cGo, 0x01, cGSubmit, 0x01, cGo, 0x00, cSleep, 1, cGWait, 1,
			cRelease, 0, cRelease, 0, cRelease, 0, cGWait, 0},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || len(data) > 601 {
			return
		}
		synctest.Test(t, func(t *testing.T) {
			gx := &fzGroupHarness{cmds: map[int]chan func(context.Context){}}
			var opts []pool.Option
			if data[0]&0x40 != 0 {
				opts = append(opts, pool.WithErrorHandler(gx.handle))
			}
			if data[0]&0x80 != 0 {
				opts = append(opts, pool.WithObserver(fzYielder{}))
			}
			h := newFzHarness(t, data[0], false, opts...)
			h.gx, gx.h = gx, h
			h.m.handler = data[0]&0x40 != 0
			h.do(fzOp{kind: opGroupNew, ctx: -1})
			h.do(fzOp{kind: opGroupNew, ctx: 0, n: 1})
			for i := 1; i+1 < len(data); i += 2 {
				h.stepGroup(data[i], data[i+1])
			}
			h.finish()
		})
	})
}

// fzGroupHarness is FuzzGroup's part of the real side.
type fzGroupHarness struct {
	h       *fzHarness
	handled []error // what the error handler got during this op; h.mu guards it
	groups  []*pool.Group
	ctxs    []context.Context // the contexts Pool.Group returned
	cmds    map[int]chan func(context.Context)
}

const fzMaxGroups = 5

// stepGroup performs the operation code with argument arg.
func (h *fzHarness) stepGroup(code, arg byte) {
	m := h.m
	grp := 1 + int(arg&3)%len(m.groups)
	var op fzOp
	ok := true
	switch code % 16 {
	case 0: // a plain task: Pool.Go or Pool.Submit
		k := opSubmit
		if arg&4 != 0 {
			k = opGo
		}
		op, ok = h.submitOp(k, 0, -1, -1, 0)
	case 1:
		if len(m.groups) == fzMaxGroups {
			return
		}
		op = fzOp{kind: opGroupNew, n: int(arg & 1), ctx: int(arg>>1&3) - 1}
		if op.ctx >= fzCtxs {
			op.ctx = -1
		}
	case 2, 3, 4:
		k := []fzOpKind{opGroupGo, opGroupTry, opGroupSubmit}[code%16-2]
		ctx := -1
		if k == opGroupSubmit {
			ctx = int(arg>>2&3) - 1
			if ctx >= fzCtxs {
				ctx = -1
			}
		}
		op, ok = h.submitOp(k, fzPrios[arg>>5], ctx, -1, []time.Duration{0, 300 * time.Millisecond}[arg>>4&1])
		op.grp = grp
		if k != opGroupSubmit && arg&4 != 0 {
			op.rt = 500 * time.Millisecond
		}
	case 5, 6, 7, 8, 10, 11, 12:
		c := map[byte]byte{5: 4, 6: 5, 7: 6, 8: 7, 10: 9, 11: 10, 12: 11}[code%16]
		op, ok = h.decodeCommon(c, arg)
	case 9:
		// A Stop that ends a group's Wait while a Go of the group, blocked,
		// records ErrClosed would race them: the Wait may or may not
		// report it.
		for _, id := range m.blocked {
			if t := m.tasks[id]; t.record && len(m.groups[t.grp-1].waits) > 0 {
				return
			}
		}
		op = fzOp{kind: opStop, call: h.id()}
	case 13:
		op = fzOp{kind: opGroupWait, grp: grp, call: h.id()}
	case 14:
		ids := slices.DeleteFunc(m.runningIDs(), func(id int) bool { return !m.tasks[id].hasCtx })
		if len(ids) == 0 {
			return
		}
		op = fzOp{kind: opNested, task: ids[int(arg&15)%len(ids)], sub: h.id(), call: h.id()}
		if g := int(arg >> 4 & 7); g > 0 && g <= len(m.groups) {
			op.grp = g
		}
	case 15:
		h.sleep(fzSleeps[arg&7])
		return
	}
	if ok {
		h.do(op)
	}
}

// fzYielder is an observer that yields a few times in each Dropped event.
// Whoever drops or expires a task reports it there after making room in
// the queue and before accounting for the task, so a blocked submitter
// woken by the room tends to act in between, where a fail-fast group's
// expired task once left the group not yet failed.
type fzYielder struct{}

func (fzYielder) Observe(e observe.Event) {
	if e.Kind == observe.Dropped {
		for range 3 {
			runtime.Gosched()
		}
	}
}

func (op fzOp) groupString() string {
	s := fzOpNames[op.kind]
	switch op.kind {
	case opGroupNew:
		s += fmt.Sprintf(" ctx %d failfast %v", op.ctx, op.n == 1)
	case opGroupGo, opGroupTry, opGroupSubmit:
		s += fmt.Sprintf(" group %d task %d call %d", op.grp-1, op.task, op.call)
		if op.kind == opGroupSubmit && op.ctx >= 0 {
			s += fmt.Sprintf(" ctx %d", op.ctx)
		}
	case opGroupWait:
		s += fmt.Sprintf(" group %d call %d", op.grp-1, op.call)
	case opNested:
		to := "Pool"
		if op.grp > 0 {
			to = fmt.Sprintf("group %d", op.grp-1)
		}
		s += fmt.Sprintf(": task %d submits task %d to %s, call %d", op.task, op.sub, to, op.call)
	}
	return s
}

// doGroup performs FuzzGroup's operations on the pool.
func (h *fzHarness) doGroup(op fzOp, opts []pool.TaskOption) {
	gx := h.gx
	ctx := context.Background()
	if op.ctx >= 0 {
		ctx = h.ctxs[op.ctx]
	}
	var g *pool.Group
	if op.grp > 0 {
		g = gx.groups[op.grp-1]
	}
	switch op.kind {
	case opGroupNew:
		var gopts []pool.GroupOption
		if op.n == 1 {
			gopts = append(gopts, pool.WithFailFast())
		}
		g, gctx := h.p.Group(ctx, gopts...)
		gx.groups = append(gx.groups, g)
		gx.ctxs = append(gx.ctxs, gctx)
	case opGroupGo:
		fn := h.body(op.task)
		h.call(op.call, func() fzRet { return fzRet{err: g.Go(fn, opts...)} })
	case opGroupTry:
		fn := h.body(op.task)
		h.call(op.call, func() fzRet { return fzRet{err: g.TrySubmit(fn, opts...)} })
	case opGroupSubmit:
		fn := h.body(op.task)
		h.call(op.call, func() fzRet { return fzRet{err: g.Submit(ctx, fn, opts...)} })
	case opGroupWait:
		h.call(op.call, func() fzRet { return fzRet{err: g.Wait()} })
	case opNested:
		fn, p := h.body(op.sub), h.p
		gx.cmds[op.task] <- func(tctx context.Context) {
			var err error
			if g != nil {
				err = g.Submit(tctx, fn)
			} else {
				err = p.Submit(tctx, fn)
			}
			h.mu.Lock()
			h.rets[op.call] = fzRet{err: err}
			h.mu.Unlock()
		}
	default:
		panic(fmt.Sprintf("op %v", op))
	}
}

func (gx *fzGroupHarness) handle(err error) {
	gx.h.mu.Lock()
	gx.handled = append(gx.handled, err)
	gx.h.mu.Unlock()
}

// checkHandled compares the errors the handler got during the op with the
// model's: each failed pool task's error, once.
func (h *fzHarness) checkHandled() error {
	h.mu.Lock()
	got := h.gx.handled
	h.gx.handled = nil
	h.mu.Unlock()
	var gw []fzWant
	for _, e := range got {
		w, err := fzWantOf(e)
		if err != nil {
			return fmt.Errorf("error handler: %w", err)
		}
		gw = append(gw, w)
	}
	want := h.m.handled
	h.m.handled = nil
	if !fzSameWants(gw, want) {
		return fmt.Errorf("error handler got %v, want %v", gw, want)
	}
	return nil
}

// checkGroupCtxs compares the contexts Pool.Group returned with the model,
// and learns which cause a context got when the model allowed several.
func (h *fzHarness) checkGroupCtxs() error {
	if err := h.checkHandled(); err != nil {
		return err
	}
	for i, ctx := range h.gx.ctxs {
		g := h.m.groups[i]
		err, cause := ctx.Err(), context.Cause(ctx)
		if g.canceledAt < 0 {
			if err != nil || cause != nil {
				return fmt.Errorf("group %d: context canceled (%v, cause %v), want it live", i, err, cause)
			}
			continue
		}
		if !errors.Is(err, context.Canceled) {
			return fmt.Errorf("group %d: context Err %v, want context.Canceled (cause %v)", i, err, g.causes)
		}
		got, werr := fzWantOf(cause)
		if werr != nil {
			return fmt.Errorf("group %d: context cause: %w", i, werr)
		}
		if !slices.Contains(g.causes, got) {
			return fmt.Errorf("group %d: context cause %v, want one of %v (canceled at op %d)", i, cause, g.causes, g.canceledAt)
		}
		g.causes = []fzWant{got}
	}
	return nil
}

// The model's part.

type fzGroupM struct {
	parent      int // the context the group was made from; -1: Background
	failFast    bool
	outstanding int
	first       *fzWant  // fail-fast: the first error
	errs        []fzWant // the errors for the next Wait (fail-fast: after first)
	dropped     int      // tasks dropped by Stop since the last Wait
	canceledAt  int      // the op that canceled the group's context; -1: live
	causes      []fzWant // its possible causes
	waits       []int    // Wait calls pending
	touched     bool     // outstanding reached 0 during this op
}

func (g *fzGroupM) String() string {
	first := "none"
	if g.first != nil {
		first = fmt.Sprint(*g.first)
	}
	return fmt.Sprintf("{parent %d failfast %v outstanding %d first %s errs %v dropped %d canceled at %d %v waits %v}",
		g.parent, g.failFast, g.outstanding, first, g.errs, g.dropped, g.canceledAt, g.causes, g.waits)
}

func isWant(w fzWant) func(fzRet) bool {
	return func(r fzRet) bool {
		got, err := fzWantOf(r.err)
		return r.err != nil && err == nil && got == w
	}
}

// waitCtx is the context that bounds a blocked submit's wait: Group.Go's
// is the context its group was made from.
func (m *fzModel) waitCtx(t *fzTaskM) int {
	if t.grp > 0 && t.record {
		return m.groups[t.grp-1].parent
	}
	return t.ctx
}

// accepted counts a task accepted for its group.
func (m *fzModel) accepted(t *fzTaskM) {
	if t.grp > 0 {
		m.groups[t.grp-1].outstanding++
	}
}

func (m *fzModel) cancelGroup(g *fzGroupM, cause fzWant) {
	switch {
	case g.canceledAt < 0:
		g.canceledAt, g.causes = m.op, []fzWant{cause}
	case g.canceledAt == m.op && m.stopAt == m.op && !slices.Contains(g.causes, cause):
		// Stop cancels the group once it has released the pool's lock,
		// while a Go it refused records ErrClosed: either comes first.
		g.causes = append(g.causes, cause)
	}
}

// cancelGroups cancels the groups made from context i, as it is canceled.
func (m *fzModel) cancelGroups(i int) {
	for _, g := range m.groups {
		if g.parent == i {
			m.cancelGroup(g, fzWant{wCause, i})
		}
	}
}

// stopGroups cancels the groups that have tasks queued or running when
// Stop is called.
func (m *fzModel) stopGroups() {
	for _, g := range m.groups {
		if g.outstanding > 0 {
			m.cancelGroup(g, fzWant{wStopped, 0})
		}
	}
}

// addErr is Group.addErr: a task's error, or a refusal that Go records.
func (m *fzModel) addErr(g *fzGroupM, w fzWant, c fzCheck) error {
	if !g.failFast {
		g.errs = append(g.errs, w)
		return nil
	}
	if g.first == nil {
		g.first = &w
		m.cancelGroup(g, w)
		return m.failBlocked(g, c)
	}
	if w.mode == endPanic {
		g.errs = append(g.errs, w)
	}
	return nil
}

// recordFor records the refusal of t for its group's Wait, if t was
// submitted with Group.Go or TrySubmit.
func (m *fzModel) recordFor(t *fzTaskM, w fzWant, c fzCheck) error {
	if !t.record {
		return nil
	}
	g := m.groups[t.grp-1]
	if g.first != nil && *g.first == w {
		return nil // the group's own failure: Wait has it already
	}
	return m.addErr(g, w, c)
}

// failBlocked refuses the blocked submitters of g, which has just failed,
// with its first error.
func (m *fzModel) failBlocked(g *fzGroupM, c fzCheck) error {
	var err error
	m.blocked = slices.DeleteFunc(m.blocked, func(id int) bool {
		t := m.tasks[id]
		if t.grp == 0 || m.groups[t.grp-1] != g {
			return false
		}
		t.state = tsRejected
		m.st.Rejected++
		if e := c.ret(t.call, fmt.Sprintf("the group's first error %v", *g.first), isWant(*g.first)); e != nil && err == nil {
			err = e
		}
		if t.key >= 0 {
			if next, ok := m.handOn(t.key); ok {
				m.handed = append(m.handed, next)
			}
		}
		return true
	})
	return err
}

// taskEnded settles a task that ended, reporting its error, if any, to its
// group or to the pool.
func (m *fzModel) taskEnded(t *fzTaskM, report *fzWant, c fzCheck) error {
	if t.grp == 0 {
		switch {
		case report == nil:
		case m.handler:
			m.handled = append(m.handled, *report)
		default:
			m.kept = append(m.kept, *report)
		}
		return nil
	}
	g := m.groups[t.grp-1]
	if report != nil {
		if err := m.addErr(g, *report, c); err != nil {
			return err
		}
	}
	g.outstanding--
	g.touched = g.touched || g.outstanding == 0
	return nil
}

func (m *fzModel) droppedFromGroup(t *fzTaskM) {
	if t.grp == 0 {
		return
	}
	g := m.groups[t.grp-1]
	g.dropped++
	g.outstanding--
	g.touched = g.touched || g.outstanding == 0
}

// inlineEnded resumes the caller of a task that ran in its slot: its
// submit returns.
func (m *fzModel) inlineEnded(t *fzTaskM, c fzCheck) error {
	delete(m.inline, t.id)
	call, ok := m.suspended[t.caller]
	if !ok {
		return fmt.Errorf("model: task %d ran in the slot of task %d, which is not suspended", t.id, t.caller)
	}
	delete(m.suspended, t.caller)
	return c.ret(call, "nil, once the task run in the caller's slot ended", isErr(nil))
}

func (m *fzModel) applyGroup(op fzOp, c fzCheck) error {
	switch op.kind {
	case opGroupNew:
		g := &fzGroupM{parent: op.ctx, failFast: op.n == 1, canceledAt: -1}
		if op.ctx >= 0 && m.canceledAt[op.ctx] >= 0 {
			g.canceledAt, g.causes = m.op, []fzWant{{wCause, op.ctx}}
		}
		m.groups = append(m.groups, g)
	case opGroupWait:
		g := m.groups[op.grp-1]
		g.waits = append(g.waits, op.call)
	case opNested:
		return m.nested(op, c)
	default:
		return fmt.Errorf("model: op %v", op)
	}
	return nil
}

// nested is a running task's submit, with its own context, of a task to
// the pool or to a group: the task starts on a free worker if there is
// one, and otherwise runs in the caller's slot, the caller suspended until
// it ends.
func (m *fzModel) nested(op fzOp, c fzCheck) error {
	t := &fzTaskM{id: op.sub, grp: op.grp, nested: true, caller: op.task, hasCtx: true, ctx: -1, key: -1,
		call: op.call, joinAt: -1}
	m.tasks[t.id] = t
	if caller := m.tasks[op.task]; caller.joinAt < 0 {
		// The submit looks at the caller's context (its Done), which
		// joins it as the caller's own first look would.
		caller.joinAt = m.op
	}
	if m.closed {
		t.state = tsRejected
		m.st.Rejected++
		return c.ret(op.call, "ErrClosed", isErr(pool.ErrClosed))
	}
	m.st.Submitted++
	m.accepted(t)
	if m.qlen() < len(m.idle)+max(0, m.limit-m.workers()) {
		m.push(t.id)
		m.fill()
		return c.ret(op.call, "nil (started on a free worker)", isErr(nil))
	}
	t.inline = true
	m.inline[t.id] = true
	m.suspended[op.task] = op.call
	for _, a := range m.alts {
		a.popped = append(a.popped, t.id) // it starts, at once
	}
	return nil
}

// settleGroups checks the groups' Wait calls: all of them return once
// their group has no task left, together with every error since the last
// Wait, each exactly once; and the group's context is then canceled.
func (m *fzModel) settleGroups(c fzCheck) error {
	for i, g := range m.groups {
		touched := g.touched
		g.touched = false
		if len(g.waits) == 0 {
			continue
		}
		var returned []int
		var rets []fzRet
		g.waits = slices.DeleteFunc(g.waits, func(id int) bool {
			r, ok := c.obs.rets[id]
			if ok {
				delete(c.obs.rets, id)
				returned = append(returned, id)
				rets = append(rets, r)
			}
			return ok
		})
		switch {
		case g.outstanding == 0 && len(g.waits) > 0:
			return fmt.Errorf("group %d: Wait calls %v did not return, with no task left", i, g.waits)
		case g.outstanding > 0 && !touched && len(returned) > 0:
			return fmt.Errorf("group %d: Wait calls %v returned with %d tasks left", i, returned, g.outstanding)
		case len(returned) == 0:
			continue
		}
		if g.dropped > 0 {
			g.errs = append(g.errs, fzWant{wDropped, g.dropped})
			g.dropped = 0
		}
		var got []fzWant
		for j, r := range rets {
			ws := fzFlatten(r.err)
			if g.first != nil {
				if len(ws) == 0 {
					return fmt.Errorf("group %d: Wait call %d returned nil, want the first error %v first", i, returned[j], *g.first)
				}
				w, err := fzWantOf(ws[0])
				if err != nil || w != *g.first {
					return fmt.Errorf("group %d: Wait call %d returned %v, want the first error %v first", i, returned[j], r.err, *g.first)
				}
				ws = ws[1:]
			}
			for _, e := range ws {
				w, err := fzWantOf(e)
				if err != nil {
					return fmt.Errorf("group %d: Wait call %d: %w", i, returned[j], err)
				}
				got = append(got, w)
			}
		}
		cmp := func(a, b fzWant) int {
			if a.mode != b.mode {
				return int(a.mode) - int(b.mode)
			}
			return a.id - b.id
		}
		want := slices.Clone(g.errs)
		slices.SortFunc(got, cmp)
		slices.SortFunc(want, cmp)
		if !slices.Equal(got, want) {
			return fmt.Errorf("group %d: Wait calls %v returned errors %v, want %v", i, returned, got, want)
		}
		g.errs = nil
		m.cancelGroup(g, fzWant{wCanceled, 0})
	}
	return nil
}

func (m *fzModel) groupsString() string {
	var s string
	for i, g := range m.groups {
		s += fmt.Sprintf("\n  group %d: %v", i, g)
	}
	if len(m.inline) > 0 {
		s += fmt.Sprintf("\n  inline %v suspended %v", m.inline, m.suspended)
	}
	return s
}
