package main

import (
	"context"
	"io"
	"time"

	"github.com/weftgo/weft/pipeline"
)

// stamped is a parsed tick with the time the feed sent it.
type stamped struct {
	Tick
	sent time.Time
}

// event is what reaches the consumer for every tick: the tick, the bar it
// closed if it closed one, and the alerts that bar fired.
type event struct {
	stamped
	bar    *Bar
	alerts []Alert
}

// stage is any pipeline stage, whatever its item type.
type stage interface{ Stats() pipeline.Stats }

// process runs the feed through the pipeline until the feed ends (after
// c.duration) and everything in flight has reached the consumer, or until
// ctx ends. It returns what the consumer saw, and the pipeline's error.
func process(ctx context.Context, c config, w io.Writer) (*result, error) {
	f := &feed{m: newMarket(c.symbols, c.rate, c.events, c.seed), rate: c.rate, duration: c.duration}
	// Every stage gets the same sizes. A source takes only Options; the
	// callback stages take StageOptions, which every Option is.
	sizes := []pipeline.Option{pipeline.WithChunkSize(c.chunk), pipeline.WithBuffer(c.buffer)}
	opts := func(more ...pipeline.StageOption) []pipeline.StageOption {
		for _, o := range sizes {
			more = append(more, o)
		}
		return more
	}

	src := pipeline.FromSeq(f.lines(ctx), append([]pipeline.Option{pipeline.WithName("feed")}, sizes...)...)

	// Parsing is stateless, so it may run on several goroutines; WithOrdered
	// keeps each symbol's ticks in order for the windows. A garbled line is
	// an error the stage skips (and counts) instead of stopping the stream.
	// The stage reports every line it parses to parsed, which the live
	// figures read.
	parsed := new(meter)
	ticks := pipeline.Map(src, func(_ context.Context, r raw) (stamped, error) {
		t, err := parseTick(r.line)
		return stamped{t, r.sent}, err
	}, opts(pipeline.WithName("parse"), pipeline.WithConcurrency(c.parsers),
		pipeline.WithOrdered(), pipeline.WithErrorPolicy(pipeline.SkipErrors), pipeline.WithObserver(parsed))...)

	// The windows are state: the stage runs on one goroutine (the default
	// concurrency), which owns win, so no lock is needed.
	win := newWindows(c.window, c.ma)
	events := pipeline.Map(ticks, func(_ context.Context, t stamped) (event, error) {
		return event{stamped: t, bar: win.add(t.Tick)}, nil
	}, opts(pipeline.WithName("windows"))...)

	rs := rules{movePct: c.movePct, spike: c.spike}
	alerted := pipeline.Map(events, func(_ context.Context, e event) (event, error) {
		if e.bar != nil {
			e.alerts = rs.check(e.bar)
		}
		return e, nil
	}, opts(pipeline.WithName("rules"))...)

	stages := []stage{src, ticks, events, alerted}
	out := alerted
	if c.slow > 0 {
		// Stands in for a consumer that can take only c.slow ticks a second
		// (a slow database, a remote screen): the stage is rate-limited.
		out = pipeline.Map(alerted, func(_ context.Context, e event) (event, error) { return e, nil },
			opts(pipeline.WithName("consumer"), pipeline.WithRateLimit(c.slow, time.Second))...)
		stages = append(stages, out)
	}

	s := newSink(w, c, f, stages, parsed)
	err := pipeline.ForEach(ctx, out, s.handle)
	s.finish()
	return s.res, err
}
