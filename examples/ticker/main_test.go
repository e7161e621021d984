package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// model processes the first n lines of the market sequentially, with no
// pipeline, and returns what the consumer must see.
func model(c config, n int64) (malformed int64, bars int, alerts []Alert) {
	m := newMarket(c.symbols, c.rate, c.events, c.seed)
	win := newWindows(c.window, c.ma)
	rs := rules{movePct: c.movePct, spike: c.spike}
	for range n {
		t, err := parseTick(m.next())
		if err != nil {
			malformed++
			continue
		}
		if b := win.add(t); b != nil {
			bars++
			alerts = append(alerts, rs.check(b)...)
		}
	}
	return malformed, bars, alerts
}

func mustParse(t *testing.T, args ...string) config {
	t.Helper()
	c, err := parse(args, new(bytes.Buffer))
	require.NoError(t, err)
	return c
}

var small = []string{"-symbols", "4", "-rate", "2000", "-duration", "1s", "-window", "100ms",
	"-events", "6", "-report", "250ms", "-seed", "3"}

// checkAgainstModel checks that the pipeline lost, duplicated and
// reordered nothing: the consumer saw exactly what sequential processing
// of the same lines gives.
func checkAgainstModel(t *testing.T, c config, res *result) {
	t.Helper()
	malformed, bars, alerts := model(c, res.sent)
	assert.Equal(t, res.sent-malformed, res.ticks, "ticks reaching the consumer")
	assert.Equal(t, malformed, res.stages[1].Errors, "parse errors are exactly the garbled lines")
	assert.Equal(t, res.sent, res.parsed, "the parse stage's observer saw every line")
	assert.Equal(t, malformed, res.malformed, "and every garbled one failing")
	assert.Equal(t, bars, res.bars)
	assert.Equal(t, alerts, res.alerts)
	for _, st := range res.stages {
		assert.Zero(t, st.InFlight+st.Buffered, "stage %s still holds ticks", st.Name)
	}
}

func TestTickerMatchesSequentialModel(t *testing.T) {
	c := mustParse(t, small...)
	var buf bytes.Buffer
	res, err := process(context.Background(), c, &buf)
	require.NoError(t, err)
	t.Log("\n" + buf.String())
	checkAgainstModel(t, c, res)
	require.NotEmpty(t, res.alerts, "the scenario fires no alert: the test would prove little")
	require.Positive(t, res.stages[1].Errors, "the scenario has no malformed line")
	assert.Greater(t, res.sent, int64(1000), "the feed kept up with only %d of 2000 ticks", res.sent)
	assert.Less(t, res.blocked, c.duration/3, "a fast consumer should not hold the feed back")
}

// A feed the pipeline keeps up with sends every line due in its duration,
// the same ones for the same flags: it does not drop the last few when
// their timer fires a little late.
func TestTickerSameFlagsSameTicks(t *testing.T) {
	c := mustParse(t, small...)
	var first *result
	for range 2 {
		res, err := process(context.Background(), c, new(bytes.Buffer))
		require.NoError(t, err)
		assert.Equal(t, int64(2000), res.sent, "a rate of 2000/s for 1s")
		if first == nil {
			first = res
			continue
		}
		assert.Equal(t, first.ticks, res.ticks)
		assert.Equal(t, first.alerts, res.alerts)
	}
}

func TestTickerSlowConsumerHoldsFeedBack(t *testing.T) {
	c := mustParse(t, append(small, "-slow-consumer", "400", "-chunk", "16", "-buffer", "1")...)
	var buf bytes.Buffer
	res, err := process(context.Background(), c, &buf)
	require.NoError(t, err)
	t.Log("\n" + buf.String())
	checkAgainstModel(t, c, res)
	// The consumer takes 400 ticks/s of the 2000 offered: the feed is held
	// back and sends far fewer, instead of queueing the rest in memory.
	assert.Less(t, res.sent, int64(1200), "the feed was not held back")
	assert.Greater(t, res.blocked, 300*time.Millisecond, "the feed was not held back")
	// What the pipeline holds is bounded by its buffers, not by the run:
	// per stage about (buffer + concurrency + reorder window) batches.
	assert.LessOrEqual(t, res.maxHeld, int64(5*(1+2+4)*16))
	assert.Positive(t, res.maxHeld)
}

