package pool

import (
	"time"

	"github.com/weftgo/weft/internal/hook"
)

// queueExt queues an extended task of priority prio: stamped with the
// time if it is observed or can expire, and in priority mode if it has a
// priority or a deadline. p.mu is held.
func (p *Pool) queueExt(t task, x *taskExt, prio int) {
	if p.cfg.obs != nil || x.queueTimeout > 0 {
		x.queued = time.Now()
	}
	switch {
	case x.queueTimeout > 0:
		x.deadline = x.queued.Add(x.queueTimeout)
		p.queue.pushPrio(t, prio, x)
		p.armExpiryLocked()
	case prio != 0 || p.queue.inRing > 0:
		p.queue.pushPrio(t, prio, nil)
	default:
		p.queue.push(t)
	}
}

// armExpiryLocked makes sure the expiry timer fires by the earliest queue
// deadline. While the timer is armed (p.expAt set), it fires at p.expAt or
// its callback is on its way, and the callback arms it again for the next
// deadline; so a later deadline needs nothing. p.mu is held.
func (p *Pool) armExpiryLocked() {
	d := p.queue.nextDeadline()
	if d.IsZero() || !p.expAt.IsZero() && !d.Before(p.expAt) {
		return
	}
	p.expAt, p.expArmed = d, true
	if p.expTimer == nil {
		p.expTimer = time.AfterFunc(time.Until(d), p.expireByTimer)
	} else {
		p.expTimer.Reset(time.Until(d))
	}
}

// disarmExpiryLocked stops the timer once no queued task can expire, so an
// idle pool keeps no timer. p.mu is held.
func (p *Pool) disarmExpiryLocked() {
	if p.expArmed && p.queue.nextDeadline().IsZero() {
		p.expAt, p.expArmed = time.Time{}, false
		p.expTimer.Stop() // if it fired already, its callback finds nothing
	}
}

func (p *Pool) expireByTimer() {
	p.mu.Lock()
	p.expAt, p.expArmed = time.Time{}, false
	es := p.expireLocked(time.Now())
	p.armExpiryLocked()
	p.mu.Unlock()
	if es != nil {
		p.reportExpired(es)
	}
}

// expireLocked takes the queued tasks whose deadline has passed by now out
// of the queue and counts them as expired; until reportExpired has reported
// them, p.expiring counts them, and Wait, Shutdown and Stop wait for them.
// p.mu is held.
func (p *Pool) expireLocked(now time.Time) []*taskExt {
	xs := p.queue.expire(now)
	if len(xs) == 0 {
		return nil
	}
	p.st.expired += uint64(len(xs))
	p.expiring += len(xs)
	for _, x := range xs {
		// A fail-fast group fails now, with the room its task leaves, not
		// when reportExpired reports the task: a submitter of the group
		// waiting for that room must find the group failed, as WithFailFast
		// says, not win the room in between. reportExpired's taskDone then
		// finds the first error set and drops the second copy.
		if g := (&task{fn: x, c: x.c}).group(); g != nil && g.failFast && g.first == nil {
			if _, isHook := x.fn.(hook.Task); !isHook {
				g.addErr(ErrQueueTimeout)
			}
		}
	}
	p.space.Broadcast() // room in a bounded queue
	return xs
}

// reportExpired reports tasks taken out by expireLocked, as QueueTimeout
// says, and accounts for them. p.mu is not held.
func (p *Pool) reportExpired(xs []*taskExt) {
	p.observeDropped(xs, ErrQueueTimeout)
	for _, x := range xs {
		if h, ok := x.fn.(hook.Task); ok {
			h.Drop(ErrQueueTimeout)
		} else {
			p.report(task{fn: x, c: x.c}, ErrQueueTimeout)
		}
	}
	p.mu.Lock()
	for _, x := range xs {
		_, isHook := x.fn.(hook.Task)
		switch g := (&task{fn: x, c: x.c}).group(); {
		case g != nil && isHook:
			g.taskDone(nil)
		case g != nil:
			g.taskDone(ErrQueueTimeout)
		case !isHook && p.cfg.onError == nil:
			p.errs = append(p.errs, ErrQueueTimeout)
		}
		x.fn = nil // it may wait in its level a while: let the closure go
	}
	p.expiring -= len(xs)
	p.notifySettled()
	p.mu.Unlock()
}
