package pipeline_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/weftgo/weft/pipeline"
)

// The Tee scenario of FuzzPipelineFan.

// fanBranch is a branch of a Tee, its sink, and what the sink saw.
type fanBranch struct {
	kind     int // 0 Collect, 1 ForEach with a callback and a policy, 2 All breaking after k, 3 All, 4 ForEach canceling after k
	k        int
	stage    int           // its ForEach callback's stage, or -1
	delay    time.Duration // when its sink starts
	cancelAt time.Duration // when its context is canceled; 0: never
	cause    error         // the cause it cancels its context with
	cancel   context.CancelCauseFunc

	started, returned bool
	startAt, retAt    time.Duration
	stopped           bool // its consumer broke out, or its context was canceled
	timed             bool // by a timer, not on the sink's goroutine
	stopAt            time.Duration
	stopErr           error // what its sink returns for that stop
	recv              []edgeRecv
	err               error
	exited            bool
}

// branchGot records an item branch b's sink delivered.
func (l *fanLog) branchGot(b *fanBranch, id int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b.stopped && !b.timed {
		l.problem("item %d delivered to a branch's consumer after it stopped", id)
	}
	b.recv = append(b.recv, edgeRecv{id, l.now()})
}

// branchStop records that branch b's consumer stops, unless its sink
// returned already; err is what the sink returns then, and timed says the
// stop comes from a timer, not the sink's goroutine.
func (l *fanLog) branchStop(b *fanBranch, err error, timed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case !b.returned && !b.stopped:
		b.stopped, b.stopAt, b.stopErr, b.timed = true, l.now(), err, timed
	case !timed && err == nil && b.timed && b.stopAt == l.now():
		// The consumer broke out of its loop at the instant a timer
		// canceled its context, before the sink saw the cancel: the sink
		// returns what the break makes it return.
		b.stopErr, b.timed = nil, false
	}
}

// runBranch runs branch b's sink on s, once its delay has passed.
func (l *fanLog) runBranch(b *fanBranch, s *pipeline.Stream[int], ctx context.Context) {
	time.Sleep(b.delay)
	l.mu.Lock()
	b.started, b.startAt = true, l.now()
	l.mu.Unlock()
	exited := true
	var err error
	defer func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		b.returned, b.retAt, b.err, b.exited = true, l.now(), err, exited
		l.returned = true
		for _, o := range l.branches {
			l.returned = l.returned && o.returned
		}
	}()
	count := 0
	switch b.kind {
	case 0:
		var got []int
		got, err = pipeline.Collect(ctx, s)
		l.mu.Lock()
		for _, id := range got {
			b.recv = append(b.recv, edgeRecv{id, -1}) // handed over when Collect returns
		}
		l.mu.Unlock()
	case 1, 4:
		var opts []pipeline.SinkOption
		if b.stage >= 0 {
			opts = append(opts, pipeline.WithErrorPolicy(l.policy[b.stage]))
		}
		err = pipeline.ForEach(ctx, s, func(ctx context.Context, id int) error {
			l.branchGot(b, id)
			if b.stage >= 0 {
				_, err := l.call(ctx, b.stage, id)
				return err
			}
			if count++; count == b.k {
				l.branchStop(b, b.cause, false)
				b.cancel(b.cause)
			}
			return nil
		}, opts...)
	default:
		for id, e := range pipeline.All(ctx, s) {
			if e != nil {
				err = e
				break
			}
			l.branchGot(b, id)
			if count++; count == b.k && b.kind == 2 {
				l.branchStop(b, nil, false)
				break
			}
		}
	}
	exited = false
}

// fanStopped is when and why a branch stopped, in the model.
type fanStopped struct {
	ownStop   bool          // its consumer or its callback stopped it
	ownAt     time.Duration // when it saw that
	stopErrAt time.Duration // when that happened (it may not have started)
	upAt      time.Duration // when it saw upstream fail, if it did
	endAt     time.Duration // when it stopped for any reason, or returned
}

