package future

import (
	"testing"
	"unsafe"
)

func TestFutureIntSize(t *testing.T) {
	if got := unsafe.Sizeof(Future[int]{}); got > 80 {
		t.Fatalf("Future[int] is %d bytes, want <= 80", got)
	}
}