func TestTickerOutput(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, run(context.Background(), small, &buf))
	out := buf.String()
	t.Log("\n" + out)

	m := regexp.MustCompile(`the feed sent (\d+) ticks`).FindStringSubmatch(out)
	require.NotNil(t, m, "no summary")
	sent, _ := strconv.Atoi(m[1])
	m = regexp.MustCompile(`the consumer got (\d+) ticks \(\d+/s\); (\d+) malformed lines skipped; \d+ windows closed; (\d+) alerts`).FindStringSubmatch(out)
	require.NotNil(t, m, "no summary")
	got, _ := strconv.Atoi(m[1])
	skipped, _ := strconv.Atoi(m[2])
	alerts, _ := strconv.Atoi(m[3])
	assert.Equal(t, sent, got+skipped, "every tick is consumed or skipped")
	assert.Equal(t, alerts, strings.Count(out, "  ALERT "), "every alert is printed")
	assert.Regexp(t, `(?m)^\s+[\d.]+s\s+feed\s+\d+/s, .* parsed \d+ \(\d+ malformed\)$`, out, "live figures")
	assert.Regexp(t, `latency feed → consumer: p50 \S+  p95 \S+  p99 \S+  max \S+`, out)
	assert.Regexp(t, `(?m)^\s+parse\s+\d+\s+\d+\s+\d+$`, out, "stage table")
	for _, sym := range names[:4] {
		assert.Regexp(t, `(?m)^\s+`+sym+`(\s+[\d.]+){8}$`, out, "symbol table row")
	}
}

// cancelWriter calls cancel on the first live report, as Ctrl-C would.
type cancelWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	once   sync.Once
	cancel func()
	at     time.Time
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte(" feed ")) {
		w.once.Do(func() { w.at = time.Now(); w.cancel() })
	}
	return w.buf.Write(p)
}

func TestTickerStopsCleanlyOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelWriter{cancel: cancel}
	err := run(ctx, append(small, "-duration", "1m", "-report", "100ms", "-slow-consumer", "500"), w)
	returned := time.Now()

	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.buf.String()
	t.Log("\n" + out)
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, w.at.IsZero(), "no live report was printed")
	assert.Less(t, returned.Sub(w.at), time.Second, "run took too long to stop after cancel")
	assert.Contains(t, out, "interrupted: partial results")
	assert.Contains(t, out, "latency feed → consumer")
	// goleak in TestMain checks that the feed and every stage are gone.
}

func TestTickerRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-rate", "0"}, {"-spike", "1"}, {"-nope"}, {"extra"}, {"-window", "0s"}} {
		_, err := parse(args, new(bytes.Buffer))
		assert.Error(t, err, strings.Join(args, " "))
	}
}

func TestParseTick(t *testing.T) {
	tk, err := parseTick("42,21000,ACME,101.5000,300")
	require.NoError(t, err)
	assert.Equal(t, Tick{Seq: 42, At: 21 * time.Millisecond, Sym: "ACME", Price: 101.5, Size: 300}, tk)
	for _, bad := range []string{"", "42,21000,ACME,101.5", "42,21000,ACME,x,300", "42,21000,,1,1", "1,2,A,-1,5"} {
		_, err := parseTick(bad)
		assert.ErrorIs(t, err, errMalformed, bad)
	}
}

func TestWindowsAndRules(t *testing.T) {
	w := newWindows(100*time.Millisecond, 3)
	add := func(at time.Duration, price float64, size int64) *Bar {
		return w.add(Tick{At: at, Sym: "X", Price: price, Size: size})
	}
	assert.Nil(t, add(0, 10, 100))
	assert.Nil(t, add(50*time.Millisecond, 12, 300))
	b := add(100*time.Millisecond, 11, 100) // closes [0, 100ms)
	require.NotNil(t, b)
	assert.Equal(t, Bar{Sym: "X", Open: 10, High: 12, Low: 10, Close: 12, VWAP: 11.5, Volume: 400, Ticks: 2,
		MA: 12, notional: 4600}, *b)

	rs := rules{movePct: 5, spike: 3}
	assert.Empty(t, rs.check(b), "a first bar has nothing to compare with")

	b = add(200*time.Millisecond, 11, 100) // closes [100ms, 200ms): 12 → 11
	require.NotNil(t, b)
	as := rs.check(b)
	require.Len(t, as, 1)
	assert.Equal(t, "price", as[0].Kind)
	assert.InDelta(t, -8.33, as[0].By, 0.01)

	add(300*time.Millisecond, 11, 100)
	add(400*time.Millisecond, 11, 1000) // the last three volumes are 100: this is 10x
	b = add(500*time.Millisecond, 11, 100)
	assert.InDelta(t, 100, b.AvgVolume, 1e-9)
	assert.InDelta(t, 11, b.MA, 1e-9)
	as = rs.check(b)
	require.Len(t, as, 1)
	assert.Equal(t, "volume", as[0].Kind)
	assert.InDelta(t, 10, as[0].By, 1e-9)
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Microsecond)
	}
	for _, q := range []float64{0.5, 0.95, 0.99} {
		want := time.Duration(q*1000) * time.Microsecond
		assert.InEpsilon(t, float64(want), float64(h.quantile(q)), 0.04, "q=%v", q)
	}
	assert.Equal(t, time.Millisecond, h.quantile(1))
}
