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
