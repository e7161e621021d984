package future_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/future"
)

// This file drives trees of Then and Compose over promises, Go futures and
// executor futures, with callbacks, Cancel anywhere and the waiting
// combinators, inside a synctest bubble, and compares every future after
// each operation with a sequential model of the documented rules:
//
//   - Then: fn runs once when the source succeeds, never when it fails or
//     is canceled (the result fails with the source's very error), and
//     never when the result was canceled first; a panic is a *PanicError.
//   - Compose: the same, and the result takes the outcome of the future fn
//     returns (ErrNilFuture for none); canceling a result that waits for
//     its inner future cancels the context fn was given, which reaches a
//     Go future made with it, and nothing else.
//   - Cancel never propagates upstream: a source stays as it was.
//   - Callbacks run exactly once, in order, once their future is done.
//
// It reuses the outcomes, error types and helpers of FuzzExecutor
// (fzOut*, fzTaskErr, fzCtxErr, fzCbPanic, the waiter kinds, fzLeaves,
// fzKey). FZLOG=1 logs each run's operations.
//
// What the scheduler decides, the model learns from the code and checks
// for consistency: which way a task that was both released and canceled in
// one op went, whether Go's or Submit's future was canceled before it
// started when Cancel follows at once, and whether a combinator's Cancel
// reached a derived future before the cascade that was completing it on
// another goroutine (then a combinator must have targeted it in that op).

const (
	chOpPromise = iota
	chOpGo      // flags: bit 0 honours ctx, bit 1 Cancel at once
	chOpExec    // the same, on the executor
	chOpThen    // parent, fn kind
	chOpCompose // parent, fn kind
	chOpRelease // node, outcome
	chOpCancel  // node
	chOpOnDone  // node, panics
	chOpWaiter  // kind, count, nodes
	chOps
)

// Node kinds.
const (
	chPromise = iota
	chGo
	chExec
	chThen
	chCompose
)

var chKindNames = [...]string{"promise", "Go", "exec", "Then", "Compose"}

// What a Then or Compose fn does.
const (
	chFnValue = iota
	chFnError
	chFnPanic
	chFnGoexit // not under an executor future, whose worker would report it
	chFnNil    // Compose only from here; chFnValue returns a failed future
	chFnDone
	chFnPromise
	chFnGo
	chComposeKinds
	chThenKinds = chFnNil
)

// Outcomes beyond FuzzExecutor's fzOut*.
const (
	chOutFrom  = 100 + iota // the parent's error
	chOutInner              // the inner future's outcome
	chOutNil                // ErrNilFuture
)

type chNode struct {
	id     int
	kind   int
	parent *chNode // Then, Compose
	fnKind int
	honour bool
	inner  *chNode // Compose with chFnPromise or chFnGo
	outer  *chNode // set on an inner node
	born   bool    // an inner node exists once its Compose fn ran
	fut    *future.Future[int]
	prom   future.Promise[int]
	rel    chan int

	// The model.
	state       future.State
	outcome     int
	ref         *chNode // chOutFrom, chOutInner
	doneOp      int
	byTask      bool // completed by its executor task returning
	released    bool
	ctxCanceled bool // its task's (or Compose fn's) context is canceled
	fnRan       bool
	targeted    int // op in which a combinator canceled it
	targetedAt  map[int]bool
	startOp     int
	oracle      int // op in which the model learnt it was canceled concurrently
	cbs         []fzCb
}

func (n *chNode) final() bool { return n.state == future.Finished || n.state == future.Canceled }

// hasErr and succeeded are the model's outcome.
func (n *chNode) hasErr() bool {
	if !n.final() {
		return false
	}
	switch n.outcome {
	case fzOutValue:
		return false
	case chOutInner:
		return n.ref.hasErr()
	}
	return true
}
func (n *chNode) succeeded() bool { return n.final() && !n.hasErr() }

type chObs struct {
	mu      sync.Mutex
	took    map[int]int // how a task ended: fzOut*
	fnRan   map[int]int
	fnIn    map[int]int
	cbRan   map[int][]int
	inner   map[int]*future.Future[int]
	innerP  map[int]future.Promise[int]
	bad     []string
	started map[int]bool
	// ctxDoneAtStart lists the Then and Compose fns whose context was done
	// when they started.
	ctxDoneAtStart map[int]bool
}

type chWaiter struct {
	id     int
	kind   int
	s      []*chNode
	uniq   []*chNode
	start  int
	d0     []*chNode
	fired  bool
	fireOp int

	// Under chObs.mu.
	returned      bool
	yielded       []*future.Future[int]
	done, notDone []*future.Future[int]
	vals          []int
	outs          []future.Outcome[int]
	v             int
	err           error
}

type chModel struct {
	t       *testing.T
	e       *future.Executor
	obs     *chObs
	log     bool
	op      int
	nodes   []*chNode
	waiters []*chWaiter
	kept    map[string]int
	took    map[int]int // the tasks' chObs.took as of this settle
}

