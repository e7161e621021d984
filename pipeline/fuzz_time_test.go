package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/weftgo/weft/pipeline"
)

// The scenarios of FuzzPipelineTime.
const (
	ftBatch = iota
	ftTumbling
	ftSliding
	ftOrdered // a worker stage: concurrency, order, reorder window
	ftRate    // a worker stage with a rate limit
	ftScenarios
)

// How the consumer of FuzzPipelineTime reads.
const (
	ftAll    = iota // ForEach to the end
	ftBreak         // All, breaking out after k items
	ftCancel        // ForEach, the context ending at a fake time
	ftSlow          // ForEach, sleeping after every item (timed stages only)
)

var errTimeCancel = errors.New("fuzz: timed cancel")

// ftConsumer says how the sink reads.
type ftConsumer struct {
	mode     int
	k        int           // ftBreak: items before the break
	cancelAt time.Duration // ftCancel
	slow     time.Duration // ftSlow
}

// timedSeq yields items[i].V at items[i].At after it starts and returns at
// end, on the fake clock of a synctest bubble.
func timedSeq[T any](items []at[T], end time.Duration) iter.Seq[T] {
	return func(yield func(T) bool) {
		start := time.Now()
		for _, it := range items {
			time.Sleep(it.At - time.Since(start))
			if !yield(it.V) {
				return
			}
		}
		time.Sleep(end - time.Since(start))
	}
}

// ftConsume runs the pipeline ending in s as c says and returns what the
// consumer got, each with the fake time since t0 it got it.
func ftConsume[T any](t0 time.Time, c ftConsumer, s *pipeline.Stream[T]) ([]at[T], error) {
	ctx := bg
	if c.mode == ftCancel {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(bg, c.cancelAt, errTimeCancel)
		defer cancel()
	}
	var got []at[T]
	if c.mode == ftBreak {
		for v, err := range pipeline.All(ctx, s) {
			if err != nil {
				return got, err
			}
			got = append(got, at[T]{v, time.Since(t0)})
			if len(got) == c.k {
				break
			}
		}
		return got, nil
	}
	err := pipeline.ForEach(ctx, s, func(_ context.Context, v T) error {
		got = append(got, at[T]{v, time.Since(t0)})
		if c.mode == ftSlow {
			time.Sleep(c.slow)
		}
		return nil
	})
	return got, err
}

// ftCut returns how many of the model's outputs, emitted at the given fake
// times in emission order, the consumer must get: all of them, the first
// k, or those before the cancel. ok is false when an output is due at the
// very instant of the cancel, so that either outcome is right.
func ftCut(c ftConsumer, times []time.Duration) (n int, ok bool) {
	switch c.mode {
	case ftBreak:
		return min(c.k, len(times)), true
	case ftCancel:
		for _, t := range times {
			if t == c.cancelAt {
				return 0, false
			}
			if t < c.cancelAt {
				n++
			}
		}
		return n, true
	}
	return len(times), true
}

