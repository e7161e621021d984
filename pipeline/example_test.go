package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/weftgo/weft/observe"
	"github.com/weftgo/weft/pipeline"
	"github.com/weftgo/weft/pipeline/queue"
)

func ExampleMap() {
	src := pipeline.FromSlice([]string{"a", "b", "c", "d"})
	upper := pipeline.Map(src, func(_ context.Context, s string) (string, error) {
		return strings.ToUpper(s), nil
	}, pipeline.WithConcurrency(4), pipeline.WithOrdered())
	out, err := pipeline.Collect(context.Background(), upper)
	fmt.Println(out, err)
	// Output: [A B C D] <nil>
}

func ExampleFilter() {
	src := pipeline.FromSlice([]int{1, 2, 3, 4, 5, 6})
	even := pipeline.Filter(src, func(_ context.Context, v int) (bool, error) { return v%2 == 0, nil })
	out, _ := pipeline.Collect(context.Background(), even)
	fmt.Println(out)
	// Output: [2 4 6]
}

func ExampleFlatMap() {
	src := pipeline.FromSlice([]string{"a b", "c"})
	words := pipeline.FlatMap(src, func(_ context.Context, s string) ([]string, error) {
		return strings.Fields(s), nil
	})
	out, _ := pipeline.Collect(context.Background(), words)
	fmt.Println(out)
	// Output: [a b c]
}

func ExampleReduce() {
	src := pipeline.FromSeq(slices.Values([]int{1, 2, 3, 4}))
	squares := pipeline.Map(src, func(_ context.Context, v int) (int, error) { return v * v, nil },
		pipeline.WithConcurrency(2))
	sum, err := pipeline.Reduce(context.Background(), squares, 0, func(acc, v int) (int, error) { return acc + v, nil })
	fmt.Println(sum, err)
	// Output: 30 <nil>
}

func ExampleAll() {
	src := pipeline.FromSeq(func(yield func(int) bool) {
		for i := 1; ; i++ { // endless
			if !yield(i) {
				return
			}
		}
	})
	squares := pipeline.Map(src, func(_ context.Context, v int) (int, error) { return v * v, nil },
		pipeline.WithConcurrency(4), pipeline.WithOrdered())
	for v, err := range pipeline.All(context.Background(), squares) {
		if err != nil || v > 20 {
			break // stops every stage before the loop ends
		}
		fmt.Println(v)
	}
	// Output:
	// 1
	// 4
	// 9
	// 16
}

func ExampleCollect() {
	src := pipeline.FromSlice([]int{1, 2, 3, 4, 5})
	checked := pipeline.Map(src, func(_ context.Context, v int) (int, error) {
		if v == 4 {
			return 0, errors.New("four is not allowed")
		}
		return v, nil
	})
	_, err := pipeline.Collect(context.Background(), checked)
	fmt.Println(err)
	// Output: four is not allowed
}

func ExampleForEach() {
	ctx := context.Background()
	src := pipeline.FromSlice([]int{1, 2, 3})
	err := pipeline.ForEach(ctx, src, func(_ context.Context, v int) error {
		fmt.Println(v)
		return nil
	})
	fmt.Println(err)
	// Output:
	// 1
	// 2
	// 3
	// <nil>
}

func ExampleBatch() {
	src := pipeline.FromSlice([]int{1, 2, 3, 4, 5, 6, 7})
	batches := pipeline.Batch(src, 3, time.Second)
	out, _ := pipeline.Collect(context.Background(), batches)
	fmt.Println(out)
	// Output: [[1 2 3] [4 5 6] [7]]
}

func ExampleTumbling() {
	// The input ends at once, so the only window is emitted at the end.
	src := pipeline.FromSlice([]string{"x", "y"})
	windows := pipeline.Tumbling(src, time.Minute)
	out, _ := pipeline.Collect(context.Background(), windows)
	fmt.Println(out)
	// Output: [[x y]]
}

