package pool

import (
	"context"

	"github.com/weftgo/weft/internal/hook"
)

func init() { hook.Submit = submitHook }

// submitHook submits a future's task (see package hook) as Submit or
// TrySubmit would submit a func(context.Context) error; opts is a
// []TaskOption.
func submitHook(r any, ctx context.Context, t hook.Task, block bool, opts any) (bool, error) {
	o, _ := opts.([]TaskOption)
	switch r := r.(type) {
	case *Pool:
		r.made()
		if !block {
			return true, r.submit(context.Background(), task{fn: t, c: &r.root.fresh}, false, nil, o)
		}
		checkCtx(ctx)
		return true, r.submitCtx(ctx, t, o)
	case *Group:
		r.made(nil, false)
		if !block {
			return true, r.trySubmit(t, o)
		}
		checkCtx(ctx)
		return true, r.submit(ctx, t, o)
	}
	return false, nil
}
