package future_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

// This file drives an Executor, its futures and the waiting combinators
// with a sequence of operations decoded from the fuzz input, inside a
// synctest bubble, and compares them after every operation with a
// sequential model. synctest.Wait after each operation lets everything
// settle, so that the state is deterministic: every task blocks until the
// fuzzer releases it (with a value, an error, a panic or a Goexit) or, for
// a task that honours its context, until that context is done.
// FZLOG=1 logs each run's operations.
//
// What the code leaves to the scheduler, the model leaves open too:
//
//   - Completions within one operation (a Stop, a context shared by several
//     running tasks, a combinator canceling the rest) happen on different
//     goroutines: the model puts them in one batch, in no order, and
//     checks the order only between batches.
//   - A combinator (All, Any, Race) that cancels a future the pool is
//     starting at that moment, because the completion that woke the
//     combinator also freed the slot, may find it Pending (it never runs)
//     or Running (its context is canceled). The model learns which from
//     the code, and checks that a combinator did cancel it in that
//     operation.
//   - A task whose context was canceled by several causes before it looked
//     (Stop, Future.Cancel, its submit context) may see any of them.
//   - Shutdown calls that return together split the kept errors between
//     them: the model checks their union, each error exactly once.
//
// Two points where the model follows the code rather than a reading of the
// docs (see stop and finish): Stop's count includes the futures that
// Future.Cancel canceled while their tasks were still queued, and the
// panics of the callbacks of a future whose task ended with runtime.Goexit
// stay on the future (Submit's doc: only a callback "that ran when fn
// returned" goes to the pool).

// Operations, the first byte of each (modulo fzOps).
const (
	fzOpSubmit    = iota // flags: bit 0 honours ctx; bits 1-2: background, ctx 0, ctx 1, TrySubmit
	fzOpSubmitFF         // the same, as a fire-and-forget Executor.Submit
	fzOpRelease          // task index, outcome
	fzOpCancelCtx        // which submit context
	fzOpCancel           // future index: Future.Cancel
	fzOpClose
	fzOpShutdown    // flag: with a context the fuzzer cancels later
	fzOpCancelWaits // cancels the contexts of the Shutdowns and waiters still waiting
	fzOpStop
	fzOpWaiter // kind (bit 3: with a context the fuzzer cancels later), count, future indexes
	fzOpResult // future index
	fzOpOnDone // future index, flag: the callback panics
	fzOps
)

// How a task ends. The first four are how the fuzzer releases it.
const (
	fzOutValue = iota
	fzOutError
	fzOutPanic
	fzOutGoexit
	fzOutCtx      // it honoured its context
	fzOutCanceled // a future canceled before it started
	fzOutDropped  // a fire-and-forget task that Stop dropped
)

// Waiter kinds.
const (
	fzWaitAll = iota
	fzWaitFirst
	fzWaitFirstError
	fzAsCompleted
	fzAll
	fzAny
	fzRace
	fzAllSettled
	fzWaiterKinds
)

var fzWaiterNames = [...]string{"Wait(AllCompleted)", "Wait(FirstCompleted)", "Wait(FirstError)", "AsCompleted", "All", "Any", "Race", "AllSettled"}

// fzTaskErr is the error a task released with an error returns, and the
// value one released with a panic panics with.
type fzTaskErr struct{ id int }

func (e fzTaskErr) Error() string { return fmt.Sprintf("task %d failed", e.id) }

// fzCtxErr is what a task that honours its context returns when it is done.
type fzCtxErr struct {
	id    int
	cause error
}

func (e fzCtxErr) Error() string { return fmt.Sprintf("task %d: %v", e.id, e.cause) }
func (e fzCtxErr) Unwrap() error { return e.cause }

// fzCause is the cause of a canceled submit context.
type fzCause struct{ slot, gen int }

func (c fzCause) Error() string { return fmt.Sprintf("submit context %d.%d canceled", c.slot, c.gen) }

// fzCbPanic is the value a panicking done-callback panics with.
type fzCbPanic struct{ fut, cb int }

var (
	errFzShutdown = errors.New("shutdown context canceled")
	errFzResult   = errors.New("result context canceled")
	errFzWait     = errors.New("waiter context canceled")
)

type fzTask struct {
	id       int
	ff       bool // fire-and-forget: Executor.Submit, no future
	honour   bool // returns when its context is done
	slot     int  // -1: background context; 0, 1: a cancellable one; 2: TrySubmit
	gen      int  // generation of the cancellable context
	rel      chan int
	fut      *future.Future[int]
	rejected bool

	// The model.
	state    future.State // fire-and-forget tasks use the same states
	released int          // fzOut* it was released with, or -1
	outcome  int
	causes   []error // the possible causes of its context being done
	causeOps []int   // the op in which each cause came
	doneOp   int
	targeted int // the op in which a combinator canceled it, or -1
	oracle   int // the op in which the model learnt from the code it was canceled, or -1
	cbs      []fzCb
}

type fzCb struct {
	id      int
	panicky bool
	ran     bool
}

// fzValueKey is the key of the value each cancellable submit context carries.
type fzValueKey struct{}

// value is the value of fzKey that task k's context must carry.
func (k *fzTask) value() any {
	if k.slot == 0 || k.slot == 1 {
		return fzCause{k.slot, k.gen}
	}
	return nil
}

func (k *fzTask) addCause(err error, op int) {
	k.causes = append(k.causes, err)
	k.causeOps = append(k.causeOps, op)
}

func (k *fzTask) final() bool { return k.state == future.Finished || k.state == future.Canceled }
func (k *fzTask) hasErr() bool {
	return k.final() && k.outcome != fzOutValue
}
func (k *fzTask) succeeded() bool { return k.state == future.Finished && k.outcome == fzOutValue }
func (k *fzTask) failed() bool    { return k.state == future.Finished && k.outcome != fzOutValue }

