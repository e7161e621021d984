package pool

// Stats is a snapshot of a pool's state and lifetime counters.
//
// Once the pool is idle (nothing running or queued),
// Submitted == Completed + Failed + Panicked + Dropped + Expired. Each task
// that runs ends in exactly one of Completed, Failed and Panicked, by its
// outcome — also a
// task whose outcome goes to its caller rather than to the pool (a call of
// [Map] or [MapSeq], a future's task), though only the caller sees it.
//
// Running counts tasks that have started and not ended, including a task
// suspended while a nested task runs in its slot (see [Pool.Submit]) and a
// task blocked in [Group.Wait], so it may exceed Limit while they wait.
type Stats struct {
	Limit   int // tasks allowed to run at once
	Workers int // live worker goroutines, busy or idle
	Running int // tasks started and not yet ended
	Queued  int // tasks waiting for a worker

	Submitted uint64 // tasks accepted
	Completed uint64 // tasks that returned nil
	Failed    uint64 // tasks that returned an error or called runtime.Goexit
	Panicked  uint64 // tasks that panicked
	Rejected  uint64 // submissions refused: closed, queue full, or context done
	Dropped   uint64 // queued tasks discarded by Stop
	Expired   uint64 // queued tasks discarded when their QueueTimeout passed
}

type counters struct {
	submitted, completed, failed, panicked, rejected, dropped, expired uint64
}

// Stats returns a consistent snapshot of the pool's counters. It is safe
// for concurrent use and does not block on running tasks.
func (p *Pool) Stats() Stats {
	p.made()
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{
		Limit:     p.limit,
		Workers:   p.workers,
		Running:   p.running,
		Queued:    p.queue.len(),
		Submitted: p.st.submitted,
		Completed: p.st.completed,
		Failed:    p.st.failed,
		Panicked:  p.st.panicked,
		Rejected:  p.st.rejected,
		Dropped:   p.st.dropped,
		Expired:   p.st.expired,
	}
}
