package future_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

// Submit a function to an executor and wait for its result.
func ExampleSubmit() {
	ctx := context.Background()
	e := future.NewExecutor(4)
	defer e.Shutdown(ctx)

	f, err := future.Submit(ctx, e, func(context.Context) (string, error) {
		return strings.ToUpper("weft"), nil
	})
	if err != nil {
		panic(err)
	}
	v, err := f.Result(ctx)
	fmt.Println(v, err)
	// Output: WEFT <nil>
}

// Submit works on a plain pool too.
func ExampleSubmit_pool() {
	ctx := context.Background()
	p := pool.New(2)
	defer p.Shutdown(ctx)

	f, _ := future.Submit(ctx, p, func(context.Context) (int, error) { return 6 * 7, nil })
	fmt.Println(f.Result(ctx))
	// Output: 42 <nil>
}

// TrySubmit never waits for room: on a full executor it fails at once.
func ExampleTrySubmit() {
	ctx := context.Background()
	e := future.NewExecutor(1, pool.WithQueueSize(0)) // one worker, no queue
	defer e.Shutdown(ctx)

	release := make(chan struct{})
	busy, _ := future.Submit(ctx, e, func(context.Context) (int, error) { <-release; return 1, nil })
	_, err := future.TrySubmit(e, func(context.Context) (int, error) { return 2, nil })
	fmt.Println(errors.Is(err, pool.ErrQueueFull))
	close(release)
	fmt.Println(busy.Result(ctx))
	// Output:
	// true
	// 1 <nil>
}

func ExampleGo() {
	ctx := context.Background()
	f := future.Go(ctx, func(context.Context) (int, error) {
		return 0, errors.New("no answer")
	})
	_, err := f.Result(ctx)
	fmt.Println(err, f.State())
	// Output: no answer Finished
}

func ExampleWait() {
	ctx := context.Background()
	slow, fast := future.NewPromise[string](), future.NewPromise[string]()
	_ = fast.Resolve("fast")

	done, notDone, err := future.Wait(ctx, future.FirstCompleted, slow.Future(), fast.Future())
	fmt.Println(len(done), len(notDone), err)
	v, _ := done[0].Result(ctx)
	fmt.Println(v)
	// Output:
	// 1 1 <nil>
	// fast
}

func ExampleAsCompleted() {
	ctx := context.Background()
	ps := []future.Promise[int]{future.NewPromise[int](), future.NewPromise[int](), future.NewPromise[int]()}
	fs := []*future.Future[int]{ps[0].Future(), ps[1].Future(), ps[2].Future()}
	_ = ps[2].Resolve(2) // already done: yielded first

	i := 0
	order := []int{1, 0}
	for f := range future.AsCompleted(ctx, fs...) {
		v, _ := f.Result(ctx)
		fmt.Println("completed", v)
		if i < len(order) {
			_ = ps[order[i]].Resolve(order[i]) // complete the next one
			i++
		}
	}
	// Output:
	// completed 2
	// completed 1
	// completed 0
}

func ExampleFuture_Cancel() {
	ctx := context.Background()
	e := future.NewExecutor(1)
	defer e.Shutdown(ctx)

	started, release := make(chan struct{}), make(chan struct{})
	running, _ := future.Submit(ctx, e, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done() // cooperative cancellation
		close(release)
		return 0, ctx.Err()
	})
	<-started
	queued, _ := future.Submit(ctx, e, func(context.Context) (int, error) { return 1, nil })

	fmt.Println(queued.Cancel())  // never runs
	fmt.Println(running.Cancel()) // its context is canceled
	<-release
	_, err := queued.Result(ctx)
	fmt.Println(errors.Is(err, future.ErrCanceled), errors.Is(err, context.Canceled))
	_, err = running.Result(ctx)
	fmt.Println(err)
	// Output:
	// Canceled
	// Running
	// true true
	// context canceled
}

func ExampleNewPromise() {
	p := future.NewPromise[string]()
	_ = p.Future().OnDone(func(f *future.Future[string]) {
		v, _, _ := f.TryResult()
		fmt.Println("callback saw", v)
	})
	fmt.Println(p.Resolve("hello"))
	fmt.Println(p.Resolve("again"))
	// Output:
	// callback saw hello
	// <nil>
	// future: promise already completed
}

