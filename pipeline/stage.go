package pipeline

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weftgo/weft/internal/cond"
	"github.com/weftgo/weft/internal/shake"
	"github.com/weftgo/weft/observe"
)

// How a worker stage shares its input between its workers. A worker that
// takes a chunk from the input channel keeps a claim on its first items
// and publishes the rest, waking idle workers, which claim from it in turn.
// The size of a claim adapts to the callback's cost, measured once per
// claim: cheap items are run in whole chunks, as a channel per item would
// cost more than the work, and costly items one by one, so that every
// worker has one whenever there are enough.
const (
	// splitBelow: a chunk whose items are measured to cost less than this
	// in all is run by the worker that took it; waking another worker
	// would cost about as much.
	splitBelow = 10 * time.Microsecond
	// claimUpTo bounds the measured work of one claim, and so how long a
	// result waits in its worker for the rest of its claim.
	claimUpTo = 500 * time.Microsecond
)

// batchFunc runs a stage's callback on items, in order, and returns the
// results, how many items it finished and how many of those failed and
// were absorbed by the error policy (skipped, and counted as such at once
// with stageStats.skip). It stops early, with done <
// len(items) and no error, once the run has stopped (run.stopped), so
// that nothing new starts after the pipeline stops. A non-nil error stops
// the pipeline at once and the results are discarded.
type batchFunc[A, B any] func(ctx context.Context, items []A) (res []B, done, skipped int, err error)

// workers runs a stage's callback on c.concurrency goroutines.
type workers[A, B any] struct {
	r   *run
	in  inPort[A]
	out *outPort[B]
	st  *stageStats
	fn  batchFunc[A, B]
	n   int32
	ord *orderer[B] // nil unless ordered with more than one worker
	obs observe.Observer

	// recvTok serialises receiving in an ordered stage whose input is not
	// sequenced, so that chunks are numbered in channel order.
	recvTok chan struct{}
	nextIn  uint64 // guarded by recvTok

	est   atomic.Int64 // measured cost of one item in ns; -1 until measured
	epoch time.Time    // claims are timed as time.Since(epoch), one clock read each

	mu     sync.Mutex
	open   []*chunk[A]  // published chunks with unclaimed items, oldest first
	queued atomic.Int64 // unclaimed items in open
	idle   atomic.Int32 // workers waiting for input, to wake when publishing
	wake   chan struct{}
	eof    atomic.Bool // the input is exhausted
	// done counts the workers waiting with nothing in hand after eof. A
	// worker that took a chunk is never among them, so once all are, no
	// item is left and none can be published: the stage has ended.
	done    atomic.Int32
	ended   chan struct{}
	endOnce sync.Once // a stale wake-up can bring done back to n
}

// chunk is a batch taken from the input whose items are shared out.
type chunk[A any] struct {
	items []A
	seq   uint64 // its number, for an ordered stage
	next  int    // first unclaimed item; guarded by workers.mu
}

// runWorkers starts c.concurrency goroutines that apply fn to the items of
// in and send the results to out, in input order if the stage is ordered.
// The last goroutine to end closes out.
func runWorkers[A, B any](r *run, in inPort[A], out *outPort[B], c *config, fn batchFunc[A, B]) {
	var ord *orderer[B]
	if c.ordered && c.concurrency > 1 {
		ord = newOrderer[B](c.window)
	}
	if c.rateN > 0 {
		var room func(seq uint64) (ok, waited bool)
		if ord != nil {
			room = func(seq uint64) (bool, bool) { return ord.waitRoom(r, seq) }
		}
		in = throttle(r, in, c, out.st, room)
	}
	w := &workers[A, B]{
		r: r, in: in, out: out, st: out.st, fn: fn, n: int32(c.concurrency), obs: c.obs,
		wake: make(chan struct{}, c.concurrency), ended: make(chan struct{}), ord: ord,
	}
	w.est.Store(-1)
	w.epoch = time.Now()
	if ord != nil && !in.sequenced {
		w.recvTok = make(chan struct{}, 1)
	}
	var live atomic.Int32
	live.Store(w.n)
	for range c.concurrency {
		r.goroutine(func() {
			defer func() {
				if live.Add(-1) == 0 {
					out.close()
				}
			}()
			w.work()
		})
	}
}

func (w *workers[A, B]) work() {
	defer w.dropOpen()
	for {
		items, seq, lo, ok := w.claim()
		if !ok || !w.process(items, seq, lo) {
			return
		}
	}
}

// claim returns the next items to run, the number of their chunk and the
// index of the first in it: from a chunk already taken from the input, or
// else from a new one, waiting for it. It reports false when the stage is
// done or the run stopped.
func (w *workers[A, B]) claim() ([]A, uint64, int, bool) {
	for {
		if w.queued.Load() > 0 {
			if items, seq, lo, ok := w.takeOpen(); ok {
				return items, seq, lo, true
			}
		}
		items, seq, got, more := w.wait()
		if !more {
			return nil, 0, 0, false
		}
		if !got {
			continue
		}
		if w.ord != nil && !w.ord.enter(w.r, seq, len(items)) {
			w.dropped(len(items))
			return nil, 0, 0, false
		}
		k := w.size(len(items))
		if k < len(items) {
			w.publish(&chunk[A]{items: items, seq: seq, next: k})
		}
		return items[:k:k], seq, 0, true
	}
}

