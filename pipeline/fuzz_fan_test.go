package pipeline_test

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/weftgo/weft/internal/bubbletest"
	"github.com/weftgo/weft/pipeline"
)

// fanLog is an edgeLog, which records every callback call, plus what the
// fan tests add to it: error policies, runtime.Goexit, the errors the
// policies absorbed, and the branches of a Tee.
type fanLog struct {
	*edgeLog
	policy   []pipeline.ErrorPolicy // per stage
	noCtx    []bool                 // per stage: its callback has no pipeline context (Reduce)
	upstream int                    // the stage upstream of a Tee, or -1
	goexits  map[[2]int]bool        // stage and item of each call that called runtime.Goexit
	absorbed []edgeFail             // errors a policy skipped or collected, in the order returned
	skips    []int64                // per stage: errors its policy skipped or collected, of any kind
	branches []*fanBranch
}

// fanModes are the edgeLog modes a fan stage draws from: items as the
// input says, all fast, fast or sleeping, and sleeping or failing.
var fanModes = [...]int{0, 4, 5, 6}

type fanCtxKey struct{}

func newFanLog(behs []byte) *fanLog {
	return &fanLog{
		edgeLog:  &edgeLog{t0: time.Now(), behs: behs, failedG: map[uint64]bool{}},
		upstream: -1,
		goexits:  map[[2]int]bool{},
	}
}

func (l *fanLog) addStage(st edgeStage, p pipeline.ErrorPolicy, noCtx bool) int {
	l.stages = append(l.stages, st)
	l.calls = append(l.calls, map[int]*edgeCall{})
	l.inflight = append(l.inflight, 0)
	l.policy = append(l.policy, p)
	l.noCtx = append(l.noCtx, noCtx)
	l.skips = append(l.skips, 0)
	return len(l.stages) - 1
}

// goexit reports whether stage s calls runtime.Goexit on item id: where
// edgeLog.beh has it panic and bit 3 of its byte is set.
func (l *fanLog) goexit(s, id int) bool {
	return l.beh(s, id).kind == edgePanic && l.behs[(id+s*53)%len(l.behs)]&8 != 0
}

// call runs stage s's callback on item id, as edgeLog.call does, except
// that it calls runtime.Goexit where goexit says so.
func (l *fanLog) call(ctx context.Context, s, id int) (edgeBeh, error) {
	if s == l.upstream && ctx.Value(fanCtxKey{}) != nil {
		l.mu.Lock()
		l.problem("stage %d item %d upstream of the Tee has a context derived from a sink's", s, id)
		l.mu.Unlock()
	}
	if l.goexit(s, id) {
		l.mu.Lock()
		at := l.now()
		if l.returned || l.calls[s][id] != nil {
			l.problem("stage %d item %d started twice or after the sink returned", s, id)
		}
		l.calls[s][id] = &edgeCall{start: at, end: at, ended: true, ctxDone: ctx.Err() != nil, cause: context.Cause(ctx)}
		l.fails = append(l.fails, edgeFail{stage: s, id: id, at: at, panicked: true})
		l.goexits[[2]int{s, id}] = true
		l.mu.Unlock()
		runtime.Goexit()
	}
	b, err := l.edgeLog.call(ctx, s, id)
	if err != nil && l.policy[s] != pipeline.StopOnError {
		l.mu.Lock()
		delete(l.failedG, goid()) // the worker goes on
		l.skips[s]++
		if b.kind == edgeErr {
			l.absorbed = append(l.absorbed, edgeFail{stage: s, id: id, at: l.now()})
		}
		l.mu.Unlock()
	}
	return b, err
}

// stops reports whether failure f stops its run: a panic, a Goexit, or an
// error no policy absorbs.
func (l *fanLog) stops(f edgeFail) bool {
	return f.panicked || l.policy[f.stage] == pipeline.StopOnError
}

// failErr reports whether err is exactly what failure f makes a sink
// return: its error, its *PanicError, or ErrGoexit, alone.
func (l *fanLog) failErr(f edgeFail, err error) bool {
	switch {
	case l.goexits[[2]int{f.stage, f.id}]:
		return err == pipeline.ErrGoexit
	case f.panicked:
		pe, ok := err.(*pipeline.PanicError)
		if !ok || len(pe.Stack) == 0 {
			return false
		}
		v, ok := pe.Value.(*edgePanicVal)
		return ok && *v == edgePanicVal{f.stage, f.id}
	}
	fe, ok := err.(*edgeErrT)
	return ok && *fe == edgeErrT{f.stage, f.id}
}

