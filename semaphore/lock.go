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
// It earns its place where the lock is taken on every call, in FIFO's
// hand-off mode: measured against a sync.Mutex (lock_mutex.go, -tags
// weft_semaphore_mutex) on 2 cores, six interleaved runs each,
// BenchmarkContended/empty/weft-FIFO takes 79 ns instead of 669 and
// BenchmarkConvoy/weft-FIFO 72 instead of 528. Where the lock is rarely
// taken the mutex is as fast or a little faster (Convoy/weft-Fair 60 ns
// against 75, Contended/yield/weft-FIFO 1.05 µs against 1.21), far less
// than the spin lock saves under FIFO.
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
