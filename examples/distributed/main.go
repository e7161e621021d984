// Command distributed spreads a data analysis over many processes, and over
// many machines, with NATS JetStream carrying the work and weft doing it
// inside each process.
//
// The analysis is word statistics over a corpus generated from a seed, in
// shards. A coordinator puts one job per shard on a JetStream work-queue
// stream; worker processes pull jobs, compute them on a weft pool (one future
// per chunk of the shard, each pool goroutine reusing its own text buffer and
// word generator from chunk to chunk as per-worker state, a semaphore keeping
// the jobs in flight within the consumer's MaxAckPending, heartbeats while a
// job runs) and publish the results, which the coordinator adds up once per
// job. The result is checked against the same analysis done in this one
// process.
//
//	go run .                           # embedded server, 2 worker processes
//	go run . -workers 4 -shards 512
//	go run . -bench 1,2,4 -repeat 3    # time 1, 2 and 4 worker processes, best of 3
//	go run . -nats nats://host:4222 -workers 0             # coordinator only
//	go run . -role worker -nats nats://host:4222           # a worker, anywhere
//	go run . -nats nats://host:4222 -run NAME              # resume a stopped run
//
// A run records its -seed, -shards, -words and -chunks in the streams when it
// starts. Resuming it takes them from there: those flags may be left out, and
// one given with another value is an error, since the jobs would compute
// another analysis than the results already in. A run resumed more than 2
// minutes after it was stopped publishes its unfinished jobs again, and the
// JOBS stream no longer drops the copies it still holds: those jobs may run
// twice, and are counted once.
//
// A job is delivered at least once: a worker that dies, or stops sending
// heartbeats, loses it to another after the ack wait. Results carry the job
// as their message ID and are counted once per job, so the totals are exact
// all the same. A job that fails -maxdeliver times, or cannot be read at all,
// goes to a dead-letter subject and the coordinator reports it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "distributed:", err)
		os.Exit(1)
	}
}

type config struct {
	role       string
	natsURL    string
	workers    int
	bench      []int
	repeat     int
	run        string
	seed       uint64
	shards     int
	words      int
	chunks     int
	ackWait    time.Duration
	maxDeliver int
	maxPending int
	inflight   int
	procs      int
	progress   time.Duration
	given      map[string]bool // flags set on the command line, by name
}