type fzWaiter struct {
	id     int
	kind   int
	s      []int // future ids, duplicates kept
	uniq   []int
	start  int
	d0     []int // the futures done when it started, in argument order
	fired  bool
	fireOp int
	// cancel cancels its context, if the fuzzer may; canceled says it
	// returned because of that.
	cancel   context.CancelCauseFunc
	canceled bool

	// Written by the waiter's goroutine, under fzObs.mu.
	returned      bool
	yielded       []int
	done, notDone []int
	vals          []int
	outs          []future.Outcome[int]
	v             int
	err           error
}

type fzStopper struct {
	called     int // op
	expDropped int
	returned   bool // under fzObs.mu
	dropped    int
}

type fzShutter struct {
	cancel    context.CancelCauseFunc // nil: background context
	canceled  bool
	expReturn bool
	expCause  bool // returns the context's cause, not the kept errors
	returned  bool // under fzObs.mu
	err       error
}

// fzObs is what the goroutines of the bubble report.
type fzObs struct {
	mu      sync.Mutex
	started []int
	ctxErr  map[int]error // a task's ctx.Err() when its context ended it
	relCtx  map[int]error // a task's ctx.Err() when the fuzzer released it
	cbRan   map[int][]int
	// badValue lists the tasks whose context did not carry the value of
	// their submit context.
	badValue []string
}

type fzModel struct {
	t     *testing.T
	e     *future.Executor
	obs   *fzObs
	log   bool
	limit int
	op    int

	tasks    []*fzTask
	futs     []*fzTask // the accepted futures
	queue    []*fzTask
	running  int
	closed   bool
	stopped  bool
	starts   []int
	waiters  []*fzWaiter
	stoppers []*fzStopper
	shutters []*fzShutter
	kept     map[string]int
	// realStarts is the code's start log, read by settle to learn which
	// way a race the docs leave open went.
	realStarts []int
	ctxs       [2]struct {
		ctx    context.Context
		cancel context.CancelCauseFunc
		gen    int
	}
}

// FuzzExecutor drives an Executor of limit 1 to 3, the futures it hands
// out, and Wait, AsCompleted, All, Any, Race and AllSettled over them with
// a random sequence of operations, and checks them against a sequential
// model: each future's state and outcome, which tasks run (at most the
// limit, in FIFO order), what each waiter has delivered so far, what Stop
// drops, that submissions fail once the executor is closed, where each
// panic goes (once), and, at the end, that no goroutine is left (synctest).
func FuzzExecutor(f *testing.F) {
	// The first byte sets the limit; then each operation and its
	// arguments (see fzOp*). One seed per operation, then mixes.
	for _, seed := range [][]byte{
		{0, fzOpSubmit, 0, fzOpRelease, 0, fzOutValue},
		{1, fzOpSubmitFF, 0, fzOpSubmitFF, 1, fzOpRelease, 0, fzOutError, fzOpRelease, 1, fzOutPanic},
		{0, fzOpSubmit, 0, fzOpSubmit, 0, fzOpSubmit, 0, fzOpSubmit, 0,
			fzOpRelease, 0, fzOutError, fzOpRelease, 1, fzOutPanic, fzOpRelease, 2, fzOutGoexit, fzOpRelease, 3, fzOutValue},
		{1, fzOpSubmit, 3, fzOpSubmit, 3, fzOpSubmit, 5, fzOpCancelCtx, 0, fzOpCancelCtx, 1},
		{0, fzOpSubmit, 1, fzOpSubmit, 0, fzOpSubmit, 0, fzOpCancel, 1, fzOpCancel, 0, fzOpRelease, 0, fzOutValue},
		{0, fzOpSubmit, 0, fzOpSubmit, 0, fzOpClose, fzOpSubmit, 0, fzOpRelease, 0, fzOutValue},
		{0, fzOpSubmit, 0, fzOpShutdown, 1, fzOpCancelWaits, fzOpShutdown, 0, fzOpRelease, 0, fzOutValue},
		{1, fzOpSubmit, 1, fzOpSubmitFF, 1, fzOpSubmit, 0, fzOpSubmit, 0, fzOpSubmitFF, 0, fzOpCancel, 2, fzOpStop, fzOpRelease, 0, fzOutValue},
		{2, fzOpSubmit, 0, fzOpSubmit, 0, fzOpSubmit, 0, fzOpWaiter, fzAsCompleted, 3, 0, 1, 2,
			fzOpRelease, 2, fzOutValue, fzOpRelease, 0, fzOutError, fzOpRelease, 1, fzOutValue},
		{0, fzOpSubmit, 0, fzOpSubmit, 0, fzOpSubmit, 0, fzOpWaiter, fzRace, 2, 1, 2, fzOpCancel, 1},
		{1, fzOpSubmit, 1, fzOpSubmit, 1, fzOpSubmit, 0, fzOpSubmit, 0, fzOpWaiter, fzAll, 3, 0, 1, 2, fzOpRelease, 0, fzOutError},
		{1, fzOpSubmit, 0, fzOpSubmit, 0, fzOpSubmit, 0, fzOpWaiter, fzAny, 3, 0, 1, 2, fzOpRelease, 1, fzOutError, fzOpRelease, 0, fzOutValue},
		{2, fzOpSubmit, 0, fzOpSubmit, 0, fzOpSubmit, 0, fzOpWaiter, fzWaitFirstError, 3, 0, 1, 2, fzOpRelease, 0, fzOutValue, fzOpRelease, 1, fzOutError},
		{1, fzOpSubmit, 0, fzOpSubmit, 0, fzOpWaiter, fzWaitFirst, 2, 0, 1, fzOpWaiter, fzWaitAll, 2, 0, 1,
			fzOpWaiter, fzAllSettled, 2, 1, 0, fzOpRelease, 1, fzOutValue, fzOpRelease, 0, fzOutPanic},
		{0, fzOpSubmit, 0, fzOpSubmit, 0, fzOpResult, 1, fzOpRelease, 0, fzOutValue, fzOpResult, 0, fzOpCancel, 1, fzOpResult, 1},
		{0, fzOpSubmit, 0, fzOpOnDone, 0, 1, fzOpOnDone, 0, 0, fzOpRelease, 0, fzOutValue, fzOpOnDone, 0, 1},
		{1, fzOpSubmit, 0, fzOpSubmit, 0, fzOpSubmit, 0, fzOpWaiter, fzWaiterKinds + fzWaitAll, 2, 0, 1,
			fzOpWaiter, fzWaiterKinds + fzAsCompleted, 2, 1, 2, fzOpWaiter, fzWaiterKinds + fzAny, 2, 2, 1,
			fzOpRelease, 0, fzOutError, fzOpCancelWaits},
		{1, fzOpSubmit, 1, fzOpSubmit, 3, fzOpSubmitFF, 1, fzOpSubmit, 0, fzOpWaiter, fzRace, 2, 2, 3, fzOpOnDone, 3, 1,
			fzOpCancelCtx, 0, fzOpWaiter, fzAll, 2, 0, 3, fzOpShutdown, 1, fzOpRelease, 1, fzOutValue, fzOpStop},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 160 {
			data = data[:160] // keep one iteration fast
		}
		synctest.Test(t, func(t *testing.T) { fzRun(t, data) })
	})
}

