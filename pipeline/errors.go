package pipeline

import (
	"errors"

	"github.com/weftgo/weft/internal/panics"
)

// PanicError is a panic recovered from a callback, with the panic value and
// the stack of the goroutine that panicked. It is an alias of the type every
// weft package uses, so errors.As matches it across packages, and errors.Is
// reaches an error that was passed to panic.
type PanicError = panics.Error

// ErrGoexit reports that a callback called runtime.Goexit instead of returning.
var ErrGoexit = panics.ErrGoexit

var (
	// ErrClosed is returned by [Queue.Put] on a closed queue and by
	// [Queue.Get] on a closed queue that is empty.
	ErrClosed = errors.New("pipeline: queue closed")
	// ErrTooManyTaskDone is returned by [Queue.TaskDone] when every item put
	// has already been marked done.
	ErrTooManyTaskDone = errors.New("pipeline: TaskDone called more times than items were put")
)
