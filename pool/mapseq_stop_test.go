package pool_test

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
)

// Stop drops a fail-fast MapSeq's queued calls and cancels its calls'
// context with ErrStopped: the loop, waiting on a dropped call, must get
// that cause (the fail-fast rule: the cause of the cancellation, not the
// dropped call's own ErrClosed), whichever of the drop and the
// cancellation it sees first. Stop used to drop the calls before it
// canceled their context, and the loop then got ErrClosed or ErrStopped as
// the scheduler had it (under -race, about one run in sixty). Repeated,
// since it is a race.
func TestMapSeqFailFastStopYieldsErrStopped(t *testing.T) {
	for range 300 {
		synctest.Test(t, func(t *testing.T) {
			p := pool.New(1)
			rel := make(chan struct{})
			require.NoError(t, p.Go(func() { <-rel })) // the calls queue behind it
			var got []error
			done := make(chan struct{})
			go func() {
				defer close(done)
				for _, err := range pool.MapSeq(context.Background(), p, slices.Values([]int{0, 1, 2}),
					func(ctx context.Context, i int) (int, error) { return i, nil }, pool.WithFailFast()) {
					got = append(got, err)
				}
			}()
			synctest.Wait()
			stopped := make(chan int)
			go func() { stopped <- p.Stop() }()
			synctest.Wait()
			close(rel)
			require.Equal(t, 2, <-stopped, "the window's two calls dropped")
			<-done
			require.Equal(t, []error{pool.ErrStopped}, got)
		})
	}
}