// fzInput is what is left of a fuzz input; next takes its first byte, and
// gives 0 once it is used up.
type fzInput []byte

func (in *fzInput) next() int {
	if len(*in) == 0 {
		return 0
	}
	b := (*in)[0]
	*in = (*in)[1:]
	return int(b)
}

func fzRun(t *testing.T, data []byte) {
	in := fzInput(data)
	next := in.next
	m := &fzModel{
		t:     t,
		obs:   &fzObs{ctxErr: map[int]error{}, relCtx: map[int]error{}, cbRan: map[int][]int{}},
		log:   os.Getenv("FZLOG") != "",
		limit: next()%3 + 1,
		kept:  map[string]int{},
	}
	m.e = future.NewExecutor(m.limit)
	for s := range m.ctxs {
		m.newCtx(s)
	}
	defer m.cleanup()
	m.logf("NewExecutor(%d)", m.limit)
	for len(in) > 0 {
		m.op++
		m.do(next)
		synctest.Wait()
		m.settle()
		m.check()
	}
	m.finale()
}

// newCtx makes the cancellable submit context of slot s, carrying a value
// the tasks check.
func (m *fzModel) newCtx(s int) {
	c := &m.ctxs[s]
	c.ctx, c.cancel = context.WithCancelCause(context.WithValue(context.Background(), fzValueKey{}, fzCause{s, c.gen}))
}

func (m *fzModel) logf(format string, args ...any) {
	if m.log {
		m.t.Logf("op %d: "+format, append([]any{m.op}, args...)...)
	}
}

// cleanup lets every goroutine of the bubble end after a failed check, so
// that the failure is reported rather than a deadlock.
func (m *fzModel) cleanup() {
	if !m.t.Failed() {
		return
	}
	for _, k := range m.tasks {
		select {
		case k.rel <- fzOutValue:
		default:
		}
	}
	m.cancelAll()
	m.e.Stop()
}

// cancelAll cancels every context the run made: the submits', the
// Shutdown calls' and the waiters'.
func (m *fzModel) cancelAll() {
	for _, c := range m.ctxs {
		c.cancel(nil)
	}
	for _, sh := range m.shutters {
		if sh.cancel != nil {
			sh.cancel(nil)
		}
	}
	for _, w := range m.waiters {
		if w.cancel != nil {
			w.cancel(nil)
		}
	}
}

