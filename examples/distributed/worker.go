package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/semaphore"
)

// A Handler computes the result of one kind of job. It runs the job's stages
// on c, the worker's pool with its per-goroutine scratch, which it shares
// with the other jobs the worker has in flight; it must return when ctx is
// done.
type Handler func(ctx context.Context, c *counter, job Job) (Result, error)

// A DeadLetter reports a job that will not be retried: a bad job at its first
// delivery, or one that failed MaxDeliver times.
type DeadLetter struct {
	Run        string `json:"run"`
	ID         int    `json:"id"`  // -1 if the message could not be decoded
	Seq        uint64 `json:"seq"` // the job message's sequence in the JOBS stream
	Kind       string `json:"kind,omitempty"`
	MsgID      string `json:"msg_id,omitempty"` // the job message's Nats-Msg-Id
	Error      string `json:"error"`
	Deliveries uint64 `json:"deliveries"`
	Worker     string `json:"worker,omitempty"`
}

// worker pulls jobs from the workers' consumer and runs them, up to inflight
// at once and never more than the consumer's MaxAckPending, with their stages
// on one counter: a weft pool of procs goroutines, each with its own scratch.
type worker struct {
	js       jetstream.JetStream
	name     string
	handlers map[string]Handler
	procs    int
	inflight int
	log      io.Writer
}

func defaultHandlers() map[string]Handler {
	return map[string]Handler{kindWords: countWords}
}

// run works until ctx is done, then waits for the jobs it holds to be acked or
// handed back (Nak) and returns.
func (w *worker) run(ctx context.Context) error {
	cons, err := w.consumer(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before there was anything to do
		}
		return err
	}
	// The consumer's config is read again with every batch of jobs, and
	// the jobs running read it at each heartbeat: a coordinator started
	// after this worker may have shortened the ack wait, and a heartbeat
	// paced by the old one would lose every job to redelivery.
	var cfg atomic.Pointer[jetstream.ConsumerConfig]
	cfg.Store(&cons.CachedInfo().Config)
	limit := w.inflight
	if cfg := cfg.Load(); cfg.MaxAckPending > 0 {
		limit = min(limit, cfg.MaxAckPending)
	}
	// The semaphore keeps this worker from pulling jobs it cannot start:
	// a job pulled and left waiting would use up its AckWait in a queue.
	sem := semaphore.New(int64(limit))
	c := newCounter(w.procs)
	var jobs sync.WaitGroup
	defer func() {
		jobs.Wait()
		c.pool.Stop()
	}()
	for {
		if err := sem.Acquire(ctx, 1); err != nil {
			return nil
		}
		n := 1
		for n < limit && sem.TryAcquire(1) {
			n++
		}
		fetchCtx, cancel := context.WithTimeout(ctx, time.Second)
		batch, err := cons.Fetch(n, jetstream.FetchContext(fetchCtx))
		got := 0
		if err == nil {
			for msg := range batch.Messages() {
				// Read after a job arrived, so as to see an update
				// made before it was delivered.
				if got == 0 {
					if info, err := cons.Info(ctx); err == nil {
						cfg.Store(&info.Config)
					}
				}
				got++
				jobs.Go(func() {
					defer sem.Release(1)
					w.handle(ctx, c, msg, &cfg)
				})
			}
			err = batch.Error()
		}
		cancel()
		sem.Release(int64(n - got))
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, jetstream.ErrNoMessages):
			fmt.Fprintf(w.log, "worker %s: fetch: %v\n", w.name, err)
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
}

