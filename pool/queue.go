package pool

import "time"

// taskQueue holds the queued tasks. It has two modes:
//
//   - FIFO mode, while every queued task is plain (priority 0, no queue
//     timeout): the tasks are in plain, a block FIFO (see fifo), so a
//     million queued tasks cost one task value each plus a pointer per
//     block.
//   - priority mode, from the push of a task with a priority or a queue
//     timeout until the queue is empty again: every queued task, plain ones
//     included, is in the FIFO of its priority level, with its sequence
//     number, and the plain FIFO is empty. Entering priority mode moves the FIFO
//     into level 0 in O(n); since the FIFO refills only once the levels
//     are empty, each task is moved at most once.
//
// seq numbers the tasks in the order they were pushed. A task's key is its
// seq minus its priority times AgingStep, so that it sorts as if it had
// been pushed priority×AgingStep tasks earlier: this is the aging rule (see
// [Priority]), and it needs no update while tasks wait. The next task is
// the one with the lowest (key, seq). Within a level keys grow with seq,
// so that is the head of some level: pop compares the heads, O(levels).
// Plain tasks have priority 0, so in FIFO mode the FIFO order is the key
// order, and the FIFO's tasks, pushed last and one after another, are
// numbered seq-n to seq-1 when they move to level 0.
//
// Tasks with a queue timeout are also in exp, a heap ordered by deadline.
// One that expires is taken out of exp and marked dead (taskExt.dead) but
// left in its level, which drops it when it reaches the head.
type taskQueue struct {
	plain fifo[task] // FIFO mode's tasks

	live   int        // live tasks in the levels
	dead   int        // expired tasks still in the levels
	seq    uint64     // tasks pushed so far
	inRing int        // entries in the levels, dead ones included
	levels []*level   // priority mode: the levels in use (and some empty ones)
	exp    []*taskExt // live queued tasks with a queue timeout, by deadline
}

// level is the FIFO of the queued tasks of one priority, oldest first;
// its n counts dead entries too.
type level struct {
	prio int
	fifo[entry]
}

type entry struct {
	t   task
	seq uint64
}

// maxLevels is how many empty levels the queue keeps for reuse.
const maxLevels = 64

func (q *taskQueue) len() int { return q.plain.n + q.live }

// push queues a plain task in FIFO mode (inRing == 0); in priority mode
// plain tasks go through pushPrio with priority 0. Callers choose, so that
// push and pop stay small enough to be inlined on the plain path.
func (q *taskQueue) push(t task) {
	q.plain.push(t)
	q.seq++
}

// maxPriority bounds the priorities the key can hold without overflow.
const maxPriority = 1 << 40

// pushPrio queues a task with a priority, or with a queue timeout if x is
// not nil (x.deadline is set), entering priority mode.
func (q *taskQueue) pushPrio(t task, prio int, x *taskExt) {
	if q.inRing == 0 && q.plain.n > 0 {
		q.fifoToRing()
	}
	q.pushRing(t, min(max(prio, -maxPriority), maxPriority))
	if x != nil {
		x.didx = len(q.exp)
		q.exp = append(q.exp, x)
		q.expUp(x.didx)
	}
}

func (q *taskQueue) pushRing(t task, prio int) {
	q.level(prio).push(entry{t: t, seq: q.seq})
	q.seq++
	q.inRing++
	q.live++
}

// level returns the level of prio, making it if need be.
func (q *taskQueue) level(prio int) *level {
	for _, l := range q.levels {
		if l.prio == prio {
			return l
		}
	}
	for _, l := range q.levels {
		if l.n == 0 {
			l.prio = prio
			return l
		}
	}
	l := &level{prio: prio}
	q.levels = append(q.levels, l)
	return l
}

// take removes the oldest entry's task. The level must not be empty.
func (l *level) take() task { return l.pop().t }

func (l *level) key(e *entry) int64 {
	return int64(e.seq) - int64(l.prio)*AgingStep
}

