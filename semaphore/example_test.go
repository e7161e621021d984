package semaphore_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/weftgo/weft/observe"
	"github.com/weftgo/weft/semaphore"
)

// Bound the number of goroutines working at once.
func ExampleWeighted() {
	ctx := context.Background()
	sem := semaphore.New(2)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		squares []int
	)
	for i := range 5 {
		if err := sem.Acquire(ctx, 1); err != nil {
			break
		}
		wg.Go(func() {
			defer sem.Release(1)
			mu.Lock()
			squares = append(squares, i*i)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(squares)
	fmt.Println(squares)
	// Output: [0 1 4 9 16]
}

// Weigh requests: a budget of 100 MB shared by jobs of different sizes.
func ExampleWeighted_Acquire() {
	const mb = 1 << 20
	mem := semaphore.New(100 * mb)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()

	_ = mem.Acquire(ctx, 60*mb)
	fmt.Println("held MB:", mem.Held()/mb)
	err := mem.Acquire(ctx, 50*mb) // does not fit until the 60 are back
	fmt.Println(err)
	mem.Release(60 * mb)
	err = mem.Acquire(ctx, 1*mb) // the context is done: fails though 100 MB are free
	fmt.Println(err)
	err = mem.Acquire(context.Background(), 200*mb) // can never fit
	fmt.Println(errors.Is(err, semaphore.ErrExceedsLimit))
	// Output:
	// held MB: 60
	// context deadline exceeded
	// context deadline exceeded
	// true
}

func ExampleWeighted_TryAcquire() {
	sem := semaphore.New(1)
	fmt.Println(sem.TryAcquire(1))
	fmt.Println(sem.TryAcquire(1))
	sem.Release(1)
	fmt.Println(sem.TryAcquire(1))
	// Output:
	// true
	// false
	// true
}

// SetLimit at run time: shrinking revokes nothing.
func ExampleWeighted_SetLimit() {
	sem := semaphore.New(4)
	sem.TryAcquire(3)
	sem.SetLimit(2)
	fmt.Println("limit", sem.Limit(), "held", sem.Held(), "available", sem.Available())
	sem.Release(3)
	fmt.Println("limit", sem.Limit(), "held", sem.Held(), "available", sem.Available())
	// Output:
	// limit 2 held 3 available -1
	// limit 2 held 0 available 2
}

// Do releases the permits even when the function panics, and reports the
// panic as an error.
func ExampleWeighted_Do() {
	sem := semaphore.New(1)
	err := sem.Do(context.Background(), 1, func() error {
		panic("boom")
	})
	var pe *semaphore.PanicError
	fmt.Println(errors.As(err, &pe), pe.Value)
	fmt.Println("held:", sem.Held())
	// Output:
	// true boom
	// held: 0
}

// Close fails every waiter and every later Acquire.
func ExampleWeighted_Close() {
	sem := semaphore.New(1)
	sem.TryAcquire(1)
	done := make(chan error)
	go func() { done <- sem.Acquire(context.Background(), 1) }()
	sem.Close() // whether or not the Acquire is waiting yet

	fmt.Println(<-done)
	fmt.Println(sem.TryAcquire(1))
	sem.Release(1) // holders may still give back
	// Output:
	// semaphore: closed
	// false
}

// Limit requests per host; a host's semaphore exists only while in use.
func ExampleKeyed() {
	ctx := context.Background()
	perHost := semaphore.NewKeyed[string](2)
	for _, host := range []string{"a.example", "a.example", "b.example"} {
		_ = perHost.Acquire(ctx, host, 1)
	}
	fmt.Println(perHost.TryAcquire("a.example", 1), perHost.TryAcquire("b.example", 1))
	fmt.Println("hosts in use:", perHost.Len())
	perHost.Release("a.example", 2)
	perHost.Release("b.example", 2)
	fmt.Println("hosts in use:", perHost.Len())
	// Output:
	// false true
	// hosts in use: 2
	// hosts in use: 0
}

// Barging lets small requests use permits a large head of the queue is
// still waiting for.
func ExampleWithPolicy() {
	sem := semaphore.New(4, semaphore.WithPolicy(semaphore.Barging))
	sem.TryAcquire(3)
	got := make(chan error)
	go func() { got <- sem.Acquire(context.Background(), 4) }() // waits for all 4
	for sem.Waiting() == 0 {
		runtime.Gosched()
	}
	fmt.Println(sem.TryAcquire(1)) // would be false under FIFO
	sem.Release(4)
	fmt.Println(<-got)
	sem.Release(4)
	// Output:
	// true
	// <nil>
}

// Watch a semaphore: each acquisition with the time it waited, each
// refusal with its reason, each release. The observer runs without the
// semaphore's lock held, on the goroutine that acquired or released.
func ExampleWithObserver() {
	obs := observe.Func(func(e observe.Event) {
		switch e.Kind {
		case observe.Acquired:
			fmt.Printf("acquired %d after waiting %v\n", e.Weight, e.Wait)
		case observe.Rejected:
			fmt.Printf("refused %d: %v\n", e.Weight, e.Err)
		case observe.Released:
			fmt.Printf("released %d\n", e.Weight)
		}
	})
	sem := semaphore.New(3, semaphore.WithObserver(obs))
	_ = sem.Acquire(context.Background(), 2)
	sem.TryAcquire(2) // only 1 of 3 permits is free
	sem.Release(2)
	// Output:
	// acquired 2 after waiting 0s
	// refused 2: semaphore: no permits free
	// released 2
}
