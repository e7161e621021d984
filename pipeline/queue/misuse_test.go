package queue_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weftgo/weft/internal/misuse"
	"github.com/weftgo/weft/pipeline/queue"
)

// TestMisuse lists every misuse of the package with the panic the user must
// see: at once, on the calling goroutine, with a "queue:" message, and
// leaving nothing locked or changed (the checks after the table use the
// same queues).
func TestMisuse(t *testing.T) {
	var nilCtx context.Context // passed by mistake, as a user might
	q := queue.New[int](queue.WithCapacity(2))
	var zq queue.Queue[int]

	cases := []struct {
		name string
		f    func()
		want string
	}{
		// Nil contexts: checked before any lock.
		{"Put nil ctx", func() { _ = q.Put(nilCtx, 1) }, "queue: nil Context"},
		{"Get nil ctx", func() { _, _ = q.Get(nilCtx) }, "queue: nil Context"},
		{"GetBatch nil ctx", func() { _, _ = q.GetBatch(nilCtx, make([]int, 1)) }, "queue: nil Context"},
		{"Join nil ctx", func() { _ = q.Join(nilCtx) }, "queue: nil Context"},
		{"Shutdown nil ctx", func() { _ = q.Shutdown(nilCtx) }, "queue: nil Context"},
		{"All nil ctx", func() { q.All(nilCtx) }, "queue: nil Context"},
		{"zero Queue Join nil ctx", func() { _ = zq.Join(nilCtx) }, "queue: nil Context"},
		{"zero Queue Shutdown nil ctx", func() { _ = zq.Shutdown(nilCtx) }, "queue: nil Context"},

		// Arguments.
		{"GetBatch empty buffer", func() { _, _ = q.GetBatch(bg, nil) }, "queue: GetBatch with an empty buffer"},
		{"NewPriority nil less", func() { queue.NewPriority[int](nil) }, "queue: NewPriority with a nil less function"},

		// Options.
		{"capacity 0", func() { queue.WithCapacity(0) }, "queue: capacity 0 must be at least 1"},
		{"capacity -1", func() { queue.WithCapacity(-1) }, "queue: capacity -1 must be at least 1"},
		{"New nil Option", func() { queue.New[int](nil) }, "queue: nil Option"},
		{"NewLIFO nil Option", func() { queue.NewLIFO[int](queue.WithCapacity(1), nil) }, "queue: nil Option"},
		{"NewPriority nil Option", func() {
			queue.NewPriority(func(a, b int) bool { return a < b }, nil)
		}, "queue: nil Option"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := misuse.PanicValue(t, c.f)
			require.NotNil(t, got, "misuse did not panic")
			assert.Equal(t, c.want, fmt.Sprint(got))
		})
	}

	// Nothing was left locked, and a Shutdown with a nil context did not
	// close the queue: both queues still work.
	for _, q := range []*queue.Queue[int]{q, &zq} {
		require.False(t, q.Closed(), "a misused Shutdown closed the queue")
		require.Nil(t, misuse.PanicValue(t, func() {
			require.NoError(t, q.Put(bg, 7))
			v, err := q.Get(bg)
			require.NoError(t, err)
			require.Equal(t, 7, v)
			require.NoError(t, q.TaskDone())
			require.NoError(t, q.Join(bg))
		}))
	}
}

// The zero Queue works: every method, without a constructor.
func TestZeroQueueWorks(t *testing.T) {
	var q queue.Queue[int]
	assert.Equal(t, 0, q.Len())
	assert.Equal(t, 0, q.Cap())
	assert.False(t, q.Closed())
	require.NoError(t, q.Join(bg), "nothing unfinished")
	require.NoError(t, q.Put(bg, 1))
	require.True(t, q.TryPut(2))
	require.True(t, q.TryPut(3))
	v, err := q.Get(bg)
	require.NoError(t, err)
	assert.Equal(t, 1, v)
	v, ok := q.TryGet()
	require.True(t, ok)
	assert.Equal(t, 2, v)
	buf := make([]int, 4)
	n, err := q.GetBatch(bg, buf)
	require.NoError(t, err)
	assert.Equal(t, []int{3}, buf[:n])
	assert.Zero(t, q.TryGetBatch(buf))
	for range 3 {
		require.NoError(t, q.TaskDone())
	}
	require.ErrorIs(t, q.TaskDone(), queue.ErrTooManyTaskDone)
	require.NoError(t, q.Join(bg))
	require.NoError(t, q.Put(bg, 4))
	q.Close()
	var all []int
	for v := range q.All(bg) {
		all = append(all, v)
	}
	assert.Equal(t, []int{4}, all)
	assert.Equal(t, 0, q.Stop())
	require.NoError(t, q.TaskDone())
	require.NoError(t, q.Shutdown(bg))
	require.ErrorIs(t, q.Put(bg, 5), queue.ErrClosed)
}

// The zero Queue's Stop and Shutdown work before any other call.
func TestZeroQueueLifecycleFirst(t *testing.T) {
	var stopped, shut queue.Queue[int]
	assert.Equal(t, 0, stopped.Stop())
	require.NoError(t, shut.Shutdown(bg))
	for _, q := range []*queue.Queue[int]{&stopped, &shut} {
		assert.True(t, q.Closed())
		require.ErrorIs(t, q.Put(bg, 1), queue.ErrClosed)
	}
}
