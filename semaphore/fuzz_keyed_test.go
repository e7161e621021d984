package semaphore_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/weftgo/weft/semaphore"
)

const keyedKeys = 3

// errKeyedFn is what a Do callback of FuzzKeyed returns when told to fail.
var errKeyedFn = errors.New("fn failed")

// keyedReq is one Acquire or Do call of FuzzKeyed, blocking or not yet.
type keyedReq struct {
	id       int
	key      int
	n        int64
	do       bool               // Do rather than Acquire
	cancel   context.CancelFunc // of the call's context
	canceled bool               // cancel was called
	fresh    bool               // queued by this step, on a loose key (see keyedModelKey.loose)
	mayBarge bool               // fresh, and the key may not be in hand-off mode
	epoch    int                // keyedModel.epoch when it queued
	ctl      chan int           // Do: how fn ends (0 nil, 1 errKeyedFn, 2 panic)
}

// keyedModel is a plain sequential Keyed: the state a Keyed must settle in
// once every goroutine is blocked.
type keyedModel struct {
	policy  semaphore.Policy
	limit   int64
	closed  bool
	keys    [keyedKeys]keyedModelKey
	running []*keyedReq    // Do calls whose fn runs
	epoch   int            // how many times 2 ms passed
	done    map[int]string // id -> "running" (Do's fn started) or the call's result
}

type keyedModelKey struct {
	held  int64
	own   int64 // held by Acquire and TryAcquire: the test's to release
	queue []*keyedReq
	// loose: under Fair, time passed while the queue was not empty, so the
	// head may have waited long enough to switch the key to hand-off mode,
	// and Fair promises only its order there: new requests may or may not
	// barge, and the grants after a release are checked, not predicted
	// (reconcile). The key is exact again once its queue is empty.
	loose bool
	// dispatched is the epoch of the last event that made the key's
	// semaphore serve its queue (a Release, a waiter leaving) while it was
	// not empty. Fair switches to hand-off mode at such an event once the
	// head has waited 1 ms, and keeps to it while the head is a waiter that
	// waited that long. Before such an event a new request may still take
	// free permits: the switch is lazy, and the Policy doc's "once the head
	// has waited 1 ms" is read as "at the first Release or withdrawal
	// after that".
	dispatched int
}

// handoff reports whether a loose key is surely in Fair's hand-off mode,
// where new requests queue behind the waiters: its head queued before an
// epoch in which the key served its queue.
func (k *keyedModelKey) handoff() bool {
	return k.loose && len(k.queue) > 0 && k.queue[0].epoch < k.dispatched
}

// served records an event that makes key's semaphore serve its queue.
func (m *keyedModel) served(key int) {
	if k := &m.keys[key]; len(k.queue) > 0 {
		k.dispatched = m.epoch
	}
}

func (m *keyedModel) inUse() int {
	n := 0
	for _, k := range m.keys {
		if k.held > 0 || len(k.queue) > 0 {
			n++
		}
	}
	return n
}

// fits reports whether a new request for n > 0 permits of key is granted
// at once, on an exact key. Under Fair no time passed since the head
// queued, so new requests take free permits as under Barging.
func (m *keyedModel) fits(key int, n int64) bool {
	k := &m.keys[key]
	if m.policy == semaphore.FIFO && len(k.queue) > 0 {
		return false
	}
	return n <= m.limit-k.held
}

func (m *keyedModel) grant(r *keyedReq) {
	k := &m.keys[r.key]
	k.held += r.n
	if r.do {
		m.done[r.id] = "running"
		m.running = append(m.running, r)
	} else {
		k.own += r.n
		m.done[r.id] = "ok"
	}
}

// admit is a new Acquire or Do with a live context.
func (m *keyedModel) admit(r *keyedReq) {
	k := &m.keys[r.key]
	switch {
	case m.closed:
		m.done[r.id] = "closed"
	case r.n > m.limit:
		m.done[r.id] = "too large"
	case r.n == 0:
		m.grant(r)
	case k.loose:
		r.fresh, r.mayBarge, r.epoch = true, !k.handoff(), m.epoch
		k.queue = append(k.queue, r)
	case m.fits(r.key, r.n):
		m.grant(r)
	default:
		r.epoch = m.epoch
		k.queue = append(k.queue, r)
	}
}

// serve grants key's waiters after permits came back or a waiter left: from
// the head while it fits, or under Barging every waiter that fits, in
// order. Loose keys are left to reconcile.
func (m *keyedModel) serve(key int) {
	k := &m.keys[key]
	if k.loose {
		return
	}
	for i := 0; i < len(k.queue); {
		r := k.queue[i]
		if r.n <= m.limit-k.held {
			k.queue = slices.Delete(k.queue, i, i+1)
			m.grant(r)
			i = 0
			continue
		}
		if m.policy != semaphore.Barging {
			return
		}
		i++
	}
}