// consumer waits for the coordinator to have created the workers' consumer,
// so that workers can be started first, from any machine.
func (w *worker) consumer(ctx context.Context) (jetstream.Consumer, error) {
	for {
		cons, err := w.js.Consumer(ctx, jobsStream, consumerName)
		if err == nil {
			return cons, nil
		}
		if !errors.Is(err, jetstream.ErrStreamNotFound) && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// handle runs one job message to its end: a result published and the job
// acked, or the job handed back for another try (Nak), or dead-lettered and
// terminated. It never panics, whatever the handler does.
//
// Its heartbeats come every quarter of the consumer's ack wait, as cfg holds
// it at the last beat.
func (w *worker) handle(ctx context.Context, c *counter, msg jetstream.Msg, cfg *atomic.Pointer[jetstream.ConsumerConfig]) {
	// Publishing and acking outlive a stopping worker's ctx: a result that
	// is computed is worth sending.
	bg := context.WithoutCancel(ctx)
	var deliveries, seq uint64 = 1, 0
	if md, err := msg.Metadata(); err == nil {
		deliveries, seq = md.NumDelivered, md.Sequence.Stream
	}
	run := strings.TrimPrefix(msg.Subject(), "jobs.")
	job := Job{Run: run, ID: -1}
	if err := json.Unmarshal(msg.Data(), &job); err != nil {
		w.dead(bg, msg, DeadLetter{Run: run, ID: -1, Seq: seq, Deliveries: deliveries,
			Error: fmt.Sprintf("%v: malformed message: %v", ErrBadJob, err)})
		return
	}
	handler, ok := w.handlers[job.Kind]
	err := job.validate()
	if err == nil && !ok {
		err = fmt.Errorf("%w: unknown kind %q", ErrBadJob, job.Kind)
	}
	if err != nil {
		w.dead(bg, msg, DeadLetter{Run: run, ID: job.ID, Seq: seq, Kind: job.Kind, Deliveries: deliveries, Error: err.Error()})
		return
	}

	// The handler runs as a future, so that its panic becomes an error,
	// while this goroutine tells the server the job is alive.
	f := future.Go(ctx, func(ctx context.Context) (Result, error) { return handler(ctx, c, job) })
	heartbeat := func() time.Duration {
		if d := cfg.Load().AckWait / 4; d > 0 { // slack for a busy machine
			return d
		}
		return 10 * time.Second
	}
	every := heartbeat()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for waiting := true; waiting; {
		select {
		case <-f.Done():
			waiting = false
		case <-tick.C:
			if err := msg.InProgress(); err != nil {
				fmt.Fprintf(w.log, "worker %s: job %s/%d: heartbeat: %v\n", w.name, run, job.ID, err)
			}
			if d := heartbeat(); d != every {
				every = d
				tick.Reset(every)
			}
		}
	}
	res, err := f.Result(bg)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			_ = msg.Nak() // stopping: let another worker have it now
		case cfg.Load().MaxDeliver > 0 && deliveries >= uint64(cfg.Load().MaxDeliver):
			w.dead(bg, msg, DeadLetter{Run: run, ID: job.ID, Seq: seq, Kind: job.Kind, Deliveries: deliveries,
				Error: fmt.Sprintf("failed %d times, last: %v", deliveries, err)})
		default:
			fmt.Fprintf(w.log, "worker %s: job %s/%d failed (delivery %d): %v\n", w.name, run, job.ID, deliveries, firstLine(err))
			_ = msg.NakWithDelay(time.Duration(deliveries) * 100 * time.Millisecond)
		}
		return
	}
	res.Run, res.ID, res.Worker, res.Delivery = job.Run, job.ID, w.name, deliveries
	data, err := json.Marshal(res)
	if err == nil {
		_, err = w.js.Publish(bg, resultSubject(run), data, jetstream.WithMsgID(resultMsgID(run, job.ID)))
	}
	if err != nil {
		fmt.Fprintf(w.log, "worker %s: job %s/%d: publish result: %v\n", w.name, run, job.ID, err)
		_ = msg.Nak()
		return
	}
	// If this ack is lost the job runs again and its result is published
	// again: the stream drops it as a duplicate, or the coordinator, which
	// counts one result per job, does. So there is no need to wait for the
	// server to confirm it.
	_ = msg.Ack()
}

// dead publishes d and terminates the job, or hands the job back if the dead
// letter could not be published, so that it is not lost without a word.
func (w *worker) dead(ctx context.Context, msg jetstream.Msg, d DeadLetter) {
	d.Worker = w.name
	d.MsgID = msg.Headers().Get(headerMsgID)
	fmt.Fprintf(w.log, "worker %s: job %s/%d (seq %d) dead: %s\n", w.name, d.Run, d.ID, d.Seq, d.Error)
	data, err := json.Marshal(d)
	if err == nil {
		_, err = w.js.Publish(ctx, deadSubject(d.Run), data, jetstream.WithMsgID(fmt.Sprintf("dead/%s/%d", d.Run, d.Seq)))
	}
	if err != nil {
		_ = msg.Nak()
		return
	}
	_ = msg.TermWithReason(firstLine(errors.New(d.Error)))
}

func resultMsgID(run string, id int) string { return fmt.Sprintf("result/%s/%d", run, id) }

func jobMsgID(run string, id int) string { return fmt.Sprintf("job/%s/%d", run, id) }

// firstLine is err's message without the stack a *PanicError prints with %+v.
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
