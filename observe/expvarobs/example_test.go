package expvarobs_test

import (
	"context"
	"expvar"
	"fmt"

	"github.com/weftgo/weft/observe/expvarobs"
	"github.com/weftgo/weft/semaphore"
)

// A semaphore's events and its own figures, published under one name;
// /debug/vars would show the same JSON.
func Example() {
	var sem *semaphore.Weighted
	obs := expvarobs.Publish("example_connections", expvarobs.WithStats(func() any {
		return map[string]int64{"limit": sem.Limit(), "held": sem.Held()}
	}))
	sem = semaphore.New(2, semaphore.WithObserver(obs))

	ctx := context.Background()
	_ = sem.Acquire(ctx, 2)
	fmt.Println(sem.TryAcquire(1))
	sem.Release(1)
	fmt.Println(expvar.Get("example_connections"))
	// Output:
	// false
	// {"queued":0,"started":0,"finished":0,"failed":0,"panicked":0,"dropped":0,"rejected":1,"acquired":1,"released":1,"in_flight":0,"held":1,"wait":{"count":1,"p50_ns":0,"p90_ns":0,"p99_ns":0,"max_ns":0},"run":{"count":0,"p50_ns":0,"p90_ns":0,"p99_ns":0,"max_ns":0},"stats":{"held":1,"limit":2}}
}

// New makes an Observer to publish yourself, here in a map of
// components; Snapshot reads it in the program.
func ExampleNew() {
	components := expvar.NewMap("example_components")
	obs := expvarobs.New()
	components.Set("uploads", obs)

	sem := semaphore.New(4, semaphore.WithObserver(obs))
	_ = sem.Do(context.Background(), 3, func() error { return nil })
	s := obs.Snapshot()
	fmt.Println(s.Acquired, s.Released, s.Held, s.Wait.Count)
	// Output: 1 1 0 1
}
