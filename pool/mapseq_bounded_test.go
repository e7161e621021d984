package pool_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
)

// With WithFailFast, MapSeq's doc says the loop goes on reading one element
// per result it yields until it reaches the failed one. On a bounded queue
// the loop may be blocked in an element's submit, waiting for room, when a
// call fails: that submit must go on waiting for room, as the loop's next
// ones, rather than give up because the failure canceled the calls'
// context; the element's call then starts with its context done.
func TestMapSeqFailFastReadsOnWhileBlockedOnBoundedQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(2, pool.WithQueueSize(0)) // hand-off: room only on a free worker
		defer shutdownMapPool(t, p)
		rel0, rel1 := make(chan struct{}), make(chan struct{})
		errElem := errors.New("element 1 failed")
		var pulled atomic.Int64
		var stopped atomic.Bool
		var mu sync.Mutex
		called := map[int]bool{}
		doneAtStart := map[int]bool{}
		var got []error
		loopDone := make(chan struct{})
		go func() {
			defer close(loopDone)
			for _, err := range pool.MapSeq(t.Context(), p, upTo(8, &pulled, &stopped), func(ctx context.Context, i int) (int, error) {
				mu.Lock()
				called[i], doneAtStart[i] = true, ctx.Err() != nil
				mu.Unlock()
				switch i {
				case 0:
					<-rel0
				case 1:
					<-rel1
					return 0, errElem
				}
				return 1000 + i, nil
			}, pool.WithFailFast(), pool.WithWindow(4)) {
				got = append(got, err)
			}
		}()
		synctest.Wait()
		require.Equal(t, int64(3), pulled.Load(), "elements 0 and 1 running, the loop blocked in element 2's submit")

		close(rel1) // fails, and frees a worker
		synctest.Wait()
		mu.Lock()
		assert.True(t, called[2], "element 2's submit got the room")
		assert.True(t, doneAtStart[2], "element 2's call started with its context done")
		mu.Unlock()
		assert.Equal(t, int64(4), pulled.Load(), "the loop filled its window")

		close(rel0)
		<-loopDone
		assert.Equal(t, []error{nil, errElem}, got)
		assert.Equal(t, int64(5), pulled.Load(), "one element read per result yielded")
		assert.True(t, stopped.Load())
		assert.Zero(t, p.Stats().Rejected, "no submit of the loop was refused")
	})
}
