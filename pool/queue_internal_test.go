package pool

import (
	"slices"
	"testing"
	"time"
)

// FuzzTaskQueue drives a taskQueue with a random sequence of pushes (plain,
// with a priority, with a deadline), pops and expiries, and compares it with
// a plain model: the next task is the live one with the lowest
// (seq - priority*AgingStep, seq), and expiry takes every live task whose
// deadline has passed.
func FuzzTaskQueue(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{9, 9, 9, 3, 3, 3, 1, 2, 1, 2, 7, 7, 7, 6, 6})
	f.Add(slices.Repeat([]byte{2, 3, 2, 5, 1, 4, 0}, 60))
	f.Fuzz(func(t *testing.T, ops []byte) {
		type item struct {
			id       int
			prio     int
			seq      uint64
			deadline time.Duration // 0: none
			x        *taskExt
		}
		var q taskQueue
		var model []*item
		var seq uint64
		now := time.Duration(0)
		base := time.Unix(0, 0)
		byID := map[*taskExt]int{}
		next := 0
		idOf := func(tk task) int {
			if x, ok := tk.fn.(*taskExt); ok {
				return byID[x]
			}
			return tk.fn.(int)
		}
		for i, op := range ops {
			switch op % 8 {
			case 0, 1: // plain
				if q.inRing > 0 { // as Pool.submit chooses
					q.pushPrio(task{fn: next}, 0, nil)
				} else {
					q.push(task{fn: next})
				}
				model = append(model, &item{id: next, seq: seq})
			case 2, 3: // priority
				prio := int(ops[(i+1)%len(ops)]%7) - 3
				q.pushPrio(task{fn: next}, prio, nil)
				model = append(model, &item{id: next, prio: prio, seq: seq})
			case 4: // deadline, maybe with a priority
				prio := int(ops[(i+1)%len(ops)]%3) - 1
				d := now + time.Duration(1+ops[(i+2)%len(ops)]%5)
				x := &taskExt{deadline: base.Add(d), didx: -1}
				byID[x] = next
				q.pushPrio(task{fn: x}, prio, x)
				model = append(model, &item{id: next, prio: prio, seq: seq, deadline: d, x: x})
			case 5, 6: // pop
				if len(model) == 0 {
					continue
				}
				best := 0
				for j, it := range model {
					kj := int64(it.seq) - int64(it.prio)*AgingStep
					kb := int64(model[best].seq) - int64(model[best].prio)*AgingStep
					if kj < kb || kj == kb && it.seq < model[best].seq {
						best = j
					}
				}
				got := idOf(q.popAny())
				if got != model[best].id {
					t.Fatalf("op %d: popped %d, want %d", i, got, model[best].id)
				}
				model = slices.Delete(model, best, best+1)
				if q.live == 0 && q.inRing != 0 {
					t.Fatalf("op %d: no live task, but %d entries left in the levels", i, q.inRing)
				}
				continue
			case 7: // time passes, expire
				now += time.Duration(op%3) + 1
				xs := q.expire(base.Add(now))
				var want []int
				model = slices.DeleteFunc(model, func(it *item) bool {
					if it.deadline != 0 && it.deadline <= now {
						want = append(want, it.id)
						return true
					}
					return false
				})
				var gotIDs []int
				for _, x := range xs {
					gotIDs = append(gotIDs, byID[x])
				}
				slices.Sort(want)
				slices.Sort(gotIDs)
				if !slices.Equal(want, gotIDs) {
					t.Fatalf("op %d: expired %v, want %v", i, gotIDs, want)
				}
				if q.live == 0 && q.inRing != 0 {
					t.Fatalf("op %d: no live task, but %d entries left in the levels", i, q.inRing)
				}
				continue
			}
			next++
			seq++
			if q.len() != len(model) {
				t.Fatalf("op %d: len %d, want %d", i, q.len(), len(model))
			}
			if q.live == 0 && q.inRing != 0 {
				t.Fatalf("op %d: no live task, but %d entries left in the levels", i, q.inRing)
			}
		}
		for len(model) > 0 {
			// drain in order (the pop case above checks the order)
			best := 0
			for j, it := range model {
				kj := int64(it.seq) - int64(it.prio)*AgingStep
				kb := int64(model[best].seq) - int64(model[best].prio)*AgingStep
				if kj < kb || kj == kb && it.seq < model[best].seq {
					best = j
				}
			}
			if got := idOf(q.popAny()); got != model[best].id {
				t.Fatalf("drain: popped %d, want %d", got, model[best].id)
			}
			model = slices.Delete(model, best, best+1)
		}
		if q.len() != 0 || len(q.exp) != 0 {
			t.Fatalf("drained queue has len %d, %d deadlines", q.len(), len(q.exp))
		}
	})
}
