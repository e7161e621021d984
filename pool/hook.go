package pool

import (
	"context"

	"github.com/weftgo/weft/internal/hook"
)

func init() { hook.Submit = submitHook }

// submitHook submits a future's task (see package hook) as Submit or
// TrySubmit would submit a func(context.Context) error.
func submitHook(r any, ctx context.Context, t hook.Task, block bool) (bool, error) {
	switch r := r.(type) {
	case *Pool:
		r.made()
		if !block {
			return true, r.submit(context.Background(), task{fn: t, c: &r.root.fresh}, false, nil)
		}
		checkCtx(ctx)
		return true, r.submitCtx(ctx, t)
	case *Group:
		r.made(nil, false)
		if !block {
			return true, r.trySubmit(t)
		}
		checkCtx(ctx)
		return true, r.submit(ctx, t)
	}
	return false, nil
}