func parse(args []string, w io.Writer) (config, error) {
	var c config
	var bench string
	fs := flag.NewFlagSet("distributed", flag.ContinueOnError)
	fs.SetOutput(w)
	fs.StringVar(&c.role, "role", "coordinator", "coordinator or worker")
	fs.StringVar(&c.natsURL, "nats", "", "NATS server URL (default: start an embedded server; required for -role worker)")
	fs.IntVar(&c.workers, "workers", 2, "worker processes to start (0: rely on workers started elsewhere)")
	fs.StringVar(&bench, "bench", "", "comma-separated worker counts to time one after the other, e.g. 1,2,4")
	fs.IntVar(&c.repeat, "repeat", 1, "with -bench: time everything this many times and keep the fastest")
	fs.StringVar(&c.run, "run", "", "run name; give an earlier run's name to resume it, with its -seed, -shards, -words and -chunks (default: a new one)")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the generated corpus")
	fs.IntVar(&c.shards, "shards", 400, "shards of the corpus, one job each")
	fs.IntVar(&c.words, "words", 50_000, "words per shard")
	fs.IntVar(&c.chunks, "chunks", 4, "chunks per shard, one future each")
	fs.DurationVar(&c.ackWait, "ackwait", 30*time.Second, "time a job may go without an ack or a heartbeat before it is redelivered")
	fs.IntVar(&c.maxDeliver, "maxdeliver", 5, "deliveries of a failing job before it is dead-lettered")
	fs.IntVar(&c.maxPending, "maxackpending", 256, "jobs delivered and not acked, over all workers")
	fs.IntVar(&c.inflight, "inflight", 2*runtime.GOMAXPROCS(0), "jobs in flight per worker (at most -maxackpending)")
	fs.IntVar(&c.procs, "procs", runtime.GOMAXPROCS(0), "pool size of each worker")
	fs.DurationVar(&c.progress, "progress", time.Second, "interval of progress lines (0: none)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { c.given[f.Name] = true })
	if bench != "" {
		for f := range strings.SplitSeq(bench, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return c, fmt.Errorf("-bench: %q is not a positive worker count", f)
			}
			c.bench = append(c.bench, n)
		}
	}
	switch {
	case c.role != "coordinator" && c.role != "worker":
		return c, fmt.Errorf("-role must be coordinator or worker, not %q", c.role)
	case c.role == "worker" && c.natsURL == "":
		return c, errors.New("-role worker needs -nats URL")
	case c.shards < 1 || c.words < 1 || c.chunks < 1 || c.chunks > 1024:
		return c, errors.New("-shards and -words must be positive, -chunks within 1…1024")
	case c.workers < 0 || c.repeat < 1 || c.maxDeliver < 1 || c.maxPending < 1 || c.inflight < 1 || c.procs < 1 || c.ackWait <= 0:
		return c, errors.New("-workers must not be negative; -repeat, -maxdeliver, -maxackpending, -inflight, -procs and -ackwait must be positive")
	case c.natsURL == "" && c.workers == 0 && len(c.bench) == 0:
		return c, errors.New("with the embedded server, nobody else can join: -workers must be positive")
	}
	if c.run == "" {
		c.run = fmt.Sprintf("s%d-n%d-w%d-%s", c.seed, c.shards, c.words, strconv.FormatInt(time.Now().UnixNano(), 36))
	}
	if strings.ContainsAny(c.run, ".*> \t") {
		return c, fmt.Errorf("-run %q: a run name must not contain '.', '*', '>' or spaces", c.run)
	}
	return c, nil
}

// run is the program: out gets the results, log the progress and the
// workers' messages.
func run(ctx context.Context, args []string, out, log io.Writer) error {
	c, err := parse(args, log)
	if err != nil {
		return err
	}
	if c.role == "worker" {
		return runWorker(ctx, c, log, defaultHandlers())
	}
	return runCoordinator(ctx, c, out, log)
}

func runWorker(ctx context.Context, c config, log io.Writer, handlers map[string]Handler) error {
	name := workerName()
	nc, js, err := connect(c.natsURL, "worker "+name)
	if err != nil {
		return err
	}
	defer nc.Close()
	fmt.Fprintf(log, "worker %s: joined %s, %d jobs in flight, pool of %d\n", name, c.natsURL, c.inflight, c.procs)
	w := &worker{js: js, name: name, handlers: handlers, procs: c.procs, inflight: c.inflight, log: log}
	return w.run(ctx)
}

func workerName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

