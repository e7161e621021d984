package future_test

import (
	"errors"
	"testing"

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
				if state == future.Pending {
					if got != nil {
						t.Fatalf("op %d: Resolve = %v", i, got)
					}
					state, val, err, ran = future.Finished, i, nil, registered
				} else if !errors.Is(got, future.ErrAlreadyCompleted) {
					t.Fatalf("op %d: second Resolve = %v", i, got)
				}
			case 1: // Reject
				got := p.Reject(errBoom)
				if state == future.Pending {
					if got != nil {
						t.Fatalf("op %d: Reject = %v", i, got)
					}
					state, err, ran = future.Finished, errBoom, registered
				} else if !errors.Is(got, future.ErrAlreadyCompleted) {
					t.Fatalf("op %d: second Reject = %v", i, got)
				}
			case 2: // Cancel
				got := fut.Cancel()
				if state == future.Pending {
					state, err, ran = future.Canceled, future.ErrCanceled, registered
				}
				if got != state {
					t.Fatalf("op %d: Cancel = %v, model %v", i, got, state)
				}
			case 3: // OnDone
				id := registered
				registered++
				_ = fut.OnDone(func(*future.Future[int]) { order = append(order, id) })
				if state != future.Pending {
					ran++
				}
			case 4: // observe
				v, e, ok := fut.TryResult()
				if ok != (state != future.Pending) || ok && (v != val || !errors.Is(e, err) && e != err) {
					t.Fatalf("op %d: TryResult = %v %v %v, model %v %v %v", i, v, e, ok, val, err, state)
				}
			}
			if fut.State() != state {
				t.Fatalf("op %d: State = %v, model %v", i, fut.State(), state)
			}
			if len(order) != ran {
				t.Fatalf("op %d: %d callbacks ran, model %d", i, len(order), ran)
			}
			for j, id := range order {
				if id != j {
					t.Fatalf("callbacks ran in order %v", order)
				}
			}
		}
	})
}
