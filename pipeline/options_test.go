package pipeline_test

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline"
)

func TestErrorPolicyString(t *testing.T) {
	for p, want := range map[pipeline.ErrorPolicy]string{
		pipeline.StopOnError:    "StopOnError",
		pipeline.SkipErrors:     "SkipErrors",
		pipeline.CollectErrors:  "CollectErrors",
		pipeline.ErrorPolicy(7): "ErrorPolicy(7)",
	} {
		assert.Equal(t, want, p.String())
		assert.Equal(t, want, fmt.Sprint(p))
	}
}

// An option given where it would do nothing must not compile. Each case is
// a statement type-checked against this checkout's source; the cases that
// must compile show that the others fail for the option and nothing else.
func TestOptionsOnlyCompileWhereRead(t *testing.T) {
	cases := []struct {
		stmt     string
		compiles bool
	}{
		// Every source and stage reads an Option.
		{`pipeline.FromSlice(s, pipeline.WithBuffer(1), pipeline.WithChunkSize(2), pipeline.WithName("n"))`, true},
		{`pipeline.FromChan(ch, pipeline.WithBuffer(1))`, true},
		{`pipeline.FromSeq(seq, pipeline.WithChunkSize(1))`, true},
		{`pipeline.FromQueue(q, pipeline.WithName("q"))`, true},
		{`pipeline.Batch(src, 2, 0, pipeline.WithName("b"))`, true},
		{`pipeline.Tumbling(src, time.Second, pipeline.WithBuffer(0))`, true},
		{`pipeline.Sliding(src, time.Second, time.Second, pipeline.WithChunkSize(4))`, true},
		{`pipeline.Tee(src, 2, pipeline.WithBuffer(2))`, true},
		{`pipeline.Map(src, id, pipeline.WithConcurrency(2), pipeline.WithOrdered(), pipeline.WithReorderWindow(4),
			pipeline.WithRateLimit(1, time.Second), pipeline.WithErrorPolicy(pipeline.SkipErrors),
			pipeline.WithBuffer(1), pipeline.WithChunkSize(2), pipeline.WithName("m"))`, true},
		{`pipeline.Filter(src, keep, pipeline.WithConcurrency(2), pipeline.WithName("f"), pipeline.WithObserver(obs))`, true},
		{`pipeline.FlatMap(src, many, pipeline.WithOrdered(), pipeline.WithErrorPolicy(pipeline.CollectErrors))`, true},
		{`pipeline.Map(src, id, pipeline.WithObserver(obs), pipeline.WithConcurrency(2))`, true},
		{`pipeline.ForEach(ctx, src, each, pipeline.WithErrorPolicy(pipeline.SkipErrors))`, true},
		{`queue.New[int](queue.WithCapacity(2))`, true},

		// Stage options are read by Map, Filter and FlatMap only.
		{`pipeline.FromSlice(s, pipeline.WithConcurrency(4))`, false},
		{`pipeline.FromChan(ch, pipeline.WithOrdered())`, false},
		{`pipeline.FromSeq(seq, pipeline.WithRateLimit(1, time.Second))`, false},
		{`pipeline.FromQueue(q, pipeline.WithReorderWindow(2))`, false},
		{`pipeline.FromSlice(s, pipeline.WithErrorPolicy(pipeline.SkipErrors))`, false},
		{`pipeline.Batch(src, 2, 0, pipeline.WithOrdered())`, false},
		{`pipeline.Tumbling(src, time.Second, pipeline.WithConcurrency(2))`, false},
		{`pipeline.Sliding(src, time.Second, time.Second, pipeline.WithErrorPolicy(pipeline.SkipErrors))`, false},
		{`pipeline.Tee(src, 2, pipeline.WithConcurrency(2))`, false},
		{`pipeline.FromSlice(s, pipeline.WithObserver(obs))`, false},
		{`pipeline.Batch(src, 2, 0, pipeline.WithObserver(obs))`, false},
		// ForEach reads only its error policy.
		{`pipeline.ForEach(ctx, src, each, pipeline.WithConcurrency(2))`, false},
		{`pipeline.ForEach(ctx, src, each, pipeline.WithBuffer(1))`, false},
		{`pipeline.ForEach(ctx, src, each, pipeline.WithObserver(obs))`, false},
		// Queues and pipelines do not share options.
		{`queue.New[int](pipeline.WithConcurrency(4))`, false},
		{`queue.NewLIFO[int](pipeline.WithBuffer(4))`, false},
		{`pipeline.Map(src, id, queue.WithCapacity(2))`, false},
	}

	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "source", nil) // shared: it caches packages
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			src := `package p

import (
	"context"
	"iter"
	"time"

	"github.com/weftgo/weft/observe"
	"github.com/weftgo/weft/pipeline"
	"github.com/weftgo/weft/pipeline/queue"
)

var (
	_   = time.Second
	_   = queue.New[int]
	obs observe.Observer
)

func f(ctx context.Context, s []int, ch chan int, seq iter.Seq[int], q *queue.Queue[int], src *pipeline.Stream[int],
	id func(context.Context, int) (int, error), keep func(context.Context, int) (bool, error),
	many func(context.Context, int) ([]int, error), each func(context.Context, int) error) {
	_ = ` + c.stmt + `
}
`
			file, err := parser.ParseFile(fset, fmt.Sprintf("case%d.go", i), src, 0)
			require.NoError(t, err)
			var errs []error
			conf := types.Config{Importer: imp, Error: func(err error) { errs = append(errs, err) }}
			_, _ = conf.Check("p", fset, []*ast.File{file}, nil)
			if c.compiles {
				assert.Empty(t, errs, c.stmt)
				return
			}
			require.Len(t, errs, 1, c.stmt)
			assert.Contains(t, errs[0].Error(), "cannot use", c.stmt)
		})
	}
}
