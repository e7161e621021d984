package pool

import (
	"context"
	"fmt"
	"sync"

	"github.com/weftgo/weft/internal/cond"
)

// A Pool runs tasks on at most limit worker goroutines at once, reusing the
// workers from task to task and letting them exit after an idle timeout.
// Tasks that find every worker busy wait in a queue, unbounded unless
// [WithQueueSize] bounds it.
//
// A Pool must be made with [New] and must not be copied after first use. All
// its methods are safe for concurrent use. Submitting a task synchronizes
// before the task starts; a task's return synchronizes before the
// [Pool.Wait], [Pool.Shutdown] or [Group.Wait] that waits for it returns.
//
// A task never crashes its worker: a panic becomes a [*PanicError] and a
// runtime.Goexit becomes [ErrGoexit], both delivered like any task error —
// to the task's [Group], to the handler set by [WithErrorHandler], or else
// kept until the next [Pool.Wait] or [Pool.Shutdown] returns them.
type Pool struct {
	_ noCopy

	mu      sync.Mutex
	limit   int
	workers int // live worker goroutines
	blocked int // workers parked in Group.Wait; they lend their slot
	running int // tasks executing
	idle    []*worker
	queue   taskQueue
	closed  bool

	space   *cond.Cond // submitters waiting for room
	settled *cond.Cond // Wait/Shutdown/Stop waiting for running == 0 && queue empty

	ctx    context.Context // what plain tasks receive; cancelled by Stop
	cancel context.CancelCauseFunc
	groups map[*Group]struct{} // groups with tasks outstanding, for Stop

	cfg  config
	errs []error // task errors kept for Wait
	st   counters
}

// task is one unit of work. Exactly one of plain and fn is set; keeping both
// shapes avoids wrapping func() in a closure on the fire-and-forget path.
type task struct {
	plain func()
	fn    func(context.Context) error
	g     *Group
}

// taskKey marks contexts given to tasks, so a Group made inside a task knows
// its Wait runs on a worker of the pool.
type taskKey struct{}

// New returns a pool that runs at most limit tasks at once. It starts no
// goroutines until tasks arrive. A limit below 1 panics.
func New(limit int, opts ...Option) *Pool {
	if limit < 1 {
		panic(fmt.Sprintf("pool: New(%d): limit must be at least 1", limit))
	}
	p := &Pool{limit: limit, cfg: defaultConfig(), groups: make(map[*Group]struct{})}
	for _, o := range opts {
		o.apply(&p.cfg)
	}
	p.space = cond.New(&p.mu)
	p.settled = cond.New(&p.mu)
	ctx, cancel := context.WithCancelCause(context.Background())
	p.ctx = context.WithValue(ctx, taskKey{}, p)
	p.cancel = cancel
	return p
}

// Go submits fn to run on the pool and returns without waiting for it to
// run. It blocks while a bounded queue is full. It returns [ErrClosed] once
// the pool is shutting down, in which case fn will not run. A panic in fn is
// reported as described on [Pool].
func (p *Pool) Go(fn func()) error {
	return p.submit(context.Background(), task{plain: fn}, true)
}

// Submit submits fn to run on the pool, blocking while a bounded queue is
// full until there is room or ctx is done. On failure it returns [ErrClosed]
// or context.Cause(ctx) and fn will not run. fn receives a context that
// [Pool.Stop] cancels; ctx only bounds the submission. A non-nil error from
// fn, or its panic, is reported as described on [Pool].
func (p *Pool) Submit(ctx context.Context, fn func(context.Context) error) error {
	return p.submit(ctx, task{fn: fn}, true)
}

// TrySubmit is like [Pool.Submit] but never blocks: when the task cannot be
// started or queued at once it returns [ErrQueueFull].
func (p *Pool) TrySubmit(fn func(context.Context) error) error {
	return p.submit(context.Background(), task{fn: fn}, false)
}

// submit places t with an idle worker, a new worker, or the queue, in that
// order, waiting for room if block is set.
func (p *Pool) submit(ctx context.Context, t task, block bool) error {
	if t.plain == nil && t.fn == nil {
		panic("pool: nil task")
	}
	p.mu.Lock()
	for {
		if p.closed {
			p.st.rejected++
			p.mu.Unlock()
			return ErrClosed
		}
		if len(p.idle) > 0 {
			w := p.popIdle()
			p.accept(t)
			p.running++
			p.mu.Unlock()
			w.wake <- t // never blocks: an idle worker's channel is empty
			return nil
		}
		if p.workers-p.blocked < p.limit {
			p.workers++
			p.accept(t)
			p.running++
			p.mu.Unlock()
			p.startWorker(t)
			return nil
		}
		if p.cfg.queueSize < 0 || p.queue.len() < p.cfg.queueSize {
			p.queue.push(t)
			p.accept(t)
			p.mu.Unlock()
			return nil
		}
		if !block {
			p.st.rejected++
			p.mu.Unlock()
			return ErrQueueFull
		}
		if err := p.space.Wait(ctx); err != nil {
			p.st.rejected++
			p.mu.Unlock()
			return err
		}
	}
}

// accept counts a task the pool has taken on. p.mu is held.
func (p *Pool) accept(t task) {
	p.st.submitted++
	if t.g != nil {
		t.g.add()
	}
}

// Resize changes the number of tasks that may run at once. Growing starts
// workers for queued tasks at once; shrinking never interrupts a task: busy
// workers above the new limit exit as their tasks end. A limit below 1
// panics.
func (p *Pool) Resize(limit int) {
	if limit < 1 {
		panic(fmt.Sprintf("pool: Resize(%d): limit must be at least 1", limit))
	}
	p.mu.Lock()
	p.limit = limit
	for len(p.idle) > 0 && p.workers-p.blocked > p.limit {
		p.retireIdle()
	}
	start := p.takeStartable()
	p.mu.Unlock()
	for _, t := range start {
		p.startWorker(t)
	}
}

// takeStartable moves queued tasks to new workers while the limit allows,
// returning the tasks to start once p.mu is released. p.mu is held.
func (p *Pool) takeStartable() []task {
	var start []task
	for p.queue.len() > 0 && p.workers-p.blocked < p.limit {
		p.workers++
		p.running++
		start = append(start, p.queue.pop())
	}
	if len(start) > 0 || p.cfg.queueSize == 0 {
		p.space.Broadcast() // room in the queue, or workers to hand off to
	}
	return start
}

// Limit reports the current limit on tasks running at once.
func (p *Pool) Limit() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.limit
}

// retireIdle tells the most recently idled worker to exit. p.mu is held.
func (p *Pool) retireIdle() {
	w := p.popIdle()
	p.workers--
	w.wake <- task{} // the empty task means "exit"
}

// noCopy lets go vet's copylocks check flag copies of a Pool.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
