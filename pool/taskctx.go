package pool

import (
	"context"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/weftgo/weft/internal/hook"
	"github.com/weftgo/weft/internal/panics"
)

// taskCtx is the context a func(context.Context) error task receives, one
// for every run of a task: made when the task is submitted if it has a
// parent context, else when it starts (the queue then holds its scope's
// fresh placeholder). It joins three things:
//
//   - the context given to the submit (parent), if there was one: its
//     values, deadline and cancellation are the task's;
//   - the context of the task's scope: the pool's, which Stop cancels, or
//     for a task of a group the group's, which Stop, a fail-fast error and
//     Wait cancel;
//   - the identity of this one run, which lets nested work avoid deadlock
//     without breaking the limit. A submit that presents the context of a
//     run that holds its slot (the run's own context or one derived from
//     it) and finds no worker free runs its task in that slot: the run is
//     suspended meanwhile, so the number of tasks executing stays within
//     the limit. Code outside any task holds no such context, and a run
//     that is suspended, lent or ended lends nothing. Because a context
//     names a run, not a worker, a context that escaped its run (or a
//     Group's context made from it) no longer identifies a task once the
//     run has ended.
//
// How the first two are joined depends on the parent, decided once when the
// taskCtx is made, so that the common cases cost nothing beyond the taskCtx
// itself:
//
//   - stopOnly: no parent, or one that can never be canceled (Done returns
//     nil): cancellation is the scope's and values are looked up in the
//     parent first, then in the scope's context.
//   - parentOnly: the parent is the context of a run in the same scope, or
//     carries that run's values only (same Done channel), so its
//     cancellation already includes the scope's: the parent is used as it
//     is. This is nested work submitted with the task's own context.
//   - joined: both can be canceled. The first call that needs the joined
//     cancellation (Done, or Err and Value once the scope's context is
//     done) makes a child of the parent that the scope's context also
//     cancels, with its cause; the run's end cancels that child, so that it
//     leaves nothing registered on the parent or the scope's context.
//
// A taskCtx without a parent is 16 bytes, and a future's task keeps room
// for it (newRunCtx); one with a parent is allocated together with its
// parentInfo, 40 bytes in all: either way at most one allocation.
//
// Every context derived from a taskCtx finds the *context.cancelCtx behind
// its Done channel through Value (the scope's, the parent's or the joined
// one), so it is canceled directly, without the goroutine the context
// package starts for a parent it cannot see into.
type taskCtx struct {
	s     *scope
	mode  joinMode
	state runState // guarded by s.p.mu
	// delivered is set by the task on its own goroutine (see Delivered) and
	// read by that goroutine once the task has ended.
	delivered outcome
	hasParent bool   // the submit gave a parent context: c is in a taskCtxWithParent
	wid       uint32 // the worker slot whose WorkerState values the run uses; 0: none
}

// parent returns the parent context of a run whose submit gave one, or nil.
// Such a taskCtx is the first field of a taskCtxWithParent, which keeps the
// parent beside it: 16 bytes fewer in every run without a parent, and room
// for it inside a future (newRunCtx).
func (c *taskCtx) parent() *parentInfo {
	if !c.hasParent {
		return nil
	}
	return &(*taskCtxWithParent)(unsafe.Pointer(c)).p
}

// A future's run keeps its taskCtx inside the future, in the hook.RunSpace
// the future's task provides (newRunCtx), rather than in an allocation of
// its own. The two must be the same size, with taskCtx's pointer where
// RunSpace has its pointer, so that the garbage collector sees it; and
// parent needs taskCtxWithParent's taskCtx first. Each constant below fails
// to compile otherwise.
const (
	_ = unsafe.Sizeof(taskCtx{}) - unsafe.Sizeof(hook.RunSpace{})
	_ = unsafe.Sizeof(hook.RunSpace{}) - unsafe.Sizeof(taskCtx{})
	_ = 0 - unsafe.Offsetof(taskCtx{}.s)
	_ = 0 - unsafe.Offsetof(taskCtxWithParent{}.c)
)