// FuzzChain drives chains and trees of Then and Compose with a random
// sequence of operations and checks them against a sequential model (see
// the comment at the top of this file).
func FuzzChain(f *testing.F) {
	for _, seed := range [][]byte{
		// promise → Then → Then, resolved; callbacks before and after.
		{chOpPromise, chOpThen, 0, chFnValue, chOpThen, 1, chFnValue, chOpOnDone, 2, 1, chOpRelease, 0, 0, chOpOnDone, 2, 0},
		// a rejected source fails the whole chain with its error.
		{chOpPromise, chOpThen, 0, chFnValue, chOpCompose, 1, chFnGo, chOpRelease, 0, 1},
		// Cancel of the source, of a middle link, of the end.
		{chOpPromise, chOpThen, 0, chFnValue, chOpThen, 1, chFnValue, chOpCancel, 1, chOpRelease, 0, 0},
		{chOpPromise, chOpThen, 0, chFnValue, chOpThen, 1, chFnError, chOpCancel, 0},
		{chOpPromise, chOpCompose, 0, chFnPromise, chOpThen, 1, chFnPanic, chOpRelease, 0, 0, chOpCancel, 2, chOpRelease, 3, 0},
		// Go and executor sources: value, error, panic, Goexit, ctx.
		{chOpGo, 1, chOpExec, 0, chOpThen, 0, chFnValue, chOpThen, 1, chFnValue, chOpRelease, 0, 2, chOpRelease, 1, 3},
		{chOpGo, 1, chOpThen, 0, chFnValue, chOpCancel, 0, chOpExec, 3, chOpThen, 2, chFnValue},
		{chOpExec, 1, chOpOnDone, 0, 1, chOpThen, 0, chFnPanic, chOpOnDone, 1, 1, chOpRelease, 0, 0},
		// Compose: nil future, error, panic, already done, a promise later
		// canceled, a Go future canceled through the result's Cancel.
		{chOpPromise, chOpCompose, 0, chFnNil, chOpCompose, 0, chFnError, chOpCompose, 0, chFnPanic, chOpCompose, 0, chFnDone, chOpRelease, 0, 0},
		{chOpPromise, chOpCompose, 0, chFnPromise, chOpRelease, 0, 0, chOpCancel, 2, chOpOnDone, 1, 0},
		{chOpGo, 0, chOpCompose, 0, chFnGo, chOpRelease, 0, 0, chOpCancel, 1, chOpThen, 1, chFnValue},
		// Waiters over a chain.
		{chOpPromise, chOpThen, 0, chFnValue, chOpCompose, 1, chFnPromise, chOpWaiter, fzAsCompleted, 3, 0, 1, 2,
			chOpWaiter, fzAll, 2, 1, 2, chOpRelease, 0, 0, chOpRelease, 3, 0},
		{chOpPromise, chOpThen, 0, chFnValue, chOpThen, 0, chFnError, chOpWaiter, fzRace, 2, 1, 2, chOpRelease, 0, 0},
		{chOpPromise, chOpThen, 0, chFnValue, chOpThen, 1, chFnValue, chOpWaiter, fzRace, 2, 1, 2, chOpRelease, 0, 0},
		{chOpGo, 1, chOpThen, 0, chFnError, chOpThen, 0, chFnValue, chOpWaiter, fzAny, 2, 1, 2,
			chOpWaiter, fzWaitFirstError, 2, 1, 2, chOpWaiter, fzAllSettled, 3, 0, 1, 2, chOpRelease, 0, 0},
		{chOpPromise, chOpCompose, 0, chFnGo, chOpThen, 1, chFnValue, chOpWaiter, fzAll, 2, 0, 2, chOpWaiter, fzWaitFirst, 1, 2, chOpRelease, 0, 1},
		{chOpPromise, chOpCompose, 0, chFnGo, chOpThen, 1, chFnValue, chOpRelease, 0, 0, chOpWaiter, fzRace, 2, 1, 2, chOpCancel, 2},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 120 {
			data = data[:120] // keep one iteration fast
		}
		synctest.Test(t, func(t *testing.T) { chRun(t, data) })
	})
}

func chRun(t *testing.T, data []byte) {
	in := fzInput(data)
	next := in.next
	m := &chModel{
		t: t,
		obs: &chObs{took: map[int]int{}, fnRan: map[int]int{}, fnIn: map[int]int{}, cbRan: map[int][]int{},
			inner: map[int]*future.Future[int]{}, innerP: map[int]future.Promise[int]{}, started: map[int]bool{}, ctxDoneAtStart: map[int]bool{}},
		log:  os.Getenv("FZLOG") != "",
		kept: map[string]int{},
	}
	m.e = future.NewExecutor(64) // never queues: at most 40 nodes
	defer m.cleanup()
	for len(in) > 0 && len(m.nodes) < 40 {
		m.op++
		m.do(next)
		synctest.Wait()
		m.settle()
		m.check()
	}
	m.finale()
}

func (m *chModel) logf(format string, args ...any) {
	if m.log {
		m.t.Logf("op %d: "+format, append([]any{m.op}, args...)...)
	}
}

// cleanup lets every goroutine of the bubble end after a failed check.
func (m *chModel) cleanup() {
	if !m.t.Failed() {
		return
	}
	for _, n := range m.nodes {
		if n.fut != nil {
			n.fut.Cancel()
		}
		if n.rel != nil {
			select {
			case n.rel <- fzOutValue:
			default:
			}
		}
		if n.kind == chPromise && n.born {
			_ = n.prom.Resolve(0)
		}
	}
	m.e.Stop()
}

