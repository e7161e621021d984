package pool_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/pool"
)

// RunTimeout on Group.Submit: the deadline counts from the task's start,
// not its submit; the task's context is done with ErrRunTimeout as its
// cause when the timeout passes first, and with the cause of ctx (the
// parent given to Submit) when ctx's own deadline comes first; ctx's
// values reach the task either way.
func TestGroupSubmitRunTimeoutWithParent(t *testing.T) {
	type key struct{}
	for _, tc := range []struct {
		name      string
		parentDL  time.Duration // ctx's deadline, from the submit
		runLimit  time.Duration // RunTimeout, from the start
		wantCause error
		wantAt    time.Duration // from the submit; the task starts at 1s
	}{
		{"timeout first", time.Hour, 2 * time.Second, pool.ErrRunTimeout, 3 * time.Second},
		{"parent first", 2 * time.Second, time.Hour, context.DeadlineExceeded, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pool.New(1)
				defer p.Stop()
				g, _ := p.Group(context.Background())
				release := make(chan struct{})
				require.NoError(t, g.Go(func(context.Context) error { <-release; return nil }))

				t0 := time.Now()
				ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), key{}, "v"), tc.parentDL)
				defer cancel()
				type seen struct {
					value   any
					cause   error
					started time.Duration
					at      time.Duration
				}
				got := make(chan seen, 1)
				require.NoError(t, g.Submit(ctx, func(tctx context.Context) error {
					s := seen{value: tctx.Value(key{}), started: time.Since(t0)}
					<-tctx.Done()
					s.cause, s.at = context.Cause(tctx), time.Since(t0)
					got <- s
					return context.Cause(tctx)
				}, pool.RunTimeout(tc.runLimit)))

				time.Sleep(time.Second) // the task waits for the only worker
				close(release)
				s := <-got
				assert.Equal(t, "v", s.value, "ctx's values reach the task")
				assert.Equal(t, time.Second, s.started)
				assert.ErrorIs(t, s.cause, tc.wantCause)
				assert.Equal(t, tc.wantAt, s.at)
				assert.ErrorIs(t, g.Wait(), tc.wantCause, "the task returned its cause")
			})
		})
	}
}
