package expvarobs

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Buckets tile the durations: every value falls in the bucket whose bounds
// hold it, the buckets are in order, and each is at most 1/16 of its lower
// bound wide.
func TestBuckets(t *testing.T) {
	values := []uint64{0, 1, 15, 16, 17, 31, 32, 33, 1000, 1 << 20, 1<<20 + 1, 1<<40 - 1, 1 << 62, 1<<63 - 1}
	for range 1000 {
		values = append(values, rand.Uint64N(1<<63))
	}
	for _, v := range values {
		i := bucketOf(v)
		require.Less(t, i, numBuckets, "value %d", v)
		lo, w := bounds(i)
		assert.LessOrEqual(t, lo, v, "value %d in bucket %d", v, i)
		assert.Less(t, v-lo, w, "value %d in bucket %d", v, i)
		if lo >= 16 {
			assert.LessOrEqual(t, 16*w, lo, "bucket %d is too wide", i)
		}
	}
	for i := 1; i < numBuckets; i++ {
		lo, w := bounds(i - 1)
		next, _ := bounds(i)
		if next == 0 {
			break // past the largest int64
		}
		assert.Equal(t, lo+w, next, "bucket %d follows bucket %d", i, i-1)
	}
}

// exact returns the nearest-rank p-th percentile of sorted.
func exact(sorted []time.Duration, p int64) time.Duration {
	return sorted[rank(p, int64(len(sorted)))-1]
}

// checkQuantiles compares the histogram of ds with the exact percentiles of
// the sorted samples: within 1/32, and the same max.
func checkQuantiles(t *testing.T, ds []time.Duration) {
	t.Helper()
	var h histogram
	for _, d := range ds {
		h.record(d)
	}
	q := h.quantiles()
	sorted := slices.Clone(ds)
	for i, d := range sorted {
		sorted[i] = max(d, 0)
	}
	slices.Sort(sorted)
	require.Equal(t, int64(len(ds)), q.Count)
	if len(ds) == 0 {
		assert.Equal(t, Quantiles{}, q)
		return
	}
	assert.Equal(t, sorted[len(sorted)-1], q.Max)
	for _, c := range []struct {
		p   int64
		got time.Duration
	}{{50, q.P50}, {90, q.P90}, {99, q.P99}} {
		want := exact(sorted, c.p)
		diff := c.got - want
		if diff < 0 {
			diff = -diff
		}
		assert.LessOrEqual(t, diff*32, want, "p%d: got %v, exact %v", c.p, c.got, want)
	}
}

func TestQuantilesTable(t *testing.T) {
	uniform := make([]time.Duration, 1000)
	for i := range uniform {
		uniform[i] = time.Duration(i+1) * time.Microsecond
	}
	skewed := make([]time.Duration, 0, 1000)
	for i := range 990 {
		skewed = append(skewed, time.Duration(100+i%7)*time.Nanosecond)
	}
	for i := range 10 {
		skewed = append(skewed, time.Duration(i+1)*time.Second)
	}
	cases := map[string][]time.Duration{
		"empty":    nil,
		"one":      {42 * time.Millisecond},
		"zeros":    {0, 0, 0},
		"negative": {-time.Second, time.Second},
		"small":    {1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
		"uniform":  uniform,
		"skewed":   skewed,
		"huge":     {time.Duration(1<<63 - 1), 1, time.Hour},
	}
	for name, ds := range cases {
		t.Run(name, func(t *testing.T) { checkQuantiles(t, ds) })
	}
}

// FuzzQuantiles checks the promised precision against a sorted slice, for
// any samples.
func FuzzQuantiles(f *testing.F) {
	f.Add([]byte{1, 2, 3, 200, 7, 9})
	f.Add([]byte{0, 0, 0, 0, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, data []byte) {
		var ds []time.Duration
		for len(data) >= 2 {
			// An exponent and a mantissa: durations from 0 to hours.
			shift := uint(data[0] % 44)
			ds = append(ds, time.Duration(uint64(data[1])<<shift|uint64(data[0]>>6)))
			data = data[2:]
		}
		checkQuantiles(t, ds)
	})
}
