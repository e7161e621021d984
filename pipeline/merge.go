package pipeline

import "sync/atomic"

// Merge returns a stream of the items of all the given streams, in the order
// they arrive (items of one input keep their relative order). It ends when
// every input has ended; with no input it is empty. The inputs belong to the
// same pipeline run, so an error in any of them stops all of them.
func Merge[T any](streams ...*Stream[T]) *Stream[T] {
	for i, s := range streams {
		s.usable("Merge")
		for _, t := range streams[:i] {
			if t == s {
				panic(errConsumedTwice)
			}
		}
	}
	for _, s := range streams {
		s.claim()
	}
	m := newStream("merge", []Option(nil), func(r *run, out *outPort[T], c *config) {
		if len(streams) == 0 {
			out.close()
			return
		}
		var live atomic.Int32
		live.Store(int32(len(streams)))
		for _, s := range streams {
			in := s.start(r)
			r.goroutine(func() {
				defer func() {
					if live.Add(-1) == 0 {
						out.close()
					}
				}()
				for {
					batch, ok := in.recv(r, out.st)
					if !ok {
						return
					}
					out.st.inFlight.Add(-int64(len(batch)))
					if !out.send(r, batch) {
						return
					}
				}
			})
		}
	})
	m.sequenced = len(streams) <= 1
	return m
}
