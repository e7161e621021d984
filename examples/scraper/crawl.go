package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sync/atomic"
	"time"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
	"github.com/weftgo/weft/semaphore"
)

// crawler holds what the fetches share. Everything that changes during a
// crawl is either owned by the goroutine running crawl (the URL table, the
// results) or an atomic counter read by the progress printer: no lock is
// needed. The pool reports every fetch that ends to meter, its observer.
type crawler struct {
	cfg     config
	client  *http.Client
	allowed map[string]bool // hosts the crawl may visit

	workers *pool.Pool               // global limit: requests in flight
	perHost *semaphore.Keyed[string] // per-host limit

	// Progress counters.
	fetches              meter // the pool's observer: fetches ended, failed
	retries, waitingHost atomic.Int64
}

// page is the outcome of fetching one URL, after retries.
type page struct {
	url, host string
	status    int   // last HTTP status, 0 if none arrived
	err       error // nil if the page was fetched
	attempts  int
	latency   time.Duration // first attempt to last answer, backoff included
	links     []string      // absolute, normalised
}

func newCrawler(cfg config, client *http.Client, allowed map[string]bool) *crawler {
	c := &crawler{
		cfg:     cfg,
		client:  client,
		allowed: allowed,
		perHost: semaphore.NewKeyed[string](int64(cfg.perHost)),
	}
	c.workers = pool.New(cfg.workers, pool.WithObserver(&c.fetches))
	return c
}

// crawl visits the site from start and returns every page it fetched, in
// completion order. It returns early, with what it has, when ctx ends; in
// every case nothing it started is still running when it returns.
//
// Each URL becomes a future as soon as it is discovered and its results are
// read with future.AsCompleted, so a slow page never holds up the pages
// behind it. AsCompleted watches a fixed set of futures while the crawl
// keeps adding new ones, so the loop breaks out and watches afresh once the
// new futures outnumber the old ones still pending: each future is watched
// O(1) times on average. Only this goroutine touches the URL table, so
// de-duplication needs no lock.
func (c *crawler) crawl(ctx context.Context, start string) []page {
	t := &frontier{c: c, ctx: ctx, urls: map[string]*node{}}
	t.visit(start, 0)
	var results []page
	handled := map[*future.Future[page]]bool{}
	pending := t.launched
	for len(pending) > 0 && ctx.Err() == nil {
		t.launched = nil
		left := len(pending)
		for f := range future.AsCompleted(ctx, pending...) {
			handled[f] = true
			left--
			if p, _, _ := f.TryResult(); p.url != "" { // empty: the fetch never ran (ctx ended)
				results = append(results, p)
				t.fetched(p)
			}
			if len(t.launched) > 0 && len(t.launched) >= left {
				break
			}
		}
		pending = slices.DeleteFunc(pending, func(f *future.Future[page]) bool { return handled[f] })
		pending = append(pending, t.launched...)
	}
	// On Ctrl-C the loop stops early: wait until every launched fetch has
	// noticed and returned, then retire the workers.
	// The fetches that ended after the loop stopped (canceled ones mostly)
	// go into the results too, so the summary accounts for every page.
	_, _ = future.AllSettled(context.Background(), t.all...)
	_ = c.workers.Shutdown(context.Background())
	for _, f := range t.all {
		if p, _, _ := f.TryResult(); !handled[f] && p.url != "" {
			results = append(results, p)
		}
	}
	return results
}

// launch returns the future of fetching u. It first waits for a permit of
// u's host on a goroutine of its own (future.Go), and only then submits the
// fetch to the pool (future.Compose): a URL of a busy host waits without
// holding one of the pool's workers, so a slow host cannot starve the
// others. The fetch gives the permit back when it ends.
func (c *crawler) launch(ctx context.Context, u string) *future.Future[page] {
	host := hostOf(u)
	permit := future.Go(ctx, func(ctx context.Context) (struct{}, error) {
		c.waitingHost.Add(1)
		defer c.waitingHost.Add(-1)
		return struct{}{}, c.perHost.Acquire(ctx, host, 1)
	})
	return future.Compose(permit, func(context.Context, struct{}) (*future.Future[page], error) {
		// The fetch follows ctx (Ctrl-C), not the task's own context, which
		// only Future.Cancel and pool.Stop would cancel; the crawler uses
		// neither.
		f, err := future.Submit(ctx, c.workers, func(context.Context) (page, error) {
			defer c.perHost.Release(host, 1)
			// A failed fetch is a failed task, which the pool reports to
			// its observer; the page is the future's value either way.
			p := c.fetch(ctx, u)
			return p, p.err
		})
		if err != nil {
			c.perHost.Release(host, 1)
		}
		return f, err
	})
}

func hostOf(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return pu.Host
}

// isTimeout reports whether err is a request that ran out of time.
func isTimeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded)
}