// FuzzPipelineTime checks the timed stages and options on the fake clock of
// a synctest bubble against plain sequential models: Batch (size, maxWait),
// Tumbling and Sliding windows, an ordered worker stage with a reorder
// window, and a rate-limited one, fed by FromSlice, or by FromChan and
// FromSeq with items arriving at fake times, and read to the end, up to a
// break, up to a cancel or slowly.
//
// Items arrive at whole milliseconds plus 500µs, Batch's maxWait is whole
// milliseconds plus 250µs, window periods and sizes are whole milliseconds,
// cancels come at whole milliseconds plus 100.007µs and a slow consumer
// sleeps whole milliseconds plus 100.003µs: no two events the models order
// fall on the same instant (the checks allow either order where one still
// might). So a window's wait for a slow consumer never ends on a tick,
// where the stage may or may not skip that tick as synctest runs the timers
// of one instant one by one; it may end as an item arrives or the input
// ends, and the order of those makes no difference.
func FuzzPipelineTime(f *testing.F) {
	// cfg: source, consumer, k, cancel at, p1, p2, p3, p4, end gap.
	// data: one byte per item: low 3 bits its gap in ms, the next 3 its
	// callback's duration.
	f.Add(uint8(ftBatch), []byte{0x01, 0, 0, 0, 2, 3, 0, 0, 2}, []byte{0, 0, 0, 1, 2, 5, 0, 3, 1})
	f.Add(uint8(ftBatch), []byte{0x02, 2, 0, 17, 3, 2, 0, 0, 5}, []byte{0, 0, 0, 1, 2, 5, 0, 3, 1})
	f.Add(uint8(ftBatch), []byte{0x00, 1, 3, 0, 2, 0, 0, 0, 0}, []byte{0, 0, 0, 0, 0, 0, 0})
	f.Add(uint8(ftTumbling), []byte{0x01, 0, 0, 0, 2, 0, 0, 0, 3}, []byte{1, 0, 3, 0, 6, 1, 1, 0, 7})
	f.Add(uint8(ftTumbling), []byte{0x02, 3, 0, 0, 1, 0, 0, 0, 3}, []byte{1, 0, 3, 0, 6, 1, 1, 0, 7})
	f.Add(uint8(ftSliding), []byte{0x01, 0, 0, 0, 3, 1, 0, 0, 4}, []byte{1, 0, 3, 0, 6, 1, 1, 0, 7})
	f.Add(uint8(ftSliding), []byte{0x02, 2, 0, 9, 0, 3, 0, 0, 6}, []byte{1, 0, 3, 0, 6, 1, 1, 0, 7})
	// Slow consumers (3.1ms, 4.1ms) of windows, without and with a buffer.
	f.Add(uint8(ftTumbling), []byte{0x01, 11, 0, 0, 0, 0, 0, 0, 3}, []byte{1, 0, 3, 0, 6, 1, 1, 0, 7, 1, 1, 1, 2, 0})
	f.Add(uint8(ftTumbling), []byte{0x02, 15, 0, 0, 1, 0, 0, 2, 3}, []byte{1, 0, 3, 0, 6, 1, 1, 0, 7, 1, 1, 1, 2, 0})
	f.Add(uint8(ftSliding), []byte{0x01, 11, 0, 0, 3, 1, 0, 0, 4}, []byte{1, 0, 3, 0, 6, 1, 1, 0, 7, 1, 1, 1, 2, 0})
	f.Add(uint8(ftSliding), []byte{0x02, 15, 0, 0, 5, 0, 0, 2, 6}, []byte{1, 0, 3, 0, 6, 1, 1, 0, 7, 1, 1, 1, 2, 0})
	f.Add(uint8(ftOrdered), []byte{0x00, 0, 0, 0, 0x13, 2, 0, 0, 0}, []byte{0x38, 0x08, 0x08, 0x10, 0x08, 0x08, 0x08, 0x20})
	f.Add(uint8(ftOrdered), []byte{0x01, 0, 0, 0, 0x12, 0, 0, 0, 0}, []byte{0x39, 0x08, 0x0a, 0x10, 0x00, 0x08, 0x09, 0x20})
	f.Add(uint8(ftOrdered), []byte{0x00, 1, 5, 0, 0x03, 0, 0, 0, 0}, []byte{0x38, 0x08, 0x08, 0x10, 0x08, 0x08, 0x08, 0x20})
	f.Add(uint8(ftRate), []byte{0x00, 0, 0, 0, 0x00, 0, 1, 2, 0}, []byte{0, 0, 0, 0, 0, 0})
	f.Add(uint8(ftRate), []byte{0x01, 0, 0, 0, 0x01, 0, 0, 3, 0}, []byte{0x08, 0x02, 0x01, 0x00, 0x07, 0x00})
	f.Add(uint8(ftRate), []byte{0x00, 0, 0, 0, 0x00, 0, 0, 3, 0}, []byte{0x28, 0x00, 0x00, 0x00})
	f.Add(uint8(ftRate), []byte{0x02, 2, 0, 6, 0x12, 0, 2, 5, 0}, []byte{0x18, 0x02, 0x09, 0x00, 0x07, 0x00})
	f.Fuzz(func(t *testing.T, kind uint8, cfg, data []byte) {
		synctest.Test(t, func(t *testing.T) { ftRun(t, int(kind)%ftScenarios, cfg, data) })
	})
}

