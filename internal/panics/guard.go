package panics

// Guard is [Run] for hot paths, where Run's two closures cost too much: the
// caller defers Catch itself and calls Returned once the guarded code has
// returned.
//
//	var g panics.Guard[PanicError]
//	defer g.Catch(&err, onGoexit)
//	err = fn()
//	g.Returned()
//
// Catch must be the deferred call itself, not be called from a deferred
// closure: recover works only in the function the defer calls.
type Guard[E Shape] struct{ returned bool }

// Returned records that the guarded code returned normally.
func (g *Guard[E]) Returned() { g.returned = true }

// Catch, deferred, sets *err to a *E (the package's PanicError) if the
// guarded code panicked.
// If it neither returned nor panicked, runtime.Goexit is unwinding the
// goroutine: Catch then calls onGoexit (if non-nil) on the exiting
// goroutine, as Run does. After a normal return it does nothing.
func (g *Guard[E]) Catch(err *error, onGoexit func()) {
	if g.returned {
		return
	}
	if v := recover(); v != nil {
		*err = New[E](v)
		return
	}
	if onGoexit != nil {
		onGoexit()
	}
}