func (m *chModel) newNode(kind int) *chNode {
	n := &chNode{id: len(m.nodes), kind: kind, born: true, targeted: -1, oracle: -1}
	m.nodes = append(m.nodes, n)
	return n
}

// pick returns a node that exists, or nil.
func (m *chModel) pick(b int) *chNode {
	var born []*chNode
	for _, n := range m.nodes {
		if n.born {
			born = append(born, n)
		}
	}
	if len(born) == 0 {
		return nil
	}
	return born[b%len(born)]
}

// task returns the body of a Go or executor node.
func (m *chModel) task(n *chNode) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		m.obs.mu.Lock()
		m.obs.started[n.id] = true
		m.obs.mu.Unlock()
		var o int
		if n.honour {
			select {
			case o = <-n.rel:
			case <-ctx.Done():
				o = fzOutCtx
			}
		} else {
			o = <-n.rel
		}
		m.obs.mu.Lock()
		m.obs.took[n.id] = o
		m.obs.mu.Unlock()
		switch o {
		case fzOutError:
			return -2, fzTaskErr{n.id}
		case fzOutPanic:
			panic(fzTaskErr{n.id})
		case fzOutGoexit:
			runtime.Goexit()
		case fzOutCtx:
			return -1, fzCtxErr{n.id, ctx.Err()}
		}
		return 1000 + n.id, nil
	}
}

// enter records that the fn of Then or Compose node n runs, with input v.
func (m *chModel) enter(n *chNode, ctx context.Context, v int) {
	m.obs.mu.Lock()
	defer m.obs.mu.Unlock()
	m.obs.fnRan[n.id]++
	m.obs.fnIn[n.id] = v
	if ctx.Err() != nil {
		// Only a combinator's Cancel between the start and fn may have
		// done that: checked against the model.
		m.obs.ctxDoneAtStart[n.id] = true
	}
}

