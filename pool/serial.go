package pool

import (
	"context"
	"errors"
	"time"

	"github.com/weftgo/weft/observe"
)

// A Serial runs tasks on a [Pool] one key at a time: tasks submitted with
// the same key run one after another, in the order they were submitted,
// while tasks of different keys run in parallel, up to the pool's limit.
// It is the per-key ordering that pond and workerpool users ask for: the
// updates of one account, the messages of one connection, the writes to
// one file.
//
// A Serial is made with [NewSerial], or with [NewGroupSerial] for tasks of
// a [Group]; the zero value is not usable (its methods panic), and a Serial
// must not be copied. Its methods are safe for
// concurrent use. A task's return synchronizes before the start of the next
// task of its key.
//
// A key costs nothing while it has no task: no goroutine ever waits for a
// key, and a key's state is dropped as soon as its last task has run. At
// most one task of a key is in the pool at a time, queued or running; the
// others wait behind it in the Serial, without a goroutine, and are handed
// to the pool, in order, as each one ends. They are ordinary tasks of the
// pool (or of the group): their errors and panics are reported as those of
// the pool's other fire-and-forget tasks (see [Pool]), or go to the
// group's Wait, which waits for them all; [Pool.Stats] counts them (those
// waiting behind their key as Queued), Close and Shutdown run them, and
// [Pool.Stop] drops them and counts them in what it returns (and a group's
// Wait then reports [ErrClosed]). A task waiting
// behind its key is accepted at once: it does not count against
// [WithQueueSize], which bounds only the tasks in the pool's queue.
//
// Each task costs one allocation of about 48 bytes beyond what a
// [Pool.Submit] task costs. The Serial keeps its books under the pool's
// lock, which a keyed task takes at most once more than a plain one: on two
// cores an empty keyed task costs about 1.5 to 2 times a [Pool.Go] task
// (BenchmarkSerial).
//
// A task of key k may submit more tasks of key k — they run after it, in
// order — but must never wait for one of them: they cannot start before it
// returns, so the two would wait on each other for ever. Waiting for a task
// of another key is safe as far as the pool is concerned (see "Tasks that
// wait on tasks" in the package documentation), unless that key's tasks
// wait in turn for this one's.
type Serial[K comparable] struct {
	_  noCopy
	p  *Pool
	sc *scope // the pool's, or the group's its tasks belong to

	// Guarded by p.mu. keys holds every key with a task in the pool
	// (queued or running, or being submitted) and the tasks parked behind
	// it, nil if there are none. high is the most keys held since keys was
	// last made: maps do not shrink, so a burst of many keys is let go by
	// making a new map once it has drained (see shrink).
	keys   map[K]*serialKey[K]
	high   int
	parked int // tasks parked behind their keys
}

// serialKey is the FIFO of tasks parked behind a key's task in the pool,
// linked through the tasks themselves; both nil if there are none. A key
// gets one when a task first parks behind it, and keeps it until it goes.
type serialKey[K comparable] struct {
	head, tail *serialTask[K]
}

// serialTask is a task of a Serial, in the pool or parked behind its key.
// It is a hook.Task so that a pool that drops it from its queue (Stop) lets
// its key go, and so that it needs no closure: one allocation per task.
type serialTask[K comparable] struct {
	s    *Serial[K]
	key  K
	fn   any      // func() or func(context.Context) error
	c    *taskCtx // its context while parked, nil for a func()
	x    *taskExt // while parked in an observed pool: when it was queued
	next *serialTask[K]
}

// Run runs the task. Its key is handed on once the pool has accounted for
// its end (endedLocked), also if fn panics or calls runtime.Goexit. ctx is
// nil for a func().
func (t *serialTask[K]) Run(ctx context.Context) error {
	if fn, ok := t.fn.(func()); ok {
		fn()
		return nil
	}
	return t.fn.(func(context.Context) error)(ctx)
}

// Drop hands the key on when the pool drops the task unrun. Only Stop does
// (a keyed task has no queue timeout), and it has then dropped every parked
// task already, so the key simply goes.
func (t *serialTask[K]) Drop(error) { t.s.next(t.key) }

// NewSerial returns a Serial that runs its tasks on p. It starts nothing and
// holds no state until tasks arrive. A nil p panics.
func NewSerial[K comparable](p *Pool) *Serial[K] {
	p.made()
	return newSerial[K](&p.root)
}

// NewGroupSerial returns a Serial whose tasks are tasks of g: they receive
// contexts derived from the group's, their errors and panics go to
// [Group.Wait], and Wait waits for them, also for those still waiting
// behind their key. [Serial.Go] then waits for room as [Group.Go] does
// (until the context the group was made from is done, or the group fails)
// and, like [Serial.TrySubmit] failing otherwise than with [ErrQueueFull],
// records its failure for Wait. A nil g panics.
func NewGroupSerial[K comparable](g *Group) *Serial[K] {
	g.made(nil, false)
	return newSerial[K](&g.scope)
}

