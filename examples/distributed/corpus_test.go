package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/weftgo/weft/pool"
)

// TestCounterReusesScratchPerWorkerAndStaysExact counts many shards of
// different sizes on a counter of two workers: its chunks make at most one
// scratch per pool worker, every one is released when the pool stops, and
// each shard's result is what counting each of its chunks on fresh scratch
// gives, so no chunk sees what an earlier one left in its worker's scratch.
func TestCounterReusesScratchPerWorkerAndStaysExact(t *testing.T) {
	const workers = 2
	var made, released atomic.Int64
	scratch := pool.NewWorkerState(func(ctx context.Context) (*chunkScratch, error) {
		made.Add(1)
		return newChunkScratch(ctx)
	}, func(*chunkScratch) { released.Add(1) })
	// A long idle timeout, so that a worker idle for a moment on a busy
	// machine does not exit and have its successor make another scratch.
	c := &counter{pool: pool.New(workers, pool.WithWorkerState(scratch), pool.WithIdleTimeout(time.Hour)), scratch: scratch}
	jobs := makeJobs("scratch", 11, 48, 0, 3)
	for i := range jobs {
		jobs[i].Words = 300 + 977*(i%5) // longer and shorter chunks in turn
	}

	got, err := pool.Map(t.Context(), c.pool, jobs, func(ctx context.Context, j Job) (Result, error) {
		return countWords(ctx, c, j)
	})
	require.NoError(t, err)
	require.NoError(t, c.pool.Shutdown(t.Context()))

	chunks := int64(len(jobs) * jobs[0].Chunks)
	assert.Positive(t, made.Load(), "chunks use the workers' scratch")
	assert.LessOrEqual(t, made.Load(), int64(workers), "scratch made for %d chunks", chunks)
	assert.Equal(t, made.Load(), released.Load(), "scratch released when the pool stopped")
	for i, j := range jobs {
		want := Totals{Counts: make([]int64, len(vocabulary))}
		for k := range j.Chunks {
			fresh, err := newChunkScratch(t.Context())
			require.NoError(t, err)
			r, err := countChunk(t.Context(), fresh, j.Seed, uint64(j.ID), uint64(k), chunkWords(j, k))
			require.NoError(t, err)
			want.add(r)
		}
		require.Equal(t, int64(j.Words), want.Words)
		require.Equal(t, want, Totals{Words: got[i].Words, Counts: got[i].Counts}, "shard %d", i)
	}
}
