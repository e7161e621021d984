// Package observetest holds an observe.Observer that records what it is
// told, for the tests of weft's packages.
package observetest

import (
	"sync"

	"github.com/weftgo/weft/observe"
)

// A Recorder is an observe.Observer that keeps every event. It is safe for
// concurrent use; the zero value is ready.
type Recorder struct {
	mu     sync.Mutex
	events []observe.Event
}

// Observe records e.
func (r *Recorder) Observe(e observe.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// Take returns the events recorded since the last Take, in the order they
// were observed, and forgets them.
func (r *Recorder) Take() []observe.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := r.events
	r.events = nil
	return ev
}

// Count returns how many events of each kind are recorded (since the last
// Take).
func (r *Recorder) Count() map[observe.Kind]uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := map[observe.Kind]uint64{}
	for _, e := range r.events {
		n[e.Kind]++
	}
	return n
}

// Events returns a copy of the events recorded (since the last Take).
func (r *Recorder) Events() []observe.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]observe.Event(nil), r.events...)
}