func newSerial[K comparable](sc *scope) *Serial[K] {
	p := sc.p
	p.mu.Lock()
	p.parked.serials = true
	p.mu.Unlock()
	return &Serial[K]{p: p, sc: sc, keys: make(map[K]*serialKey[K])}
}

func (s *Serial[K]) made() {
	if s == nil {
		panic("pool: nil *Serial")
	}
	if s.p == nil {
		panic("pool: Serial must be made with NewSerial")
	}
}

// Submit submits fn to run on the pool after every task submitted before
// with the same key has ended. If a task of key is queued or running, fn
// is accepted at once and waits behind it; otherwise Submit is
// [Pool.Submit]: it may block while a bounded queue is full, until there is
// room or ctx is done, and called from a task of the pool with that task's
// context it runs fn in the task's slot if no worker can start it at once
// (returning once fn has returned). On failure it returns [ErrClosed] or
// context.Cause(ctx), and fn will not run.
//
// ctx is the parent of fn's context, as for [Pool.Submit]. fn's error or
// panic is reported as a [Pool.Submit] task's is.
func (s *Serial[K]) Submit(ctx context.Context, key K, fn func(context.Context) error) error {
	s.made()
	checkCtx(ctx)
	if fn == nil {
		panic("pool: nil func")
	}
	return s.submit(ctx, key, fn, true)
}

// Go is like [Serial.Submit] for a func() with no context, as [Pool.Go]:
// it blocks only while a bounded queue is full, and never runs fn in its
// caller's slot.
func (s *Serial[K]) Go(key K, fn func()) error {
	s.made()
	if fn == nil {
		panic("pool: nil func")
	}
	return s.submit(context.Background(), key, fn, true)
}

// TrySubmit is like [Serial.Submit] but never blocks: when no task of key is
// in the pool and fn can neither start nor be queued at once, it returns
// [ErrQueueFull]. Having no context, fn's context is canceled only by
// [Pool.Stop].
func (s *Serial[K]) TrySubmit(key K, fn func(context.Context) error) error {
	s.made()
	if fn == nil {
		panic("pool: nil func")
	}
	return s.submit(context.Background(), key, fn, false)
}

func (s *Serial[K]) submit(ctx context.Context, key K, fn any, block bool) error {
	p, g := s.p, s.sc.g
	st := &serialTask[K]{s: s, key: key, fn: fn}
	_, isGo := fn.(func())
	// In a group, Go and TrySubmit record their failures for Wait, as
	// Group.Go and Group.TrySubmit do (ErrQueueFull excepted).
	record := g != nil && (isGo || !block)
	var caller *taskCtx
	if !isGo {
		if block {
			caller = p.callerOf(ctx)
		}
		st.c = newTaskCtx(s.sc, ctx, caller)
	} else if g != nil {
		st.c = &g.fresh // a group's task needs a context to name its group
		ctx = g.parent  // as Group.Go waits for room
	}

	p.lockVia(p.submitGate)
	if p.closed {
		p.st.rejected++
		if record {
			g.addErr(ErrClosed)
		}
		p.mu.Unlock()
		p.observe(observe.Rejected, ErrClosed)
		return ErrClosed
	}
	if k, busy := s.keys[key]; busy {
		if st.c != nil && st.c.mode == parentOnly {
			// It will run after its submitter's run has ended: join the
			// parent with the pool's context rather than trust it alone.
			st.c.mode = joined
		}
		switch {
		case k == nil:
			k = &serialKey[K]{head: st}
			s.keys[key] = k
		case k.tail == nil:
			k.head = st
		default:
			k.tail.next = st
		}
		k.tail = st
		p.st.submitted++
		if g != nil {
			g.add()
		}
		s.parked++
		p.parked.add(s, s.parked == 1)
		if p.cfg.obs != nil {
			st.x = &taskExt{fn: st, c: st.c, didx: -1, queued: time.Now()}
		}
		p.mu.Unlock()
		if st.x != nil {
			p.reportQueued(st.x)
		}
		return nil
	}
	s.keys[key] = nil
	s.high = max(s.high, len(s.keys))
	p.mu.Unlock()

	err := p.submit(ctx, task{fn: st, c: st.c}, block, caller, nil)
	if err != nil {
		s.next(key) // tasks parked meanwhile were accepted: they must run
		if record && !errors.Is(err, ErrQueueFull) {
			g.record(err)
		}
	}
	return err
}

