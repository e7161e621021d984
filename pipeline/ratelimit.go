package pipeline

import "time"

// maxCatchUp is how far behind its schedule a rate limit may fall and still
// catch up by letting an item go at once; it bounds the burst after a late
// timer. After a larger gap pacing starts afresh.
const maxCatchUp = 2 * time.Millisecond

// throttle paces the items of in to c.rateN per c.ratePer, evenly spaced,
// and returns the paced port. Items allowed at once travel together; before
// waiting for the next slot, the items already allowed are passed on, so
// pacing never holds back an item that was allowed to go.
//
// Only the throttle's own lateness (a timer firing late, a goroutine run
// late on a busy machine) is caught up on. An item that was not there at
// its time (the throttle had to wait for input), or that no worker was
// waiting for (the stage is busy), goes when it can, and the next one an
// interval after it: catching up then would be a burst.
//
// In an ordered stage, room (non-nil) waits until the chunk numbered seq
// has room in the reorder window: an item is handed on only then, so that
// its call starts at once, and the next one an interval after.
//
// Items enter the stage (its counters are st) when the rate limit takes
// them; the port it returns does no accounting.
func throttle[T any](r *run, in inPort[T], c *config, st *stageStats, room func(seq uint64) (ok, waited bool)) inPort[T] {
	out := newOutPort[T](0, &stageStats{}, c.chunk)
	// Rounded up, so that n intervals are never shorter than the period.
	interval := (c.ratePer + time.Duration(c.rateN) - 1) / time.Duration(c.rateN)
	catchUp := max(interval, maxCatchUp)
	var next time.Time // the earliest time the next item may go
	// pass hands items to the workers, a chunk at a time. If none was
	// waiting for a chunk, or it had to wait for room in the reorder
	// window, it went later than it was allowed to: the schedule restarts
	// from then.
	pass := func(items []T) bool {
		for len(items) > 0 {
			n := min(len(items), out.max)
			b := batch[T]{seq: out.seq.Load(), items: items[:n:n]}
			items = items[n:]
			late := false
			if room != nil {
				ok, waited := room(b.seq)
				if !ok {
					return false
				}
				late = waited
			}
			select {
			case out.ch <- b:
			default:
				late = true
				select {
				case out.ch <- b:
				case <-r.done:
					return false
				}
			}
			out.seq.Add(1)
			if now := time.Now(); late && now.Add(interval).After(next) {
				next = now.Add(interval)
			}
		}
		return true
	}
	r.goroutine(func() {
		defer out.close()
		var timer *time.Timer
		for {
			var items []T
			idle := false // the throttle waited for items
			select {
			case b, ok := <-in.ch:
				if !ok {
					return
				}
				in.admit(b.items, st)
				items = b.items
			default:
				idle = true
				var ok bool
				if items, ok = in.recv(r, st); !ok {
					return
				}
			}
			start := 0
			for i := range items {
				now := time.Now()
				if late := now.Sub(next); late > 0 && late < catchUp && !(idle && i == 0) {
					// A little late, with the item waiting: timers fire up
					// to a millisecond late on a busy machine. Keep the
					// schedule, or every late wake-up would lower the rate
					// for good.
					now = next
				}
				if next.After(now) {
					if i > start {
						if !pass(items[start:i:i]) {
							return
						}
						start = i
						now = time.Now()
					}
					if wait := next.Sub(now); wait > 0 {
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
					}
					now = next
				}
				next = now.Add(interval)
			}
			if !pass(items[start:]) {
				return
			}
		}
	})
	return inPort[T]{ch: out.ch, sequenced: true}
}
