package pool_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
)

// With WithFailFast, calls that have not started when ctx is canceled are
// skipped; Map must then say so with ctx's cause rather than return nil
// with zero values in their places.
func TestMapFailFastCanceledSkipReportsCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pool.New(1)
		defer func() { assert.NoError(t, p.Shutdown(context.Background())) }()
		ctx, cancel := context.WithCancel(t.Context())
		release := make(chan struct{})
		called := make([]bool, 3)
		var out []int
		var err error
		done := make(chan struct{})
		go func() {
			defer close(done)
			out, err = pool.Map(ctx, p, []int{0, 1, 2}, func(_ context.Context, i int) (int, error) {
				called[i] = true
				if i == 0 {
					<-release
				}
				return 1000 + i, nil
			}, pool.WithFailFast())
		}()
		synctest.Wait() // every element submitted, 1 and 2 queued behind 0
		cancel()
		close(release)
		<-done
		assert.Equal(t, []bool{true, false, false}, called)
		assert.Equal(t, []int{1000, 0, 0}, out)
		require.ErrorIs(t, err, context.Canceled)
	})
}

// Calls that Stop drops never run, with or without WithFailFast; Map must
// not return nil then, whatever the call that was running returns.
func TestMapStoppedReportsDroppedCalls(t *testing.T) {
	for _, opts := range [][]pool.GroupOption{nil, {pool.WithFailFast()}} {
		synctest.Test(t, func(t *testing.T) {
			p := pool.New(1)
			called := make([]bool, 3)
			var out []int
			var err error
			done := make(chan struct{})
			go func() {
				defer close(done)
				out, err = pool.Map(t.Context(), p, []int{0, 1, 2}, func(ctx context.Context, i int) (int, error) {
					called[i] = true
					if i == 0 {
						<-ctx.Done() // returns nil all the same
					}
					return 1000 + i, nil
				}, opts...)
			}()
			synctest.Wait() // every element submitted, 1 and 2 queued behind 0
			assert.Equal(t, 2, p.Stop())
			<-done
			assert.Equal(t, []bool{true, false, false}, called)
			assert.Equal(t, []int{1000, 0, 0}, out)
			require.ErrorIs(t, err, pool.ErrClosed)
		})
	}
}