func runCoordinator(ctx context.Context, c config, out, log io.Writer) error {
	url := c.natsURL
	if url == "" {
		dir, err := os.MkdirTemp("", "weft-distributed-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		srv, err := startEmbedded(dir)
		if err != nil {
			return err
		}
		defer srv.shutdown()
		url = srv.url()
		fmt.Fprintf(log, "embedded NATS server with JetStream at %s\n", url)
	}
	nc, js, err := connect(url, "coordinator")
	if err != nil {
		return err
	}
	defer nc.Close()
	if err := setupStreams(ctx, js, brokerConfig{
		ackWait: c.ackWait, maxDeliver: c.maxDeliver, maxAckPending: c.maxPending, storage: jetstream.FileStorage,
	}); err != nil {
		return err
	}

	if len(c.bench) == 0 {
		var resumed bool
		if c, resumed, err = settleParams(ctx, js, c.run, c, func(f string) bool { return c.given[f] }); err != nil {
			return err
		}
		if resumed {
			fmt.Fprintf(log, "run %s exists: resuming it with its parameters\n", c.run)
		}
	}
	fmt.Fprintf(out, "word statistics over %d shards of %d words (seed %d), %d chunks per shard; GOMAXPROCS=%d\n",
		c.shards, c.words, c.seed, c.chunks, runtime.GOMAXPROCS(0))
	jobs := func(run string) []Job { return makeJobs(run, c.seed, c.shards, c.words, c.chunks) }
	var want Totals
	timeLocal := func() (measure, error) {
		m := startMeasure()
		t, err := computeLocal(ctx, jobs(c.run))
		want = t
		return m.stop(), err
	}
	local, err := timeLocal()
	if err != nil {
		return err
	}

	if len(c.bench) == 0 {
		m := startMeasure()
		r, err := distribute(ctx, js, url, c, c.workers, jobs(c.run), want, out, log)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%d words; most frequent: %s\n", r.totals.Words, strings.Join(r.totals.top(5), ", "))
		fmt.Fprintf(out, "results equal to the single-process computation: true (%d jobs redelivered, %d duplicate results ignored, %d outcomes resumed from the stream)\n",
			r.redelivered, r.duplicates, r.resumed)
		d := m.stop()
		d.elapsed = r.elapsed
		printTable(out, c, local, []benchRow{{c.workers, d}})
		return nil
	}
	// The machine may be busy with other things: each figure is the best of
	// -repeat, with the in-process one measured in every repetition too.
	rows := make([]benchRow, len(c.bench))
	for rep := range c.repeat {
		if rep > 0 {
			m, err := timeLocal()
			if err != nil {
				return err
			}
			local = local.best(m)
		}
		for i, n := range c.bench {
			// want is computed already: a run of an earlier -bench
			// with other parameters cannot be resumed.
			run := fmt.Sprintf("%s-%d-%d", c.run, rep, n)
			if _, _, err := settleParams(ctx, js, run, c, func(string) bool { return true }); err != nil {
				return err
			}
			m := startMeasure()
			r, err := distribute(ctx, js, url, c, n, jobs(run), want, out, log)
			if err != nil {
				return err
			}
			d := m.stop()
			d.elapsed = r.elapsed
			if rep == 0 {
				rows[i] = benchRow{n, d}
			} else {
				rows[i].m = rows[i].m.best(d)
			}
		}
	}
	printTable(out, c, local, rows)
	return nil
}

// distribute runs jobs on n worker processes started for the purpose and
// checks the totals against want. The time it reports starts once the
// workers are waiting for jobs, so it leaves out process start-up.
func distribute(ctx context.Context, js jetstream.JetStream, url string, c config, n int, jobs []Job, want Totals, out, log io.Writer) (report, error) {
	run := jobs[0].Run
	fmt.Fprintf(log, "run %s with %d worker processes (resume it with -run %s)\n", run, n, run)
	crd := &coordinator{js: js, jobs: jobs, progress: log, every: c.progress}
	r, err := withWorkers(ctx, n, url, c, log, func(ctx context.Context) (report, error) {
		if err := waitForWorkers(ctx, js, n); err != nil {
			return report{}, err
		}
		return crd.run(ctx)
	})
	for _, d := range r.strays {
		fmt.Fprintf(out, "not a job of this run, dead-lettered: seq %d: %s\n", d.Seq, d.Error)
	}
	for id, d := range r.dead {
		fmt.Fprintf(out, "job %d dead after %d deliveries: %s\n", id, d.Deliveries, d.Error)
	}
	if err != nil {
		return r, err
	}
	if !r.totals.equal(want) {
		return r, fmt.Errorf("run %s: distributed totals differ from the single-process ones", run)
	}
	return r, nil
}

// waitForWorkers waits until n workers are waiting for jobs (each has a pull
// request open on the consumer), for at most 30s.
func waitForWorkers(ctx context.Context, js jetstream.JetStream, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cons, err := js.Consumer(ctx, jobsStream, consumerName)
	if err != nil {
		return err
	}
	for {
		info, err := cons.Info(ctx)
		if err != nil {
			return fmt.Errorf("waiting for %d workers: %w", n, err)
		}
		if info.NumWaiting >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d workers: %w", n, context.Cause(ctx))
		case <-time.After(10 * time.Millisecond):
		}
	}
}
