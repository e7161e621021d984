package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
)

// testBroker is an embedded JetStream server with the streams set up, torn
// down when the test ends.
type testBroker struct {
	url string
	js  jetstream.JetStream
}

// testConfig keeps fault tests short: a job whose worker goes quiet comes back
// after a second, and a failing job is dead after three deliveries.
var testConfig = brokerConfig{ackWait: time.Second, maxDeliver: 3, maxAckPending: 64, storage: jetstream.MemoryStorage}

func newBroker(t *testing.T, cfg brokerConfig) *testBroker {
	t.Helper()
	srv, err := startEmbedded(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(srv.shutdown)
	nc, js, err := connect(srv.url(), t.Name())
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	require.NoError(t, setupStreams(t.Context(), js, cfg))
	return &testBroker{url: srv.url(), js: js}
}

// startWorker runs an in-process worker until the test ends or the returned
// stop is called.
func (b *testBroker) startWorker(t *testing.T, handlers map[string]Handler, inflight int) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	w := &worker{js: b.js, name: "in-process", handlers: handlers, procs: 2, inflight: inflight, log: testLog{t}}
	go func() { done <- w.run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			require.NoError(t, <-done)
		})
	}
	t.Cleanup(stop)
	return stop
}

// coordinate runs a coordinator for jobs on a goroutine of its own; its
// outcome arrives on the returned channel.
func (b *testBroker) coordinate(ctx context.Context, jobs []Job) <-chan outcome {
	ch := make(chan outcome, 1)
	c := &coordinator{js: b.js, jobs: jobs, progress: discard{}}
	go func() {
		r, err := c.run(ctx)
		ch <- outcome{r, err}
	}()
	return ch
}

type outcome struct {
	report report
	err    error
}

// await waits for ch, failing the test if that takes longer than d.
func await[T any](t *testing.T, ch <-chan T, d time.Duration) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		require.FailNow(t, "timed out", "after %v", d)
		panic("unreachable")
	}
}

// countOn returns the number of messages stream holds on subject.
func (b *testBroker) countOn(t *testing.T, stream, subject string) int {
	t.Helper()
	s, err := b.js.Stream(t.Context(), stream)
	require.NoError(t, err)
	info, err := s.Info(t.Context(), jetstream.WithSubjectFilter(subject))
	require.NoError(t, err)
	return int(info.State.Subjects[subject])
}

// waitFor polls cond every 10ms until it holds, for at most d: the broker's
// state is across a network connection, with nothing to block on.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(d)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			require.FailNow(t, "timed out waiting for "+what)
		}
	}
}

// deadLetters reads the dead letters of run from the OUT stream.
func (b *testBroker) deadLetters(t *testing.T, run string) []DeadLetter {
	t.Helper()
	n := b.countOn(t, outStream, deadSubject(run))
	var out []DeadLetter
	if n == 0 {
		return out
	}
	cons, err := b.js.OrderedConsumer(t.Context(), outStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{deadSubject(run)}})
	require.NoError(t, err)
	batch, err := cons.Fetch(n, jetstream.FetchMaxWait(5*time.Second))
	require.NoError(t, err)
	for msg := range batch.Messages() {
		var d DeadLetter
		require.NoError(t, json.Unmarshal(msg.Data(), &d))
		out = append(out, d)
	}
	require.NoError(t, batch.Error())
	return out
}

func localTotals(t *testing.T, jobs []Job) Totals {
	t.Helper()
	want, err := computeLocal(t.Context(), jobs)
	require.NoError(t, err)
	return want
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(string(p))
	return len(p), nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func smallJobs(run string, n int) []Job { return makeJobs(run, 7, n, 2000, 2) }

func jobName(j Job) string { return fmt.Sprintf("%s/%d", j.Run, j.ID) }