// fifoToRing moves the FIFO's tasks to level 0.
func (q *taskQueue) fifoToRing() {
	q.seq -= uint64(q.plain.n)
	for q.plain.n > 0 {
		q.pushRing(q.pop(), 0)
	}
}

// pop removes the oldest task in FIFO mode (inRing == 0); in priority
// mode callers use popRing. The FIFO must not be empty.
func (q *taskQueue) pop() task { return q.plain.pop() }

// popAny is pop or popRing, whichever mode the queue is in.
func (q *taskQueue) popAny() task {
	if q.inRing > 0 {
		return q.popRing()
	}
	return q.pop()
}

// popRing removes the task with the lowest (key, seq) in priority mode.
// The queue must hold a live task.
func (q *taskQueue) popRing() task {
	q.live--
	var best *level
	var bestKey int64
	var bestSeq uint64
	for _, l := range q.levels {
		q.dropDead(l)
		if l.n == 0 {
			continue
		}
		e := l.front()
		if k := l.key(e); best == nil || k < bestKey || k == bestKey && e.seq < bestSeq {
			best, bestKey, bestSeq = l, k, e.seq
		}
	}
	t := best.take()
	q.inRing--
	if len(q.exp) > 0 {
		if x, ok := t.fn.(*taskExt); ok && x.didx >= 0 {
			q.removeExp(x.didx)
		}
	}
	q.drained()
	return t
}

// drained leaves priority mode if no live task is left: the dead ones go,
// so that the next plain task takes the FIFO again.
func (q *taskQueue) drained() {
	if q.live > 0 {
		return
	}
	for _, l := range q.levels {
		q.dropDead(l)
	}
	q.shrink()
}

// dropDead takes expired tasks off the head of l.
func (q *taskQueue) dropDead(l *level) {
	for q.dead > 0 && l.n > 0 {
		x, ok := l.front().t.fn.(*taskExt)
		if !ok || !x.dead {
			return
		}
		l.take()
		q.inRing--
		q.dead--
	}
}

// shrink forgets the levels beyond maxLevels once they are empty, so
// that a burst of many priorities leaves no memory behind.
func (q *taskQueue) shrink() {
	if len(q.levels) > maxLevels {
		q.levels = nil
	}
}

// nextDeadline returns the earliest queue deadline, or the zero time.
func (q *taskQueue) nextDeadline() time.Time {
	if len(q.exp) == 0 {
		return time.Time{}
	}
	return q.exp[0].deadline
}

// expire removes and returns the tasks whose deadline is not after now,
// marking them dead in their levels.
func (q *taskQueue) expire(now time.Time) []*taskExt {
	var out []*taskExt
	for len(q.exp) > 0 && !q.exp[0].deadline.After(now) {
		x := q.exp[0]
		q.removeExp(0)
		x.dead = true
		q.dead++
		q.live--
		out = append(out, x)
	}
	if len(out) > 0 {
		q.drained()
	}
	return out
}

// The deadline heap, by hand: container/heap would box every entry.

func (q *taskQueue) removeExp(i int) {
	h := q.exp
	h[i].didx = -1
	last := len(h) - 1
	if i != last {
		h[i] = h[last]
		h[i].didx = i
	}
	h[last] = nil
	q.exp = h[:last]
	if i != last {
		q.expDown(i)
		q.expUp(i)
	}
}

func (q *taskQueue) expUp(i int) {
	h := q.exp
	for i > 0 {
		j := (i - 1) / 2
		if !h[i].deadline.Before(h[j].deadline) {
			break
		}
		h[i], h[j] = h[j], h[i]
		h[i].didx, h[j].didx = i, j
		i = j
	}
}

func (q *taskQueue) expDown(i int) {
	h := q.exp
	for {
		j := 2*i + 1
		if j >= len(h) {
			return
		}
		if k := j + 1; k < len(h) && h[k].deadline.Before(h[j].deadline) {
			j = k
		}
		if !h[j].deadline.Before(h[i].deadline) {
			return
		}
		h[i], h[j] = h[j], h[i]
		h[i].didx, h[j].didx = i, j
		i = j
	}
}
