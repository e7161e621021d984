// Package observe defines the events that weft's pools, semaphores and
// pipeline stages report to an Observer, so that their queue depth, busy
// workers, queue-wait and run times, panics, drops and rejections can be
// monitored with any metrics system, without weft depending on one.
//
// An Observer is given to a component with that package's WithObserver
// option. A component without one pays a nil check per event and nothing
// else: no clock reads, no allocations.
//
// Observe is called synchronously, on the goroutine where the event
// happens, often a worker or a caller of Acquire, and never with a lock of
// the component held. It must be safe for concurrent use, must not block,
// and should be cheap: it runs on the component's critical path. A panic in
// Observe is not recovered by the component.
//
// Package github.com/weftgo/weft/observe/expvarobs publishes counters and
// wait and run-time quantiles through the standard library's expvar.
package observe

import (
	"strconv"
	"time"
)

// Kind says what happened.
type Kind uint8

// The kinds of Event. Pools and pipeline stages report tasks (a stage's
// task is one call of its callback); semaphores report acquisitions.
const (
	_ Kind = iota

	// Queued: a task was accepted and waits for a worker.
	Queued
	// Started: a task began to run. Wait is how long it was queued.
	Started
	// Finished: a task ended. Wait is how long it was queued, Run how
	// long it ran, Err its error (nil on success, a *PanicError of the
	// reporting package if it panicked).
	Finished
	// Panicked: a task panicked. Err is the *PanicError. It is followed
	// by the task's Finished event.
	Panicked
	// Dropped: an accepted task was discarded without running, by Stop,
	// because it waited in the queue longer than it was allowed to, or
	// because the pipeline it was in stopped. Wait is how long it was
	// queued (zero where the component does not time it), Err says why.
	Dropped
	// Rejected: a submission was refused, or an acquisition failed.
	// Err says why (a closed pool, a full queue, a done context, no
	// permits free). For a semaphore, Weight is the permits asked for and
	// Wait how long the request waited before it failed.
	Rejected
	// Acquired: a semaphore granted Weight permits after waiting Wait
	// (zero when they were free at once).
	Acquired
	// Released: Weight permits were returned to a semaphore.
	Released
)

var kindNames = [...]string{
	Queued:   "Queued",
	Started:  "Started",
	Finished: "Finished",
	Panicked: "Panicked",
	Dropped:  "Dropped",
	Rejected: "Rejected",
	Acquired: "Acquired",
	Released: "Released",
}

// String returns the constant's name, such as "Finished".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// An Event is one thing that happened in an observed component. Fields
// that do not apply to its Kind are zero.
type Event struct {
	Kind   Kind
	Wait   time.Duration // time queued (tasks) or waiting for permits (semaphores)
	Run    time.Duration // time running, for Finished
	Weight int64         // permits, for Acquired and Released
	Err    error         // outcome or reason; see Kind
}

// An Observer receives the events of the components it is given to. See
// the package documentation for the rules Observe must follow.
type Observer interface {
	Observe(Event)
}

// Func adapts an ordinary function to the Observer interface.
type Func func(Event)

// Observe calls f(e).
func (f Func) Observe(e Event) { f(e) }
