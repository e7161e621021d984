package pool

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/weftgo/weft/internal/panics"
)

// A WorkerState gives every worker goroutine of a [Pool] its own value of
// type S — a buffer, a connection, a client — that tasks reach through the
// context they receive, with no global and no lock: Python's
// ThreadPoolExecutor(initializer=…) with threading.local, typed.
//
// A WorkerState is made with [NewWorkerState] and given to pools with
// [WithWorkerState]; the zero value is not usable. It holds no values
// itself, only how to make and release them, so one WorkerState may serve
// several pools, each worker of each pool having its own value. Its methods
// are safe for concurrent use.
//
// A worker's value is made lazily, by the first [WorkerState.Get] of a task
// running on that worker, so workers whose tasks never call Get cost
// nothing; it then serves every later task of that worker, and is released
// once, on the worker's goroutine, when the worker exits: after its idle
// timeout, when [Pool.SetLimit] lowers the limit, or when the pool shuts
// down. [Pool.Shutdown] and [Pool.Stop] return only after every value made
// has been released. The making of a value synchronizes before every Get
// that returns it, and each of those Gets' task's return synchronizes before
// its release.
//
// Get costs a context lookup and no allocation once the value is made; a
// pool without a WorkerState pays nothing: the worker a run belongs to
// travels in padding its context already has.
//
// No two tasks running at once get the same value: a worker runs one task
// at a time, and a task that runs in its caller's slot (see [Pool.Submit])
// gets its caller's value while the caller is suspended. So a task may use
// the value freely while it runs, but must not keep it, or hand it to a
// goroutine that outlives the task.
type WorkerState[S any] struct {
	init    func(context.Context) (S, error)
	release func(S)
}

// NewWorkerState returns a WorkerState whose values init makes and release
// (if not nil) releases. init receives the context of the task whose Get
// needs the value: it may use the context's values and should give up when
// it is done, but must not keep it, since the value outlives the task. A nil
// init panics.
func NewWorkerState[S any](init func(ctx context.Context) (S, error), release func(S)) *WorkerState[S] {
	if init == nil {
		panic("pool: NewWorkerState: nil init func")
	}
	return &WorkerState[S]{init: init, release: release}
}

// WithWorkerState gives every worker of the pool its own value of ws (see
// [WorkerState]). A pool may have several WorkerStates; their values are
// released in the reverse order of the options. A nil ws, one not made with
// [NewWorkerState], or one given twice to the same pool panics.
func WithWorkerState[S any](ws *WorkerState[S]) Option {
	if ws == nil {
		panic("pool: WithWorkerState(nil)")
	}
	if ws.init == nil {
		panic("pool: WorkerState must be made with NewWorkerState")
	}
	return optionFunc(func(c *config) {
		if c.states == nil {
			c.states = new(workerStates)
		}
		if c.states.index(ws) >= 0 {
			panic("pool: WithWorkerState: the same WorkerState given twice")
		}
		c.states.specs = append(c.states.specs, ws)
	})
}

// Get returns the value of ws that belongs to the worker running the task
// whose context is ctx (the context the task received, or one derived from
// it), making it first if this worker has none yet: init then runs on the
// calling goroutine, with ctx. If init fails, Get returns its error — a
// [*PanicError] if it panicked — and the worker stays without a value, so
// the next Get on that worker, by this task or a later one, calls init
// again: init is retried only as often as tasks ask, never in a loop.
// Whatever a failed init returned besides its error is not released.
// What to do with the error is the task's choice; returning it reports it
// as the task's error, like any other.
//
// Get panics if ctx is not the context of a task of a pool made with
// [WithWorkerState](ws): code outside any task, including a [Pool.Go] task,
// which receives no context (submit with [Pool.Submit] to use worker state).
// ctx must not be used once its task has returned; Get then may panic or
// return another worker's value.
func (ws *WorkerState[S]) Get(ctx context.Context) (S, error) {
	if ws == nil || ws.init == nil {
		panic("pool: WorkerState must be made with NewWorkerState")
	}
	checkCtx(ctx)
	c, ok := ctx.(*taskCtx)
	if !ok {
		c, _ = ctx.Value(taskKey{}).(*taskCtx)
	}
	if c == nil {
		panic("pool: WorkerState.Get: ctx is not the context of a task")
	}
	ss := c.s.p.cfg.states
	i := ss.index(ws)
	if i < 0 || c.wid == 0 {
		panic("pool: WorkerState.Get: the task's pool was not made WithWorkerState with this WorkerState")
	}
	v := &ss.slot(c.wid).vals[i]
	if !v.made {
		x, err := ws.make(ctx)
		if err != nil {
			var zero S
			return zero, err
		}
		v.v, v.made = x, true
	}
	s, _ := v.v.(S) // not ok only for a nil interface value
	return s, nil
}