func (m *fzModel) do(next func() int) {
	switch op := next() % fzOps; op {
	case fzOpSubmit, fzOpSubmitFF:
		m.submit(op == fzOpSubmitFF, next())
	case fzOpRelease:
		idx, out := next(), next()%4
		if len(m.tasks) == 0 {
			return
		}
		k := m.tasks[idx%len(m.tasks)]
		m.logf("release task %d with outcome %d", k.id, out)
		if k.rejected || k.final() || k.released >= 0 {
			return
		}
		k.released = out
		k.rel <- out
	case fzOpCancelCtx:
		s := next() % 2
		c := &m.ctxs[s]
		cause := fzCause{s, c.gen}
		m.logf("cancel submit context %d.%d", s, c.gen)
		c.cancel(cause)
		for _, k := range m.tasks {
			if k.slot == s && k.gen == c.gen && !k.rejected && !k.final() {
				k.addCause(cause, m.op)
			}
		}
		c.gen++
		m.newCtx(s)
	case fzOpCancel:
		k := m.pickFuture(next())
		if k == nil {
			return
		}
		m.logf("Cancel future %d (%v)", k.id, k.state)
		got := k.fut.Cancel()
		want := m.cancelFuture(k, false)
		require.Equal(m.t, want, got, "op %d: Cancel of future %d", m.op, k.id)
	case fzOpClose:
		m.logf("Close")
		m.closed = true
		m.e.Close()
	case fzOpShutdown:
		sh := &fzShutter{}
		ctx := context.Background()
		if next()%2 == 1 {
			ctx, sh.cancel = context.WithCancelCause(ctx)
		}
		m.logf("Shutdown (cancellable %v)", sh.cancel != nil)
		m.closed = true
		m.shutters = append(m.shutters, sh)
		go func() {
			err := m.e.Shutdown(ctx)
			m.obs.mu.Lock()
			sh.returned, sh.err = true, err
			m.obs.mu.Unlock()
		}()
	case fzOpCancelWaits:
		m.logf("cancel the contexts of the Shutdowns and waiters")
		for _, sh := range m.shutters {
			if sh.cancel != nil && !sh.canceled {
				sh.canceled = true
				sh.cancel(errFzShutdown)
			}
		}
		for _, w := range m.waiters {
			if w.cancel != nil && !w.fired {
				// It returns now, with what it has: nothing is
				// happening to its futures meanwhile.
				w.fired, w.fireOp, w.canceled = true, m.op, true
				w.cancel(errFzWait)
			}
		}
	case fzOpStop:
		m.stop()
	case fzOpWaiter:
		m.startWaiter(next)
	case fzOpResult:
		k := m.pickFuture(next())
		if k == nil {
			return
		}
		m.logf("Result of future %d", k.id)
		v, err, ok := k.fut.TryResult()
		require.Equal(m.t, k.final(), ok, "op %d: TryResult's ok for future %d", m.op, k.id)
		if k.final() {
			v2, err2 := k.fut.Result(context.Background())
			m.obs.mu.Lock()
			defer m.obs.mu.Unlock()
			m.requireOutcome(k, v, err, "TryResult")
			m.requireOutcome(k, v2, err2, "Result")
			break
		}
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(errFzResult)
		v, err = k.fut.Result(ctx)
		require.Zero(m.t, v, "op %d: Result of pending future %d with a canceled context", m.op, k.id)
		require.ErrorIs(m.t, err, errFzResult, "op %d: Result of pending future %d with a canceled context", m.op, k.id)
		select {
		case <-k.fut.Done():
			m.t.Fatalf("op %d: Done of pending future %d is closed", m.op, k.id)
		default:
		}
	case fzOpOnDone:
		k := m.pickFuture(next())
		panicky := next()%2 == 1
		if k == nil {
			return
		}
		cb := fzCb{id: len(k.cbs), panicky: panicky, ran: k.final()}
		k.cbs = append(k.cbs, cb)
		m.logf("OnDone on future %d (panics %v)", k.id, panicky)
		fid := k.id
		err := k.fut.OnDone(func(*future.Future[int]) {
			m.obs.mu.Lock()
			m.obs.cbRan[fid] = append(m.obs.cbRan[fid], cb.id)
			m.obs.mu.Unlock()
			if panicky {
				panic(fzCbPanic{fid, cb.id})
			}
		})
		if !cb.ran || !panicky {
			require.NoError(m.t, err, "op %d: OnDone on future %d", m.op, k.id)
			break
		}
		var pe *future.PanicError
		require.ErrorAs(m.t, err, &pe, "op %d: OnDone on done future %d with a panicking callback", m.op, k.id)
		require.Equal(m.t, fzCbPanic{fid, cb.id}, pe.Value, "op %d: OnDone's panic", m.op)
	}
}

func (m *fzModel) pickFuture(b int) *fzTask {
	if len(m.futs) == 0 {
		return nil
	}
	return m.futs[b%len(m.futs)]
}

// taskFunc returns the body of task k.
func (m *fzModel) taskFunc(k *fzTask) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		m.obs.mu.Lock()
		m.obs.started = append(m.obs.started, k.id)
		if got, want := ctx.Value(fzValueKey{}), k.value(); got != want {
			m.obs.badValue = append(m.obs.badValue, fmt.Sprintf("task %d: value %v, want %v", k.id, got, want))
		}
		m.obs.mu.Unlock()
		var out int
		select {
		case out = <-k.rel: // a release sent before the start comes first
		default:
			if !k.honour {
				out = <-k.rel
				break
			}
			select {
			case out = <-k.rel:
			case <-ctx.Done():
				m.obs.mu.Lock()
				m.obs.ctxErr[k.id] = ctx.Err()
				m.obs.mu.Unlock()
				return -1, fzCtxErr{k.id, context.Cause(ctx)}
			}
		}
		m.obs.mu.Lock()
		m.obs.relCtx[k.id] = ctx.Err()
		m.obs.mu.Unlock()
		switch out {
		case fzOutValue:
			return 1000 + k.id, nil
		case fzOutError:
			return -2, fzTaskErr{k.id}
		case fzOutPanic:
			panic(fzTaskErr{k.id})
		}
		runtime.Goexit()
		return 0, nil
	}
}

func (m *fzModel) submit(ff bool, flags int) {
	k := &fzTask{
		id: len(m.tasks), ff: ff, honour: flags&1 == 1, slot: (flags>>1)%4 - 1,
		rel: make(chan int, 1), released: -1, targeted: -1, oracle: -1,
	}
	m.tasks = append(m.tasks, k)
	fn := m.taskFunc(k)
	ctx := context.Background()
	if k.slot == 0 || k.slot == 1 {
		ctx, k.gen = m.ctxs[k.slot].ctx, m.ctxs[k.slot].gen
	}
	m.logf("submit task %d (fire-and-forget %v, honours ctx %v, ctx %d)", k.id, ff, k.honour, k.slot)
	var err error
	switch {
	case ff && k.slot == 2:
		err = m.e.TrySubmit(func(ctx context.Context) error { _, err := fn(ctx); return err })
	case ff:
		err = m.e.Submit(ctx, func(ctx context.Context) error { _, err := fn(ctx); return err })
	case k.slot == 2:
		k.fut, err = future.TrySubmit(m.e, fn)
	default:
		k.fut, err = future.Submit(ctx, m.e, fn)
	}
	if m.closed {
		require.ErrorIs(m.t, err, future.ErrClosed, "op %d: submit after Close/Shutdown/Stop", m.op)
		require.Nil(m.t, k.fut, "op %d: future of a refused submit", m.op)
		k.rejected = true
		return
	}
	require.NoError(m.t, err, "op %d: submit", m.op)
	if !ff {
		require.NotNil(m.t, k.fut)
		m.futs = append(m.futs, k)
	}
	m.queue = append(m.queue, k)
}

