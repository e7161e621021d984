package future

import "context"

// help runs f's task on the calling goroutine when the caller is itself a
// task of the executor whose queue holds f, and f has not started: waiting
// for it there could deadlock a saturated executor, and running it inline
// keeps the executor's limit (the caller's worker slot is reused). It
// reports whether f is done afterwards.
func (f *Future[T]) help(ctx context.Context) bool {
	if f.owner() == nil || f.State() != Pending {
		return false
	}
	if ctx.Value(ownerKey{}) != f.owner() {
		return false
	}
	ran, _ := f.run(ctx)
	return ran || f.State().final()
}

// owner returns the *Executor f was submitted to, or nil. An executor's
// future gets its parent context at creation and never changes it, so
// reading it here does not race with the task starting.
func (f *Future[T]) owner() any {
	if f.state.Load()&execBit == 0 {
		return nil
	}
	return f.parent.Value(ownerKey{})
}
