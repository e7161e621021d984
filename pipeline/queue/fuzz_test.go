package queue_test

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pipeline/queue"
)

// queueModel is the sequential specification a Queue is checked against.
type queueModel struct {
	kind       byte // 0 FIFO, 1 LIFO, 2 priority
	items      []int
	capacity   int
	unfinished int
	closed     bool
}

func (m *queueModel) put(v int) bool {
	if m.closed || (m.capacity > 0 && len(m.items) >= m.capacity) {
		return false
	}
	m.items = append(m.items, v)
	m.unfinished++
	return true
}

func (m *queueModel) get() (int, bool) {
	if len(m.items) == 0 {
		return 0, false
	}
	i := 0
	switch m.kind {
	case 1:
		i = len(m.items) - 1
	case 2:
		i = slices.Index(m.items, slices.Min(m.items))
	}
	v := m.items[i]
	m.items = slices.Delete(m.items, i, i+1)
	return v, true
}

func FuzzQueue(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 3, 10, 10, 4, 5, 6, 11, 7})
	f.Add([]byte{1, 3, 1, 2, 3, 4, 5, 10, 12, 14, 15, 10, 13})
	f.Add([]byte{2, 0, 9, 3, 7, 3, 8, 10, 10, 11, 10, 14, 12, 13, 10})
	f.Add([]byte{0, 2, 1, 2, 3, 12, 15, 1, 10, 13, 13, 13})
	f.Add([]byte{0, 3, 1, 2, 16, 10, 12, 16, 15, 12, 16, 14, 1})
	f.Add([]byte{1, 0, 5, 6, 10, 14, 12, 16, 12, 15})
	ended, cancel := context.WithCancel(bg)
	cancel()
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) < 2 {
			return
		}
		m := &queueModel{kind: ops[0] % 3, capacity: int(ops[1] % 5)}
		var opts []queue.Option
		if m.capacity > 0 {
			opts = append(opts, queue.WithCapacity(m.capacity))
		}
		var q *queue.Queue[int]
		switch m.kind {
		case 0:
			q = queue.New[int](opts...)
		case 1:
			q = queue.NewLIFO[int](opts...)
		default:
			q = queue.NewPriority(func(a, b int) bool { return a < b }, opts...)
		}
		for i, op := range ops[2:] {
			switch {
			case op < 10: // put value op (blocking Put when it cannot block)
				want := m.put(int(op))
				if i%2 == 0 || !want {
					require.Equal(t, want, q.TryPut(int(op)), "op %d TryPut", i)
				} else {
					require.NoError(t, q.Put(bg, int(op)), "op %d Put", i)
				}
			case op == 10:
				want, wok := m.get()
				got, ok := q.TryGet()
				require.Equal(t, wok, ok, "op %d TryGet", i)
				require.Equal(t, want, got, "op %d TryGet", i)
			case op == 11:
				buf := make([]int, 2)
				var want []int
				for range 2 {
					if v, ok := m.get(); ok {
						want = append(want, v)
					}
				}
				n := q.TryGetBatch(buf)
				require.Equal(t, len(want), n, "op %d TryGetBatch", i)
				if n > 0 {
					require.Equal(t, want, buf[:n])
				}
			case op == 12:
				err := q.TaskDone()
				if m.unfinished == 0 {
					require.ErrorIs(t, err, queue.ErrTooManyTaskDone)
				} else {
					require.NoError(t, err)
					m.unfinished--
				}
			case op == 13:
				m.closed = true
				q.Close()
			case op == 14:
				m.closed = true
				n := len(m.items)
				m.items = nil
				m.unfinished = max(0, m.unfinished-n)
				require.Equal(t, n, q.Stop(), "op %d Stop", i)
			case op == 16: // Shutdown, with a context that has ended: it must not block
				m.closed = true
				err := q.Shutdown(ended)
				if m.unfinished == 0 {
					require.NoError(t, err, "op %d Shutdown", i)
				} else {
					require.ErrorIs(t, err, context.Canceled, "op %d Shutdown", i)
				}
			default: // blocking Get when it cannot block
				if len(m.items) == 0 && !m.closed {
					continue
				}
				want, wok := m.get()
				got, err := q.Get(bg)
				if wok {
					require.NoError(t, err)
					require.Equal(t, want, got)
				} else {
					require.ErrorIs(t, err, queue.ErrClosed)
				}
			}
			require.Equal(t, len(m.items), q.Len(), "op %d Len", i)
			require.Equal(t, m.closed, q.Closed())
			if m.unfinished == 0 {
				require.NoError(t, q.Join(bg))
			}
		}
	})
}

// Many producers and consumers, then a Stop in the middle: every item
// put is got exactly once or counted as dropped.
func TestQueueStress(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	producers, consumers, perProducer := 2*procs, 2*procs, 20000
	if testing.Short() {
		perProducer = 2000
	}
	for _, capacity := range []int{0, 1, 16} {
		var opts []queue.Option
		if capacity > 0 {
			opts = append(opts, queue.WithCapacity(capacity))
		}
		q := queue.New[int](opts...)
		var put, got atomic.Int64
		var wg sync.WaitGroup
		seen := make([]atomic.Bool, producers*perProducer)
		dup := make(chan int, 1)
		dropped := make(chan int, 1)
		for p := range producers {
			wg.Go(func() {
				for i := range perProducer {
					if q.Put(bg, p*perProducer+i) != nil {
						return
					}
					put.Add(1)
				}
			})
		}
		for c := range consumers {
			wg.Go(func() {
				buf := make([]int, 3)
				for {
					var vs []int
					if c%2 == 0 {
						v, err := q.Get(bg)
						if err != nil {
							return
						}
						vs = []int{v}
					} else {
						n, err := q.GetBatch(bg, buf)
						if err != nil {
							return
						}
						vs = buf[:n]
					}
					for _, v := range vs {
						if seen[v].Swap(true) {
							select {
							case dup <- v:
							default:
							}
						}
						if got.Add(1) == int64(producers*perProducer/2) {
							// Half way: stop while producers still run.
							dropped <- q.Stop()
						}
					}
				}
			})
		}
		wg.Wait()
		require.Empty(t, dup, "an item was got twice")
		assert.Equal(t, put.Load(), got.Load()+int64(<-dropped),
			"every item put is got or counted dropped (capacity %d)", capacity)
		assert.LessOrEqual(t, got.Load(), put.Load())
		assert.Equal(t, 0, q.Len())
	}
}
