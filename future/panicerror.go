package future

import (
	"fmt"

	"github.com/weftgo/weft/internal/panics"
)

// PanicError is a panic recovered from a task or a done-callback. The panic
// does not crash the goroutine that ran the callback: it arrives as this
// error where the caller waits, once.
//
// Every weft package has a PanicError with these same fields, and errors.As
// matches any of them: errors.As(err, new(*pool.PanicError)) also finds a
// panic that package future or pipeline reported. When Value is an error,
// errors.Is and errors.As reach it through Unwrap.
type PanicError struct {
	// Value is the value passed to panic. A panic(nil) arrives as a
	// *runtime.PanicNilError, as recover reports it.
	Value any
	// Stack is the panicking goroutine's stack, as runtime/debug.Stack
	// prints it, taken while the panic was recovered so that it shows the
	// panicking frames.
	Stack []byte
}

// Error returns one line: the panic value and the function that panicked,
// with its file and line. A value whose text has a line break (\n or \r) is
// shown quoted, as strconv.Quote writes it, so that it cannot split the
// line; Value keeps it as it was. The stack is in Stack, and %+v prints it
// too.
func (e *PanicError) Error() string { return e.shared().Error() }

// Format prints [PanicError.Error] for %v and %s, adds a blank line and the
// stack for %+v, and quotes the message for %q.
func (e *PanicError) Format(s fmt.State, verb rune) { e.shared().Format(s, verb) }

// Frame returns the function that panicked and its "file:line", read from
// Stack (below the runtime's own frames), or empty strings if Stack does
// not show them.
func (e *PanicError) Frame() (function, fileLine string) { return e.shared().Frame() }

// Unwrap returns Value if it is an error, and nil otherwise.
func (e *PanicError) Unwrap() error { return e.shared().Unwrap() }

// As lets errors.As match e with the PanicError type of any weft package;
// the match points at the same value as e.
func (e *PanicError) As(target any) bool { return panics.As(e.shared(), target) }

func (e *PanicError) shared() *panics.Error { return (*panics.Error)(e) }
