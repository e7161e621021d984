package pipeline

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/weftgo/weft/internal/cond"
)

// batchFunc processes one batch of a stage's input. A non-nil error stops
// the pipeline at once and the batch's results are discarded; errors
// absorbed by the error policy are handled inside.
type batchFunc[A, B any] func(ctx context.Context, in []A) ([]B, error)

// runWorkers starts c.concurrency goroutines that apply fn to the batches
// of in and send the results to out, in input order if the stage is
// ordered. The last goroutine to end closes out.
func runWorkers[A, B any](r *run, in inPort[A], out *outPort[B], c *config, fn batchFunc[A, B]) {
	if c.rateN > 0 {
		in = throttle(r, in, c, out.st)
	}
	var ord *orderer[A, B]
	if c.ordered && c.concurrency > 1 {
		ord = newOrderer[A, B](c.window)
	}
	var live atomic.Int32
	live.Store(int32(c.concurrency))
	for range c.concurrency {
		r.goroutine(func() {
			defer func() {
				if live.Add(-1) == 0 {
					out.close()
				}
			}()
			if ord != nil {
				ord.work(r, in, out, fn)
			} else {
				work(r, in, out, fn)
			}
		})
	}
}

// process runs fn on one batch with panics captured. On error the caller
// fails the run.
func process[A, B any](r *run, fn batchFunc[A, B], c []A) ([]B, error) {
	var res []B
	err := r.call(func() (err error) {
		res, err = fn(r.ctx, c)
		return err
	})
	return res, err
}

func work[A, B any](r *run, in inPort[A], out *outPort[B], fn batchFunc[A, B]) {
	for {
		c, ok := in.recv(r, out.st)
		if !ok {
			return
		}
		res, err := process(r, fn, c)
		if err != nil {
			r.fail(err)
			return
		}
		out.st.inFlight.Add(-int64(len(c)))
		if !out.send(r, res) {
			return
		}
	}
}

// orderer lets the workers of an ordered stage run batches concurrently and
// emit results in input order. Batches keep the numbers their sender gave
// them when it sends from one goroutine at a time (inPort.sequenced);
// otherwise they are numbered as they are received, under recvMu, so that
// numbers follow channel order either way. The worker whose batch is next
// emits it, then every following result already done; other workers park
// their results in a ring of size window. A worker starts a batch only
// within window of the oldest batch not yet emitted, so one slow batch
// stalls the stage only when the window is full.
type orderer[A, B any] struct {
	recvMu sync.Mutex
	nextIn uint64 // guarded by recvMu

	mu      sync.Mutex
	room    *cond.Cond // signalled when nextOut advances
	nextOut uint64
	slots   []slot[B]
}

type slot[B any] struct {
	res   []B
	ready bool
}

func newOrderer[A, B any](window int) *orderer[A, B] {
	o := &orderer[A, B]{slots: make([]slot[B], window)}
	o.room = cond.New(&o.mu)
	return o
}

// recv takes the next batch and its number, waiting for room in the window.
func (o *orderer[A, B]) recv(r *run, in inPort[A], st *stageStats) ([]A, uint64, bool) {
	if in.sequenced {
		// The sender's numbers follow channel order: receive without a
		// lock, then wait for the window if the batch is too far ahead.
		// The batch at the window's start was received earlier, by a
		// worker that is not waiting, so the window always moves on.
		b, ok := in.recvSeq(r, st)
		if !ok {
			return nil, 0, false
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		for b.seq-o.nextOut >= uint64(len(o.slots)) {
			if o.room.Wait(r.ctx) != nil {
				return nil, 0, false
			}
		}
		return b.items, b.seq, true
	}
	o.recvMu.Lock()
	defer o.recvMu.Unlock()
	o.mu.Lock()
	for o.nextIn-o.nextOut >= uint64(len(o.slots)) {
		if o.room.Wait(r.ctx) != nil {
			o.mu.Unlock()
			return nil, 0, false
		}
	}
	o.mu.Unlock()
	c, ok := in.recv(r, st)
	if !ok {
		return nil, 0, false
	}
	seq := o.nextIn
	o.nextIn++
	return c, seq, true
}

func (o *orderer[A, B]) work(r *run, in inPort[A], out *outPort[B], fn batchFunc[A, B]) {
	for {
		c, seq, ok := o.recv(r, in, out.st)
		if !ok {
			return
		}
		res, err := process(r, fn, c)
		if err == nil {
			out.st.inFlight.Add(-int64(len(c)))
			out.st.buffered.Add(int64(len(res)))
		}
		if err != nil {
			// Fail at once: waiting for this batch's turn could wait
			// for a callback that only ends on cancellation.
			r.fail(err)
			return
		}
		if !o.emit(r, seq, slot[B]{res: res}, out) {
			return
		}
	}
}

// emit sends the result of batch seq if it is next, followed by any later
// results already parked; otherwise it parks it. It reports false if the run
// was cancelled while sending.
func (o *orderer[A, B]) emit(r *run, seq uint64, s slot[B], out *outPort[B]) bool {
	o.mu.Lock()
	if seq != o.nextOut {
		s.ready = true
		o.slots[seq%uint64(len(o.slots))] = s
		o.mu.Unlock()
		return true
	}
	for {
		o.mu.Unlock()
		if !out.sendCounted(r, s.res) {
			return false
		}
		o.mu.Lock()
		o.nextOut++
		o.room.Broadcast()
		next := &o.slots[o.nextOut%uint64(len(o.slots))]
		if !next.ready {
			o.mu.Unlock()
			return true
		}
		s = *next
		*next = slot[B]{}
	}
}
