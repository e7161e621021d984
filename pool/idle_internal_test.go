package pool

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzIdleList checks the idle stack against a plain slice: pop takes the
// newest, dropOldest the oldest, and no dropped worker stays referenced
// (the pool must not keep exited workers alive).
func FuzzIdleList(f *testing.F) {
	f.Add(uint64(1), uint16(200))
	f.Add(uint64(7), uint16(2000))
	f.Fuzz(func(t *testing.T, seed uint64, ops uint16) {
		r := rand.New(rand.NewPCG(seed, 0))
		var l idleList
		var model []*worker
		for range ops {
			switch op := r.IntN(3); {
			case op == 0 || len(model) == 0:
				w := &worker{}
				l.push(w)
				model = append(model, w)
			case op == 1:
				require.Same(t, model[len(model)-1], l.pop())
				model = model[:len(model)-1]
			default:
				require.Same(t, model[0], l.oldest())
				l.dropOldest()
				model = model[1:]
			}
			require.Equal(t, len(model), l.len())
			require.Equal(t, model, l.ws[l.head:])
			for _, w := range l.ws[:l.head] {
				require.Nil(t, w, "a dropped worker is still referenced")
			}
			for _, w := range l.ws[len(l.ws):cap(l.ws)] {
				require.Nil(t, w, "a popped worker is still referenced")
			}
		}
	})
}
