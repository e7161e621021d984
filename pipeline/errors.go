package pipeline

import (
	"errors"

	"github.com/weftgo/weft/internal/panics"
)

// ErrGoexit reports that a callback called runtime.Goexit instead of
// returning. A stage's callback that calls it stops the pipeline with
// ErrGoexit, whatever the stage's [ErrorPolicy]. A sink's callback
// ([ForEach], [Reduce]) that calls it stops the pipeline, waits for every
// stage goroutine to end and then ends the sink's caller's goroutine, as
// runtime.Goexit does: the sink does not return.
var ErrGoexit = panics.ErrGoexit

var (
	// ErrSinkStopped is the cause (see context.Cause) with which a pipeline
	// cancels its callbacks' context when its sink stops without an error:
	// the input is exhausted, or the loop over [All] breaks, or, for the
	// callbacks upstream of a [Tee], every branch has stopped. A callback
	// still running then tells this stop from a failure, whose cause is the
	// error or [*PanicError] that stopped the pipeline, and from the end of
	// the sink's context, whose cause it inherits. A sink never returns it.
	ErrSinkStopped = errors.New("pipeline: sink stopped")

	// ErrTeeStopped is returned by the sink of a [Tee] branch that starts
	// once the part of the pipeline upstream of the Tee has stopped
	// because every branch started before it stopped before the Tee's
	// input was exhausted, even if other branches have not started yet:
	// nothing reads that input any more, so the branch would never
	// receive its items.
	ErrTeeStopped = errors.New("pipeline: Tee branch started after the other branches stopped")
)
