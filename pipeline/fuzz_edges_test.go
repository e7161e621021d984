package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/weftgo/weft/pipeline"
)

// What a callback does with one item, drawn from the fuzz input.
const (
	edgeFast = iota
	edgeSleep
	edgeErr
	edgePanic
	edgeBlock // until its context is done
)

type edgeBeh struct {
	kind int
	d    time.Duration // for edgeSleep
	keep bool          // for Filter
	kids int           // for FlatMap: the children of item id are id*3+j, j < kids
}

// edgeStage is one callback stage of the pipeline under test.
type edgeStage struct {
	kind    int // 0 Map, 1 Filter, 2 FlatMap
	conc    int
	ordered bool // WithOrdered, or concurrency 1
	chunk   int
	buffer  int
	mode    int // how items behave: per item, or all alike
}

// edgeErr is the error an edgeErr callback returns; edgePanicVal the value
// an edgePanic callback panics with. Both name their stage and item.
type edgeErrT struct{ stage, id int }

func (e *edgeErrT) Error() string { return fmt.Sprintf("stage %d item %d failed", e.stage, e.id) }

type edgePanicVal struct{ stage, id int }

// edgeCall records one callback call, on the bubble's fake clock.
type edgeCall struct {
	start, end time.Duration
	ended      bool
	ctxDone    bool  // its context was done when it returned
	cause      error // context.Cause of its context when it returned
}

type edgeFail struct {
	stage, id int
	at        time.Duration
	panicked  bool
}

type edgeRecv struct {
	id int
	at time.Duration
}

// edgeLog is what the callbacks and the sink record while the pipeline runs.
type edgeLog struct {
	mu       sync.Mutex
	t0       time.Time
	stages   []edgeStage
	behs     []byte
	calls    []map[int]*edgeCall
	inflight []int
	failedG  map[uint64]bool // goroutines whose callback failed
	fails    []edgeFail
	recv     []edgeRecv
	problems []string

	stopped    bool // the consumer broke out or canceled (first stop of its own)
	stopAt     time.Duration
	stopKind   string // "break" or "cancel"
	bodyCancel bool   // the consumer canceled on the sink's goroutine: nothing may be yielded after
	returned   bool   // the sink returned
}

func (l *edgeLog) now() time.Duration { return time.Since(l.t0) }

func (l *edgeLog) problem(format string, args ...any) {
	if len(l.problems) < 20 {
		l.problems = append(l.problems, fmt.Sprintf(format, args...))
	}
}

// beh is how stage s treats item id.
func (l *edgeLog) beh(s, id int) edgeBeh {
	var b byte
	if len(l.behs) > 0 {
		b = l.behs[(id+s*53)%len(l.behs)]
	}
	e := edgeBeh{keep: (b>>5)%4 != 0, kids: int(b>>5) % 3, d: time.Duration(1+(b>>3)&3) * time.Millisecond}
	switch b & 7 {
	case 2, 3, 4:
		e.kind = edgeSleep
	case 5:
		e.kind = edgeErr
	case 6:
		e.kind = edgePanic
	case 7:
		e.kind = edgeBlock
	}
	switch l.stages[s].mode {
	case 2:
		e.kind = edgeBlock
	case 3:
		e.kind = edgeSleep
	case 4:
		e.kind = edgeFast
	case 5:
		if e.kind != edgeFast {
			e.kind = edgeSleep
		}
	case 6: // errors, but nothing that stops a run whatever its error policy
		if e.kind == edgePanic || e.kind == edgeBlock {
			e.kind = edgeSleep
		}
	}
	return e
}

// goid returns the current goroutine's id, to tell which calls one worker
// made after its callback failed.
func goid() uint64 {
	var b [64]byte
	s := strings.TrimPrefix(string(b[:runtime.Stack(b[:], false)]), "goroutine ")
	id, _ := strconv.ParseUint(s[:strings.IndexByte(s, ' ')], 10, 64)
	return id
}

