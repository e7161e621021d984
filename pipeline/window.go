package pipeline

import "time"

// Tumbling returns a stream of consecutive, non-overlapping time windows of
// the items of s: every d, starting when the pipeline starts, it emits the
// items that arrived since the last window, in arrival order, so each item
// is in one window. Empty windows are not emitted. When the input ends, the
// partial window is emitted at once. The slices are owned by the receiver.
//
// An item arrives when Tumbling reads it. Windows go into the stage's
// buffer of [WithBuffer] windows; when it is full, Tumbling waits for the
// receiver to take one, and meanwhile reads no input (items sent then wait
// upstream, and arrive, or the input ends, when the wait is over) and skips
// the ticks that come, without making them up: the next window comes on
// the first tick after the wait, so with a slow receiver a window holds the
// items of several d.
//
// Tumbling reads [WithBuffer], [WithChunkSize] and [WithName]. It panics if
// d <= 0.
func Tumbling[T any](s *Stream[T], d time.Duration, opts ...Option) *Stream[[]T] {
	s.usable("Tumbling")
	if d <= 0 {
		panic("pipeline: Tumbling needs a positive duration")
	}
	return claimed(s, newStream("tumbling", opts, func(r *run, out *outPort[[]T], c *config) {
		in := s.start(r)
		r.goroutine(func() {
			defer out.close()
			tick := time.NewTicker(d)
			defer tick.Stop()
			var cur []T
			emit := func() bool {
				w := cur
				cur = nil
				out.st.inFlight.Add(-int64(len(w)))
				if !out.send(r, [][]T{w}) {
					return false
				}
				skipMissed(tick)
				return true
			}
			for {
				select {
				case b, ok := <-in.ch:
					items := b.items
					if !ok {
						if len(cur) > 0 {
							emit()
						}
						return
					}
					in.admit(items, out.st)
					cur = append(cur, items...)
				case <-tick.C:
					if len(cur) > 0 && !emit() {
						return
					}
				case <-r.done:
					return
				}
			}
		})
	}))
}

// Sliding returns a stream of overlapping time windows of the items of s:
// every period, starting when the pipeline starts, it emits the items that
// arrived less than size before, in arrival order, so an item appears in
// about size/period windows. Empty windows are not emitted. When the input
// ends, if items arrived since the last window, one final window of the
// items of the last size is emitted at once. The slices are owned by the
// receiver.
//
// An item arrives when Sliding reads it, and a window holds what arrived
// less than size before the window was emitted, however late the receiver
// takes it. A slow receiver holds Sliding up as it does [Tumbling]: when the
// buffer of [WithBuffer] windows is full, Sliding reads no input until the
// receiver takes a window, so items sent meanwhile arrive when the wait is
// over, and it skips the ticks that come meanwhile: the next window comes
// on the first tick after the wait.
//
// Sliding reads [WithBuffer], [WithChunkSize] and [WithName]. It panics if
// size or period is not positive.
func Sliding[T any](s *Stream[T], size, period time.Duration, opts ...Option) *Stream[[]T] {
	s.usable("Sliding")
	if size <= 0 || period <= 0 {
		panic("pipeline: Sliding needs a positive size and period")
	}
	type stamped struct {
		at time.Time
		v  T
	}
	return claimed(s, newStream("sliding", opts, func(r *run, out *outPort[[]T], c *config) {
		in := s.start(r)
		r.goroutine(func() {
			defer out.close()
			tick := time.NewTicker(period)
			defer tick.Stop()
			var held []stamped // arrival order
			fresh := false     // an item arrived since the last window
			emit := func(now time.Time, onlyFresh bool) bool {
				drop := 0
				for drop < len(held) && !held[drop].at.After(now.Add(-size)) {
					drop++
				}
				out.st.inFlight.Add(-int64(drop))
				held = append(held[:0], held[drop:]...)
				if len(held) == 0 || (onlyFresh && !fresh) {
					return true
				}
				fresh = false
				w := make([]T, len(held))
				for i, h := range held {
					w[i] = h.v
				}
				if !out.send(r, [][]T{w}) {
					return false
				}
				skipMissed(tick)
				return true
			}
			for {
				select {
				case b, ok := <-in.ch:
					items := b.items
					if !ok {
						emit(time.Now(), true)
						out.st.inFlight.Add(-int64(len(held)))
						return
					}
					in.admit(items, out.st)
					now := time.Now()
					for _, v := range items {
						held = append(held, stamped{now, v})
					}
					fresh = fresh || len(items) > 0
				case <-tick.C:
					// Not the tick's time: a tick kept while a window
					// waited for the receiver carries the time it was due.
					if !emit(time.Now(), false) {
						return
					}
				case <-r.done:
					return
				}
			}
		})
	}))
}

// skipMissed drops the tick a ticker kept while a window waited for the
// receiver. Emitted at once, the next window would come off the period,
// holding only what the stage happened to read before its select chose
// the tick; skipped, it comes on the next tick with everything read since.
func skipMissed(tick *time.Ticker) {
	select {
	case <-tick.C:
	default:
	}
}
