package pool

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weftgo/weft/internal/cond"
	"github.com/weftgo/weft/internal/shake"
	"github.com/weftgo/weft/observe"
)

// A Pool runs tasks on at most limit worker goroutines at once, reusing the
// workers from task to task and letting them exit after an idle timeout.
// Tasks that find every worker busy wait in a queue, unbounded unless
// [WithQueueSize] bounds it.
//
// A Pool must be made with [New]: the zero value is not usable, and its
// methods panic. A Pool must not be copied after first use. All its methods
// are safe for concurrent use. Submitting a task synchronizes
// before the task starts; a task's return synchronizes before the
// [Pool.Wait], [Pool.Shutdown] or [Group.Wait] that waits for it returns.
//
// A task never crashes its worker: a panic becomes a [*PanicError] and a
// runtime.Goexit becomes [ErrGoexit], both delivered like any task error —
// to the task's [Group], to the handler set by [WithErrorHandler], or else
// kept until the next [Pool.Wait] or [Pool.Shutdown] returns them.
type Pool struct {
	_ noCopy

	// The counters below are guarded by mu, and between critical sections:
	//
	//   - Every task accepted is queued, running, or counted as ended:
	//     st.submitted == st.completed + st.failed + st.panicked +
	//     st.dropped + st.expired + running + queue.len() + parked.n. An
	//     expired task is counted in st.expired when it leaves the queue,
	//     and in expiring until it has been reported (reportExpired).
	//   - workers counts worker goroutines from the moment wakeLocked
	//     reserves one to the moment it exits; idle.len() <= workers, the
	//     idle ones are parked in park with an empty wake channel, and
	//     while any is idle and the pool is open, the reaper is armed.
	//   - blocked counts runs parked in Group.Wait that lend their slot;
	//     workers-blocked is the slots in use. It is at most limit, except
	//     transiently: after SetLimit shrinks (busy workers above the limit
	//     exit when their task ends) and when a run whose slot was lent
	//     resumes while its borrower still runs.
	//   - running counts runs started and not ended, including runs
	//     suspended while a nested task runs in their slot (runInSlot, whose
	//     task is counted too, without a worker of its own) and runs that
	//     lend their slot; so it may exceed limit.
	//   - waking counts workers woken or started that have not yet looked
	//     at the queue, and a worker that yields before it parks (see
	//     yield); a wake-up is sent only while queue.len() > waking, so
	//     each queued task has at most one wake-up on its way.
	//   - closed never goes back to false. Once it is set no task is
	//     accepted, idle workers have been told to exit, and a busy worker
	//     exits when it finds the queue empty: workers reaches 0 once the
	//     accepted work is done, which is what Shutdown and Stop wait for.
	mu      sync.Mutex
	limit   int
	workers int // live worker goroutines
	blocked int // runs parked in Group.Wait; they lend their slot
	running int // tasks executing
	waking  int // workers woken, started or yielding that have not looked at the queue yet
	idle    idleList
	queue   taskQueue
	closed  bool

	born      time.Time   // the start of idleClock
	reaper    *time.Timer // fires reap; made on first use
	reapArmed bool        // reaper will fire

	expiring int         // tasks expired from the queue and not yet reported
	expTimer *time.Timer // fires expireByTimer; made on first use
	expAt    time.Time   // when expTimer is armed for; zero if not armed
	expArmed bool        // !expAt.IsZero(), one load for the hot path

	// Places for the submitters and the workers that wait on mu; the
	// others wait to take one (see lockVia).
	submitGate chan struct{}
	workerGate chan struct{}
	large      atomic.Bool // isLarge(limit), read without mu by lockVia

	space   *cond.Cond // submitters waiting for room
	settled *cond.Cond // Wait/Shutdown/Stop waiting for running == 0 && queue empty && expiring == 0

	ctx    context.Context // parent of the contexts of tasks outside groups; canceled by Stop
	cancel context.CancelCauseFunc
	root   scope               // the scope of tasks outside groups
	groups map[*Group]struct{} // groups with tasks outstanding, for Stop
	parked parkedSet           // tasks of Serials waiting behind their keys

	cfg  config
	errs []error // task errors kept for Wait
	st   counters
}

