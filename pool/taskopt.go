package pool

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// A TaskOption configures one task: it is passed to [Pool.Go],
// [Pool.Submit], [Pool.TrySubmit], [Group.Go], [Group.Submit] or
// [Group.TrySubmit] after the function. A task submitted without options
// costs nothing more than before options existed; what each option costs
// is on its doc. A TaskOption may be made once and reused.
type TaskOption interface{ applyTask(taskOpts) taskOpts }

// taskOpts is what a submit's options say. Options return a modified copy
// rather than write through a pointer, so that the submit's copy stays on
// its stack.
type taskOpts struct {
	prio         int
	queueTimeout time.Duration
	runTimeout   time.Duration
}

type (
	priorityOption     int
	queueTimeoutOption time.Duration
	runTimeoutOption   time.Duration
)

func (o priorityOption) applyTask(c taskOpts) taskOpts {
	c.prio = int(o)
	return c
}

func (o queueTimeoutOption) applyTask(c taskOpts) taskOpts {
	c.queueTimeout = time.Duration(o)
	return c
}

func (o runTimeoutOption) applyTask(c taskOpts) taskOpts {
	c.runTimeout = time.Duration(o)
	return c
}

// AgingStep is how many places in the queue one level of priority is worth
// (see [Priority]).
const AgingStep = 64

// Priority sets the task's priority, 0 by default. A queued task of
// priority p takes its place in the queue as if it had been queued
// p×[AgingStep] tasks earlier than it was (later, for p < 0), and the queue
// starts its tasks in that order; tasks that come out level start in the
// order they were queued.
//
// So a low-priority task is never starved: a task of priority q queued k
// tasks after a task of priority p starts before it only if
// k < (q-p)×AgingStep. So at most
// (q-p)×AgingStep-1 tasks queued after a task start before it, where q is
// the highest priority among them; with priorities 0 to 3, a task of
// priority 0 is overtaken by at most 191 later tasks. A task run at once in
// its caller's slot (see [Pool.Submit]) is not queued, so it neither counts
// nor waits. Priorities beyond ±2^40 count as ±2^40.
//
// Priorities order queued tasks only: while workers are free, tasks start
// as they come, whatever their priority. A task counts as queued from its
// submit until a worker takes it, including while an idle worker is being
// woken for it, so a task of higher priority submitted in that moment may
// start first. A priority costs no allocation per
// task (Priority itself boxes n unless 0 ≤ n < 256: make options outside
// hot loops and reuse them). While any task with a priority other than 0
// or a [QueueTimeout] is queued, tasks are kept in one FIFO per priority,
// and taking the next task compares the heads of those FIFOs: O(k) for k
// distinct priorities queued. An empty task with a priority costs about
// 1.3 times a plain one (BenchmarkTaskOptions).
func Priority(n int) TaskOption { return priorityOption(n) }

// QueueTimeout limits how long the task may wait in the queue: a task that
// has not started d after it was queued is dropped without running. It is
// counted as Expired in [Pool.Stats], and [ErrQueueTimeout] goes where the
// task's error would have gone: to its [Group]'s Wait, to the handler set
// by [WithErrorHandler], or to [Pool.Wait]; a future's task (see package
// future) completes its future with that error instead, and reports
// nothing to the pool. A [WithFailFast] group whose task (not a future's)
// expires fails at that moment, before the room the task leaves in a
// bounded queue goes to anyone: a submitter of that group waiting for room
// is refused with the group's first error (see [Group.Go]).
//
// The pool keeps one timer for all its queued tasks, set to the earliest
// deadline, so an expired task is dropped and reported when its deadline
// passes (give or take the timer's latency), even while every worker is
// busy, and a worker never starts a task whose deadline has passed. No
// goroutine waits per task. The time in the queue runs from the submit
// until a worker takes the task, including the wake-up of an idle worker,
// so a timeout shorter than a wake-up (some microseconds) may expire a task
// on an idle pool. A task run in its caller's slot (see [Pool.Submit]) is
// never queued and never expires.
//
// A queue timeout costs an allocation of about 190 bytes and a clock read
// per task, and a clock read per dequeue while it is queued.
//
// A zero d means no limit; a negative d panics.
func QueueTimeout(d time.Duration) TaskOption {
	if d < 0 {
		panic(fmt.Sprintf("pool: QueueTimeout(%v): timeout must not be negative", d))
	}
	return queueTimeoutOption(d)
}

