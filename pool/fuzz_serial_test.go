package pool_test

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/weftgo/weft/pool"
)

// FuzzSerial drives a Serial on a Pool with operations decoded from data
// and checks them against the sequential model of fuzz_pool_test.go, which
// keeps, for each key, the task in the pool (queued, running, or whose
// submit is blocked) and the FIFO of tasks parked behind it: a key's tasks
// start one at a time, in the order they were submitted, tasks of
// different keys run in parallel up to the limit, parked tasks are
// accepted at once whatever the queue's bound, count as Queued, run after
// Close and are dropped (and counted) by Stop.
//
// With data[0]&0x40 the Serial is made with NewGroupSerial on a group made
// from context 0, fail-fast with data[0]&0x80, and the model is FuzzGroup's
// as well (see fuzz_group_test.go): the keyed tasks are the group's, in
// per-key order still; the group's Wait waits for every one, also those
// parked behind their keys, and returns their errors; Serial.Go waits for
// room as Group.Go does (until context 0 is canceled or the group fails)
// and, as TrySubmit failing otherwise than with ErrQueueFull, records its
// failure for Wait; a failed group's refusal of a blocked keyed submit
// hands its key on; Stop drops the parked tasks, and Wait reports them.
// There are no plain tasks then (see stepSerial).
//
// data[0] chooses the pool as for FuzzPool. Then every two bytes are an
// operation and its argument: ops 0 to 3 submit with key arg&3 (op 3 with
// arg&4 set is a plain Pool.Go with a priority and a queue timeout
// instead, as in FuzzPool, so that the keys' tasks are also handed to a
// queue in priority mode); op 13 is the group's Wait; the others are
// FuzzPool's.
func FuzzSerial(f *testing.F) {
	const (
		cGo, cSubmit, cSubmitCtx, cTry, cRelease, cProbe, cSetLimit = 0, 1, 2, 3, 4, 5, 6
		cClose, cStop, cShutdown, cWait, cCancel, cSleep, cGWait    = 7, 8, 9, 10, 11, 12, 13
		group, failFast                                             = 0x40, 0x80
	)
	for _, seed := range [][]byte{
		// Two keys on a pool of 2: per-key order, keys in parallel.
		{0x01, cSubmit, 0, cSubmit, 0, cGo, 0, cSubmit, 1, cSubmitCtx, 1, cTry, 0, cRelease, 0,
			cRelease, 0x10, cRelease, 0x20, cRelease, 0x30, cRelease, 0, cRelease, 0, cWait, 0},
		// Three keys on a pool of 1 with a queue of 1: blocked keyed
		// submits with tasks parked behind them, a cancel, Close.
		{0x08, cSubmit, 0, cSubmit, 1, cSubmitCtx, 2, cSubmit, 2, cSubmit, 1, cTry, 3,
			cCancel, 0, cSubmitCtx, 3, cGo, 3, cClose, 0, cRelease, 0, cRelease, 0, cRelease, 0,
			cRelease, 0, cRelease, 0},
		// Stop with tasks parked and queued, probes.
		{0x01, cSubmitCtx, 0, cSubmit, 0, cSubmit, 1, cSubmit, 1, cSubmit, 2, cProbe, 0,
			cStop, 0, cProbe, 0, cProbe, 1, cRelease, 0, cShutdown, 0, cRelease, 0},
		// Keyed tasks behind plain ones with priorities; SetLimit.
		{0x00, cTry, 0xa4, cSubmit, 0, cSubmit, 0, cTry, 0x44, cTry, 0xe4, cGo, 1, cTry, 0x64,
			cRelease, 0, cSetLimit, 3, cRelease, 0x11, cRelease, 0x22, cRelease, 0, cRelease, 0},
		// Idle workers retire while keys wait (idle timeout 500 ms), and a
		// plain task with a queue timeout expires ahead of keyed ones.
		{0x21, cSubmit, 0, cSubmit, 1, cSubmit, 0, cRelease, 0, cSleep, 1, cSleep, 2, cTry, 0x1c,
			cSubmit, 1, cSubmit, 2, cSleep, 3, cRelease, 0, cSleep, 4, cRelease, 0, cRelease, 0},
		// Hand-off at limit 2: blocked keyed submits, SetLimit growing.
		{0x05, cSubmit, 0, cSubmit, 1, cSubmit, 2, cSubmit, 3, cSubmit, 2, cSetLimit, 3,
			cRelease, 0, cShutdown, 2, cCancel, 2, cRelease, 0, cRelease, 0, cRelease, 0},
		// A group's Serial on a pool of 2: per-key order, the group's Wait
		// waiting for the parked tasks and returning every error.
		{group | 0x01, cSubmit, 0, cSubmit, 0, cGo, 0, cSubmit, 1, cTry, 1, cGWait, 0, cRelease, 0x10,
			cRelease, 0x20, cRelease, 0, cRelease, 0x10, cRelease, 0, cGWait, 0},
		// Fail-fast at limit 1 with a queue of 1: keyed submits blocked
		// when a task fails are refused with its error and hand their
		// keys on; the parked tasks still run.
		{group | failFast | 0x08, cSubmit, 0, cSubmit, 1, cGo, 2, cGo, 2, cSubmit, 3, cSubmit, 1,
			cRelease, 0x10, cGWait, 0, cRelease, 0, cRelease, 0, cRelease, 0, cRelease, 0},
		// Stop with group tasks parked and queued: Wait reports them;
		// canceling context 0 refuses the blocked Go.
		{group | 0x04, cSubmit, 0, cSubmit, 0, cSubmit, 1, cGo, 2, cGo, 3, cCancel, 0, cProbe, 0,
			cStop, 0, cGWait, 0, cRelease, 0, cGo, 0, cGWait, 0},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || len(data) > 601 {
			return
		}
		synctest.Test(t, func(t *testing.T) {
			h := newFzHarness(t, data[0], true)
			if data[0]&0x40 != 0 {
				gx := &fzGroupHarness{h: h, cmds: map[int]chan func(context.Context){}}
				h.gx = gx
				h.do(fzOp{kind: opGroupNew, ctx: 0, n: int(data[0] >> 7)})
				h.s = pool.NewGroupSerial[int](gx.groups[0])
				h.sgroup = true
			}
			for i := 1; i+1 < len(data); i += 2 {
				h.stepSerial(data[i], data[i+1])
			}
			h.finish()
		})
	})
}

