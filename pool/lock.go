package pool

import "runtime"

// The pool's lock is a sync.Mutex, and every submit and every task's end
// takes it. When thousands of goroutines take it at once, goroutines that
// wait more than a millisecond switch the mutex into starvation mode: from
// then on each Unlock hands it to the waiter at the head of the line, which
// must be scheduled before anyone can go on, so every critical section
// costs a context switch, and the workers whose tasks end wait behind
// thousands of submitters to take the next task. The line feeds itself: as
// long as it is long, waits stay above the millisecond.
//
// So only a few goroutines of each kind wait on the mutex itself: a
// submitter or a worker that cannot take it at once first takes a place in
// its gate, a channel with room for a few of them, and waits on the
// mutex only then. The others wait on the gate's channel, whose hand-off
// completes their send for them without holding up anyone. With few
// waiters the mutex stays in normal mode, where a goroutine already running
// takes it without a context switch; and a worker waits behind a few
// submitters, not all of them.
//
// Measured by BenchmarkPondSuite in the benchmarks module, against the
// plain mutex (interleaved runs, medians): 10 ms tasks from 100 to 10,000
// submitters 170–180 → 130–145 ms; tiny tasks from 100 or 1,000
// submitters 40–50 → 15–22 ms.

// How many goroutines of each kind may wait on the mutex: a few per
// processor keep it in normal mode, and the two sizes were measured apart
// (interleaved runs, medians). More submitters help when a hundred thousand
// goroutines submit one task each: tiny tasks 179 ms with 2 per processor,
// 159 with 8; 10 ms tasks 300 and 274. More workers hurt when one goroutine
// submits a hundred thousand tiny tasks, 15 ms with 2 per processor and 23
// with 8, since then the workers are the ones that contend.
func submitGateSize() int { return 8 * runtime.GOMAXPROCS(0) }
func workerGateSize() int { return 2 * runtime.GOMAXPROCS(0) }

// lockVia takes p.mu, waiting its turn at gate (p.submitGate or
// p.workerGate) if the lock is held.
func (p *Pool) lockVia(gate chan struct{}) {
	if p.mu.TryLock() {
		return
	}
	gate <- struct{}{}
	p.mu.Lock()
	<-gate
}
