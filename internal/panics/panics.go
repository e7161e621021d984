// Package panics turns panics in user callbacks into error values.
//
// Every weft package runs user code through [Run], so a panic never kills a
// worker and never vanishes: it becomes an [*Error] delivered where the caller
// waits. The exported packages re-export [Error] as a type alias, so
// errors.As with pool.PanicError, future.PanicError and so on all match the
// same values.
package panics

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// Error is a panic recovered from a user callback. It keeps the value passed
// to panic and the stack of the goroutine that panicked, captured at the
// moment of the recovery (so the panicking frames are included).
//
// When Value is an error, [Error.Unwrap] returns it, so errors.Is and
// errors.As reach an error that was passed to panic.
type Error struct {
	// Value is the value passed to panic. A panic(nil) arrives as a
	// *runtime.PanicNilError, as recover reports it.
	Value any
	// Stack is the goroutine's stack trace, as printed by debug.Stack.
	Stack []byte
}

// Error returns the panic value followed by the stack trace, so a logged
// error is enough to find the panicking line.
func (e *Error) Error() string {
	return fmt.Sprintf("panic: %v\n\ngoroutine stack:\n%s", e.Value, e.Stack)
}

// Unwrap returns Value if it is an error, and nil otherwise.
func (e *Error) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// ErrGoexit reports that a callback called runtime.Goexit (as t.FailNow and
// t.SkipNow do) instead of returning.
var ErrGoexit = errors.New("weft: callback called runtime.Goexit")

// New wraps a recovered value. It must be called from the deferred function
// that recovered, so that the stack still shows the panicking frames.
func New(v any) *Error {
	return &Error{Value: v, Stack: debug.Stack()}
}

// Run calls fn and returns its error, or an [*Error] if fn panicked.
//
// If fn calls runtime.Goexit, Run cannot return: the goroutine is going away.
// Instead onGoexit (if non-nil) is called on the exiting goroutine, before it
// exits, so the caller can report [ErrGoexit] and replace the goroutine.
func Run(fn func() error, onGoexit func()) (err error) {
	returned := false
	defer func() {
		if returned {
			return
		}
		if v := recover(); v != nil {
			err = New(v)
			return
		}
		// Neither a return nor a panic: runtime.Goexit is unwinding us.
		if onGoexit != nil {
			onGoexit()
		}
	}()
	err = fn()
	returned = true
	return err
}
