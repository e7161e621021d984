package pool

import (
	"context"
	"errors"
	"fmt"

	"github.com/weftgo/weft/internal/cond"
	"github.com/weftgo/weft/internal/panics"
	"github.com/weftgo/weft/internal/shake"
)

// A Group is a scope of tasks that run on a shared [Pool], with its own
// [Group.Wait] and its own error handling: errgroup, on shared workers.
//
// A Group is made with [Pool.Group]; the zero value is not usable (its
// methods panic), and a Group must not be copied. Its methods are safe for
// concurrent use. A task's return synchronizes before the [Group.Wait] that
// waits for it returns.
//
// By default Wait returns every task error joined with errors.Join; with
// [WithFailFast] the first error cancels the group's context, with that
// error as its context.Cause, and Wait returns just that error (and any
// later panics, which are never dropped). Task panics arrive as
// [*PanicError] either way.
//
// A Group may be reused after Wait, as an errgroup.Group may: tasks
// submitted later run, and the next Wait waits for them. The group's context
// stays canceled once Wait has returned, so those tasks receive a canceled
// context.
//
// Nested work does not deadlock: a Group made with the context a task of the
// same pool received (or one derived from it) knows that task. [Group.Go]
// then runs a task in that task's slot when no worker is free, as
// [Pool.Submit] does, and Wait lends the slot to the pool while it blocks,
// so the group's queued tasks can start even when every worker is busy
// waiting. A task of any group passes its own context to [Group.Submit] for
// the same protection. See "Tasks that wait on tasks" in the package
// documentation.
type Group struct {
	// scope holds the pool (p) and the group's context (ctx), which its
	// tasks see and which Wait, a fail-fast error and Stop cancel.
	scope
	// parent is the context the group was made from: it bounds Go's wait
	// for room, which Wait must not end, so that the group can be reused
	// after Wait.
	parent   context.Context
	cancel   context.CancelCauseFunc
	failFast bool
	creator  *taskCtx // the run whose context made the group, if any

	// Guarded by p.mu.
	outstanding int
	first       error   // fail-fast: the first error, returned by every Wait; ends waits for room
	errs        []error // errors not yet returned by Wait
	dropped     int
	idle        *cond.Cond
}

// A GroupOption configures a [Group] (and [Map] and [MapSeq], which run on
// one).
type GroupOption interface{ applyGroup(*groupConfig) }

type groupConfig struct {
	failFast bool
	window   int // MapSeq only
}

type groupOptionFunc func(*groupConfig)

func (f groupOptionFunc) applyGroup(c *groupConfig) { f(c) }

func groupConfigOf(opts []GroupOption) groupConfig {
	var c groupConfig
	for _, o := range opts {
		if o == nil {
			panic("pool: nil GroupOption")
		}
		o.applyGroup(&c)
	}
	return c
}

// WithFailFast makes the first task error cancel the group's context and be
// the error Wait returns — every Wait, as with errgroup — while later errors
// are dropped, except panics. Tasks already running see the cancellation;
// tasks that start later receive the canceled context.
//
// Besides an error a task returns (or its panic), the group fails with
// [ErrQueueTimeout] when a task of it (not a future's, whose outcome is the
// future's) expires in the queue (see [QueueTimeout]), and with a refusal
// that [Group.Go] or [Group.TrySubmit] records. Once it has failed, its
// submitters waiting for room in a bounded queue give up with the first
// error, even if room came with the failure; a submit that finds room at
// once is still accepted, and its task runs with the canceled context.
func WithFailFast() GroupOption {
	return groupOptionFunc(func(c *groupConfig) { c.failFast = true })
}

// Group returns a new group on p and the context its tasks receive, derived
// from ctx. The context is canceled when ctx is done, when a task fails in
// fail-fast mode, when [Pool.Stop] is called while the group has tasks
// queued or running (or at all, if ctx is a task's context, which Stop
// cancels), or when Wait returns, whichever comes first.
//
// If ctx is (or derives from) the context of a running task of p, the group
// belongs to that task: see [Group]. The context Group returns then
// identifies that task too, so hand it only to code that runs within the
// task.
func (p *Pool) Group(ctx context.Context, opts ...GroupOption) (*Group, context.Context) {
	p.made()
	checkCtx(ctx)
	g := p.newGroup(ctx, groupConfigOf(opts))
	return g, g.ctx
}

