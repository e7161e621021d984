package queue

import "fmt"

// An Option configures a queue made by [New], [NewLIFO] or [NewPriority].
// Options of other packages (a pipeline stage's, for instance) are not
// Options here and do not compile.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	capacity int // 0: unbounded
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o == nil {
			panic("queue: nil Option")
		}
		o.apply(&c)
	}
	return c
}

// WithCapacity bounds a queue to n items: [Queue.Put] blocks, and
// [Queue.TryPut] fails, while the queue is full. Without it a queue is
// unbounded. It panics if n < 1.
func WithCapacity(n int) Option {
	if n < 1 {
		panic(fmt.Sprintf("queue: capacity %d must be at least 1", n))
	}
	return optionFunc(func(c *config) { c.capacity = n })
}
