//go:build unix

package benchmarks

import (
	"syscall"
	"time"
)

// cpuTime is the processor time the process has used so far, user and
// system, as the kernel counts it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