// call runs stage s's callback on item id as the fuzz input says.
func (l *edgeLog) call(ctx context.Context, s, id int) (edgeBeh, error) {
	b := l.beh(s, id)
	g := goid()
	l.mu.Lock()
	c := &edgeCall{start: l.now()}
	switch {
	case l.returned:
		l.problem("stage %d item %d started after the sink returned", s, id)
	case l.calls[s][id] != nil:
		l.problem("stage %d item %d started twice", s, id)
	case l.failedG[g]:
		l.problem("stage %d item %d started on a worker whose callback had failed", s, id)
	}
	l.calls[s][id] = c
	l.inflight[s]++
	if l.inflight[s] > l.stages[s].conc {
		l.problem("stage %d has %d callbacks in flight, concurrency %d", s, l.inflight[s], l.stages[s].conc)
	}
	l.mu.Unlock()
	var err error
	switch b.kind {
	case edgeSleep:
		time.Sleep(b.d)
	case edgeBlock:
		<-ctx.Done()
		err = ctx.Err()
	case edgeErr:
		err = &edgeErrT{s, id}
	}
	l.mu.Lock()
	c.end, c.ended = l.now(), true
	c.ctxDone, c.cause = ctx.Err() != nil, context.Cause(ctx)
	l.inflight[s]--
	if b.kind == edgeErr || b.kind == edgePanic {
		l.fails = append(l.fails, edgeFail{stage: s, id: id, at: c.end, panicked: b.kind == edgePanic})
		l.failedG[g] = true
	}
	if l.returned {
		l.problem("stage %d item %d ended after the sink returned", s, id)
	}
	l.mu.Unlock()
	if b.kind == edgePanic {
		panic(&edgePanicVal{s, id})
	}
	return b, err
}

// got records an item the sink delivered to the consumer.
func (l *edgeLog) got(id int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bodyCancel {
		l.problem("item %d delivered to the consumer after it canceled the context", id)
	}
	l.recv = append(l.recv, edgeRecv{id, l.now()})
}

// consumerStop records that the consumer stops the run (kind "break" or
// "cancel"), unless the sink has returned already.
func (l *edgeLog) consumerStop(kind string, body bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.returned || l.stopped {
		return
	}
	l.stopped, l.stopAt, l.stopKind, l.bodyCancel = true, l.now(), kind, body
}

// consumerStopped reports whether e is what the consumer's stop, if it was
// the first stop (at stopAt), makes the sink return (isCause: what the
// callbacks' contexts carry).
func (l *edgeLog) consumerStopped(e error, isCause bool, stopAt time.Duration) bool {
	if !l.stopped || l.stopAt != stopAt {
		return false
	}
	switch l.stopKind {
	case "cancel":
		return e == errEdgeCancel
	case "break":
		return isCause && e == pipeline.ErrSinkStopped || !isCause && e == nil
	}
	return false
}

// edgeModel is what a run with no failure and no stop produces: the items
// that reach each stage in input order, and the sink's items in order.
func (l *edgeLog) model(n int) (reach [][]int, out []int) {
	cur := make([]int, n)
	for i := range cur {
		cur[i] = i
	}
	for s, st := range l.stages {
		reach = append(reach, cur)
		var next []int
		for _, id := range cur {
			b := l.beh(s, id)
			switch st.kind {
			case 0:
				next = append(next, id)
			case 1:
				if b.keep {
					next = append(next, id)
				}
			case 2:
				for j := range b.kids {
					next = append(next, id*3+j)
				}
			}
		}
		cur = next
	}
	return reach, cur
}

// snapshot runs at the consumer's timed cancel, with every other goroutine
// of the bubble blocked: a stage whose items all block, fed by stages that
// have finished every item, has min(concurrency, items) callbacks in flight.
func (l *edgeLog) snapshot(reach [][]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) > 0 || l.stopped || l.returned {
		return
	}
	for s, st := range l.stages {
		if len(reach[s]) == 0 {
			return
		}
		blocking := 0
		for _, id := range reach[s] {
			b := l.beh(s, id)
			if b.kind == edgeBlock {
				blocking++
				continue
			}
			c := l.calls[s][id]
			if b.kind == edgeErr || b.kind == edgePanic || c == nil || !c.ended {
				return // upstream not finished: what is available is unknown
			}
		}
		switch blocking {
		case 0:
			continue
		case len(reach[s]):
			if want := min(st.conc, len(reach[s])); l.inflight[s] != want {
				l.problem("stage %d (concurrency %d, %d items available, all blocking) has %d callbacks in flight, want %d",
					s, st.conc, len(reach[s]), l.inflight[s], want)
			}
		}
		return
	}
}

