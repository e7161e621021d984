package pipeline_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline"
)

// PanicError's doc promises one line; a panic value that spans lines must not
// break that promise where users see it, in a stage's error.
func TestPanicErrorIsOneLineForAMultiLineValue(t *testing.T) {
	for _, v := range []any{"first\nsecond", errors.New("first\r\nsecond")} {
		_, err := pipeline.Collect(bg, pipeline.Map(pipeline.FromSlice([]int{1}),
			func(context.Context, int) (int, error) { panic(v) }))
		var pe *pipeline.PanicError
		require.ErrorAs(t, err, &pe)
		assert.False(t, strings.ContainsAny(pe.Error(), "\r\n"), "Error() is not one line: %q", pe.Error())
		assert.Contains(t, pe.Error(), `first\`, "the value is shown escaped")
		assert.Equal(t, v, pe.Value, "Value is the value passed to panic")
		if e, ok := v.(error); ok {
			assert.ErrorIs(t, err, e)
		}
	}
}
