package main

import (
	"context"
	"iter"
	"sync/atomic"
	"time"
)

// feed paces a market in real time: line i is due i/rate after the start.
// When the pipeline cannot take a line, yield blocks and the feed falls
// behind its schedule instead of piling lines up in memory: that is
// backpressure, and the feed's counters show it.
type feed struct {
	m        *market
	rate     int
	duration time.Duration

	sent      atomic.Int64 // lines handed to the pipeline
	blockedNs atomic.Int64 // time spent waiting for the pipeline to take a line
	lagNs     atomic.Int64 // how far behind schedule the last line went out
}

// heldBackLimit is how far behind schedule the feed may run before it
// stops at the end of its duration: more than a timer's slack, so that a
// feed the pipeline keeps up with sends every line due (the same lines for
// the same flags), and a feed held back stops about on time.
const heldBackLimit = 100 * time.Millisecond

// lines returns the feed as an iterator for pipeline.FromSeq. It ends after
// the line due last before the feed's duration, or, if the pipeline held it
// back, once the duration has passed; or when ctx ends.
func (f *feed) lines(ctx context.Context) iter.Seq[raw] {
	return func(yield func(raw) bool) {
		start := time.Now()
		period := time.Second / time.Duration(f.rate)
		timer := time.NewTimer(time.Hour) // re-armed before each wait
		defer timer.Stop()
		for i := time.Duration(0); ; i++ {
			due := start.Add(i * period)
			// Stop on time even when held back: a feed that is behind
			// schedule sends fewer lines, it does not run late. A line
			// that is only a timer's slack late still goes.
			if i*period >= f.duration || time.Since(start) >= f.duration && time.Since(due) > heldBackLimit {
				return
			}
			if wait := time.Until(due); wait > 0 {
				timer.Reset(wait)
				select {
				case <-timer.C:
				case <-ctx.Done():
					return
				}
			}
			r := raw{line: f.m.next(), sent: time.Now()}
			f.lagNs.Store(int64(r.sent.Sub(due)))
			if !yield(r) {
				return
			}
			f.sent.Add(1)
			// A hand-over costs a microsecond or so; a longer one means the
			// pipeline had no room and the feed was held back.
			if d := time.Since(r.sent); d > 50*time.Microsecond {
				f.blockedNs.Add(int64(d))
			}
		}
	}
}
