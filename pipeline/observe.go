package pipeline

import (
	"context"
	"time"

	"github.com/weftgo/weft/internal/panics"
	"github.com/weftgo/weft/observe"
)

// WithObserver reports every call of a stage's callback to o, and the
// items the stage abandoned when the run stopped. Read by [Map], [Filter]
// and [FlatMap]; it panics if o is nil.
//
// A task is one call of the callback, on one item. For each, o receives
//
//   - [observe.Started] just before the call;
//   - [observe.Panicked], if the callback panicked, with Err its
//     [*PanicError] (the one the sink returns, unless another callback
//     failed or panicked first: the sink returns the first failure only);
//   - [observe.Finished] when the call ended, with Run the time it took and
//     Err its error: nil, the error the callback returned (also when
//     [WithErrorPolicy] skips or collects it), the *PanicError, or
//     [ErrGoexit] if it called runtime.Goexit.
//
// and, once the run has stopped (an error, a panic, the caller's context,
// the sink stopping), [observe.Dropped] for every item the stage had taken
// from its input and not started, with Err the run's cause (see
// [context.Cause]): the rest of the items a worker had claimed, and those
// published for other workers that no worker claimed (but not the rest of
// a claim whose callback called runtime.Goexit). Items still in the
// previous stage's output or in the rate limiter are not the stage's yet and
// are not reported; [Stats.Dropped] counts them with the rest. Items whose
// call finished but whose result was discarded are not reported as Dropped
// either: they had their Finished. Wait is always 0: a stage does not time
// how long an item waits for a worker.
//
// Events are reported on the worker goroutine that runs the callback,
// without any lock of the pipeline held. With no observer a stage reads no
// clock per item and pays one nil check per item.
func WithObserver(o observe.Observer) StageOption {
	if o == nil {
		panic("pipeline: nil Observer")
	}
	return stageOption(func(c *config) { c.obs = o })
}

// observed returns fn, or with an observer, fn wrapped to report its
// calls. A panic in the wrapped fn comes back as an observedPanic error.
func observed[A, R any](o observe.Observer, fn func(context.Context, A) (R, error)) func(context.Context, A) (R, error) {
	if o == nil {
		return fn
	}
	return func(ctx context.Context, v A) (R, error) {
		res, panicked, err := callObserved(o, fn, ctx, v)
		if panicked {
			return res, observedPanic{err.(*PanicError)}
		}
		return res, err
	}
}

// observedPanic carries a panic, already recovered and reported, from an
// observed callback to its stage, through the stage's error path: no error
// policy absorbs it ([run.absorb]), and the stage stops the run with the
// *PanicError inside ([workers.process]).
type observedPanic struct{ pe *PanicError }

func (p observedPanic) Error() string { return p.pe.Error() }

// callObserved calls fn(ctx, v) and reports it to o. A panic in fn is
// recovered here, so that its *PanicError can be reported, and returned
// with panicked set: the caller must stop the pipeline with it whatever
// the error policy.
func callObserved[A, R any](o observe.Observer, fn func(context.Context, A) (R, error), ctx context.Context, v A) (res R, panicked bool, err error) {
	o.Observe(observe.Event{Kind: observe.Started})
	start := time.Now()
	returned := false
	func() {
		var g panics.Guard[PanicError]
		defer g.Catch(&err, func() {
			o.Observe(observe.Event{Kind: observe.Finished, Run: time.Since(start), Err: ErrGoexit})
		})
		res, err = fn(ctx, v)
		returned = true
		g.Returned()
	}()
	run := time.Since(start)
	if !returned {
		o.Observe(observe.Event{Kind: observe.Panicked, Err: err})
	}
	o.Observe(observe.Event{Kind: observe.Finished, Run: run, Err: err})
	return res, !returned, err
}

// dropped reports n items abandoned by the stopped run.
func (w *workers[A, B]) dropped(n int) {
	if w.obs == nil || n <= 0 {
		return
	}
	<-w.r.done // the cause is there once done is closed
	e := observe.Event{Kind: observe.Dropped, Err: context.Cause(w.r.ctx)}
	for range n {
		w.obs.Observe(e)
	}
}

// dropOpen reports the published items that no worker claimed, once the
// run has stopped, and takes them out of the queue so that they are
// reported once. Every worker calls it as it exits: a chunk is published by
// a worker that has not exited yet.
func (w *workers[A, B]) dropOpen() {
	if w.obs == nil || w.r.ctx.Err() == nil {
		return
	}
	n := 0
	w.mu.Lock()
	for _, c := range w.open {
		n += len(c.items) - c.next
		c.next = len(c.items)
	}
	clear(w.open)
	w.open = w.open[:0]
	w.queued.Add(-int64(n))
	w.mu.Unlock()
	w.dropped(n)
}
