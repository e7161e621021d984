package pipeline_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/weftgo/weft/pipeline"
)

// What stops when the pipeline stops, item by item: a source takes nothing
// more, and a stage starts no new callback. "Stops" is the moment the run's
// context is canceled; a source or worker caught at that very moment may
// still take or start one.

// Once the pipeline has stopped, FromSeq's next yield returns false: the
// sequence does not run on to fill the rest of a chunk nobody will read.
func TestFromSeqYieldsFalseOnceStopped(t *testing.T) {
	ctxs := make(chan context.Context, 1)
	yieldedAfterStop := 0
	seq := func(yield func(int) bool) {
		if !yield(0) {
			return
		}
		<-(<-ctxs).Done() // the pipeline has stopped
		for i := 1; yield(i); i++ {
			yieldedAfterStop++
		}
	}
	err := pipeline.ForEach(bg, pipeline.FromSeq(seq), func(ctx context.Context, _ int) error {
		ctxs <- ctx
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("ForEach = %v, want %v", err, errBoom)
	}
	if yieldedAfterStop > 0 {
		t.Errorf("%d yields returned true after the pipeline stopped", yieldedAfterStop)
	}
}

// Once the pipeline has stopped, FromChan receives nothing more from the
// caller's channel: what it took would be lost to the caller. The caller's
// cancel closes the run's context before it returns, so every value taken
// after the snapshot, but one in flight, is a receive after the stop. A
// select picks at random among ready cases: without looking at the stop
// first, about one run in a hundred took a whole chunk more.
func TestFromChanReceivesNothingOnceStopped(t *testing.T) {
	for range 2000 {
		ch := make(chan int, 1000)
		for i := range cap(ch) {
			ch <- i
		}
		ctx, cancel := context.WithCancel(bg)
		snapshot := -1
		_ = pipeline.ForEach(ctx, pipeline.FromChan(ch, pipeline.WithChunkSize(8), pipeline.WithBuffer(0)),
			func(context.Context, int) error {
				if snapshot < 0 {
					cancel()
					snapshot = len(ch)
				}
				return nil
			})
		cancel()
		if late := snapshot - len(ch); late > 1 {
			t.Fatalf("FromChan took %d values from the channel after the pipeline stopped", late)
		}
	}
}

// Once the caller's context ends, a stage starts no new callback, even in
// the middle of the chunk its worker claimed. Here a call cancels
// the caller's context itself, on one processor: the goroutine that
// context.AfterFunc starts for the cancel cannot run while the worker
// does, so a worker that heard of the cancel only from it ran on through
// the rest of its chunk.
func TestStagesStartNothingOnceCallerCancels(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	type callback = func(ctx context.Context, v int)
	stages := []struct {
		name  string
		build func(s *pipeline.Stream[int], call callback) *pipeline.Stream[int]
	}{
		{"Map", func(s *pipeline.Stream[int], call callback) *pipeline.Stream[int] {
			return pipeline.Map(s, func(ctx context.Context, v int) (int, error) { call(ctx, v); return v, nil })
		}},
		{"Filter", func(s *pipeline.Stream[int], call callback) *pipeline.Stream[int] {
			return pipeline.Filter(s, func(ctx context.Context, v int) (bool, error) { call(ctx, v); return true, nil })
		}},
		{"FlatMap", func(s *pipeline.Stream[int], call callback) *pipeline.Stream[int] {
			return pipeline.FlatMap(s, func(ctx context.Context, v int) ([]int, error) { call(ctx, v); return []int{v}, nil })
		}},
	}
	items := make([]int, 10000)
	for i := range items {
		items[i] = i
	}
	for _, st := range stages {
		t.Run(st.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(bg)
			defer cancel()
			late := 0
			s := st.build(pipeline.FromSlice(items), func(ctx context.Context, v int) {
				if ctx.Err() != nil {
					late++
				}
				if v == 5000 { // once claims have grown to whole chunks
					cancel()
				}
			})
			err := pipeline.ForEach(ctx, s, func(context.Context, int) error { return nil })
			if !errors.Is(err, context.Canceled) {
				t.Errorf("ForEach = %v, want the caller's cancel", err)
			}
			if late > 0 {
				t.Errorf("%d calls started after the caller's context was canceled", late)
			}
		})
	}
}
