package pool_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/observe"
	"github.com/weftgo/weft/pool"
)

func ExamplePool() {
	p := pool.New(4)
	var sum atomic.Int64
	for i := 1; i <= 100; i++ {
		_ = p.Go(func() { sum.Add(int64(i)) })
	}
	if err := p.Shutdown(context.Background()); err != nil {
		fmt.Println("tasks failed:", err)
	}
	fmt.Println(sum.Load())
	// Output: 5050
}

func ExamplePool_Wait_panic() {
	p := pool.New(2)
	_ = p.Go(func() { panic("something broke") })
	err := p.Wait()

	var pe *pool.PanicError
	if errors.As(err, &pe) {
		fmt.Println("recovered:", pe.Value)
	}
	_ = p.Shutdown(context.Background())
	// Output: recovered: something broke
}

func ExamplePool_TrySubmit() {
	p := pool.New(1, pool.WithQueueSize(0)) // hand-off: no queue at all
	release := make(chan struct{})
	_ = p.TrySubmit(func(context.Context) error { <-release; return nil })

	err := p.TrySubmit(func(context.Context) error { return nil })
	fmt.Println(errors.Is(err, pool.ErrQueueFull))
	close(release)
	_ = p.Shutdown(context.Background())
	// Output: true
}

// Close does not wait: the tasks already accepted run, and the workers
// exit once they are done.
func ExamplePool_Close() {
	p := pool.New(1)
	release := make(chan struct{})
	_ = p.Go(func() { <-release; fmt.Println("accepted before Close: ran") })
	p.Close() // returns while the task is still blocked
	fmt.Println(p.Go(func() {}))
	close(release)
	_ = p.Wait()
	// Output:
	// pool: closed
	// accepted before Close: ran
}

// The context given to Submit reaches the task: its values, its deadline
// and its cancellation.
func ExamplePool_Submit() {
	type userKey struct{}
	p := pool.New(2)
	defer p.Shutdown(context.Background())
	ctx := context.WithValue(context.Background(), userKey{}, "ada")
	ctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	_ = p.Submit(ctx, func(ctx context.Context) error {
		defer close(done)
		<-ctx.Done() // the submit's deadline ends the task
		fmt.Println(ctx.Value(userKey{}), ctx.Err())
		return nil
	})
	<-done
	// Output: ada context deadline exceeded
}

func ExamplePool_Stop() {
	p := pool.New(1)
	started := make(chan struct{})
	_ = p.Submit(context.Background(), func(ctx context.Context) error {
		close(started)
		<-ctx.Done() // Stop cancels running tasks
		return nil
	})
	<-started
	for range 3 {
		_ = p.Go(func() {})
	}
	fmt.Println("dropped:", p.Stop())
	fmt.Println(p.Go(func() {}))
	// Output:
	// dropped: 3
	// pool: closed
}

func ExamplePool_Group() {
	p := pool.New(8)
	defer p.Shutdown(context.Background())

	g, ctx := p.Group(context.Background(), pool.WithFailFast())
	for _, name := range []string{"alpha", "beta", "gamma"} {
		_ = g.Go(func(context.Context) error {
			if name == "beta" {
				return fmt.Errorf("%s: not found", name)
			}
			return nil
		})
	}
	fmt.Println(g.Wait())
	fmt.Println(context.Cause(ctx))
	// Output:
	// beta: not found
	// beta: not found
}

func ExampleMap() {
	p := pool.New(4)
	defer p.Shutdown(context.Background())

	words := []string{"weft", "warp", "loom"}
	upper, err := pool.Map(context.Background(), p, words, func(_ context.Context, w string) (string, error) {
		return strings.ToUpper(w), nil
	})
	fmt.Println(upper, err)
	// Output: [WEFT WARP LOOM] <nil>
}

func ExampleMapSeq() {
	p := pool.New(4)
	defer p.Shutdown(context.Background())

	squares := pool.MapSeq(context.Background(), p, slices.Values([]int{1, 2, 3, 4, 5}),
		func(_ context.Context, n int) (int, error) { return n * n, nil })
	for sq, err := range squares {
		if err != nil {
			fmt.Println(err)
			break
		}
		if sq > 10 {
			break // the calls still in flight are canceled and waited for
		}
		fmt.Println(sq)
	}
	// Output:
	// 1
	// 4
	// 9
}

func ExamplePool_Stats() {
	p := pool.New(2)
	for i := range 10 {
		_ = p.Submit(context.Background(), func(context.Context) error {
			if i%5 == 0 {
				return errors.New("bad input")
			}
			return nil
		})
	}
	_ = p.Wait()
	st := p.Stats()
	fmt.Printf("submitted=%d completed=%d failed=%d\n", st.Submitted, st.Completed, st.Failed)
	_ = p.Shutdown(context.Background())
	// Output: submitted=10 completed=8 failed=2
}

