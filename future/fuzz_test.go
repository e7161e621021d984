package future_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/future"
)

// FuzzPromise drives a promise with a random sequence of operations and
// checks it against a sequential model of the state machine.
func FuzzPromise(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4})
	f.Add([]byte{3, 3, 0, 1, 4, 2})
	f.Add([]byte{2, 0, 2, 4, 3})
	f.Add([]byte{4, 4, 1, 0, 3, 2, 4})
	f.Fuzz(func(t *testing.T, ops []byte) {
		p := future.NewPromise[int]()
		fut := p.Future()
		// The model.
		state, val, registered, ran := future.Pending, 0, 0, 0
		var err error
		var order []int
		for i, op := range ops {
			switch op % 5 {
			case 0: // Resolve
				got := p.Resolve(i)
				if state != future.Pending {
					require.ErrorIs(t, got, future.ErrAlreadyCompleted, "op %d: Resolve of a done future", i)
					break
				}
				require.NoError(t, got, "op %d: Resolve", i)
				state, val, err, ran = future.Finished, i, nil, registered
			case 1: // Reject
				got := p.Reject(errBoom)
				if state != future.Pending {
					require.ErrorIs(t, got, future.ErrAlreadyCompleted, "op %d: Reject of a done future", i)
					break
				}
				require.NoError(t, got, "op %d: Reject", i)
				state, err, ran = future.Finished, errBoom, registered
			case 2: // Cancel
				got := fut.Cancel()
				if state == future.Pending {
					state, err, ran = future.Canceled, future.ErrCanceled, registered
				}
				require.Equal(t, state, got, "op %d: Cancel", i)
			case 3: // OnDone
				id := registered
				registered++
				_ = fut.OnDone(func(*future.Future[int]) { order = append(order, id) })
				if state != future.Pending {
					ran++
				}
			case 4: // observe
				v, e, ok := fut.TryResult()
				require.Equal(t, state != future.Pending, ok, "op %d: TryResult's ok", i)
				if ok {
					require.Equal(t, val, v, "op %d: TryResult's value", i)
					require.ErrorIs(t, e, err, "op %d: TryResult's error", i)
				}
			}
			require.Equal(t, state, fut.State(), "op %d: State", i)
			require.Len(t, order, ran, "op %d: callbacks run", i)
			for j, id := range order {
				require.Equal(t, j, id, "op %d: callbacks ran in order %v", i, order)
			}
		}
	})
}