// size is how many of remaining items of a chunk a worker claims.
func (w *workers[A, B]) size(remaining int) int {
	e := w.est.Load()
	switch {
	case e < 0:
		return 1 // not measured yet: assume a costly callback
	case e == 0 || int64(remaining) <= int64(splitBelow)/e:
		return remaining // cheap: e × remaining <= splitBelow
	}
	k := int(int64(claimUpTo) / e)
	fair := (remaining + int(w.n) - 1) / int(w.n) // leave some for every worker
	return max(1, min(k, fair, remaining))
}

// publish shares out the unclaimed items of c and wakes idle workers for
// them. A worker about to wait counts itself idle before it checks queued,
// and publish adds to queued before it checks idle, so one of the two sees
// the other.
func (w *workers[A, B]) publish(c *chunk[A]) {
	rest := len(c.items) - c.next
	w.mu.Lock()
	w.open = append(w.open, c)
	w.queued.Add(int64(rest))
	w.mu.Unlock()
	for range min(int(w.idle.Load()), rest) {
		select {
		case w.wake <- struct{}{}:
		default:
			return
		}
	}
}

// takeOpen claims items of the oldest published chunk.
func (w *workers[A, B]) takeOpen() ([]A, uint64, int, bool) {
	w.mu.Lock()
	if len(w.open) == 0 {
		w.mu.Unlock()
		return nil, 0, 0, false
	}
	c := w.open[0]
	lo := c.next
	k := w.size(len(c.items) - lo)
	c.next += k
	if c.next == len(c.items) {
		w.open[0] = nil
		w.open = w.open[1:]
	}
	w.queued.Add(-int64(k))
	w.mu.Unlock()
	return c.items[lo : lo+k : lo+k], c.seq, lo, true
}

// wait waits for a new chunk from the input, or to be woken for published
// items. got reports a chunk, and more false that the worker must stop.
func (w *workers[A, B]) wait() (items []A, seq uint64, got, more bool) {
	if w.eof.Load() {
		return nil, 0, false, w.waitEnd()
	}
	w.idle.Add(1)
	if w.queued.Load() > 0 {
		w.idle.Add(-1)
		return nil, 0, false, true
	}
	if w.recvTok != nil {
		select {
		case w.recvTok <- struct{}{}:
			defer func() { <-w.recvTok }()
		case <-w.wake:
			w.idle.Add(-1)
			return nil, 0, false, true
		case <-w.r.done:
			return nil, 0, false, false
		}
	}
	select {
	case b, ok := <-w.in.ch:
		w.idle.Add(-1)
		if !ok {
			w.eof.Store(true)
			return nil, 0, false, true
		}
		w.in.admit(b.items, w.st)
		if w.recvTok != nil {
			b.seq = w.nextIn
			w.nextIn++
		}
		return b.items, b.seq, true, true
	case <-w.wake:
		w.idle.Add(-1)
		return nil, 0, false, true
	case <-w.r.done:
		return nil, 0, false, false
	}
}

// waitEnd waits, once the input is exhausted, to be woken for published
// items; it reports false when the stage has ended or the run stopped.
func (w *workers[A, B]) waitEnd() bool {
	w.idle.Add(1)
	n := w.done.Add(1)
	if w.queued.Load() > 0 {
		w.done.Add(-1)
		w.idle.Add(-1)
		return true
	}
	if n == w.n {
		w.endOnce.Do(func() { close(w.ended) })
		return false
	}
	select {
	case <-w.wake:
		w.done.Add(-1)
		w.idle.Add(-1)
		return true
	case <-w.ended:
	case <-w.r.done:
	}
	return false
}

// process runs the callback on a claim, items lo... of chunk seq, with
// panics captured, and emits the results. It reports false if the worker
// must stop: the callback failed, or the run stopped.
func (w *workers[A, B]) process(items []A, seq uint64, lo int) bool {
	if w.r.ctx.Err() != nil {
		w.dropped(len(items))
		return false // nothing new starts once the run stopped
	}
	var res []B
	var done, skipped int
	start := time.Since(w.epoch)
	err := w.r.call(func() (err error) {
		res, done, skipped, err = w.fn(w.r.ctx, items)
		return err
	})
	if done > 0 {
		w.measure(time.Since(w.epoch)-start, done)
	}
	if err != nil {
		if p, ok := err.(observedPanic); ok {
			err = p.pe
		}
		// Fail at once: in an ordered stage, waiting for this claim's turn
		// could wait for a callback that only ends on cancellation. The
		// claim's items count as dropped when the sink returns. The
		// batch stopped at the item that failed, done items in.
		w.r.fail(err)
		w.dropped(len(items) - done - 1)
		return false
	}
	// The skipped items left InFlight already (stageStats.skip).
	if done < len(items) {
		// Stopped: the finished items' results are dropped now, the
		// unfinished items when the sink returns.
		w.st.inFlight.Add(-int64(done - skipped))
		w.st.dropped.Add(int64(done - skipped))
		w.dropped(len(items) - done)
		return false
	}
	w.st.inFlight.Add(-int64(len(items) - skipped))
	if w.ord == nil {
		return w.out.send(w.r, res)
	}
	w.st.buffered.Add(int64(len(res)))
	return w.ord.emit(w.r, w.out, seq, lo, lo+len(items), res)
}

