package pipeline

import (
	"context"
	"errors"
	"sync"

	"github.com/weftgo/weft/internal/panics"
	"github.com/weftgo/weft/internal/shake"
)

// checkCtx panics on a nil context, before the caller takes any lock.
func checkCtx(ctx context.Context) {
	if ctx == nil {
		panic("pipeline: nil Context")
	}
}

// run is one execution of a pipeline, owned by the sink that started it.
// Every stage goroutine is counted in wg; the sink cancels ctx and waits for
// wg before it returns, so no goroutine outlives the sink.
type run struct {
	parent context.Context
	ctx    context.Context
	done   <-chan struct{}
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup

	stats []*stageStats // of every stage of the run, settled by finish

	mu    sync.Mutex
	err   error   // first error that stopped the pipeline
	errs  []error // errors kept by the Collect policy
	after []func()
	// also are the runs that return r's kept errors too: those of the
	// branches of a Tee, for r running the part upstream of it. Their mu
	// is taken under r's, from upstream down.
	also []*run
}

func newRun(ctx context.Context) *run {
	c, cancel := context.WithCancelCause(ctx)
	return &run{parent: ctx, ctx: c, done: c.Done(), cancel: cancel}
}

// stop cancels the run with cause.
func (r *run) stop(cause error) {
	shake.Point(shake.StageCancel)
	r.cancel(cause)
}

// fail records err if it is the first and cancels the pipeline with the
// first error: a worker whose error came second may cancel before the
// first one's does, and the cause must be the error the sink returns.
func (r *run) fail(err error) {
	r.mu.Lock()
	if r.err == nil && r.ctx.Err() == nil {
		r.err = err
	}
	if r.err != nil {
		err = r.err
	}
	r.mu.Unlock()
	r.stop(err)
}

// absorb applies policy to a callback error and reports whether the stage
// goes on (Skip, Collect). When it returns false the caller returns err,
// which stops the pipeline. The caller counts the errors it absorbed.
func (r *run) absorb(policy ErrorPolicy, err error) bool {
	if _, ok := err.(observedPanic); ok {
		return false // panics stop the pipeline whatever the policy
	}
	switch policy {
	case SkipErrors:
		return true
	case CollectErrors:
		r.keep(err)
		return true
	}
	return false
}

// keep adds errs to the errors r's sink returns if nothing stops the run,
// and to those of the runs in r.also (and theirs, through nested Tees).
func (r *run) keep(errs ...error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, errs...)
	for _, b := range r.also {
		b.keep(errs...)
	}
}

// goroutine starts fn as a stage goroutine of r.
func (r *run) goroutine(fn func()) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		fn()
	}()
}

// call runs a user callback batch, turning a panic into a *PanicError and a
// runtime.Goexit into ErrGoexit (the goroutine still exits afterwards).
func (r *run) call(fn func() error) error {
	return panics.Run[PanicError](fn, func() { r.fail(ErrGoexit) })
}

// finish stops the pipeline, waits for every stage goroutine and returns the
// outcome: the first error, or the parent context's cause if it ended the
// run, or the collected errors.
func (r *run) finish() error {
	// Canceled before the sink saw the end of its input, with no stage
	// failing: the parent context ended the run.
	r.mu.Lock()
	stoppedEarly := r.err == nil && r.ctx.Err() != nil
	cause := r.err
	r.mu.Unlock()
	if cause == nil {
		cause = ErrSinkStopped
	}
	// A stage that failed may not have canceled the run yet (see stop): the
	// sink's input can end first, as the stages behind it quit on seeing
	// the stop. Its error, not ErrSinkStopped, is the cause then.
	r.stop(cause)
	r.wg.Wait()
	for _, f := range r.after {
		f()
	}
	for _, st := range r.stats {
		st.settle()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.err != nil:
		return r.err
	case stoppedEarly && r.parent.Err() != nil:
		return context.Cause(r.parent)
	}
	return errors.Join(r.errs...)
}

// build starts the stages feeding a sink. If building panics (a stream
// consumed twice), the stages already started are stopped before the panic
// goes on.
func build[T any](r *run, s *Stream[T]) (in inPort[T]) {
	defer func() {
		if v := recover(); v != nil {
			r.finish()
			panic(v)
		}
	}()
	return s.start(r)
}