// stepSerial performs the operation code with argument arg.
func (h *fzHarness) stepSerial(code, arg byte) {
	key := int(arg & 3)
	var op fzOp
	var ok bool
	switch code % 14 {
	case 0:
		op, ok = h.submitOp(opSerialGo, 0, -1, key, 0)
	case 1:
		op, ok = h.submitOp(opSerialSubmit, 0, -1, key, 0)
	case 2:
		op, ok = h.submitOp(opSerialSubmitCtx, 0, int(arg>>2&3)%fzCtxs, key, 0)
	case 3:
		// Not with a group: a plain task blocked on a full queue would
		// race, for the room, the keys a failed group's refused submits
		// hand on.
		if arg&4 != 0 && !h.sgroup {
			op, ok = h.submitOp(opGo, fzPrios[arg>>5], -1, -1, fzQueueTimeouts[arg>>3&3])
		} else {
			op, ok = h.submitOp(opSerialTry, 0, -1, key, 0)
		}
	case 8:
		// As in FuzzGroup: a Stop that ends the group's Wait while a
		// blocked Serial.Go of the group records ErrClosed would race them.
		if h.sgroup && len(h.m.groups[0].waits) > 0 && slices.ContainsFunc(h.m.blocked, func(id int) bool { return h.m.tasks[id].record }) {
			return
		}
		h.stepCommon(8, arg)
		return
	case 13:
		if h.sgroup {
			h.do(fzOp{kind: opGroupWait, grp: 1, call: h.id()})
		}
		return
	default:
		h.stepCommon(code%14, arg)
		return
	}
	if h.sgroup && op.key >= 0 {
		op.grp = 1
	}
	if ok {
		h.do(op)
	}
}
