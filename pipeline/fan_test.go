package pipeline_test

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/weftgo/weft/pipeline"
)

func TestMerge(t *testing.T) {
	got, err := pipeline.Collect(bg, pipeline.Merge(
		pipeline.FromSlice(seq(500)),
		pipeline.Map(pipeline.FromSlice(seq(500)), func(_ context.Context, v int) (int, error) { return v + 500, nil }),
	))
	require.NoError(t, err)
	slices.Sort(got)
	assert.Equal(t, seq(1000), got)

	empty, err := pipeline.Collect(bg, pipeline.Merge[int]())
	require.NoError(t, err)
	assert.Empty(t, empty)
}

func TestMergeErrorStopsAllInputs(t *testing.T) {
	failing := pipeline.Map(pipeline.FromSlice(seq(10)), func(_ context.Context, v int) (int, error) {
		if v == 5 {
			return 0, errBoom
		}
		return v, nil
	})
	_, err := pipeline.Collect(bg, pipeline.Merge(pipeline.FromSeq(forever()), failing))
	require.ErrorIs(t, err, errBoom)
	goleak.VerifyNone(t)
}

func TestTeeThenMerge(t *testing.T) {
	branches := pipeline.Tee(pipeline.FromSlice(seq(300)), 2)
	neg := pipeline.Map(branches[1], func(_ context.Context, v int) (int, error) { return -v, nil })
	got, err := pipeline.Collect(bg, pipeline.Merge(branches[0], neg))
	require.NoError(t, err)
	assert.Len(t, got, 600)
	sum := 0
	for _, v := range got {
		sum += v
	}
	assert.Zero(t, sum)
}

func TestTeeSeparateSinks(t *testing.T) {
	branches := pipeline.Tee(pipeline.FromSeq(ints(1000)), 2)
	strs := pipeline.Map(branches[1], func(_ context.Context, v int) (string, error) { return strconv.Itoa(v), nil })
	type result struct {
		n   int
		err error
	}
	res := make(chan result, 1)
	go func() {
		got, err := pipeline.Collect(bg, strs)
		res <- result{len(got), err}
	}()
	ints, err := pipeline.Collect(bg, branches[0])
	require.NoError(t, err)
	assert.Equal(t, seq(1000), ints)
	r := <-res
	require.NoError(t, r.err)
	assert.Equal(t, 1000, r.n)
	goleak.VerifyNone(t)
}

func TestTeeBranchStopsEarlyOthersGoOn(t *testing.T) {
	branches := pipeline.Tee(pipeline.FromSeq(ints(2000)), 2, pipeline.WithChunkSize(10))
	res := make(chan int, 1)
	go func() {
		n := 0
		for range pipeline.All(bg, branches[1]) {
			n++
			if n == 50 {
				break
			}
		}
		res <- n
	}()
	got, err := pipeline.Collect(bg, branches[0])
	require.NoError(t, err)
	assert.Equal(t, seq(2000), got)
	assert.Equal(t, 50, <-res)
	goleak.VerifyNone(t)
}

func TestTeeUpstreamErrorReachesEveryBranch(t *testing.T) {
	src := pipeline.Map(pipeline.FromSeq(forever()), func(_ context.Context, v int) (int, error) {
		if v == 100 {
			return 0, errBoom
		}
		return v, nil
	})
	branches := pipeline.Tee(src, 2)
	errc := make(chan error, 1)
	go func() { _, err := pipeline.Collect(bg, branches[1]); errc <- err }()
	_, err := pipeline.Collect(bg, branches[0])
	require.ErrorIs(t, err, errBoom)
	require.ErrorIs(t, <-errc, errBoom)
	goleak.VerifyNone(t)
}

func TestTeeBranchAfterOthersStopped(t *testing.T) {
	branches := pipeline.Tee(pipeline.FromSeq(forever()), 2)
	ctx, cancel := context.WithCancel(bg)
	cancel()
	_, err := pipeline.Collect(ctx, branches[0])
	require.ErrorIs(t, err, context.Canceled)
	_, err = pipeline.Collect(bg, branches[1])
	require.ErrorIs(t, err, pipeline.ErrTeeStopped)
	goleak.VerifyNone(t)
}