// ftIn is the input of one run of FuzzPipelineTime.
type ftIn struct {
	src   int             // 0 FromSlice, 1 FromChan, 2 FromSeq
	arr   []time.Duration // arrival of item i (all 0 for FromSlice)
	dur   []time.Duration // callback duration of item i
	end   time.Duration   // the input ends
	chunk int
	buf   int
	cons  ftConsumer
	p     [4]byte // scenario parameters
}

func (in *ftIn) desc() string {
	return fmt.Sprintf("src=%d chunk=%d buf=%d consumer=%+v p=%v end=%v arr=%v dur=%v",
		in.src, in.chunk, in.buf, in.cons, in.p, in.end, in.arr, in.dur)
}

func ftRun(t *testing.T, kind int, cfg, data []byte) {
	next := func() byte {
		if len(cfg) == 0 {
			return 0
		}
		b := cfg[0]
		cfg = cfg[1:]
		return b
	}
	srcB, consB, k, cancelB := next(), next(), next(), next()
	in := &ftIn{src: int(srcB) % 3, chunk: 1 + int(srcB>>2)%8, buf: int(srcB>>5) % 3}
	for i := range in.p {
		in.p[i] = next()
	}
	endGap := time.Duration(next()%8) * time.Millisecond
	in.cons = ftConsumer{mode: int(consB) % 4, k: 1 + int(k)%16,
		cancelAt: time.Duration(cancelB)*time.Millisecond + 100*time.Microsecond + 7,
		slow:     time.Duration(1+int(consB>>2)%4)*time.Millisecond + 100*time.Microsecond + 3}
	if len(data) > 48 {
		data = data[:48]
	}
	var now time.Duration
	for i, b := range data {
		if in.src != 0 {
			now += time.Duration(b&7) * time.Millisecond
			if i == 0 {
				now += 500 * time.Microsecond
			}
		}
		in.arr = append(in.arr, now)
		in.dur = append(in.dur, []time.Duration{0, 1, 1, 2, 3, 5, 8, 30}[b>>3&7]*time.Millisecond)
	}
	if in.src != 0 {
		if len(data) == 0 {
			now = 500 * time.Microsecond
		}
		in.end = now + endGap
	}
	switch kind {
	case ftBatch, ftTumbling, ftSliding:
		ftTimed(t, kind, in)
	default:
		if in.cons.mode == ftSlow {
			in.cons.mode = ftAll
		}
		ftWorkers(t, kind == ftRate, in)
	}
}

// ftSource returns the source of in's items and a function to call once the
// sink has returned, which waits for the feeding goroutine.
func ftSource(in *ftIn, opts ...pipeline.Option) (*pipeline.Stream[int], func()) {
	items := make([]at[int], len(in.arr))
	for i, a := range in.arr {
		items[i] = at[int]{i, a}
	}
	switch in.src {
	case 0:
		return pipeline.FromSlice(seq(len(items)), opts...), func() {}
	case 2:
		return pipeline.FromSeq(timedSeq(items, in.end), opts...), func() {}
	}
	ch := make(chan int, in.buf)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for v := range timedSeq(items, in.end) {
			select {
			case ch <- v:
			case <-quit:
				return
			}
		}
		close(ch)
	}()
	return pipeline.FromChan(ch, opts...), func() { close(quit); <-done }
}

// ftStats checks the counters of every stage once the sink has returned,
// as the Stats doc promises: nothing in flight or buffered, the last
// stage's Out is what the consumer got, and a run that was not stopped
// took all n items and dropped none.
func ftStats(t *testing.T, desc string, stats []func() pipeline.Stats, got, n int, complete bool) {
	t.Helper()
	for i, f := range stats {
		st := f()
		if st.InFlight != 0 || st.Buffered != 0 {
			t.Errorf("%s: stage %d after the sink returned: %+v", desc, i, st)
		}
		if complete && (st.Dropped != 0 || st.In != int64(n)) {
			t.Errorf("%s: stage %d after a complete run of %d items: %+v", desc, i, n, st)
		}
	}
	if last := stats[len(stats)-1](); last.Out != int64(got) {
		t.Errorf("%s: the consumer got %d, the last stage's Out is %d", desc, got, last.Out)
	}
}

