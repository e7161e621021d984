package pipeline

import (
	"iter"

	"github.com/weftgo/weft/pipeline/queue"
)

// FromSlice returns a stream of the items of s, in order. The slice is read
// while the pipeline runs and must not be modified until the sink returns.
// It reads [WithChunkSize], [WithBuffer] and [WithName].
func FromSlice[T any](s []T, opts ...Option) *Stream[T] {
	return newStream("slice", opts, func(r *run, out *outPort[T], c *config) {
		r.goroutine(func() {
			defer out.close()
			for len(s) > 0 {
				n := min(len(s), c.chunk)
				batch := make([]T, n)
				copy(batch, s)
				s = s[n:]
				out.st.in.Add(int64(n))
				if !out.send(r, batch) {
					return
				}
			}
		})
	})
}

// FromChan returns a stream of the values received from ch until it is
// closed. Receiving stops when the pipeline stops; the channel is never
// closed or drained by the pipeline. A nil channel panics (it would block
// forever). It reads [WithChunkSize], [WithBuffer]
// and [WithName].
func FromChan[T any](ch <-chan T, opts ...Option) *Stream[T] {
	if ch == nil {
		panic("pipeline: FromChan with a nil channel")
	}
	return newStream("chan", opts, func(r *run, out *outPort[T], c *config) {
		r.goroutine(func() {
			defer out.close()
			for {
				// A select picks at random among ready cases: look at done
				// first, so that no value is taken from ch (and lost) once
				// the pipeline has stopped.
				if r.halted() {
					return
				}
				var first T
				select {
				case v, ok := <-ch:
					if !ok {
						return
					}
					first = v
				case <-r.done:
					return
				}
				// Take what else is ready, without waiting for more.
				batch := append(make([]T, 0, min(c.chunk, 1+len(ch))), first)
				open := true
			more:
				for open && len(batch) < c.chunk {
					if r.halted() {
						break more
					}
					select {
					case v, ok := <-ch:
						if !ok {
							open = false
							break more
						}
						batch = append(batch, v)
					default:
						break more
					}
				}
				out.st.in.Add(int64(len(batch)))
				if !out.send(r, batch) || !open {
					return
				}
			}
		})
	})
}

// FromSeq returns a stream of the values of seq. seq runs on its own
// goroutine; when the pipeline stops, its next yield returns false, so a
// seq that blocks without yielding delays the sink's return until it
// yields or ends. It reads [WithChunkSize], [WithBuffer] and [WithName].
func FromSeq[T any](seq iter.Seq[T], opts ...Option) *Stream[T] {
	if seq == nil {
		panic("pipeline: FromSeq with a nil sequence")
	}
	return newStream("seq", opts, func(r *run, out *outPort[T], c *config) {
		h := newHandoff[T](c.chunk)
		r.goroutine(func() {
			defer h.close()
			err := r.call(func() error {
				for v := range seq {
					if h.put(r.ctx, v) != nil {
						break
					}
				}
				return nil
			})
			if err != nil {
				r.fail(err)
			}
		})
		r.goroutine(func() {
			defer out.close()
			for {
				batch, ok := h.take(r.ctx)
				if !ok {
					return
				}
				out.st.in.Add(int64(len(batch)))
				if !out.send(r, batch) {
					return
				}
			}
		})
	})
}

// FromQueue returns a stream of the items taken from q until q is closed
// (by [queue.Queue.Close], [queue.Queue.Shutdown] or [queue.Queue.Stop])
// and empty. Items are removed from q as the pipeline takes them, as many
// as are there, up to a chunk. The pipeline does not call
// [queue.Queue.TaskDone]; a caller that waits with [queue.Queue.Join] or
// Shutdown calls it, in a sink for instance. It reads [WithChunkSize],
// [WithBuffer] and [WithName].
func FromQueue[T any](q *queue.Queue[T], opts ...Option) *Stream[T] {
	if q == nil {
		panic("pipeline: FromQueue with a nil Queue")
	}
	return newStream("queue", opts, func(r *run, out *outPort[T], c *config) {
		r.goroutine(func() { sendFromQueue(r, q, out, c) })
	})
}

func sendFromQueue[T any](r *run, q *queue.Queue[T], out *outPort[T], c *config) {
	defer out.close()
	buf := make([]T, min(c.chunk, startCap))
	for {
		n, err := q.GetBatch(r.ctx, buf)
		if err != nil {
			return // closed and empty, or canceled
		}
		batch := make([]T, n)
		copy(batch, buf[:n])
		clear(buf[:n])
		if n == len(buf) && n < c.chunk {
			buf = make([]T, min(2*n, c.chunk)) // it was full: take more at once
		}
		out.st.in.Add(int64(n))
		if !out.send(r, batch) {
			return
		}
	}
}
