package pipeline

import "time"

// Batch returns a stream of slices of up to size consecutive items of s. A
// batch is emitted when it holds size items, when maxWait has passed since
// its first item arrived (if maxWait > 0), or when the input ends, so a slow
// stream still sees its items within maxWait. Order is kept. The slices are
// owned by the receiver.
//
// Batch reads [WithBuffer], [WithChunkSize] and [WithName]. It panics if
// size < 1 or maxWait < 0.
func Batch[T any](s *Stream[T], size int, maxWait time.Duration, opts ...Option) *Stream[[]T] {
	s.usable("Batch")
	if size < 1 || maxWait < 0 {
		panic("pipeline: Batch needs size >= 1 and maxWait >= 0")
	}
	return claimed(s, newStream("batch", opts, func(r *run, out *outPort[[]T], c *config) {
		in := s.start(r)
		r.goroutine(func() {
			defer out.close()
			var cur []T
			var timer *time.Timer
			var expired <-chan time.Time // nil while no batch is open
			flush := func() bool {
				n := int64(len(cur))
				b := cur
				cur = nil
				if expired != nil {
					timer.Stop()
					expired = nil
				}
				out.st.inFlight.Add(-n)
				return out.send(r, [][]T{b})
			}
			for {
				select {
				case b, ok := <-in.ch:
					items := b.items
					if !ok {
						if len(cur) > 0 {
							flush()
						}
						return
					}
					in.admit(items, out.st)
					var done [][]T
					for _, v := range items {
						if cur == nil {
							cur = make([]T, 0, min(size, startCap))
							if maxWait > 0 {
								if timer == nil {
									timer = time.NewTimer(maxWait)
								} else {
									timer.Reset(maxWait)
								}
								expired = timer.C
							}
						}
						cur = append(cur, v)
						if len(cur) == size {
							out.st.inFlight.Add(-int64(size))
							done = append(done, cur)
							cur = nil
							if expired != nil {
								timer.Stop()
								expired = nil
							}
						}
					}
					if !out.send(r, done) {
						return
					}
				case <-expired:
					expired = nil
					if !flush() {
						return
					}
				case <-r.done:
					return
				}
			}
		})
	}))
}
