package observe_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/weftgo/weft/observe"
)

func TestKindString(t *testing.T) {
	assert.Equal(t, "Finished", observe.Finished.String())
	assert.Equal(t, "Released", observe.Released.String())
	assert.Equal(t, "Kind(0)", observe.Kind(0).String())
	assert.Equal(t, "Kind(200)", observe.Kind(200).String())
}

func TestFuncObserves(t *testing.T) {
	var got []observe.Event
	var o observe.Observer = observe.Func(func(e observe.Event) { got = append(got, e) })
	o.Observe(observe.Event{Kind: observe.Queued})
	assert.Equal(t, []observe.Event{{Kind: observe.Queued}}, got)
}
