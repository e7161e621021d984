package pipeline_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline"
)

// Errors collected upstream of a Tee are returned by the sink of every
// branch that reads the whole input, with the branch's own, in the order
// they were returned (found by FuzzPipelineFan: they were lost).
func TestTeeReturnsErrorsCollectedUpstream(t *testing.T) {
	m := oddsCollected()
	branches := pipeline.Tee(m, 2)
	errc := make(chan error, 1)
	go func() {
		errc <- pipeline.ForEach(bg, branches[1], func(_ context.Context, v int) error {
			if v == 4 {
				return errBoom
			}
			return nil
		}, pipeline.WithErrorPolicy(pipeline.CollectErrors))
	}()
	got, err := pipeline.Collect(bg, branches[0])
	assert.Equal(t, []int{0, 2, 4, 6, 8}, got)
	var joined interface{ Unwrap() []error }
	require.ErrorAs(t, err, &joined)
	assert.Equal(t, []error{errOdd, errOdd, errOdd, errOdd, errOdd}, joined.Unwrap())

	err = <-errc
	require.ErrorAs(t, err, &joined)
	all := joined.Unwrap()
	assert.Len(t, all, 6)
	assert.ErrorIs(t, err, errBoom)
	assert.ErrorIs(t, err, errOdd)
}

// A branch that starts once every branch started before it has stopped gets
// ErrTeeStopped, even if another branch has not started yet: the part
// upstream of the Tee stopped with the branches started so far (found by
// FuzzPipelineFan, where the doc promised the later branches would run).
func TestTeeBranchesAfterStartedOnesStopped(t *testing.T) {
	branches := pipeline.Tee(pipeline.FromSeq(forever()), 3)
	ctx, cancel := context.WithCancel(bg)
	cancel()
	_, err := pipeline.Collect(ctx, branches[0])
	require.ErrorIs(t, err, context.Canceled)
	errc := make(chan error, 1)
	go func() { _, err := pipeline.Collect(bg, branches[2]); errc <- err }()
	_, err = pipeline.Collect(bg, branches[1])
	require.ErrorIs(t, err, pipeline.ErrTeeStopped)
	require.ErrorIs(t, <-errc, pipeline.ErrTeeStopped)
}

// A Tee hands its branches chunks of at most its own WithChunkSize, however
// large its input's: a branch ahead of a stuck one gets at most one of the
// Tee's input chunks and what fits in the stuck branch's buffer and sink in
// the Tee's chunks more (found by FuzzPipelineFan: whole input chunks were
// handed on, so it got two input chunks ahead).
func TestTeeRechunksForItsBranches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		branches := pipeline.Tee(pipeline.FromSlice(seq(100), pipeline.WithChunkSize(8)), 2,
			pipeline.WithChunkSize(1), pipeline.WithBuffer(0))
		release := make(chan struct{})
		stuck := make(chan error, 1)
		go func() {
			stuck <- pipeline.ForEach(bg, branches[1], func(context.Context, int) error {
				<-release
				return nil
			})
		}()
		var got atomic.Int64
		ahead := make(chan error, 1)
		go func() {
			ahead <- pipeline.ForEach(bg, branches[0], func(context.Context, int) error {
				got.Add(1)
				return nil
			})
		}()
		synctest.Wait()
		assert.LessOrEqual(t, got.Load(), int64(8+1))
		close(release)
		require.NoError(t, <-ahead)
		require.NoError(t, <-stuck)
		assert.Equal(t, int64(100), got.Load())
	})
}

// When one sink reads every branch of a Tee (after a Merge), it returns
// each error collected upstream once, not once per branch.
func TestTeeThenMergeReturnsUpstreamErrorsOnce(t *testing.T) {
	m := oddsCollected()
	got, err := pipeline.Collect(bg, pipeline.Merge(pipeline.Tee(m, 3)...))
	assert.Len(t, got, 15)
	var joined interface{ Unwrap() []error }
	require.ErrorAs(t, err, &joined)
	assert.Len(t, joined.Unwrap(), 5)
}

// Errors collected upstream of two Tees, one on a branch of the other,
// reach the sinks of the inner Tee's branches too.
func TestNestedTeeReturnsErrorsCollectedUpstream(t *testing.T) {
	m := oddsCollected()
	outer := pipeline.Tee(m, 2)
	inner := pipeline.Tee(outer[0], 2)
	sinks := []*pipeline.Stream[int]{outer[1], inner[0], inner[1]}
	errc := make(chan error, len(sinks))
	for _, s := range sinks {
		go func() { _, err := pipeline.Collect(bg, s); errc <- err }()
	}
	for range sinks {
		err := <-errc
		var joined interface{ Unwrap() []error }
		require.ErrorAs(t, err, &joined)
		assert.Len(t, joined.Unwrap(), 5)
	}
}

var errOdd = errors.New("odd")

// oddsCollected is a stage over 0..9 that fails the odd items with errOdd
// and collects those errors.
func oddsCollected() *pipeline.Stream[int] {
	return pipeline.Map(pipeline.FromSlice(seq(10)), func(_ context.Context, v int) (int, error) {
		if v%2 == 1 {
			return 0, errOdd
		}
		return v, nil
	}, pipeline.WithErrorPolicy(pipeline.CollectErrors))
}
