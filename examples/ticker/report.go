package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/weftgo/weft/observe"
	"github.com/weftgo/weft/pipeline"
)

// result is what the consumer saw.
type result struct {
	elapsed             time.Duration
	sent, ticks         int64 // lines the feed sent, ticks the consumer got
	bars                int
	alerts              []Alert
	latency             histogram // feed → consumer, every tick
	maxHeld             int64     // most ticks inside the pipeline at once
	blocked, finallyLag time.Duration
	stages              []pipeline.Stats
	parsed, malformed   int64 // lines the parse stage's observer saw parsed, and failing
	symbols             map[string]*symbolStats
}

// meter is an observe.Observer that counts the calls of a stage's callback
// that ended, and those that failed. It is two atomic additions per call;
// the live report reads it at its own pace.
type meter struct{ ended, failed atomic.Int64 }

func (m *meter) Observe(e observe.Event) {
	if e.Kind == observe.Finished {
		m.ended.Add(1)
		if e.Err != nil {
			m.failed.Add(1)
		}
	}
}

type symbolStats struct {
	ticks, volume, alerts int64
	notional, low, high   float64
	last, ma              float64
}

// sink is the consumer: it runs on the goroutine of pipeline.ForEach, one
// event at a time, so it owns its state without locks. It also prints the
// live figures, every c.report.
type sink struct {
	w      io.Writer
	c      config
	feed   *feed
	stages []stage
	parsed *meter // the parse stage's observer
	res    *result
	start  time.Time

	next       time.Time // of the next live report
	interval   histogram // latency since the last report
	lastTicks  int64
	lastSent   int64
	lastBlock  time.Duration
	lastReport time.Time
}

func newSink(w io.Writer, c config, f *feed, stages []stage, parsed *meter) *sink {
	now := time.Now()
	return &sink{w: w, c: c, feed: f, stages: stages, parsed: parsed, start: now, next: now.Add(c.report), lastReport: now,
		res: &result{symbols: map[string]*symbolStats{}}}
}

func (s *sink) handle(_ context.Context, e event) error {
	now := time.Now()
	lat := now.Sub(e.sent)
	r := s.res
	r.ticks++
	r.latency.add(lat)
	s.interval.add(lat)
	st := r.symbols[e.Sym]
	if st == nil {
		st = &symbolStats{low: math.Inf(1)}
		r.symbols[e.Sym] = st
	}
	st.ticks++
	st.volume += e.Size
	st.notional += e.Price * float64(e.Size)
	st.low, st.high, st.last = min(st.low, e.Price), max(st.high, e.Price), e.Price
	if e.bar != nil {
		r.bars++
		st.ma = e.bar.MA
	}
	for _, a := range e.alerts {
		r.alerts = append(r.alerts, a)
		st.alerts++
		fmt.Fprintf(s.w, "  ALERT %s\n", a)
	}
	if r.ticks%64 == 0 {
		r.maxHeld = max(r.maxHeld, s.held())
	}
	if !now.Before(s.next) {
		s.live(now)
	}
	return nil
}

// held is the number of ticks inside the pipeline: taken in by a stage and
// not yet passed on, or passed on and not yet taken by the next one.
func (s *sink) held() int64 {
	var n int64
	for _, st := range s.stages {
		x := st.Stats()
		n += x.InFlight + x.Buffered
	}
	return n
}

// live prints one line of figures for the time since the last one.
func (s *sink) live(now time.Time) {
	d := now.Sub(s.lastReport).Seconds()
	sent, blocked := s.feed.sent.Load(), time.Duration(s.feed.blockedNs.Load())
	held := s.held()
	s.res.maxHeld = max(s.res.maxHeld, held)
	fmt.Fprintf(s.w, "%6.2fs  feed %6.0f/s, %5.2fs behind, held back %3.0f%%  consumer %6.0f/s  latency p50 %-6v p99 %-6v  in pipeline %4d  parsed %d (%d malformed)\n",
		now.Sub(s.start).Seconds(), float64(sent-s.lastSent)/d,
		time.Duration(s.feed.lagNs.Load()).Seconds(), min(100, 100*(blocked-s.lastBlock).Seconds()/d),
		float64(s.res.ticks-s.lastTicks)/d, round(s.interval.quantile(0.5)), round(s.interval.quantile(0.99)), held,
		s.parsed.ended.Load(), s.parsed.failed.Load())
	s.interval = histogram{}
	s.lastTicks, s.lastSent, s.lastBlock, s.lastReport = s.res.ticks, sent, blocked, now
	for !s.next.After(now) {
		s.next = s.next.Add(s.c.report)
	}
}

// finish records the figures that are read once the pipeline has stopped.
func (s *sink) finish() {
	r := s.res
	r.elapsed = time.Since(s.start)
	r.sent = s.feed.sent.Load()
	r.blocked = time.Duration(s.feed.blockedNs.Load())
	r.finallyLag = time.Duration(s.feed.lagNs.Load())
	r.parsed, r.malformed = s.parsed.ended.Load(), s.parsed.failed.Load()
	for _, st := range s.stages {
		r.stages = append(r.stages, st.Stats())
	}
}

func (r *result) print(w io.Writer, c config) {
	secs := r.elapsed.Seconds()
	var price, volume int
	for _, a := range r.alerts {
		if a.Kind == "price" {
			price++
		} else {
			volume++
		}
	}
	skipped := int64(0)
	if len(r.stages) > 1 {
		skipped = r.stages[1].Errors
	}
	fmt.Fprintf(w, "\nran %v: the feed sent %d ticks (%.0f/s of %d/s asked), was held back %v, ended %v behind schedule\n",
		r.elapsed.Round(time.Millisecond), r.sent, float64(r.sent)/secs, c.rate, r.blocked.Round(time.Millisecond),
		r.finallyLag.Round(time.Millisecond))
	fmt.Fprintf(w, "the consumer got %d ticks (%.0f/s); %d malformed lines skipped; %d windows closed; %d alerts (%d price, %d volume)\n",
		r.ticks, float64(r.ticks)/secs, skipped, r.bars, len(r.alerts), price, volume)
	fmt.Fprintf(w, "latency feed → consumer: p50 %v  p95 %v  p99 %v  max %v\n",
		round(r.latency.quantile(0.5)), round(r.latency.quantile(0.95)), round(r.latency.quantile(0.99)), round(r.latency.max))
	fmt.Fprintf(w, "at most %d ticks inside the pipeline at once\n\n", r.maxHeld)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\tin\tout\tskipped\t")
	for _, st := range r.stages {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", st.Name, st.In, st.Out, st.Errors)
	}
	tw.Flush()
	fmt.Fprintln(w)

	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "symbol\tticks\tvolume\tVWAP\tlow\thigh\tlast\tMA(%d)\talerts\t\n", c.ma)
	syms := make([]string, 0, len(r.symbols))
	for sym := range r.symbols {
		syms = append(syms, sym)
	}
	slices.Sort(syms)
	for _, sym := range syms {
		st := r.symbols[sym]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t\n", sym, st.ticks, st.volume,
			st.notional/float64(st.volume), st.low, st.high, st.last, st.ma, st.alerts)
	}
	tw.Flush()
}

// round keeps two significant digits: the histogram is no more precise.
func round(d time.Duration) time.Duration {
	unit := time.Duration(1)
	for d >= 100*unit {
		unit *= 10
	}
	return d.Round(unit)
}
