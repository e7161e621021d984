package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Tick is one trade: Size shares of Sym at Price, At after the market
// opened (the exchange's clock, not ours).
type Tick struct {
	Seq   int64
	At    time.Duration
	Sym   string
	Price float64
	Size  int64
}

// raw is a line as it comes off the feed, with the wall-clock time the feed
// sent it, from which the end-to-end latency is measured.
type raw struct {
	line string
	sent time.Time
}

var errMalformed = errors.New("malformed tick")

// parseTick parses "seq,at_µs,SYM,price,size".
func parseTick(line string) (Tick, error) {
	f := strings.Split(line, ",")
	if len(f) != 5 {
		return Tick{}, fmt.Errorf("%w: %q", errMalformed, line)
	}
	seq, err1 := strconv.ParseInt(f[0], 10, 64)
	at, err2 := strconv.ParseInt(f[1], 10, 64)
	price, err3 := strconv.ParseFloat(f[3], 64)
	size, err4 := strconv.ParseInt(f[4], 10, 64)
	if err := errors.Join(err1, err2, err3, err4); err != nil || f[2] == "" || price <= 0 || size <= 0 {
		return Tick{}, fmt.Errorf("%w: %q", errMalformed, line)
	}
	return Tick{Seq: seq, At: time.Duration(at) * time.Microsecond, Sym: f[2], Price: price, Size: size}, nil
}

// Bar summarises one symbol's ticks in one time window [Start, Start+width).
type Bar struct {
	Sym                    string
	Start                  time.Duration
	Open, High, Low, Close float64
	VWAP                   float64 // volume-weighted average price
	Volume                 int64
	Ticks                  int
	MA                     float64 // moving average of the last closes, this one included
	PrevClose              float64 // close of the symbol's previous bar; 0 for the first
	AvgVolume              float64 // average volume of the previous bars; 0 until there are enough
	notional               float64 // Σ price·size
}

// windows cuts each symbol's ticks into tumbling windows of event time and
// keeps a short history per symbol for the moving averages. A window is
// closed by the symbol's first tick past its end. It is not safe for
// concurrent use: the pipeline runs it on a single goroutine.
type windows struct {
	width time.Duration
	n     int // bars in the moving averages
	open  map[string]*Bar
	hist  map[string]*history
}

type history struct {
	closes  []float64 // the last n closes, oldest first
	volumes []int64
}

func newWindows(width time.Duration, n int) *windows {
	return &windows{width: width, n: n, open: map[string]*Bar{}, hist: map[string]*history{}}
}

// add adds t to its symbol's window and returns the bar it closed, if any.
func (w *windows) add(t Tick) *Bar {
	start := t.At - t.At%w.width
	b := w.open[t.Sym]
	var closed *Bar
	if b != nil && start != b.Start {
		closed = w.close(b)
		b = nil
	}
	if b == nil {
		b = &Bar{Sym: t.Sym, Start: start, Open: t.Price, High: t.Price, Low: t.Price}
		w.open[t.Sym] = b
	}
	b.High, b.Low, b.Close = max(b.High, t.Price), min(b.Low, t.Price), t.Price
	b.Volume += t.Size
	b.notional += t.Price * float64(t.Size)
	b.Ticks++
	return closed
}

func (w *windows) close(b *Bar) *Bar {
	h := w.hist[b.Sym]
	if h == nil {
		h = &history{}
		w.hist[b.Sym] = h
	}
	b.VWAP = b.notional / float64(b.Volume)
	if len(h.closes) > 0 {
		b.PrevClose = h.closes[len(h.closes)-1]
	}
	if len(h.volumes) >= min(3, w.n) {
		b.AvgVolume = float64(sum(h.volumes)) / float64(len(h.volumes))
	}
	h.closes = push(h.closes, b.Close, w.n)
	h.volumes = push(h.volumes, b.Volume, w.n)
	b.MA = sum(h.closes) / float64(len(h.closes))
	return b
}

func push[T any](s []T, v T, n int) []T {
	s = append(s, v)
	if len(s) > n {
		s = append(s[:0], s[len(s)-n:]...)
	}
	return s
}

func sum[T int64 | float64](s []T) T {
	var t T
	for _, v := range s {
		t += v
	}
	return t
}

// Alert is a rule that fired on a bar.
type Alert struct {
	Kind string // "price" or "volume"
	Bar  Bar
	By   float64 // the move in percent, or the volume as a multiple of the average
}

func (a Alert) String() string {
	b := a.Bar
	switch a.Kind {
	case "price":
		return fmt.Sprintf("%-5s price %+.1f%% in the window at %v: %.2f → %.2f (VWAP %.2f, range %.2f–%.2f, MA %.2f)",
			b.Sym, a.By, b.Start, b.PrevClose, b.Close, b.VWAP, b.Low, b.High, b.MA)
	default:
		return fmt.Sprintf("%-5s volume %d = %.1fx the average in the window at %v (VWAP %.2f)",
			b.Sym, b.Volume, a.By, b.Start, b.VWAP)
	}
}

// rules are the alert thresholds.
type rules struct {
	movePct float64 // alert when a close is this many percent from the previous close
	spike   float64 // alert when a bar's volume is this many times the average
}

// check returns the alerts that b fires. It is a pure function of the bar.
func (r rules) check(b *Bar) []Alert {
	var as []Alert
	if b.PrevClose > 0 {
		if move := 100 * (b.Close/b.PrevClose - 1); move >= r.movePct || move <= -r.movePct {
			as = append(as, Alert{Kind: "price", Bar: *b, By: move})
		}
	}
	if b.AvgVolume > 0 {
		if x := float64(b.Volume) / b.AvgVolume; x >= r.spike {
			as = append(as, Alert{Kind: "volume", Bar: *b, By: x})
		}
	}
	return as
}