var errEdgeCancel = errors.New("consumer canceled")

// FuzzPipelineEdges runs pipelines whose callbacks sleep, fail, panic or
// block, with a consumer that reads all, breaks out or cancels, in a
// synctest bubble, and checks the package doc's promises against the
// fake-clock record of every call and every delivered item.
func FuzzPipelineEdges(f *testing.F) {
	// cfg: source, stages+consumer, k, timed cancel, then 2 bytes per stage.
	// beh: per item behaviour bytes (low 3 bits: 0-1 fast, 2-4 sleep, 5 error, 6 panic, 7 block).
	f.Add(uint8(20), []byte{0x00, 0x02, 0, 0, 0x0c, 0x00}, []byte{0})                         // fast, Map, Collect
	f.Add(uint8(30), []byte{0x01, 0x05, 0, 0, 0x0c, 0x18, 0x1d, 0x18}, []byte{2, 10, 18, 26}) // sleeps, unordered
	f.Add(uint8(30), []byte{0x02, 0x06, 0, 0, 0x1c, 0x18, 0x0e, 0x18}, []byte{2, 10, 18, 26}) // sleeps, ordered
	f.Add(uint8(50), []byte{0x00, 0x02, 0, 0, 0x0c, 0x00}, []byte{0, 2, 0, 10, 0, 5, 0})      // an error
	f.Add(uint8(50), []byte{0x04, 0x03, 0, 0, 0x0d, 0x00, 0x0e, 0x00}, []byte{2, 6, 0, 1})    // a panic
	f.Add(uint8(40), []byte{0x00, 0x00, 0, 0, 0x0c, 0x10}, []byte{0})                         // all block
	f.Add(uint8(40), []byte{0x08, 0x01, 0, 0, 0x00, 0x20, 0x0c, 0x10}, []byte{0})             // fast, then all block
	f.Add(uint8(60), []byte{0x00, 0x0c, 10, 0, 0x0c, 0x00}, []byte{0, 2, 10})                 // break after 10
	f.Add(uint8(60), []byte{0x00, 0x10, 10, 0, 0x0c, 0x00}, []byte{0, 1, 0})                  // All, cancel after 10
	f.Add(uint8(60), []byte{0x09, 0x14, 10, 0, 0x0c, 0x00}, []byte{0})                        // ForEach, cancel after 10
	f.Add(uint8(60), []byte{0x00, 0x04, 0, 9, 0x0c, 0x00}, []byte{2, 7, 10, 18})              // timed cancel, some block
	f.Fuzz(func(t *testing.T, n uint8, cfg, behs []byte) {
		synctest.Test(t, func(t *testing.T) { edgeRun(t, int(n)%201, cfg, behs) })
	})
}

