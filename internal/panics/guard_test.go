package panics_test

import (
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/weftgo/weft/internal/panics"
)

// guarded runs body under a Guard the way the pool's workers do, on a
// goroutine of its own, and reports what the guard saw.
func guarded(body func() error) (err error, goexit bool) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		var g panics.Guard[panics.Error]
		defer g.Catch(&err, func() { goexit = true })
		err = body()
		g.Returned()
	}()
	<-done
	return err, goexit
}

func TestGuard(t *testing.T) {
	cases := []struct {
		name   string
		body   func() error
		check  func(t *testing.T, err error)
		goexit bool
	}{
		{"return", func() error { return io.EOF },
			func(t *testing.T, err error) { assert.Same(t, io.EOF, err) }, false},
		{"panic", panicker,
			func(t *testing.T, err error) {
				var pe *panics.Error
				if assert.ErrorAs(t, err, &pe) {
					assert.Equal(t, "boom", pe.Value)
					assert.Contains(t, string(pe.Stack), "panicker", "the stack shows the panicking function")
				}
			}, false},
		{"panic with an error", func() error { panic(io.ErrUnexpectedEOF) },
			func(t *testing.T, err error) { assert.ErrorIs(t, err, io.ErrUnexpectedEOF) }, false},
		{"Goexit", func() error { runtime.Goexit(); return nil },
			func(t *testing.T, err error) { assert.NoError(t, err) }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err, goexit := guarded(tc.body)
			tc.check(t, err)
			assert.Equal(t, tc.goexit, goexit, "onGoexit called")
		})
	}
}