func (m *chModel) do(next func() int) {
	t := m.t
	switch op := next() % chOps; op {
	case chOpPromise:
		n := m.newNode(chPromise)
		n.prom = future.NewPromise[int]()
		n.fut = n.prom.Future()
		m.logf("node %d: promise", n.id)
	case chOpGo, chOpExec:
		flags := next()
		n := m.newNode(chGo)
		if op == chOpExec {
			n.kind = chExec
		}
		n.honour = flags&1 != 0
		n.rel = make(chan int, 1)
		if op == chOpGo {
			n.fut = future.Go(context.Background(), m.task(n))
		} else {
			var err error
			n.fut, err = future.Submit(context.Background(), m.e, m.task(n))
			require.NoError(t, err)
		}
		n.state = future.Running
		m.logf("node %d: %s (honours ctx %v, cancel at once %v)", n.id, chKindNames[n.kind], n.honour, flags&2 != 0)
		if flags&2 != 0 {
			// Whether the task started first is the scheduler's.
			switch got := n.fut.Cancel(); got {
			case future.Canceled:
				m.complete(n, fzOutCanceled, nil)
			case future.Running:
				n.ctxCanceled = true
			default:
				t.Fatalf("op %d: Cancel of a new %s future returned %v", m.op, chKindNames[n.kind], got)
			}
		}
	case chOpThen:
		p, kind := m.pick(next()), next()%chThenKinds
		if p == nil {
			return
		}
		kind = m.safeKind(p, kind)
		n := m.newNode(chThen)
		n.parent, n.fnKind = p, kind
		m.logf("node %d: Then(%d, fn %d)", n.id, p.id, kind)
		defer m.lost(n)
		m.call(func() {
			n.fut = future.Then(p.fut, func(ctx context.Context, v int) (int, error) {
				m.enter(n, ctx, v)
				switch kind {
				case chFnError:
					return -2, fzTaskErr{n.id}
				case chFnPanic:
					panic(fzTaskErr{n.id})
				case chFnGoexit:
					runtime.Goexit()
				}
				return 1000 + n.id, nil
			})
		})
	case chOpCompose:
		p, kind := m.pick(next()), next()%chComposeKinds
		if p == nil {
			return
		}
		kind = m.safeKind(p, kind)
		n := m.newNode(chCompose)
		n.parent, n.fnKind = p, kind
		if kind == chFnPromise || kind == chFnGo {
			in := m.newNode(chPromise)
			in.born, in.outer = false, n
			if kind == chFnGo {
				in.kind, in.honour, in.rel = chGo, true, make(chan int, 1)
			}
			n.inner = in
		}
		m.logf("node %d: Compose(%d, fn %d)", n.id, p.id, kind)
		defer m.lost(n)
		m.call(func() {
			n.fut = future.Compose(p.fut, func(ctx context.Context, v int) (*future.Future[int], error) {
				m.enter(n, ctx, v)
				switch kind {
				case chFnNil:
					return nil, nil
				case chFnError:
					return nil, fzTaskErr{n.id}
				case chFnPanic:
					panic(fzTaskErr{n.id})
				case chFnGoexit:
					runtime.Goexit()
				case chFnDone:
					pr := future.NewPromise[int]()
					_ = pr.Resolve(1000 + n.id)
					return pr.Future(), nil
				case chFnPromise:
					pr := future.NewPromise[int]()
					m.obs.mu.Lock()
					m.obs.innerP[n.inner.id] = pr
					m.obs.inner[n.inner.id] = pr.Future()
					m.obs.mu.Unlock()
					return pr.Future(), nil
				case chFnGo:
					g := future.Go(ctx, m.task(n.inner))
					m.obs.mu.Lock()
					m.obs.inner[n.inner.id] = g
					m.obs.mu.Unlock()
					return g, nil
				}
				// chFnValue: a future that has already failed.
				pr := future.NewPromise[int]()
				_ = pr.Reject(fzTaskErr{n.id})
				return pr.Future(), nil
			})
		})
		if p.final() {
			// fn runs at once; the cascade is settled below.
			m.logf("  (its source is done)")
		}
	case chOpRelease:
		n, out := m.pick(next()), next()
		if n == nil {
			return
		}
		switch {
		case n.kind == chPromise:
			var err error
			returned := m.call(func() {
				if out%2 == 0 {
					m.logf("resolve promise %d", n.id)
					err = n.prom.Resolve(1000 + n.id)
				} else {
					m.logf("reject promise %d", n.id)
					err = n.prom.Reject(fzTaskErr{n.id})
				}
			})
			if !returned {
				// A Then or Compose fn called Goexit: what the promise
				// returned is lost with the goroutine.
				if !n.final() {
					m.complete(n, []int{fzOutValue, fzOutError}[out%2], nil)
				}
				break
			}
			if n.final() {
				require.ErrorIs(t, err, future.ErrAlreadyCompleted, "op %d: completing done promise %d", m.op, n.id)
				break
			}
			var want []string
			for _, cb := range n.cbs {
				if cb.panicky {
					want = append(want, fmt.Sprintf("cb:%d:%d", n.id, cb.id))
				}
			}
			var got []string
			for _, e := range fzLeaves(err) {
				got = append(got, fzKey(e))
			}
			require.Equal(t, want, got, "op %d: what completing promise %d returned (%v)", m.op, n.id, err)
			m.complete(n, []int{fzOutValue, fzOutError}[out%2], nil)
		case n.rel != nil:
			if n.final() || n.released {
				return
			}
			m.logf("release %s task %d with outcome %d", chKindNames[n.kind], n.id, out%4)
			n.released = true
			n.rel <- out % 4
		}
	case chOpCancel:
		n := m.pick(next())
		if n == nil {
			return
		}
		m.logf("Cancel node %d (%v)", n.id, n.state)
		want := n.state
		got := n.fut.Cancel()
		m.cancel(n)
		if want == future.Pending {
			want = future.Canceled
		}
		require.Equal(t, want, got, "op %d: Cancel of node %d", m.op, n.id)
	case chOpOnDone:
		n, panicky := m.pick(next()), next()%2 == 1
		if n == nil {
			return
		}
		cb := fzCb{id: len(n.cbs), panicky: panicky, ran: n.final()}
		n.cbs = append(n.cbs, cb)
		m.logf("OnDone on node %d (panics %v)", n.id, panicky)
		err := n.fut.OnDone(func(*future.Future[int]) {
			m.obs.mu.Lock()
			m.obs.cbRan[n.id] = append(m.obs.cbRan[n.id], cb.id)
			m.obs.mu.Unlock()
			if panicky {
				panic(fzCbPanic{n.id, cb.id})
			}
		})
		if !cb.ran || !panicky {
			require.NoError(t, err, "op %d: OnDone on node %d", m.op, n.id)
			break
		}
		var pe *future.PanicError
		require.ErrorAs(t, err, &pe, "op %d: OnDone on done node %d with a panicking callback", m.op, n.id)
		require.Equal(t, fzCbPanic{n.id, cb.id}, pe.Value, "op %d: OnDone's panic", m.op)
	case chOpWaiter:
		m.startWaiter(next)
	}
}

// call runs fn on a goroutine of its own, since a Then or Compose fn that
// fn runs may call runtime.Goexit, and reports whether fn returned.
func (m *chModel) call(fn func()) bool {
	done := make(chan bool)
	go func() {
		returned := false
		defer func() { done <- returned }()
		fn()
		returned = true
	}()
	return <-done
}

// lost drops n from the run if making it did not return: its fn ran at
// once, on a source already done, and called runtime.Goexit.
func (m *chModel) lost(n *chNode) {
	if n.fut == nil {
		m.logf("  node %d: its fn ended the goroutine that made it", n.id)
		n.born = false
		if n.inner != nil {
			n.inner.outer = nil
		}
	}
}

// safeKind keeps runtime.Goexit out of fns that could run on an executor
// worker: the executor reports a worker's Goexit itself (FuzzExecutor
// covers that).
func (m *chModel) safeKind(p *chNode, kind int) int {
	if kind != chFnGoexit {
		return kind
	}
	for a := p; a != nil; a = a.parent {
		if a.kind == chExec || a.outer != nil && m.underExec(a.outer) {
			return chFnPanic
		}
	}
	return kind
}

func (m *chModel) underExec(n *chNode) bool {
	for a := n; a != nil; a = a.parent {
		if a.kind == chExec {
			return true
		}
	}
	return false
}

