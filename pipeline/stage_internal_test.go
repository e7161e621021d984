package pipeline

import (
	"testing"
	"time"
)

// The claim size follows the measured cost of an item, as the package doc
// says: one item until measured, a whole chunk while it costs less than
// splitBelow in all, else at most claimUpTo of work and an equal share per
// worker.
func TestClaimSize(t *testing.T) {
	us := int64(time.Microsecond)
	for _, c := range []struct {
		name      string
		est       int64 // ns per item; -1 not measured
		workers   int32
		remaining int
		want      int
	}{
		{"not measured", -1, 4, 128, 1},
		{"cheap chunk", 10, 4, 128, 128},
		{"free", 0, 8, 128, 128},
		{"just above splitBelow", 100, 2, 128, 64},
		{"costly: one by one", 10_000 * us, 8, 16, 1},
		{"medium: claimUpTo of work", 20 * us, 2, 128, 25},
		{"medium: equal share", 20 * us, 8, 16, 2},
		{"last item", 20 * us, 8, 1, 1},
		{"hours per item, a huge chunk", int64(3 * time.Hour), 2, 1 << 30, 1},
	} {
		w := &workers[int, int]{n: c.workers}
		w.est.Store(c.est)
		if got := w.size(c.remaining); got != c.want {
			t.Errorf("%s: size(%d) = %d, want %d", c.name, c.remaining, got, c.want)
		}
	}
}

// The estimate rises at once and falls gradually.
func TestClaimMeasure(t *testing.T) {
	w := &workers[int, int]{n: 2}
	w.est.Store(-1)
	w.measure(400*time.Nanosecond, 4)
	if got := w.est.Load(); got != 100 {
		t.Fatalf("first measure: est %d, want 100", got)
	}
	w.measure(time.Millisecond, 1)
	if got := w.est.Load(); got != int64(time.Millisecond) {
		t.Fatalf("rise: est %d, want %d", got, time.Millisecond)
	}
	w.measure(0, 10)
	if got := w.est.Load(); got >= int64(time.Millisecond) || got <= 0 {
		t.Fatalf("fall: est %d, want between 0 and 1ms", got)
	}
}
