package pool

import "time"

// Idle workers wait in a stack: a submitter wakes the one that went idle
// last, whose stack and cache are warmest, so the ones at the bottom are
// the ones idle longest, and they are the first to time out.
//
// One timer per pool retires them, rather than one per worker: a worker
// that goes idle only notes the time, where arming and stopping a timer of
// its own around every idle spell took a timer-heap insertion and removal
// and a two-way select, and showed as 6–9% of the time of pond's suite
// with a hundred thousand submitters of one task each (BenchmarkPondSuite,
// load=100Ku-1t, interleaved runs). While any worker is idle the timer is
// armed, for the moment the bottom one's timeout passes; it may fire once
// more after the last one was woken, and then finds nothing to do.

// idleList is the stack of idle workers; ws[head:] are idle, oldest first.
// It is guarded by p.mu.
type idleList struct {
	ws   []*worker
	head int
}

func (l *idleList) len() int { return len(l.ws) - l.head }

func (l *idleList) push(w *worker) { l.ws = append(l.ws, w) }

// pop takes the worker that went idle last, whose stack is warmest.
func (l *idleList) pop() *worker {
	n := len(l.ws) - 1
	w := l.ws[n]
	l.ws[n] = nil
	l.ws = l.ws[:n]
	if n == l.head { // nobody is idle: pushes reuse the slice from its start
		l.ws, l.head = l.ws[:0], 0
	}
	return w
}

// oldest is the worker idle longest.
func (l *idleList) oldest() *worker { return l.ws[l.head] }

// dropOldest takes the worker idle longest off the list. The live part is
// moved down once the dropped part is the larger, so each drop costs O(1)
// amortized and the slice does not grow without bound.
func (l *idleList) dropOldest() {
	l.ws[l.head] = nil
	l.head++
	if l.head > len(l.ws)/2 {
		n := copy(l.ws, l.ws[l.head:])
		clear(l.ws[n:])
		l.ws, l.head = l.ws[:n], 0
	}
}

// idleClock is the time on the pool's clock: nanoseconds since New, at
// least 1, since a worker's idleAt of 0 means "not noted yet".
func (p *Pool) idleClock() int64 { return max(int64(time.Since(p.born)), 1) }

// pushIdle puts w on the idle stack and arms the reaper if it is not
// armed. park notes the time in w.idleAt once it has released p.mu, so
// that the lock is not held during a clock read. p.mu is held.
func (p *Pool) pushIdle(w *worker) {
	w.idleAt.Store(0)
	p.idle.push(w)
	if !p.reapArmed {
		p.armReaper(p.cfg.idleTimeout)
	}
}

// armReaper makes the reaper run in d. p.mu is held.
func (p *Pool) armReaper(d time.Duration) {
	p.reapArmed = true
	if p.reaper == nil {
		p.reaper = time.AfterFunc(d, p.reap)
	} else {
		p.reaper.Reset(d)
	}
}

// stopReaper stops the reaper once the pool is closed and nobody can be
// idle again; if it fired already, reap finds the pool closed.
func (p *Pool) stopReaper() {
	if p.reapArmed {
		p.reapArmed = false
		p.reaper.Stop()
	}
}

// reap retires the idle workers whose timeout has passed, oldest first,
// and arms itself again for the next one, if any is still idle.
func (p *Pool) reap() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reapArmed = false
	if p.closed {
		return
	}
	timeout := int64(p.cfg.idleTimeout)
	now := p.idleClock()
	for p.idle.len() > 0 {
		w := p.idle.oldest()
		at := w.idleAt.Load()
		if at == 0 {
			// It went idle a moment ago and has not noted the time yet.
			p.armReaper(p.cfg.idleTimeout)
			break
		}
		if left := at + timeout - now; left > 0 {
			p.armReaper(time.Duration(left))
			break
		}
		p.idle.dropOldest()
		p.workers--
		w.wake <- false // never blocks: an idle worker's channel is empty
	}
	p.notifySettled()
}