// measure updates the cost estimate with a claim of n items that took d. It
// follows a rise at once, so that costly items are shared out from the next
// claim on, and a fall gradually.
func (w *workers[A, B]) measure(d time.Duration, n int) {
	s := int64(d) / int64(n)
	e := w.est.Load()
	if e < 0 || s >= e {
		w.est.Store(s)
	} else {
		w.est.Store(e - (e-s)/4)
	}
}

// orderer lets the workers of an ordered stage finish claims in any order
// and emit their results in input order. A chunk enters the stage only
// within window chunks of the oldest one not yet fully emitted, so one slow
// item stalls the stage only once the window is full. The worker that
// finishes the claim next in order emits it, then every claim after it
// already finished; the others park their results in their chunk's slot.
type orderer[B any] struct {
	mu       sync.Mutex
	room     *cond.Cond // signalled when nextOut advances
	nextOut  uint64     // the oldest chunk not yet fully emitted
	emitting bool       // a worker is emitting; others park
	slots    []orderSlot[B]
}

type orderSlot[B any] struct {
	n       int // items in the chunk
	emitted int // items of the chunk whose results were emitted
	parked  []parked[B]
}

type parked[B any] struct {
	lo, hi int
	res    []B
}

func newOrderer[B any](window int) *orderer[B] {
	o := &orderer[B]{slots: make([]orderSlot[B], window)}
	o.room = cond.New(&o.mu)
	return o
}

// enter waits until chunk seq of n items is within the window and gives it
// its slot. It reports false if the run stopped first. The chunk at the
// window's start entered earlier, and its worker is not waiting here, so the
// window always moves on.
func (o *orderer[B]) enter(r *run, seq uint64, n int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if ok, _ := o.waitLocked(r, seq); !ok {
		return false
	}
	o.slots[seq%uint64(len(o.slots))].n = n
	return true
}

// waitRoom waits until chunk seq is within the window, without entering
// it, and reports whether it had to wait; ok is false if the run stopped
// first. A rate limit calls it before handing chunk seq on, so that the
// call it paces does not wait for room after it.
func (o *orderer[B]) waitRoom(r *run, seq uint64) (ok, waited bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.waitLocked(r, seq)
}

// waitLocked is waitRoom with o.mu held.
func (o *orderer[B]) waitLocked(r *run, seq uint64) (ok, waited bool) {
	for seq-o.nextOut >= uint64(len(o.slots)) {
		waited = true
		if o.room.Wait(r.ctx) != nil {
			return false, true
		}
	}
	return true, waited
}

// emit sends res, the results of items lo to hi of chunk seq, if they are
// next in order, followed by any later results already parked; otherwise it
// parks them. It reports false if the run stopped while sending.
func (o *orderer[B]) emit(r *run, out *outPort[B], seq uint64, lo, hi int, res []B) bool {
	o.mu.Lock()
	s := &o.slots[seq%uint64(len(o.slots))]
	if o.emitting || seq != o.nextOut || lo != s.emitted {
		s.parked = append(s.parked, parked[B]{lo, hi, res})
		o.mu.Unlock()
		return true
	}
	o.emitting = true
	for {
		s.emitted = hi
		o.mu.Unlock()
		shake.Point(shake.StageEmit)
		if !out.sendCounted(r, res) {
			return false
		}
		o.mu.Lock()
		if s.emitted == s.n {
			*s = orderSlot[B]{parked: s.parked[:0]}
			o.nextOut++
			o.room.Broadcast()
			s = &o.slots[o.nextOut%uint64(len(o.slots))]
		}
		i := s.find()
		if i < 0 {
			o.emitting = false
			o.mu.Unlock()
			return true
		}
		p := s.parked[i]
		last := len(s.parked) - 1
		s.parked[i] = s.parked[last]
		s.parked[last] = parked[B]{}
		s.parked = s.parked[:last]
		hi, res = p.hi, p.res
	}
}

// find returns the index of the parked results next in order, or -1.
func (s *orderSlot[B]) find() int {
	for i, p := range s.parked {
		if p.lo == s.emitted {
			return i
		}
	}
	return -1
}