// firstFail returns the time of the first failure of a stage in which
// that stops its run, and whether there is one; with live, only failures
// whose callback's context was not done yet count (the others stopped
// nothing new).
func (l *fanLog) firstFail(in func(stage int) bool, live bool) (time.Duration, bool) {
	at, ok := time.Duration(1<<62), false
	for _, f := range l.fails {
		if !in(f.stage) || !l.stops(f) || live && l.calls[f.stage][f.id].ctxDone {
			continue
		}
		at, ok = min(at, f.at), true
	}
	return at, ok
}

// failedWith reports whether err is what a failure at time at of a stage
// in makes a sink return.
func (l *fanLog) failedWith(err error, at time.Duration, in func(stage int) bool) bool {
	for _, f := range l.fails {
		if f.at == at && in(f.stage) && l.stops(f) && l.failErr(f, err) {
			return true
		}
	}
	return false
}

// exitedAt reports whether a callback of stage s called runtime.Goexit at at.
func (l *fanLog) exitedAt(s int, at time.Duration) bool {
	for k := range l.goexits {
		if k[0] == s && l.calls[s][k[1]].start == at {
			return true
		}
	}
	return false
}

// checkCollected checks a sink's error when no failure stopped its run: nil
// if the policies collected nothing, else the errors the stages in
// collected, joined in the order the callbacks returned them. The errors
// of a stage seq says is fed in input order come in input order.
func (l *fanLog) checkCollected(t *testing.T, desc string, err error, in func(stage int) bool, seq func(stage int) bool) {
	t.Helper()
	var want []edgeFail
	for _, a := range l.absorbed {
		if in(a.stage) && l.policy[a.stage] == pipeline.CollectErrors {
			want = append(want, a)
		}
	}
	if len(want) == 0 {
		if err != nil {
			t.Errorf("%s: nothing failed or stopped or was collected, the sink returned %v", desc, err)
		}
		return
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Errorf("%s: %d errors collected, the sink returned %v", desc, len(want), err)
		return
	}
	got := j.Unwrap()
	if len(got) != len(want) {
		t.Errorf("%s: %d errors collected, the sink returned %d: %v", desc, len(want), len(got), err)
		return
	}
	at := map[edgeErrT]time.Duration{}
	for _, a := range want {
		at[edgeErrT{a.stage, a.id}] = a.at
	}
	var prev time.Duration
	last := map[int]int{}
	for i, e := range got {
		fe, ok := e.(*edgeErrT)
		if !ok {
			t.Errorf("%s: collected error %d is %v", desc, i, e)
			return
		}
		when, ok := at[*fe]
		if !ok {
			t.Errorf("%s: collected error %d is %v, not collected (or twice)", desc, i, e)
			return
		}
		delete(at, *fe)
		if when < prev {
			t.Errorf("%s: collected error %d (%v) was returned at %v, before the one joined before it (%v)", desc, i, e, when, prev)
		}
		prev = when
		if p, ok := last[fe.stage]; ok && seq(fe.stage) && fe.id < p {
			t.Errorf("%s: stage %d fed in input order: its error for item %d joined after the one for item %d", desc, fe.stage, fe.id, p)
		}
		last[fe.stage] = fe.id
	}
}

// checkCalls checks the calls of the stages in: each ended by end, none
// started after stop (when stopped), and those that ended after it saw
// their context done with cause as its cause (ok says whether a cause is
// right).
func (l *fanLog) checkCalls(t *testing.T, desc string, in func(stage int) bool, end time.Duration, stopped bool, stop time.Duration, cause func(error) bool) {
	t.Helper()
	for s := range l.stages {
		if !in(s) {
			continue
		}
		for id, c := range l.calls[s] {
			switch {
			case !c.ended:
				t.Errorf("%s: stage %d item %d never ended", desc, s, id)
			case c.end > end:
				t.Errorf("%s: stage %d item %d ended at %v, after its sink returned at %v", desc, s, id, c.end, end)
			case !stopped || l.noCtx[s]:
			case c.start > stop:
				t.Errorf("%s: stage %d item %d started at %v, after the stop at %v", desc, s, id, c.start, stop)
			case c.end > stop && !c.ctxDone:
				t.Errorf("%s: stage %d item %d ended at %v, after the stop at %v, with its context not done", desc, s, id, c.end, stop)
			case c.end > stop && !cause(c.cause):
				t.Errorf("%s: stage %d item %d ended at %v, after the stop at %v, with context cause %v", desc, s, id, c.end, stop, c.cause)
			}
		}
	}
}

