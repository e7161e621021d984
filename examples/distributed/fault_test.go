package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// holdEnv makes a re-executed test binary a worker that takes jobs and never
// finishes them, announcing each on stdout, until it is killed.
const holdEnv = "WEFT_DISTRIBUTED_HOLD"

func TestKilledWorkerProcessJobIsRedeliveredAndCountedOnce(t *testing.T) {
	b := newBroker(t, testConfig)
	jobs := smallJobs("killed", 12)
	want := localTotals(t, jobs)
	res := b.coordinate(t.Context(), jobs)

	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-role", "worker", "-nats", b.url, "-inflight", "3", "-procs", "1")
	cmd.Env = append(os.Environ(), childEnv+"=1", holdEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	held := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if after, ok := strings.CutPrefix(sc.Text(), "holding "); ok {
				select {
				case held <- after:
				default:
				}
			}
		}
	}()
	t.Log("the worker process holds job", await(t, held, 20*time.Second))
	require.NoError(t, cmd.Process.Kill())
	require.Error(t, cmd.Wait(), "the worker was killed, not stopped")

	b.startWorker(t, defaultHandlers(), 4)
	o := await(t, res, 30*time.Second)
	require.NoError(t, o.err)
	assert.True(t, o.report.totals.equal(want), "totals equal the single-process ones")
	assert.Equal(t, len(jobs), o.report.done)
	assert.GreaterOrEqual(t, o.report.redelivered, 1, "the jobs the killed worker held came back")
	assert.Equal(t, map[string]int{"in-process": len(jobs)}, o.report.workers)
}

func TestResultPublishedTwiceIsCountedOnce(t *testing.T) {
	b := newBroker(t, testConfig)
	jobs := smallJobs("twice", 4)
	want := localTotals(t, jobs)
	res := b.coordinate(t.Context(), jobs)

	c := newCounter(2)
	defer c.pool.Stop()
	publish := func(id int, msgID string) *jetstream.PubAck {
		r, err := countWords(t.Context(), c, jobs[id])
		require.NoError(t, err)
		data, err := json.Marshal(r)
		require.NoError(t, err)
		ack, err := b.js.Publish(t.Context(), resultSubject("twice"), data, jetstream.WithMsgID(msgID))
		require.NoError(t, err)
		return ack
	}
	// Within the duplicate window the stream itself drops the second copy…
	assert.False(t, publish(0, resultMsgID("twice", 0)).Duplicate)
	assert.True(t, publish(0, resultMsgID("twice", 0)).Duplicate)
	// …and outside it, or under another ID, the coordinator does.
	publish(1, resultMsgID("twice", 1))
	publish(1, "another-id")
	publish(2, resultMsgID("twice", 2))
	publish(3, resultMsgID("twice", 3))

	o := await(t, res, 20*time.Second)
	require.NoError(t, o.err)
	assert.True(t, o.report.totals.equal(want))
	assert.Equal(t, 1, o.report.duplicates)
}

func TestAlwaysFailingJobIsDeadLetteredAndReported(t *testing.T) {
	b := newBroker(t, testConfig)
	jobs := smallJobs("failing", 6)
	jobs[2].Kind = "boom"
	var attempts atomic.Int32
	handlers := defaultHandlers()
	handlers["boom"] = func(context.Context, *counter, Job) (Result, error) {
		attempts.Add(1)
		panic("boom")
	}
	b.startWorker(t, handlers, 4)

	o := await(t, b.coordinate(t.Context(), jobs), 20*time.Second)
	require.ErrorIs(t, o.err, ErrJobsDead)
	require.Len(t, o.report.dead, 1)
	d := o.report.dead[2]
	assert.Equal(t, uint64(testConfig.maxDeliver), d.Deliveries)
	assert.Contains(t, d.Error, "boom")
	assert.Equal(t, int32(testConfig.maxDeliver), attempts.Load(), "tried MaxDeliver times, then not again")
	assert.Equal(t, len(jobs)-1, o.report.done, "the worker survived the panics and did the rest")
	assert.True(t, o.report.totals.equal(localTotals(t, append(jobs[:2:2], jobs[3:]...))))
}