func edgeRun(t *testing.T, n int, cfg, behs []byte) {
	next := func() byte {
		if len(cfg) == 0 {
			return 0
		}
		b := cfg[0]
		cfg = cfg[1:]
		return b
	}
	srcB, conB, k, timeB := next(), next(), int(next()), next()
	l := &edgeLog{t0: time.Now(), behs: behs, failedG: map[uint64]bool{}}
	for range 1 + int(conB)%3 {
		a, b := next(), next()
		st := edgeStage{kind: int(a) % 3, conc: 1 + int(a>>2)&3, ordered: a&0x10 != 0, buffer: int(a>>5) % 3,
			chunk: 1 + int(b)%8, mode: int(b>>3) % 6}
		st.ordered = st.ordered || st.conc == 1
		l.stages = append(l.stages, st)
		l.calls = append(l.calls, map[int]*edgeCall{})
		l.inflight = append(l.inflight, 0)
	}
	reach, want := l.model(n)
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}

	// The source.
	quit := make(chan struct{})
	var feeders sync.WaitGroup
	s, _ := fuzzSource(srcB, ids, quit, &feeders)
	streams := []func() pipeline.Stats{s.Stats}
	for i, st := range l.stages {
		opts := []pipeline.StageOption{pipeline.WithConcurrency(st.conc), pipeline.WithChunkSize(st.chunk), pipeline.WithBuffer(st.buffer)}
		if st.ordered {
			opts = append(opts, pipeline.WithOrdered())
		}
		switch st.kind {
		case 0:
			s = pipeline.Map(s, func(ctx context.Context, id int) (int, error) {
				_, err := l.call(ctx, i, id)
				return id, err
			}, opts...)
		case 1:
			s = pipeline.Filter(s, func(ctx context.Context, id int) (bool, error) {
				b, err := l.call(ctx, i, id)
				return b.keep, err
			}, opts...)
		default:
			s = pipeline.FlatMap(s, func(ctx context.Context, id int) ([]int, error) {
				b, err := l.call(ctx, i, id)
				var kids []int
				for j := range b.kids {
					kids = append(kids, id*3+j)
				}
				return kids, err
			}, opts...)
		}
		streams = append(streams, s.Stats)
	}

	// The consumer's timed cancel; a run with no timed cancel is canceled
	// after an hour of fake time all the same, so that blocking callbacks
	// end (and the concurrency of blocking stages is checked then).
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	at := time.Hour
	if timeB&1 != 0 {
		at = time.Duration(timeB>>1) * 500 * time.Microsecond
	}
	sinkDone := make(chan struct{})
	cancelerDone := make(chan struct{})
	go func() {
		defer close(cancelerDone)
		timer := time.NewTimer(at)
		defer timer.Stop()
		select {
		case <-timer.C:
			synctest.Wait()
			l.snapshot(reach)
			l.consumerStop("cancel", false)
			cancel(errEdgeCancel)
		case <-sinkDone:
		}
	}()

	var err error
	mode := int(conB>>2) % 6
	switch mode {
	case 0:
		var got []int
		got, err = pipeline.Collect(ctx, s)
		for _, id := range got {
			l.got(id)
		}
		// Collect hands its items over only when it returns: their
		// delivery times are unknown.
		for i := range l.recv {
			l.recv[i].at = -1
		}
	case 1, 3, 4:
		count := 0
		for id, e := range pipeline.All(ctx, s) {
			if e != nil {
				err = e
				break
			}
			l.got(id)
			if count++; count == k {
				if mode == 3 {
					l.consumerStop("break", true)
					break
				}
				if mode == 4 {
					l.consumerStop("cancel", true)
					cancel(errEdgeCancel)
				}
			}
		}
	default:
		count := 0
		err = pipeline.ForEach(ctx, s, func(_ context.Context, id int) error {
			l.got(id)
			if count++; mode == 5 && count == k {
				l.consumerStop("cancel", true)
				cancel(errEdgeCancel)
			}
			return nil
		})
	}
	l.mu.Lock()
	l.returned = true
	retAt := l.now()
	l.mu.Unlock()
	close(sinkDone)
	close(quit)
	<-cancelerDone
	feeders.Wait()
	time.Sleep(time.Hour) // a callback left running would now record itself

	l.mu.Lock()
	defer l.mu.Unlock()
	desc := fmt.Sprintf("n=%d source=%d stages=%+v consumer=%d k=%d cancelAt=%v", n, srcB%3, l.stages, mode, k, at)
	for _, p := range l.problems {
		t.Errorf("%s: %s", desc, p)
	}
	for i, stats := range streams {
		if st := stats(); st.InFlight != 0 || st.Buffered != 0 {
			t.Errorf("stage %d: after the sink returned, Stats %+v", i-1, st)
		}
	}

	// The first stop in fake time, and what may be returned for it.
	stopAt, stopped := time.Duration(1<<62), false
	for _, f := range l.fails {
		stopAt, stopped = min(stopAt, f.at), true
	}
	if l.stopped {
		stopAt, stopped = min(stopAt, l.stopAt), true
	}
	// match reports whether e is what a stop at stopAt makes the sink
	// return (isCause: make its callbacks' contexts carry).
	match := func(e error, isCause bool) bool {
		for _, f := range l.fails {
			if f.at != stopAt {
				continue
			}
			if !f.panicked {
				var fe *edgeErrT
				if errors.As(e, &fe) && *fe == (edgeErrT{f.stage, f.id}) {
					return true
				}
				continue
			}
			var pe *pipeline.PanicError
			if errors.As(e, &pe) && len(pe.Stack) > 0 {
				if v, ok := pe.Value.(*edgePanicVal); ok && *v == (edgePanicVal{f.stage, f.id}) {
					return true
				}
			}
		}
		return l.consumerStopped(e, isCause, stopAt)
	}
	if !stopped {
		if err != nil {
			t.Errorf("%s: nothing failed or stopped, the sink returned %v", desc, err)
		}
	} else if !match(err, false) {
		t.Errorf("%s: the first stop at %v (fails %+v, consumer %v %s at %v): the sink returned %v",
			desc, stopAt, l.fails, l.stopped, l.stopKind, l.stopAt, err)
	}

	// After the stop nothing starts, and what runs sees its context done.
	for s := range l.stages {
		for id, c := range l.calls[s] {
			if !c.ended {
				t.Errorf("%s: stage %d item %d never ended", desc, s, id)
				continue
			}
			if c.end > retAt {
				t.Errorf("%s: stage %d item %d ended at %v, after the sink returned at %v", desc, s, id, c.end, retAt)
			}
			if !stopped {
				continue
			}
			if c.start > stopAt {
				t.Errorf("%s: stage %d item %d started at %v, after the stop at %v", desc, s, id, c.start, stopAt)
			}
			if c.end > stopAt {
				if !c.ctxDone {
					t.Errorf("%s: stage %d item %d ended at %v, after the stop at %v, with its context not done", desc, s, id, c.end, stopAt)
				} else if !match(c.cause, true) || (err != nil && c.cause != err) {
					t.Errorf("%s: stage %d item %d's context cause %v after the stop at %v; the sink returned %v", desc, s, id, c.cause, stopAt, err)
				}
			}
		}
	}

	// The items delivered: each once, from the model's output, none after
	// the stop, in the model's order when every stage is ordered.
	allOrdered := true
	for _, st := range l.stages {
		allOrdered = allOrdered && st.ordered
	}
	wantSet := map[int]bool{}
	for _, id := range want {
		wantSet[id] = true
	}
	var got []int
	seen := map[int]bool{}
	for _, r := range l.recv {
		if !wantSet[r.id] || seen[r.id] {
			t.Errorf("%s: item %d delivered but not expected (or twice)", desc, r.id)
		}
		seen[r.id] = true
		if stopped && r.at > stopAt && r.at >= 0 {
			t.Errorf("%s: item %d delivered at %v, after the stop at %v", desc, r.id, r.at, stopAt)
		}
		got = append(got, r.id)
	}
	if allOrdered && (len(got) > len(want) || !slices.Equal(got, want[:len(got)])) {
		t.Errorf("%s: every stage ordered, delivered %v, want a prefix of %v", desc, got, want)
	}
	if stopped {
		return
	}
	if len(got) != len(want) {
		t.Errorf("%s: delivered %d items, want %d", desc, len(got), len(want))
		return
	}

	// Latency of the last stage, when its items all sleep (so every claim
	// is one item): an unordered stage emits a result when its callback
	// ends; an ordered one fed in input order when order allows.
	if mode == 0 {
		return
	}
	last := len(l.stages) - 1
	st := l.stages[last]
	for _, id := range reach[last] {
		if l.beh(last, id).kind != edgeSleep {
			return
		}
	}
	parent := func(id int) int {
		if st.kind == 2 {
			return id / 3
		}
		return id
	}
	if !st.ordered {
		for _, r := range l.recv {
			if e := l.calls[last][parent(r.id)].end; r.at != e {
				t.Errorf("%s: unordered last stage: item %d ready at %v, delivered at %v", desc, r.id, e, r.at)
			}
		}
		return
	}
	if !allOrdered {
		return
	}
	emit := map[int]time.Duration{}
	var prev time.Duration
	for _, id := range reach[last] {
		prev = max(prev, l.calls[last][id].end)
		emit[id] = prev
	}
	for _, r := range l.recv {
		if e := emit[parent(r.id)]; r.at != e {
			t.Errorf("%s: ordered last stage: item %d allowed at %v, delivered at %v", desc, r.id, e, r.at)
		}
	}
}
