package future

import "context"

// help runs f's task on the calling goroutine when the caller is itself a
// task of the executor whose queue holds f, and f has not started: waiting
// for it there could deadlock a saturated executor, and running it inline
// keeps the executor's limit (the caller's worker slot is reused). It
// reports whether f is done afterwards.
func (f *Future[T]) help(ctx context.Context) bool {
	e := f.ext.Load()
	if e == nil || e.owner == nil || f.State() != Pending {
		return false
	}
	if ctx.Value(ownerKey{}) != e.owner {
		return false
	}
	ran, _ := f.run(ctx)
	return ran || f.State().final()
}