// withdraw ends a queued request with result.
func (m *keyedModel) withdraw(r *keyedReq, result string) {
	k := &m.keys[r.key]
	k.queue = slices.DeleteFunc(k.queue, func(q *keyedReq) bool { return q == r })
	m.done[r.id] = result
}

// reconcile checks what a loose key's waiters did in this step (events:
// id -> new status) against what Fair promises, and takes it into the
// model: waiters leave only when canceled or closed, or granted in arrival
// order (a fresh request may barge, unless in hand-off mode) within the
// free permits; every
// canceled waiter has left, and the head does not fit in what is free.
func (m *keyedModel) reconcile(key int, events map[int]string) error {
	k := &m.keys[key]
	if !k.loose {
		return nil
	}
	free := m.limit - k.held
	inOrder := true
	var rest []*keyedReq
	for _, r := range k.queue {
		ev, ok := events[r.id]
		granted := "ok"
		if r.do {
			granted = "running"
		}
		switch {
		case !ok:
			if !r.fresh {
				inOrder = false
			}
			rest = append(rest, r)
		case ev == "canceled" && r.canceled, ev == "closed" && m.closed:
			m.done[r.id] = ev
		case ev == granted && r.n <= free && (r.mayBarge || inOrder):
			free -= r.n
			m.grant(r)
		default:
			return fmt.Errorf("key %d: request #%d (%d permits, %d free) got %s out of turn", key, r.id, r.n, free, ev)
		}
		r.fresh, r.mayBarge = false, false
	}
	k.queue = rest
	for _, r := range rest {
		if r.canceled || m.closed {
			return fmt.Errorf("key %d: request #%d still waits after cancel or Close", key, r.id)
		}
	}
	if len(rest) > 0 && rest[0].n <= free {
		return fmt.Errorf("key %d: head #%d waits for %d permits with %d free", key, rest[0].id, rest[0].n, free)
	}
	k.loose = len(rest) > 0
	return nil
}

// keyedResult names the outcome of call r that returned err.
func keyedResult(r *keyedReq, err error) string {
	var pe *semaphore.PanicError
	switch {
	case r.do && errors.As(err, &pe):
		if pe.Value != fmt.Sprint("boom #", r.id) {
			return fmt.Sprintf("panic with %v", pe.Value)
		}
		return "panic"
	case r.do && errors.Is(err, errKeyedFn):
		if err != errKeyedFn {
			return fmt.Sprintf("wrapped %v", err)
		}
		return "error"
	case err == semaphore.ErrExceedsLimit:
		return "ErrExceedsLimit itself, not an error wrapping it"
	}
	return resultOf(err)
}

// FuzzKeyed drives a Keyed of 3 keys with a sequence of operations decoded
// from data, blocking Acquire and Do calls on goroutines of their own, and
// compares it with the model after every step. cfg picks the policy and
// the limit (1 to 4).
//
// Each operation is two bytes: op (op%9 the operation, op/9%3 the key) and
// arg. 0: TryAcquire; 1: Acquire; 2: Acquire or Do with a done context;
// 3: cancel a call's context; 4: Release (arg%8 == 7: more than held);
// 5: Do; 6: end a running Do's fn (nil, error, panic); 7: Close if
// arg%4 == 0; 8: let 2 ms pass.
func FuzzKeyed(f *testing.F) {
	// cfg: policy cfg%3 (Fair, FIFO, Barging), limit 1+cfg/3%4.
	f.Add(uint8(9), []byte{1, 2, 1, 3, 0, 1, 4, 2, 4, 1, 4, 1, 10, 1, 4, 4})              // Fair, 4: a new request barges
	f.Add(uint8(10), []byte{1, 3, 1, 2, 0, 1, 4, 1, 4, 2, 0, 1})                          // FIFO: TryAcquire respects the queue
	f.Add(uint8(11), []byte{1, 3, 1, 3, 1, 2, 4, 1, 4, 2, 4, 2})                          // Barging: a small waiter passes a big one
	f.Add(uint8(6), []byte{1, 3, 1, 3, 1, 1, 3, 0, 4, 3, 3, 0, 4, 3})                     // cancel the head: the next one proceeds
	f.Add(uint8(7), []byte{5, 2, 5, 2, 14, 1, 6, 0, 6, 2, 6, 4, 15, 0})                   // Do's fn returns nil, an error, panics
	f.Add(uint8(8), []byte{5, 1, 5, 2, 3, 1, 3, 0, 6, 2, 6, 0})                           // cancel a queued Do, and a running one
	f.Add(uint8(0), []byte{5, 0, 1, 0, 0, 0, 2, 0, 2, 1, 2, 3, 6, 0})                     // zero permits; done contexts
	f.Add(uint8(3), []byte{1, 2, 1, 1, 5, 1, 7, 0, 4, 7, 4, 2, 0, 1, 1, 1, 4, 2, 2, 2})   // Close fails waiters; Release after it
	f.Add(uint8(4), []byte{4, 7, 1, 1, 4, 15, 4, 0, 4, 1})                                // over-releases
	f.Add(uint8(9), []byte{1, 3, 1, 2, 8, 0, 4, 1, 0, 1, 4, 2, 1, 2, 4, 1, 4, 1, 0, 1})   // Fair after 1 ms
	f.Add(uint8(9), []byte{1, 2, 1, 1, 1, 3, 8, 0, 4, 1, 0, 1, 1, 2, 4, 2, 0, 1})         // Fair hand-off: new requests queue
	f.Add(uint8(10), []byte{1, 2, 1, 3, 10, 2, 19, 2, 8, 0, 4, 1, 13, 0, 4, 2, 22, 1, 3}) // FIFO, three keys, time passes
	f.Fuzz(func(t *testing.T, cfg uint8, data []byte) {
		synctest.Test(t, func(t *testing.T) {
			runKeyedModel(t, semaphore.Policy(cfg%3), 1+int64(cfg/3%4), data)
		})
	})
}

