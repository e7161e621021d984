// Package hook connects package future to package pool without an exported
// API: a future's task must hear when [pool.Pool.Stop] drops it unrun, so
// that the future is canceled instead of staying pending for ever, and that
// needs more than the func(context.Context) error a pool's Submit takes.
//
// Package pool sets the variables below in its init and never changes them
// again; package future, which imports pool, only calls them. They are
// wiring, not state.
package hook

import (
	"context"
	"unsafe"
)

// Task is a pool task that is told when the pool drops it without running
// it. The pool calls exactly one of Run and Drop, once.
type Task interface {
	// Run runs the task with the context the pool gives it and returns
	// what the pool reports for it, as a func(context.Context) error task
	// would.
	Run(ctx context.Context) error
	// Drop is called, without any pool lock held, when the pool drops the
	// task from the queue: err is nil when Stop dropped it, otherwise why
	// it was dropped (pool.ErrQueueTimeout), which the task's owner should
	// see as its error.
	Drop(err error)
}

// A SpaciousTask is a Task with room inside it for the pool's record of its
// one run (its context), which then costs no allocation of its own.
type SpaciousTask interface {
	Task
	RunSpace() *RunSpace
}

// RunSpace is the room a SpaciousTask keeps for the pool's record of its
// run. It is laid out as that record is, a pointer where it has its
// pointer, so that the garbage collector sees it: package pool checks the
// layout when it compiles.
type RunSpace struct {
	_ unsafe.Pointer
	_ uint64
}

// Submit submits t to r, if r is a *pool.Pool or a *pool.Group, as r's
// Submit(ctx, ...) would, or with block false as r's TrySubmit would (ctx is
// then ignored), with the task options opts (a []pool.TaskOption, or nil).
// ok is false, and nothing is done, for any other r.
var Submit func(r any, ctx context.Context, t Task, block bool, opts any) (ok bool, err error)