// fanBytes reads a fuzz input a byte at a time, zeros once it runs out.
type fanBytes []byte

func (b *fanBytes) next() byte {
	if len(*b) == 0 {
		return 0
	}
	c := (*b)[0]
	*b = (*b)[1:]
	return c
}

// fuzzSource returns a source of ids as b says (FromSlice, FromSeq or
// FromChan, chunk size, buffer) and its chunk size. A FromChan feeder
// stops on quit.
func fuzzSource(b byte, ids []int, quit <-chan struct{}, feeders *sync.WaitGroup) (*pipeline.Stream[int], int) {
	chunk := 1 + int(b>>2)%8
	opts := []pipeline.Option{pipeline.WithChunkSize(chunk), pipeline.WithBuffer(int(b>>5) % 3)}
	switch b % 3 {
	case 0:
		return pipeline.FromSlice(ids, opts...), chunk
	case 1:
		return pipeline.FromSeq(slices.Values(ids), opts...), chunk
	}
	ch := make(chan int, int(b>>5)%3)
	feeders.Go(func() {
		for _, v := range ids {
			select {
			case ch <- v:
			case <-quit:
				return
			}
		}
		close(ch)
	})
	return pipeline.FromChan(ch, opts...), chunk
}

// mapStage adds to s a Map or Filter stage configured as a and b say, whose
// callback behaves as the log says, and returns it and its stage number.
func (l *fanLog) mapStage(s *pipeline.Stream[int], a, b byte) (*pipeline.Stream[int], int) {
	st := edgeStage{conc: 1 + int(a&3), ordered: a&4 != 0, chunk: 1 + int(b)%8, buffer: int(b>>3) % 3, mode: fanModes[(b>>5)%4]}
	st.ordered = st.ordered || st.conc == 1
	pol := pipeline.ErrorPolicy(int(a>>3) % 3)
	i := l.addStage(st, pol, false)
	opts := []pipeline.StageOption{pipeline.WithConcurrency(st.conc), pipeline.WithChunkSize(st.chunk),
		pipeline.WithBuffer(st.buffer), pipeline.WithErrorPolicy(pol)}
	if st.ordered {
		opts = append(opts, pipeline.WithOrdered())
	}
	if b&0x80 != 0 {
		l.stages[i].kind = 1
		return pipeline.Filter(s, func(ctx context.Context, id int) (bool, error) {
			b, err := l.call(ctx, i, id)
			return b.keep, err
		}, opts...), i
	}
	return pipeline.Map(s, func(ctx context.Context, id int) (int, error) {
		_, err := l.call(ctx, i, id)
		return id, err
	}, opts...), i
}

// passes reports whether item id comes out of the stages of mapStage in:
// none of their callbacks fails on it, and every Filter keeps it.
func (l *fanLog) passes(id int, stages ...int) bool {
	for _, s := range stages {
		if s < 0 {
			continue
		}
		b := l.beh(s, id)
		if b.kind != edgeFast && b.kind != edgeSleep || l.stages[s].kind == 1 && !b.keep {
			return false
		}
	}
	return true
}

// fanOneToOne says which stages of chain emit one item per item: all but
// a Filter.
func fanOneToOne(chain []statsOf) []bool {
	one := make([]bool, len(chain))
	for i, s := range chain {
		one[i] = s.Stats().Name != "filter"
	}
	return one
}

// fanLeaks returns the stacks of the goroutines of the calling synctest
// bubble running code of package pipeline. Once every sink has returned
// there must be none.
func fanLeaks() []string {
	var leaks []string
	for _, g := range bubbletest.Stacks() {
		if strings.Contains(g, "weftgo/weft/pipeline.") {
			leaks = append(leaks, g)
		}
	}
	return leaks
}

