package pipeline

import (
	"sync/atomic"

	"github.com/weftgo/weft/internal/shake"
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
// Items move between stages in chunks of up to [WithChunkSize] items (see
// the package doc), and a stage holds at most its concurrency plus its
// reorder window plus its buffer in chunks, so memory is bounded by the
// configuration whatever the input size.
type Stream[T any] struct {
	open  func(r *run, out *outPort[T], c *config)
	cfg   config
	stats *stageStats
	// claimed is set when a stage or sink is built on the stream, started
	// when it runs: a Stream feeds one consumer, once.
	claimed, started atomic.Bool
	// sequenced: one goroutine at a time sends the output, so batch
	// numbers follow channel order.
	sequenced bool
}

// Stats is a snapshot of a stage's counters.
//
// An item is counted once on each side of a hand-over: it leaves the
// sending stage's Buffered for its Out at the moment the next stage (or the
// sink) takes it, and that stage counts it in its In at the same moment. So
// the counters obey these rules, exactly once the sink has returned and up
// to the updates in progress while the pipeline runs:
//
//   - A stage's Out equals the In of the stage that reads it, and for the
//     last stage, the number of items the sink handed to its callback (or
//     yielded, for [All]). A [Tee] is the exception: its input counts in Out
//     what the Tee took, and each branch counts in In what it was offered.
//   - When the sink returns, InFlight and Buffered are 0 in every stage:
//     whatever the run abandoned when it stopped (items in flight, results
//     in a buffer or waiting for their turn, items of a chunk the sink did
//     not reach) is counted in Dropped.
//   - A source, [Map], [Merge] and a Tee branch emit one item per item they
//     take, and for them In == Out + InFlight + Buffered + Errors + Dropped.
//     [Filter] obeys the same sum plus the items it rejected. [FlatMap]
//     counts its input items in In, InFlight and Errors and its output items
//     in Out and Buffered; [Batch], [Tumbling] and [Sliding] count items in
//     In and InFlight and slices in Out and Buffered; for them Dropped
//     counts both kinds.
type Stats struct {
	Name     string
	In       int64 // items taken from the stage's input (for a source: read from its input)
	Out      int64 // items the next stage or the sink took from this one
	InFlight int64 // items taken and not yet finished
	Buffered int64 // results not yet taken by the next stage (in the output buffer, waiting to enter it, or waiting for their turn in an ordered stage)
	Errors   int64 // callback errors skipped or collected by the error policy
	Dropped  int64 // items abandoned when the run stopped (see above)
}

type stageStats struct {
	name                                         string
	in, out, inFlight, buffered, errors, dropped atomic.Int64
}

// skip counts an item whose callback error the error policy absorbed: it
// leaves InFlight for Errors at once, so that it stays counted there if a
// later item of its claim stops the run.
func (st *stageStats) skip() {
	st.inFlight.Add(-1)
	st.errors.Add(1)
}

// dropBuffered counts n buffered items that will never be sent on as
// dropped.
func (st *stageStats) dropBuffered(n int64) {
	st.buffered.Add(-n)
	st.dropped.Add(n)
}

// settle counts whatever is still in flight or buffered as dropped. The sink
// calls it once every goroutine that could update the counters has ended.
func (st *stageStats) settle() {
	st.dropped.Add(st.inFlight.Swap(0) + st.buffered.Swap(0))
}

// Stats returns the stage's counters. It may be called at any time, from any
// goroutine, during or after the run.
func (s *Stream[T]) Stats() Stats {
	s.check()
	st := s.stats
	return Stats{
		Name:     st.name,
		In:       st.in.Load(),
		Out:      st.out.Load(),
		InFlight: st.inFlight.Load(),
		Buffered: st.buffered.Load(),
		Errors:   st.errors.Load(),
		Dropped:  st.dropped.Load(),
	}
}

const (
	errConsumedTwice = "pipeline: stream consumed twice; use Tee to feed several stages"
	errZeroStream    = "pipeline: zero Stream: a Stream must be made with a source (FromSlice, FromChan, FromSeq, FromQueue) or a stage (Map, Filter, ...)"
)

// check panics if s is the zero Stream.
func (s *Stream[T]) check() {
	if s.open == nil {
		panic(errZeroStream)
	}
}

// usable panics unless s is a stream made by this package that no stage or
// sink consumes yet; who names the function s is given to.
func (s *Stream[T]) usable(who string) {
	if s == nil {
		panic("pipeline: " + who + " with a nil Stream")
	}
	s.check()
	if s.claimed.Load() {
		panic(errConsumedTwice)
	}
}

// claim marks s as consumed by the stage or sink being built. Callers check
// every argument first (usable), so that a stage that refuses to be built
// leaves its inputs usable.
func (s *Stream[T]) claim() {
	if s.claimed.Swap(true) {
		panic(errConsumedTwice)
	}
}

func newStream[T any, O StageOption](name string, opts []O, open func(r *run, out *outPort[T], c *config)) *Stream[T] {
	c := newConfig(name, opts)
	return &Stream[T]{open: open, cfg: c, stats: &stageStats{name: c.name}, sequenced: true}
}

// start launches s and everything upstream of it in r and returns the port
// its output arrives on.
func (s *Stream[T]) start(r *run) inPort[T] {
	if s.started.Swap(true) {
		panic(errConsumedTwice)
	}
	out := newOutPort[T](s.cfg.buffer, s.stats, s.cfg.chunk)
	r.stats = append(r.stats, s.stats)
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
	ch <-chan batch[T]
	// st holds the counters of the stage that sends; nil for a port inside
	// a stage (after its rate limit), whose items the stage counted
	// already.
	st        *stageStats
	sequenced bool // batch numbers follow channel order
}

// recv returns the next batch, or false when the input is exhausted or the
// run is canceled. The items enter the stage whose counters are to (nil
// for a sink).
func (p inPort[T]) recv(r *run, to *stageStats) ([]T, bool) {
	b, ok := p.recvSeq(r, to)
	return b.items, ok
}

func (p inPort[T]) recvSeq(r *run, to *stageStats) (batch[T], bool) {
	shake.Point(shake.StageHandoff)
	select {
	case b, ok := <-p.ch:
		if ok {
			p.admit(b.items, to)
		}
		return b, ok
	case <-r.done:
		return batch[T]{}, false
	}
}

// admit counts the hand-over of items taken from p's channel: they leave
// the sender's buffer for its output and enter the stage whose counters are
// to (nil for a sink). Timed stages (Batch, the windows), which receive in a
// select beside their timer, call it directly.
func (p inPort[T]) admit(items []T, to *stageStats) {
	if p.st == nil {
		return
	}
	n := int64(len(items))
	p.st.buffered.Add(-n)
	p.st.out.Add(n)
	if to != nil {
		to.in.Add(n)
		to.inFlight.Add(n)
	}
}

// unreached gives back n items of the last batch a sink took that its
// callback never saw: they are dropped, not delivered.
func (p inPort[T]) unreached(n int) {
	if n > 0 && p.st != nil {
		p.st.out.Add(-int64(n))
		p.st.dropped.Add(int64(n))
	}
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
// reports false if the run was canceled first.
func (p *outPort[T]) send(r *run, c []T) bool {
	p.st.buffered.Add(int64(len(c)))
	return p.sendCounted(r, c)
}

// sendCounted is send for items already counted in the stage's Buffered.
func (p *outPort[T]) sendCounted(r *run, c []T) bool {
	for len(c) > 0 {
		part := c
		if len(part) > p.max {
			part = c[:p.max:p.max]
		}
		shake.Point(shake.StageHandoff)
		select {
		case p.ch <- batch[T]{seq: p.seq.Add(1) - 1, items: part}:
		case <-r.done:
			p.st.dropBuffered(int64(len(c))) // this part and the rest
			return false
		}
		c = c[len(part):]
	}
	return true
}

func (p *outPort[T]) close() { close(p.ch) }

// claimed claims in for the stage s built on it, once s's options are
// checked, and returns s.
func claimed[A, B any](in *Stream[A], s *Stream[B]) *Stream[B] {
	in.claim()
	return s
}