func (p *Pool) newGroup(ctx context.Context, c groupConfig) *Group {
	gctx, cancel := context.WithCancelCause(ctx)
	g := &Group{
		scope:    scope{p: p, ctx: gctx},
		parent:   ctx,
		cancel:   cancel,
		failFast: c.failFast,
		creator:  p.callerOf(ctx),
		idle:     cond.New(&p.mu),
	}
	g.scope.g = g
	g.fresh.s = &g.scope
	return g
}

// made panics unless g was made with Pool.Group, before any lock.
func (g *Group) made(fn func(context.Context) error, checkFn bool) {
	if g == nil {
		panic("pool: nil *Group")
	}
	if g.p == nil {
		panic("pool: Group must be made with Pool.Group")
	}
	if checkFn && fn == nil {
		panic("pool: nil func")
	}
}

// Go submits fn as a task of the group, blocking while the pool's bounded
// queue is full until there is room, the group has failed (fail-fast), or
// the context the group was made from is done. When the room and the
// failure come together — a task of the group whose [QueueTimeout] passed
// leaves the room and fails the group at once — Go returns the group's
// first error, [ErrQueueTimeout] (or [ErrClosed], if the pool is closed
// before Go takes the room), and fn does not run. fn receives a context
// derived from the group's. If the task cannot be submitted (the pool is
// closed, or the wait ended), Go returns that error and also records it for
// Wait, so a task that never ran is never lost silently. opts configure the
// task (see [TaskOption]); an expired [QueueTimeout] reaches Wait as
// [ErrQueueTimeout].
//
// If the group was made from a task's context and that task holds its slot,
// Go runs fn in the task's slot when no worker can start it at once, and
// returns after fn has returned, as [Pool.Submit] does. Go has no context of
// its own, so it takes its caller for that task: a task of the group that
// submits to the group should use [Group.Submit] with its own context.
func (g *Group) Go(fn func(ctx context.Context) error, opts ...TaskOption) error {
	g.made(fn, true)
	return g.record(g.p.submit(g.parent, g.task(fn), true, g.creator, opts))
}

// Submit submits fn as a task of the group, blocking while the pool's
// bounded queue is full until there is room, ctx is done or the group has
// failed (fail-fast); it mirrors [Pool.Submit]. The end of the context the
// group was made from cancels the group's context but does not fail the
// group, so it ends the wait only if ctx derives from it, as the group's
// own context does. On failure it returns [ErrClosed], context.Cause(ctx)
// or the group's first error, and fn will not run; unlike [Group.Go], the
// error is only returned, not recorded for Wait. opts configure the task,
// as for [Group.Go].
//
// ctx is the parent of fn's context, as for [Pool.Submit]: its values and
// deadline reach fn, and fn's context is done when ctx is, or when the
// group's context is canceled (a fail-fast error, Wait, [Pool.Stop]),
// whichever comes first, with that cause; if both have happened by the time
// fn first looks at its context, the cause is ctx's, as for Pool.Submit.
// Values are looked up in ctx first, then in the context the group was made
// from.
//
// Called from a task of the pool with the context that task received (a
// task of this group or any other), Submit never waits for a worker that the
// caller may be keeping busy: when no worker can start fn at once, fn runs
// in the caller's slot and Submit returns after it has returned. This is
// what lets a task submit to its own group and wait for the result, on a
// channel or a future, even on a pool of one.
func (g *Group) Submit(ctx context.Context, fn func(ctx context.Context) error, opts ...TaskOption) error {
	g.made(fn, true)
	checkCtx(ctx)
	return g.submit(ctx, fn, opts)
}

// submit is Submit for any kind of task (see task.fn).
func (g *Group) submit(ctx context.Context, fn any, opts []TaskOption) error {
	caller := g.p.callerOf(ctx)
	return g.p.submit(ctx, task{fn: fn, c: newTaskCtx(&g.scope, ctx, caller)}, true, caller, opts)
}

// task makes a task of the group with no parent context.
func (g *Group) task(fn any) task {
	return task{fn: fn, c: &g.scope.fresh}
}

// TrySubmit is like [Group.Go] but never blocks: when the task cannot start or
// be queued at once it returns [ErrQueueFull], without recording it. It
// never runs fn in its caller's slot. opts configure the task, as for
// [Group.Go].
func (g *Group) TrySubmit(fn func(ctx context.Context) error, opts ...TaskOption) error {
	g.made(fn, true)
	return g.trySubmit(fn, opts)
}

