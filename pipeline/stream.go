package pipeline

import (
	"sync/atomic"
)

// Stream is a typed stage of a pipeline: a source ([FromSlice], [FromChan],
// [FromSeq], [FromQueue]) or a stage built on other streams ([Map],
// [Filter], [FlatMap], [Batch], [Tumbling], [Sliding], [Merge], [Tee]).
//
// A Stream only describes work: nothing runs until a sink ([ForEach],
// [Collect], [Reduce], [All]) consumes the last stream, and then every stage
// runs on its own goroutines until the input is exhausted, a stage fails or
// the sink stops. A Stream is consumed once: giving it to two stages or
// sinks panics; use [Tee] to feed several. Streams are made only by the
// functions above (the zero value is not usable) and are used by pointer.
// Building streams is not safe for concurrent use; [Stream.Stats] is.
//
// Items move between stages in batches of up to [WithChunkSize] items, a
// stage holds at most its concurrency plus its reorder window plus its
// buffer in batches, so memory is bounded by the configuration whatever the
// input size.
type Stream[T any] struct {
	open  func(r *run, out *outPort[T], c *config)
	cfg   config
	stats *stageStats
	used  atomic.Bool
	// sequenced: one goroutine at a time sends the output, so batch
	// numbers follow channel order.
	sequenced bool
}

// Stats is a snapshot of a stage's counters.
type Stats struct {
	Name     string
	In       int64 // items received (for a source: read from its input)
	Out      int64 // items emitted to the next stage
	InFlight int64 // items received and not yet finished (processed, or waiting for their turn in an ordered stage)
	Buffered int64 // items finished and not yet taken by the next stage (in the output buffer or waiting to enter it)
	Errors   int64 // callback errors skipped or collected by the error policy
}

type stageStats struct {
	name                                string
	in, out, inFlight, buffered, errors atomic.Int64
}

// Stats returns the stage's counters. It may be called at any time, from any
// goroutine, during or after the run.
func (s *Stream[T]) Stats() Stats {
	st := s.stats
	return Stats{
		Name:     st.name,
		In:       st.in.Load(),
		Out:      st.out.Load(),
		InFlight: st.inFlight.Load(),
		Buffered: st.buffered.Load(),
		Errors:   st.errors.Load(),
	}
}

func newStream[T any](name string, opts []Option, open func(r *run, out *outPort[T], c *config)) *Stream[T] {
	c := newConfig(name, opts)
	return &Stream[T]{open: open, cfg: c, stats: &stageStats{name: c.name}, sequenced: true}
}

// start launches s and everything upstream of it in r and returns the port
// its output arrives on.
func (s *Stream[T]) start(r *run) inPort[T] {
	if s.used.Swap(true) {
		panic("pipeline: stream consumed twice; use Tee to feed several stages")
	}
	out := newOutPort[T](s.cfg.buffer, s.stats, s.cfg.chunk)
	s.open(r, out, &s.cfg)
	return inPort[T]{ch: out.ch, st: s.stats, sequenced: s.sequenced}
}

// batch is what travels between stages: up to a chunk of items, numbered
// 0, 1, 2, ... by the sending port.
type batch[T any] struct {
	seq   uint64
	items []T
}

// inPort is the receiving end of a stage's output.
type inPort[T any] struct {
	ch        <-chan batch[T]
	st        *stageStats // of the stage that sends
	sequenced bool        // batch numbers follow channel order
}

// recv returns the next batch, or false when the input is exhausted or the
// run is cancelled.
func (p inPort[T]) recv(r *run) ([]T, bool) {
	b, ok := p.recvSeq(r)
	return b.items, ok
}

func (p inPort[T]) recvSeq(r *run) (batch[T], bool) {
	select {
	case b, ok := <-p.ch:
		if ok {
			p.st.buffered.Add(-int64(len(b.items)))
		}
		return b, ok
	case <-r.done:
		return batch[T]{}, false
	}
}

// admit accounts for items a timed stage (Batch, the windows) took from p's
// channel itself, in a select beside its timer, instead of through recv:
// they leave p's buffer and enter the stage whose counters are st.
func (p inPort[T]) admit(items []T, st *stageStats) {
	n := int64(len(items))
	p.st.buffered.Add(-n)
	st.in.Add(n)
	st.inFlight.Add(n)
}

// outPort is the sending end of a stage's output.
type outPort[T any] struct {
	ch  chan batch[T]
	st  *stageStats
	max int
	seq atomic.Uint64 // number of the next batch
}

func newOutPort[T any](buffer int, st *stageStats, max int) *outPort[T] {
	return &outPort[T]{ch: make(chan batch[T], buffer), st: st, max: max}
}

// send hands c to the next stage in batches of at most max items. It
// reports false if the run was cancelled first.
func (p *outPort[T]) send(r *run, c []T) bool {
	for len(c) > 0 {
		part := c
		if len(part) > p.max {
			part = c[:p.max:p.max]
		}
		n := int64(len(part))
		p.st.buffered.Add(n)
		select {
		case p.ch <- batch[T]{seq: p.seq.Add(1) - 1, items: part}:
			p.st.out.Add(n)
		case <-r.done:
			p.st.buffered.Add(-n)
			return false
		}
		c = c[len(part):]
	}
	return true
}

func (p *outPort[T]) close() { close(p.ch) }
