package expvarobs

import (
	"encoding/json"
	"expvar"
	"sync/atomic"

	"github.com/weftgo/weft/observe"
)

// Observer is an [observe.Observer] that counts the events it is given and
// keeps the distributions of their wait and run times, and an
// [expvar.Var] whose String is a JSON object of them (see [Snapshot]).
//
// Give one Observer to one component (a pool, a semaphore, a pipeline
// stage) so that its figures mean something; several components may share
// one, and then their figures add up. The zero value is ready to use, with
// no [WithStats] function; [New] and [Publish] take options. An Observer
// must not be copied after first use. All methods are safe for concurrent
// use.
//
// Observe never blocks and takes no lock: it is one or two atomic
// additions (a counter, and a histogram bucket for a Started, Acquired or
// Finished event), about 40ns per observed task (Started and Finished) on
// one core (BenchmarkObserve). Every component's events update the same
// counters, so on many cores busy with tiny tasks they become a point of
// contention.
type Observer struct {
	_ noCopy

	counts [numCounters]atomic.Int64
	held   atomic.Int64
	wait   histogram
	run    histogram
	stats  func() any
}

const (
	cQueued = iota
	cStarted
	cFinished
	cFailed
	cPanicked
	cDropped
	cRejected
	cAcquired
	cReleased
	numCounters
)

// An Option configures [New] and [Publish].
type Option interface{ apply(*Observer) }

type optionFunc func(*Observer)

func (f optionFunc) apply(o *Observer) { f(o) }

// WithStats adds the value stats returns to every [Snapshot], under
// "stats", so that a component's own counters are published next to the
// events: for a pool, func() any { return p.Stats() }. stats is called by
// [Observer.Snapshot] and [Observer.String], on the goroutine that reads
// the variable (for expvar, the one serving /debug/vars), and must be safe
// for concurrent use; its value must marshal to JSON. A nil stats panics.
func WithStats(stats func() any) Option {
	if stats == nil {
		panic("expvarobs: nil stats func")
	}
	return optionFunc(func(o *Observer) { o.stats = stats })
}

// New returns an Observer that is not published: give it to
// [expvar.Publish] or [expvar.Map.Set] yourself (it is an [expvar.Var]),
// or read it with [Observer.Snapshot]. New never panics except for a nil
// Option.
func New(opts ...Option) *Observer {
	o := new(Observer)
	for _, opt := range opts {
		if opt == nil {
			panic("expvarobs: nil Option")
		}
		opt.apply(o)
	}
	return o
}

// Publish returns a new Observer published through expvar under name, so
// that /debug/vars (and [expvar.Get](name)) shows it. Like
// [expvar.Publish], it panics if name is already published: publish once
// per process, for example in main or in a sync.Once, or use [New] with an
// [expvar.Map] of your own.
func Publish(name string, opts ...Option) *Observer {
	o := New(opts...)
	expvar.Publish(name, o)
	return o
}

// Observe counts e. A Started event records its Wait (time queued) and an
// Acquired event its Wait (time waiting for permits) in the wait
// distribution; a Finished event records its Run in the run distribution.
// Other durations are not recorded: a Finished event's Wait is its
// Started's, already counted.
func (o *Observer) Observe(e observe.Event) {
	switch e.Kind {
	case observe.Queued:
		o.counts[cQueued].Add(1)
	case observe.Started:
		o.counts[cStarted].Add(1)
		o.wait.record(e.Wait)
	case observe.Finished:
		o.counts[cFinished].Add(1)
		if e.Err != nil {
			o.counts[cFailed].Add(1)
		}
		o.run.record(e.Run)
	case observe.Panicked:
		o.counts[cPanicked].Add(1)
	case observe.Dropped:
		o.counts[cDropped].Add(1)
	case observe.Rejected:
		o.counts[cRejected].Add(1)
	case observe.Acquired:
		o.counts[cAcquired].Add(1)
		o.held.Add(e.Weight)
		o.wait.record(e.Wait)
	case observe.Released:
		o.counts[cReleased].Add(1)
		o.held.Add(-e.Weight)
	}
}

// Snapshot is what an [Observer] has counted. The counters count events
// of each [observe.Kind] since the Observer was made; Failed counts the
// Finished events with an error (a panic among them). The figures are read
// one by one while events may still arrive, so they are consistent with
// each other only once the observed components are idle.
type Snapshot struct {
	Queued   int64 `json:"queued"`
	Started  int64 `json:"started"`
	Finished int64 `json:"finished"`
	Failed   int64 `json:"failed"`
	Panicked int64 `json:"panicked"`
	Dropped  int64 `json:"dropped"`
	Rejected int64 `json:"rejected"`
	Acquired int64 `json:"acquired"`
	Released int64 `json:"released"`
	// InFlight is the number of tasks running: Started minus Finished.
	InFlight int64 `json:"in_flight"`
	// Held is the number of semaphore permits held: the Weight of the
	// Acquired events minus that of the Released ones.
	Held int64 `json:"held"`
	// Wait is the distribution of the time tasks were queued before they
	// started and acquisitions waited for permits; Run that of the time
	// tasks ran.
	Wait Quantiles `json:"wait"`
	Run  Quantiles `json:"run"`
	// Stats is the value of the [WithStats] function, if one was given.
	Stats any `json:"stats,omitempty"`
}

// Snapshot returns the figures counted so far, and the [WithStats] value.
func (o *Observer) Snapshot() Snapshot {
	var c [numCounters]int64
	for i := range c {
		c[i] = o.counts[i].Load()
	}
	s := Snapshot{
		Queued: c[cQueued], Started: c[cStarted], Finished: c[cFinished], Failed: c[cFailed],
		Panicked: c[cPanicked], Dropped: c[cDropped], Rejected: c[cRejected],
		Acquired: c[cAcquired], Released: c[cReleased],
		InFlight: c[cStarted] - c[cFinished],
		Held:     o.held.Load(),
		Wait:     o.wait.quantiles(),
		Run:      o.run.quantiles(),
	}
	if o.stats != nil {
		s.Stats = o.stats()
	}
	return s
}

// String returns the [Snapshot] as a JSON object, which makes an Observer
// an [expvar.Var]. If the [WithStats] value cannot be marshalled, "stats"
// is the error message instead.
func (o *Observer) String() string {
	s := o.Snapshot()
	b, err := json.Marshal(s)
	if err != nil {
		s.Stats = "expvarobs: " + err.Error()
		b, _ = json.Marshal(s)
	}
	return string(b)
}

// noCopy makes go vet's copylocks check flag copies of an Observer.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
