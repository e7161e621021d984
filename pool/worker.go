package pool

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weftgo/weft/internal/hook"
	"github.com/weftgo/weft/internal/panics"
	"github.com/weftgo/weft/internal/shake"
)

// worker is one goroutine's loop of tasks, taken from the pool's queue.
// While idle it sits in p.idle and parks on wake, so waking it costs one
// channel send and it is durably blocked inside a testing/synctest bubble.
type worker struct {
	p      *Pool
	wake   chan bool    // capacity 1: true means "look at the queue", false "exit"
	idleAt atomic.Int64 // while idle: when it went idle (see idleClock), or 0 until it notes it
	wid    uint32       // its slot of WorkerState values; 0: the pool has none

	// A wake-up the worker reserved (see woke and ended) and performs once
	// it has released p.mu: another worker to wake, or one to start.
	next      *worker
	startNext bool

	yielded bool // it yielded (see yield) since it last took a task
}

// startWorker starts a worker reserved by wakeLocked (counted in p.workers
// and p.waking).
func (p *Pool) startWorker() {
	w := &worker{p: p, wake: make(chan bool, 1)}
	if p.cfg.states != nil {
		w.wid = p.cfg.states.add()
	}
	go w.serve(task{}, nil, nil, false)
}

// serve settles the task that just ended (none at start; c is its context,
// if it had one) and then runs tasks from the queue until the worker must
// exit.
func (w *worker) serve(done task, c *taskCtx, err error, goexit bool) {
	p := w.p
	if done.fn == nil {
		w.letOthersFirst()
		p.lockVia(p.workerGate)
		w.woke()
	} else {
		p.ended(done, c, err, goexit, false)
	}
	for {
		switch {
		case p.workers-p.blocked > p.limit:
			if w.next == nil && !w.startNext {
				// A Serial's task that ended may have queued its key's
				// next task for this worker to take (see finish).
				w.next, w.startNext = p.wakeLocked()
			}
			p.retireAndUnlock()
			w.wakeNext()
			w.exit()
			return
		case p.queue.len() > 0:
			if p.expArmed {
				// A task whose queue timeout has passed must not start.
				if es := p.expireLocked(time.Now()); es != nil {
					p.mu.Unlock()
					p.reportExpired(es)
					p.mu.Lock()
					continue
				}
			}
			var t task
			if p.queue.inRing > 0 {
				t = p.queue.popRing()
				if p.expArmed {
					p.disarmExpiryLocked()
				}
			} else {
				t = p.queue.pop()
			}
			p.running++
			p.space.Signal()
			p.mu.Unlock()
			w.yielded = false
			w.wakeNext()
			shake.Point(shake.PoolStart)
			c, err := w.run(t)
			shake.Point(shake.PoolEnd)
			p.ended(t, c, err, false, false)
			continue
		case p.closed:
			p.retireAndUnlock()
			w.wakeNext()
			w.exit()
			return
		}
		if w.yield() {
			continue
		}
		if !w.park() {
			w.exit()
			return
		}
	}
}

// yieldNow is runtime.Gosched, replaced by tests that act while a worker
// yields.
var yieldNow = runtime.Gosched

// yield is what a worker that finds the queue empty does once before it
// parks, when no other wake-up is in flight: it counts itself in p.waking,
// as a worker on its way to the queue, releases p.mu and lets the
// goroutines ready to run go first (runtime.Gosched). Submitters among them
// queue their tasks without waking anyone, since a worker is on its way,
// and the worker takes the tasks when it comes back, fanning out wake-ups
// as a woken worker does. Parked instead, it would cost each of them a
// wake-up: a channel send, and a switch to the woken worker before the
// next submitter runs. Measured in the benchmarks module side by side with
// the revision before (BASE=82a123b ./run.sh 'Pool|PondSuite|Future' 10,
// medians): pond's tiny tasks from 100,000 submitters of one task each
// 164 → 104 ms and 26 → 15 MiB at the peak, from 10,000 submitters 36 →
// 30 ms; a future's round trip on a pool 640 → 492 ns. No other row moved
// beyond its noise (the most, FutureThroughput, +6% at p=0.09); the tiny
// tasks' scenarios allocate more, as tasks queued during a yield grow the
// queue's buffer.
//
// p.mu is held on entry and on return. yield reports whether the worker
// yielded; if it did not, p.mu was not released. It never yields in
// hand-off mode, where every submitter wakes a worker of its own anyway.
func (w *worker) yield() bool {
	p := w.p
	if w.yielded || p.waking > 0 || p.cfg.queueSize == 0 {
		return false
	}
	w.yielded = true
	p.waking++
	p.mu.Unlock()
	w.wakeNext()
	shake.Point(shake.PoolYield)
	yieldNow()
	p.lockVia(p.workerGate)
	w.woke()
	return true
}

