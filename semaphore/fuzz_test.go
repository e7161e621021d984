package semaphore_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/weftgo/weft/semaphore"
)

// model is a plain sequential semaphore: the state a Weighted must settle
// in once every goroutine is blocked.
type model struct {
	policy semaphore.Policy
	limit  int64
	held   int64
	closed bool
	queue  []modelReq
	done   map[int]string // id -> result of a finished Acquire
}

type modelReq struct {
	id int
	n  int64
}

// fits reports whether a new request for n permits is granted at once.
// Under Fair the switch to hand-off mode needs time to pass, which it
// does not in this test, so new requests take free permits as under
// Barging.
func (m *model) fits(n int64) bool {
	if m.policy == semaphore.FIFO && len(m.queue) > 0 {
		return false
	}
	return n <= m.limit-m.held
}

// serve grants waiters as releases do: from the head while it fits, or
// under Barging every waiter that fits.
func (m *model) serve() {
	for i := 0; i < len(m.queue); {
		r := m.queue[i]
		if r.n <= m.limit-m.held {
			m.held += r.n
			m.done[r.id] = "ok"
			m.queue = slices.Delete(m.queue, i, i+1)
			i = 0
			continue
		}
		if m.policy != semaphore.Barging {
			return
		}
		i++
	}
}

// wakes returns the index of the waiter a release wakes to compete under
// Fair or Barging: the head if it fits, or under Barging the first that
// fits; -1 if none.
func (m *model) wakes() int {
	for i, r := range m.queue {
		if r.n <= m.limit-m.held {
			return i
		}
		if m.policy != semaphore.Barging {
			break
		}
	}
	return -1
}

func (m *model) fail(pred func(modelReq) bool, result string) {
	m.queue = slices.DeleteFunc(m.queue, func(r modelReq) bool {
		if pred(r) {
			m.done[r.id] = result
			return true
		}
		return false
	})
}

func resultOf(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, semaphore.ErrClosed):
		return "closed"
	case errors.Is(err, semaphore.ErrExceedsLimit):
		return "too large"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return err.Error()
}

// FuzzWeighted drives a Weighted with a sequence of operations decoded
// from data, blocking Acquire calls on goroutines of their own, and
// compares it with the model after every step.
func FuzzWeighted(f *testing.F) {
	f.Add(uint8(0), []byte{1, 3, 1, 2, 1, 1, 2, 5, 4, 1, 2, 9, 3, 2, 2, 9})
	f.Add(uint8(1), []byte{1, 4, 1, 1, 1, 4, 2, 1, 2, 1, 3, 7, 2, 8, 2, 8, 5, 0})
	f.Add(uint8(2), []byte{1, 4, 1, 3, 1, 1, 2, 2, 0, 1, 6, 1, 4, 0, 2, 7, 3, 1})
	f.Add(uint8(0), []byte{0, 2, 1, 3, 6, 1, 3, 1, 3, 6, 2, 1, 1, 5, 5, 8, 2, 9}) // a done ctx fails with permits free
	f.Add(uint8(1), []byte{6, 0, 6, 5, 5, 0, 6, 1})                               // ... for 0, too large, and closed
	f.Add(uint8(1), []byte{1, 4, 1, 2, 4, 0, 2, 4, 1, 3, 4, 1, 3, 0, 2, 9, 3, 8})
	f.Add(uint8(2), []byte{0, 3, 1, 2, 1, 1, 7, 2, 7, 0, 2, 9})
	f.Add(uint8(0), []byte{0, 3, 1, 1, 1, 2, 7, 0, 7, 1, 2, 9})
	f.Add(uint8(0), []byte{0, 4, 1, 2, 7, 1, 2, 1}) // the woken waiter loses
	f.Add(uint8(2), []byte{0, 4, 1, 3, 1, 1, 7, 1, 2, 1, 2, 2})
	f.Fuzz(func(t *testing.T, policy uint8, data []byte) {
		// One P, so that a goroutine woken by a Release waits in the run
		// queue while the fuzz goroutine goes on (see op 7).
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		synctest.Test(t, func(t *testing.T) {
			runModel(t, semaphore.Policy(policy%3), data)
		})
	})
}

