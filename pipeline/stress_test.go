package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/weftgo/weft/pipeline"
)

// TestStressStagesRace runs many pipelines at once, each with a random
// source, chunk sizes, concurrency and order, ending at random: exhausted,
// by a callback error, a break or a canceled context. Every run must
// deliver the right items (in order when every stage is ordered), return the
// right error, leave no callback running and satisfy the Stats rules.
func TestStressStagesRace(t *testing.T) {
	stressParallel(t, 60, 10, stressOnce)
}

// stressParallel calls once runs times (shortRuns under -short) in each of
// 2×GOMAXPROCS goroutines, each with a random source of its own, and
// reports every goroutine's first failure: the message once returns, or ""
// when the run held.
func stressParallel(t *testing.T, runs, shortRuns int, once func(rng *rand.Rand) string) {
	t.Helper()
	if testing.Short() {
		runs = shortRuns
	}
	procs := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	failures := make(chan string, 2*procs)
	for g := range 2 * procs {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), uint64(runs)))
			for i := range runs {
				if msg := once(rng); msg != "" {
					failures <- fmt.Sprintf("goroutine %d run %d: %s", g, i, msg)
					return
				}
			}
		})
	}
	wg.Wait()
	close(failures)
	for msg := range failures {
		t.Error(msg)
	}
}

func stressOnce(rng *rand.Rand) string {
	n := rng.IntN(3000)
	items := seq(n)
	stageOpts := func() ([]pipeline.StageOption, bool) {
		conc := 1 + rng.IntN(6)
		opts := []pipeline.StageOption{
			pipeline.WithConcurrency(conc),
			pipeline.WithChunkSize(1 + rng.IntN(200)),
			pipeline.WithBuffer(rng.IntN(4)),
		}
		ordered := conc == 1 || rng.IntN(2) == 0
		if ordered {
			opts = append(opts, pipeline.WithOrdered(), pipeline.WithReorderWindow(1+rng.IntN(2*conc)))
		}
		return opts, ordered
	}
	chunk := pipeline.WithChunkSize(1 + rng.IntN(300))
	var src *pipeline.Stream[int]
	switch rng.IntN(3) {
	case 0:
		src = pipeline.FromSlice(items, chunk)
	case 1:
		src = pipeline.FromSeq(slices.Values(items), chunk)
	default:
		ch := make(chan int, rng.IntN(64))
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			defer close(ch)
			for _, v := range items {
				select {
				case ch <- v:
				case <-stop:
					return
				}
			}
		}()
		src = pipeline.FromChan(ch, chunk)
	}

	// failAt: the first stage fails on this item; -1 never.
	failAt := -1
	end := rng.IntN(4) // 0 exhausted, 1 error, 2 break, 3 cancel
	if end == 1 && n > 0 {
		failAt = rng.IntN(n)
	}
	var running atomic.Int64
	work := func(v int) {
		running.Add(1)
		defer running.Add(-1)
		if v%7 == 0 {
			runtime.Gosched()
		}
	}
	o1, ord1 := stageOpts()
	o2, ord2 := stageOpts()
	m := pipeline.Map(src, func(_ context.Context, v int) (int, error) {
		work(v)
		if v == failAt {
			return 0, errBoom
		}
		return v, nil
	}, o1...)
	f := pipeline.Filter(m, func(_ context.Context, v int) (bool, error) {
		work(v)
		return v%3 != 0, nil
	}, o2...)

	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	stopAt := 0
	if n > 0 {
		stopAt = rng.IntN(n)
	}
	var got []int
	var err error
	for v, e := range pipeline.All(ctx, f) {
		if e != nil {
			err = e
			break
		}
		got = append(got, v)
		if end == 2 && len(got) > stopAt {
			break
		}
		if end == 3 && len(got) > stopAt {
			cancel()
		}
	}
	if r := running.Load(); r != 0 {
		return fmt.Sprintf("%d callbacks running after the sink returned", r)
	}

	var want []int
	for _, v := range items {
		if v%3 != 0 {
			want = append(want, v)
		}
	}
	switch {
	case end == 0 || (end == 1 && n == 0):
		if err != nil {
			return fmt.Sprintf("exhausted run failed: %v", err)
		}
		if !ord1 || !ord2 {
			slices.Sort(got)
		}
		if !slices.Equal(got, want) {
			return fmt.Sprintf("got %d items, want %d (ordered %v %v)", len(got), len(want), ord1, ord2)
		}
	case end == 1:
		if !errors.Is(err, errBoom) {
			return fmt.Sprintf("err %v, want errBoom", err)
		}
	case end == 3:
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Sprintf("err %v, want context.Canceled or nil", err)
		}
	}
	if ord1 && ord2 && end != 1 {
		if !slices.Equal(got, want[:len(got)]) {
			return "ordered stages delivered out of order"
		}
	}

	all := []pipeline.Stats{src.Stats(), m.Stats(), f.Stats()}
	for i, st := range all {
		if st.InFlight != 0 || st.Buffered != 0 {
			return fmt.Sprintf("%+v: in flight or buffered after the sink returned", st)
		}
		if i+1 < len(all) && st.Out != all[i+1].In {
			return fmt.Sprintf("%+v: Out != In of %+v", st, all[i+1])
		}
		if i < 2 && st.In != st.Out+st.Errors+st.Dropped {
			return fmt.Sprintf("%+v: In != Out+Errors+Dropped", st)
		}
	}
	if last := all[2]; last.Out != int64(len(got)) {
		return fmt.Sprintf("%+v: Out != %d items delivered", last, len(got))
	}
	return ""
}
