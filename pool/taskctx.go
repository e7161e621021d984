package pool

import (
	"context"
	"time"
)

// taskCtx is the context a func(context.Context) error task receives: its
// group's context or the pool's, plus the identity of this one run of the
// task. A fresh one is made for every run, so a context names a run, not a
// worker: once the run has ended, a context that escaped it (or a Group's
// context made from it) no longer identifies a task of the pool.
//
// The identity is what lets nested work avoid deadlock without breaking the
// limit. A submit that presents the context of a run that holds its slot
// (the run's own context or one derived from it) and finds no worker free
// runs its task in that slot: the run is suspended meanwhile, so the number
// of tasks executing stays within the limit. Code outside any task holds no
// such context, and a run that is suspended, lent or ended lends nothing.
//
// A taskCtx is one small allocation per run (24 bytes). Should the context
// given to a submit become the parent of the task's (values, deadline,
// cancellation, joined with the pool's Stop), it would be held here too:
// the run's identity and its parent in one allocation.
type taskCtx struct {
	p     *Pool
	g     *Group   // the task's group, whose context the task sees; nil: the pool's
	state runState // guarded by p.mu
	// delivered is set by the task on its own goroutine (see Delivered) and
	// read by that goroutine once the task has ended.
	delivered outcome
}

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
	switch err.(type) {
	case nil:
		return completed
	case *PanicError:
		return panicked
	default:
		return failed
	}
}

// taskKey finds the *taskCtx of the run a context was derived from.
type taskKey struct{}

func (c *taskCtx) parent() context.Context {
	if c.g != nil {
		return c.g.ctx
	}
	return c.p.ctx
}

func (c *taskCtx) Deadline() (time.Time, bool) { return c.parent().Deadline() }

func (c *taskCtx) Done() <-chan struct{} { return c.parent().Done() }

func (c *taskCtx) Err() error { return c.parent().Err() }

// Value returns the run itself for taskKey. Every other key, including the
// one context.Cause and context.AfterFunc use to find a cancelable parent,
// is the parent's: contexts derived from a task's context cost no
// goroutine.
func (c *taskCtx) Value(key any) any {
	if _, ok := key.(taskKey); ok {
		return c
	}
	return c.parent().Value(key)
}

func (c *taskCtx) String() string { return "pool.taskContext" }

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
	if c != nil && c.p == p {
		return c
	}
	return nil
}

// deliver tells the pool, through the task's context, that the task's
// outcome err went elsewhere (see Delivered).
func deliver(ctx context.Context, err error) {
	if c, ok := ctx.(*taskCtx); ok {
		c.Delivered(err)
	}
}
