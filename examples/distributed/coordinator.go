package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrJobsDead is returned by a run in which some jobs were dead-lettered: the
// totals then miss their shards.
var ErrJobsDead = errors.New("distributed: jobs dead-lettered")

// coordinator publishes the jobs of a run and adds up their results. All it
// knows is in the streams, so a coordinator that is stopped and started again
// with the same run name carries on where the first one was: it reads the
// results and dead letters already there, publishes the jobs that have
// neither, and waits for the rest. A job the JOBS stream still holds from the
// earlier coordinator is dropped as a duplicate only within the stream's
// duplicate window (2 minutes, see setupStreams): a run resumed later
// publishes every unfinished job again, and each may then run twice. It is
// still counted once, as results are counted once per job ID.
type coordinator struct {
	js       jetstream.JetStream
	jobs     []Job // all of one run, with IDs 0…len-1
	progress io.Writer
	every    time.Duration // between progress lines; 0: none
}

// report is what a coordinator saw of a run.
type report struct {
	totals      Totals
	done        int
	dead        map[int]DeadLetter // by job ID
	strays      []DeadLetter       // dead letters of messages that are not jobs of the run
	resumed     int                // results and dead letters already in the stream at start
	published   int                // jobs published (the others had an outcome already)
	duplicates  int                // results of jobs already counted, ignored
	redelivered int                // results that took more than one delivery
	workers     map[string]int     // results per worker
	elapsed     time.Duration
}

// run returns when every job has a result or a dead letter, or when ctx ends.
// Results are counted once per job ID, so a job delivered twice — because its
// worker died after publishing, or its ack was lost — adds to the totals once.
func (c *coordinator) run(ctx context.Context) (report, error) {
	start := time.Now()
	r := report{
		totals:  Totals{Counts: make([]int64, len(vocabulary))},
		dead:    map[int]DeadLetter{},
		workers: map[string]int{},
	}
	if len(c.jobs) == 0 {
		return r, nil
	}
	run := c.jobs[0].Run
	s, err := c.js.Stream(ctx, outStream)
	if err != nil {
		return r, err
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter("*."+run))
	if err != nil {
		return r, err
	}
	r.resumed = int(info.State.Subjects[resultSubject(run)] + info.State.Subjects[deadSubject(run)])
	cons, err := c.js.OrderedConsumer(ctx, outStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{resultSubject(run), deadSubject(run), maxDeliveriesSubject},
	})
	if err != nil {
		return r, err
	}
	it, err := cons.Messages()
	if err != nil {
		return r, err
	}
	defer it.Stop()

	done := make([]bool, len(c.jobs))
	seen, published := 0, false
	lastProgress := time.Now()
	for r.done+len(r.dead) < len(c.jobs) {
		// Jobs go out once what the stream already had is read, so a
		// restarted coordinator publishes only what is missing.
		if !published && seen >= r.resumed {
			if err := c.publish(ctx, done, &r); err != nil {
				return r, err
			}
			published = true
		}
		if c.every > 0 && time.Since(lastProgress) >= c.every {
			lastProgress = time.Now()
			c.printProgress(r, start)
		}
		msg, err := it.Next(jetstream.NextMaxWait(100 * time.Millisecond))
		if ctx.Err() != nil {
			return r, context.Cause(ctx)
		}
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return r, err
			}
			continue
		}
		switch {
		case msg.Subject() == maxDeliveriesSubject:
			// Not counted in seen: the advisories of every run are here.
			if err := c.deadFromAdvisory(ctx, msg.Data()); err != nil {
				return r, err
			}
			continue
		case strings.HasPrefix(msg.Subject(), "results."):
			seen++
			var res Result
			if err := json.Unmarshal(msg.Data(), &res); err != nil || res.ID < 0 || res.ID >= len(c.jobs) {
				fmt.Fprintf(c.progress, "coordinator: ignoring a malformed result: %.80q\n", msg.Data())
				continue
			}
			if done[res.ID] {
				r.duplicates++
				continue
			}
			if _, ok := r.dead[res.ID]; ok {
				continue // the job's outcome is already decided
			}
			done[res.ID] = true
			r.done++
			r.totals.add(res)
			if res.Delivery > 1 {
				r.redelivered++
			}
			r.workers[res.Worker]++
		default:
			seen++
			var d DeadLetter
			if err := json.Unmarshal(msg.Data(), &d); err != nil {
				d = DeadLetter{Run: run, ID: -1, Error: fmt.Sprintf("unreadable dead letter %.80q", msg.Data())}
			}
			// A dead letter is about one of the run's jobs only if it
			// came from a message this coordinator (or an earlier one)
			// published: anything else on the subject is a stray.
			if d.ID < 0 || d.ID >= len(c.jobs) || d.MsgID != jobMsgID(run, d.ID) {
				r.strays = append(r.strays, d)
				continue
			}
			if _, ok := r.dead[d.ID]; ok || done[d.ID] {
				continue
			}
			r.dead[d.ID] = d
		}
	}
	r.elapsed = time.Since(start)
	if c.every > 0 {
		c.printProgress(r, start)
	}
	if len(r.dead) > 0 {
		return r, fmt.Errorf("%w: %d of %d", ErrJobsDead, len(r.dead), len(c.jobs))
	}
	return r, nil
}

