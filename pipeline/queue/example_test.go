package queue_test

import (
	"context"
	"fmt"

	"github.com/weftgo/weft/pipeline/queue"
)

func ExampleQueue() {
	ctx := context.Background()
	q := queue.New[string](queue.WithCapacity(10))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for job := range q.All(ctx) { // until closed and drained
			fmt.Println("got", job)
		}
	}()
	for _, job := range []string{"a", "b", "c"} {
		_ = q.Put(ctx, job)
	}
	q.Close()
	<-done
	fmt.Println(q.Put(ctx, "d"))
	// Output:
	// got a
	// got b
	// got c
	// queue: closed
}

func ExampleQueue_Join() {
	ctx := context.Background()
	q := queue.New[int]()
	for i := range 3 {
		_ = q.Put(ctx, i)
	}
	go func() {
		for {
			v, err := q.Get(ctx)
			if err != nil {
				return
			}
			fmt.Println("processed", v)
			_ = q.TaskDone()
		}
	}()
	_ = q.Join(ctx) // every item put has been marked done
	q.Close()
	fmt.Println("all done; extra TaskDone:", q.TaskDone())
	// Output:
	// processed 0
	// processed 1
	// processed 2
	// all done; extra TaskDone: queue: TaskDone called more times than items were put
}

func ExampleQueue_Shutdown() {
	ctx := context.Background()
	q := queue.New[int]()
	for i := range 3 {
		_ = q.Put(ctx, i)
	}
	go func() {
		for v := range q.All(ctx) { // drains the queue after Shutdown closes it
			fmt.Println("processed", v)
			_ = q.TaskDone()
		}
	}()
	err := q.Shutdown(ctx) // no more items; wait until every one is done
	fmt.Println("shut down:", err, "; put:", q.Put(ctx, 3))
	// Output:
	// processed 0
	// processed 1
	// processed 2
	// shut down: <nil> ; put: queue: closed
}

func ExampleQueue_Stop() {
	ctx := context.Background()
	q := queue.New[int]()
	for i := range 5 {
		_ = q.Put(ctx, i)
	}
	v, _ := q.Get(ctx)
	fmt.Println("got", v, "dropped", q.Stop())
	_, err := q.Get(ctx)
	fmt.Println(err)
	_ = q.TaskDone()         // the one item got before the Stop
	fmt.Println(q.Join(ctx)) // dropped items count as done
	// Output:
	// got 0 dropped 4
	// queue: closed
	// <nil>
}

func ExampleNewPriority() {
	type task struct {
		prio int
		name string
	}
	q := queue.NewPriority(func(a, b task) bool { return a.prio < b.prio })
	q.TryPut(task{3, "low"})
	q.TryPut(task{1, "urgent"})
	q.TryPut(task{2, "normal"})
	for range 3 {
		t, _ := q.TryGet()
		fmt.Println(t.name)
	}
	// Output:
	// urgent
	// normal
	// low
}

func ExampleNewLIFO() {
	q := queue.NewLIFO[string]()
	for _, s := range []string{"first", "second", "third"} {
		q.TryPut(s)
	}
	buf := make([]string, 3)
	n := q.TryGetBatch(buf)
	fmt.Println(buf[:n])
	// Output: [third second first]
}