// ftErr checks what the sink returned: the cancel's cause if it came before
// the end, else nil.
func ftErr(t *testing.T, desc string, c ftConsumer, err error, end time.Duration) {
	t.Helper()
	want := error(nil)
	if c.mode == ftCancel && c.cancelAt < end {
		want = errTimeCancel
	}
	if err != want && !(c.mode == ftCancel && c.cancelAt == end) {
		t.Errorf("%s: the sink returned %v, want %v (the run ended at %v)", desc, err, want, end)
	}
}

// ftTimed runs Batch, Tumbling or Sliding and checks them against their
// models.
func ftTimed(t *testing.T, kind int, in *ftIn) {
	t0 := time.Now()
	src, wait := ftSource(in, pipeline.WithChunkSize(in.chunk), pipeline.WithBuffer(in.buf))
	opts := []pipeline.Option{pipeline.WithBuffer(int(in.p[3]) % 3), pipeline.WithChunkSize(1 + int(in.p[3]>>2)%3)}
	n := len(in.arr)
	var s *pipeline.Stream[[]int]
	var model []at[[]int]
	var desc string
	size := 0 // Batch's
	var windowSize, windowPeriod time.Duration
	switch kind {
	case ftBatch:
		size = 1 + int(in.p[0])%8
		var maxWait time.Duration
		if w := in.p[1] % 8; w > 0 {
			maxWait = time.Duration(w-1)*time.Millisecond + 250*time.Microsecond
		}
		s = pipeline.Batch(src, size, maxWait, opts...)
		model = batchModel(in.arr, in.end, size, maxWait)
		desc = fmt.Sprintf("Batch(size=%d, maxWait=%v) %s", size, maxWait, in.desc())
	case ftTumbling:
		d := time.Duration(1+int(in.p[0])%10) * time.Millisecond
		s = pipeline.Tumbling(src, d, opts...)
		model = tumblingModel(in.arr, in.end, d)
		windowPeriod = d
		desc = fmt.Sprintf("Tumbling(%v) %s", d, in.desc())
	default:
		size := time.Duration(1+int(in.p[0])%12) * time.Millisecond
		period := time.Duration(1+int(in.p[1])%6) * time.Millisecond
		s = pipeline.Sliding(src, size, period, opts...)
		model = slidingModel(in.arr, in.end, size, period)
		windowSize, windowPeriod = size, period
		desc = fmt.Sprintf("Sliding(size=%v, period=%v) %s", size, period, in.desc())
	}
	stats := []func() pipeline.Stats{src.Stats, s.Stats}
	got, err := ftConsume(t0, in.cons, s)
	wait()
	if in.cons.mode == ftSlow && kind != ftBatch {
		model = slowWindowsModel(in.arr, in.end, kind == ftSliding, windowSize, windowPeriod, int(in.p[3])%3, in.cons.slow)
	}
	desc += fmt.Sprintf(" model=%v", model)

	// Whatever the consumer: no window is empty, Batch's hold at most size
	// items, every item appears in order, Batch and Tumbling deliver each
	// item once, Sliding windows are runs of the input whose bounds move
	// forward only.
	var all []int
	lo, hi := 0, -1
	for _, w := range got {
		if len(w.V) == 0 {
			t.Errorf("%s: empty window at %v", desc, w.At)
		}
		if kind == ftSliding {
			if len(w.V) == 0 {
				continue
			}
			if w.V[0] < lo || w.V[len(w.V)-1] < hi || w.V[len(w.V)-1] >= n || !isRun(w.V) {
				t.Errorf("%s: window %v at %v after items %d..%d", desc, w.V, w.At, lo, hi)
			}
			lo, hi = w.V[0], w.V[len(w.V)-1]
			continue
		}
		if kind == ftBatch && len(w.V) > size {
			t.Errorf("%s: batch of %d items at %v", desc, len(w.V), w.At)
		}
		all = append(all, w.V...)
	}
	if kind != ftSliding && !slices.Equal(all, seq(len(all))) {
		t.Errorf("%s: delivered items %v, want 0, 1, 2, ... in order, each once", desc, all)
	}
	complete := in.cons.mode == ftAll || in.cons.mode == ftSlow ||
		in.cons.mode == ftCancel && in.cons.cancelAt > in.end || in.cons.mode == ftBreak && in.cons.k > len(model)
	if in.cons.mode == ftSlow && kind == ftBatch {
		// A slow consumer holds the stage up: only the end is known.
		if err != nil {
			t.Errorf("%s: the sink returned %v", desc, err)
		}
		if kind != ftSliding && len(all) != n {
			t.Errorf("%s: delivered %d items, want %d", desc, len(all), n)
		}
		ftStats(t, desc, stats, len(got), n, true)
		return
	}

	// A fast consumer gets the model's windows at the model's times, up to
	// its break or cancel; a slow one all of them at the times the slow
	// model says.
	times := make([]time.Duration, len(model))
	for i, w := range model {
		times[i] = w.At
	}
	want, ok := ftCut(in.cons, times)
	if ok && len(got) != want || len(got) > len(model) || !slices.EqualFunc(got, model[:min(len(got), len(model))], func(a, b at[[]int]) bool {
		return a.At == b.At && slices.Equal(a.V, b.V)
	}) {
		t.Errorf("%s: got %v, want the first %d", desc, got, want)
	}
	ftErr(t, desc, in.cons, err, in.end)
	ftStats(t, desc, stats, len(got), n, complete)
}

