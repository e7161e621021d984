package main

import (
	"math/bits"
	"time"
)

// histogram counts durations in logarithmic buckets (16 per power of two,
// so a quantile is within 3% of the true value) in a fixed amount of
// memory: however long the program runs, its latency figures cost the same.
type histogram struct {
	counts [64 * 16]int64
	n      int64
	max    time.Duration
}

const subBits = 4 // 16 buckets per power of two

func bucket(d time.Duration) int {
	v := uint64(max(d, 1))
	e := bits.Len64(v) - 1 // 2^e ≤ v < 2^(e+1)
	if e < subBits {
		return int(v)
	}
	sub := (v >> (e - subBits)) & (1<<subBits - 1)
	return e<<subBits | int(sub)
}

// middle is the duration in the middle of bucket b.
func middle(b int) time.Duration {
	e, sub := b>>subBits, uint64(b&(1<<subBits-1))
	if e < subBits {
		return time.Duration(b)
	}
	lo := (1<<subBits + sub) << (e - subBits)
	return time.Duration(lo + (uint64(1)<<(e-subBits))/2)
}

func (h *histogram) add(d time.Duration) {
	h.counts[bucket(d)]++
	h.n++
	h.max = max(h.max, d)
}

// quantile returns the q-quantile, to within the width of a bucket.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n-1)) + 1
	if rank >= h.n {
		return h.max
	}
	var seen int64
	for b, c := range h.counts {
		if seen += c; seen >= rank {
			return min(middle(b), h.max)
		}
	}
	return h.max
}