// startYield is runtime.Gosched, replaced by tests that count the yields
// of letOthersFirst.
var startYield = runtime.Gosched

// letOthersFirst is what a worker just started or woken does in a large
// pool before it takes the lock: it yields once, so that the goroutines
// already ready to run go first. Starting or waking a goroutine readies it
// to run next on the waker's processor, in what is left of the waker's time
// slice; a woken worker that wakes the next (see woke) passes the slice on,
// so a chain of workers can keep a processor to itself for a whole slice
// (10 ms) while the goroutines behind it wait, and when those are
// submitters, they pile up, each with its stack. Measured by
// BenchmarkPondSuite in the benchmarks module (interleaved runs of builds
// with and without it): sleeping tasks from 100,000 submitters of one each,
// peak memory 1.31 → 0.90 times pond's and time 0.99 → 0.89 times
// errgroup's (4 rounds; 8 rounds against yielding only when woken: 1.08 →
// 0.96 and 0.84 → 0.90); the other nine scenarios within their noise. In a
// small pool there is no such line to let through.
func (w *worker) letOthersFirst() {
	if w.p.large.Load() {
		startYield()
	}
}

// woke accounts for a worker that was woken or started and now looks at
// the queue; if more tasks wait than workers are on their way, it reserves
// one more wake-up, so wake-ups fan out from worker to worker instead of all
// being paid by the submitter. p.mu is held; the worker performs the
// wake-up with wakeNext once it has released p.mu.
func (w *worker) woke() {
	p := w.p
	p.waking--
	if p.queue.len() > 1+p.waking {
		w.next, w.startNext = p.wakeLocked()
	}
}

// wakeNext performs the wake-up woke reserved, if any. p.mu is not held:
// waking a goroutine can cost a system call (to start a thread for it),
// and under the pool's lock that would stall every worker and submitter
// queued on the lock behind it — with thousands of workers, a convoy.
func (w *worker) wakeNext() {
	if w.next != nil || w.startNext {
		w.p.startWake(w.next, w.startNext)
		w.next, w.startNext = nil, false
	}
}

// run runs t (see call). A task that calls runtime.Goexit takes the
// worker's goroutine with it, so the worker carries on in a fresh
// goroutine, which settles t first: the pool keeps its size.
func (w *worker) run(t task) (*taskCtx, error) {
	if w.wid != 0 {
		t = bindWorker(t, w.wid)
	}
	return w.p.call(t, func(c *taskCtx) { go w.serve(t, c, ErrGoexit, true) })
}

// call runs t on the calling goroutine and returns the context it gave the
// task (nil for a func()) and the task's error: a *PanicError if it
// panicked. If the task calls runtime.Goexit, call cannot return: goexit is
// called instead, with the task's context, on the goroutine on its way out.
// Every task runs here, so it uses panics.Guard rather than panics.Run,
// whose closures cost about 5% of a group's fan-out (BenchmarkGroup).
func (p *Pool) call(t task, goexit func(c *taskCtx)) (c *taskCtx, err error) {
	c = t.c
	if c != nil && c == &c.s.fresh {
		c = newRunCtx(t, 0) // every run has a context of its own
	}
	var g panics.Guard[PanicError]
	defer g.Catch(&err, func() { goexit(c) })
	switch fn := t.fn.(type) {
	case func():
		fn()
	case func(context.Context) error:
		err = fn(c)
	case *taskExt:
		err = p.callExt(fn, c)
	default:
		err = fn.(hook.Task).Run(c)
	}
	g.Returned()
	return c, err
}

// ended settles a run of t that ended with err (goexit: by
// runtime.Goexit): its context's resources are released, its error is
// reported and the run is accounted for. p.mu is not held on entry, and is
// held on return. wake and the wake-up returned are finish's.
func (p *Pool) ended(t task, c *taskCtx, err error, goexit, wake bool) (w *worker, spawn bool) {
	c.end()
	kind, report := c.settle(err, goexit)
	p.report(t, report)
	if x, ok := t.fn.(*taskExt); ok {
		p.observeEnd(x, err)
	}
	p.lockVia(p.workerGate)
	return p.finish(t, c, kind, report, wake)
}

