package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/weftgo/weft/pipeline"
)

// A stage error is the cause every callback in flight sees, even when the
// sink notices the stop while the failing worker is still canceling the
// run: the sink's own stop must not put its ErrSinkStopped in first.
// FuzzPipelineEdges found it (testdata/fuzz/FuzzPipelineEdges/c3a31b95a3f7d90c).
func TestStressFailureIsTheCauseInFlightCallbacksSee(t *testing.T) {
	stressRuns(t, failOnce)
}

// Of two stage errors returned at once, the one the sink returns is the
// cause every callback in flight sees: the second failing worker used to
// cancel the run with its own error, and could do so first. FuzzPipelineFan
// found it (testdata/fuzz/FuzzPipelineFan/df177f65f15a83bb).
func TestStressSimultaneousFailuresAgreeOnTheCause(t *testing.T) {
	stressRuns(t, failTwice)
}

// stressRuns calls run from 2×GOMAXPROCS goroutines at once, many times
// each, and reports the first thing each saw go wrong.
func stressRuns(t *testing.T, run func() string) {
	t.Helper()
	runs := 400
	if testing.Short() {
		runs = 100
	}
	procs := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	failures := make(chan string, 2*procs)
	for range 2 * procs {
		wg.Go(func() {
			for i := range runs {
				if msg := run(); msg != "" {
					failures <- fmt.Sprintf("run %d: %s", i, msg)
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

// failOnce runs a stage whose item 5 fails while items 1 and 3, if they
// have started, wait for their context and the others stream on through a
// second stage to the sink, and reports what went wrong, if anything.
func failOnce() string {
	boom := errors.New("item 5 failed")
	causes := make(chan error, 2)
	s := pipeline.Map(pipeline.FromSlice(seq(64), pipeline.WithChunkSize(1)),
		func(ctx context.Context, v int) (int, error) {
			switch v {
			case 1, 3:
				return awaitCause(ctx, causes)
			case 5:
				return 0, boom
			}
			return v, nil
		}, pipeline.WithConcurrency(4), pipeline.WithChunkSize(1))
	// A second stage, whose idle worker quits when it sees the stop, closes
	// the sink's input: the sink may end the run before the failing worker
	// has canceled it.
	s = pipeline.Map(s, func(_ context.Context, v int) (int, error) { return v, nil }, pipeline.WithChunkSize(1))
	_, err := pipeline.Collect(context.Background(), s)
	if err != boom {
		return fmt.Sprintf("Collect returned %v, want %v", err, boom)
	}
	return checkCauses(causes, boom)
}

// failTwice runs a stage whose items 4 and 5 fail together, once both have
// started, while items 1 and 3 wait for their context, and reports what
// went wrong, if anything.
func failTwice() string {
	errs := map[int]error{4: errors.New("item 4 failed"), 5: errors.New("item 5 failed")}
	var arrived sync.WaitGroup
	arrived.Add(2)
	causes := make(chan error, 2)
	s := pipeline.Map(pipeline.FromSlice(seq(64), pipeline.WithChunkSize(1)),
		func(ctx context.Context, v int) (int, error) {
			switch v {
			case 1, 3:
				return awaitCause(ctx, causes)
			case 4, 5:
				arrived.Done()
				arrived.Wait()
				return 0, errs[v]
			}
			return v, nil
		}, pipeline.WithConcurrency(4), pipeline.WithChunkSize(1))
	_, err := pipeline.Collect(context.Background(), s)
	if err != errs[4] && err != errs[5] {
		return fmt.Sprintf("Collect returned %v, want one of the two errors", err)
	}
	return checkCauses(causes, err)
}

// awaitCause is a callback that waits for its context to be done and
// sends its cause on causes.
func awaitCause(ctx context.Context, causes chan<- error) (int, error) {
	<-ctx.Done()
	causes <- context.Cause(ctx)
	return 0, ctx.Err()
}

// checkCauses reports a cause sent by awaitCause that is not want, the
// error the sink returned. The sink has returned, so every callback has.
func checkCauses(causes chan error, want error) string {
	close(causes)
	for c := range causes {
		if c != want {
			return fmt.Sprintf("a callback in flight saw cause %v, and the sink returned %v", c, want)
		}
	}
	return ""
}