// newRunCtx makes the context of a run of t, queued with its scope's fresh
// placeholder, that runs with the WorkerState values of slot wid: in the
// room a future's task keeps for it, or else newly allocated.
func newRunCtx(t task, wid uint32) *taskCtx {
	if h, ok := t.fn.(hook.SpaciousTask); ok {
		c := (*taskCtx)(unsafe.Pointer(h.RunSpace()))
		*c = taskCtx{s: t.c.s, wid: wid}
		return c
	}
	return &taskCtx{s: t.c.s, wid: wid}
}

type joinMode uint8

const (
	stopOnly joinMode = iota
	parentOnly
	joined
)

// parentInfo is the parent context of a run and, in joined mode, the
// joined context: nil until made, endedJoin if the run ended before it was
// made.
type parentInfo struct {
	ctx    context.Context
	joined atomic.Pointer[joinedCtx]
}

// taskCtxWithParent is how a taskCtx with a parent is allocated.
type taskCtxWithParent struct {
	c taskCtx
	p parentInfo
}

// joinedCtx is the child of a run's parent that its scope's context also
// cancels; stop unregisters that.
type joinedCtx struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	stop   func() bool
	expire context.CancelFunc // releases the scope's deadline, if it has one
}

// endedJoin marks a run that ended before its joined context was made.
var endedJoin = new(joinedCtx)

// runState says what a run is doing with its slot.
type runState uint8

const (
	holding   runState = iota // executing in its slot
	suspended                 // blocked in a submit while a nested task runs in its slot
	lent                      // blocked in Group.Wait, its slot lent to the pool
	ended                     // returned; the context no longer identifies a task
)

// outcome is the counter a task's end goes to in Stats.
type outcome uint8

const (
	undelivered outcome = iota // taskCtx.delivered only: count what the task returned
	completed
	failed
	panicked
)

func outcomeOf(err error) outcome {
	switch {
	case err == nil:
		return completed
	case panics.Is(err): // a future's task reports its own package's type
		return panicked
	default:
		return failed
	}
}

// taskKey finds the *taskCtx of the run a context was derived from.
type taskKey struct{}

// newTaskCtx makes the context of a run of a task of scope s, submitted
// with parent (nil if none) by caller (the run parent identifies, if any),
// choosing how to join parent with the scope's context. With no parent (or
// an empty one) it returns the scope's fresh placeholder instead: the run
// makes its context when it starts.
func newTaskCtx(s *scope, parent context.Context, caller *taskCtx) *taskCtx {
	switch parent {
	case nil, context.Background(), context.TODO(), s.ctx:
		// Nothing to join: no parent, an empty one, or the group's own
		// context (g.Submit(ctx, ...) with the ctx Pool.Group returned).
		return &s.fresh
	}
	x := &taskCtxWithParent{c: taskCtx{s: s}, p: parentInfo{ctx: parent}}
	c := &x.c
	c.hasParent = true
	if done := parent.Done(); done != nil {
		if caller != nil && caller.s == s && caller.Done() == done {
			c.mode = parentOnly
		} else {
			c.mode = joined
		}
	}
	return c
}

func (c *taskCtx) Deadline() (time.Time, bool) {
	if c.mode == parentOnly {
		return c.parent().ctx.Deadline()
	}
	d, ok := c.s.ctx.Deadline()
	if c.hasParent {
		if pd, pok := c.parent().ctx.Deadline(); pok && (!ok || pd.Before(d)) {
			return pd, true
		}
	}
	return d, ok
}

func (c *taskCtx) Done() <-chan struct{} {
	switch c.mode {
	case stopOnly:
		return c.s.ctx.Done()
	case parentOnly:
		return c.parent().ctx.Done()
	}
	return c.join().Done()
}

func (c *taskCtx) Err() error {
	switch c.mode {
	case stopOnly:
		return c.s.ctx.Err()
	case parentOnly:
		return c.parent().ctx.Err()
	}
	if c.parent().joined.Load() != nil || c.s.ctx.Err() != nil {
		return c.join().Err() // the joined context's error, as Done and Cause see it
	}
	return c.parent().ctx.Err()
}

