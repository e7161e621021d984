package future

import (
	"context"
	"errors"

	"github.com/weftgo/weft/internal/panics"
)

// ErrGoexit is the error of a future whose task called runtime.Goexit (as
// t.FailNow does) instead of returning.
var ErrGoexit = panics.ErrGoexit

// ErrCanceled is the error of a future canceled before its task started:
// by [Future.Cancel], by [Executor.Stop] (or the Stop of the pool it was
// queued in), or by a combinator that no longer needed it.
// errors.Is(err, context.Canceled) also holds, so code that handles context
// cancellation handles it too.
var ErrCanceled error = canceledError{}

// ErrAlreadyCompleted is returned by [Promise.Resolve], [Promise.Reject] and
// [Promise.Complete] when the future was already completed or canceled. It is
// the analogue of Python's InvalidStateError.
var ErrAlreadyCompleted = errors.New("future: promise already completed")

// ErrNilFuture is the error of a future made by [Compose] whose function
// returned a nil future, or a zero [Future] not made by a constructor, and
// a nil error: there is nothing to wait for, and the mistake should not
// pass as a zero value. (Compose's function runs later, on the goroutine
// that completes its source, so it is reported here rather than as a panic.)
var ErrNilFuture = errors.New("future: Compose func returned a nil or zero Future")

// errNilContext is the panic value of every function given a nil context.
const errNilContext = "future: nil Context"

type canceledError struct{}

func (canceledError) Error() string { return "future: canceled" }

// Is makes errors.Is(ErrCanceled, context.Canceled) true.
func (canceledError) Is(target error) bool { return target == context.Canceled }
