package semaphore

import (
	"runtime"
	"sync/atomic"
)

// spinLock guards the waiter queue. Its critical sections are a handful of
// pointer updates and never block, allocate or touch a channel, so spinning
// is cheaper than parking: a sync.Mutex parks its goroutine as soon as the
// P's run queue is not empty, which on a busy machine turns every contended
// Release into a context switch while permits are held (a convoy). After a
// short spin it yields, so a preempted holder still gets to run.
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
