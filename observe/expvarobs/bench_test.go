package expvarobs_test

import (
	"testing"
	"time"

	"github.com/weftgo/weft/observe"
	"github.com/weftgo/weft/observe/expvarobs"
)

// BenchmarkObserve measures one task's Started and Finished events, on one
// goroutine and on all of them at once.
func BenchmarkObserve(b *testing.B) {
	started := observe.Event{Kind: observe.Started, Wait: 3 * time.Microsecond}
	finished := observe.Event{Kind: observe.Finished, Run: 250 * time.Microsecond}
	b.Run("serial", func(b *testing.B) {
		o := expvarobs.New()
		b.ReportAllocs()
		for b.Loop() {
			o.Observe(started)
			o.Observe(finished)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		o := expvarobs.New()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				o.Observe(started)
				o.Observe(finished)
			}
		})
	})
}