// runInSlot runs t, submitted by the run caller, in caller's slot, and
// returns once t has ended. p.mu is held on entry (caller holds its slot and
// no worker is free) and released on return.
//
// t runs on a goroutine of its own while the caller waits, rather than on
// the caller's goroutine: a runtime.Goexit in t then ends t alone, and t's
// panic, error and Goexit are settled exactly as on a worker. The caller is
// suspended meanwhile, so it lends its slot to no one else, and the count of
// tasks executing stays within the limit.
func (p *Pool) runInSlot(t task, caller *taskCtx) {
	p.st.submitted++
	p.running++
	if g := t.group(); g != nil {
		g.add()
	}
	caller.state = suspended
	p.mu.Unlock()
	shake.Point(shake.PoolCallerRuns)
	if x, ok := t.fn.(*taskExt); ok {
		p.reportQueued(x)
	}
	if caller.wid != 0 {
		t = bindWorker(t, caller.wid) // the caller is suspended: its worker's values are free
	}

	var wg sync.WaitGroup
	wg.Go(func() {
		c, err := p.call(t, func(c *taskCtx) {
			w, spawn := p.ended(t, c, ErrGoexit, true, true)
			p.mu.Unlock()
			p.startWake(w, spawn)
		})
		w, spawn := p.ended(t, c, err, false, true)
		p.mu.Unlock()
		p.startWake(w, spawn)
	})
	wg.Wait()

	p.mu.Lock()
	if caller.state == suspended {
		caller.state = holding
	}
	p.mu.Unlock()
}

// park idles the worker until it is woken, or retired by the reaper once
// its idle timeout has passed. p.mu is held on entry, and again on return
// when park returns true (go on serving). It returns false, with p.mu
// released and the worker retired, when the worker should exit.
func (w *worker) park() bool {
	p := w.p
	p.pushIdle(w)
	if p.cfg.queueSize == 0 {
		p.space.Signal() // hand-off mode: a blocked submitter can use us
	}
	p.mu.Unlock()
	w.idleAt.Store(p.idleClock())
	w.wakeNext()
	shake.Point(shake.PoolPark)
	if !<-w.wake {
		return false // retired: p.workers was already decremented
	}
	shake.Point(shake.PoolWoken)
	w.letOthersFirst()
	p.lockVia(p.workerGate)
	w.woke()
	return true
}

// retireAndUnlock retires the calling worker; p.mu is held on entry and
// released on return.
func (p *Pool) retireAndUnlock() {
	p.workers--
	p.notifySettled()
	p.mu.Unlock()
}

// finish accounts for a task that ended: kind is the counter it goes to,
// and report, if not nil, goes to the task's group or is kept for Wait
// (unless the error handler took it). c is the task's context, if it had
// one: its run has ended. p.mu is held.
//
// If t was a Serial's task, the next task of its key is queued. A worker
// that ran t takes it itself, as it goes on to the queue (or passes it on
// if it retires), so it sets no wake; any other caller sets wake, and
// finish returns the wake-up reserved for the task, which the caller
// performs once it has released p.mu, like every wake-up in the pool.
func (p *Pool) finish(t task, c *taskCtx, kind outcome, report error, wake bool) (w *worker, spawn bool) {
	if c != nil {
		c.state = ended
	}
	if p.parked.serials {
		if k, ok := t.inner().(keyedTask); ok {
			w, spawn = k.endedLocked(wake)
		}
	}
	p.running--
	switch kind {
	case completed:
		p.st.completed++
	case panicked:
		p.st.panicked++
	default:
		p.st.failed++
	}
	if g := t.group(); g != nil {
		g.taskDone(report)
	} else if report != nil && p.cfg.onError == nil {
		p.errs = append(p.errs, report)
	}
	p.notifySettled()
	return w, spawn
}

// report passes a fire-and-forget task's error to the user's handler, if
// there is one, keeping the handler's own panic for Wait rather than losing
// it or the worker. p.mu is not held.
func (p *Pool) report(t task, err error) {
	if err == nil || t.group() != nil || p.cfg.onError == nil {
		return
	}
	if herr := panics.Run[PanicError](func() error { p.cfg.onError(err); return nil }, nil); herr != nil {
		p.mu.Lock()
		p.errs = append(p.errs, herr)
		p.mu.Unlock()
	}
}

// notifySettled wakes Wait, Shutdown and Stop when what they wait for may
// have happened. p.mu is held.
func (p *Pool) notifySettled() {
	if p.settled.Waiters() > 0 && (p.workers == 0 || p.running == 0 && p.queue.len() == 0) {
		p.settled.Broadcast()
	}
}
