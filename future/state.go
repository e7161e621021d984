package future

import "fmt"

// State is the lifecycle stage of a [Future], as reported by [Future.State].
//
// A future moves from Pending to Running when its task starts, and from
// Running to Finished when the task returns. A future canceled before its
// task started goes from Pending straight to Canceled. Finished and
// Canceled are final: [Future.Done] is closed in both.
type State uint32

const (
	// Pending: submitted, not started yet (or a [Promise] not completed yet).
	Pending State = iota
	// Running: the task is executing. Cancel now only cancels its context.
	Running
	// Finished: the task returned a value or an error (including a panic or
	// a context error after a cooperative cancel).
	Finished
	// Canceled: canceled before the task started; the task never runs and
	// the future's error is [ErrCanceled].
	Canceled
)

// String returns the name of the state's constant, e.g. "Pending".
func (s State) String() string {
	switch s {
	case Pending:
		return "Pending"
	case Running:
		return "Running"
	case Finished:
		return "Finished"
	case Canceled:
		return "Canceled"
	}
	return fmt.Sprintf("State(%d)", uint32(s))
}

// The state word of a future: the State in the low bits plus ctxDoneBit,
// which says the task's context has been canceled (by Cancel, by the parent
// context, or because the task completed), and parentDoneBit, set with it
// when the parent's end was the first of these: the context's Err is then
// the parent's, and [context.Canceled] otherwise, so that it never changes.
const (
	stateMask     = 3
	ctxDoneBit    = 4
	parentDoneBit = 8
)

func (s State) final() bool { return s >= Finished }

// closedChan is a closed channel shared by every done future that had not
// allocated its own. It is never written, so it is not mutable state.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()
