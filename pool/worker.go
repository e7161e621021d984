package pool

import (
	"context"
	"time"

	"github.com/weftgo/weft/internal/panics"
)

// worker is one goroutine's loop of tasks. While idle it sits in p.idle and
// parks on wake, so waking it costs one channel send and it is durably
// blocked inside a testing/synctest bubble.
type worker struct {
	p     *Pool
	wake  chan task // capacity 1; an empty task means "exit"
	idx   int       // position in p.idle, or -1 while busy
	timer *time.Timer
}

func (p *Pool) startWorker(t task) {
	w := &worker{p: p, wake: make(chan task, 1), idx: -1}
	go w.loop(t)
}

func (w *worker) loop(t task) {
	for {
		err := w.run(t)
		var ok bool
		if t, ok = w.next(t, err); !ok {
			return
		}
	}
}

// run calls the task, turning a panic into a *PanicError. A task that calls
// runtime.Goexit takes this goroutine with it, so the deferred function
// carries the worker on in a fresh goroutine: the pool keeps its size.
func (w *worker) run(t task) (err error) {
	returned := false
	defer func() {
		if returned {
			return
		}
		if v := recover(); v != nil {
			err = panics.New(v)
			return
		}
		go w.resume(t)
	}()
	if t.plain != nil {
		t.plain()
	} else {
		err = t.fn(w.p.taskContext(t))
	}
	returned = true
	return err
}

func (w *worker) resume(t task) {
	if next, ok := w.next(t, ErrGoexit); ok {
		w.loop(next)
	}
}

func (p *Pool) taskContext(t task) context.Context {
	if t.g != nil {
		return t.g.ctx
	}
	return p.ctx
}

// next settles the task that just ended and returns the worker's next task,
// parking the worker while there is none. It returns false when the worker
// should exit.
func (w *worker) next(done task, err error) (task, bool) {
	p := w.p
	if err != nil && done.g == nil && p.cfg.onError != nil {
		p.handle(err)
	}
	p.mu.Lock()
	p.finish(done, err)
	switch {
	case p.workers-p.blocked > p.limit:
		return task{}, p.exitLocked()
	case p.queue.len() > 0:
		t := p.queue.pop()
		p.running++
		p.space.Signal()
		p.mu.Unlock()
		return t, true
	case p.closed:
		return task{}, p.exitLocked()
	}
	p.pushIdle(w)
	if p.cfg.queueSize == 0 {
		p.space.Signal() // hand-off mode: a blocked submitter can use us
	}
	p.mu.Unlock()
	t, ok := w.park()
	if !ok {
		p.mu.Lock()
		if w.idx >= 0 { // timed out and nobody picked us meanwhile
			p.removeIdle(w)
			return task{}, p.exitLocked()
		}
		p.mu.Unlock()
		t = <-w.wake // picked (or retired) just as the timer fired
	}
	return t, t.plain != nil || t.fn != nil
}

// park waits for a task or the idle timeout; ok is false on timeout.
func (w *worker) park() (t task, ok bool) {
	d := w.p.cfg.idleTimeout
	if w.timer == nil {
		w.timer = time.NewTimer(d)
	} else {
		w.timer.Reset(d)
	}
	select {
	case t = <-w.wake:
		w.timer.Stop()
		return t, true
	case <-w.timer.C:
		return task{}, false
	}
}

// exitLocked retires the calling worker and unlocks p.mu. It returns false
// so callers can write "return task{}, p.exitLocked()".
func (p *Pool) exitLocked() bool {
	p.workers--
	p.notifySettled()
	p.mu.Unlock()
	return false
}

// finish accounts for a task that ended. p.mu is held.
func (p *Pool) finish(t task, err error) {
	p.running--
	switch err.(type) {
	case nil:
		p.st.completed++
	case *PanicError:
		p.st.panicked++
	default:
		p.st.failed++
	}
	if t.g != nil {
		t.g.taskDone(err)
	} else if err != nil && p.cfg.onError == nil {
		p.errs = append(p.errs, err)
	}
	p.notifySettled()
}

// handle passes a task error to the user's handler, keeping the handler's
// own panic for Wait rather than losing it or the worker.
func (p *Pool) handle(err error) {
	if herr := panics.Run(func() error { p.cfg.onError(err); return nil }, nil); herr != nil {
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

func (p *Pool) pushIdle(w *worker) {
	w.idx = len(p.idle)
	p.idle = append(p.idle, w)
}

// popIdle takes the most recently idled worker, whose stack is warmest.
func (p *Pool) popIdle() *worker {
	n := len(p.idle) - 1
	w := p.idle[n]
	p.idle[n] = nil
	p.idle = p.idle[:n]
	w.idx = -1
	return w
}

// removeIdle takes w out of p.idle in O(1) by moving the last idle worker
// into its place.
func (p *Pool) removeIdle(w *worker) {
	n := len(p.idle) - 1
	last := p.idle[n]
	p.idle[w.idx] = last
	last.idx = w.idx
	p.idle[n] = nil
	p.idle = p.idle[:n]
	w.idx = -1
}
