//go:build !weft_semaphore_mutex

package semaphore

import (
	"runtime"
	"sync/atomic"
)

// spinLock guards the waiter queue. Its critical sections are a handful of
// pointer updates; they never block or touch a channel, and allocate only
// when a waiter queues while none of the semaphore's recycled waiter
// records is free (until the number of simultaneous waiters has reached its
// peak). So spinning is cheaper than parking: a sync.Mutex parks its
// goroutine as soon as the P's run queue is not empty, which on a busy
// machine turns every contended Release into a context switch while
// permits are held (a convoy). After a short spin it yields, so a
// preempted holder still gets to run.
//
// It earns its place where the lock is taken on every call: measured
// against a sync.Mutex (lock_mutex.go, -tags weft_semaphore_mutex) on 2
// cores, BenchmarkContended/empty/weft-FIFO runs about 2x faster and
// BenchmarkConvoy/weft-FIFO about 1.5x. The other rows, where the lock is
// rarely or never taken, showed no difference beyond the noise.
type spinLock struct {
	v atomic.Int32
}

func (l *spinLock) lock() {
	if !l.v.CompareAndSwap(0, 1) {
		l.lockSlow()
	}
}

func (l *spinLock) lockSlow() {
	for i := 0; ; i++ {
		if l.v.Load() == 0 && l.v.CompareAndSwap(0, 1) {
			return
		}
		if i >= 64 {
			runtime.Gosched()
		}
	}
}

func (l *spinLock) unlock() { l.v.Store(0) }