func ExampleTee() {
	branches := pipeline.Tee(pipeline.FromSlice([]int{1, 2, 3}), 2)
	tens := pipeline.Map(branches[1], func(_ context.Context, v int) (int, error) { return 10 * v, nil })
	out, _ := pipeline.Collect(context.Background(), pipeline.Merge(branches[0], tens))
	slices.Sort(out)
	fmt.Println(out)
	// Output: [1 2 3 10 20 30]
}

func ExampleWithErrorPolicy() {
	src := pipeline.FromSlice([]string{"1", "x", "3"})
	nums := pipeline.Map(src, func(_ context.Context, s string) (int, error) {
		var n int
		_, err := fmt.Sscan(s, &n)
		return n, err
	}, pipeline.WithErrorPolicy(pipeline.SkipErrors))
	out, err := pipeline.Collect(context.Background(), nums)
	fmt.Println(out, err, nums.Stats().Errors)
	// Output: [1 3] <nil> 1
}

func ExamplePanicError() {
	src := pipeline.FromSlice([]int{1, 2, 3})
	m := pipeline.Map(src, func(_ context.Context, v int) (int, error) {
		if v == 2 {
			panic("two")
		}
		return v, nil
	})
	_, err := pipeline.Collect(context.Background(), m)
	var pe *pipeline.PanicError
	if errors.As(err, &pe) {
		fmt.Println("recovered:", pe.Value)
	}
	// Output: recovered: two
}

func ExampleFromQueue() {
	ctx := context.Background()
	q := queue.New[string]()
	for _, s := range []string{"x", "y", "z"} {
		_ = q.Put(ctx, s)
	}
	q.Close() // the stream ends once the queue is drained
	out, err := pipeline.Collect(ctx, pipeline.FromQueue(q))
	fmt.Println(out, err)
	// Output: [x y z] <nil>
}

func ExampleFromChan() {
	ch := make(chan int)
	go func() {
		defer close(ch)
		for i := range 4 {
			ch <- i
		}
	}()
	sum, _ := pipeline.Reduce(context.Background(), pipeline.FromChan(ch), 0,
		func(acc, v int) (int, error) { return acc + v, nil })
	fmt.Println(sum)
	// Output: 6
}

func ExampleStream_Stats() {
	src := pipeline.FromSlice([]int{1, 2, 3, 4, 5, 6}, pipeline.WithName("numbers"))
	odd := pipeline.Filter(src, func(_ context.Context, v int) (bool, error) { return v%2 == 1, nil },
		pipeline.WithName("odd"))
	_, _ = pipeline.Collect(context.Background(), odd)
	fmt.Printf("%+v\n", src.Stats())
	fmt.Printf("%+v\n", odd.Stats())
	// Output:
	// {Name:numbers In:6 Out:6 InFlight:0 Buffered:0 Errors:0 Dropped:0}
	// {Name:odd In:6 Out:3 InFlight:0 Buffered:0 Errors:0 Dropped:0}
}

// An observer counts the calls of a stage's callback and their failures;
// [pipeline.WithErrorPolicy] skips the failed items.
func ExampleWithObserver() {
	var calls, failed atomic.Int64
	obs := observe.Func(func(e observe.Event) {
		if e.Kind == observe.Finished {
			calls.Add(1)
			if e.Err != nil {
				failed.Add(1)
			}
		}
	})
	src := pipeline.FromSlice([]string{"1", "2", "x", "4"})
	nums := pipeline.Map(src, func(_ context.Context, s string) (int, error) { return strconv.Atoi(s) },
		pipeline.WithObserver(obs), pipeline.WithConcurrency(2), pipeline.WithOrdered(),
		pipeline.WithErrorPolicy(pipeline.SkipErrors))
	out, err := pipeline.Collect(context.Background(), nums)
	fmt.Println(out, err)
	fmt.Printf("%d calls, %d failed\n", calls.Load(), failed.Load())
	// Output:
	// [1 2 4] <nil>
	// 4 calls, 1 failed
}
