package main

import "time"

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