func runModel(t *testing.T, policy semaphore.Policy, data []byte) {
	const initial = 4
	if len(data) > 256 {
		data = data[:256] // longer runs find nothing new, only take longer
	}
	s := semaphore.New(initial, semaphore.WithPolicy(policy))
	m := &model{policy: policy, limit: initial, done: map[int]string{}}
	type result struct {
		id  int
		err error
	}
	results := make(chan result, len(data))
	cancels := map[int]context.CancelFunc{}
	nextID := 0
	got := map[int]string{}
	canceled, stop := context.WithCancel(t.Context())
	stop()
	defer func() { // let every Acquire return, even after a failure
		s.Close()
		for _, cancel := range cancels {
			cancel()
		}
	}()

	for len(data) >= 2 {
		op, arg := data[0]%8, int64(data[1])
		data = data[2:]
		var step string
		switch op {
		case 0:
			n := arg % (m.limit + 2)
			step = fmt.Sprintf("TryAcquire(%d)", n)
			want := !m.closed && (n == 0 || m.fits(n))
			if want {
				m.held += n
			}
			if s.TryAcquire(n) != want {
				t.Fatalf("%s: got %v, want %v", step, !want, want)
			}
		case 1:
			n := arg % (m.limit + 2)
			id := nextID
			nextID++
			step = fmt.Sprintf("Acquire#%d(%d)", id, n)
			switch {
			case m.closed:
				m.done[id] = "closed"
			case n > m.limit:
				m.done[id] = "too large"
			case n == 0 || m.fits(n):
				m.held += n
				m.done[id] = "ok"
			default:
				m.queue = append(m.queue, modelReq{id, n})
			}
			ctx, cancel := context.WithCancel(t.Context())
			cancels[id] = cancel
			go func() { results <- result{id, s.Acquire(ctx, n)} }()
		case 2:
			n := arg % (m.held + 2)
			step = fmt.Sprintf("Release(%d)", n)
			panicked := func() (p bool) {
				defer func() { p = recover() != nil }()
				s.Release(n)
				return false
			}()
			if panicked != (n > m.held) {
				t.Fatalf("%s with %d held: panicked=%v", step, m.held, panicked)
			}
			if !panicked {
				m.held -= n
				m.serve()
			}
		case 7:
			// Release, then a new request before the waiter the release
			// woke has run: under Fair and Barging the new request may win,
			// and the woken waiter goes back to the queue, first in line.
			n, want := int64(1+arg%2), int64(1+arg/2%3)
			if n > m.held {
				continue
			}
			step = fmt.Sprintf("Release(%d)+TryAcquire(%d)", n, want)
			s.Release(n)
			got := s.TryAcquire(want)
			m.held -= n
			if m.policy == semaphore.FIFO {
				m.serve()
				if got != (!m.closed && m.fits(want)) {
					t.Fatalf("%s: TryAcquire got %v", step, got)
				}
				if got {
					m.held += want
				}
				break
			}
			woken := m.wakes()
			if got != (!m.closed && m.fits(want)) {
				// Rarely (a preemption, a GC) the woken waiter runs
				// first; the model does not follow that path.
				return
			}
			if got {
				m.held += want
			}
			if woken >= 0 && m.queue[woken].n > m.limit-m.held {
				r := m.queue[woken] // lost: first in line now
				m.queue = slices.Insert(slices.Delete(m.queue, woken, woken+1), 0, r)
			}
			m.serve()
		case 3:
			l := arg % 9
			step = fmt.Sprintf("SetLimit(%d)", l)
			s.SetLimit(l)
			m.limit = l
			m.fail(func(r modelReq) bool { return r.n > l }, "too large")
			m.serve()
		case 4:
			if len(m.queue) == 0 {
				continue
			}
			r := m.queue[int(arg)%len(m.queue)]
			step = fmt.Sprintf("cancel Acquire#%d", r.id)
			cancels[r.id]()
			m.fail(func(q modelReq) bool { return q.id == r.id }, "canceled")
			m.serve()
		case 5:
			if arg%4 != 0 {
				continue
			}
			step = "Close"
			s.Close()
			m.closed = true
			m.fail(func(modelReq) bool { return true }, "closed")
		case 6:
			// An already-done context fails first, whatever the state:
			// even when the permits are free, and without a trace.
			n := arg % (m.limit + 2)
			step = fmt.Sprintf("Acquire(canceled, %d)", n)
			if r := resultOf(s.Acquire(canceled, n)); r != "canceled" {
				t.Fatalf("%s: got %s, want canceled", step, r)
			}
		}
		synctest.Wait()
		for len(results) > 0 {
			r := <-results
			got[r.id] = resultOf(r.err)
		}
		if !maps.Equal(got, m.done) {
			t.Fatalf("after %s: finished Acquires %v, want %v", step, got, m.done)
		}
		if s.Held() != m.held || s.Limit() != m.limit || s.Available() != m.limit-m.held || s.Waiting() != len(m.queue) {
			t.Fatalf("after %s: held %d limit %d available %d waiting %d, want %d %d %d %d", step,
				s.Held(), s.Limit(), s.Available(), s.Waiting(), m.held, m.limit, m.limit-m.held, len(m.queue))
		}
	}
}