func TestJobWhoseWorkersGoQuietIsDeadLetteredAfterMaxDeliver(t *testing.T) {
	cfg := testConfig
	cfg.ackWait, cfg.maxDeliver, cfg.maxAckPending = 300*time.Millisecond, 2, 1
	b := newBroker(t, cfg)
	jobs := smallJobs("quiet", 3)
	res := b.coordinate(t.Context(), jobs)

	// Two workers take job 0 in turn and die without a word: no ack, no
	// Nak, no heartbeat. With MaxAckPending 1 nobody gets another job
	// until job 0 is redelivered.
	cons, err := b.js.Consumer(t.Context(), jobsStream, consumerName)
	require.NoError(t, err)
	for delivery := 1; delivery <= cfg.maxDeliver; delivery++ {
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		require.NoError(t, err)
		var job Job
		require.NoError(t, json.Unmarshal(msg.Data(), &job))
		md, err := msg.Metadata()
		require.NoError(t, err)
		require.Equal(t, 0, job.ID)
		require.Equal(t, uint64(delivery), md.NumDelivered)
	}
	b.startWorker(t, defaultHandlers(), 4)

	o := await(t, res, 20*time.Second)
	require.ErrorIs(t, o.err, ErrJobsDead)
	require.Len(t, o.report.dead, 1)
	assert.Contains(t, o.report.dead[0].Error, "delivered 2 times without an ack")
	assert.Equal(t, 2, o.report.done)
	// The acks of the other jobs are not awaited by the worker: they may
	// still be on their way.
	waitFor(t, 10*time.Second, "an empty work queue: the dead job gone, the others acked", func() bool {
		return b.countOn(t, jobsStream, jobSubject("quiet")) == 0
	})
}

func TestRestartedCoordinatorResumesFromTheStreams(t *testing.T) {
	b := newBroker(t, testConfig)
	jobs := smallJobs("restart", 16)
	want := localTotals(t, jobs)
	// Jobs 8 and up wait for release, so the first coordinator stops with
	// half the results in.
	release := make(chan struct{})
	var runs atomic.Int32
	handlers := map[string]Handler{kindWords: func(ctx context.Context, c *counter, job Job) (Result, error) {
		runs.Add(1)
		if job.ID >= 8 {
			select {
			case <-release:
			case <-ctx.Done():
				return Result{}, ctx.Err()
			}
		}
		return countWords(ctx, c, job)
	}}
	b.startWorker(t, handlers, 4)

	ctx, stop := context.WithCancel(t.Context())
	first := b.coordinate(ctx, jobs)
	waitFor(t, 20*time.Second, "8 results", func() bool { return b.countOn(t, outStream, resultSubject("restart")) == 8 })
	stop()
	o := await(t, first, 5*time.Second)
	require.ErrorIs(t, o.err, context.Canceled)

	close(release)
	o = await(t, b.coordinate(t.Context(), jobs), 20*time.Second)
	require.NoError(t, o.err)
	assert.True(t, o.report.totals.equal(want))
	assert.GreaterOrEqual(t, o.report.resumed, 8, "the results already in were read back, not recomputed")
	assert.Equal(t, len(jobs)-o.report.resumed, o.report.published, "only the jobs without a result were published again")
	assert.Equal(t, len(jobs), b.countOn(t, outStream, resultSubject("restart")), "one result per job")
	assert.Equal(t, int32(len(jobs)), runs.Load(), "no job ran twice: the republished ones were dropped as duplicates")
}

func TestBadJobMessagesAreDeadLetteredAndOthersContinue(t *testing.T) {
	b := newBroker(t, testConfig)
	jobs := smallJobs("bad", 6)
	want := localTotals(t, jobs)
	for _, data := range []string{`{"run": "bad", "id": 1, "kind": "words", "seed": `, `{"run":"bad","id":3,"kind":"nope","words":10,"chunks":1}`, `{"run":"bad","id":4,"kind":"words","words":10,"chunks":0}`} {
		_, err := b.js.Publish(t.Context(), jobSubject("bad"), []byte(data))
		require.NoError(t, err)
	}
	b.startWorker(t, defaultHandlers(), 4)

	o := await(t, b.coordinate(t.Context(), jobs), 20*time.Second)
	require.NoError(t, o.err)
	assert.True(t, o.report.totals.equal(want))

	waitFor(t, 10*time.Second, "3 dead letters", func() bool { return b.countOn(t, outStream, deadSubject("bad")) == 3 })
	var errs []string
	for _, d := range b.deadLetters(t, "bad") {
		assert.Equal(t, uint64(1), d.Deliveries, "a bad job is not retried")
		errs = append(errs, d.Error)
	}
	assert.ElementsMatch(t, []string{
		"distributed: bad job: malformed message: unexpected end of JSON input",
		`distributed: bad job: unknown kind "nope"`,
		"distributed: bad job: run \"bad\", id 4, words 10, chunks 0",
	}, errs)
}

