package pool

import (
	"testing"
	"unsafe"
)

// TestWorkerStateCostsNoTaskMemory checks that the worker slot number a run
// carries fits in the padding of its context, so that pools without worker
// state pay no memory for it.
func TestWorkerStateCostsNoTaskMemory(t *testing.T) {
	if got := unsafe.Sizeof(taskCtx{}); got != 24 {
		t.Errorf("taskCtx is %d bytes, want 24", got)
	}
	if got := unsafe.Sizeof(taskCtxWithParent{}); got != 48 {
		t.Errorf("taskCtxWithParent is %d bytes, want 48", got)
	}
}