// A task submits work to its own group and waits for the result on a
// channel. On a pool of one every worker is busy — with the waiting task —
// yet this never deadlocks: the task passes its own context, so the subtask
// runs in its slot.
func ExampleGroup_Submit() {
	p := pool.New(1, pool.WithQueueSize(0))
	defer p.Shutdown(context.Background())

	g, _ := p.Group(context.Background())
	_ = g.Go(func(ctx context.Context) error {
		answer := make(chan int, 1)
		if err := g.Submit(ctx, func(context.Context) error { answer <- 42; return nil }); err != nil {
			return err
		}
		fmt.Println(<-answer)
		return nil
	})
	fmt.Println(g.Wait())
	// Output:
	// 42
	// <nil>
}

// A panic in a task comes back as a *PanicError where the caller waits. Its
// Error is one line naming the function that panicked; %+v adds the stack.
func ExamplePanicError() {
	p := pool.New(1)
	defer p.Stop()
	_, err := pool.Map(context.Background(), p, []int{0}, func(_ context.Context, d int) (int, error) {
		return 10 / d, nil
	})
	var pe *pool.PanicError
	if errors.As(err, &pe) {
		fn, _ := pe.Frame()
		fmt.Println(pe.Value)
		fmt.Println(strings.HasSuffix(fn, "ExamplePanicError.func1"))
		fmt.Println(strings.Count(pe.Error(), "\n"), strings.Count(fmt.Sprintf("%+v", pe), "\n") > 5)
	}
	// Output:
	// runtime error: integer divide by zero
	// true
	// 0 true
}

// Among queued tasks the highest priority starts first; tasks of one
// priority start in the order they were queued.
func ExamplePriority() {
	p := pool.New(1)
	release := make(chan struct{})
	_ = p.Go(func() { <-release }) // keep the only worker busy
	for _, job := range []struct {
		name string
		prio int
	}{{"backfill", -1}, {"report A", 0}, {"page on-call", 10}, {"report B", 0}} {
		_ = p.Go(func() { fmt.Println(job.name) }, pool.Priority(job.prio))
	}
	close(release)
	_ = p.Shutdown(context.Background())
	// Output:
	// page on-call
	// report A
	// report B
	// backfill
}

// A task that waits in the queue too long is dropped: its future settles
// with ErrQueueTimeout when the deadline passes, even while every worker is
// still busy.
func ExampleQueueTimeout() {
	ctx := context.Background()
	p := pool.New(1)
	release := make(chan struct{})
	_ = p.Go(func() { <-release })

	f, _ := future.Submit(ctx, p, func(context.Context) (string, error) {
		return "fresh", nil
	}, pool.QueueTimeout(10*time.Millisecond))
	_, err := f.Result(ctx) // returns while the worker is still busy
	fmt.Println(errors.Is(err, pool.ErrQueueTimeout))

	close(release)
	_ = p.Shutdown(ctx)
	fmt.Println("expired:", p.Stats().Expired)
	// Output:
	// true
	// expired: 1
}

// RunTimeout gives the task's context a deadline counted from the moment
// the task starts.
func ExampleRunTimeout() {
	p := pool.New(1)
	_ = p.Submit(context.Background(), func(ctx context.Context) error {
		<-ctx.Done() // a slow call that honours its context
		return context.Cause(ctx)
	}, pool.RunTimeout(10*time.Millisecond))
	err := p.Wait()
	fmt.Println(errors.Is(err, pool.ErrRunTimeout), errors.Is(err, context.DeadlineExceeded))
	_ = p.Shutdown(context.Background())
	// Output: true true
}

// An observer sees every task's life; here it counts events by kind and
// the tasks that failed.
func ExampleWithObserver() {
	var mu sync.Mutex
	counts := map[observe.Kind]int{}
	var failed int
	obs := observe.Func(func(e observe.Event) {
		mu.Lock()
		defer mu.Unlock()
		counts[e.Kind]++
		if e.Kind == observe.Finished && e.Err != nil {
			failed++
		}
	})

	p := pool.New(2, pool.WithObserver(obs))
	for i := range 5 {
		_ = p.Submit(context.Background(), func(context.Context) error {
			if i == 3 {
				return errors.New("bad input")
			}
			return nil
		})
	}
	_ = p.Wait()
	p.Close()
	_ = p.Go(func() {}) // rejected: the pool is closed
	_ = p.Shutdown(context.Background())

	mu.Lock()
	defer mu.Unlock()
	for _, k := range []observe.Kind{observe.Queued, observe.Started, observe.Finished, observe.Rejected} {
		fmt.Println(k, counts[k])
	}
	fmt.Println("failed", failed)
	// Output:
	// Queued 5
	// Started 5
	// Finished 5
	// Rejected 1
	// failed 1
}
