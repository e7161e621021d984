package semaphore_test

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
	"github.com/weftgo/weft/semaphore"
)

func TestDoHoldsWhileRunning(t *testing.T) {
	s := semaphore.New(3)
	err := s.Do(context.Background(), 2, func() error {
		assert.Equal(t, int64(2), s.Held())
		return io.EOF
	})
	assert.Same(t, io.EOF, err)
	assert.Equal(t, int64(0), s.Held())
}

func TestDoReleasesOnPanic(t *testing.T) {
	s := semaphore.New(1)
	err := s.Do(context.Background(), 1, func() error { panic(io.ErrUnexpectedEOF) })
	var pe *semaphore.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, io.ErrUnexpectedEOF, pe.Value)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Contains(t, string(pe.Stack), "TestDoReleasesOnPanic")
	assert.Equal(t, int64(0), s.Held())
}

func TestDoReleasesOnGoexit(t *testing.T) {
	s := semaphore.New(1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Do(context.Background(), 1, func() error { runtime.Goexit(); return nil })
	}()
	<-done
	assert.Equal(t, int64(0), s.Held())
}

func TestDoAcquireErrorSkipsFn(t *testing.T) {
	s := semaphore.New(1)
	called := false
	err := s.Do(context.Background(), 2, func() error { called = true; return nil })
	assert.ErrorIs(t, err, semaphore.ErrExceedsLimit)
	s.Close()
	err = s.Do(context.Background(), 1, func() error { called = true; return nil })
	assert.ErrorIs(t, err, semaphore.ErrClosed)
	assert.False(t, called)
}

// A panic recovered by Do is a *semaphore.PanicError, and errors.As also
// matches it with the PanicError of the other weft packages.
func TestPanicErrorIsShared(t *testing.T) {
	err := semaphore.New(1).Do(context.Background(), 1, func() error { panic("x") })
	var pe *semaphore.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "x", pe.Value)
	var poolPE *pool.PanicError
	require.ErrorAs(t, err, &poolPE)
	assert.Equal(t, fmt.Sprintf("%p", pe), fmt.Sprintf("%p", poolPE), "the match points at the same value")
}
