package pipeline_test

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/weftgo/weft/pipeline"
)

// forever yields 0, 1, 2, ... until the consumer stops.
func forever() iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; ; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

// endless builds a multi-stage pipeline over an infinite input, with a
// counter of the callbacks that are running.
func endless(running *atomic.Int64) *pipeline.Stream[int] {
	src := pipeline.FromSeq(forever())
	m := pipeline.Map(src, func(ctx context.Context, x int) (int, error) {
		running.Add(1)
		defer running.Add(-1)
		return x, nil
	}, pipeline.WithConcurrency(3), pipeline.WithOrdered())
	return pipeline.Filter(m, func(context.Context, int) (bool, error) { return true, nil },
		pipeline.WithConcurrency(2))
}

// Every sink, stopped early, returns only after every stage goroutine ended.
func TestEarlyExitEverySink(t *testing.T) {
	stop := errors.New("enough")
	sinks := map[string]func(ctx context.Context, s *pipeline.Stream[int]) error{
		"ForEach error": func(ctx context.Context, s *pipeline.Stream[int]) error {
			return pipeline.ForEach(ctx, s, func(_ context.Context, v int) error {
				if v == 1000 {
					return stop
				}
				return nil
			})
		},
		"ForEach ctx": func(ctx context.Context, s *pipeline.Stream[int]) error {
			ctx, cancel := context.WithCancelCause(ctx)
			return pipeline.ForEach(ctx, s, func(_ context.Context, v int) error {
				if v == 1000 {
					cancel(stop)
				}
				return nil
			})
		},
		"Reduce error": func(ctx context.Context, s *pipeline.Stream[int]) error {
			_, err := pipeline.Reduce(ctx, s, 0, func(acc, v int) (int, error) {
				if v == 1000 {
					return acc, stop
				}
				return acc + v, nil
			})
			return err
		},
		"Collect ctx": func(ctx context.Context, s *pipeline.Stream[int]) error {
			ctx, cancel := context.WithCancelCause(ctx)
			src := pipeline.Map(s, func(_ context.Context, v int) (int, error) {
				if v == 1000 {
					cancel(stop)
				}
				return v, nil
			})
			_, err := pipeline.Collect(ctx, src)
			return err
		},
		"All break": func(ctx context.Context, s *pipeline.Stream[int]) error {
			for v, err := range pipeline.All(ctx, s) {
				if err != nil {
					return err
				}
				if v == 1000 {
					return stop
				}
			}
			return nil
		},
	}
	for name, sink := range sinks {
		t.Run(name, func(t *testing.T) {
			var running atomic.Int64
			err := sink(bg, endless(&running))
			require.ErrorIs(t, err, stop)
			assert.Zero(t, running.Load(), "a callback still running after the sink returned")
			goleak.VerifyNone(t)
		})
	}
}

func TestFirstErrorCancelsInFlightCallbacks(t *testing.T) {
	src := pipeline.FromSlice(seq(100), pipeline.WithChunkSize(1))
	started, sawCancel := make(chan struct{}), make(chan struct{})
	m := pipeline.Map(src, func(ctx context.Context, x int) (int, error) {
		if x == 5 {
			<-started // fail while item 0 is in flight
			return 0, errBoom
		}
		if x == 0 {
			close(started)
			<-ctx.Done() // blocks until the failure cancels everyone
			close(sawCancel)
		}
		return x, nil
	}, pipeline.WithConcurrency(2))
	_, err := pipeline.Collect(bg, m)
	require.ErrorIs(t, err, errBoom)
	<-sawCancel
}

// A callback still running when the pipeline stops sees, as its context's
// cause, why it stopped: ErrSinkStopped when the sink stopped without an
// error, the error that stopped it otherwise.
func TestCallbackContextCause(t *testing.T) {
	gaveUp := errors.New("the caller gave up")
	cases := []struct {
		name      string
		failAt2   bool // the callback fails on item 2, once item 1 is running
		sink      func(ctx context.Context, s *pipeline.Stream[int], started <-chan struct{}) error
		wantCause error
		wantErr   error
	}{
		{"All loop breaks", false, func(ctx context.Context, s *pipeline.Stream[int], started <-chan struct{}) error {
			for _, err := range pipeline.All(ctx, s) {
				if err != nil {
					return err
				}
				<-started
				break
			}
			return nil
		}, pipeline.ErrSinkStopped, nil},
		{"every Tee branch stops", false, func(ctx context.Context, s *pipeline.Stream[int], started <-chan struct{}) error {
			branches := pipeline.Tee(s, 2)
			errs := make(chan error, 2)
			for _, b := range branches {
				go func() {
					for _, err := range pipeline.All(ctx, b) {
						if err != nil {
							errs <- err
							return
						}
						<-started
						break
					}
					errs <- nil
				}()
			}
			return errors.Join(<-errs, <-errs)
		}, pipeline.ErrSinkStopped, nil},
		{"a stage fails", true, func(ctx context.Context, s *pipeline.Stream[int], _ <-chan struct{}) error {
			_, err := pipeline.Collect(ctx, s)
			return err
		}, errBoom, errBoom},
		{"the sink's context ends", false, func(ctx context.Context, s *pipeline.Stream[int], started <-chan struct{}) error {
			ctx, cancel := context.WithCancelCause(ctx)
			go func() { <-started; cancel(gaveUp) }()
			_, err := pipeline.Collect(ctx, s)
			return err
		}, gaveUp, gaveUp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			started := make(chan struct{})
			cause := make(chan error, 1)
			s := pipeline.Map(pipeline.FromSlice(seq(3), pipeline.WithChunkSize(1)),
				func(ctx context.Context, v int) (int, error) {
					switch {
					case v == 1:
						close(started)
						<-ctx.Done()
						cause <- context.Cause(ctx)
					case v == 2 && c.failAt2:
						<-started
						return 0, errBoom
					}
					return v, nil
				}, pipeline.WithConcurrency(2))
			err := c.sink(bg, s, started)
			if c.wantErr == nil {
				require.NoError(t, err, "a sink never returns ErrSinkStopped")
			} else {
				require.ErrorIs(t, err, c.wantErr)
			}
			require.ErrorIs(t, <-cause, c.wantCause)
		})
	}
}