// task is one unit of work, kept to three words because a queue may hold
// millions of them. fn is a func() (Go), a func(context.Context) error (the
// other submits) or a hook.Task (a future's); holding each as it is avoids
// wrapping it in a closure. c is nil for a func(); otherwise it is the
// context of the task's run if the submit made it (a task with a parent
// context, see newTaskCtx), or its scope's fresh placeholder, for which the
// run makes a context when it starts. Either way c.s is the task's scope.
type task struct {
	fn any
	c  *taskCtx
}

// group returns the task's group, or nil.
func (t *task) group() *Group {
	if t.c == nil {
		return nil
	}
	return t.c.s.g
}

// A scope is what a task belongs to: the pool itself, or one of its
// groups. Its context is the one Stop cancels (and for a group, also a
// fail-fast error and Wait). A task of the scope queued with fresh as its
// context gets a taskCtx of its own when it starts: so a task with no
// parent context costs its allocation on the worker, as the taskCtx of a
// pool task made at run does, not on the submitter.
type scope struct {
	p     *Pool
	g     *Group // nil for the pool's own scope
	ctx   context.Context
	fresh taskCtx // never handed to a task: a placeholder in the queue
}

// New returns a pool that runs at most limit tasks at once. It starts no
// goroutines until tasks arrive. A limit below 1 panics.
func New(limit int, opts ...Option) *Pool {
	if limit < 1 {
		panic(fmt.Sprintf("pool: New(%d): limit must be at least 1", limit))
	}
	p := &Pool{limit: limit, cfg: defaultConfig(), groups: make(map[*Group]struct{}), born: time.Now()}
	p.large.Store(isLarge(limit))
	for _, o := range opts {
		if o == nil {
			panic("pool: nil Option")
		}
		o.apply(&p.cfg)
	}
	p.space = cond.New(&p.mu)
	p.submitGate = make(chan struct{}, submitGateSize())
	p.workerGate = make(chan struct{}, workerGateSize())
	p.settled = cond.New(&p.mu)
	p.ctx, p.cancel = context.WithCancelCause(context.Background())
	p.root = scope{p: p, ctx: p.ctx}
	p.root.fresh.s = &p.root
	return p
}

// made panics unless p was made with New. It reads only what New sets and
// nothing changes afterwards, so it needs no lock and runs before any.
func (p *Pool) made() {
	if p == nil {
		panic("pool: nil *Pool")
	}
	if p.space == nil {
		panic("pool: Pool must be made with New")
	}
}

func checkCtx(ctx context.Context) {
	if ctx == nil {
		panic("pool: nil Context")
	}
}

// Go submits fn to run on the pool and returns without waiting for it to
// run. It blocks while a bounded queue is full. It returns [ErrClosed] once
// the pool is shutting down, in which case fn will not run. A panic in fn is
// reported as described on [Pool]. opts configure the task (see
// [TaskOption]); [RunTimeout] panics here, since fn has no context.
//
// Go has no context, so it cannot tell a task of p calling it from any other
// caller: from inside a task, submit with [Pool.Submit] and the task's
// context, which never deadlocks a saturated pool (see [Pool.Submit]).
func (p *Pool) Go(fn func(), opts ...TaskOption) error {
	p.made()
	if fn == nil {
		panic("pool: nil func")
	}
	return p.submit(context.Background(), task{fn: fn}, true, nil, opts)
}

