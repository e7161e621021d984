package pool

// taskQueue is an unbounded FIFO of tasks kept in fixed-size blocks, so it
// grows without copying and a million queued tasks cost one task value each
// plus a pointer per block. One spare block is kept so a queue hovering
// around a block boundary does not allocate.
type taskQueue struct {
	head, tail *taskBlock
	spare      *taskBlock
	r, w       int // read index in head, write index in tail
	n          int
}

const taskBlockSize = 256

type taskBlock struct {
	tasks [taskBlockSize]task
	next  *taskBlock
}

func (q *taskQueue) len() int { return q.n }

func (q *taskQueue) push(t task) {
	if q.tail == nil || q.w == taskBlockSize {
		q.grow()
	}
	q.tail.tasks[q.w] = t
	q.w++
	q.n++
}

func (q *taskQueue) grow() {
	b := q.spare
	q.spare = nil
	if b == nil {
		b = new(taskBlock)
	}
	if q.tail == nil {
		q.head, q.r = b, 0
	} else {
		q.tail.next = b
	}
	q.tail, q.w = b, 0
}

// pop removes the oldest task. The queue must not be empty.
func (q *taskQueue) pop() task {
	t := q.head.tasks[q.r]
	q.head.tasks[q.r] = task{} // let the closure be collected
	q.r++
	q.n--
	switch {
	case q.head == q.tail && q.r == q.w:
		q.r, q.w = 0, 0 // empty: reuse the block in place
	case q.r == taskBlockSize:
		old := q.head
		q.head, q.r = old.next, 0
		old.next = nil
		q.spare = old
	}
	return t
}
