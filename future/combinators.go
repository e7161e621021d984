package future

import (
	"context"
	"errors"
)

// ErrNoFutures is returned by [Any] and [Race] when given no futures.
var ErrNoFutures = errors.New("future: no futures given")

// Outcome is the settled result of one future, as returned by [AllSettled].
type Outcome[T any] struct {
	Value T
	Err   error
}

// All waits for every future in fs and returns their values in argument order
// (JavaScript's Promise.all). As soon as one fails it cancels the others
// ([Future.Cancel]: pending ones never run, running ones see their context
// canceled) and returns that error: the first failure in argument order
// among the futures already done when All is called, or else the first to
// fail after. If ctx ends first All returns context.Cause(ctx) and cancels
// nothing. Duplicate futures are allowed.
func All[T any](ctx context.Context, fs ...*Future[T]) ([]T, error) {
	if ctx == nil {
		panic(errNilContext)
	}
	n := 0
	for f := range AsCompleted(ctx, fs...) {
		if f.err != nil {
			cancelAll(fs)
			return nil, f.err
		}
		n++
	}
	if !sawAll(n, fs) {
		return nil, context.Cause(ctx)
	}
	out := make([]T, len(fs))
	for i, f := range fs {
		out[i] = f.val
	}
	return out, nil
}

// AllSettled waits for every future in fs and returns each outcome in
// argument order (JavaScript's Promise.allSettled). It cancels nothing. If
// ctx ends first it returns context.Cause(ctx) and no outcomes.
func AllSettled[T any](ctx context.Context, fs ...*Future[T]) ([]Outcome[T], error) {
	if ctx == nil {
		panic(errNilContext)
	}
	if _, _, err := Wait(ctx, AllCompleted, fs...); err != nil {
		return nil, err
	}
	out := make([]Outcome[T], len(fs))
	for i, f := range fs {
		out[i] = Outcome[T]{Value: f.val, Err: f.err}
	}
	return out, nil
}

// Any returns the value of the first future in fs to succeed and cancels
// the others (JavaScript's Promise.any; a hedged request). Futures already
// done when Any is called come first, in argument order. If every future
// fails it returns all their errors joined, in argument order. If ctx ends
// first it returns context.Cause(ctx) and cancels nothing. With no futures it
// returns [ErrNoFutures].
func Any[T any](ctx context.Context, fs ...*Future[T]) (T, error) {
	if ctx == nil {
		panic(errNilContext)
	}
	var zero T
	if len(fs) == 0 {
		return zero, ErrNoFutures
	}
	n := 0
	for f := range AsCompleted(ctx, fs...) {
		if f.err == nil {
			cancelAll(fs)
			return f.val, nil
		}
		n++
	}
	if !sawAll(n, fs) {
		return zero, context.Cause(ctx)
	}
	errs := make([]error, 0, len(fs))
	seen := make(map[*Future[T]]bool, len(fs))
	for _, f := range fs {
		if !seen[f] {
			seen[f] = true
			errs = append(errs, f.err)
		}
	}
	return zero, errors.Join(errs...)
}

// Race returns the outcome of the first future in fs to finish, success or
// failure, and cancels the others (JavaScript's Promise.race). Futures
// already done when Race is called come first, in argument order. If ctx ends
// first it returns context.Cause(ctx) and cancels nothing. With no futures
// it returns [ErrNoFutures].
func Race[T any](ctx context.Context, fs ...*Future[T]) (T, error) {
	if ctx == nil {
		panic(errNilContext)
	}
	var zero T
	if len(fs) == 0 {
		return zero, ErrNoFutures
	}
	for f := range AsCompleted(ctx, fs...) {
		cancelAll(fs)
		return f.val, f.err
	}
	return zero, context.Cause(ctx)
}

func cancelAll[T any](fs []*Future[T]) {
	for _, f := range fs {
		f.Cancel()
	}
}

// sawAll reports whether an AsCompleted loop over fs that yielded n
// futures ran to the end, rather than stopping because its ctx ended. What
// the loop saw decides: a future that completes after it stopped must not
// count, or a failure could pass for success.
func sawAll[T any](n int, fs []*Future[T]) bool {
	if n == len(fs) {
		return true
	}
	distinct := make(map[*Future[T]]struct{}, len(fs)) // duplicates are yielded once
	for _, f := range fs {
		distinct[f] = struct{}{}
	}
	return n == len(distinct)
}
