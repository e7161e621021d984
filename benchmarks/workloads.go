// Package benchmarks measures weft against its peers (ants, pond, conc,
// errgroup, x/sync and plain goroutines and channels) on the same
// workloads, in one run, so ratios are read from one noisy machine at one
// time. It is a separate module so the main module stays free of peers.
//
// Run ./run.sh (or see README.md) for the benchstat table.
package benchmarks

import (
	"sync/atomic"
	"time"
)

// Counter is the empty task's work: one atomic add.
var Counter atomic.Int64

// EmptyTask is the smallest task that still does something observable.
func EmptyTask() { Counter.Add(1) }

// IOTask blocks for about 100µs, as a network or disk call would. Sleeping
// is the workload here, not a way to wait for something.
func IOTask() { time.Sleep(100 * time.Microsecond) }

// CPUTask spins for about CPUTaskCost of CPU time.
func CPUTask() { spin(cpuSpins) }

// CPUTaskCost is what one CPUTask costs on this machine, measured at start.
var CPUTaskCost time.Duration

var (
	cpuSpins int
	sink     atomic.Uint64
)

func spin(n int) {
	x := uint64(n)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink.Add(x)
}

func init() {
	// Calibrate so one CPUTask is about 50µs.
	const target = 50 * time.Microsecond
	n := 1 << 12
	for {
		start := time.Now()
		spin(n)
		if d := time.Since(start); d >= 5*time.Millisecond {
			cpuSpins = int(float64(n) * float64(target) / float64(d))
			break
		}
		n *= 2
	}
	start := time.Now()
	for range 100 {
		CPUTask()
	}
	CPUTaskCost = time.Since(start) / 100
}
