package panics_test

import (
	"errors"
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
	err := panics.Run(func() error { return io.EOF }, nil)
	assert.Same(t, io.EOF, err)
	assert.NoError(t, panics.Run(func() error { return nil }, nil))
}

func panicker() error { panic("boom") }

func TestRunCapturesPanicValueAndStack(t *testing.T) {
	err := panics.Run(panicker, nil)
	var pe *panics.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "boom", pe.Value)
	assert.Contains(t, string(pe.Stack), "panicker", "stack must show the panicking function")
	assert.True(t, strings.HasPrefix(err.Error(), "panic: boom"))
	assert.Nil(t, pe.Unwrap(), "a non-error value unwraps to nil")
}

func TestRunPanicWithErrorUnwraps(t *testing.T) {
	err := panics.Run(func() error { panic(io.ErrUnexpectedEOF) }, nil)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestRunPanicNil(t *testing.T) {
	err := panics.Run(func() error { panic(nil) }, nil)
	var pne *runtime.PanicNilError
	assert.ErrorAs(t, err, &pne)
}

func TestRunGoexitCallsHook(t *testing.T) {
	hooked := make(chan bool, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		_ = panics.Run(func() error { runtime.Goexit(); return nil }, func() { hooked <- true })
		hooked <- false // unreachable: Goexit does not return
	}()
	<-finished
	assert.True(t, <-hooked)
	assert.Empty(t, hooked)
}

func TestErrGoexitIsSentinel(t *testing.T) {
	assert.True(t, errors.Is(errors.Join(io.EOF, panics.ErrGoexit), panics.ErrGoexit))
}