// finish records that k is done, with its outcome; byTask says its task
// ran on the pool and returned, so that the panics of its callbacks go to
// the pool as well as to the future.
func (m *fzModel) finish(k *fzTask, outcome int, byTask bool) {
	if k.state == future.Running {
		m.running--
	}
	k.outcome, k.doneOp = outcome, m.op
	k.state = future.Finished
	if outcome == fzOutCanceled || outcome == fzOutDropped {
		k.state = future.Canceled
	}
	if k.ff {
		switch outcome {
		case fzOutError:
			m.kept[fmt.Sprintf("err:%d", k.id)]++
		case fzOutPanic:
			m.kept[fmt.Sprintf("panic:%d", k.id)]++
		case fzOutGoexit:
			m.kept["goexit"]++
		case fzOutCtx:
			m.kept[fmt.Sprintf("ctx:%d", k.id)]++
		}
		return
	}
	for i := range k.cbs {
		cb := &k.cbs[i]
		if cb.ran {
			continue
		}
		cb.ran = true
		// A task that ends with runtime.Goexit has no return for the
		// pool to report: its callbacks' panics stay on the future.
		if cb.panicky && byTask && outcome != fzOutGoexit {
			m.kept[fmt.Sprintf("cb:%d:%d", k.id, cb.id)]++
		}
	}
}

// cancelFuture is Future.Cancel in the model.
func (m *fzModel) cancelFuture(k *fzTask, byCombinator bool) future.State {
	if byCombinator {
		k.targeted = m.op
		if k.final() && k.doneOp == m.op {
			// It completed in this op too, on another goroutine: the
			// combinator may have canceled its context before it looked.
			k.addCause(context.Canceled, m.op)
		}
	}
	switch k.state {
	case future.Pending:
		if byCombinator && slices.Contains(m.realStarts, k.id) {
			// The worker the completion freed started it first: the
			// model starts it next, with its context canceled.
			k.addCause(context.Canceled, m.op)
			return future.Running
		}
		m.finish(k, fzOutCanceled, false)
		return future.Canceled
	case future.Running:
		k.addCause(context.Canceled, m.op)
	}
	return k.state
}

func (m *fzModel) stop() {
	st := &fzStopper{called: m.op}
	if !m.stopped {
		// Every task still in the pool's queue, a future that
		// Future.Cancel canceled there included (its task stays queued
		// until a worker takes it): Stop's doc says "the futures it
		// canceled", which leaves those out.
		st.expDropped = len(m.queue)
	}
	m.logf("Stop (queue %d, running %d)", len(m.queue), m.running)
	m.closed, m.stopped = true, true
	for _, k := range m.queue {
		switch {
		case k.ff:
			m.finish(k, fzOutDropped, false)
		case k.state == future.Pending:
			m.finish(k, fzOutCanceled, false)
		}
	}
	m.queue = nil
	for _, k := range m.tasks {
		if k.state == future.Running {
			k.addCause(pool.ErrStopped, m.op)
		}
	}
	m.stoppers = append(m.stoppers, st)
	go func() {
		d := m.e.Stop()
		m.obs.mu.Lock()
		st.returned, st.dropped = true, d
		m.obs.mu.Unlock()
	}()
}