func (l *fanLog) branchStopped(b *fanBranch, upAt time.Duration, upFailed bool) fanStopped {
	ownAt, ownStop := l.firstFail(func(s int) bool { return s == b.stage }, false)
	// A context canceled by a timer as the branch ends: its sink may end
	// first (canceling a context reaches the contexts derived from it one
	// after the other, and the other branches' may come first).
	raced := b.timed && b.stopAt == b.retAt && b.err != b.stopErr
	if b.stopped && !raced && (!ownStop || b.stopAt < ownAt) {
		ownAt, ownStop = b.stopAt, true
	}
	// A branch whose context ended, or whose upstream failed, before it
	// started sees both when it starts.
	st := fanStopped{ownStop: ownStop, ownAt: max(ownAt, b.startAt), stopErrAt: ownAt, upAt: max(upAt, b.startAt), endAt: b.retAt}
	if ownStop {
		st.endAt = min(st.endAt, st.ownAt)
	}
	if upFailed {
		st.endAt = min(st.endAt, st.upAt)
	}
	return st
}

// fanTee runs a source, maybe a Map, and a Tee into up to three branches,
// each with a sink of its own that may start late, be slow, stop early,
// fail or be canceled, and checks what each branch gets and returns, what
// runs upstream, the Stats, backpressure between the branches, and that
// no goroutine is left.
func fanTee(t *testing.T, l *fanLog, n int, in *fanBytes) {
	head := in.next()
	nb := 1 + int(head)%3
	quit := make(chan struct{})
	var feeders sync.WaitGroup
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	src, upChunk := fuzzSource(in.next(), ids, quit, &feeders)
	s := src
	upChain := []statsOf{src}
	up := -1
	if head&4 != 0 {
		s, up = l.mapStage(s, in.next(), in.next())
		l.upstream = up
		upChain = append(upChain, s)
		upChunk = l.stages[up].chunk
	}
	upOrdered := up < 0 || l.stages[up].ordered
	tb := in.next()
	chunk, buffer := 1+int(tb)%8, int(tb>>3)%3
	streams := pipeline.Tee(s, nb, pipeline.WithChunkSize(chunk), pipeline.WithBuffer(buffer))

	parent, cancelAll := context.WithCancelCause(context.Background())
	defer cancelAll(nil)
	events := map[time.Duration][]func(){}
	var ctxs []context.Context
	for i := range nb {
		bB, kB, dB := in.next(), in.next(), in.next()
		b := &fanBranch{kind: int(bB) % 5, k: int(kB), stage: -1, delay: time.Duration(dB&7) * time.Millisecond,
			cause: fmt.Errorf("branch %d canceled", i)}
		if b.kind == 1 {
			b.stage = l.addStage(edgeStage{conc: 1, ordered: true, mode: fanModes[(bB>>5)%4]}, pipeline.ErrorPolicy(int(bB>>3)%3), false)
		}
		ctx, cancel := context.WithCancelCause(context.WithValue(parent, fanCtxKey{}, i))
		defer cancel(nil)
		b.cancel = cancel
		if dB&8 != 0 {
			b.cancelAt = time.Duration(1+dB>>4) * 500 * time.Microsecond
			events[b.cancelAt] = append(events[b.cancelAt], func() {
				l.branchStop(b, b.cause, true)
				b.cancel(b.cause)
			})
		}
		l.branches = append(l.branches, b)
		ctxs = append(ctxs, ctx)
	}
	// After an hour everything is canceled, so that blocked callbacks end.
	events[time.Hour] = append(events[time.Hour], func() {
		for _, b := range l.branches {
			l.branchStop(b, errEdgeCancel, true)
		}
		cancelAll(errEdgeCancel)
	})
	allDone := make(chan struct{})
	waitTimer := fanTimer(allDone, events)
	var sinks sync.WaitGroup
	for i, b := range l.branches {
		sinks.Go(func() { l.runBranch(b, streams[i], ctxs[i]) })
	}
	sinks.Wait()
	close(allDone)
	close(quit)
	waitTimer()
	feeders.Wait()
	synctest.Wait()
	leaks := fanLeaks()
	time.Sleep(time.Hour)

	l.mu.Lock()
	defer l.mu.Unlock()
	desc := fmt.Sprintf("n=%d stages=%+v policies=%v upstream=%d tee chunk=%d buffer=%d", n, l.stages, l.policy, up, chunk, buffer)
	for _, b := range l.branches {
		desc += fmt.Sprintf(" [kind=%d k=%d stage=%d delay=%v cancelAt=%v]", b.kind, b.k, b.stage, b.delay, b.cancelAt)
	}
	for _, p := range l.problems {
		t.Errorf("%s: %s", desc, p)
	}
	for _, g := range leaks {
		t.Errorf("%s: goroutine left after every branch returned:\n%s", desc, g)
	}

	// Upstream: each callback once, none after the last branch returned;
	// after a failure every one sees it as its context's cause, and after
	// every branch stopped, ErrSinkStopped.
	var lastRet time.Duration
	for _, b := range l.branches {
		lastRet = max(lastRet, b.retAt)
	}
	upIn := func(s int) bool { return s == up }
	upAt0, upFailed := l.firstFail(upIn, true)
	l.checkCalls(t, desc, upIn, lastRet, upFailed, upAt0, func(c error) bool { return l.failedWith(c, upAt0, upIn) })
	if up >= 0 {
		for id, c := range l.calls[up] {
			if c.ctxDone && !l.failedWith(c.cause, upAt0, upIn) && c.cause != pipeline.ErrSinkStopped {
				t.Errorf("%s: upstream item %d's context cause %v", desc, id, c.cause)
			}
		}
	}

	// Upstream starts with the first branch, and delivers once every
	// branch has started.
	firstStart, lastStart := time.Duration(1<<62), time.Duration(0)
	for _, b := range l.branches {
		firstStart, lastStart = min(firstStart, b.startAt), max(lastStart, b.startAt)
	}
	if up >= 0 {
		for id, c := range l.calls[up] {
			if c.start < firstStart {
				t.Errorf("%s: upstream item %d started at %v, before any branch (%v)", desc, id, c.start, firstStart)
			}
		}
	}
	for i, b := range l.branches {
		for _, r := range b.recv {
			if r.at >= 0 && r.at < lastStart {
				t.Errorf("%s: branch %d got item %d at %v, before every branch started (%v)", desc, i, r.id, r.at, lastStart)
			}
		}
	}

	var model []int
	for _, id := range ids {
		if l.passes(id, up) {
			model = append(model, id)
		}
	}
	common := model
	if !upOrdered {
		common = nil
		for _, b := range l.branches {
			if len(b.recv) > len(common) {
				common = nil
				for _, r := range b.recv {
					common = append(common, r.id)
				}
			}
		}
		sorted := slices.Clone(common)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(common) {
			t.Errorf("%s: a branch got an item twice: %v", desc, common)
		}
		for _, id := range common {
			if !l.passes(id, up) {
				t.Errorf("%s: a branch got item %d, which failed upstream", desc, id)
			}
		}
	}

	stops := make([]fanStopped, nb)
	for i, b := range l.branches {
		stops[i] = l.branchStopped(b, upAt0, upFailed)
	}
	for i, b := range l.branches {
		bdesc := fmt.Sprintf("%s: branch %d", desc, i)
		own := func(s int) bool { return s == b.stage }
		ownAt, ownStop, stopErrAt, upAt := stops[i].ownAt, stops[i].ownStop, stops[i].stopErrAt, stops[i].upAt
		ownWith := func(e error) bool {
			return l.failedWith(e, stopErrAt, own) || b.stopped && b.stopAt == stopErrAt && e == b.stopErr
		}
		upWith := func(e error) bool { return upFailed && l.failedWith(e, upAt0, upIn) }
		complete := false
		switch {
		case b.exited:
			if !ownStop || !l.exitedAt(b.stage, ownAt) || upFailed && upAt < ownAt {
				t.Errorf("%s: its goroutine exited, but its first stop at %v was no Goexit of its callback (fails %+v)", bdesc, ownAt, l.fails)
			}
		case ownStop && (!upFailed || ownAt < upAt):
			if !ownWith(b.err) {
				t.Errorf("%s: stopped at %v (consumer %v at %v, fails %+v), returned %v", bdesc, ownAt, b.stopped, b.stopAt, l.fails, b.err)
			}
		case upFailed && (!ownStop || upAt < ownAt):
			if !upWith(b.err) {
				t.Errorf("%s: upstream failed at %v (fails %+v), the branch returned %v", bdesc, upAt, l.fails, b.err)
			}
		case ownStop:
			if !ownWith(b.err) && !upWith(b.err) {
				t.Errorf("%s: stopped at %v as upstream failed, returned %v", bdesc, ownAt, b.err)
			}
		default:
			// Started once every branch started before it had stopped, so
			// the part upstream of the Tee had: nothing reads the input
			// any more. At the same instant, either.
			before, atOrBefore := false, false
			for j, o := range l.branches {
				if j != i && o.startAt <= b.startAt {
					before = before || o.startAt < b.startAt
					atOrBefore = true
				}
			}
			for j, o := range l.branches {
				if j != i && o.startAt <= b.startAt {
					before = before && stops[j].endAt < b.startAt
					atOrBefore = atOrBefore && stops[j].endAt <= b.startAt
				}
			}
			switch {
			case before:
				if b.err != pipeline.ErrTeeStopped {
					t.Errorf("%s: started at %v, after every other branch returned, returned %v", bdesc, b.startAt, b.err)
				}
			case atOrBefore && b.err == pipeline.ErrTeeStopped:
			default:
				complete = true
				seq := func(s int) bool { return s == b.stage && upOrdered || s == up && l.stages[up].conc == 1 }
				l.checkCollected(t, bdesc, b.err, func(s int) bool { return s == up || s == b.stage }, seq)
			}
		}

		// Its items: a prefix of what every branch gets, all of it if it
		// ended normally, none after it stopped.
		stopAt := time.Duration(1 << 62)
		if ownStop {
			stopAt = ownAt
		}
		if upFailed {
			stopAt = min(stopAt, upAt)
		}
		var got []int
		for _, r := range b.recv {
			got = append(got, r.id)
			if r.at > stopAt {
				t.Errorf("%s: item %d delivered at %v, after the stop at %v", bdesc, r.id, r.at, stopAt)
			}
		}
		if len(got) > len(common) || !slices.Equal(got, common[:len(got)]) {
			t.Errorf("%s: got %v, want a prefix of %v", bdesc, got, common)
		} else if complete && len(got) != len(model) {
			t.Errorf("%s: returned %v having got %d items of %d", bdesc, b.err, len(got), len(model))
		}
		l.checkCalls(t, bdesc, own, b.retAt, ownStop || upFailed, stopAt, func(c error) bool {
			return b.exited && c == pipeline.ErrGoexit || !b.exited && (c == b.err || b.err == nil && c == pipeline.ErrSinkStopped)
		})

		st := streams[i].Stats()
		if st.InFlight != 0 || st.Buffered != 0 || st.Errors != 0 || st.In != st.Out+st.Dropped || st.Out != int64(len(got)) {
			t.Errorf("%s: got %d items, Stats %+v", bdesc, len(got), st)
		}
		if complete && (st.In != int64(len(model)) || st.Dropped != 0) {
			t.Errorf("%s: ended normally, Stats %+v", bdesc, st)
		}
	}
	checkInvariant(t, upChain, fanOneToOne(upChain), upChain[len(upChain)-1].Stats().Out)
	if up >= 0 {
		if st := upChain[1].Stats(); st.Errors != l.skips[up] {
			t.Errorf("%s: upstream skipped or collected %d errors, Stats %+v", desc, l.skips[up], st)
		}
	}

	// Backpressure: while two branches both run, the one ahead has at most
	// a batch of the Tee's input and what fits in the other's buffer and
	// sink more than the one behind.
	bound := upChunk + (buffer+1)*chunk
	for _, a := range l.branches {
		for m, r := range a.recv {
			if r.at < 0 || upFailed && upAt0 <= r.at {
				continue
			}
			for _, b := range l.branches {
				if b == a || b.kind == 0 || b.startAt > r.at || b.retAt <= r.at || b.stopped && b.stopAt <= r.at {
					continue
				}
				if at, ok := l.firstFail(func(s int) bool { return s == b.stage }, false); ok && at <= r.at {
					continue
				}
				got := 0
				for _, q := range b.recv {
					if q.at <= r.at {
						got++
					}
				}
				if m+1-got > bound {
					t.Errorf("%s: at %v a branch got its item %d while another had got %d (bound %d)", desc, r.at, m+1, got, bound)
				}
			}
		}
	}
}
