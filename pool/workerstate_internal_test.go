package pool

import (
	"testing"
	"unsafe"
)

// TestWorkerStateCostsNoTaskMemory checks that the worker slot number a run
// carries fits in the padding of its context, so that pools without worker
// state pay no memory for it.
func TestWorkerStateCostsNoTaskMemory(t *testing.T) {
	if got := unsafe.Sizeof(taskCtx{}); got != 16 {
		t.Errorf("taskCtx is %d bytes, want 16", got)
	}
	if got := unsafe.Sizeof(taskCtxWithParent{}); got != 40 {
		t.Errorf("taskCtxWithParent is %d bytes, want 40", got)
	}
}