func (m *fzModel) startWaiter(next func() int) {
	b := next()
	w := &fzWaiter{id: len(m.waiters), kind: b % fzWaiterKinds, start: m.op}
	ctx := context.Background()
	if b/fzWaiterKinds%2 == 1 {
		ctx, w.cancel = context.WithCancelCause(ctx)
	}
	n := next() % 5
	var fs []*future.Future[int]
	ids := map[*future.Future[int]]int{}
	for range n {
		k := m.pickFuture(next())
		if k == nil {
			break
		}
		w.s = append(w.s, k.id)
		fs = append(fs, k.fut)
		ids[k.fut] = k.id
	}
	for _, id := range w.s {
		if !slices.Contains(w.uniq, id) {
			w.uniq = append(w.uniq, id)
			if m.tasks[id].final() {
				w.d0 = append(w.d0, id)
			}
		}
	}
	m.logf("waiter %d: %s over %v (cancellable %v)", w.id, fzWaiterNames[w.kind], w.s, w.cancel != nil)
	m.waiters = append(m.waiters, w)
	toIDs := func(fs []*future.Future[int]) []int {
		out := make([]int, 0, len(fs))
		for _, f := range fs {
			out = append(out, ids[f])
		}
		return out
	}
	go func() {
		var r fzWaiter
		switch w.kind {
		case fzWaitAll, fzWaitFirst, fzWaitFirstError:
			when := [...]future.ReturnWhen{future.AllCompleted, future.FirstCompleted, future.FirstError}[w.kind]
			done, notDone, err := future.Wait(ctx, when, fs...)
			r.done, r.notDone, r.err = toIDs(done), toIDs(notDone), err
		case fzAsCompleted:
			for f := range future.AsCompleted(ctx, fs...) {
				m.obs.mu.Lock()
				w.yielded = append(w.yielded, ids[f])
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

// settle brings the model to where the code must be once every goroutine
// is blocked: free slots take queued tasks, released tasks and tasks whose
// context is done return, and waiters whose condition holds return and
// cancel what they cancel, until nothing changes.
func (m *fzModel) settle() {
	m.obs.mu.Lock()
	m.realStarts = slices.Clone(m.obs.started)
	m.obs.mu.Unlock()
	for progress := true; progress; {
		progress = false
		for m.running < m.limit && len(m.queue) > 0 {
			k := m.queue[0]
			m.queue = m.queue[1:]
			progress = true
			if k.state == future.Canceled {
				continue // a worker takes it and finds nothing to run
			}
			if !k.ff && k.fut.State() == future.Canceled && !slices.Contains(m.realStarts, k.id) {
				// A combinator canceled it before the worker could start
				// it; checked below.
				k.oracle = m.op
				m.finish(k, fzOutCanceled, false)
				continue
			}
			k.state = future.Running
			m.running++
			m.starts = append(m.starts, k.id)
		}
		for _, k := range m.tasks {
			if k.state != future.Running {
				continue
			}
			switch {
			case k.released >= 0:
				m.finish(k, k.released, true)
				progress = true
			case k.honour && len(k.causes) > 0:
				m.finish(k, fzOutCtx, true)
				progress = true
			}
		}
		for _, w := range m.waiters {
			if !w.fired && m.fire(w) {
				progress = true
			}
		}
	}
	for _, k := range m.tasks {
		if k.oracle == m.op && k.targeted != m.op {
			m.t.Fatalf("op %d: future %d was canceled, but no combinator canceled it", m.op, k.id)
		}
	}
	drained := m.running == 0 && len(m.queue) == 0
	for _, sh := range m.shutters {
		switch {
		case sh.expReturn:
		case drained:
			sh.expReturn = true
		case sh.canceled:
			sh.expReturn, sh.expCause = true, true
		}
	}
}

// fzFires reports whether a waiter of kind returns, and whether it then
// cancels the futures it waited for, given what those futures have done.
func fzFires(kind int, allFinal, anyFinal, anyErr, anyFailed, anySucc bool) (fire, cancel bool) {
	switch kind {
	case fzWaitAll, fzAsCompleted, fzAllSettled:
		fire = allFinal
	case fzWaitFirst:
		fire = anyFinal || allFinal
	case fzWaitFirstError:
		fire = anyFailed || allFinal
	case fzAll:
		fire, cancel = anyErr || allFinal, anyErr
	case fzAny:
		fire, cancel = anySucc || allFinal, anySucc
	case fzRace:
		fire, cancel = anyFinal || allFinal, anyFinal
	}
	return fire, cancel
}

// fire reports whether w's condition holds, and if so applies what w does
// when it returns.
func (m *fzModel) fire(w *fzWaiter) bool {
	allFinal, anyFinal, anyErr, anyFailed, anySucc := true, false, false, false, false
	for _, id := range w.uniq {
		k := m.tasks[id]
		allFinal = allFinal && k.final()
		anyFinal = anyFinal || k.final()
		anyErr = anyErr || k.hasErr()
		anyFailed = anyFailed || k.failed()
		anySucc = anySucc || k.succeeded()
	}
	fire, cancel := fzFires(w.kind, allFinal, anyFinal, anyErr, anyFailed, anySucc)
	if !fire {
		return false
	}
	w.fired, w.fireOp = true, m.op
	if cancel {
		for _, id := range w.uniq {
			m.cancelFuture(m.tasks[id], true)
		}
	}
	return true
}

// requireOutcome checks a future's value and error against the model.
// fzObs.mu is held.
func (m *fzModel) requireOutcome(k *fzTask, v int, err error, what string) {
	t := m.t
	msg := fmt.Sprintf("op %d: %s of future %d (outcome %d)", m.op, what, k.id, k.outcome)
	switch k.outcome {
	case fzOutValue:
		require.NoError(t, err, msg)
		require.Equal(t, 1000+k.id, v, msg)
	case fzOutError:
		require.Equal(t, fzTaskErr{k.id}, err, msg)
		require.Equal(t, -2, v, msg)
	case fzOutPanic:
		var pe *future.PanicError
		require.ErrorAs(t, err, &pe, msg)
		require.Equal(t, fzTaskErr{k.id}, pe.Value, msg)
		require.ErrorIs(t, err, fzTaskErr{k.id}, msg)
		require.Zero(t, v, msg)
	case fzOutGoexit:
		require.ErrorIs(t, err, future.ErrGoexit, msg)
		require.Zero(t, v, msg)
	case fzOutCtx:
		var ce fzCtxErr
		require.ErrorAs(t, err, &ce, msg)
		require.Equal(t, k.id, ce.id, msg)
		require.True(t, slices.ContainsFunc(k.causes, func(c error) bool { return errors.Is(ce.cause, c) }),
			"%s: cause %v, want one of %v", msg, ce.cause, k.causes)
		require.ErrorIs(t, m.obs.ctxErr[k.id], context.Canceled, msg)
		require.Equal(t, -1, v, msg)
	case fzOutCanceled:
		require.Equal(t, future.ErrCanceled, err, msg)
		require.ErrorIs(t, err, context.Canceled, msg)
		require.Zero(t, v, msg)
	}
}

func (m *fzModel) check() {
	t := m.t
	m.obs.mu.Lock()
	defer m.obs.mu.Unlock()
	require.Empty(t, m.obs.badValue, "op %d: task contexts without their submit context's values", m.op)
	// Starts: the order within one op is the scheduler's.
	require.Len(t, m.obs.started, len(m.starts), "op %d: tasks started %v, want %v", m.op, m.obs.started, m.starts)
	n := 0
	for n < len(m.starts) && m.obs.started[n] == m.starts[n] {
		n++
	}
	require.ElementsMatch(t, m.starts[n:], m.obs.started[n:], "op %d: tasks started %v, want %v", m.op, m.obs.started, m.starts)
	copy(m.starts, m.obs.started)
	for _, k := range m.tasks {
		if k.final() && k.outcome <= fzOutGoexit && k.doneOp == m.op {
			// Released: its context was done when it looked iff a
			// cause came before. One that came in the op the task
			// completed in may have come after it looked.
			err := m.obs.relCtx[k.id]
			if err != nil {
				require.NotEmpty(t, k.causes, "op %d: task %d saw its context done (%v), but nothing ended it", m.op, k.id, err)
				require.ErrorIs(t, err, context.Canceled, "op %d: task %d", m.op, k.id)
			} else {
				for _, op := range k.causeOps {
					require.Equal(t, m.op, op, "op %d: task %d saw its context not done, but %v ended it", m.op, k.id, k.causes)
				}
			}
		}
	}
	for _, k := range m.futs {
		require.Equal(t, k.state, k.fut.State(), "op %d: State of future %d", m.op, k.id)
		v, err, ok := k.fut.TryResult()
		require.Equal(t, k.final(), ok, "op %d: TryResult's ok for future %d", m.op, k.id)
		if ok {
			m.requireOutcome(k, v, err, "TryResult")
		}
		var ran []int
		for _, cb := range k.cbs {
			if cb.ran {
				ran = append(ran, cb.id)
			}
		}
		require.Equal(t, ran, m.obs.cbRan[k.id], "op %d: callbacks run on future %d", m.op, k.id)
	}
	for _, w := range m.waiters {
		m.checkWaiter(w)
	}
	for _, st := range m.stoppers {
		require.Equal(t, m.running == 0, st.returned, "op %d: Stop (of op %d) returned, with %d tasks running", m.op, st.called, m.running)
		if st.returned {
			require.Equal(t, st.expDropped, st.dropped, "op %d: Stop's dropped count", m.op)
		}
	}
	for i, sh := range m.shutters {
		require.Equal(t, sh.expReturn, sh.returned, "op %d: Shutdown %d returned", m.op, i)
		if sh.returned && sh.expCause {
			require.ErrorIs(t, sh.err, errFzShutdown, "op %d: Shutdown %d", m.op, i)
		}
	}
}

// groups returns the futures of w that completed after it started and by
// op last, grouped by the op in which they did, oldest first.
func (m *fzModel) groups(w *fzWaiter, last int) [][]int {
	var gs [][]int
	for op := w.start; op <= last; op++ {
		var g []int
		for _, id := range w.uniq {
			k := m.tasks[id]
			if k.final() && k.doneOp == op && !slices.Contains(w.d0, id) {
				g = append(g, id)
			}
		}
		if g != nil {
			gs = append(gs, g)
		}
	}
	return gs
}

// inOrder reports whether got is want's first groups, each in any order,
// and then, if partial, some of the last group.
func inOrder(got []int, want [][]int, partial bool) bool {
	for i, g := range want {
		if i == len(want)-1 && partial {
			return len(got) <= len(g) && subset(got, g) && !hasDup(got)
		}
		if len(got) < len(g) || !sameSet(got[:len(g)], g) {
			return false
		}
		got = got[len(g):]
	}
	return len(got) == 0
}

func subset(a, b []int) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func hasDup(a []int) bool {
	for i, x := range a {
		if slices.Contains(a[i+1:], x) {
			return true
		}
	}
	return false
}

func sameSet(a, b []int) bool { return len(a) == len(b) && subset(a, b) && !hasDup(a) }

func (m *fzModel) checkWaiter(w *fzWaiter) {
	t := m.t
	name := fmt.Sprintf("op %d: waiter %d, %s over %v (started op %d, d0 %v)", m.op, w.id, fzWaiterNames[w.kind], w.s, w.start, w.d0)
	if w.kind == fzAsCompleted {
		last := m.op
		if w.canceled {
			last = w.fireOp // it stopped there
		}
		want := append([][]int{w.d0}, m.groups(w, last)...)
		require.True(t, inOrder(w.yielded, want, false), "%s: yielded %v, want %v", name, w.yielded, want)
	}
	require.Equal(t, w.fired, w.returned, "%s: returned", name)
	if !w.returned {
		return
	}
	if w.canceled {
		m.checkCanceledWaiter(w, name)
		return
	}
	realErr := func(id int) error { _, err, _ := m.tasks[id].fut.TryResult(); return err }
	realVal := func(id int) int { v, _, _ := m.tasks[id].fut.TryResult(); return v }
	// The futures that completed in the op w returned in, one of which
	// made it return (unless it returned at once).
	var last []int
	if w.fireOp > w.start {
		gs := m.groups(w, w.fireOp)
		if len(gs) > 0 && m.tasks[gs[len(gs)-1][0]].doneOp == w.fireOp {
			last = gs[len(gs)-1]
		}
	}
	switch w.kind {
	case fzWaitAll, fzWaitFirst, fzWaitFirstError:
		require.NoError(t, w.err, name)
		want := append([][]int{w.d0}, m.groups(w, w.fireOp)...)
		partial := w.kind != fzWaitAll && last != nil
		require.True(t, inOrder(w.done, want, partial), "%s: done %v, want %v (the last partly: %v)", name, w.done, want, partial)
		var notDone []int
		for _, id := range w.uniq {
			if !slices.Contains(w.done, id) {
				notDone = append(notDone, id)
			}
		}
		require.Equal(t, notDone, nilIfEmpty(w.notDone), "%s: notDone", name)
		met := len(notDone) == 0
		for _, id := range w.done {
			switch w.kind {
			case fzWaitFirst:
				met = true
			case fzWaitFirstError:
				met = met || m.tasks[id].failed()
			}
		}
		require.True(t, met, "%s: done %v, notDone %v: the condition does not hold", name, w.done, w.notDone)
	case fzAll:
		if w.err == nil {
			require.Len(t, w.vals, len(w.s), name)
			for i, id := range w.s {
				require.True(t, m.tasks[id].succeeded(), "%s: succeeded, but future %d did not", name, id)
				require.Equal(t, 1000+id, w.vals[i], name)
			}
			break
		}
		require.Nil(t, w.vals, name)
		cands := last
		for _, id := range w.d0 {
			if m.tasks[id].hasErr() {
				cands = []int{id}
				break
			}
		}
		require.True(t, slices.ContainsFunc(cands, func(id int) bool { return m.tasks[id].hasErr() && errors.Is(w.err, realErr(id)) }),
			"%s: error %v, want the error of one of %v", name, w.err, cands)
	case fzAny:
		if len(w.uniq) == 0 {
			require.ErrorIs(t, w.err, future.ErrNoFutures, name)
			break
		}
		if w.err == nil {
			cands := last
			for _, id := range w.d0 {
				if m.tasks[id].succeeded() {
					cands = []int{id}
					break
				}
			}
			require.True(t, slices.ContainsFunc(cands, func(id int) bool { return m.tasks[id].succeeded() && w.v == 1000+id }),
				"%s: value %d, want the value of one of %v", name, w.v, cands)
			break
		}
		leaves := fzLeaves(w.err)
		require.Len(t, leaves, len(w.uniq), "%s: error %v", name, w.err)
		for i, id := range w.uniq {
			require.True(t, m.tasks[id].hasErr(), "%s: failed, but future %d did not", name, id)
			require.ErrorIs(t, leaves[i], realErr(id), name)
		}
	case fzRace:
		if len(w.uniq) == 0 {
			require.ErrorIs(t, w.err, future.ErrNoFutures, name)
			break
		}
		cands := last
		if len(w.d0) > 0 {
			cands = w.d0[:1]
		}
		require.True(t, slices.ContainsFunc(cands, func(id int) bool {
			if err := realErr(id); err != nil {
				return errors.Is(w.err, err)
			}
			return w.err == nil && w.v == realVal(id)
		}), "%s: outcome %d, %v, want that of one of %v", name, w.v, w.err, cands)
	case fzAllSettled:
		require.NoError(t, w.err, name)
		require.Len(t, w.outs, len(w.s), name)
		for i, id := range w.s {
			require.Equal(t, future.Outcome[int]{Value: realVal(id), Err: realErr(id)}, w.outs[i], name)
		}
	}
}

// checkCanceledWaiter checks what a waiter whose context the fuzzer
// canceled returned: the cause, and for Wait the futures done so far.
func (m *fzModel) checkCanceledWaiter(w *fzWaiter, name string) {
	t := m.t
	if w.kind == fzAsCompleted {
		return // it just stops; the yields were checked above
	}
	require.ErrorIs(t, w.err, errFzWait, name)
	switch w.kind {
	case fzWaitAll, fzWaitFirst, fzWaitFirstError:
		want := append([][]int{w.d0}, m.groups(w, w.fireOp)...)
		require.True(t, inOrder(w.done, want, false), "%s: done %v, want %v", name, w.done, want)
		var notDone []int
		for _, id := range w.uniq {
			if k := m.tasks[id]; !k.final() || k.doneOp > w.fireOp {
				notDone = append(notDone, id)
			}
		}
		require.Equal(t, notDone, nilIfEmpty(w.notDone), "%s: notDone", name)
	case fzAll:
		require.Nil(t, w.vals, name)
	case fzAny, fzRace:
		require.Zero(t, w.v, name)
	case fzAllSettled:
		require.Nil(t, w.outs, name)
	}
}

func nilIfEmpty(a []int) []int {
	if len(a) == 0 {
		return nil
	}
	return a
}

// fzLeaves flattens errors joined with errors.Join.
func fzLeaves(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, fzLeaves(e)...)
		}
		return out
	}
	return []error{err}
}

// fzKey names an error the pool kept, as the model does.
func fzKey(err error) string {
	var pe *pool.PanicError
	var ce fzCtxErr
	var te fzTaskErr
	switch {
	case errors.As(err, &pe):
		switch v := pe.Value.(type) {
		case fzTaskErr:
			return fmt.Sprintf("panic:%d", v.id)
		case fzCbPanic:
			return fmt.Sprintf("cb:%d:%d", v.fut, v.cb)
		}
		return fmt.Sprintf("panic:%v", pe.Value)
	case errors.As(err, &ce):
		return fmt.Sprintf("ctx:%d", ce.id)
	case errors.As(err, &te):
		return fmt.Sprintf("err:%d", te.id)
	case errors.Is(err, future.ErrGoexit):
		return "goexit"
	}
	return "unknown: " + err.Error()
}

// finale releases every task, shuts the executor down and checks what is
// left: every waiter returned, and the pool kept each error once.
func (m *fzModel) finale() {
	// One release per op: releases sent together would race the
	// cascades they start (a combinator canceling a task not released
	// yet).
	for _, k := range m.tasks {
		if !k.rejected && !k.final() && k.released < 0 {
			m.op++
			m.logf("release task %d with a value", k.id)
			k.released = fzOutValue
			k.rel <- fzOutValue
			synctest.Wait()
			m.settle()
			m.check()
		}
	}
	m.op++
	m.logf("Shutdown")
	err := m.e.Shutdown(context.Background())
	synctest.Wait()
	t := m.t
	for _, k := range m.tasks {
		require.True(t, k.rejected || k.final(), "task %d is not done at the end", k.id)
	}
	got := map[string]int{}
	for _, e := range fzLeaves(err) {
		got[fzKey(e)]++
	}
	m.obs.mu.Lock()
	for _, sh := range m.shutters {
		require.True(t, sh.returned, "a Shutdown has not returned at the end")
		if !sh.expCause {
			for _, e := range fzLeaves(sh.err) {
				got[fzKey(e)]++
			}
		}
	}
	for _, w := range m.waiters {
		require.True(t, w.returned, "waiter %d has not returned at the end", w.id)
	}
	m.obs.mu.Unlock()
	require.Equal(t, m.kept, got, "the errors the pool kept (done-callback panics, fire-and-forget errors)")
	for _, k := range m.futs {
		want := map[string]int{}
		for _, cb := range k.cbs {
			if cb.panicky {
				want[fmt.Sprintf("cb:%d:%d", k.id, cb.id)]++
			}
		}
		have := map[string]int{}
		for _, e := range fzLeaves(k.fut.CallbackErr()) {
			have[fzKey(e)]++
		}
		require.Equal(t, want, have, "CallbackErr of future %d", k.id)
	}
	m.cancelAll()
}
