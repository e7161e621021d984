// Package bubbletest lists the goroutines of a testing/synctest bubble, for
// the tests of weft's packages that check which goroutines exist.
//
// runtime.Stack lists every goroutine of the process, including those of
// an earlier test still on their way out after it returned (a pool's
// Shutdown waits for its count of workers, not for their goroutines to
// end). A check of "no such goroutine" that reads them fails now and then
// for a reason that is not the test's. A bubble's goroutines cannot outlive
// it, so a check that reads only the caller's bubble sees only its own.
package bubbletest

import (
	"runtime"
	"strings"
)

// Stacks returns the stack of each goroutine in the caller's synctest
// bubble, the caller's own first. It panics outside a bubble.
func Stacks() []string {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	for n == len(buf) { // cut short: a pool may have thousands of workers
		buf = make([]byte, 2*len(buf))
		n = runtime.Stack(buf, true)
	}
	all := strings.Split(string(buf[:n]), "\n\n")
	// The caller's own stack comes first; its header ends with its bubble:
	// "goroutine 10 [running, synctest bubble 5]:".
	header, _, _ := strings.Cut(all[0], "\n")
	i := strings.Index(header, "synctest bubble ")
	if i < 0 {
		panic("bubbletest: Stacks called outside a synctest bubble")
	}
	bubble := header[i:]
	var in []string
	for _, g := range all {
		if h, _, _ := strings.Cut(g, "\n"); strings.HasSuffix(h, bubble) {
			in = append(in, g)
		}
	}
	return in
}
