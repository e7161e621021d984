// Package misuse is the harness of weft's misuse tables: a misuse must panic
// at once or return, never hang.
package misuse

import (
	"testing"
	"time"
)

// HangLimit is how long a misuse may take before it counts as hung.
const HangLimit = 10 * time.Second

// PanicValue calls f, which must not use t, on a goroutine of its own and
// returns what it panicked with (nil if it returned), failing the test if f
// has not returned within HangLimit.
func PanicValue(t testing.TB, f func()) any {
	t.Helper()
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		f()
	}()
	timer := time.NewTimer(HangLimit)
	defer timer.Stop()
	select {
	case v := <-done:
		return v
	case <-timer.C:
		t.Fatalf("misuse hung for %v instead of panicking or returning", HangLimit)
		return nil
	}
}