// fanTimer runs fn at each of the times given (fake clock), once every
// other goroutine of the bubble is blocked, until done is closed. It is
// the only caller of synctest.Wait while it runs.
func fanTimer(done <-chan struct{}, events map[time.Duration][]func()) (wait func()) {
	ended := make(chan struct{})
	var at []time.Duration
	for d := range events {
		at = append(at, d)
	}
	slices.Sort(at)
	t0 := time.Now()
	go func() {
		defer close(ended)
		for _, d := range at {
			timer := time.NewTimer(d - time.Since(t0))
			select {
			case <-timer.C:
			case <-done:
				timer.Stop()
				return
			}
			synctest.Wait()
			for _, fn := range events[d] {
				fn()
			}
		}
	}()
	return func() { <-ended }
}

// FuzzPipelineFan checks, against a sequential model on the bubble's fake
// clock, what no other fuzz target covers: the error policies of stages
// and of ForEach under every sink, Merge of up to four inputs, and Tee
// into up to three branches with sinks of their own that are slow, stop
// early, fail, start late or are canceled. Callbacks sleep, fail, panic,
// block or call runtime.Goexit as the input says.
func FuzzPipelineFan(f *testing.F) {
	// cfg: scenario (fan-in or Tee), then as fanIn or fanTee read it.
	// beh: per item behaviour bytes, as for FuzzPipelineEdges; a panicking
	// item with bit 3 set calls runtime.Goexit instead.
	f.Add(uint8(20), []byte{0, 0x00, 0x00, 0x80, 0x10, 0x60, 0x74, 0, 0}, []byte{2, 5, 10, 13})     // Map and ForEach collecting
	f.Add(uint8(20), []byte{0, 0x00, 0x00, 0x80, 0x11, 0x60, 0x6d, 0, 0}, []byte{2, 5, 10, 13})     // concurrent Map collecting, ForEach skipping
	f.Add(uint8(20), []byte{0, 0x08, 0x00, 0x80, 0x12, 0x60, 0x15, 0x62, 0x01, 0, 0}, []byte{5, 2}) // Maps collecting, All
	f.Add(uint8(30), []byte{0, 0x03, 0x01, 0x00, 0x02, 0x80, 0x05, 0x40, 0x00, 0x00, 0x02, 0x00, 0x00, 0}, []byte{2, 3, 4})
	f.Add(uint8(30), []byte{0, 0x0b, 0x00, 0x80, 0x01, 0x40, 0x01, 0x00, 0x02, 0x00, 0x06, 0x40, 0x00, 0x00}, []byte{2, 0, 14, 6})
	f.Add(uint8(40), []byte{0, 0x02, 0x00, 0x00, 0x01, 0x00, 0x02, 10, 0}, []byte{0})          // Merge, break after 10
	f.Add(uint8(40), []byte{0, 0x01, 0x00, 0x00, 0x01, 0x00, 0x05, 10, 0}, []byte{0})          // Merge, ForEach cancels after 10
	f.Add(uint8(40), []byte{0, 0x00, 0x00, 0x80, 0x00, 0x00, 0x06, 0, 0}, []byte{2, 5, 6, 14}) // Reduce
	f.Add(uint8(30), []byte{1, 0x01, 0x00, 0x00, 0x00, 0, 0, 0x01, 0x60, 0, 0}, []byte{2, 3})  // Tee, Collect and a slow ForEach
	f.Add(uint8(30), []byte{1, 0x02, 0x1c, 0x03, 0x00, 0x01, 0x60, 0, 0x02, 5, 0, 0x03, 0, 0}, []byte{2, 0, 4})
	f.Add(uint8(30), []byte{1, 0x05, 0x00, 0x0a, 0x20, 0x03, 0x00, 0, 0x09, 0x04, 7, 0x00, 0, 0x05}, []byte{2, 5, 3})
	f.Add(uint8(30), []byte{1, 0x01, 0x00, 0x00, 0x00, 0, 0x18, 0x03, 0, 0x05}, []byte{0})                // Tee, a branch canceled before the other starts
	f.Add(uint8(30), []byte{1, 0x05, 0x00, 0x10, 0x60, 0x00, 0x00, 0, 0, 0x03, 0, 0}, []byte{2, 5, 0})    // collecting upstream of a Tee
	f.Add(uint8(30), []byte{0, 0x11, 0x00, 0x80, 0x10, 0x60, 0x00, 0x00, 0, 0}, []byte{2, 5, 0})          // Tee into Merge, collecting upstream
	f.Add(uint8(50), []byte{0, 0x12, 0x01, 0x00, 0x09, 0x02, 10, 0}, []byte{0})                           // Tee into Merge, break after 10
	f.Add(uint8(30), []byte{0, 0x00, 0x00, 0x80, 0x01, 0x40, 0x04, 0, 0}, []byte{2, 3, 4, 0, 0x0e, 3, 2}) // ForEach's callback calls Goexit
	f.Add(uint8(30), []byte{0, 0x31, 0x00, 0x80, 0x10, 0x60, 0x00, 0x00, 0, 0}, []byte{2, 5, 0})          // a Tee on a branch of another, collecting upstream
	f.Fuzz(func(t *testing.T, n uint8, cfg, behs []byte) {
		in := fanBytes(cfg)
		tee := in.next()%2 == 1
		synctest.Test(t, func(t *testing.T) {
			l := newFanLog(behs)
			if tee {
				fanTee(t, l, int(n)%101, &in)
			} else {
				fanIn(t, l, int(n)%101, &in)
			}
		})
	})
}

