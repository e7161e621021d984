package pipeline

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// Tee returns n streams that each receive every item of s, in order. The
// branches may be consumed by one sink (after [Merge] for example) or by
// different sinks, which must then run concurrently: s runs once, starting
// when the first branch starts and delivering once every branch has
// started, and a branch waits for the slowest one (backpressure), so
// consuming the branches one after the other deadlocks.
//
// An error or panic upstream of the Tee is returned by every branch's sink,
// and so are the errors [CollectErrors] keeps upstream, joined with the
// branch's own in the order they were returned, when the branch reads the
// whole input (once, by a sink that reads several branches). A branch
// whose sink stops (early, or on its own error) is dropped and the others
// go on. The part of the pipeline upstream of the Tee stops when every
// branch started so far has stopped, whether or not the others have
// started, and the sink of the last of them to stop waits for its
// goroutines; the sinks of the other branches wait only for their own. A
// branch that starts after that gets nothing: its sink returns
// [ErrTeeStopped], or the error that failed upstream. Since the branches
// may belong to different sinks, callbacks upstream of the Tee get a
// context of their own, not derived from any sink's context (so it carries
// none of its values); it is canceled when upstream fails or every branch
// started so far has stopped.
//
// Each branch receives its own batches (all but one are copies), but the
// items themselves are shared: a pointer item points to the same value in
// every branch.
//
// Tee reads [WithBuffer], [WithChunkSize] and [WithName] for its branches.
// It panics if n < 1.
func Tee[T any](s *Stream[T], n int, opts ...Option) []*Stream[T] {
	s.usable("Tee")
	if n < 1 {
		panic(fmt.Sprintf("pipeline: Tee into %d branches", n))
	}
	newConfig("", opts) // check the options before claiming s
	s.claim()
	t := &tee[T]{src: s, branches: make([]teeBranch[T], n), allOpen: make(chan struct{})}
	streams := make([]*Stream[T], n)
	for i := range streams {
		streams[i] = newStream(fmt.Sprintf("tee %d", i), opts, func(r *run, out *outPort[T], c *config) {
			t.open(i, r, out)
		})
	}
	return streams
}

type tee[T any] struct {
	src     *Stream[T]
	allOpen chan struct{}

	mu       sync.Mutex
	up       *run // runs s and the distributor; nil until a branch opens
	branches []teeBranch[T]
	opened   int
	attached int
	ended    bool  // the distributor has closed every opened branch
	err      error // why it ended, if not by exhausting its input
}

type teeBranch[T any] struct {
	r   *run
	out *outPort[T]
	// sendMu is held by the distributor while it offers the branch a batch
	// and by the branch's sink when it leaves; once gone, the branch is
	// offered nothing, so its counters are final when its sink returns.
	// The distributor's send also waits on r.done, which is closed by the
	// time the sink leaves, so the sink never waits long.
	sendMu sync.Mutex
	gone   bool
}

func (t *tee[T]) open(i int, r *run, out *outPort[T]) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.branches[i].r, t.branches[i].out = r, out
	t.opened++
	if t.opened == len(t.branches) {
		close(t.allOpen)
	}
	if t.ended {
		out.close()
		r.fail(t.err)
		return
	}
	t.attached++
	r.after = append(r.after, func() { t.detach(i) })
	if t.up == nil {
		t.up = newRun(context.Background())
		in := build(t.up, t.src)
		t.up.goroutine(func() { t.distribute(in) })
	}
	// The branch returns the errors collected upstream, those so far
	// and those to come, in the order they come; once if one sink reads
	// several branches.
	t.up.mu.Lock()
	if !slices.Contains(t.up.also, r) {
		r.keep(t.up.errs...)
		t.up.also = append(t.up.also, r)
	}
	t.up.mu.Unlock()
}

// detach runs when a branch's sink has finished. The last branch stops the
// upstream part and waits for it.
func (t *tee[T]) detach(i int) {
	b := &t.branches[i]
	b.sendMu.Lock()
	b.gone = true
	b.sendMu.Unlock()
	t.mu.Lock()
	t.attached--
	last := t.attached == 0
	t.mu.Unlock()
	if last {
		t.up.finish()
	}
}

// end closes every opened branch, failing its run if upstream failed or
// stopped before the branch saw the end of the input.
func (t *tee[T]) end(exhausted bool) {
	t.up.mu.Lock()
	err := t.up.err
	t.up.mu.Unlock()
	if err == nil && !exhausted {
		err = ErrTeeStopped
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended, t.err = true, err
	for i := range t.branches {
		b := &t.branches[i]
		if b.out == nil {
			continue
		}
		if err != nil {
			b.r.fail(err)
		}
		b.out.close()
	}
}

func (t *tee[T]) distribute(in inPort[T]) {
	up := t.up
	exhausted := false
	defer func() { t.end(exhausted) }()
	select {
	case <-t.allOpen:
	case <-up.done:
		return // upstream failed, or every opened branch stopped
	}
	branches := t.branches // complete; only gone changes, under sendMu
	gone := make([]bool, len(branches))
	live := len(branches)
	for live > 0 {
		items, ok := in.recv(up, nil)
		if !ok {
			exhausted = up.ctx.Err() == nil
			return
		}
		for i := range branches {
			if gone[i] {
				continue
			}
			c := items
			if i < len(branches)-1 {
				c = append([]T(nil), items...)
			}
			switch t.offer(&branches[i], c) {
			case branchGone:
				gone[i] = true
				live--
			case upstreamDone:
				return
			}
		}
	}
}

const (
	offered = iota
	branchGone
	upstreamDone
)

// offer sends c to branch b in chunks of at most the branch's chunk size,
// counting it in the branch's In, and reports whether it was sent, the
// branch has stopped, or the upstream part has.
func (t *tee[T]) offer(b *teeBranch[T], c []T) int {
	b.sendMu.Lock()
	defer b.sendMu.Unlock()
	if b.gone {
		return branchGone
	}
	st := b.out.st
	n := int64(len(c))
	st.in.Add(n)
	st.buffered.Add(n)
	for len(c) > 0 {
		k := min(len(c), b.out.max)
		select {
		case b.out.ch <- batch[T]{seq: b.out.seq.Add(1) - 1, items: c[:k:k]}:
			c = c[k:]
		case <-b.r.done:
			st.dropBuffered(int64(len(c)))
			return branchGone
		case <-t.up.done:
			st.dropBuffered(int64(len(c)))
			return upstreamDone
		}
	}
	return offered
}
