package pipeline

import "time"

// maxCatchUp is how far behind its schedule a rate limit may fall and still
// catch up by letting an item go at once; it bounds the burst after a late
// timer. A larger gap means the input was idle, and pacing starts afresh.
const maxCatchUp = 2 * time.Millisecond

// throttle paces the items of in to c.rateN per c.ratePer, evenly spaced,
// and returns the paced port. Items allowed at once travel together; before
// waiting for the next slot, the items already allowed are passed on, so
// pacing never holds back an item that was allowed to go.
//
// Items enter the stage (its counters are st) when the rate limit takes
// them; the port it returns does no accounting.
func throttle[T any](r *run, in inPort[T], c *config, st *stageStats) inPort[T] {
	out := newOutPort[T](0, &stageStats{}, c.chunk)
	interval := c.ratePer / time.Duration(c.rateN)
	catchUp := max(interval, maxCatchUp)
	r.goroutine(func() {
		defer out.close()
		var next time.Time // the earliest time the next item may go
		var timer *time.Timer
		for {
			batch, ok := in.recv(r, st)
			if !ok {
				return
			}
			start := 0
			for i := range batch {
				now := time.Now()
				if late := now.Sub(next); late > 0 && late < catchUp {
					// A little late: timers fire up to a millisecond late on
					// a busy machine. Keep the schedule, or every late wake-up
					// would lower the rate for good; only a longer gap (the
					// input was idle) restarts it.
					now = next
				}
				if wait := next.Sub(now); wait > 0 {
					if i > start && !out.send(r, batch[start:i:i]) {
						return
					}
					start = i
					if timer == nil {
						timer = time.NewTimer(wait)
					} else {
						timer.Reset(wait)
					}
					select {
					case <-timer.C:
					case <-r.done:
						timer.Stop()
						return
					}
					now = next
				}
				next = now.Add(interval)
			}
			if !out.send(r, batch[start:]) {
				return
			}
		}
	})
	return inPort[T]{ch: out.ch, sequenced: true}
}
