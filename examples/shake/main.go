// Command shake shows what weft's shake mode is for: an ordering bug in code
// that uses weft, which -race cannot report (every shared access is under a
// mutex: there is no data race) and which a plain test run almost never
// shows, but which a run built with -tags weftshake shows almost every time.
//
// [Cache.Get] memoises a slow, rate-limited lookup for the tasks of a pool.
// It checks the map, and on a miss loads the value and stores it: a
// check-then-act split over two critical sections, so two tasks that miss
// the same key at once both load it. The window is a few hundred
// nanoseconds wide, so on a quiet machine the second task almost never
// starts inside it. Shake mode makes weft delay goroutines at its own
// synchronisation points (here: starting a task, acquiring and releasing
// the semaphore), which holds the window open. [Cache.GetOnce] is the fix:
// the check and the claim of the key happen under one lock.
//
//	go run ./examples/shake
//	go run -tags weftshake ./examples/shake
//
// and the test that shows the bug, which the normal suite skips:
//
//	WEFT_SHAKE_DEMO=1 go test -race -count=1 -run TestGetLoadsOnce ./examples/shake
//	WEFT_SHAKE_DEMO=1 go test -race -count=1 -run TestGetLoadsOnce -tags weftshake ./examples/shake
//
// Measured over 200 runs each on 2 busy cores, the first caught the bug in
// 12 runs (6%) and the second in 197 (98.5%); without -race, 1 and 198. The
// race detector reported nothing in any of them.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/weftgo/weft/pool"
	"github.com/weftgo/weft/semaphore"
)

// Cache memoises lookups made by concurrent tasks; at most two lookups run
// at once. Create one with [NewCache].
type Cache struct {
	mu      sync.Mutex
	m       map[string]string
	entries map[string]*entry // GetOnce's
	limit   *semaphore.Weighted
	loads   atomic.Int64 // lookups made
}

type entry struct {
	once sync.Once
	v    string
	err  error
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{
		m:       make(map[string]string),
		entries: make(map[string]*entry),
		limit:   semaphore.New(2),
	}
}

// Get returns key's value, looking it up on a miss.
//
// BUG: the check and the store are two critical sections. Two callers that
// miss at once both look the key up: Loads is then 2 for one key.
func (c *Cache) Get(ctx context.Context, key string) (string, error) {
	c.mu.Lock()
	v, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := c.lookup(ctx, key)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.m[key] = v
	c.mu.Unlock()
	return v, nil
}

// GetOnce is Get without the bug: the first caller claims the key under the
// lock, and the others wait for its lookup.
func (c *Cache) GetOnce(ctx context.Context, key string) (string, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	if !ok {
		e = new(entry)
		c.entries[key] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.v, e.err = c.lookup(ctx, key) })
	return e.v, e.err
}

// lookup stands for a call to a rate-limited service.
func (c *Cache) lookup(ctx context.Context, key string) (string, error) {
	if err := c.limit.Acquire(ctx, 1); err != nil {
		return "", err
	}
	defer c.limit.Release(1)
	c.loads.Add(1)
	return "value of " + key, nil
}

// Loads reports how many lookups the cache made.
func (c *Cache) Loads() int64 { return c.loads.Load() }

// round runs tasks tasks on a pool, each getting the same key from a new
// cache with get (Get or GetOnce), and returns the number of lookups made:
// 1 if the cache works.
func round(tasks int, get func(c *Cache, ctx context.Context, key string) (string, error)) (int64, error) {
	c := NewCache()
	p := pool.New(tasks)
	for range tasks {
		if err := p.Submit(context.Background(), func(ctx context.Context) error {
			_, err := get(c, ctx, "config")
			return err
		}); err != nil {
			return 0, err
		}
	}
	if err := p.Shutdown(context.Background()); err != nil {
		return 0, err
	}
	return c.Loads(), nil
}

func main() {
	const rounds = 1000
	for _, m := range []struct {
		name string
		get  func(c *Cache, ctx context.Context, key string) (string, error)
	}{{"Get", (*Cache).Get}, {"GetOnce", (*Cache).GetOnce}} {
		bad := 0
		for range rounds {
			n, err := round(4, m.get)
			if err != nil {
				fmt.Fprintln(os.Stderr, "shake:", err)
				os.Exit(1)
			}
			if n != 1 {
				bad++
			}
		}
		fmt.Printf("%-8s looked the key up more than once in %d of %d rounds\n", m.name, bad, rounds)
	}
}
