package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

var names = []string{"ACME", "BOLT", "CRUX", "DYNA", "EPIC", "FLUX", "GRID", "HALO", "IONX", "JADE",
	"KILN", "LUMA", "MOXY", "NOVA", "ORBT", "PIKE", "QUAY", "RUNE", "SOLR", "TIDE",
	"UMBR", "VOLT", "WISP", "XENO", "YARD", "ZEST"}

// market generates a deterministic sequence of tick lines: the same seed,
// symbols and rate always give the same lines. Prices follow a random walk,
// with now and then a jump of a few percent and a burst of volume in one
// symbol (events a second of the two together), and about one line in 500
// is garbled.
type market struct {
	r      *rand.Rand
	rate   int
	event  float64 // probability that a tick brings a jump, and that it brings a burst
	seq    int64
	syms   []string
	price  []float64
	burst  []int // ticks of heavy volume left, per symbol
	burstN int   // length of a burst, in ticks of its symbol
}

func newMarket(symbols, rate int, events float64, seed uint64) *market {
	m := &market{r: rand.New(rand.NewPCG(seed, 0x7469636b6572)), rate: rate, event: events / 2 / float64(rate),
		price: make([]float64, symbols), burst: make([]int, symbols)}
	for i := range symbols {
		name := names[i%len(names)]
		if i >= len(names) {
			name += fmt.Sprint(i / len(names))
		}
		m.syms = append(m.syms, name)
		m.price[i] = 20 + 480*m.r.Float64()
	}
	m.burstN = max(5, rate/symbols/8) // about an eighth of a second of trading
	return m
}

// next returns the next line.
func (m *market) next() string {
	seq := m.seq
	m.seq++
	at := time.Duration(seq) * time.Second / time.Duration(m.rate)
	i := m.r.IntN(len(m.syms))
	m.price[i] *= math.Exp(0.0001 * m.r.NormFloat64())
	if m.r.Float64() < m.event {
		jump := 0.03 + 0.03*m.r.Float64()
		if m.r.IntN(2) == 0 {
			jump = -jump
		}
		m.price[i] *= 1 + jump
	}
	if m.r.Float64() < m.event {
		m.burst[i] = m.burstN
	}
	size := 100 * int64(1+m.r.IntN(10))
	if m.burst[i] > 0 {
		m.burst[i]--
		size *= 10
	}
	line := fmt.Sprintf("%d,%d,%s,%.4f,%d", seq, at.Microseconds(), m.syms[i], m.price[i], size)
	if m.r.IntN(500) == 0 {
		line = line[:len(line)/2] // a garbled line: parse must skip it
	}
	return line
}
