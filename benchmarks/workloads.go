// Package benchmarks measures weft against its peers (ants, pond, conc,
// errgroup, rill, x/sync, marusama/semaphore and plain goroutines and
// channels) on the same workloads, in one run, so ratios are read from one
// noisy machine at one time. It is a separate module so the main module
// stays free of peers.
//
// Run ./run.sh (or see README.md) for the benchstat tables.
package benchmarks

import (
	"sync"
	"sync/atomic"
	"time"
)

// Counter is the empty task's work: one atomic add.
var Counter atomic.Int64

// EmptyTask is the smallest task that still does something observable.
func EmptyTask() { Counter.Add(1) }

// CPUWork is a fixed amount of CPU-bound work: a spin loop calibrated on
// this machine to cost about a target duration.
type CPUWork struct {
	spins int
	// Cost is what one Do measured on one goroutine: the fastest of
	// several batches, so that a busy machine inflates it as little as
	// possible. Ideal times are computed from it rather than from the
	// target, which the calibration only approaches.
	Cost time.Duration
}

// Do performs the work once.
func (w CPUWork) Do() { spin(w.spins) }

// CPUTask is about 50µs of CPU work, the pools' CPU-bound task.
var CPUTask = sync.OnceValue(func() CPUWork { return calibrate(50 * time.Microsecond) })

// CPUCallback is about 20µs of CPU work, the pipelines' CPU-bound callback.
var CPUCallback = sync.OnceValue(func() CPUWork { return calibrate(20 * time.Microsecond) })

var sink atomic.Uint64

// spin runs n rounds of a linear congruential generator. The result goes
// to sink so the loop cannot be optimised away.
func spin(n int) {
	x := uint64(n)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink.Add(x)
}

// fastest returns the shortest of runs timings of f: interference from
// other processes only ever adds time.
func fastest(runs int, f func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range runs {
		start := time.Now()
		f()
		best = min(best, time.Since(start))
	}
	return best
}

// calibrate finds the spin count that costs about target. It is lazy (see
// CPUTask) so that test binaries that run no CPU benchmark do not pay for it.
func calibrate(target time.Duration) CPUWork {
	n := 1 << 12
	for fastest(1, func() { spin(n) }) < 5*time.Millisecond {
		n *= 2
	}
	d := fastest(5, func() { spin(n) })
	w := CPUWork{spins: max(1, int(float64(n)*float64(target)/float64(d)))}
	const batch = 100
	w.Cost = fastest(5, func() {
		for range batch {
			w.Do()
		}
	}) / batch
	return w
}