// next hands key on (see handOnLocked) when its task in the pool did not
// run: Stop dropped it, or its submit failed.
func (s *Serial[K]) next(key K) {
	p := s.p
	p.mu.Lock()
	w, spawn := s.handOnLocked(key, true)
	p.mu.Unlock()
	p.startWake(w, spawn)
}

// handOnLocked hands the task parked first behind key to the pool, once
// the key's task in the pool has ended (or will not run), or else drops the
// key. The parked task was accepted and counted when it was parked, so it
// is queued whatever the queue's bound, and even if the pool has closed
// since. If wake is set, it returns the worker to wake for it, as
// wakeLocked does. p.mu is held.
func (s *Serial[K]) handOnLocked(key K, wake bool) (w *worker, spawn bool) {
	p := s.p
	k, ok := s.keys[key]
	switch {
	case !ok: // Stop dropped the key's tasks
		return nil, false
	case k == nil || k.head == nil:
		delete(s.keys, key)
		s.shrink()
		return nil, false
	}
	st := k.head
	if k.head = st.next; k.head == nil {
		k.tail = nil
	}
	st.next = nil
	s.parked--
	if s.parked == 0 {
		p.parked.remove(s)
	}
	p.parked.n--
	t := task{fn: st, c: st.c}
	if st.x != nil {
		t.fn = st.x // observed: Started reports its wait from when it parked
	}
	if p.queue.inRing > 0 {
		p.queue.pushPrio(t, 0, nil) // priority mode: the FIFO must stay empty
	} else {
		p.queue.push(t)
	}
	if wake && (p.waking == 0 || p.cfg.queueSize == 0) {
		return p.wakeLocked()
	}
	return nil, false
}

// endedLocked hands the key of a task that has ended on, from the pool's
// accounting of its end (finish, which says when to wake a worker for the
// key's next task), so that it costs no lock of its own. p.mu is held.
func (t *serialTask[K]) endedLocked(wake bool) (w *worker, spawn bool) {
	return t.s.handOnLocked(t.key, wake)
}

// keyedTask is a Serial's task of any key type, as finish sees it.
type keyedTask interface {
	endedLocked(wake bool) (w *worker, spawn bool)
}

// shrink makes a new map once a burst of keys has drained, so that idle
// keys hold no memory. Shrinking by copying when a quarter or less of a
// large burst remains keeps the cost per key constant. p.mu is held.
func (s *Serial[K]) shrink() {
	n := len(s.keys)
	switch {
	case n == 0 && s.high > 64:
		s.keys, s.high = make(map[K]*serialKey[K]), 0
	case s.high > 1024 && n <= s.high/4:
		keys := make(map[K]*serialKey[K], n)
		for key, k := range s.keys {
			keys[key] = k
		}
		s.keys, s.high = keys, n
	}
}

// dropParkedLocked drops every task parked in s, for Stop, which has counted
// them. The keys go too: the tasks of theirs still running find nothing to
// hand on, and those still queued are Stop's to drop. p.mu is held.
func (s *Serial[K]) dropParkedLocked(xs []*taskExt) []*taskExt {
	if g := s.sc.g; g != nil || s.sc.p.cfg.obs != nil {
		for _, k := range s.keys {
			if k == nil {
				continue
			}
			for t := k.head; t != nil; t = t.next {
				if g != nil {
					g.dropped++
					g.taskDone(nil)
				}
				if t.x != nil {
					xs = append(xs, t.x)
				}
			}
		}
	}
	s.keys, s.high, s.parked = nil, 0, 0
	return xs
}

// parkedSet is what a pool knows of the tasks parked behind their keys in
// its Serials: how many (they count as queued, and Wait and Shutdown wait
// for them) and which Serials hold them, for Stop. Guarded by p.mu.
type parkedSet struct {
	n       int
	by      map[parker]struct{}
	serials bool // a Serial was made on the pool: its tasks' ends hand keys on
}

type parker interface {
	dropParkedLocked(xs []*taskExt) []*taskExt
}

// add counts a task parked in s; first says it is s's only one.
func (ps *parkedSet) add(s parker, first bool) {
	ps.n++
	if !first {
		return
	}
	if ps.by == nil {
		ps.by = make(map[parker]struct{})
	}
	ps.by[s] = struct{}{}
}

func (ps *parkedSet) remove(s parker) { delete(ps.by, s) }

// dropLocked drops every parked task, for Stop, and returns how many, and
// the extensions of those an observer must hear of, appended to xs.
func (ps *parkedSet) dropLocked(xs []*taskExt) (int, []*taskExt) {
	n := ps.n
	for s := range ps.by {
		xs = s.dropParkedLocked(xs)
	}
	ps.n, ps.by = 0, nil
	return n, xs
}
