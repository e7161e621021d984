package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestMain is also the worker program when the test binary is re-executed as
// one by withWorkers or by a test that kills it.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		err := childMain(ctx, os.Args[1:])
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// syncBuffer is a bytes.Buffer that processes' output can be copied into
// concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunWithWorkerProcessesMatchesSingleProcess(t *testing.T) {
	var out bytes.Buffer
	var log syncBuffer
	err := run(t.Context(), []string{"-shards", "24", "-words", "3000", "-workers", "2", "-progress", "50ms"}, &out, &log)
	require.NoError(t, err, log.String())
	text := out.String()
	t.Log("\n" + text)
	assert.Contains(t, text, "results equal to the single-process computation: true")
	assert.Contains(t, text, "2 worker process(es)")
	assert.Contains(t, text, "in-process pool")
	assert.Contains(t, log.String(), "progress: 24/24 jobs done, 0 dead")
	assert.Equal(t, 2, strings.Count(log.String(), ": joined nats://"), "two worker processes joined")
}

func TestRunBenchTimesEachWorkerCount(t *testing.T) {
	var out bytes.Buffer
	var log syncBuffer
	err := run(t.Context(), []string{"-shards", "16", "-words", "2000", "-bench", "1,2", "-repeat", "2", "-progress", "0"}, &out, &log)
	require.NoError(t, err, log.String())
	text := out.String()
	t.Log("\n" + text)
	assert.Contains(t, text, "1 worker process(es)")
	assert.Contains(t, text, "2 worker process(es)")
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-nope"},
		{"-role", "boss"},
		{"-role", "worker"},
		{"-shards", "0"},
		{"-chunks", "2000"},
		{"-workers", "0"},
		{"-bench", "1,x"},
		{"-run", "a.b"},
		{"-ackwait", "0s"},
		{"-repeat", "0", "-bench", "1"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			assert.Error(t, run(t.Context(), args, io.Discard, io.Discard))
		})
	}
}

func TestComputeLocalIsDeterministic(t *testing.T) {
	jobs := smallJobs("det", 5)
	a, b := localTotals(t, jobs), localTotals(t, jobs)
	assert.True(t, a.equal(b))
	assert.Equal(t, int64(5*2000), a.Words)
	var sum int64
	for _, c := range a.Counts {
		sum += c
	}
	assert.Equal(t, a.Words, sum, "every word is one of the vocabulary")
	other := localTotals(t, makeJobs("det", 8, 5, 2000, 2))
	assert.False(t, a.equal(other), "another seed, another corpus")
	chunked := localTotals(t, makeJobs("det", 7, 5, 2000, 2))
	assert.True(t, a.equal(chunked))
}

func TestWorkersStoppedAtOnceStopCleanly(t *testing.T) {
	b := newBroker(t, testConfig)
	c, err := parse([]string{"-procs", "1"}, io.Discard)
	require.NoError(t, err)
	// The interrupt may reach a worker before it can handle it: it has not
	// connected then, and holds nothing, so that is no error.
	for range 3 {
		_, err := withWorkers(t.Context(), 2, b.url, c, io.Discard, func(context.Context) (report, error) { return report{}, nil })
		require.NoError(t, err)
	}
}

func TestRunOnAnExistingServer(t *testing.T) {
	b := newBroker(t, testConfig)
	var out bytes.Buffer
	var log syncBuffer
	args := []string{"-nats", b.url, "-run", "existing", "-shards", "8", "-words", "1000", "-workers", "1", "-progress", "0"}
	require.NoError(t, run(t.Context(), args, &out, &log), log.String())
	assert.Contains(t, out.String(), "results equal to the single-process computation: true")
	assert.NotContains(t, log.String(), "embedded")

	// The same run again finds every result in the stream and publishes
	// nothing: with -workers 0, nobody could have done the work.
	out.Reset()
	args[len(args)-3] = "0"
	require.NoError(t, run(t.Context(), args, &out, &log), log.String())
	assert.Contains(t, out.String(), "8 outcomes resumed from the stream")
}

func TestResumedRunKeepsItsParameters(t *testing.T) {
	b := newBroker(t, testConfig)
	var out bytes.Buffer
	var log syncBuffer
	require.NoError(t, run(t.Context(), []string{"-nats", b.url, "-run", "resumed", "-shards", "6", "-words", "1000", "-workers", "1", "-progress", "0"}, &out, &log), log.String())
	assert.Contains(t, out.String(), "word statistics over 6 shards of 1000 words")

	// The documented command, with none of the run's flags: the defaults
	// (400 shards of 50000 words) must not be mixed with the 6 results in.
	out.Reset()
	require.NoError(t, run(t.Context(), []string{"-nats", b.url, "-run", "resumed"}, &out, &log), log.String())
	t.Log("\n" + out.String())
	assert.Contains(t, out.String(), "word statistics over 6 shards of 1000 words")
	assert.Contains(t, out.String(), "results equal to the single-process computation: true")
	assert.Contains(t, out.String(), "6 outcomes resumed from the stream")

	err := run(t.Context(), []string{"-nats", b.url, "-run", "resumed", "-shards", "6", "-words", "2000", "-seed", "9", "-workers", "0"}, io.Discard, io.Discard)
	require.ErrorIs(t, err, ErrParamsDiffer)
	assert.ErrorContains(t, err, "-seed 9 (the run has 1), -words 2000 (the run has 1000)")
}
