//go:build !unix

package benchmarks

import "time"

// cpuTime is 0 where the census cannot ask the kernel: the census then
// reports no processor time.
func cpuTime() time.Duration { return 0 }
