package pipeline

import (
	"fmt"
	"time"

	"github.com/weftgo/weft/observe"
)

// An Option configures any source or stage: every source, [Map], [Filter],
// [FlatMap], [Batch], [Tumbling], [Sliding] and [Tee]'s branches. The
// Options are [WithBuffer], [WithChunkSize] and [WithName].
//
// Options are typed by what reads them, so that an option given where it
// would do nothing does not compile:
//
//   - Every source and stage reads an Option.
//   - A [StageOption] configures a callback stage ([Map], [Filter],
//     [FlatMap]). Every Option and every SinkOption is one; so are
//     [WithConcurrency], [WithOrdered], [WithReorderWindow],
//     [WithRateLimit] and [WithObserver], which only those stages read.
//   - A [SinkOption] ([WithErrorPolicy]) configures [ForEach].
//
// So pipeline.FromSlice(s, pipeline.WithConcurrency(4)) does not compile,
// and neither does any pipeline option given to a
// [github.com/weftgo/weft/pipeline/queue] constructor.
type Option interface {
	StageOption
	anyStage()
}

// A StageOption configures a callback stage: [Map], [Filter] or [FlatMap].
// See [Option] for which options are which.
type StageOption interface{ apply(*config) }

// A SinkOption configures [ForEach]. Every SinkOption is a [StageOption]:
// it configures the callback of Map, Filter and FlatMap the same way.
type SinkOption interface {
	StageOption
	sink()
}

// option is an Option.
type option func(*config)

func (f option) apply(c *config) { f(c) }
func (option) anyStage()         {}

// stageOption is a StageOption only.
type stageOption func(*config)

func (f stageOption) apply(c *config) { f(c) }

// sinkOption is a SinkOption.
type sinkOption func(*config)

func (f sinkOption) apply(c *config) { f(c) }
func (sinkOption) sink()             {}

// ErrorPolicy says what a stage, or [ForEach], does when its callback
// returns an error. Panics and runtime.Goexit ([ErrGoexit]) always stop
// the pipeline, whatever the policy.
type ErrorPolicy int

const (
	// StopOnError cancels the whole pipeline; the sink returns the error. The default.
	StopOnError ErrorPolicy = iota
	// SkipErrors drops the item that failed, counts the error in the
	// stage's [Stats.Errors] and goes on. ForEach, which has no Stats,
	// counts it nowhere.
	SkipErrors
	// CollectErrors does what SkipErrors does and keeps the error. Once
	// the input is exhausted, the sink returns the errors kept by every
	// stage and by ForEach's callback joined with errors.Join, in the
	// order the callbacks returned them, which for a stage with
	// concurrency 1 and for ForEach is the order their items arrived in.
	// When something stops the run first (an error of a stage with
	// StopOnError, a panic, the caller's context, a break out of the loop
	// over [All]), the kept errors are dropped: the sink returns what
	// stopped it, alone.
	CollectErrors
)

// String returns the name of the constant, such as "StopOnError".
func (p ErrorPolicy) String() string {
	switch p {
	case StopOnError:
		return "StopOnError"
	case SkipErrors:
		return "SkipErrors"
	case CollectErrors:
		return "CollectErrors"
	}
	return fmt.Sprintf("ErrorPolicy(%d)", int(p))
}

const (
	defaultChunk  = 128
	defaultBuffer = 4
)

type config struct {
	concurrency int
	ordered     bool
	window      int // reorder window in chunks; 0 = default
	buffer      int // output channel capacity in chunks
	chunk       int // max items per chunk
	policy      ErrorPolicy
	name        string
	rateN       int
	ratePer     time.Duration
	obs         observe.Observer
}

func newConfig[O StageOption](name string, opts []O) config {
	c := config{concurrency: 1, buffer: defaultBuffer, chunk: defaultChunk, name: name}
	for _, o := range opts {
		if StageOption(o) == nil {
			panic("pipeline: nil Option")
		}
		o.apply(&c)
	}
	if c.window == 0 {
		c.window = 2 * c.concurrency
	}
	if c.window < c.concurrency {
		c.window = c.concurrency
	}
	c.window = min(c.window, maxWindow)
	return c
}

