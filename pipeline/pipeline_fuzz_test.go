package pipeline_test

import (
	"context"
	"slices"
	"testing"

	"github.com/weftgo/weft/pipeline"
)

// FuzzPipeline builds a Map → Filter → FlatMap pipeline with configurations
// drawn from the input and checks the result against a sequential model:
// the same items, in the same order when every stage is ordered.
func FuzzPipeline(f *testing.F) {
	f.Add(uint16(1000), byte(0x13), byte(0x25), byte(0x07), byte(3))
	f.Add(uint16(5), byte(0xff), byte(0x00), byte(0x81), byte(0))
	f.Add(uint16(4000), byte(0x42), byte(0x9a), byte(0x33), byte(1))
	f.Add(uint16(0), byte(0x01), byte(0x02), byte(0x03), byte(2))
	f.Fuzz(func(t *testing.T, n uint16, c1, c2, c3, src byte) {
		items := seq(int(n % 5000))
		opts := func(c byte) []pipeline.StageOption {
			o := []pipeline.StageOption{
				pipeline.WithConcurrency(1 + int(c&3)),
				pipeline.WithChunkSize(1 + int(c>>2&7)*9),
				pipeline.WithBuffer(int(c >> 5 & 3)),
			}
			if c&0x80 != 0 {
				o = append(o, pipeline.WithOrdered(), pipeline.WithReorderWindow(1+int(c>>4&3)))
			}
			return o
		}
		ordered := func(c byte) bool { return c&3 == 0 || c&0x80 != 0 }
		var s *pipeline.Stream[int]
		switch src % 3 {
		case 0:
			s = pipeline.FromSlice(items, pipeline.WithChunkSize(1+int(src)))
		case 1:
			s = pipeline.FromSeq(slices.Values(items), pipeline.WithChunkSize(1+int(src)))
		default:
			ch := make(chan int, 16)
			go func() {
				defer close(ch)
				for _, v := range items {
					ch <- v
				}
			}()
			s = pipeline.FromChan(ch)
		}
		m := pipeline.Map(s, func(_ context.Context, v int) (int, error) { return 3 * v, nil }, opts(c1)...)
		fl := pipeline.Filter(m, func(_ context.Context, v int) (bool, error) { return v%2 == 0, nil }, opts(c2)...)
		fm := pipeline.FlatMap(fl, func(_ context.Context, v int) ([]int, error) {
			return slices.Repeat([]int{v}, v%3), nil
		}, opts(c3)...)
		got, err := pipeline.Collect(bg, fm)
		if err != nil {
			t.Fatal(err)
		}
		var want []int
		for _, v := range items {
			if w := 3 * v; w%2 == 0 {
				want = append(want, slices.Repeat([]int{w}, w%3)...)
			}
		}
		if !ordered(c1) || !ordered(c2) || !ordered(c3) {
			slices.Sort(got)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("got %d items, want %d (configs %#x %#x %#x)", len(got), len(want), c1, c2, c3)
		}
	})
}
