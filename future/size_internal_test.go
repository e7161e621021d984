package future

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// Future[int] fits the 80-byte size class; package doc states the cost.
func TestFutureIntSize(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(Future[int]{}), uintptr(80))
}

// A Future[int] submitted to a pool, with the room for its run's context,
// fits the 96-byte size class.
func TestPoolTaskIntSize(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(poolTask[int]{}), uintptr(96))
}