// Submit submits fn to run on the pool, blocking while a bounded queue is
// full until there is room or ctx is done. On failure it returns [ErrClosed]
// or context.Cause(ctx) and fn will not run. A non-nil error from fn, or its
// panic, is reported as described on [Pool]. opts configure the task: its
// [Priority], [QueueTimeout] and [RunTimeout].
//
// ctx is the parent of the context fn receives: its values and deadline
// reach fn, and fn's context is done when ctx is done or [Pool.Stop] is
// called (context.Cause is then [ErrStopped]), whichever comes first. The
// two are joined only when fn first looks at its context (or passes it to a
// submit of p, which looks at it), so if both have happened by then, the
// cause is ctx's, whatever the order. A task still queued when ctx ends is
// not dropped: it runs, exactly once, with its context already done, and
// decides what to do about it. A ctx that can never
// be canceled (ctx.Done() returns nil, as for context.Background and
// context.WithoutCancel) costs nothing; one that can costs a few small
// allocations when fn first waits on its context (see Costs in the package
// documentation). fn's context may be done once fn has returned: work that
// outlives fn must not use it.
//
// Called from a task of p with the context that task received (or one
// derived from it), Submit never waits for a worker that the caller itself
// may be keeping busy: when no worker can start fn at once, fn runs in the
// caller's slot instead — on a goroutine of its own while the caller waits,
// so the pool's limit holds — and Submit returns once fn has returned. fn's
// error still goes where a task's error goes, not to the caller. So fn must
// not wait for anything the caller does after Submit. See "Tasks that wait
// on tasks" in the package documentation.
func (p *Pool) Submit(ctx context.Context, fn func(context.Context) error, opts ...TaskOption) error {
	p.made()
	checkCtx(ctx)
	if fn == nil {
		panic("pool: nil func")
	}
	return p.submitCtx(ctx, fn, opts)
}

// submitCtx is Submit for any kind of task (see task.fn).
func (p *Pool) submitCtx(ctx context.Context, fn any, opts []TaskOption) error {
	caller := p.callerOf(ctx)
	return p.submit(ctx, task{fn: fn, c: newTaskCtx(&p.root, ctx, caller)}, true, caller, opts)
}

// TrySubmit is like [Pool.Submit] but never blocks: when the task cannot be
// started or queued at once it returns [ErrQueueFull]. Having no context,
// it never runs fn in its caller's slot, and fn's context is canceled only
// by [Pool.Stop] (or its [RunTimeout]). opts configure the task, as for
// Submit.
func (p *Pool) TrySubmit(fn func(context.Context) error, opts ...TaskOption) error {
	p.made()
	if fn == nil {
		panic("pool: nil func")
	}
	return p.submit(context.Background(), task{fn: fn, c: &p.root.fresh}, false, nil, opts)
}

// submit queues t and wakes a worker for it, waiting for room (until ctx is
// done) if block is set. A task is accepted while the queue holds fewer than
// the queue bound plus the workers free to take a task at once.
//
// caller is the run of p that is submitting, if the submitter identified
// itself. When no worker is free to start t at once, a caller that holds its
// slot runs t there (runInSlot) rather than queue t or wait: the slot it
// would wait for may be its own, and a task it then waits for (on a
// channel, a future, a Group) could never start.
func (p *Pool) submit(ctx context.Context, t task, block bool, caller *taskCtx, opts []TaskOption) error {
	shake.Point(shake.PoolSubmit)
	var x *taskExt
	prio := 0
	if len(opts) > 0 || p.cfg.obs != nil {
		x, prio = p.prepare(&t, opts)
	}
	p.lockVia(p.submitGate)
	for {
		if p.closed {
			p.st.rejected++
			p.mu.Unlock()
			p.observe(observe.Rejected, ErrClosed)
			return ErrClosed
		}
		if caller == nil {
			if p.cfg.queueSize < 0 || p.queue.len() < p.cfg.queueSize+p.freeWorkers() {
				break
			}
		} else if p.queue.len() < p.freeWorkers() {
			break // a worker can start it at once
		} else if caller.state == holding {
			if x != nil && p.cfg.obs != nil {
				x.queued = time.Now()
			}
			p.runInSlot(t, caller)
			return nil
		} else if p.cfg.queueSize < 0 || p.queue.len() < p.cfg.queueSize+p.freeWorkers() {
			break
		}
		if !block {
			p.st.rejected++
			p.mu.Unlock()
			p.observe(observe.Rejected, ErrQueueFull)
			return ErrQueueFull
		}
		err := t.group().failedErr()
		if err == nil {
			err = p.space.Wait(ctx)
			if err == nil {
				// A failed fail-fast group takes no more waiting, even if
				// room came with the failure.
				err = t.group().failedErr()
			}
		}
		if err != nil {
			p.st.rejected++
			p.mu.Unlock()
			p.observe(observe.Rejected, err)
			return err
		}
	}
	switch {
	case x != nil:
		p.queueExt(t, x, prio)
	case prio != 0 || p.queue.inRing > 0:
		p.queue.pushPrio(t, prio, nil)
	default:
		p.queue.push(t)
	}
	p.st.submitted++
	if g := t.group(); g != nil {
		g.add()
	}
	// Waking a parked goroutine costs far more than a queue push, so while
	// one wake-up is in flight the submitter only queues: the woken worker
	// fans out further wake-ups if the queue is still long when it starts.
	// In hand-off mode every task gets its own worker at once.
	var w *worker
	var spawn bool
	if p.waking == 0 || p.cfg.queueSize == 0 {
		w, spawn = p.wakeLocked()
	}
	p.mu.Unlock()
	shake.Point(shake.PoolWake)
	if x != nil {
		p.reportQueued(x)
	}
	p.startWake(w, spawn)
	return nil
}

