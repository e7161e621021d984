// Package panics turns panics in user callbacks into error values.
//
// Every weft package runs user code through [Run] or a [Guard], so a panic
// never kills a worker and never vanishes: it becomes that package's own
// PanicError, delivered where the caller waits. Each exported package
// declares PanicError with [Error]'s fields (see [Shape]) so that go doc
// shows them there, and implements its methods with Error's: a pointer to
// one converts to a pointer to [Error], and [As] lets errors.As match a panic
// with the PanicError of any weft package.
package panics

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
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

// Error returns one line: the panic value and the function that panicked,
// with its file and line. A value whose text has a line break (\n or \r) is
// shown quoted, as strconv.Quote writes it ("first\nsecond"), so that it
// cannot split the message; Value itself is left as it was. The whole stack
// is in Stack, and printed by %+v.
func (e *Error) Error() string {
	v := fmt.Sprint(e.Value)
	// Quote the whole text rather than replace the breaks alone: quoting
	// also escapes backslashes, so a value that held a backslash and an n
	// still reads differently from one that held a newline. Values on one
	// line, nearly all, are shown as %v shows them, at no extra cost.
	if strings.ContainsAny(v, "\r\n") {
		v = strconv.Quote(v)
	}
	if fn, at := e.Frame(); fn != "" {
		return "panic: " + v + " [recovered in " + fn + " at " + at + "]"
	}
	return "panic: " + v
}

// Format prints the one-line message for %v and %s, the message followed by
// the stack for %+v, and the message quoted for %q.
func (e *Error) Format(s fmt.State, verb rune) {
	switch {
	case verb == 'v' && s.Flag('+'):
		fmt.Fprintf(s, "%s\n\n%s", e.Error(), e.Stack)
	case verb == 'q':
		fmt.Fprintf(s, "%q", e.Error())
	default:
		io.WriteString(s, e.Error())
	}
}

// Frame returns the function that panicked and its "file:line", read from
// Stack: the first frame below the last call to panic that is not in the
// runtime (a nil dereference panics from runtime.sigpanic on behalf of the
// user's function). Both are empty when Stack does not show one.
func (e *Error) Frame() (function, fileLine string) {
	lines := strings.Split(string(e.Stack), "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") {
			start = i + 2 // the function line after panic's own file line
		}
	}
	if start < 0 {
		return "", ""
	}
	for i := start; i+1 < len(lines); i += 2 {
		fn := lines[i]
		if strings.HasPrefix(fn, "runtime.") {
			continue
		}
		if paren := strings.LastIndex(fn, "("); paren > 0 {
			fn = fn[:paren]
		}
		at := strings.TrimSpace(lines[i+1])
		if sp := strings.LastIndex(at, " +0x"); sp > 0 {
			at = at[:sp]
		}
		return fn, at
	}
	return "", ""
}

// Unwrap returns Value if it is an error, and nil otherwise.
func (e *Error) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// As implements errors.As for the PanicError types of weft's packages. They
// all have Error's fields and nothing else, so a pointer to one converts to a
// pointer to any other: a panic reported by one package matches the
// PanicError of every package, and the match shares e's memory.
func As(e *Error, target any) bool {
	t := reflect.TypeOf(target)
	if t == nil || t.Kind() != reflect.Pointer {
		return false
	}
	want := t.Elem()
	if want.Kind() != reflect.Pointer || want.Elem().Name() != "PanicError" ||
		!publicWeftPackage(want.Elem().PkgPath()) {
		return false
	}
	from := reflect.ValueOf(e)
	if !from.Type().ConvertibleTo(want) {
		return false
	}
	reflect.ValueOf(target).Elem().Set(from.Convert(want))
	return true
}

func publicWeftPackage(path string) bool {
	rest, ok := strings.CutPrefix(path, "github.com/weftgo/weft/")
	return ok && !strings.Contains(rest, "internal") && !strings.HasSuffix(rest, "_test")
}

// ErrGoexit reports that a callback called runtime.Goexit (as t.FailNow and
// t.SkipNow do) instead of returning.
var ErrGoexit = errors.New("weft: callback called runtime.Goexit")

// Is reports whether err itself (not an error it wraps) is a panic recovered
// by a weft package, whichever package's PanicError it is.
func Is(err error) bool {
	_, ok := err.(interface {
		error
		Frame() (string, string)
		As(any) bool
	})
	return ok
}

// Shape is the layout of [Error], which every package's PanicError repeats.
type Shape interface {
	~struct {
		Value any
		Stack []byte
	}
}

// New wraps a recovered value in a *E, the package's PanicError. It must be
// called from the deferred function that recovered, so that the stack still
// shows the panicking frames. *E must implement error.
func New[E Shape](v any) error {
	return any(&E{Value: v, Stack: debug.Stack()}).(error)
}

// Run calls fn and returns its error, or a *E (the calling package's
// PanicError) if fn panicked.
//
// If fn calls runtime.Goexit, Run cannot return: the goroutine is going away.
// Instead onGoexit (if non-nil) is called on the exiting goroutine, before it
// exits, so the caller can report [ErrGoexit] and replace the goroutine.
func Run[E Shape](fn func() error, onGoexit func()) (err error) {
	var g Guard[E]
	defer g.Catch(&err, onGoexit)
	err = fn()
	g.Returned()
	return err
}
