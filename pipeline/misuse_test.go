package pipeline_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/internal/misuse"
	"github.com/weftgo/weft/pipeline"
	"github.com/weftgo/weft/pipeline/queue"
)

const zeroStream = "pipeline: zero Stream: a Stream must be made with a source (FromSlice, FromChan, FromSeq, FromQueue) or a stage (Map, Filter, ...)"

// TestMisuse lists every misuse of the package with the panic the user must
// see: at once, on the calling goroutine, with a "pipeline:" message,
// before anything runs. The queue's misuse is in package queue's table.
func TestMisuse(t *testing.T) {
	var nilCtx context.Context // passed by mistake, as a user might
	id := func(_ context.Context, v int) (int, error) { return v, nil }
	keep := func(context.Context, int) (bool, error) { return true, nil }
	src := func() *pipeline.Stream[int] { return pipeline.FromSlice(seq(3)) }
	var zero pipeline.Stream[int]

	cases := []struct {
		name string
		f    func()
		want string
	}{
		// Nil contexts: checked before any lock.
		{"ForEach nil ctx", func() { _ = pipeline.ForEach(nilCtx, src(), func(context.Context, int) error { return nil }) }, "pipeline: nil Context"},
		{"Collect nil ctx", func() { _, _ = pipeline.Collect(nilCtx, src()) }, "pipeline: nil Context"},
		{"Reduce nil ctx", func() {
			_, _ = pipeline.Reduce(nilCtx, src(), 0, func(a, v int) (int, error) { return a, nil })
		}, "pipeline: nil Context"},
		{"All nil ctx", func() { pipeline.All(nilCtx, src()) }, "pipeline: nil Context"},

		// Nil functions and inputs: checked when the stage is built.
		{"FromQueue nil", func() { pipeline.FromQueue[int](nil) }, "pipeline: FromQueue with a nil Queue"},
		{"FromSeq nil", func() { pipeline.FromSeq[int](nil) }, "pipeline: FromSeq with a nil sequence"},
		{"FromChan nil", func() { pipeline.FromChan[int](nil) }, "pipeline: FromChan with a nil channel"},
		{"Map nil fn", func() { pipeline.Map[int, int](src(), nil) }, "pipeline: Map with a nil function"},
		{"Filter nil fn", func() { pipeline.Filter(src(), nil) }, "pipeline: Filter with a nil function"},
		{"FlatMap nil fn", func() { pipeline.FlatMap[int, int](src(), nil) }, "pipeline: FlatMap with a nil function"},
		{"ForEach nil fn", func() { _ = pipeline.ForEach(bg, src(), nil) }, "pipeline: ForEach with a nil function"},
		{"Reduce nil fn", func() { _, _ = pipeline.Reduce[int, int](bg, src(), 0, nil) }, "pipeline: Reduce with a nil function"},
		{"Map nil stream", func() { pipeline.Map(nil, id) }, "pipeline: Map with a nil Stream"},
		{"Filter nil stream", func() { pipeline.Filter(nil, keep) }, "pipeline: Filter with a nil Stream"},
		{"FlatMap nil stream", func() {
			pipeline.FlatMap(nil, func(context.Context, int) ([]int, error) { return nil, nil })
		}, "pipeline: FlatMap with a nil Stream"},
		{"Merge nil", func() { pipeline.Merge[int](nil) }, "pipeline: Merge with a nil Stream"},
		{"Merge nil among others", func() { pipeline.Merge(src(), nil) }, "pipeline: Merge with a nil Stream"},
		{"Tee nil", func() { pipeline.Tee[int](nil, 2) }, "pipeline: Tee with a nil Stream"},
		{"Batch nil", func() { pipeline.Batch[int](nil, 2, 0) }, "pipeline: Batch with a nil Stream"},
		{"Tumbling nil", func() { pipeline.Tumbling[int](nil, time.Second) }, "pipeline: Tumbling with a nil Stream"},
		{"Sliding nil", func() { pipeline.Sliding[int](nil, time.Second, time.Second) }, "pipeline: Sliding with a nil Stream"},
		{"ForEach nil stream", func() {
			_ = pipeline.ForEach(bg, nil, func(context.Context, int) error { return nil })
		}, "pipeline: ForEach with a nil Stream"},
		{"Collect nil stream", func() { _, _ = pipeline.Collect[int](bg, nil) }, "pipeline: Collect with a nil Stream"},
		{"Reduce nil stream", func() {
			_, _ = pipeline.Reduce(bg, nil, 0, func(a, v int) (int, error) { return a, nil })
		}, "pipeline: Reduce with a nil Stream"},
		{"All nil stream", func() { pipeline.All[int](bg, nil) }, "pipeline: All with a nil Stream"},
		{"nil StageOption", func() { pipeline.Map(src(), id, nil) }, "pipeline: nil Option"},
		{"nil Option", func() { pipeline.FromSlice(seq(3), pipeline.WithName("s"), nil) }, "pipeline: nil Option"},
		{"nil Option for Tee", func() { pipeline.Tee(src(), 2, nil) }, "pipeline: nil Option"},
		{"nil SinkOption", func() {
			_ = pipeline.ForEach(bg, src(), func(context.Context, int) error { return nil }, nil)
		}, "pipeline: nil Option"},

		// The zero Stream is not usable; every use says so at once.
		{"zero Stream Map", func() { pipeline.Map(&zero, id) }, zeroStream},
		{"zero Stream Merge", func() { pipeline.Merge(&zero) }, zeroStream},
		{"zero Stream Tee", func() { pipeline.Tee(&zero, 2) }, zeroStream},
		{"zero Stream Collect", func() { _, _ = pipeline.Collect(bg, &zero) }, zeroStream},
		{"zero Stream All", func() { pipeline.All(bg, &zero) }, zeroStream},
		{"zero Stream Stats", func() { zero.Stats() }, zeroStream},

		// A stream feeds one consumer; the second is refused when it is built.
		{"stream given to two stages", func() {
			s := src()
			pipeline.Map(s, id)
			pipeline.Filter(s, keep)
		}, "pipeline: stream consumed twice; use Tee to feed several stages"},
		{"stream merged twice", func() {
			s := src()
			pipeline.Merge(s, s)
		}, "pipeline: stream consumed twice; use Tee to feed several stages"},
		{"All ranged twice", func() {
			seq := pipeline.All(bg, src())
			for range seq {
			}
			for range seq {
			}
		}, "pipeline: stream consumed twice; use Tee to feed several stages"},

		// Options.
		{"concurrency 0", func() { pipeline.WithConcurrency(0) }, "pipeline: concurrency 0 must be at least 1"},
		{"window 0", func() { pipeline.WithReorderWindow(0) }, "pipeline: reorder window 0 must be at least 1"},
		{"buffer -1", func() { pipeline.WithBuffer(-1) }, "pipeline: buffer -1 must not be negative"},
		{"chunk 0", func() { pipeline.WithChunkSize(0) }, "pipeline: chunk size 0 must be at least 1"},
		{"policy 9", func() { pipeline.WithErrorPolicy(pipeline.ErrorPolicy(9)) }, "pipeline: unknown error policy 9"},
		{"rate 1 per 0", func() { pipeline.WithRateLimit(1, 0) }, "pipeline: rate limit 1 per 0s must be positive"},
		{"Tee 0", func() { pipeline.Tee(src(), 0) }, "pipeline: Tee into 0 branches"},
		{"Batch size 0", func() { pipeline.Batch(src(), 0, 0) }, "pipeline: Batch needs size >= 1 and maxWait >= 0"},
		{"Tumbling 0", func() { pipeline.Tumbling(src(), 0) }, "pipeline: Tumbling needs a positive duration"},
		{"Sliding 0", func() { pipeline.Sliding(src(), time.Second, 0) }, "pipeline: Sliding needs a positive size and period"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := misuse.PanicValue(t, c.f)
			require.NotNil(t, got, "misuse did not panic")
			assert.Equal(t, c.want, fmt.Sprint(got))
		})
	}
}

// A stage that refuses to be built leaves its input stream usable.
func TestMisuseLeavesInputUsable(t *testing.T) {
	s := pipeline.FromSlice(seq(3))
	assert.Panics(t, func() { pipeline.Map[int, int](s, nil) })
	got, err := pipeline.Collect(bg, s)
	require.NoError(t, err)
	assert.Equal(t, seq(3), got)
}

// FromQueue over the zero Queue is a valid source.
func TestFromZeroQueue(t *testing.T) {
	var q queue.Queue[int]
	require.NoError(t, q.Put(bg, 1))
	q.Close()
	got, err := pipeline.Collect(bg, pipeline.FromQueue(&q))
	require.NoError(t, err)
	assert.Equal(t, []int{1}, got)
}
