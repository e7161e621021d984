package expvarobs_test

import (
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/observe"
	"github.com/weftgo/weft/observe/expvarobs"
)

var errTask = errors.New("task failed")

func TestCounts(t *testing.T) {
	var o expvarobs.Observer // the zero value is ready to use
	events := []observe.Event{
		{Kind: observe.Queued},
		{Kind: observe.Queued},
		{Kind: observe.Queued},
		{Kind: observe.Started, Wait: 2 * time.Millisecond},
		{Kind: observe.Started, Wait: 4 * time.Millisecond},
		{Kind: observe.Finished, Wait: 2 * time.Millisecond, Run: time.Second},
		{Kind: observe.Panicked, Err: errTask},
		{Kind: observe.Finished, Wait: 4 * time.Millisecond, Run: 3 * time.Second, Err: errTask},
		{Kind: observe.Started},
		{Kind: observe.Dropped, Err: errTask},
		{Kind: observe.Rejected, Err: errTask},
		{Kind: observe.Acquired, Weight: 3, Wait: 8 * time.Millisecond},
		{Kind: observe.Released, Weight: 2},
		{Kind: observe.Kind(200)}, // unknown kinds are ignored
	}
	for _, e := range events {
		o.Observe(e)
	}
	s := o.Snapshot()
	assert.Equal(t, expvarobs.Snapshot{
		Queued: 3, Started: 3, Finished: 2, Failed: 1, Panicked: 1, Dropped: 1, Rejected: 1,
		Acquired: 1, Released: 1, InFlight: 1, Held: 1,
		Wait: expvarobs.Quantiles{Count: 4, P50: 2 * time.Millisecond, P90: 8 * time.Millisecond,
			P99: 8 * time.Millisecond, Max: 8 * time.Millisecond},
		Run: expvarobs.Quantiles{Count: 2, P50: time.Second, P90: 3 * time.Second,
			P99: 3 * time.Second, Max: 3 * time.Second},
	}, approx(s))
}

// approx rounds the percentiles of s to the values they approximate in
// TestCounts (powers of two and whole seconds), within the promised 3.2%.
func approx(s expvarobs.Snapshot) expvarobs.Snapshot {
	round := func(d *time.Duration, to ...time.Duration) {
		for _, v := range to {
			if diff := *d - v; diff*32 <= v && -diff*32 <= v {
				*d = v
			}
		}
	}
	for _, q := range []*expvarobs.Quantiles{&s.Wait, &s.Run} {
		for _, d := range []*time.Duration{&q.P50, &q.P90, &q.P99} {
			round(d, 0, 2*time.Millisecond, 4*time.Millisecond, 8*time.Millisecond, time.Second, 3*time.Second)
		}
	}
	return s
}

// The variable is one JSON object with the documented keys, durations in
// integer nanoseconds, and the stats value under "stats".
func TestJSONShape(t *testing.T) {
	type stats struct{ Limit, Running int }
	o := expvarobs.New(expvarobs.WithStats(func() any { return stats{Limit: 4, Running: 1} }))
	o.Observe(observe.Event{Kind: observe.Started, Wait: 1500})
	o.Observe(observe.Event{Kind: observe.Finished, Run: 7})
	var v expvar.Var = o

	var got map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(v.String()), &got))
	keys := []string{"queued", "started", "finished", "failed", "panicked", "dropped", "rejected",
		"acquired", "released", "in_flight", "held", "wait", "run", "stats"}
	assert.Len(t, got, len(keys))
	for _, k := range keys {
		assert.Contains(t, got, k)
	}
	assert.JSONEq(t, `1`, string(got["started"]))
	assert.JSONEq(t, `{"count":1,"p50_ns":7,"p90_ns":7,"p99_ns":7,"max_ns":7}`, string(got["run"]))
	var wait map[string]int64
	require.NoError(t, json.Unmarshal(got["wait"], &wait))
	assert.Equal(t, int64(1500), wait["max_ns"])
	assert.InDelta(t, 1500, wait["p50_ns"], 1500/32)
	assert.JSONEq(t, `{"Limit":4,"Running":1}`, string(got["stats"]))

	// Without a stats function there is no "stats" key.
	got = nil
	require.NoError(t, json.Unmarshal([]byte(expvarobs.New().String()), &got))
	assert.NotContains(t, got, "stats")

	// A stats value that JSON cannot encode is reported, not lost.
	bad := expvarobs.New(expvarobs.WithStats(func() any { return func() {} }))
	got = nil
	require.NoError(t, json.Unmarshal([]byte(bad.String()), &got))
	assert.Contains(t, string(got["stats"]), "expvarobs: json: unsupported type")
}

