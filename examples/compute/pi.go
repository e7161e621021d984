package main

import (
	"context"
	"math/rand/v2"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

// piEstimate is the count of samples inside the unit quarter circle. Each
// chunk draws from its own seeded generator, so the total does not depend on
// which worker ran which chunk: parallel and sequential runs agree exactly.
type piEstimate struct {
	inside, total int
}

func (e piEstimate) value() float64 { return 4 * float64(e.inside) / float64(e.total) }

func chunkSize(samples, chunks, i int) int {
	n := samples / chunks
	if i < samples%chunks {
		n++
	}
	return n
}

func piChunk(seed uint64, n int) int {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	inside := 0
	for range n {
		x, y := r.Float64(), r.Float64()
		if x*x+y*y <= 1 {
			inside++
		}
	}
	return inside
}

func piSequential(samples, chunks int) piEstimate {
	e := piEstimate{total: samples}
	for i := range chunks {
		e.inside += piChunk(uint64(i), chunkSize(samples, chunks, i))
	}
	return e
}

// piParallel submits one future per chunk to a pool of the given size and
// gathers them with future.All.
func piParallel(ctx context.Context, workers, samples, chunks int) (piEstimate, error) {
	p := pool.New(workers)
	defer p.Shutdown(context.Background())

	fs := make([]*future.Future[int], chunks)
	for i := range chunks {
		f, err := future.Submit(ctx, p, func(context.Context) (int, error) {
			return piChunk(uint64(i), chunkSize(samples, chunks, i)), nil
		})
		if err != nil {
			return piEstimate{}, err
		}
		fs[i] = f
	}
	counts, err := future.All(ctx, fs...)
	if err != nil {
		return piEstimate{}, err
	}
	e := piEstimate{total: samples}
	for _, c := range counts {
		e.inside += c
	}
	return e, nil
}