// isRun reports whether v holds consecutive integers, ascending.
func isRun(v []int) bool {
	for i := 1; i < len(v); i++ {
		if v[i] != v[i-1]+1 {
			return false
		}
	}
	return true
}

// batchModel is Batch's doc: a batch goes when it holds size items, when
// maxWait has passed since its first item arrived, or when the input ends.
func batchModel(arr []time.Duration, end time.Duration, size int, maxWait time.Duration) []at[[]int] {
	var out []at[[]int]
	var cur []int
	due := time.Duration(-1) // when the open batch times out
	for i, a := range arr {
		if due >= 0 && due < a {
			out = append(out, at[[]int]{cur, due})
			cur, due = nil, -1
		}
		if len(cur) == 0 && maxWait > 0 {
			due = a + maxWait
		}
		cur = append(cur, i)
		if len(cur) == size {
			out = append(out, at[[]int]{cur, a})
			cur, due = nil, -1
		}
	}
	if due >= 0 && due < end {
		out = append(out, at[[]int]{cur, due})
		cur = nil
	}
	if len(cur) > 0 {
		out = append(out, at[[]int]{cur, end})
	}
	return out
}

// tumblingModel is Tumbling's doc: every d from the start, the items of the
// last d, if any; at the end of input, the partial window at once.
func tumblingModel(arr []time.Duration, end, d time.Duration) []at[[]int] {
	var out []at[[]int]
	for i, a := range arr {
		w := (a/d + 1) * d // the tick that closes a's window
		if w > end {
			w = end
		}
		if len(out) > 0 && out[len(out)-1].At == w {
			out[len(out)-1].V = append(out[len(out)-1].V, i)
			continue
		}
		out = append(out, at[[]int]{[]int{i}, w})
	}
	return out
}

// slidingModel is Sliding's doc: every period from the start, the items of
// the last size, if any; at the end of input, if items arrived since the
// last window, the items of the last size at once.
func slidingModel(arr []time.Duration, end, size, period time.Duration) []at[[]int] {
	var out []at[[]int]
	window := func(now time.Duration) []int {
		var w []int
		for i, a := range arr {
			if a <= now && a > now-size {
				w = append(w, i)
			}
		}
		return w
	}
	last := time.Duration(-1) // the last window's time
	for tick := period; tick < end; tick += period {
		if w := window(tick); len(w) > 0 {
			out = append(out, at[[]int]{w, tick})
			last = tick
		}
	}
	if n := len(arr); n > 0 && arr[n-1] > last {
		if w := window(end); len(w) > 0 {
			out = append(out, at[[]int]{w, end})
		}
	}
	return out
}