// Value returns the run itself for taskKey, and otherwise the parent's
// value, or the scope context's if the parent has none. The key that
// context.Cause and the derived contexts use to find the *context.cancelCtx
// behind Done is answered the same way: the scope's in stopOnly mode (an
// uncancelable parent has none), the parent's in parentOnly mode, and the
// joined context's, once it has been made (before, only the parent can
// have ended the run, and its cause is the run's).
func (c *taskCtx) Value(key any) any {
	if _, ok := key.(taskKey); ok {
		return c
	}
	var parent context.Context
	switch {
	case c.mode == joined && (c.parent().joined.Load() != nil || c.s.ctx.Err() != nil):
		parent = c.join()
	case c.hasParent:
		parent = c.parent().ctx
	}
	if parent != nil {
		if v := parent.Value(key); v != nil || c.mode == parentOnly {
			return v
		}
	}
	return c.s.ctx.Value(key)
}

func (c *taskCtx) String() string { return "pool.taskContext" }

// join returns the joined context of a run in joined mode, making it on
// first use. A scope context that is already done cancels it before join
// returns, not later on AfterFunc's goroutine, so that Err and Done agree.
func (c *taskCtx) join() context.Context {
	jp := c.parent()
	for {
		old := jp.joined.Load()
		if old != nil && old != endedJoin {
			return old.ctx
		}
		j := new(joinedCtx)
		stop := c.s.ctx
		parent := jp.ctx
		if d, ok := stop.Deadline(); ok {
			// Only a context that expires itself reads DeadlineExceeded
			// (in Err, and in its children), so the joined context gets
			// the scope's deadline rather than hear of it through the
			// AfterFunc below, whose cancel would read Canceled. Its
			// cause is then DeadlineExceeded, even if the scope's
			// deadline was given a cause of its own.
			parent, j.expire = context.WithDeadline(parent, d)
		}
		j.ctx, j.cancel = context.WithCancelCause(parent)
		if old == endedJoin {
			j.cancel(context.Canceled)
		} else {
			end := func() {
				if stop.Err() != context.DeadlineExceeded { // the deadline ends j itself
					j.cancel(context.Cause(stop))
				}
			}
			j.stop = context.AfterFunc(stop, end)
			if stop.Err() != nil {
				end()
			}
		}
		if jp.joined.CompareAndSwap(old, j) {
			return j.ctx
		}
		j.release()
	}
}

// end releases what the run's context holds once the run has ended: the
// joined context, if it was made, is canceled, and one made later is born
// canceled. Called on the run's goroutine, with p.mu not held.
func (c *taskCtx) end() {
	if c != nil && c.mode == joined {
		c.endJoined()
	}
}

func (c *taskCtx) endJoined() {
	jp := c.parent()
	if jp.joined.CompareAndSwap(nil, endedJoin) {
		return
	}
	if j := jp.joined.Load(); j != endedJoin {
		j.release()
	}
}

func (j *joinedCtx) release() {
	if j.stop != nil {
		j.stop()
	}
	j.cancel(context.Canceled)
	if j.expire != nil {
		j.expire()
	}
}

// Delivered records that the task has delivered its own outcome, err,
// somewhere the pool does not know (a future, a Map result): the pool counts
// the task in [Pool.Stats] by err — nil as completed, a [*PanicError] as
// panicked, anything else as failed — and reports only what the task
// returns (or its panic), not err. It must be called on the task's
// goroutine before the task ends; package future calls it through an
// interface, which is why it is exported.
func (c *taskCtx) Delivered(err error) { c.delivered = outcomeOf(err) }

// settle returns the counter a run's end goes to and the error to report:
// the delivered outcome if there is one, otherwise err's. goexit says the
// task called runtime.Goexit: a delivered Goexit has nothing left to report.
func (c *taskCtx) settle(err error, goexit bool) (outcome, error) {
	if c == nil || c.delivered == undelivered {
		return outcomeOf(err), err
	}
	if goexit {
		return c.delivered, nil
	}
	return c.delivered, err
}

// callerOf returns the run of p that ctx identifies, or nil.
func (p *Pool) callerOf(ctx context.Context) *taskCtx {
	c, ok := ctx.(*taskCtx)
	if !ok {
		c, _ = ctx.Value(taskKey{}).(*taskCtx)
	}
	if c != nil && c.s.p == p {
		return c
	}
	return nil
}

// deliver tells the pool, through the task's context, that the task's
// outcome err went elsewhere (see Delivered).
func deliver(ctx context.Context, err error) {
	switch c := ctx.(type) {
	case *taskCtx:
		c.Delivered(err)
	case *runCtx:
		c.Delivered(err)
	}
}
