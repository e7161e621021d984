package benchmarks

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The census explains a pond-suite scenario's time and peak memory rather
// than measuring them: when the submitters had all been started and had
// all returned, how far the pool fell behind, and which goroutines were
// alive at the peak. It is off by default; to run it, side by side with
// pond, 40 runs each:
//
//	go test -run Census -census 40 -census.impls weft,pond -census.load 100Ku-1t
//
// Within one run of the test, the implementations alternate run by run,
// so compare them with each other, not with another run of the test: this
// machine's speed drifts by a third from minute to minute.
var (
	censusRuns  = flag.Int("census", 0, "runs per implementation of TestPondSuiteCensus (0: skip it)")
	censusImpls = flag.String("census.impls", "weft,pond", "implementations the census compares")
	censusLoad  = flag.String("census.load", "100Ku-1t", "the scenario's load")
	censusTask  = flag.String("census.task", "sleep10ms", "the scenario's task")
)

// A census is one run of a scenario: its time, the processor time it
// took, when the last submitter had been started and when every submit had
// returned; at the moment the most memory was held (heap objects plus
// stacks above the start), what was held and how many goroutines were
// alive; then, at the moment the most goroutines were alive, how many
// submitters had been started but had not yet made all their submits,
// how many tasks were submitted but not started (queued), how many had
// started and not ended (running), and how many goroutines were runnable
// and how many parked. mostQueued is the most tasks queued at any sample:
// a pool that falls behind with workers to spare shows there.
type census struct {
	elapsed, cpu             time.Duration
	spawned, submitted       time.Duration
	peak, heap, stacks       uint64
	goroutines               uint64
	waiting, queued, running int64
	runnable, parked         uint64
	mostQueued               int64
}

func TestPondSuiteCensus(t *testing.T) {
	if *censusRuns == 0 {
		t.Skip("run with -census N")
	}
	var task func()
	for _, st := range suiteTasks {
		if st.name == *censusTask {
			task = st.task
		}
	}
	users, tasks := 0, 0
	for _, l := range suiteLoads {
		if l.name == *censusLoad {
			users, tasks = l.users, l.tasks
		}
	}
	if task == nil || users == 0 {
		t.Fatalf("no scenario %s/%s", *censusTask, *censusLoad)
	}
	impls := strings.Split(*censusImpls, ",")
	starts := make([]suitePool, len(impls))
	for i, name := range impls {
		for _, p := range suitePools {
			if p.name == name {
				starts[i] = p.start
			}
		}
		if starts[i] == nil {
			t.Fatalf("no implementation %q", name)
		}
	}
	for _, start := range starts {
		runScenario(start, task, users, tasks) // warm-up: see BenchmarkPondSuite
	}
	runs := make([][]census, len(impls))
	for range *censusRuns {
		for i, start := range starts {
			runs[i] = append(runs[i], takeCensus(start, task, users, tasks))
		}
	}
	for i, name := range impls {
		t.Logf("%-10s %s", name, medians(runs[i]))
	}
}

func takeCensus(start suitePool, task func(), users, tasks int) census {
	runtime.GC()
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/stacks:bytes"},
		{Name: "/sched/goroutines:goroutines"},
		{Name: "/sched/goroutines/runnable:goroutines"},
		{Name: "/sched/goroutines/waiting:goroutines"},
	}
	metrics.Read(samples)
	heap0, stacks0 := samples[0].Value.Uint64(), samples[1].Value.Uint64()

	var begun, returned, submitted, started, ended atomic.Int64
	var c census
	var mostG uint64
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
			case <-quit:
				return
			}
			metrics.Read(samples)
			heap, stacks := above(samples[0], heap0), above(samples[1], stacks0)
			g := samples[2].Value.Uint64()
			if heap+stacks > c.peak {
				c.peak, c.heap, c.stacks, c.goroutines = heap+stacks, heap, stacks, g
			}
			c.mostQueued = max(c.mostQueued, submitted.Load()-started.Load())
			if g > mostG {
				mostG = g
				s, b, e := started.Load(), submitted.Load(), ended.Load()
				c.waiting, c.queued, c.running = begun.Load()-returned.Load(), b-s, s-e
				c.runnable, c.parked = samples[3].Value.Uint64(), samples[4].Value.Uint64()
			}
		}
	}()

	counted := func() {
		started.Add(1)
		task()
		ended.Add(1)
	}
	cpu0 := cpuTime()
	t0 := time.Now()
	submit, wait := start(suiteWorkers, counted)
	var wg sync.WaitGroup
	for range users {
		begun.Add(1)
		wg.Go(func() {
			for range tasks {
				submit()
				submitted.Add(1)
			}
			returned.Add(1)
		})
	}
	c.spawned = time.Since(t0)
	wg.Wait()
	c.submitted = time.Since(t0)
	wait()
	c.elapsed = time.Since(t0)
	c.cpu = cpuTime() - cpu0
	close(quit)
	<-done
	return c
}

// above is how far s is above base, or 0.
func above(s metrics.Sample, base uint64) uint64 {
	return max(s.Value.Uint64(), base) - base
}

// medians formats the median of each figure over runs.
func medians(runs []census) string {
	med := func(f func(census) float64) float64 {
		xs := make([]float64, len(runs))
		for i, c := range runs {
			xs[i] = f(c)
		}
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	const mib = 1 << 20
	return fmt.Sprintf("%6.1f ms (cpu %5.1f, spawned %5.1f, submitted %5.1f)  peak %5.1f MiB (heap %4.1f, stacks %5.1f, %6.0f goroutines)  at most goroutines: %6.0f submitters waiting, %6.0f tasks queued, %6.0f running (%6.0f runnable, %6.0f parked); at most %6.0f queued",
		med(func(c census) float64 { return float64(c.elapsed) / 1e6 }),
		med(func(c census) float64 { return float64(c.cpu) / 1e6 }),
		med(func(c census) float64 { return float64(c.spawned) / 1e6 }),
		med(func(c census) float64 { return float64(c.submitted) / 1e6 }),
		med(func(c census) float64 { return float64(c.peak) / mib }),
		med(func(c census) float64 { return float64(c.heap) / mib }),
		med(func(c census) float64 { return float64(c.stacks) / mib }),
		med(func(c census) float64 { return float64(c.goroutines) }),
		med(func(c census) float64 { return float64(c.waiting) }),
		med(func(c census) float64 { return float64(c.queued) }),
		med(func(c census) float64 { return float64(c.running) }),
		med(func(c census) float64 { return float64(c.runnable) }),
		med(func(c census) float64 { return float64(c.parked) }),
		med(func(c census) float64 { return float64(c.mostQueued) }))
}