// freeWorkers counts workers that can take a task at once: idle, being
// woken, or not yet started. Idle and waking workers over the limit (a
// run whose slot was lent resumed while its borrower still runs) do not
// count: they exit rather than take a task. p.mu is held.
func (p *Pool) freeWorkers() int {
	return max(0, p.idle.len()+p.waking+p.limit-(p.workers-p.blocked))
}

// wakeLocked picks an idle worker to wake, or reserves a new worker to
// start, if a queued task lacks one. p.mu is held; the caller passes the
// result to startWake after unlocking.
func (p *Pool) wakeLocked() (w *worker, spawn bool) {
	if p.queue.len() <= p.waking {
		return nil, false
	}
	if p.idle.len() > 0 {
		p.waking++
		return p.idle.pop(), false
	}
	if p.workers-p.blocked < p.limit {
		p.waking++
		p.workers++
		return nil, true
	}
	return nil, false
}

func (p *Pool) startWake(w *worker, spawn bool) {
	if w != nil {
		w.wake <- true // never blocks: an idle worker's channel is empty
	} else if spawn {
		p.startWorker()
	}
}

// SetLimit changes the number of tasks that may run at once. Growing starts
// workers for queued tasks at once; shrinking never interrupts a task: busy
// workers above the new limit exit as their tasks end. A limit below 1
// panics.
func (p *Pool) SetLimit(limit int) {
	p.made()
	if limit < 1 {
		panic(fmt.Sprintf("pool: SetLimit(%d): limit must be at least 1", limit))
	}
	p.mu.Lock()
	p.limit = limit
	p.large.Store(isLarge(limit))
	p.retireOverLimit()
	p.space.Broadcast() // the room for submitters may have grown
	p.mu.Unlock()
	p.wakeForQueue()
}

// wakeForQueue wakes or starts workers for every queued task that lacks
// one, as far as the limit allows.
func (p *Pool) wakeForQueue() {
	for {
		p.mu.Lock()
		w, spawn := p.wakeLocked()
		p.mu.Unlock()
		if w == nil && !spawn {
			return
		}
		p.startWake(w, spawn)
	}
}

// Limit reports the current limit on tasks running at once.
func (p *Pool) Limit() int {
	p.made()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.limit
}

// retireOverLimit retires idle workers while there are more workers than
// the limit (after SetLimit shrinks it, or a lent slot comes back). p.mu is
// held.
func (p *Pool) retireOverLimit() {
	for p.idle.len() > 0 && p.workers-p.blocked > p.limit {
		p.retireIdle()
	}
}

// retireIdle tells the most recently idled worker to exit. p.mu is held.
func (p *Pool) retireIdle() {
	w := p.idle.pop()
	p.workers--
	w.wake <- false
}

// noCopy lets go vet's copylocks check flag copies of a Pool.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