// slowWindowsModel is what the Tumbling (sliding false) and Sliding docs
// say a consumer gets when it takes a window as soon as it is free, then
// is busy for slow, with room for buf windows between: the times are when
// the consumer gets them. An item arrives when the stage reads it. While a
// window waits for room the stage reads no input, and it skips the ticks
// up to the end of the wait: the next window comes on the first tick
// after it, and what arrived meanwhile (items, the end) arrives then.
func slowWindowsModel(arr []time.Duration, end time.Duration, sliding bool, size, period time.Duration, buf int, slow time.Duration) []at[[]int] {
	var out []at[[]int]
	free := time.Duration(0) // the consumer can take a window
	// send hands the window w emitted at e over and returns when the stage
	// goes on: at once while there is room, else when the consumer takes
	// the window buf places ahead (w itself, without a buffer).
	send := func(w []int, e time.Duration) time.Duration {
		k := len(out)
		done := e
		if buf == 0 {
			done = max(e, free)
		} else if k >= buf {
			done = max(e, out[k-buf].At)
		}
		got := max(done, free)
		out = append(out, at[[]int]{w, got})
		free = got + slow
		return done
	}
	var stamp []time.Duration // when the stage read item i
	window := func(now time.Duration) []int {
		var w []int
		for i, a := range stamp {
			if a > now-size && a <= now {
				w = append(w, i)
			}
		}
		return w
	}
	var cur []int // Tumbling's open window
	fresh := false
	t := time.Duration(0) // the stage reads from t on
	tick := period
	for {
		if i := len(stamp); i < len(arr) && arr[i] < tick {
			t = max(arr[i], t)
			stamp = append(stamp, t)
			cur = append(cur, i)
			fresh = true
			continue
		}
		if len(stamp) == len(arr) && end < tick {
			t = max(end, t)
			if !sliding && len(cur) > 0 {
				send(cur, t)
			}
			if w := window(t); sliding && fresh && len(w) > 0 {
				send(w, t)
			}
			return out
		}
		t = tick
		if !sliding && len(cur) > 0 {
			t = send(cur, tick)
			cur = nil
		}
		if w := window(tick); sliding && len(w) > 0 {
			fresh = false
			t = send(w, tick)
		}
		tick = (t/period + 1) * period
	}
}

// ftCall is one callback call of a worker stage, on the fake clock.
type ftCall struct {
	start, end time.Duration
	started    bool
}

// workerModel is a worker stage fed with items arriving at arr, whose
// callbacks take dur, read by a consumer that never waits: item i is handed
// to a worker when it has arrived, the item before it was handed, a worker
// is free and (with a rate limit) an interval has passed since the item
// before it was handed. In an ordered stage with more than one worker, it
// starts once it is within window items of the oldest not yet emitted (a
// rate limit hands it on only then); it is emitted when it ends, or in
// order.
func workerModel(arr, dur []time.Duration, conc, window int, ordered bool, interval time.Duration) (start, emit []time.Duration) {
	free := make([]time.Duration, conc)
	handed := make([]time.Duration, len(arr))
	start = make([]time.Duration, len(arr))
	emit = make([]time.Duration, len(arr))
	for i, a := range arr {
		h := a
		if i > 0 {
			h = max(h, handed[i-1])
			if interval > 0 {
				h = max(h, handed[i-1]+interval)
			}
		}
		w := 0
		for j := range free {
			if free[j] < free[w] {
				w = j
			}
		}
		h = max(h, free[w])
		s := h
		if ordered && conc > 1 && i >= window {
			s = max(s, emit[i-window])
		}
		if interval > 0 {
			h = s
		}
		handed[i], start[i] = h, s
		free[w] = s + dur[i]
		emit[i] = s + dur[i]
		if ordered && i > 0 {
			emit[i] = max(emit[i], emit[i-1])
		}
	}
	return start, emit
}