// fanInput is one input of a fan-in: a source and maybe a Map, or a
// branch of a Tee and a Map that tags its items.
type fanInput struct {
	ids     []int
	chain   []statsOf
	stage   int // its Map's stage, or -1; for a branch, the one upstream of the Tee
	ordered bool
	teed    bool // a Tee branch: stage saw id%1000
}

// passes reports whether item id of inp, then stage after, let it through.
func (inp *fanInput) passes(l *fanLog, id, after int) bool {
	v := id
	if inp.teed {
		v = id % 1000
	}
	return l.passes(v, inp.stage) && l.passes(id, after)
}

// fanIn runs one sink over k inputs, merged (or one input alone), each a
// source and maybe a Map or else each a branch of one Tee of a source and
// maybe a Map, and maybe a Map after the Merge, and checks the
// sink's error policy, what it returns and delivers, the Stats of every
// stage, and that no goroutine is left.
func fanIn(t *testing.T, l *fanLog, n int, in *fanBytes) {
	head := in.next()
	k := 1 + int(head&3)
	merge := k > 1 || head&4 != 0
	teed := head&0x10 != 0
	quit := make(chan struct{})
	var feeders sync.WaitGroup
	var inputs []fanInput
	var streams []*pipeline.Stream[int]
	var upChain []statsOf // a Tee's input, when teed
	up := -1
	var extra *pipeline.Stream[int]
	if teed {
		ids := make([]int, n)
		for i := range ids {
			ids[i] = i
		}
		s, _ := fuzzSource(in.next(), ids, quit, &feeders)
		upChain = []statsOf{s}
		if in.next()&0x80 != 0 {
			s, up = l.mapStage(s, in.next(), in.next())
			l.upstream = up
			upChain = append(upChain, s)
		}
		// Maybe the Tee is on a branch of another, whose other branch
		// extra reads to the end with a sink of its own (and so waits for
		// upstream: no callback may block there).
		if head&0x20 != 0 && (up < 0 || l.stages[up].mode != 0) {
			outer := pipeline.Tee(s, 2)
			s, extra = outer[0], outer[1]
		}
		tb := in.next()
		for j, br := range pipeline.Tee(s, k, pipeline.WithChunkSize(1+int(tb)%8), pipeline.WithBuffer(int(tb>>3)%3)) {
			tagged := pipeline.Map(br, func(_ context.Context, v int) (int, error) { return j*1000 + v, nil })
			inp := fanInput{chain: []statsOf{br, tagged}, stage: up, ordered: up < 0 || l.stages[up].ordered, teed: true}
			for _, id := range ids {
				inp.ids = append(inp.ids, j*1000+id)
			}
			inputs = append(inputs, inp)
			streams = append(streams, tagged)
		}
	}
	for j := range k {
		if teed {
			break
		}
		ids := make([]int, n)
		for i := range ids {
			ids[i] = j*1000 + i
		}
		s, _ := fuzzSource(in.next(), ids, quit, &feeders)
		inp := fanInput{ids: ids, chain: []statsOf{s}, stage: -1, ordered: true}
		if in.next()&0x80 != 0 {
			s, inp.stage = l.mapStage(s, in.next(), in.next())
			inp.chain = append(inp.chain, s)
			inp.ordered = l.stages[inp.stage].ordered
		}
		inputs = append(inputs, inp)
		streams = append(streams, s)
	}
	s := streams[0]
	tail := slices.Clone(inputs[0].chain)
	if merge {
		s = pipeline.Merge(streams...)
		tail = []statsOf{s}
	}
	after := -1
	if head&8 != 0 {
		s, after = l.mapStage(s, in.next(), in.next())
		tail = append(tail, s)
	}

	// The sink: 0 Collect, 1 All, 2 All breaking after k, 3 All canceling
	// after k, 4 ForEach with a callback and a policy, 5 the same
	// canceling after k, 6 Reduce.
	sinkB, kk, timeB := in.next(), int(in.next()), in.next()
	kind := int(sinkB) % 7
	sink := -1
	switch kind {
	case 4, 5:
		sink = l.addStage(edgeStage{conc: 1, ordered: true, mode: fanModes[(sinkB>>5)%4]}, pipeline.ErrorPolicy(int(sinkB>>3)%3), false)
	case 6:
		// Reduce's callback has no context: one that blocks waits for the
		// caller's.
		sink = l.addStage(edgeStage{conc: 1, ordered: true, mode: fanModes[(sinkB>>5)%4]}, pipeline.StopOnError, true)
	}

	ctx, cancel := context.WithCancelCause(context.WithValue(context.Background(), fanCtxKey{}, 0))
	defer cancel(nil)
	at := time.Hour
	if timeB&1 != 0 {
		at = time.Duration(timeB>>1) * 500 * time.Microsecond
	}
	sinkDone := make(chan struct{})
	waitTimer := fanTimer(sinkDone, map[time.Duration][]func(){at: {func() {
		l.consumerStop("cancel", false)
		cancel(errEdgeCancel)
	}}})

	type end struct {
		err    error
		exited bool
		at     time.Duration
	}
	sinks := 1 // not returned yet
	type extraEnd struct {
		got []int
		err error
		at  time.Duration
	}
	extraRes := make(chan extraEnd, 1)
	if extra != nil {
		sinks++
		go func() {
			var x extraEnd
			x.got, x.err = pipeline.Collect(context.Background(), extra)
			l.mu.Lock()
			x.at = l.now()
			sinks--
			l.returned = sinks == 0
			l.mu.Unlock()
			extraRes <- x
		}()
	}
	res := make(chan end, 1)
	go func() {
		e := end{exited: true}
		defer func() {
			l.mu.Lock()
			sinks--
			l.returned = sinks == 0
			e.at = l.now()
			l.mu.Unlock()
			res <- e
		}()
		count := 0
		switch kind {
		case 0:
			var got []int
			got, e.err = pipeline.Collect(ctx, s)
			for _, id := range got {
				l.got(id)
			}
			// Collect hands its items over only when it returns.
			for i := range l.recv {
				l.recv[i].at = -1
			}
		case 1, 2, 3:
			for id, err := range pipeline.All(ctx, s) {
				if err != nil {
					e.err = err
					if id != 0 {
						l.mu.Lock()
						l.problem("All yielded item %d with the error %v, want the zero item", id, err)
						l.mu.Unlock()
					}
					break
				}
				l.got(id)
				if count++; count == kk && kind == 2 {
					l.consumerStop("break", true)
					break
				} else if count == kk && kind == 3 {
					l.consumerStop("cancel", true)
					cancel(errEdgeCancel)
				}
			}
		case 4, 5:
			e.err = pipeline.ForEach(ctx, s, func(ctx context.Context, id int) error {
				l.got(id)
				_, err := l.call(ctx, sink, id)
				if count++; count == kk && kind == 5 {
					l.consumerStop("cancel", true)
					cancel(errEdgeCancel)
				}
				return err
			}, pipeline.WithErrorPolicy(l.policy[sink]))
		default:
			_, e.err = pipeline.Reduce(ctx, s, 0, func(acc, id int) (int, error) {
				l.got(id)
				_, err := l.call(ctx, sink, id)
				return acc + 1, err
			})
		}
		e.exited = false
	}()
	e := <-res
	close(sinkDone)
	var x extraEnd
	if extra != nil {
		x = <-extraRes
	}
	close(quit)
	waitTimer()
	feeders.Wait()
	synctest.Wait() // a goroutine ending as the sink returned (a context.AfterFunc) is gone
	leaks := fanLeaks()
	time.Sleep(time.Hour) // a callback left running would now record itself

	l.mu.Lock()
	defer l.mu.Unlock()
	desc := fmt.Sprintf("n=%d inputs=%d teed=%v outer=%v merge=%v after=%d stages=%+v policies=%v sink=%d k=%d cancelAt=%v",
		n, k, teed, extra != nil, merge, after, l.stages, l.policy, kind, kk, at)
	for _, p := range l.problems {
		t.Errorf("%s: %s", desc, p)
	}
	for _, g := range leaks {
		t.Errorf("%s: goroutine left after the sink returned:\n%s", desc, g)
	}

	all := func(int) bool { return true }
	stopAt, stopped := l.firstFail(all, false)
	// (With an outer Tee, its other sink may run on after this one
	// returned, and the timer fire then.)
	if l.stopped && l.stopAt <= e.at && (!stopped || l.stopAt < stopAt) {
		stopAt, stopped = l.stopAt, true
		// A timed cancel as the sink ends: the sink may end first, as
		// canceling ctx reaches the run's context derived from it after.
		if !l.bodyCancel && stopAt == e.at && e.err != errEdgeCancel && !e.exited {
			stopped = false
		}
	}
	// match reports whether e is what the first stop makes the sink
	// return (isCause: what its callbacks' contexts carry).
	match := func(e error, isCause bool) bool {
		if l.failedWith(e, stopAt, all) {
			return true
		}
		return l.consumerStopped(e, isCause, stopAt)
	}
	switch {
	case e.exited:
		if !stopped || !l.exitedAt(sink, stopAt) {
			t.Errorf("%s: the sink's goroutine exited, but the first stop at %v (fails %+v) was no Goexit of its callback",
				desc, stopAt, l.fails)
		}
	case !stopped:
		// Which stages take their items one at a time in input order.
		seq := func(s int) bool {
			inOrder := !merge && inputs[0].ordered
			switch s {
			case sink:
				return inOrder && (after < 0 || l.stages[after].ordered)
			case after:
				return inOrder && l.stages[s].conc == 1
			}
			return l.stages[s].conc == 1
		}
		l.checkCollected(t, desc, e.err, all, seq)
	case !match(e.err, false):
		t.Errorf("%s: the first stop at %v (fails %+v, consumer %v %s at %v): the sink returned %v",
			desc, stopAt, l.fails, l.stopped, l.stopKind, l.stopAt, e.err)
	}
	// Upstream of a Tee, callbacks have a context of their own, canceled
	// when upstream fails or every branch has stopped.
	l.checkCalls(t, desc, func(s int) bool { return s == up }, max(e.at, x.at), false, 0, nil)
	upAt, upFailed := l.firstFail(func(s int) bool { return s == up }, true)
	if extra != nil {
		// The outer Tee's other branch: upstream's error alone, or all
		// of upstream's items and the errors it collected.
		var model []int
		for v := range n {
			if l.passes(v, up) {
				model = append(model, v)
			}
		}
		switch {
		case upFailed:
			if !l.failedWith(x.err, upAt, func(s int) bool { return s == up }) {
				t.Errorf("%s: upstream failed at %v, the outer Tee's other branch returned %v", desc, upAt, x.err)
			}
		case up >= 0 && !l.stages[up].ordered:
			slices.Sort(x.got)
			fallthrough
		default:
			if !slices.Equal(x.got, model) {
				t.Errorf("%s: the outer Tee's other branch got %v, want %v", desc, x.got, model)
			}
			l.checkCollected(t, desc+": the outer Tee's other branch", x.err, func(s int) bool { return s == up },
				func(s int) bool { return l.stages[s].conc == 1 })
		}
	}
	if up >= 0 {
		for id, c := range l.calls[up] {
			if c.ctxDone && c.cause != pipeline.ErrSinkStopped && !l.failedWith(c.cause, upAt, func(s int) bool { return s == up }) {
				t.Errorf("%s: upstream item %d's context cause %v", desc, id, c.cause)
			}
		}
	}
	l.checkCalls(t, desc, func(s int) bool { return s != up }, e.at, stopped, stopAt, func(c error) bool {
		return match(c, true) && (e.err == nil || e.exited || c == e.err)
	})

	// The items delivered: each at most once, out of the model, none after
	// the stop; those of one input in its order if the stages keep it; all
	// of them if nothing stopped.
	pos := map[int]int{} // item: its place in its input's model output
	for _, inp := range inputs {
		var m []int
		for _, id := range inp.ids {
			if inp.passes(l, id, after) {
				pos[id] = len(m)
				m = append(m, id)
			}
		}
	}
	seen := map[int]bool{}
	next := make([]int, k)
	ordered := after < 0 || l.stages[after].ordered
	for _, r := range l.recv {
		j := r.id / 1000
		p, ok := pos[r.id]
		if !ok || seen[r.id] {
			t.Errorf("%s: item %d delivered but not expected (or twice)", desc, r.id)
			continue
		}
		seen[r.id] = true
		if stopped && r.at > stopAt {
			t.Errorf("%s: item %d delivered at %v, after the stop at %v", desc, r.id, r.at, stopAt)
		}
		if inputs[j].ordered && ordered && p != next[j] {
			t.Errorf("%s: item %d of input %d delivered in place %d of its input, want %d", desc, r.id, j, next[j], p)
		}
		next[j]++
	}
	if !stopped && len(seen) != len(pos) {
		t.Errorf("%s: nothing stopped, %d items delivered, want %d", desc, len(seen), len(pos))
	}

	// Stats: the rules of [pipeline.Stats], Merge's In the sum of its
	// inputs' Out, none of ForEach's errors counted (it has no Stats: the
	// last stage's Out counts every item handed to the sink, failed or
	// not); when nothing stopped, nothing dropped.
	var sum int64
	for _, inp := range inputs {
		last := inp.chain[len(inp.chain)-1].Stats().Out
		checkInvariant(t, inp.chain, fanOneToOne(inp.chain), last)
		sum += last
	}
	checkInvariant(t, tail, fanOneToOne(tail), int64(len(l.recv)))
	if teed {
		checkInvariant(t, upChain, fanOneToOne(upChain), upChain[len(upChain)-1].Stats().Out)
	}
	if merge && tail[0].Stats().In != sum {
		t.Errorf("%s: Merge's In %d, its inputs' Out %d", desc, tail[0].Stats().In, sum)
	}
	// Every error a Map's policy skipped or collected counts in its Errors,
	// stopped or not.
	mapStats := map[int]statsOf{}
	for _, inp := range inputs {
		if inp.stage >= 0 && !inp.teed {
			mapStats[inp.stage] = inp.chain[1]
		}
	}
	if teed && up >= 0 {
		mapStats[up] = upChain[1]
	}
	if after >= 0 {
		mapStats[after] = tail[len(tail)-1]
	}
	for stage, s := range mapStats {
		if st := s.Stats(); st.Errors != l.skips[stage] {
			t.Errorf("%s: stage %d skipped or collected %d errors, Stats %+v", desc, stage, l.skips[stage], st)
		}
	}
	if stopped {
		return
	}
	if teed {
		out := 0 // items out of upstream
		for v := range n {
			if l.passes(v, up) {
				out++
			}
		}
		for j, inp := range inputs {
			if st := inp.chain[0].Stats(); st.In != int64(out) || st.Dropped != 0 {
				t.Errorf("%s: nothing stopped, branch %d's Stats %+v, want In %d", desc, j, st, out)
			}
		}
		inputs = []fanInput{{chain: upChain, stage: up}}
	}
	for _, inp := range inputs {
		if st := inp.chain[0].Stats(); st.In != int64(n) || st.Dropped != 0 || st.Errors != 0 {
			t.Errorf("%s: nothing stopped, source Stats %+v", desc, st)
		}
	}
	for _, c := range slices.Concat(tail, slices.Collect(maps.Values(mapStats))) {
		if st := c.Stats(); st.Dropped != 0 {
			t.Errorf("%s: nothing stopped, Stats %+v", desc, st)
		}
	}
}
