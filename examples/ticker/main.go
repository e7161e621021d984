// Command ticker is a real-time stream processor built with a weft
// pipeline: a simulated market feed flows through
//
//	feed → parse → per-symbol windows (VWAP, high/low, moving average) → alert rules → consumer
//
// and the program shows live throughput, end-to-end latency, how much the
// pipeline holds and how many lines the parse stage handled (counted by an
// observer of the stage, pipeline.WithObserver), then prints a summary
// after -duration. The feed is
// deterministic (-seed): the same flags give the same ticks and alerts, as
// long as the pipeline keeps up with the feed (a feed held back stops at
// -duration, having sent fewer lines).
//
// With -slow-consumer N the consumer takes at most N ticks a second. The
// pipeline's buffers are bounded, so instead of queueing without limit it
// holds the feed back: the feed falls behind its schedule, the latency
// settles at what the buffers hold, and memory stays flat.
//
//	go run ./examples/ticker
//	go run ./examples/ticker -symbols 20 -rate 20000 -duration 10s
//	go run ./examples/ticker -slow-consumer 1000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, context.Canceled):
		os.Exit(130)
	default:
		fmt.Fprintln(os.Stderr, "ticker:", err)
		os.Exit(1)
	}
}

type config struct {
	symbols, rate, parsers, ma, slow, chunk, buffer int
	duration, window, report                        time.Duration
	events, movePct, spike                          float64
	seed                                            uint64
}

func parse(args []string, w io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("ticker", flag.ContinueOnError)
	fs.SetOutput(w)
	fs.IntVar(&c.symbols, "symbols", 8, "symbols traded")
	fs.IntVar(&c.rate, "rate", 5000, "ticks per second sent by the feed, all symbols together")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "how long the feed runs")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the simulated market")
	fs.Float64Var(&c.events, "events", 1, "market events a second: price jumps and volume bursts")
	fs.DurationVar(&c.window, "window", 250*time.Millisecond, "width of the per-symbol time windows (market time)")
	fs.IntVar(&c.ma, "ma", 8, "windows in the moving averages")
	fs.Float64Var(&c.movePct, "move", 2, "alert when a window closes this many percent from the previous one")
	fs.Float64Var(&c.spike, "spike", 4, "alert when a window's volume is this many times the average")
	fs.IntVar(&c.slow, "slow-consumer", 0, "the consumer takes at most this many ticks a second (0: as fast as it can)")
	fs.IntVar(&c.parsers, "parsers", 2, "goroutines parsing ticks")
	fs.IntVar(&c.chunk, "chunk", 32, "largest batch of ticks moved between stages at once")
	fs.IntVar(&c.buffer, "buffer", 2, "batches a stage's output holds before the stage blocks")
	fs.DurationVar(&c.report, "report", time.Second, "print live figures this often")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.symbols < 1 || c.rate < 1 || c.parsers < 1 || c.ma < 1 || c.chunk < 1 || c.buffer < 0 || c.slow < 0 ||
		c.duration <= 0 || c.window <= 0 || c.report <= 0 || c.movePct <= 0 || c.spike <= 1 || c.events < 0 {
		return c, errors.New("need positive symbols, rate, parsers, ma, chunk, durations and move, spike above 1, no negative values")
	}
	return c, nil
}

func run(ctx context.Context, args []string, w io.Writer) error {
	c, err := parse(args, w)
	if err != nil {
		return err
	}
	consumer := "as fast as it can"
	if c.slow > 0 {
		consumer = fmt.Sprintf("at most %d ticks/s (slow)", c.slow)
	}
	fmt.Fprintf(w, "feed: %d symbols, %d ticks/s for %v; windows of %v; consumer %s\n",
		c.symbols, c.rate, c.duration, c.window, consumer)
	fmt.Fprintf(w, "buffers: %d batches of ≤ %d ticks per stage\n\n", c.buffer, c.chunk)
	res, err := process(ctx, c, w)
	if ctx.Err() != nil {
		fmt.Fprintln(w, "\ninterrupted: partial results")
	}
	res.print(w, c)
	if err != nil && ctx.Err() == nil {
		return err
	}
	return context.Cause(ctx)
}