// RunTimeout limits how long the task may run: its context gets a deadline
// d after the task starts, with [ErrRunTimeout] as its context.Cause (and
// context.DeadlineExceeded as its Err). As with any context, the task must
// watch it: a task that ignores it runs on. The deadline costs an
// allocation of about 190 bytes per task, and a timer and a context per
// run.
//
// A zero d means no limit; a negative d panics, and so does RunTimeout
// given to [Pool.Go], whose task has no context.
func RunTimeout(d time.Duration) TaskOption {
	if d < 0 {
		panic(fmt.Sprintf("pool: RunTimeout(%v): timeout must not be negative", d))
	}
	return runTimeoutOption(d)
}

var (
	// ErrQueueTimeout is reported for a task dropped because it waited in
	// the queue longer than its [QueueTimeout].
	ErrQueueTimeout = errors.New("pool: queue timeout")

	// ErrRunTimeout is the context.Cause of a task's context whose
	// [RunTimeout] has passed. errors.Is(ErrRunTimeout,
	// context.DeadlineExceeded) is true.
	ErrRunTimeout = fmt.Errorf("pool: run timeout: %w", context.DeadlineExceeded)
)

// taskExt is a task that carries more than the three words of task: an
// observed task, or one with a timeout. It takes the place of the task's fn
// in the queue, so that plain tasks keep their size, and is unwrapped when
// the task runs or is dropped.
type taskExt struct {
	fn     any       // what task.fn would have been
	queued time.Time // when it was queued, if observed or it can expire
	start  time.Time // when it started, if observed
	rc     runCtx    // the context the task runs with, if it takes one

	c            *taskCtx // task.c, for a task reported without running
	queueTimeout time.Duration
	runTimeout   time.Duration
	deadline     time.Time // queued + queueTimeout, if it can expire
	didx         int       // place in the queue's deadline heap, or -1
	dead         bool      // expired: the queue drops it (see taskQueue)

	qstate atomic.Int32  // how far its Queued event is reported, if observed (see reportQueued)
	qdone  chan struct{} // closed when the submitter's report returns, if someone waits for it
}

// taskOptsOf applies a submit's options. noCtx says the task is a func(),
// which RunTimeout cannot reach. It runs before p.mu is taken, so that
// misuse panics leave nothing locked.
func taskOptsOf(opts []TaskOption, noCtx bool) taskOpts {
	var o taskOpts
	for _, opt := range opts {
		if opt == nil {
			panic("pool: nil TaskOption")
		}
		o = opt.applyTask(o)
	}
	if o.runTimeout > 0 && noCtx {
		panic("pool: RunTimeout given to Go: the task has no context")
	}
	return o
}

// prepare applies a submit's options to t, kept out of submit so that the
// plain path does not carry them: it wraps t in a taskExt if it has a
// timeout or the pool has an observer, and returns the task's priority. A
// priority alone needs no taskExt: it is spent when the task is queued.
func (p *Pool) prepare(t *task, opts []TaskOption) (*taskExt, int) {
	o := taskOptsOf(opts, t.c == nil)
	if p.cfg.obs == nil && o.queueTimeout == 0 && o.runTimeout == 0 {
		return nil, o.prio
	}
	x := &taskExt{fn: t.fn, c: t.c, queueTimeout: o.queueTimeout, runTimeout: o.runTimeout, didx: -1}
	t.fn = x
	return x, o.prio
}