func runKeyedModel(t *testing.T, policy semaphore.Policy, limit int64, data []byte) {
	if len(data) > 256 {
		data = data[:256] // 128 operations: keep one run fast
	}
	k := semaphore.NewKeyed[int](limit, semaphore.WithPolicy(policy))
	m := &keyedModel{policy: policy, limit: limit, done: map[int]string{}}
	type result struct {
		id  int
		err error
	}
	results := make(chan result, len(data))
	started := make(chan int, len(data))
	var reqs []*keyedReq
	got := map[int]string{}
	canceled, stop := context.WithCancel(t.Context())
	stop()
	defer func() { // let every call return, even after a failure
		k.Close()
		for _, r := range reqs {
			r.cancel()
			if r.do {
				select {
				case r.ctl <- 0:
				default:
				}
			}
		}
	}()
	newReq := func(key int, n int64, do bool) *keyedReq {
		ctx, cancel := context.WithCancel(t.Context())
		r := &keyedReq{id: len(reqs), key: key, n: n, do: do, cancel: cancel}
		reqs = append(reqs, r)
		if !do {
			go func() { results <- result{r.id, k.Acquire(ctx, key, n)} }()
			return r
		}
		r.ctl = make(chan int, 1)
		go func() {
			err := k.Do(ctx, key, n, func() error {
				started <- r.id
				switch <-r.ctl {
				case 1:
					return errKeyedFn
				case 2:
					panic(fmt.Sprint("boom #", r.id))
				}
				return nil
			})
			results <- result{r.id, err}
		}()
		return r
	}
	check := func(step string) {
		t.Helper()
		synctest.Wait()
		events := map[int]string{}
		for len(started) > 0 {
			events[<-started] = "running"
		}
		for len(results) > 0 {
			res := <-results
			events[res.id] = keyedResult(reqs[res.id], res.err)
		}
		for key := range m.keys {
			if err := m.reconcile(key, events); err != nil {
				t.Fatalf("after %s: %v", step, err)
			}
		}
		maps.Copy(got, events)
		if !maps.Equal(got, m.done) {
			t.Fatalf("after %s: calls %v, want %v", step, got, m.done)
		}
		for key := range m.keys {
			if h := k.Held(key); h != m.keys[key].held {
				t.Fatalf("after %s: Held(%d) = %d, want %d", step, key, h, m.keys[key].held)
			}
		}
		if l := k.Len(); l != m.inUse() {
			t.Fatalf("after %s: Len() = %d, want %d keys in use", step, l, m.inUse())
		}
		if l := k.Limit(); l != limit {
			t.Fatalf("after %s: Limit() = %d, want %d", step, l, limit)
		}
	}

	for len(data) >= 2 {
		op, key, arg := data[0]%9, int(data[0]/9%keyedKeys), int64(data[1])
		data = data[2:]
		mk := &m.keys[key]
		var step string
		switch op {
		case 0:
			n := arg % (limit + 2)
			step = fmt.Sprintf("TryAcquire(%d, %d)", key, n)
			got := k.TryAcquire(key, n)
			free := limit - mk.held
			switch {
			case m.closed || n == 0 || !mk.loose:
				if want := !m.closed && (n == 0 || m.fits(key, n)); got != want {
					t.Fatalf("%s: got %v, want %v", step, got, want)
				}
			case got && (n > free || mk.handoff()), !got && n <= free && len(mk.queue) == 0:
				// Fair refuses free permits in hand-off mode, which needs
				// waiters.
				t.Fatalf("%s with %d free and %d waiting: got %v", step, free, len(mk.queue), got)
			}
			if got {
				mk.held += n
				mk.own += n
			}
		case 1:
			r := newReq(key, arg%(limit+2), false)
			step = fmt.Sprintf("Acquire#%d(%d, %d)", r.id, key, r.n)
			m.admit(r)
		case 5:
			r := newReq(key, arg%(limit+2), true)
			step = fmt.Sprintf("Do#%d(%d, %d)", r.id, key, r.n)
			m.admit(r)
		case 2:
			// A done context fails first, whatever the state, and leaves
			// no key behind.
			n := arg / 2 % (limit + 2)
			if arg%2 == 0 {
				step = fmt.Sprintf("Acquire(canceled, %d, %d)", key, n)
				if r := resultOf(k.Acquire(canceled, key, n)); r != "canceled" {
					t.Fatalf("%s: got %s, want canceled", step, r)
				}
			} else {
				step = fmt.Sprintf("Do(canceled, %d, %d)", key, n)
				err := k.Do(canceled, key, n, func() error {
					t.Errorf("%s: fn called", step)
					return nil
				})
				if r := resultOf(err); r != "canceled" {
					t.Fatalf("%s: got %s, want canceled", step, r)
				}
			}
		case 3:
			var live []*keyedReq
			for _, r := range reqs {
				if !r.canceled {
					live = append(live, r)
				}
			}
			if len(live) == 0 {
				continue
			}
			r := live[int(arg)%len(live)]
			step = fmt.Sprintf("cancel #%d", r.id)
			r.cancel()
			r.canceled = true
			rk := &m.keys[r.key]
			if slices.Contains(rk.queue, r) {
				m.served(r.key)
				if !rk.loose {
					m.withdraw(r, "canceled")
					m.serve(r.key)
				}
			}
		case 4:
			n := arg % (mk.own + 1)
			if arg%8 == 7 {
				n = mk.held + 1 + arg/8%2
			}
			step = fmt.Sprintf("Release(%d, %d)", key, n)
			p := func() (p any) {
				defer func() { p = recover() }()
				k.Release(key, n)
				return nil
			}()
			if n > mk.held {
				if p != "semaphore: released more than held" {
					t.Fatalf("%s with %d held: panicked with %v", step, mk.held, p)
				}
				break // and nothing changed
			}
			if p != nil {
				t.Fatalf("%s with %d held: panicked with %v", step, mk.held, p)
			}
			mk.held -= n
			mk.own -= n
			if n > 0 {
				m.served(key)
			}
			m.serve(key)
		case 6:
			if len(m.running) == 0 {
				continue
			}
			i := int(arg) % len(m.running)
			r, how := m.running[i], int(arg/2%3)
			step = fmt.Sprintf("end Do#%d's fn with %s", r.id, [...]string{"nil", "an error", "a panic"}[how])
			r.ctl <- how
			m.running = slices.Delete(m.running, i, i+1)
			m.done[r.id] = [...]string{"ok", "error", "panic"}[how]
			m.keys[r.key].held -= r.n
			if r.n > 0 {
				m.served(r.key)
			}
			m.serve(r.key)
		case 7:
			if arg%4 != 0 {
				continue
			}
			step = "Close"
			k.Close()
			m.closed = true
			for key := range m.keys {
				if rk := &m.keys[key]; !rk.loose {
					for len(rk.queue) > 0 {
						m.withdraw(rk.queue[0], "closed")
					}
				}
			}
		case 8:
			step = "2 ms pass"
			time.Sleep(2 * time.Millisecond)
			m.epoch++
			if policy == semaphore.Fair {
				for key := range m.keys {
					if rk := &m.keys[key]; len(rk.queue) > 0 {
						rk.loose = true
					}
				}
			}
		}
		check(step)
	}

	// Close, give everything back: every call returns, no key is left.
	k.Close()
	m.closed = true
	for key := range m.keys {
		rk := &m.keys[key]
		if !rk.loose {
			for len(rk.queue) > 0 {
				m.withdraw(rk.queue[0], "closed")
			}
		}
		k.Release(key, rk.own)
		rk.held -= rk.own
		rk.own = 0
	}
	for _, r := range m.running {
		r.ctl <- 0
		m.done[r.id] = "ok"
		m.keys[r.key].held -= r.n
	}
	m.running = nil
	check("Close and releasing all")
	if len(got) != len(reqs) {
		t.Fatalf("%d of %d calls returned", len(got), len(reqs))
	}
	if l := k.Len(); l != 0 {
		t.Fatalf("Len() = %d once all is released", l)
	}
}
