package pool

import (
	"errors"

	"github.com/weftgo/weft/internal/panics"
)

// Submission errors. They say why a task was not accepted, and are distinct
// from the errors tasks return.
var (
	// ErrClosed is returned when submitting to a pool after Shutdown or Stop
	// has begun. A submitter blocked on a full queue when the pool closes
	// also gets ErrClosed.
	ErrClosed = errors.New("pool: closed")

	// ErrQueueFull is returned by the Try forms when the task would have to
	// wait for room in the queue.
	ErrQueueFull = errors.New("pool: queue full")

	// ErrStopped is the context.Cause of a task's context canceled by
	// [Pool.Stop].
	ErrStopped = errors.New("pool: stopped")
)

// ErrGoexit is reported for a task that called runtime.Goexit (as t.FailNow
// does) instead of returning. The worker that ran it is replaced, so the
// pool keeps its size.
var ErrGoexit = panics.ErrGoexit