// cancel is Future.Cancel in the model.
func (m *chModel) cancel(n *chNode) {
	switch n.state {
	case future.Pending:
		m.complete(n, fzOutCanceled, nil)
	case future.Running:
		m.cancelCtx(n)
	}
}

// cancelCtx cancels the context of n's task or Compose fn: a Go future
// that a Compose fn made with it sees it too.
func (m *chModel) cancelCtx(n *chNode) {
	if n.ctxCanceled {
		return
	}
	n.ctxCanceled = true
	if n.kind == chCompose && n.fnKind == chFnGo && n.inner.born {
		m.cancelCtx(n.inner)
	}
}

// complete makes n final in the model and runs its callbacks.
func (m *chModel) complete(n *chNode, outcome int, ref *chNode) {
	require.False(m.t, n.final(), "op %d: model: node %d completed twice", m.op, n.id)
	n.outcome, n.ref, n.doneOp = outcome, ref, m.op
	n.state = future.Finished
	if outcome == fzOutCanceled {
		n.state = future.Canceled
	}
	n.byTask = n.kind == chExec && outcome != fzOutCanceled && outcome != fzOutGoexit
	for i := range n.cbs {
		cb := &n.cbs[i]
		if !cb.ran {
			cb.ran = true
			// An executor future's callbacks that ran when its task
			// returned report their panics to the pool too.
			if cb.panicky && n.byTask {
				m.kept[fmt.Sprintf("cb:%d:%d", n.id, cb.id)]++
			}
		}
	}
}

// realCanceled reports whether the code canceled n.
func realCanceled(n *chNode) bool { return n.fut.State() == future.Canceled }

// cascade completes in the model what follows from what is done, until
// nothing changes.
//
// Without tasks, it leaves out the tasks that returned: they complete on
// goroutines of their own, concurrently with the caller, a combinator.
func (m *chModel) cascade(tasks bool) {
	took := m.took
	for progress := true; progress; {
		progress = false
		for _, n := range m.nodes {
			if !n.born || n.final() {
				continue
			}
			switch n.kind {
			case chGo, chExec:
				o, ok := took[n.id]
				if !ok || !tasks {
					continue
				}
				if o == fzOutCtx && !n.ctxCanceled || o != fzOutCtx && !n.released {
					continue // not yet in the model; checked below
				}
				m.complete(n, o, nil)
				progress = true
			case chThen, chCompose:
				if n.state == future.Running {
					if n.inner.final() {
						m.complete(n, chOutInner, n.inner)
						progress = true
					}
					continue
				}
				p := n.parent
				if !p.final() {
					continue
				}
				progress = true
				if realCanceled(n) {
					// A combinator canceled it on another goroutine before
					// the cascade reached it: settle checks that one did.
					n.oracle = m.op
					m.complete(n, fzOutCanceled, nil)
					continue
				}
				if p.hasErr() {
					// Then and Compose fail with the source's error, a
					// source canceled included.
					m.complete(n, chOutFrom, p)
					continue
				}
				m.start(n)
			}
		}
	}
}

// settle brings the model to where the code must be once every goroutine
// is blocked, until nothing changes.
func (m *chModel) settle() {
	m.obs.mu.Lock()
	m.took = maps(m.obs.took)
	m.obs.mu.Unlock()
	for {
		// The cascades on the completing goroutines first: a waiter
		// they wake may cancel what they have not reached yet, which
		// fire learns from the code.
		m.cascade(true)
		progress := false
		for _, w := range m.waiters {
			if !w.fired && m.fire(w) {
				progress = true
			}
		}
		if !progress {
			break
		}
	}
	took := m.took
	for _, n := range m.nodes {
		if o, ok := took[n.id]; ok && !n.final() {
			m.t.Fatalf("op %d: task %d returned with outcome %d, but it was not released (%v) or its context canceled (%v)", m.op, n.id, o, n.released, n.ctxCanceled)
		}
		if n.targeted == m.op && n.born && n.state == future.Pending {
			m.t.Fatalf("op %d: a combinator canceled node %d, which is still pending", m.op, n.id)
		}
		if n.oracle == m.op && n.targeted != m.op {
			m.t.Fatalf("op %d: node %d was canceled, but nothing canceled it", m.op, n.id)
		}
		if n.born && n.state == future.Running && (n.kind == chGo || n.kind == chExec) && (n.released || n.honour && n.ctxCanceled) {
			m.t.Fatalf("op %d: task %d should have returned (released %v, context canceled %v)", m.op, n.id, n.released, n.ctxCanceled)
		}
	}
}