// ftRateStarts checks WithRateLimit's doc against the callbacks' starts:
// one every per/n at the most, so at most n in any span of per.
func ftRateStarts(t *testing.T, desc string, calls []ftCall, n int, per time.Duration) {
	t.Helper()
	var starts []time.Duration
	for _, c := range calls {
		if c.started {
			starts = append(starts, c.start)
		}
	}
	slices.Sort(starts)
	for i := 1; i < len(starts); i++ {
		if d := starts[i] - starts[i-1]; d*time.Duration(n) < per {
			t.Errorf("%s: starts %v and %v are %v apart, less than per/n", desc, starts[i-1], starts[i], d)
		}
	}
	for i := range starts {
		if j := i + n; j < len(starts) && starts[j]-starts[i] < per {
			t.Errorf("%s: %d starts in %v from %v: %v", desc, n+1, per, starts[i], starts[i:j+1])
		}
	}
}

// ftWorkers runs a Map stage with a concurrency, order, reorder window and
// perhaps a rate limit drawn from in, and checks it against workerModel
// and the promises of WithReorderWindow and WithRateLimit.
func ftWorkers(t *testing.T, rate bool, in *ftIn) {
	t0 := time.Now()
	conc := 1 + int(in.p[0])%4
	ordered := in.p[0]&0x10 != 0 || conc == 1
	window := 2 * conc // WithReorderWindow's doc: default and minimum
	buffer, outChunk := int(in.p[0]>>5)%3, 1+int(in.p[1]>>4)%4
	opts := []pipeline.StageOption{pipeline.WithConcurrency(conc), pipeline.WithBuffer(buffer), pipeline.WithChunkSize(outChunk)}
	if ordered {
		opts = append(opts, pipeline.WithOrdered())
	}
	if w := int(in.p[1]) % 6; w > 0 {
		opts = append(opts, pipeline.WithReorderWindow(w))
		window = max(w, conc)
	}
	var n int
	var per, interval time.Duration
	if rate {
		n = 1 + int(in.p[2])%4
		per = time.Duration(1+int(in.p[3])%16) * 700 * time.Microsecond
		interval = (per + time.Duration(n) - 1) / time.Duration(n) // per/n, rounded up to the nanosecond
		opts = append(opts, pipeline.WithRateLimit(n, per))
	} else if in.src != 0 {
		in.chunk = 1 // chunks of FromChan and FromSeq depend on timing
	} else {
		in.chunk = 1 + (in.chunk-1)%4
	}
	exact := rate || in.chunk == 1 // the input chunks are single items
	src, wait := ftSource(in, pipeline.WithChunkSize(in.chunk), pipeline.WithBuffer(in.buf))
	items := len(in.arr)
	var mu sync.Mutex
	calls := make([]ftCall, items)
	inflight := 0
	var problems []string
	// The Stream doc's memory bound: a stage holds at most its concurrency,
	// reorder window and output buffer in chunks. Its workers' chunks are
	// the input's, or single items behind a rate limit, which holds the
	// input chunk it paces.
	workChunk, held := in.chunk, 0
	if rate {
		workChunk, held = 1, in.chunk
	}
	// The counters may lag by the batch the sink is taking.
	held += conc*workChunk + (buffer+1)*outChunk
	if ordered && conc > 1 {
		held += window * workChunk
	}
	var stage *pipeline.Stream[int]
	checkHeld := func(at string) {
		st := stage.Stats() // In is read before Out: never an overestimate
		if st.In-st.Out > int64(held) {
			problems = append(problems, fmt.Sprintf("%s: the stage holds %d items, more than %d: %+v", at, st.In-st.Out, held, st))
		}
	}

	s := pipeline.Map(src, func(_ context.Context, v int) (int, error) {
		mu.Lock()
		c := &calls[v]
		if c.started {
			problems = append(problems, fmt.Sprintf("item %d started twice", v))
		}
		c.start, c.started = time.Since(t0), true
		checkHeld(fmt.Sprintf("item %d started", v))
		if inflight++; inflight > conc {
			problems = append(problems, fmt.Sprintf("%d callbacks in flight at %v", inflight, c.start))
		}
		mu.Unlock()
		time.Sleep(in.dur[v])
		mu.Lock()
		c.end = time.Since(t0)
		checkHeld(fmt.Sprintf("item %d ended", v))
		inflight--
		mu.Unlock()
		return v, nil
	}, opts...)
	stage = s
	stats := []func() pipeline.Stats{src.Stats, s.Stats}
	got, err := ftConsume(t0, in.cons, s)
	wait()

	desc := fmt.Sprintf("conc=%d ordered=%v window=%d buffer=%d chunk=%d rate=%d/%v %s", conc, ordered, window, buffer, outChunk, n, per, in.desc())
	for _, p := range problems {
		t.Errorf("%s: %s", desc, p)
	}
	// Every item at most once, in input order if ordered.
	seen := make([]bool, items)
	for i, g := range got {
		if g.V < 0 || g.V >= items || seen[g.V] {
			t.Errorf("%s: item %d delivered twice or out of range", desc, g.V)
			return
		}
		seen[g.V] = true
		if ordered && g.V != i {
			t.Errorf("%s: ordered stage delivered %v", desc, got)
			return
		}
		if c := calls[g.V]; !c.started || c.end > g.At {
			t.Errorf("%s: item %d delivered at %v, its call %+v", desc, g.V, g.At, c)
		}
	}

	// WithReorderWindow: a chunk starts only within window chunks of the
	// oldest one not yet fully emitted; the consumer never waits, so an
	// item is emitted when it is delivered.
	if ordered && conc > 1 {
		chunk := in.chunk
		if rate {
			chunk = 1 // the rate limit hands items on one by one
		}
		chunks := (items + chunk - 1) / chunk
		for i, c := range calls {
			if !c.started || in.cons.mode == ftBreak && len(got) > 0 && c.start >= got[len(got)-1].At {
				continue // after the break, what was emitted is not all delivered
			}
			emitted := 0 // items delivered by the start of item i
			for _, g := range got {
				if g.At <= c.start {
					emitted++
				}
			}
			full := emitted / chunk
			if emitted == items {
				full = chunks
			}
			if i/chunk-full >= window {
				t.Errorf("%s: item %d (chunk %d) started at %v with %d chunks fully emitted, window %d", desc, i, i/chunk, c.start, full, window)
			}
		}
	}

	// The model's start and emission times, up to the break or the cancel.
	complete := in.cons.mode == ftAll || in.cons.mode == ftBreak && in.cons.k >= items
	if exact {
		mstart, memit := workerModel(in.arr, in.dur, conc, window, ordered, interval)
		order := seq(items)
		if !ordered {
			slices.SortStableFunc(order, func(a, b int) int { return int(memit[a] - memit[b]) })
		}
		times := make([]time.Duration, items)
		for i, id := range order {
			times[i] = memit[id]
		}
		desc += fmt.Sprintf(" model start=%v emit=%v", mstart, memit)
		want, ok := ftCut(in.cons, times)
		if ok && len(got) != want {
			t.Errorf("%s: delivered %d items %v, want %d", desc, len(got), got, want)
		}
		for _, g := range got {
			if g.At != memit[g.V] {
				t.Errorf("%s: item %d delivered at %v, want %v", desc, g.V, g.At, memit[g.V])
			}
		}
		for i, c := range calls {
			if c.started && c.start != mstart[i] {
				t.Errorf("%s: item %d started at %v, want %v", desc, i, c.start, mstart[i])
			}
		}
		if rate {
			ftRateStarts(t, desc, calls, n, per)
		}
		last := time.Duration(0)
		if items > 0 {
			last = slices.Max(memit)
		}
		last = max(last, in.end)
		ftErr(t, desc, in.cons, err, last)
		complete = complete || in.cons.mode == ftCancel && in.cons.cancelAt > last
	} else if in.cons.mode != ftCancel && err != nil {
		t.Errorf("%s: the sink returned %v", desc, err)
	}
	if complete && len(got) != items {
		t.Errorf("%s: delivered %d items, want %d", desc, len(got), items)
	}
	ftStats(t, desc, stats, len(got), items, complete)
}
