package pool

import (
	"context"
	"time"

	"github.com/weftgo/weft/internal/hook"
	"github.com/weftgo/weft/observe"
)

// WithObserver makes the pool report the life of every task to o: Queued
// when a submit accepts it (a task run at once in its caller's slot, see
// [Pool.Submit], is accepted too), Started when it begins to run (Wait is
// the time it was queued), Panicked (Err is the [*PanicError]) just before
// its Finished, Finished when it ends (Wait and Run are its queue and run
// times, Err its outcome: nil, its error, [ErrGoexit], or the panic; for a
// future's task, the future's outcome), Dropped when it is discarded
// without running ([Pool.Stop]: Err is [ErrStopped]; a [QueueTimeout]: Err
// is [ErrQueueTimeout]), and Rejected when a submit refuses it (Err is
// [ErrClosed], [ErrQueueFull], the context's cause, or a fail-fast group's
// first error).
//
// A task's events are reported in that order, on the goroutine of the
// submitter (Queued, Rejected), of the task (Started, Panicked, Finished)
// or of whoever dropped it (Dropped), never with the pool's lock held. The
// submitter reports Queued once the task is queued, so the task may start
// or be dropped first: then the task's goroutine or the dropper reports
// Queued just before its own event, or, if the submitter is reporting it,
// waits for that call to return. So o must not wait for tasks of the pool
// (with [Pool.Wait], [Pool.Stop], a [Group]'s Wait, a future's result)
// while it reports Queued: the task may be waiting for it. A task's
// Finished event is reported before the task counts as ended, so before a
// [Pool.Wait] or [Group.Wait] waiting for it returns; the Dropped events of
// Stop before Stop returns. Once the pool is idle, the events
// counted match [Pool.Stats]: Queued is Submitted, Finished is Completed +
// Failed + Panicked, Dropped is Dropped + Expired, Rejected is Rejected.
//
// An observed task costs three clock reads (when it is queued, starts and
// ends) and one allocation of about 190 bytes more than an unobserved one.
// A pool without an observer pays a nil check per event. A nil o panics.
func WithObserver(o observe.Observer) Option {
	if o == nil {
		panic("pool: nil Observer")
	}
	return optionFunc(func(c *config) { c.obs = o })
}

// runCtx is the context an extended task runs with: its taskCtx, or a
// child of it with the run's deadline. It passes a delivered outcome on to
// the taskCtx and keeps it, for the observer's Finished event.
type runCtx struct {
	context.Context
	c         *taskCtx
	delivered bool
	err       error
}

// Delivered is taskCtx.Delivered, keeping err for the observer.
func (r *runCtx) Delivered(err error) {
	r.delivered, r.err = true, err
	r.c.Delivered(err)
}

// inner returns the function or hook.Task a task runs, unwrapping a
// taskExt.
func (t *task) inner() any {
	if x, ok := t.fn.(*taskExt); ok {
		return x.fn
	}
	return t.fn
}

// The states of an observed task's Queued event (taskExt.qstate). Its
// submitter reports it once the pool's lock is released, so the task can
// start, or be dropped, before the submitter gets to it or while its
// observer still runs. Whoever comes first reports it, and a worker or a
// dropper that finds the submitter reporting waits until it is done, so
// that each task's events are reported in order.
const (
	queuedUnreported int32 = iota
	queuedReporting        // the submitter is reporting it
	queuedAwaited          // ... and someone waits on qdone for it
	queuedReported
)

// reportQueued is a submitter's report of x's Queued event, made after p.mu
// is released; it reports nothing if the task's worker or dropper reported
// the event first.
func (p *Pool) reportQueued(x *taskExt) {
	o := p.cfg.obs
	if o == nil || !x.qstate.CompareAndSwap(queuedUnreported, queuedReporting) {
		return
	}
	defer x.reportedQueued()
	o.Observe(observe.Event{Kind: observe.Queued})
}

// reportedQueued ends a submitter's report of x's Queued event and wakes
// whoever waits for it. It is deferred, so that an Observe that panics
// leaves no worker waiting.
func (x *taskExt) reportedQueued() {
	if x.qstate.Swap(queuedReported) == queuedAwaited {
		close(x.qdone)
	}
}

// awaitQueued returns once x's Queued event has been reported, reporting it
// itself if the submitter has not begun to, before an event that follows it
// (Started, Dropped) is reported. o is p's observer.
func awaitQueued(o observe.Observer, x *taskExt) {
	for {
		switch x.qstate.Load() {
		case queuedUnreported:
			if x.qstate.CompareAndSwap(queuedUnreported, queuedReported) {
				o.Observe(observe.Event{Kind: observe.Queued})
				return
			}
		case queuedReporting:
			x.qdone = make(chan struct{})
			if x.qstate.CompareAndSwap(queuedReporting, queuedAwaited) {
				<-x.qdone
				return
			}
		default:
			return
		}
	}
}

// callExt runs an extended task with its context c (nil for a func()).
func (p *Pool) callExt(x *taskExt, c *taskCtx) error {
	if o := p.cfg.obs; o != nil {
		awaitQueued(o, x)
		x.start = time.Now()
		o.Observe(observe.Event{Kind: observe.Started, Wait: x.start.Sub(x.queued)})
	}
	if c == nil {
		if fn, ok := x.fn.(func()); ok {
			fn()
			return nil
		}
		return x.fn.(hook.Task).Run(c) // a Serial's func(), which has no context either
	}
	x.rc = runCtx{Context: c, c: c}
	if x.runTimeout > 0 {
		ctx, cancel := context.WithTimeoutCause(c, x.runTimeout, ErrRunTimeout)
		defer cancel()
		x.rc.Context = ctx
	}
	switch fn := x.fn.(type) {
	case func(context.Context) error:
		return fn(&x.rc)
	default:
		return fn.(hook.Task).Run(&x.rc)
	}
}

// observeEnd reports the end of an extended task that ran: err is what it
// returned (or its panic, or ErrGoexit), unless it delivered its own
// outcome. p.mu is not held.
func (p *Pool) observeEnd(x *taskExt, err error) {
	o := p.cfg.obs
	if o == nil {
		return
	}
	end := time.Now()
	if x.rc.delivered {
		err = x.rc.err
	}
	if outcomeOf(err) == panicked {
		o.Observe(observe.Event{Kind: observe.Panicked, Err: err})
	}
	o.Observe(observe.Event{Kind: observe.Finished, Wait: x.start.Sub(x.queued), Run: end.Sub(x.start), Err: err})
}

// observeDropped reports tasks discarded unrun, for reason. p.mu is not
// held.
func (p *Pool) observeDropped(xs []*taskExt, reason error) {
	o := p.cfg.obs
	if o == nil {
		return
	}
	now := time.Now()
	for _, x := range xs {
		awaitQueued(o, x)
		o.Observe(observe.Event{Kind: observe.Dropped, Wait: now.Sub(x.queued), Err: reason})
	}
}

// observe reports an event that carries no durations, if p is observed.
func (p *Pool) observe(k observe.Kind, err error) {
	if o := p.cfg.obs; o != nil {
		o.Observe(observe.Event{Kind: k, Err: err})
	}
}