// stateSpec is a WorkerState of any type, as a pool holds it.
type stateSpec interface {
	make(ctx context.Context) (any, error)
	free(v any, onGoexit func()) error
}

func (ws *WorkerState[S]) make(ctx context.Context) (v any, err error) {
	err = panics.Run[PanicError](func() error {
		s, err := ws.init(ctx)
		if err == nil {
			v = s
		}
		return err
	}, nil)
	return v, err
}

func (ws *WorkerState[S]) free(v any, onGoexit func()) error {
	if ws.release == nil {
		return nil
	}
	return panics.Run[PanicError](func() error { ws.release(v.(S)); return nil }, onGoexit)
}

// workerStates is what a pool made with WithWorkerState keeps: the
// WorkerStates, and a slot of values for every live worker, numbered from 1
// (0 in a worker or a taskCtx means none). A run finds its slot through the
// number its taskCtx carries (bindWorker), which fits in the taskCtx's
// padding, so pools without worker state pay neither memory nor time.
type workerStates struct {
	specs []stateSpec // fixed once New returns

	// live counts the slots handed out and not yet released. A worker
	// releases its values after it has stopped counting in p.workers, so
	// Shutdown and Stop wait for this too (see busy).
	live atomic.Int64

	mu    sync.Mutex // guards free and the growth of slots
	free  []uint32
	slots atomic.Pointer[[]*stateSlot] // append-only; read without mu by Get
}

// stateSlot is one worker's values, one per spec. Only the run that holds
// the worker touches it; the worker's exit releases it.
type stateSlot struct {
	vals []stateVal
}

type stateVal struct {
	v    any
	made bool
}

func (ss *workerStates) index(ws stateSpec) int {
	if ss == nil {
		return -1
	}
	for i, s := range ss.specs {
		if s == ws {
			return i
		}
	}
	return -1
}

func (ss *workerStates) slot(wid uint32) *stateSlot { return (*ss.slots.Load())[wid-1] }

// add hands a starting worker a slot, reusing a released one if it can.
// Called while the worker counts in p.workers, with or without p.mu held.
func (ss *workerStates) add() uint32 {
	ss.live.Add(1)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if n := len(ss.free); n > 0 {
		wid := ss.free[n-1]
		ss.free = ss.free[:n-1]
		return wid
	}
	var tbl []*stateSlot
	if old := ss.slots.Load(); old != nil {
		tbl = *old
	}
	// Appending in place is safe: a reader holding the old slice never
	// reads past its length, and the new one is published by Store.
	tbl = append(tbl, &stateSlot{vals: make([]stateVal, len(ss.specs))})
	ss.slots.Store(&tbl)
	return uint32(len(tbl))
}

// busy reports whether a worker still has values to release. p.mu is
// held; ss may be nil.
func (ss *workerStates) busy() bool { return ss != nil && ss.live.Load() > 0 }

// bindWorker makes t's run carry the worker slot wid, so that Get finds the
// values of the worker (or of the suspended caller) it runs on. A func()
// has no context to carry it.
func bindWorker(t task, wid uint32) task {
	switch {
	case t.c == nil:
	case t.c == &t.c.s.fresh:
		t.c = newRunCtx(t, wid)
	default:
		t.c.wid = wid
	}
	return t
}

// exit releases the worker's values, if the pool has worker state, once
// the worker has retired. A release that calls runtime.Goexit takes the
// goroutine with it: it is reported as ErrGoexit, and a new goroutine
// releases the rest, so that Shutdown and Stop are not left waiting. p.mu
// is not held.
func (w *worker) exit() {
	if w.wid == 0 {
		return
	}
	p, ss := w.p, w.p.cfg.states
	s := ss.slot(w.wid)
	for i := len(s.vals) - 1; i >= 0; i-- {
		if v := s.vals[i]; v.made {
			s.vals[i] = stateVal{}
			goexit := func() {
				p.keepErr(ErrGoexit)
				go w.exit()
			}
			if err := ss.specs[i].free(v.v, goexit); err != nil {
				p.keepErr(err)
			}
		}
	}
	ss.mu.Lock()
	ss.free = append(ss.free, w.wid)
	ss.mu.Unlock()
	w.wid = 0
	if ss.live.Add(-1) == 0 {
		p.mu.Lock()
		p.settled.Broadcast()
		p.mu.Unlock()
	}
}

// keepErr reports an error that belongs to no task, as a fire-and-forget
// task's error is reported: to the error handler, or kept for Wait. p.mu
// is not held.
func (p *Pool) keepErr(err error) {
	if p.cfg.onError != nil {
		p.report(task{}, err)
		return
	}
	p.mu.Lock()
	p.errs = append(p.errs, err)
	p.mu.Unlock()
}
