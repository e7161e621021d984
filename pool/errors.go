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

// PanicError is a panic recovered from a task, carrying the panic value and
// the stack of the goroutine that panicked. Every weft package uses this same
// type, so errors.As(err, new(*pool.PanicError)) also matches panics
// reported by future, semaphore and pipeline. When the value passed to panic
// is an error, errors.Is and errors.As reach it through Unwrap.
type PanicError = panics.Error

// ErrGoexit is reported for a task that called runtime.Goexit (as t.FailNow
// does) instead of returning. The worker that ran it is replaced, so the
// pool keeps its size.
var ErrGoexit = panics.ErrGoexit