// trySubmit is TrySubmit for any kind of task (see task.fn).
func (g *Group) trySubmit(fn any, opts []TaskOption) error {
	err := g.p.submit(context.Background(), g.task(fn), false, nil, opts)
	if errors.Is(err, ErrQueueFull) {
		return err
	}
	return g.record(err)
}

func (g *Group) record(err error) error {
	if err != nil {
		g.p.mu.Lock()
		// A submit that a failed fail-fast group refused returns the
		// group's first error, which Wait returns anyway: kept again, a
		// panic would be reported twice. (Only panics are compared: their
		// types are pointers, and addErr drops any other error then.)
		if !panics.Is(err) || err != g.first {
			g.addErr(err)
		}
		g.p.mu.Unlock()
	}
	return err
}

// Wait blocks until every task submitted to the group has ended, cancels
// the group's context, and returns the group's errors: those not returned
// by an earlier Wait, joined, or in fail-fast mode the first error (every
// time) and any panics since the last Wait. If [Pool.Stop] dropped some of
// the group's queued tasks, the result includes [ErrClosed].
//
// If the group was made from the context of a task of the pool that has not
// ended, Wait lends the pool a slot while it blocks, so that the group's
// queued tasks can start even when every worker is busy. The worker that
// took the slot may still be running a task when Wait returns and the
// waiting task goes on: until that task ends, one task more than the limit
// executes.
func (g *Group) Wait() error {
	g.made(nil, false)
	p := g.p
	p.mu.Lock()
	c := g.creator
	lend := c != nil && c.state != ended && g.outstanding > 0
	marked := false
	if lend {
		p.blocked++
		if c.state == holding {
			c.state = lent // nothing else may run in the slot it lends
			marked = true
		}
		// The lent slot is room for a submitter blocked on a full queue
		// too: in hand-off mode no queued task would wake it otherwise.
		p.space.Broadcast()
	}
	p.mu.Unlock()
	shake.Point(shake.PoolWait)
	if lend {
		p.wakeForQueue()
	}

	p.mu.Lock()
	for g.outstanding > 0 {
		_ = g.idle.Wait(context.Background())
	}
	if lend {
		p.blocked--
		// The slot is back. A worker that went idle meanwhile may be over
		// the limit now, while the borrower still runs: it goes, as after
		// SetLimit, so that it never counts as free to start a task (see
		// freeWorkers) and the caller's next submit runs in its slot.
		p.retireOverLimit()
		if marked && c.state == lent {
			c.state = holding
		}
	}
	err := g.resultLocked()
	p.mu.Unlock()
	g.cancel(context.Canceled)
	return err
}

func (g *Group) resultLocked() error {
	if g.dropped > 0 {
		g.errs = append(g.errs, fmt.Errorf("%w: %d queued tasks of the group dropped by Stop", ErrClosed, g.dropped))
		g.dropped = 0
	}
	errs := g.errs
	if g.first != nil {
		errs = append([]error{g.first}, errs...)
	}
	g.errs = nil
	return join(errs)
}

// failedErr returns the first error of a fail-fast group that has failed,
// which ends its submitters' waits for room; nil otherwise, and for a nil
// g (a task of no group). p.mu is held.
func (g *Group) failedErr() error {
	if g == nil {
		return nil
	}
	return g.first
}

// add counts a task accepted for the group. p.mu is held.
func (g *Group) add() {
	g.outstanding++
	if g.outstanding == 1 {
		g.p.groups[g] = struct{}{}
	}
}

// taskDone settles one of the group's tasks. p.mu is held.
func (g *Group) taskDone(err error) {
	if err != nil {
		g.addErr(err)
	}
	g.outstanding--
	if g.outstanding == 0 {
		delete(g.p.groups, g)
		g.idle.Broadcast()
	}
}

// addErr keeps a task error. In fail-fast mode the first error is kept for
// good and cancels the group; later errors are dropped, except panics,
// which are never dropped. p.mu is held.
func (g *Group) addErr(err error) {
	if g.failFast {
		if g.first == nil {
			g.first = err
			g.cancel(err)
			g.p.space.Broadcast() // submitters waiting for room give up: see submit
			return
		}
		if !panics.Is(err) {
			return
		}
	}
	g.errs = append(g.errs, err)
}
