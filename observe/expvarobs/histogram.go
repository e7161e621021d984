package expvarobs

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// The histogram keeps durations in nanoseconds in log-linear buckets:
// below 2^subBits ns one bucket per nanosecond, above it 2^subBits buckets
// per power of two. A bucket is at most 1/16 of its lower bound wide, and a
// quantile is reported as the middle of its bucket, so it is within 1/32
// (3.2%) of the exact sample of that rank (the nearest-rank quantile of
// the durations recorded), and exact below 16ns. Max is exact.
const (
	subBits    = 4
	subBuckets = 1 << subBits
	numBuckets = (64 - subBits + 1) * subBuckets
)

// histogram counts durations without locks: recording is one atomic add
// and, for a new maximum, a compare-and-swap. Readers scan the buckets
// while durations may be recorded; a snapshot then misses the few recorded
// during the scan, or counts them in some buckets and not in others.
type histogram struct {
	max     atomic.Int64
	buckets [numBuckets]atomic.Int64
}

// bucketOf returns the bucket of v >= 0 nanoseconds.
func bucketOf(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	e := bits.Len64(v) - 1 // v's highest bit; e >= subBits
	sub := (v >> (e - subBits)) & (subBuckets - 1)
	return (e-subBits+1)*subBuckets + int(sub)
}

// bounds returns the smallest value of bucket i and its width.
func bounds(i int) (lo, width uint64) {
	if i < subBuckets {
		return uint64(i), 1
	}
	e := i/subBuckets + subBits - 1
	sub := uint64(i % subBuckets)
	return (subBuckets + sub) << (e - subBits), 1 << (e - subBits)
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.buckets[bucketOf(uint64(d))].Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// Quantiles summarises the durations a histogram recorded: how many, the
// 50th, 90th and 99th percentiles (within 3.2% of the exact sample of
// that rank) and the largest (exact). All are zero when nothing was
// recorded. Durations marshal to JSON as integer nanoseconds.
type Quantiles struct {
	Count int64         `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	Max   time.Duration `json:"max_ns"`
}

func (h *histogram) quantiles() Quantiles {
	var counts [numBuckets]int64
	var n int64
	for i := range h.buckets {
		counts[i] = h.buckets[i].Load()
		n += counts[i]
	}
	q := Quantiles{Count: n, Max: time.Duration(h.max.Load())}
	if n == 0 {
		return q
	}
	pct := [...]int64{50, 90, 99}
	out := [...]*time.Duration{&q.P50, &q.P90, &q.P99}
	j := 0
	var seen int64
	for i := 0; i < numBuckets && j < len(pct); i++ {
		seen += counts[i]
		for j < len(pct) && seen >= rank(pct[j], n) {
			lo, w := bounds(i)
			*out[j] = min(time.Duration(lo+w/2), q.Max)
			j++
		}
	}
	return q
}

// rank is the nearest rank of the p-th percentile among n > 0 samples:
// the 1-based position, in sorted order, of the sample reported, ceil(p×n/100).
func rank(p, n int64) int64 {
	return max(1, (p*n+99)/100)
}
