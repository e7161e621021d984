// Command compute is a CPU-bound parallel computation with weft: a Monte
// Carlo estimate of π (one future per chunk of samples, on a pool) and a
// Mandelbrot image (rows with pool.Map), each timed sequentially and with
// 1…GOMAXPROCS workers. It checks that every parallel result equals the
// sequential one and prints the speedup table.
//
//	go run ./examples/compute
//	go run ./examples/compute -samples 50000000 -size 1600 -out m.png
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"text/tabwriter"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "compute:", err)
		os.Exit(1)
	}
}

type config struct {
	samples    int
	chunks     int
	size       int
	maxWorkers int
	out        string
}

func parse(args []string, w io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("compute", flag.ContinueOnError)
	fs.SetOutput(w)
	fs.IntVar(&c.samples, "samples", 20_000_000, "Monte Carlo samples for π")
	fs.IntVar(&c.chunks, "chunks", 64, "chunks the samples are split into (one future each)")
	fs.IntVar(&c.size, "size", 800, "Mandelbrot image width in pixels (height is 3/4 of it)")
	fs.IntVar(&c.maxWorkers, "workers", runtime.GOMAXPROCS(0), "largest worker count to time")
	fs.StringVar(&c.out, "out", "mandelbrot.png", "where to write the Mandelbrot PNG (empty: don't)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.samples < 1 || c.chunks < 1 || c.size < 4 || c.maxWorkers < 1 {
		return c, fmt.Errorf("samples, chunks and workers must be positive and size at least 4")
	}
	return c, nil
}

func run(ctx context.Context, args []string, w io.Writer) error {
	c, err := parse(args, w)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "π from %d samples in %d chunks; Mandelbrot %dx%d; GOMAXPROCS=%d\n\n",
		c.samples, c.chunks, c.size, c.size*3/4, runtime.GOMAXPROCS(0))

	start := time.Now()
	piSeq := piSequential(c.samples, c.chunks)
	piSeqTime := time.Since(start)
	start = time.Now()
	imgSeq := mandelbrotSequential(c.size)
	imgSeqTime := time.Since(start)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workers\tπ time\tπ speedup\tMandelbrot time\tMandelbrot speedup\tresults equal\t")
	fmt.Fprintf(tw, "sequential\t%v\t1.00x\t%v\t1.00x\t-\t\n", round(piSeqTime), round(imgSeqTime))
	for workers := 1; workers <= c.maxWorkers; workers++ {
		start := time.Now()
		pi, err := piParallel(ctx, workers, c.samples, c.chunks)
		if err != nil {
			return err
		}
		piTime := time.Since(start)
		start = time.Now()
		img, err := mandelbrotParallel(ctx, workers, c.size)
		if err != nil {
			return err
		}
		imgTime := time.Since(start)
		equal := pi == piSeq && img.equal(imgSeq)
		fmt.Fprintf(tw, "%d\t%v\t%.2fx\t%v\t%.2fx\t%v\t\n", workers,
			round(piTime), speedup(piSeqTime, piTime), round(imgTime), speedup(imgSeqTime, imgTime), equal)
		if !equal {
			tw.Flush()
			return fmt.Errorf("parallel result with %d workers differs from the sequential one", workers)
		}
	}
	tw.Flush()

	fmt.Fprintf(w, "\nπ ≈ %.6f (error %.2e)\n", piSeq.value(), piSeq.value()-3.141592653589793)
	if c.out != "" {
		if err := imgSeq.writePNG(c.out); err != nil {
			return err
		}
		fmt.Fprintf(w, "Mandelbrot image written to %s\n", c.out)
	}
	return nil
}

func speedup(seq, par time.Duration) float64 { return float64(seq) / float64(max(par, 1)) }

func round(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