func TestLongJobIsKeptAliveByHeartbeats(t *testing.T) {
	// A long ack wait, so that the heartbeats have slack on a busy
	// machine: a process stalled for longer than an ack wait can have its
	// job redelivered even so, which at-least-once delivery allows.
	cfg := testConfig
	cfg.ackWait = 2 * time.Second
	b := newBroker(t, cfg)
	jobs := smallJobs("long", 2)
	var runs atomic.Int32
	handlers := map[string]Handler{kindWords: func(ctx context.Context, c *counter, job Job) (Result, error) {
		runs.Add(1)
		select { // more than two ack waits
		case <-time.After(2*cfg.ackWait + cfg.ackWait/2):
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
		return countWords(ctx, c, job)
	}}
	b.startWorker(t, handlers, 4)
	o := await(t, b.coordinate(t.Context(), jobs), 20*time.Second)
	require.NoError(t, o.err)
	assert.Zero(t, o.report.redelivered)
	assert.Equal(t, int32(len(jobs)), runs.Load(), "no job was redelivered while it ran")
}

func TestWorkerKeepsJobsInFlightWithinItsLimitAndMaxAckPending(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		inflight, maxAckPending int
	}{
		{"worker limit", 2, 64},
		{"consumer limit", 8, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig
			cfg.maxAckPending = tc.maxAckPending
			b := newBroker(t, cfg)
			jobs := smallJobs("bounded", 12)
			var mu sync.Mutex
			running, most := 0, 0
			handlers := map[string]Handler{kindWords: func(ctx context.Context, c *counter, job Job) (Result, error) {
				mu.Lock()
				running++
				most = max(most, running)
				mu.Unlock()
				defer func() {
					mu.Lock()
					running--
					mu.Unlock()
				}()
				select { // long enough for others to pile up if they could
				case <-time.After(20 * time.Millisecond):
				case <-ctx.Done():
				}
				return countWords(ctx, c, job)
			}}
			b.startWorker(t, handlers, tc.inflight)
			o := await(t, b.coordinate(t.Context(), jobs), 20*time.Second)
			require.NoError(t, o.err)
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, 2, most, "jobs in flight at once")
		})
	}
}

func TestWorkerFollowsAnAckWaitShortenedAfterItStarted(t *testing.T) {
	cfg := testConfig
	cfg.ackWait = 30 * time.Second
	b := newBroker(t, cfg)
	b.startWorker(t, map[string]Handler{kindWords: func(ctx context.Context, c *counter, job Job) (Result, error) {
		select { // four ack waits of the coordinator below
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
		return countWords(ctx, c, job)
	}}, 4)
	require.NoError(t, waitForWorkers(t.Context(), b.js, 1))

	// A coordinator started later, with a shorter -ackwait, updates the
	// consumer under the worker's feet.
	cfg.ackWait = 500 * time.Millisecond
	require.NoError(t, setupStreams(t.Context(), b.js, cfg))
	jobs := smallJobs("shortened", 1)
	o := await(t, b.coordinate(t.Context(), jobs), 20*time.Second)
	require.NoError(t, o.err)
	assert.Empty(t, o.report.dead)
	assert.Zero(t, o.report.redelivered, "the heartbeats kept up with the new ack wait")
	assert.True(t, o.report.totals.equal(localTotals(t, jobs)))
}

func TestJobHeldTwiceAfterTheDuplicateWindowIsCountedOnce(t *testing.T) {
	b := newBroker(t, testConfig)
	jobs := smallJobs("window", 4)
	want := localTotals(t, jobs)
	// What an earlier coordinator left in JOBS more than the duplicate
	// window ago: the stream no longer knows its IDs, which another ID
	// stands in for here, so the resumed coordinator's copies are kept too.
	for _, j := range jobs[:2] {
		data, err := json.Marshal(j)
		require.NoError(t, err)
		ack, err := b.js.Publish(t.Context(), jobSubject(j.Run), data, jetstream.WithMsgID("earlier/"+jobMsgID(j.Run, j.ID)))
		require.NoError(t, err)
		require.False(t, ack.Duplicate)
	}
	var runs atomic.Int32
	b.startWorker(t, map[string]Handler{kindWords: func(ctx context.Context, c *counter, job Job) (Result, error) {
		runs.Add(1)
		return countWords(ctx, c, job)
	}}, 1)

	o := await(t, b.coordinate(t.Context(), jobs), 20*time.Second)
	require.NoError(t, o.err)
	assert.Equal(t, len(jobs), o.report.published, "every job without an outcome was published")
	waitFor(t, 10*time.Second, "every job held run", func() bool {
		return b.countOn(t, jobsStream, jobSubject("window")) == 0 && runs.Load() == int32(len(jobs)+2)
	})
	assert.True(t, o.report.totals.equal(want), "the jobs that ran twice were counted once")
	assert.Equal(t, len(jobs), o.report.done)
}
