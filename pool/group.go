package pool

import (
	"context"
	"errors"
	"fmt"

	"github.com/weftgo/weft/internal/cond"
)

// A Group is a scope of tasks that run on a shared [Pool], with its own
// [Group.Wait] and its own error handling: errgroup, on shared workers.
//
// A Group is made with [Pool.Group] and must not be copied. Its methods are
// safe for concurrent use. A task's return synchronizes before the
// [Group.Wait] that waits for it returns.
//
// By default Wait returns every task error joined with errors.Join; with
// [WithFailFast] the first error cancels the group's context, with that
// error as its context.Cause, and Wait returns just that error (and any
// later panics, which are never dropped). Task panics arrive as
// [*PanicError] either way.
//
// Nested waits do not deadlock: when a Group is made with the context a
// task of the same pool received, its Wait lends the waiting worker's slot
// to the pool while it blocks, so the group's queued tasks can start even
// when every worker is busy waiting. Tasks blocked in such a Wait therefore
// do not count against the pool's limit.
type Group struct {
	p        *Pool
	ctx      context.Context
	cancel   context.CancelCauseFunc
	failFast bool
	inTask   bool // made inside a task of p: Wait lends its slot

	// Guarded by p.mu.
	outstanding int
	errs        []error
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

// WithFailFast makes the first task error cancel the group's context and be
// the error Wait returns; later errors are dropped, except panics. Tasks already running see the cancellation;
// tasks that start later receive the cancelled context.
func WithFailFast() GroupOption {
	return groupOptionFunc(func(c *groupConfig) { c.failFast = true })
}

// Group returns a new group on p and the context its tasks receive, derived
// from ctx. The context is cancelled when a task fails in fail-fast mode,
// when [Pool.Stop] is called, or when Wait returns, whichever comes first.
func (p *Pool) Group(ctx context.Context, opts ...GroupOption) (*Group, context.Context) {
	var c groupConfig
	for _, o := range opts {
		o.applyGroup(&c)
	}
	g := p.newGroup(ctx, c)
	return g, g.ctx
}

func (p *Pool) newGroup(ctx context.Context, c groupConfig) *Group {
	gctx, cancel := context.WithCancelCause(ctx)
	g := &Group{
		p:        p,
		ctx:      context.WithValue(gctx, taskKey{}, p),
		cancel:   cancel,
		failFast: c.failFast,
		inTask:   ctx.Value(taskKey{}) == p,
		idle:     cond.New(&p.mu),
	}
	return g
}

// Go submits fn as a task of the group, blocking while the pool's bounded
// queue is full until there is room or the group's context is done. fn
// receives the group's context. If the task cannot be submitted (the pool
// is closed, or the context ended), Go returns that error and also records
// it for Wait, so a task that never ran is never lost silently.
func (g *Group) Go(fn func(ctx context.Context) error) error {
	return g.record(g.p.submit(g.ctx, task{fn: fn, g: g}, true))
}

// TryGo is like [Group.Go] but never blocks: when the task cannot start or
// be queued at once it returns [ErrQueueFull], without recording it.
func (g *Group) TryGo(fn func(ctx context.Context) error) error {
	err := g.p.submit(g.ctx, task{fn: fn, g: g}, false)
	if errors.Is(err, ErrQueueFull) {
		return err
	}
	return g.record(err)
}

func (g *Group) record(err error) error {
	if err != nil {
		g.p.mu.Lock()
		g.addErr(err)
		g.p.mu.Unlock()
	}
	return err
}

// Wait blocks until every task submitted to the group has ended, cancels
// the group's context, and returns the group's errors: all of them joined,
// or the first one in fail-fast mode. If [Pool.Stop] dropped some of the
// group's queued tasks, the result includes [ErrClosed].
func (g *Group) Wait() error {
	p := g.p
	p.mu.Lock()
	lent := g.inTask && g.outstanding > 0
	if lent {
		p.blocked++
	}
	p.mu.Unlock()
	if lent {
		p.wakeForQueue()
	}

	p.mu.Lock()
	for g.outstanding > 0 {
		_ = g.idle.Wait(context.Background())
	}
	if lent {
		p.blocked--
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
	err := join(g.errs)
	g.errs = nil
	return err
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

// addErr keeps a task error. In fail-fast mode only the first error is
// kept, plus any later panics, which are never dropped. p.mu is held.
func (g *Group) addErr(err error) {
	if g.failFast {
		if len(g.errs) > 0 {
			if _, ok := err.(*PanicError); !ok {
				return
			}
		}
		g.cancel(err)
	}
	g.errs = append(g.errs, err)
}