// publishRuns numbers the runs of TestPublish: expvar names are process-wide
// and can never be unpublished, so each run (-count) needs a name of its own.
var publishRuns atomic.Int64

func TestPublish(t *testing.T) {
	name := fmt.Sprintf("expvarobs_test_publish_%d", publishRuns.Add(1))
	o := expvarobs.Publish(name)
	o.Observe(observe.Event{Kind: observe.Rejected})
	v := expvar.Get(name)
	require.NotNil(t, v)
	assert.Same(t, o, v)
	assert.Contains(t, v.String(), `"rejected":1`)
	assert.Panics(t, func() { expvarobs.Publish(name) }, "a name is published once")

	// New leaves publishing to the caller, here in a map.
	m := new(expvar.Map).Init()
	m.Set("stage", expvarobs.New())
	assert.Contains(t, m.String(), `"stage": {"queued":0`)
}

func TestMisuse(t *testing.T) {
	assert.PanicsWithValue(t, "expvarobs: nil stats func", func() { expvarobs.WithStats(nil) })
	assert.PanicsWithValue(t, "expvarobs: nil Option", func() { expvarobs.New(nil) })
}

// TestStress observes from many goroutines while others read: every event
// is counted once (go test -race checks the rest).
func TestStress(t *testing.T) {
	workers := 4 * runtime.GOMAXPROCS(0)
	rounds := 20000
	if testing.Short() {
		rounds = 2000
	}
	o := expvarobs.New(expvarobs.WithStats(func() any { return 1 }))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				var s expvarobs.Snapshot
				if err := json.Unmarshal([]byte(o.String()), &s); err != nil {
					panic(err)
				}
			}
		}
	})
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				d := time.Duration(w*rounds + i)
				o.Observe(observe.Event{Kind: observe.Started, Wait: d})
				o.Observe(observe.Event{Kind: observe.Finished, Run: d})
				o.Observe(observe.Event{Kind: observe.Acquired, Weight: 2})
				o.Observe(observe.Event{Kind: observe.Released, Weight: 2})
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	s := o.Snapshot()
	n := int64(workers * rounds)
	assert.Equal(t, n, s.Started)
	assert.Equal(t, n, s.Finished)
	assert.Equal(t, int64(0), s.InFlight)
	assert.Equal(t, int64(0), s.Held)
	assert.Equal(t, 2*n, s.Wait.Count, "Started and Acquired")
	assert.Equal(t, n, s.Run.Count)
	assert.Equal(t, time.Duration(n-1), s.Run.Max)
	// The durations are 0..n-1, each once: the median is about n/2.
	assert.InDelta(t, float64(n)/2, float64(s.Run.P50), float64(n)/32)
}

func TestObserveDoesNotAllocate(t *testing.T) {
	o := expvarobs.New()
	events := []observe.Event{
		{Kind: observe.Queued}, {Kind: observe.Started, Wait: time.Millisecond},
		{Kind: observe.Finished, Run: time.Second, Err: errTask}, {Kind: observe.Acquired, Weight: 1},
		{Kind: observe.Released, Weight: 1}, {Kind: observe.Rejected, Err: errTask},
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, e := range events {
			o.Observe(e)
		}
	})
	assert.Zero(t, allocs)
}