func ExampleAll() {
	ctx := context.Background()
	a := future.Go(ctx, func(context.Context) (int, error) { return 1, nil })
	b := future.Go(ctx, func(context.Context) (int, error) { return 2, nil })
	fmt.Println(future.All(ctx, a, b))
	// Output: [1 2] <nil>
}

func ExampleThen() {
	ctx := context.Background()
	p := future.NewPromise[int]()
	s := future.Then(p.Future(), func(_ context.Context, v int) (string, error) {
		return fmt.Sprint("#", v), nil
	})
	_ = p.Resolve(7)
	fmt.Println(s.Result(ctx))
	// Output: #7 <nil>
}

// Stop drops what has not started, cancels what runs and waits for it
// (Python's shutdown(cancel_futures=True)); it reports how many tasks it
// dropped.
func ExampleExecutor_Stop() {
	ctx := context.Background()
	e := future.NewExecutor(1)
	started := make(chan struct{})
	running, _ := future.Submit(ctx, e, func(ctx context.Context) (string, error) {
		close(started)
		<-ctx.Done() // Stop cancels the running task's context
		return "stopped", context.Cause(ctx)
	})
	<-started
	queued, _ := future.Submit(ctx, e, func(context.Context) (string, error) { return "ran too", nil })

	dropped := e.Stop() // cancels the queued future and the running task's context; waits for that task
	fmt.Println(dropped)
	fmt.Println(running.Result(ctx))
	fmt.Println(queued.State())
	// Output:
	// 1
	// stopped pool: stopped
	// Canceled
}

// Any is a hedged request: the first success wins and the others are
// canceled.
func ExampleAny() {
	ctx := context.Background()
	primary := future.Go(ctx, func(context.Context) (string, error) {
		return "", errors.New("primary down")
	})
	replica := future.Go(ctx, func(context.Context) (string, error) {
		return "from the replica", nil
	})
	fmt.Println(future.Any(ctx, primary, replica))
	// Output: from the replica <nil>
}

// Race takes the first outcome and cancels the futures that lost.
func ExampleRace() {
	ctx := context.Background()
	slow := future.Go(ctx, func(ctx context.Context) (string, error) {
		<-ctx.Done() // until Race cancels it
		return "", ctx.Err()
	})
	fast := future.Go(ctx, func(context.Context) (string, error) { return "fast", nil })
	fmt.Println(future.Race(ctx, slow, fast))
	_, err := slow.Result(ctx) // canceled before or while it ran
	fmt.Println(errors.Is(err, context.Canceled))
	// Output:
	// fast <nil>
	// true
}

// AllSettled waits for every future and cancels none.
func ExampleAllSettled() {
	ctx := context.Background()
	ok := future.Go(ctx, func(context.Context) (int, error) { return 1, nil })
	failed := future.Go(ctx, func(context.Context) (int, error) { return 0, errors.New("no") })
	outcomes, _ := future.AllSettled(ctx, ok, failed)
	for _, o := range outcomes {
		fmt.Println(o.Value, o.Err)
	}
	// Output:
	// 1 <nil>
	// 0 no
}

// Compose chains a future into one that starts more work.
func ExampleCompose() {
	ctx := context.Background()
	id := future.Go(ctx, func(context.Context) (int, error) { return 7, nil })
	name := future.Compose(id, func(ctx context.Context, id int) (*future.Future[string], error) {
		return future.Go(ctx, func(context.Context) (string, error) {
			return fmt.Sprint("user-", id), nil
		}), nil
	})
	fmt.Println(name.Result(ctx))
	// Output: user-7 <nil>
}

// A Promise adapts a callback API: the callback completes the future.
func ExamplePromise() {
	ctx := context.Background()
	lookup := func(key string, done func(string, error)) {
		go done(strings.ToUpper(key), nil)
	}
	p := future.NewPromise[string]()
	lookup("weft", func(v string, err error) { _ = p.Complete(v, err) })
	fmt.Println(p.Future().Result(ctx))
	// Output: WEFT <nil>
}

// An Executor runs at most its limit of tasks at once and hands out a
// future for each.
func ExampleExecutor() {
	ctx := context.Background()
	e := future.NewExecutor(2)
	defer e.Shutdown(ctx)

	var fs []*future.Future[int]
	for i := range 4 {
		f, err := future.Submit(ctx, e, func(context.Context) (int, error) { return i * i, nil })
		if err != nil {
			panic(err)
		}
		fs = append(fs, f)
	}
	fmt.Println(future.All(ctx, fs...))
	// Output: [0 1 4 9] <nil>
}