// deadFromAdvisory turns the server's report that a job was delivered
// MaxDeliver times without an ack into a dead letter, if the job is one of
// this run's and still in the JOBS stream, and then removes the job. The dead
// letter comes back to the coordinator through the stream, as a worker's
// would, and stays there for a coordinator started later.
func (c *coordinator) deadFromAdvisory(ctx context.Context, data []byte) error {
	var adv struct {
		Seq        uint64 `json:"stream_seq"`
		Deliveries uint64 `json:"deliveries"`
	}
	if err := json.Unmarshal(data, &adv); err != nil {
		return nil // not an advisory this program understands
	}
	s, err := c.js.Stream(ctx, jobsStream)
	if err != nil {
		return err
	}
	raw, err := s.GetMsg(ctx, adv.Seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil // dealt with already, or another run's job gone since
	} else if err != nil {
		return err
	}
	var job Job
	if json.Unmarshal(raw.Data, &job) != nil || job.ID < 0 || job.ID >= len(c.jobs) ||
		raw.Header.Get(headerMsgID) != jobMsgID(c.jobs[0].Run, job.ID) {
		return nil // not a job of this run; malformed jobs are dead-lettered by workers
	}
	d := DeadLetter{Run: job.Run, ID: job.ID, Seq: adv.Seq, Kind: job.Kind, MsgID: jobMsgID(job.Run, job.ID),
		Deliveries: adv.Deliveries, Worker: "coordinator",
		Error: fmt.Sprintf("delivered %d times without an ack: its workers died or went quiet", adv.Deliveries)}
	out, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if _, err := c.js.Publish(ctx, deadSubject(job.Run), out, jetstream.WithMsgID(fmt.Sprintf("dead/%s/%d", job.Run, adv.Seq))); err != nil {
		return err
	}
	if err := s.DeleteMsg(ctx, adv.Seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return err
	}
	return nil
}

// publish sends every job that has no outcome yet, without waiting for each
// acknowledgement before sending the next. The message ID makes the JOBS
// stream drop a job it still holds from an earlier coordinator, if that one
// published it within the duplicate window; after it, the job is held twice.
func (c *coordinator) publish(ctx context.Context, done []bool, r *report) error {
	var acks []jetstream.PubAckFuture
	// wait waits for the acknowledgements outstanding, which the client
	// limits (to 4000 by default).
	wait := func() error {
		for _, ack := range acks {
			select {
			case <-ack.Ok():
				r.published++
			case err := <-ack.Err():
				return fmt.Errorf("publish job: %w", err)
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		acks = acks[:0]
		return nil
	}
	for _, job := range c.jobs {
		if _, dead := r.dead[job.ID]; done[job.ID] || dead {
			continue
		}
		data, err := json.Marshal(job)
		if err != nil {
			return err
		}
		ack, err := c.js.PublishAsync(jobSubject(job.Run), data, jetstream.WithMsgID(jobMsgID(job.Run, job.ID)))
		if err != nil {
			return fmt.Errorf("publish job %d: %w", job.ID, err)
		}
		if acks = append(acks, ack); len(acks) == 1000 {
			if err := wait(); err != nil {
				return err
			}
		}
	}
	return wait()
}

func (c *coordinator) printProgress(r report, start time.Time) {
	secs := time.Since(start).Seconds()
	fmt.Fprintf(c.progress, "progress: %d/%d jobs done, %d dead, %d workers seen, %.0f jobs/s\n",
		r.done, len(c.jobs), len(r.dead), len(r.workers), float64(r.done)/max(secs, 1e-9))
}