func maps(m map[int]int) map[int]int {
	out := make(map[int]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// start runs n's fn in the model: its source succeeded and n was Pending.
func (m *chModel) start(n *chNode) {
	n.fnRan, n.startOp = true, m.op
	switch n.fnKind {
	case chFnValue:
		if n.kind == chCompose {
			m.complete(n, fzOutError, nil) // its inner future failed
			break
		}
		m.complete(n, fzOutValue, nil)
	case chFnDone:
		m.complete(n, fzOutValue, nil)
	case chFnError:
		m.complete(n, fzOutError, nil)
	case chFnPanic:
		m.complete(n, fzOutPanic, nil)
	case chFnGoexit:
		m.complete(n, fzOutGoexit, nil)
	case chFnNil:
		m.complete(n, chOutNil, nil)
	case chFnPromise, chFnGo:
		n.state = future.Running
		in := n.inner
		m.obs.mu.Lock()
		in.fut, in.prom = m.obs.inner[in.id], m.obs.innerP[in.id]
		m.obs.mu.Unlock()
		require.NotNil(m.t, in.fut, "op %d: Compose fn of node %d did not run", m.op, n.id)
		in.born = true
		if in.kind == chGo {
			in.state = future.Running
		}
		m.logf("  node %d: the inner %s of node %d", in.id, chKindNames[in.kind], n.id)
	}
}

func (m *chModel) startWaiter(next func() int) {
	w := &chWaiter{id: len(m.waiters), kind: next() % fzWaiterKinds, start: m.op}
	cnt := next() % 5
	var fs []*future.Future[int]
	for range cnt {
		n := m.pick(next())
		if n == nil {
			break
		}
		w.s = append(w.s, n)
		fs = append(fs, n.fut)
	}
	for _, n := range w.s {
		if !slices.Contains(w.uniq, n) {
			w.uniq = append(w.uniq, n)
			if n.final() {
				w.d0 = append(w.d0, n)
			}
		}
	}
	m.logf("waiter %d: %s over %v", w.id, fzWaiterNames[w.kind], chIDs(w.s))
	m.waiters = append(m.waiters, w)
	go func() {
		ctx := context.Background()
		var r chWaiter
		switch w.kind {
		case fzWaitAll, fzWaitFirst, fzWaitFirstError:
			when := [...]future.ReturnWhen{future.AllCompleted, future.FirstCompleted, future.FirstError}[w.kind]
			r.done, r.notDone, r.err = future.Wait(ctx, when, fs...)
		case fzAsCompleted:
			for f := range future.AsCompleted(ctx, fs...) {
				m.obs.mu.Lock()
				w.yielded = append(w.yielded, f)
				m.obs.mu.Unlock()
			}
		case fzAll:
			r.vals, r.err = future.All(ctx, fs...)
		case fzAny:
			r.v, r.err = future.Any(ctx, fs...)
		case fzRace:
			r.v, r.err = future.Race(ctx, fs...)
		case fzAllSettled:
			r.outs, r.err = future.AllSettled(ctx, fs...)
		}
		m.obs.mu.Lock()
		w.done, w.notDone, w.vals, w.v, w.outs, w.err = r.done, r.notDone, r.vals, r.v, r.outs, r.err
		w.returned = true
		m.obs.mu.Unlock()
	}()
}

func chIDs(ns []*chNode) []int {
	out := make([]int, 0, len(ns))
	for _, n := range ns {
		out = append(out, n.id)
	}
	return out
}

// fire reports whether w's condition holds, and if so applies what w does
// when it returns.
func (m *chModel) fire(w *chWaiter) bool {
	allFinal, anyFinal, anyErr, anyFailed, anySucc := true, false, false, false, false
	for _, n := range w.uniq {
		allFinal = allFinal && n.final()
		anyFinal = anyFinal || n.final()
		anyErr = anyErr || n.hasErr()
		anyFailed = anyFailed || n.state == future.Finished && n.hasErr()
		anySucc = anySucc || n.succeeded()
	}
	fire, cancel := fzFires(w.kind, allFinal, anyFinal, anyErr, anyFailed, anySucc)
	if !fire {
		return false
	}
	w.fired, w.fireOp = true, m.op
	if cancel {
		for _, n := range w.uniq {
			n.targeted = m.op
			if n.targetedAt == nil {
				n.targetedAt = map[int]bool{}
			}
			n.targetedAt[m.op] = true
			switch {
			case n.state == future.Pending && n.parent != nil && !realCanceled(n):
				// A cascade completing it on another goroutine got
				// there first: settle goes on with it, and checks that
				// it did.
			default:
				m.cancel(n)
				// What the cancel completes, it completes on this
				// goroutine, before the combinator cancels the next.
				m.cascade(false)
			}
		}
	}
	return true
}

// requireOutcome checks a node's value and error against the model.
func (m *chModel) requireOutcome(n *chNode, v int, err error, what string) {
	t := m.t
	msg := fmt.Sprintf("op %d: %s of node %d (%s, outcome %d)", m.op, what, n.id, chKindNames[n.kind], n.outcome)
	switch n.outcome {
	case fzOutValue:
		require.NoError(t, err, msg)
		require.Equal(t, 1000+n.id, v, msg)
	case fzOutError:
		require.Equal(t, fzTaskErr{n.id}, err, msg)
		if n.kind == chPromise || n.kind == chCompose {
			require.Zero(t, v, msg)
		} else {
			require.Equal(t, -2, v, msg)
		}
	case fzOutPanic:
		var pe *future.PanicError
		require.ErrorAs(t, err, &pe, msg)
		require.Equal(t, fzTaskErr{n.id}, pe.Value, msg)
		require.ErrorIs(t, err, fzTaskErr{n.id}, msg)
		require.Zero(t, v, msg)
	case fzOutGoexit:
		require.ErrorIs(t, err, future.ErrGoexit, msg)
		require.Zero(t, v, msg)
	case fzOutCtx:
		var ce fzCtxErr
		require.ErrorAs(t, err, &ce, msg)
		require.Equal(t, n.id, ce.id, msg)
		require.ErrorIs(t, err, context.Canceled, msg)
		require.Equal(t, -1, v, msg)
	case fzOutCanceled:
		require.Equal(t, future.ErrCanceled, err, msg)
		require.ErrorIs(t, err, context.Canceled, msg)
		require.Zero(t, v, msg)
	case chOutFrom:
		_, perr, _ := n.ref.fut.TryResult()
		require.Error(t, perr, msg)
		require.True(t, err == perr, "%s: error %v, want the source's (node %d) %v", msg, err, n.ref.id, perr)
		require.Zero(t, v, msg)
	case chOutInner:
		iv, ierr, _ := n.ref.fut.TryResult()
		require.True(t, err == ierr, "%s: error %v, want the inner future's (node %d) %v", msg, err, n.ref.id, ierr)
		require.Equal(t, iv, v, msg)
	case chOutNil:
		require.ErrorIs(t, err, future.ErrNilFuture, msg)
		require.Zero(t, v, msg)
	}
}

func (m *chModel) check() {
	t := m.t
	m.obs.mu.Lock()
	defer m.obs.mu.Unlock()
	require.Empty(t, m.obs.bad, "op %d", m.op)
	for _, n := range m.nodes {
		if !n.born {
			continue
		}
		require.Equal(t, n.state, n.fut.State(), "op %d: State of node %d (%s)", m.op, n.id, chKindNames[n.kind])
		v, err, ok := n.fut.TryResult()
		require.Equal(t, n.final(), ok, "op %d: TryResult's ok for node %d", m.op, n.id)
		if ok {
			m.requireOutcome(n, v, err, "TryResult")
			select {
			case <-n.fut.Done():
			default:
				t.Fatalf("op %d: Done of node %d is open", m.op, n.id)
			}
		}
		if n.kind == chThen || n.kind == chCompose {
			want := 0
			if n.fnRan {
				want = 1
				pv, _, _ := n.parent.fut.TryResult()
				require.Equal(t, pv, m.obs.fnIn[n.id], "op %d: the value fn of node %d got", m.op, n.id)
			}
			require.Equal(t, want, m.obs.fnRan[n.id], "op %d: how many times fn of node %d ran", m.op, n.id)
			if m.obs.ctxDoneAtStart[n.id] {
				require.True(t, n.targetedAt[n.startOp], "op %d: fn of node %d started with its context done, but nothing canceled it", m.op, n.id)
			}
		}
		if (n.kind == chGo || n.kind == chExec) && n.state == future.Canceled {
			require.False(t, m.obs.started[n.id], "op %d: task %d ran, but its future was canceled before it started", m.op, n.id)
		}
		var ran []int
		var panics []string
		for _, cb := range n.cbs {
			if cb.ran {
				ran = append(ran, cb.id)
				if cb.panicky {
					panics = append(panics, fmt.Sprintf("cb:%d:%d", n.id, cb.id))
				}
			}
		}
		require.Equal(t, ran, m.obs.cbRan[n.id], "op %d: callbacks run on node %d", m.op, n.id)
		var have []string
		for _, e := range fzLeaves(n.fut.CallbackErr()) {
			have = append(have, fzKey(e))
		}
		require.Equal(t, panics, have, "op %d: CallbackErr of node %d", m.op, n.id)
	}
	for _, w := range m.waiters {
		m.checkWaiter(w)
	}
}

// nodeOf maps a future back to its node.
func (m *chModel) nodeOf(f *future.Future[int]) *chNode {
	for _, n := range m.nodes {
		if n.fut == f {
			return n
		}
	}
	m.t.Fatalf("op %d: a waiter returned a future it was not given", m.op)
	return nil
}

// checkWaiter checks what a waiter delivered against the model: it returns
// in the op its condition holds, with the outcomes of futures done by then.
// chObs.mu is held.
func (m *chModel) checkWaiter(w *chWaiter) {
	t := m.t
	name := fmt.Sprintf("op %d: waiter %d, %s over %v (started op %d)", m.op, w.id, fzWaiterNames[w.kind], chIDs(w.s), w.start)
	doneBy := func(n *chNode, op int) bool { return n.final() && n.doneOp <= op }
	if w.kind == fzAsCompleted {
		var got []*chNode
		for _, f := range w.yielded {
			n := m.nodeOf(f)
			require.True(t, doneBy(n, m.op), "%s: yielded node %d before it was done", name, n.id)
			got = append(got, n)
		}
		require.False(t, hasDupNodes(got), "%s: yielded %v", name, chIDs(got))
		require.True(t, len(got) <= len(w.d0) || subsetNodes(w.d0, got[:len(w.d0)]), "%s: yielded %v, the done ones %v first", name, chIDs(got), chIDs(w.d0))
		for _, n := range w.uniq {
			if n.final() && n.doneOp < m.op {
				require.Contains(t, got, n, "%s: node %d done but not yielded", name, n.id)
			}
		}
	}
	require.Equal(t, w.fired, w.returned, "%s: returned", name)
	if !w.returned {
		return
	}
	// The futures whose outcome may have decided it.
	var cands []*chNode
	for _, n := range w.uniq {
		if n.final() && (n.doneOp == w.fireOp || slices.Contains(w.d0, n)) {
			cands = append(cands, n)
		}
	}
	errOf := func(n *chNode) error { _, err, _ := n.fut.TryResult(); return err }
	valOf := func(n *chNode) int { v, _, _ := n.fut.TryResult(); return v }
	switch w.kind {
	case fzWaitAll, fzWaitFirst, fzWaitFirstError:
		require.NoError(t, w.err, name)
		var done []*chNode
		for _, f := range w.done {
			n := m.nodeOf(f)
			require.True(t, doneBy(n, w.fireOp), "%s: node %d in done, not done", name, n.id)
			done = append(done, n)
		}
		require.Len(t, append(slices.Clone(w.done), w.notDone...), len(w.uniq), name)
		for _, n := range w.uniq {
			if doneBy(n, w.fireOp-1) {
				require.Contains(t, done, n, "%s: node %d done before, not in done", name, n.id)
			}
		}
		if w.kind == fzWaitAll {
			require.Empty(t, w.notDone, name)
		}
	case fzAll:
		if w.err == nil {
			require.Len(t, w.vals, len(w.s), name)
			for i, n := range w.s {
				require.True(t, n.succeeded(), "%s: succeeded, but node %d did not", name, n.id)
				require.Equal(t, valOf(n), w.vals[i], name)
			}
			break
		}
		require.Nil(t, w.vals, name)
		require.True(t, slices.ContainsFunc(cands, func(n *chNode) bool { return n.hasErr() && errOf(n) == w.err }),
			"%s: error %v, want the error of one of %v", name, w.err, chIDs(cands))
	case fzAny:
		if len(w.uniq) == 0 {
			require.ErrorIs(t, w.err, future.ErrNoFutures, name)
			break
		}
		if w.err == nil {
			require.True(t, slices.ContainsFunc(cands, func(n *chNode) bool { return n.succeeded() && valOf(n) == w.v }),
				"%s: value %d, want the value of one of %v", name, w.v, chIDs(cands))
			break
		}
		leaves := fzLeaves(w.err)
		require.Len(t, leaves, len(w.uniq), "%s: error %v", name, w.err)
		for i, n := range w.uniq {
			require.True(t, n.hasErr(), "%s: failed, but node %d did not", name, n.id)
			require.True(t, leaves[i] == errOf(n), name)
		}
	case fzRace:
		if len(w.uniq) == 0 {
			require.ErrorIs(t, w.err, future.ErrNoFutures, name)
			break
		}
		if len(w.d0) > 0 {
			cands = w.d0[:1]
		}
		require.True(t, slices.ContainsFunc(cands, func(n *chNode) bool {
			return w.err == errOf(n) && w.v == valOf(n)
		}), "%s: outcome %d, %v, want that of one of %v", name, w.v, w.err, chIDs(cands))
	case fzAllSettled:
		require.NoError(t, w.err, name)
		require.Len(t, w.outs, len(w.s), name)
		for i, n := range w.s {
			require.Equal(t, future.Outcome[int]{Value: valOf(n), Err: errOf(n)}, w.outs[i], name)
		}
	}
}

func hasDupNodes(a []*chNode) bool {
	for i, x := range a {
		if slices.Contains(a[i+1:], x) {
			return true
		}
	}
	return false
}

func subsetNodes(a, b []*chNode) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// finale completes every source, one per op, then shuts the executor down
// and checks that everything is done and every panic was reported once.
func (m *chModel) finale() {
	for _, n := range m.nodes {
		if !n.born || n.final() || n.released {
			continue
		}
		switch {
		case n.kind == chPromise:
			m.op++
			m.logf("finale: resolve promise %d", n.id)
			m.call(func() { _ = n.prom.Resolve(1000 + n.id) })
			m.complete(n, fzOutValue, nil)
		case n.rel != nil:
			m.op++
			m.logf("finale: release task %d", n.id)
			n.released = true
			n.rel <- fzOutValue
		default:
			continue
		}
		synctest.Wait()
		m.settle()
		m.check()
	}
	// Inner nodes born during the loop above.
	for again := true; again; {
		again = false
		for _, n := range m.nodes {
			if n.born && !n.final() && (n.kind == chPromise || n.rel != nil && !n.released) {
				again = true
				m.op++
				if n.kind == chPromise {
					m.call(func() { _ = n.prom.Resolve(1000 + n.id) })
					m.complete(n, fzOutValue, nil)
				} else {
					n.released = true
					n.rel <- fzOutValue
				}
				synctest.Wait()
				m.settle()
				m.check()
			}
		}
	}
	t := m.t
	for _, n := range m.nodes {
		require.True(t, !n.born || n.final(), "node %d (%s) is not done at the end", n.id, chKindNames[n.kind])
	}
	err := m.e.Shutdown(context.Background())
	got := map[string]int{}
	for _, e := range fzLeaves(err) {
		got[fzKey(e)]++
	}
	require.Equal(t, m.kept, got, "the callback panics the executor reported")
	synctest.Wait()
	m.obs.mu.Lock()
	defer m.obs.mu.Unlock()
	for _, w := range m.waiters {
		require.True(t, w.returned, "waiter %d has not returned at the end", w.id)
	}
}
