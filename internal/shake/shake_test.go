package shake_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"

	"github.com/weftgo/weft/internal/shake"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The hook sits on the primitives' hot paths: in either build it must not
// allocate.
func TestPointDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(1000, func() {
		shake.Point(shake.SemAcquire)
		shake.Locked(shake.CondSignalLocked)
	})
	assert.Zero(t, allocs)
}

// BenchmarkPoint is the cost of one point: nothing without the tag (the
// call is inlined away), a draw and sometimes a perturbation with it.
func BenchmarkPoint(b *testing.B) {
	for b.Loop() {
		shake.Point(shake.PoolSubmit)
	}
}
