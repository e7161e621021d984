package future_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/weftgo/weft/future"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// shutdownExecutor shuts e down, waiting for its tasks: the one place the
// tests outside executor_test.go spell Executor.Shutdown for that.
func shutdownExecutor(t *testing.T, e *future.Executor) {
	t.Helper()
	require.NoError(t, e.Shutdown(context.Background()))
}
