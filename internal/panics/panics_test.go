package panics_test

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/weftgo/weft/internal/panics"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunReturnsError(t *testing.T) {
	err := panics.Run[panics.Error](func() error { return io.EOF }, nil)
	assert.Same(t, io.EOF, err)
	assert.NoError(t, panics.Run[panics.Error](func() error { return nil }, nil))
}

func panicker() error { panic("boom") }

func TestRunCapturesPanicValueAndStack(t *testing.T) {
	err := panics.Run[panics.Error](panicker, nil)
	var pe *panics.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "boom", pe.Value)
	assert.Contains(t, string(pe.Stack), "panicker", "stack must show the panicking function")
	assert.True(t, strings.HasPrefix(err.Error(), "panic: boom"))
	assert.Nil(t, pe.Unwrap(), "a non-error value unwraps to nil")
}

func TestRunPanicWithErrorUnwraps(t *testing.T) {
	err := panics.Run[panics.Error](func() error { panic(io.ErrUnexpectedEOF) }, nil)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestRunPanicNil(t *testing.T) {
	err := panics.Run[panics.Error](func() error { panic(nil) }, nil)
	var pne *runtime.PanicNilError
	assert.ErrorAs(t, err, &pne)
}

func TestRunGoexitCallsHook(t *testing.T) {
	hooked := make(chan bool, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		_ = panics.Run[panics.Error](func() error { runtime.Goexit(); return nil }, func() { hooked <- true })
		hooked <- false // unreachable: Goexit does not return
	}()
	<-finished
	assert.True(t, <-hooked)
	assert.Empty(t, hooked)
}

func TestErrGoexitIsSentinel(t *testing.T) {
	assert.True(t, errors.Is(errors.Join(io.EOF, panics.ErrGoexit), panics.ErrGoexit))
}

func TestErrorIsOneLineNamingThePanickingFunction(t *testing.T) {
	err := panics.Run[panics.Error](panicker, nil)
	msg := err.Error()
	assert.NotContains(t, msg, "\n", "Error() is one line")
	assert.True(t, strings.HasPrefix(msg, "panic: boom [recovered in "), msg)
	assert.Contains(t, msg, "panics_test.panicker at ")
	assert.Contains(t, msg, "panics_test.go:")
}

// A panic value may span lines (an error wrapping a multi-line message, a
// captured output), and a log line or a single-line error channel must not be
// split by it; the value itself must reach the caller as it was.
func TestErrorIsOneLineWhateverTheValue(t *testing.T) {
	crlf := errors.New("first\r\nsecond")
	cases := []struct {
		name  string
		value any
		shown string // the value as Error() prints it
	}{
		{"string with a newline", "first\nsecond", `"first\nsecond"`},
		{"error with a CRLF", crlf, `"first\r\nsecond"`},
		{"lone carriage return", "50%\r100%", `"50%\r100%"`},
		{"one line is left as it is", `say "hi"\there`, `say "hi"\there`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := panics.Run[panics.Error](func() error { panic(tc.value) }, nil)
			var pe *panics.Error
			require.ErrorAs(t, err, &pe)
			msg := pe.Error()
			assert.NotContains(t, msg, "\n", "Error() is one line")
			assert.NotContains(t, msg, "\r", "Error() is one line")
			assert.True(t, strings.HasPrefix(msg, "panic: "+tc.shown+" [recovered in "), msg)
			assert.Contains(t, msg, "panics_test.go:", "the frame is still named")
			assert.Equal(t, tc.value, pe.Value, "Value is the value passed to panic")
			assert.Equal(t, fmt.Sprintf("%q", msg), fmt.Sprintf("%q", pe))
			assert.True(t, strings.HasPrefix(fmt.Sprintf("%+v", pe), msg+"\n\n"), "%+v: the one line, then the stack")

			without := &panics.Error{Value: tc.value}
			assert.Equal(t, "panic: "+tc.shown, without.Error(), "the same without a stack")
		})
	}
	err := panics.Run[panics.Error](func() error { panic(crlf) }, nil)
	assert.ErrorIs(t, err, crlf, "an error passed to panic is still reached")
}

func noMap() map[string]int { return nil }

// nilMapWrite panics from inside the runtime (mapassign), not from a call to
// panic in its own frame.
func nilMapWrite() error {
	noMap()["x"] = 1
	return nil
}

func TestFrameSkipsTheRuntime(t *testing.T) {
	var pe *panics.Error
	require.ErrorAs(t, panics.Run[panics.Error](nilMapWrite, nil), &pe)
	fn, at := pe.Frame()
	assert.Equal(t, "github.com/weftgo/weft/internal/panics_test.nilMapWrite", fn)
	assert.Contains(t, at, "panics_test.go:")
}

func TestFrameWithoutAStack(t *testing.T) {
	e := &panics.Error{Value: "v"}
	fn, at := e.Frame()
	assert.Empty(t, fn)
	assert.Empty(t, at)
	assert.Equal(t, "panic: v", e.Error())
}

func TestFormat(t *testing.T) {
	var pe *panics.Error
	require.ErrorAs(t, panics.Run[panics.Error](panicker, nil), &pe)
	assert.Equal(t, pe.Error(), fmt.Sprintf("%v", pe))
	assert.Equal(t, pe.Error(), fmt.Sprintf("%s", pe))
	assert.Equal(t, fmt.Sprintf("%q", pe.Error()), fmt.Sprintf("%q", pe))
	plus := fmt.Sprintf("%+v", pe)
	assert.True(t, strings.HasPrefix(plus, pe.Error()+"\n\n"))
	assert.Contains(t, plus, "goroutine ")
	assert.Contains(t, plus, string(pe.Stack))
}

// PanicError stands for a public package's type: As only converts to types of
// that name in weft's packages, so this one does not match.
type PanicError struct {
	Value any
	Stack []byte
}

func TestAsConvertsOnlyToWeftTypes(t *testing.T) {
	e := &panics.Error{Value: "v"}
	var mine *PanicError
	assert.False(t, panics.As(e, &mine), "a type outside weft's packages is not matched")
	assert.False(t, panics.As(e, nil))
	assert.False(t, panics.As(e, mine))
	var s *string
	assert.False(t, panics.As(e, &s))
}
