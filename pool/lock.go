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
// Measured by BenchmarkPondSuite in the benchmarks module (pools of
// 20,000, before large pools yielded, see below), against the plain mutex
// (interleaved runs, medians): 10 ms tasks from 100 to 10,000 submitters
// 170–180 → 130–145 ms; tiny tasks from 100 or 1,000 submitters 40–50 →
// 15–22 ms.
//
// A large pool, one whose limit is more than a few workers per processor,
// does without the gates and the mutex's wait: a goroutine that finds the
// lock held yields (runtime.Gosched) and tries again when its turn comes.
// There the goroutines ready to run outnumber the processors, and a
// sync.Mutex parks a waiter whenever its processor has anything else to
// run: each contended Unlock then pays for a wake-up, and the woken
// goroutine still waits its turn behind the others before it can take the
// lock, where a yielding one is simply there when its turn comes. A pool of
// a few workers per processor keeps the gates: there the workers are the
// ones that contend, and one that parks leaves its processor to the
// submitter, where yielding took it (one goroutine submitting empty tasks
// to a pool of 2 on 2 processors, the pool's workers yielding: 12 → 16–24
// ms).
//
// Measured with and without the rule (interleaved runs of separate builds,
// medians), BenchmarkPondSuite, weft's time as a multiple of errgroup's in
// the same round: tiny tasks from 1 to 10,000 submitters 0.29–0.34 →
// 0.16–0.25 (27–29 → 16–23 ms), 10 ms tasks from 100,000 submitters of one
// each 1.07 → 1.00 and 1.11 → 1.01 (two runs of 5 and 6 rounds), the other
// sleeping scenarios unchanged. In the pool package, an empty task's
// submit to pools of 9, 16 and 64: 220–265 → 187 ns; 1,000 CPU tasks of
// about 5 µs to pools of 9 to 64, from 1 or 64 submitters: 0.92–1.05 of
// the time before, noise. A pool of 8 (not large on 2 processors) is
// unchanged.

// How many goroutines of each kind may wait on the mutex: a few per
// processor keep it in normal mode, and the two sizes were measured apart
// (interleaved runs, medians). More submitters help when a hundred thousand
// goroutines submit one task each: tiny tasks 179 ms with 2 per processor,
// 159 with 8; 10 ms tasks 300 and 274. More workers hurt when one goroutine
// submits a hundred thousand tiny tasks, 15 ms with 2 per processor and 23
// with 8, since then the workers are the ones that contend.
func submitGateSize() int { return 8 * runtime.GOMAXPROCS(0) }
func workerGateSize() int { return 2 * runtime.GOMAXPROCS(0) }

// A pool is large when its limit is more than largePerProc workers per
// processor (GOMAXPROCS when the limit was set).
const largePerProc = 4

// isLarge reports whether a pool of limit workers is large.
func isLarge(limit int) bool { return limit > largePerProc*runtime.GOMAXPROCS(0) }

// lockVia takes p.mu. In a large pool a goroutine that finds it held yields
// until it is free; in the others it waits its turn at gate (p.submitGate
// or p.workerGate).
func (p *Pool) lockVia(gate chan struct{}) {
	if p.mu.TryLock() {
		return
	}
	if p.large.Load() {
		for {
			runtime.Gosched()
			if p.mu.TryLock() {
				return
			}
		}
	}
	gate <- struct{}{}
	p.mu.Lock()
	<-gate
}
