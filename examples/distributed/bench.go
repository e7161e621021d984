package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"text/tabwriter"
	"time"
)

// childEnv marks a process started by withWorkers, so that a test binary
// re-executed as a worker knows to be one.
const childEnv = "WEFT_DISTRIBUTED_CHILD"

// withWorkers starts n worker processes — this same program with -role
// worker — connected to url, calls fn, then stops the workers with an
// interrupt, which makes each hand back (Nak) the jobs it still holds.
func withWorkers(ctx context.Context, n int, url string, c config, log io.Writer, fn func(context.Context) (report, error)) (report, error) {
	exe, err := os.Executable()
	if err != nil {
		return report{}, err
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	var cmds []*exec.Cmd
	var startErr error
	for range n {
		cmd := exec.CommandContext(wctx, exe, "-role", "worker", "-nats", url,
			"-inflight", strconv.Itoa(c.inflight), "-procs", strconv.Itoa(c.procs))
		cmd.Env = append(os.Environ(), childEnv+"=1")
		cmd.Stdout, cmd.Stderr = log, log
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 10 * time.Second
		if startErr = cmd.Start(); startErr != nil {
			break
		}
		cmds = append(cmds, cmd)
	}
	var r report
	if startErr == nil {
		r, err = fn(ctx)
	}
	stop()
	errs := []error{startErr, err}
	for _, cmd := range cmds {
		// After the interrupt, Wait reports context.Canceled even for a
		// worker that exited cleanly: its exit status is what tells. A
		// worker the interrupt reached before it could handle it had not
		// connected yet, so it held no job: that is a clean stop too.
		if werr := cmd.Wait(); werr != nil && !stoppedCleanly(cmd.ProcessState) {
			errs = append(errs, fmt.Errorf("worker %d: %w", cmd.Process.Pid, werr))
		}
	}
	return r, errors.Join(errs...)
}

func stoppedCleanly(ps *os.ProcessState) bool {
	return ps != nil && (ps.Success() || ps.String() == "signal: interrupt")
}

// A measure is the wall-clock time of a run and the CPU time it used in this
// process and in the worker processes it started (the embedded server runs
// in this one). On a machine shared with other work the CPU time is the
// steadier figure: it counts what the work costs, not how much of the
// machine it was given.
type measure struct {
	elapsed, cpu time.Duration
}

type measuring struct {
	start time.Time
	cpu   time.Duration
}

func startMeasure() measuring { return measuring{time.Now(), cpuTime()} }

// stop returns what was used since m started, counting worker processes
// that have been waited for.
func (m measuring) stop() measure { return measure{time.Since(m.start), cpuTime() - m.cpu} }

func (m measure) best(o measure) measure {
	return measure{min(m.elapsed, o.elapsed), min(m.cpu, o.cpu)}
}

type benchRow struct {
	workers int
	m       measure
}

// printTable prints the in-process figures and each distributed one beside
// them: the speed relative to the in-process pool, and the CPU time per job,
// whose difference is what carrying a job over NATS costs.
func printTable(w io.Writer, c config, local measure, rows []benchRow) {
	jobs, words := float64(c.shards), float64(c.shards)*float64(c.words)
	perJob := func(d time.Duration) time.Duration { return (d / time.Duration(c.shards)).Round(time.Microsecond) }
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tresult time\tjobs/s\tMwords/s\tspeed vs in-process\tCPU per job\tCPU per job vs in-process\t")
	fmt.Fprintf(tw, "in-process pool\t%v\t%.0f\t%.1f\t1.00x\t%v\t-\t\n", round(local.elapsed), jobs/local.elapsed.Seconds(),
		words/local.elapsed.Seconds()/1e6, perJob(local.cpu))
	for _, r := range rows {
		t := r.m.elapsed
		fmt.Fprintf(tw, "%d worker process(es)\t%v\t%.0f\t%.1f\t%.2fx\t%v\t%+v\t\n", r.workers, round(t), jobs/t.Seconds(),
			words/t.Seconds()/1e6, local.elapsed.Seconds()/t.Seconds(), perJob(r.m.cpu), perJob(r.m.cpu-local.cpu))
	}
	tw.Flush()
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