// WithConcurrency runs a stage's callback on n goroutines (default 1), which
// share out every chunk the stage receives: n callbacks are in flight
// whenever n items are available (see the package doc). Read by [Map],
// [Filter] and [FlatMap]. It panics if n < 1.
func WithConcurrency(n int) StageOption {
	if n < 1 {
		panic(fmt.Sprintf("pipeline: concurrency %d must be at least 1", n))
	}
	return stageOption(func(c *config) { c.concurrency = n })
}

// WithOrdered makes a concurrent stage emit its results in the order its
// input arrived. A stage with concurrency 1 is always ordered. Read by
// [Map], [Filter] and [FlatMap].
func WithOrdered() StageOption {
	return stageOption(func(c *config) { c.ordered = true })
}

// WithReorderWindow sets how many input chunks an ordered stage may have
// started, counting from the oldest one not yet fully emitted (default and
// minimum: twice, and once, the concurrency). A slow item stalls an ordered
// stage only when the window is full. An input chunk holds up to the chunk
// size ([WithChunkSize]) of the stream the stage reads, so the window holds
// up to n times that many items. A window above 65,536 chunks (or a default
// one, from a larger concurrency) counts as 65,536.
// Read by [Map], [Filter] and [FlatMap]. It panics if n < 1.
func WithReorderWindow(n int) StageOption {
	if n < 1 {
		panic(fmt.Sprintf("pipeline: reorder window %d must be at least 1", n))
	}
	return stageOption(func(c *config) { c.window = n })
}

// WithBuffer sets how many chunks a stage's output may hold before the
// stage blocks (default 4); 0 makes every hand-over synchronous. Read by all
// sources and stages. It panics if n < 0.
func WithBuffer(n int) Option {
	if n < 0 {
		panic(fmt.Sprintf("pipeline: buffer %d must not be negative", n))
	}
	return option(func(c *config) { c.buffer = n })
}

// startCap is the most a buffer sized by a limit (a batch's size, a chunk
// size) holds when it is made: it grows as items come, so a limit far
// above what a run sees, such as math.MaxInt to batch by time only, costs
// nothing (made at full size, it could not even be allocated).
const startCap = 1024

// maxWindow is the largest reorder window, in chunks: a larger one would
// cost its slots up front and hold more items than any run needs.
const maxWindow = 1 << 16

// WithChunkSize sets the largest chunk of items a source or stage hands to
// the next stage in one channel operation (default 128). Chunks amortise
// the cost of channels. Nothing waits to fill a chunk, and a stage shares
// the chunks it receives among its workers, so the chunk size does not
// limit concurrency; the package doc says when a chunk adds latency. Read
// by all sources and stages. It panics if n < 1.
func WithChunkSize(n int) Option {
	if n < 1 {
		panic(fmt.Sprintf("pipeline: chunk size %d must be at least 1", n))
	}
	return option(func(c *config) { c.chunk = n })
}

// WithErrorPolicy sets what a stage does when its callback returns an error
// (default [StopOnError]). Read by [Map], [Filter], [FlatMap] and [ForEach].
func WithErrorPolicy(p ErrorPolicy) SinkOption {
	if p < StopOnError || p > CollectErrors {
		panic(fmt.Sprintf("pipeline: unknown error policy %d", p))
	}
	return sinkOption(func(c *config) { c.policy = p })
}

// WithName names a stage in its [Stats]. Read by all sources and stages.
func WithName(name string) Option {
	return option(func(c *config) { c.name = name })
}

// WithRateLimit lets items enter a stage at most n per period, evenly spaced:
// one every per/n (rounded up to the nanosecond), so never more than n in
// any span of per, and no bursts. An item enters when a worker takes it: an
// item that arrives after its time (the input was idle), or that waits for
// a busy worker, enters when it can, and the next one per/n after it. The
// one exception is a timer that fires late on a busy machine: if it is
// less than per/n (or 2ms, if more) late, the items whose times have passed
// enter at once, so that the rate holds.
// In an ordered stage, an item enters only once it has room in the reorder
// window ([WithReorderWindow]), so that its call starts as it enters. Read
// by [Map], [Filter] and [FlatMap]. It panics if n < 1 or per <= 0.
func WithRateLimit(n int, per time.Duration) StageOption {
	if n < 1 || per <= 0 {
		panic(fmt.Sprintf("pipeline: rate limit %d per %v must be positive", n, per))
	}
	return stageOption(func(c *config) { c.rateN, c.ratePer = n, per })
}
