package shake

// Site names a synchronisation point of a weft primitive. The hook does the
// same things at every site; the site only tells the starvation phase (see
// the package documentation) which points to delay.
type Site uint8

// The sites, one per kind of synchronisation point. A site whose name ends
// in Locked is reached with a weft lock held: [Locked] is called there, and
// it never sleeps.
const (
	PoolSubmit     Site = iota // a task is about to be offered to a pool
	PoolWake                   // a submitter or worker is about to wake or start a worker
	PoolYield                  // a worker that found the queue empty is about to yield
	PoolPark                   // an idle worker is about to park
	PoolWoken                  // a parked worker was woken and is about to look at the queue
	PoolStart                  // a worker is about to run a task
	PoolEnd                    // a task returned and is about to be accounted for
	PoolCallerRuns             // a subtask is about to run in its caller's slot
	PoolWait                   // Wait, Shutdown or Stop is about to wait for tasks

	FutureComplete // a future's result is published; its callbacks are not run yet
	FutureCallback // a done-callback is about to run or be delivered
	FutureWait     // Wait or AsCompleted is about to collect what fired

	SemAcquire // an Acquire has started
	SemPark    // a waiter is queued and about to park
	SemGrant   // grants and wake-ups are about to be delivered to waiters
	SemWoken   // a parked waiter received its grant or wake-up
	SemRelease // a Release is about to hand permits back
	SemCancel  // a waiter whose context ended is about to withdraw

	QueuePut   // a queue Put is about to take the lock
	QueueGet   // a queue Get is about to take the lock
	QueueClose // a queue is about to be closed

	StageHandoff // a pipeline stage is about to pass items to the next stage
	StageEmit    // a stage's result is about to be emitted
	StageCancel  // a pipeline run is about to be canceled

	CondWait         // internal/cond: a waiter released the lock and is about to park
	CondSignalLocked // internal/cond: a waiter is about to be signalled (lock held)
)
