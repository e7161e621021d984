package weft_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pipeline"
	"github.com/weftgo/weft/pool"
	"github.com/weftgo/weft/semaphore"
)

// panicsOfEachPackage makes every package report a panic of value v.
func panicsOfEachPackage(t *testing.T, v any) map[string]error {
	t.Helper()
	ctx := context.Background()
	p := pool.New(1)
	t.Cleanup(func() { p.Stop() })

	_, poolErr := pool.Map(ctx, p, []int{1}, func(context.Context, int) (int, error) { panic(v) })
	f := future.Go(ctx, func(context.Context) (int, error) { panic(v) })
	_, futureErr := f.Result(ctx)
	semErr := semaphore.New(1).Do(ctx, 1, func() error { panic(v) })
	_, pipeErr := pipeline.Collect(ctx, pipeline.Map(pipeline.FromSlice([]int{1}),
		func(context.Context, int) (int, error) { panic(v) }))
	return map[string]error{"pool": poolErr, "future": futureErr, "semaphore": semErr, "pipeline": pipeErr}
}

func TestPanicErrorMatchesAcrossPackages(t *testing.T) {
	for name, err := range panicsOfEachPackage(t, "boom") {
		t.Run(name, func(t *testing.T) {
			require.Error(t, err)
			var (
				p  *pool.PanicError
				f  *future.PanicError
				s  *semaphore.PanicError
				pl *pipeline.PanicError
			)
			require.ErrorAs(t, err, &p)
			require.ErrorAs(t, err, &f)
			require.ErrorAs(t, err, &s)
			require.ErrorAs(t, err, &pl)
			assert.Equal(t, "boom", p.Value)
			addr := fmt.Sprintf("%p", p)
			for _, other := range []any{f, s, pl} {
				assert.Equal(t, addr, fmt.Sprintf("%p", other), "every match points at the one value")
			}
		})
	}
}

func TestPanicErrorIsOneLineWithTheStackInPlusV(t *testing.T) {
	for name, err := range panicsOfEachPackage(t, "boom") {
		t.Run(name, func(t *testing.T) {
			var pe *pool.PanicError
			require.ErrorAs(t, err, &pe)
			assert.NotContains(t, pe.Error(), "\n", "Error() is one line")
			assert.True(t, strings.HasPrefix(pe.Error(), "panic: boom [recovered in "), pe.Error())
			assert.Contains(t, pe.Error(), "weft_test.panicsOfEachPackage", "names the panicking function")
			plus := fmt.Sprintf("%+v", pe)
			assert.Contains(t, plus, string(pe.Stack), "%+v prints the stack")
			assert.Contains(t, string(pe.Stack), "goroutine ")
		})
	}
}

func TestPanicErrorIsOneLineForAMultiLineValue(t *testing.T) {
	for name, err := range panicsOfEachPackage(t, "first\nsecond") {
		t.Run(name, func(t *testing.T) {
			var pe *pool.PanicError
			require.ErrorAs(t, err, &pe)
			assert.True(t, strings.HasPrefix(pe.Error(), `panic: "first\nsecond" [recovered in `), pe.Error())
			assert.Equal(t, "first\nsecond", pe.Value)
		})
	}
}

func TestPanicErrorUnwrapsAnErrorPassedToPanic(t *testing.T) {
	for name, err := range panicsOfEachPackage(t, io.ErrUnexpectedEOF) {
		t.Run(name, func(t *testing.T) {
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		})
	}
}

// A type named PanicError outside weft's packages is not matched: As
// converts only between weft's own.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprint(e.Value) }

func TestPanicErrorDoesNotMatchForeignTypes(t *testing.T) {
	err := semaphore.New(1).Do(context.Background(), 1, func() error { panic("x") })
	var mine *PanicError
	assert.False(t, errors.As(err, &mine))
}
