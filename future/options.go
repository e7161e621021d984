package future

import (
	"fmt"
	"runtime"
	"time"
)

// Option configures [Map]. Options are made by the With functions.
type Option interface{ apply(*config) }

type config struct {
	buffer  int
	timeout time.Duration
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

func defaultConfig() config { return config{buffer: runtime.GOMAXPROCS(0)} }

// WithBufferSize sets how many tasks [Map] keeps submitted ahead of the
// consumer (Python 3.14's buffersize). The default is GOMAXPROCS. A size
// below 1 panics.
func WithBufferSize(k int) Option {
	if k < 1 {
		panic(fmt.Sprintf("future: WithBufferSize(%d): size must be at least 1", k))
	}
	return optionFunc(func(c *config) { c.buffer = k })
}

// WithTimeout bounds a whole [Map] iteration, measured from the start of the
// range loop (Python's map timeout). A timeout of 0 or less means none.
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.timeout = d })
}