func TestContextCancelReturnsCause(t *testing.T) {
	ch := make(chan int) // never sends
	ctx, cancel := context.WithCancelCause(bg)
	cause := errors.New("shutting down")
	errc := make(chan error, 1)
	go func() {
		errc <- pipeline.ForEach(ctx, pipeline.FromChan(ch), func(context.Context, int) error { return nil })
	}()
	cancel(cause)
	require.ErrorIs(t, <-errc, cause)
}

// A panic in every callback position comes back as a *PanicError from the
// sink, with the pipeline stopped.
func TestPanicInEveryCallback(t *testing.T) {
	boom := func() { panic("boom") }
	id := func(_ context.Context, v int) (int, error) { return v, nil }
	cases := map[string]func() error{
		"Map": func() error {
			_, err := pipeline.Collect(bg, pipeline.Map(pipeline.FromSeq(forever()), func(_ context.Context, v int) (int, error) {
				if v == 7 {
					boom()
				}
				return v, nil
			}, pipeline.WithConcurrency(2), pipeline.WithOrdered()))
			return err
		},
		"Filter": func() error {
			_, err := pipeline.Collect(bg, pipeline.Filter(pipeline.FromSeq(forever()), func(_ context.Context, v int) (bool, error) {
				if v == 7 {
					boom()
				}
				return true, nil
			}, pipeline.WithConcurrency(2)))
			return err
		},
		"FlatMap": func() error {
			_, err := pipeline.Collect(bg, pipeline.FlatMap(pipeline.FromSeq(forever()), func(_ context.Context, v int) ([]int, error) {
				if v == 7 {
					boom()
				}
				return []int{v}, nil
			}))
			return err
		},
		"FromSeq": func() error {
			_, err := pipeline.Collect(bg, pipeline.Map(pipeline.FromSeq(func(yield func(int) bool) {
				yield(1)
				boom()
			}), id))
			return err
		},
		"ForEach": func() error {
			return pipeline.ForEach(bg, pipeline.FromSeq(forever()), func(_ context.Context, v int) error {
				if v == 7 {
					boom()
				}
				return nil
			})
		},
		"Reduce": func() error {
			_, err := pipeline.Reduce(bg, pipeline.FromSeq(forever()), 0, func(acc, v int) (int, error) {
				if v == 7 {
					boom()
				}
				return acc, nil
			})
			return err
		},
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			err := run()
			var pe *pipeline.PanicError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "boom", pe.Value)
			assert.Contains(t, string(pe.Stack), "lifecycle_test.go", "the stack shows the panicking callback")
			goleak.VerifyNone(t)
		})
	}
}

func TestPanicInAllLoopBodyStopsPipeline(t *testing.T) {
	assert.PanicsWithValue(t, "body", func() {
		for v := range pipeline.All(bg, pipeline.Map(pipeline.FromSeq(forever()), double, pipeline.WithConcurrency(2))) {
			if v == 10 {
				panic("body")
			}
		}
	})
	goleak.VerifyNone(t)
}

func TestGoexitInCallback(t *testing.T) {
	_, err := pipeline.Collect(bg, pipeline.Map(pipeline.FromSlice(seq(10)), func(_ context.Context, v int) (int, error) {
		if v == 3 {
			runtime.Goexit()
		}
		return v, nil
	}))
	require.ErrorIs(t, err, pipeline.ErrGoexit)
	goleak.VerifyNone(t)
}

func TestPanicWithErrorUnwraps(t *testing.T) {
	_, err := pipeline.Collect(bg, pipeline.Map(pipeline.FromSlice(seq(3)), func(context.Context, int) (int, error) {
		panic(errBoom)
	}))
	require.ErrorIs(t, err, errBoom)
}

func TestGoexitInSinkCallbackStopsPipeline(t *testing.T) {
	var running atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = pipeline.ForEach(bg, endless(&running), func(context.Context, int) error {
			runtime.Goexit()
			return nil
		})
	}()
	<-done
	assert.Zero(t, running.Load())
	goleak.VerifyNone(t)
}
