package pool

import (
	"fmt"
	"time"

	"github.com/weftgo/weft/observe"
)

// An Option configures a [Pool] made by [New].
type Option interface{ apply(*config) }

type config struct {
	queueSize   int // < 0: unbounded
	idleTimeout time.Duration
	onError     func(error)
	obs         observe.Observer
}

// DefaultIdleTimeout is how long a worker with nothing to do waits for a task
// before its goroutine exits, unless [WithIdleTimeout] says otherwise.
const DefaultIdleTimeout = 2 * time.Second

func defaultConfig() config {
	return config{queueSize: -1, idleTimeout: DefaultIdleTimeout}
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithQueueSize bounds the number of tasks waiting for a worker. When the
// queue is full, [Pool.Submit] and [Pool.Go] block and [Pool.TrySubmit]
// fails with [ErrQueueFull]. Size 0 is hand-off mode: a task is accepted only
// when a worker can start it at once. Without this option the queue is
// unbounded. A negative size panics.
func WithQueueSize(n int) Option {
	if n < 0 {
		panic(fmt.Sprintf("pool: WithQueueSize(%d): size must not be negative", n))
	}
	return optionFunc(func(c *config) { c.queueSize = n })
}

// WithIdleTimeout sets how long an idle worker goroutine lingers before it
// exits. An idle pool holds no goroutines once the timeout has passed. A
// timeout that is not positive panics.
func WithIdleTimeout(d time.Duration) Option {
	if d <= 0 {
		panic(fmt.Sprintf("pool: WithIdleTimeout(%v): timeout must be positive", d))
	}
	return optionFunc(func(c *config) { c.idleTimeout = d })
}

// WithErrorHandler sends the error of every failed fire-and-forget task
// (submitted with [Pool.Go], [Pool.Submit] or [Pool.TrySubmit]), including
// [*PanicError] and [ErrGoexit], to fn instead of keeping it for
// [Pool.Wait]. fn runs on the goroutine that ran the task, after the task; it
// must be safe for concurrent use. A panic in fn is itself kept for
// [Pool.Wait]. Use it for long-lived pools that are never waited on, whose
// kept errors would otherwise grow without bound.
func WithErrorHandler(fn func(error)) Option {
	if fn == nil {
		panic("pool: WithErrorHandler(nil)")
	}
	return optionFunc(func(c *config) { c.onError = fn })
}
