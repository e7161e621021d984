package semaphore

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// TestLayout checks what the comment on Weighted.gen promises: gen and
// limit, which every Release reads, are side by side and never on the
// cache line of state, whatever the alignment of the Weighted, and the
// order costs no memory (96 bytes is a size class of the allocator).
func TestLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the layout is arranged for 64-bit platforms")
	}
	const cacheLine = 64
	var s Weighted
	lastOfState := unsafe.Offsetof(s.state) + unsafe.Sizeof(s.state) - 1
	assert.GreaterOrEqual(t, unsafe.Offsetof(s.gen), lastOfState+cacheLine)
	assert.Equal(t, unsafe.Offsetof(s.gen)+unsafe.Sizeof(s.gen), unsafe.Offsetof(s.limit))
	assert.Equal(t, uintptr(96), unsafe.Sizeof(s))
}
