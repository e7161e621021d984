// Command scraper is a concurrent web crawler built with weft: a pool bounds
// the requests in flight, a keyed semaphore bounds them per host, every URL
// is a future and results are read as they complete. Requests have a
// timeout, failures are retried with backoff, URLs are de-duplicated and the
// crawl stops at a depth limit. The progress line counts the fetches that
// ended and failed with an observer of the pool (pool.WithObserver). Ctrl-C
// stops it cleanly.
//
// With no flags it crawls a local test site that it starts itself: several
// hosts on 127.0.0.1 ports, pages that link to each other, varied latency,
// some 404s and 5xx, one slow host with a page that never answers. No
// network is needed.
//
//	go run ./examples/scraper
//	go run ./examples/scraper -hosts 6 -pages 100 -workers 16 -per-host 4
//	go run ./examples/scraper -url https://example.com/ -depth 2
//
// With -url it crawls a real site, following links on that site's host only.
// Redirects too stay on the host: a page that redirects elsewhere is not
// followed and counts as an error ("other" in the summary).
// It does not read robots.txt: point it only at sites you may crawl.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, context.Canceled):
		os.Exit(130)
	default:
		fmt.Fprintln(os.Stderr, "scraper:", err)
		os.Exit(1)
	}
}

type config struct {
	url                                                 string
	hosts, pages, depth, workers, perHost, retries      int
	maxPages                                            int
	timeout, backoff, latency, slowLatency, progressInt time.Duration
	seed                                                uint64
}

func parse(args []string, w io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("scraper", flag.ContinueOnError)
	fs.SetOutput(w)
	fs.StringVar(&c.url, "url", "", "crawl this real site instead of the local test site")
	fs.IntVar(&c.depth, "depth", 4, "follow links at most this many hops from the start page")
	fs.IntVar(&c.workers, "workers", 8, "requests in flight at once, in all (the pool's size)")
	fs.IntVar(&c.perHost, "per-host", 2, "requests in flight at once per host")
	fs.IntVar(&c.maxPages, "max-pages", 1000, "stop discovering URLs after this many (0: no limit)")
	fs.DurationVar(&c.timeout, "timeout", time.Second, "timeout of one request")
	fs.IntVar(&c.retries, "retries", 2, "retries of a request that timed out or got a 5xx")
	fs.DurationVar(&c.backoff, "backoff", 50*time.Millisecond, "wait before the first retry; doubles with each retry")
	fs.DurationVar(&c.progressInt, "progress", 500*time.Millisecond, "print progress this often (0: never)")
	fs.IntVar(&c.hosts, "hosts", 4, "local site: number of hosts (the last one is slow)")
	fs.IntVar(&c.pages, "pages", 30, "local site: pages per host")
	fs.DurationVar(&c.latency, "latency", 40*time.Millisecond, "local site: longest answer time of a normal host")
	fs.DurationVar(&c.slowLatency, "slow", 300*time.Millisecond, "local site: longest answer time of the slow host")
	fs.Uint64Var(&c.seed, "seed", 1, "local site: seed of the generated pages")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.hosts < 1 || c.pages < 3 || c.depth < 0 || c.workers < 1 || c.perHost < 1 ||
		c.retries < 0 || c.maxPages < 0 || c.timeout <= 0 || c.backoff <= 0 || c.latency < 0 || c.slowLatency < 0 {
		return c, errors.New("need hosts ≥ 1, pages ≥ 3, workers and per-host ≥ 1, positive timeout and backoff, no negative values")
	}
	return c, nil
}

func run(ctx context.Context, args []string, w io.Writer) error {
	c, err := parse(args, w)
	if err != nil {
		return err
	}
	var (
		site      *site
		start     string
		allowed   = map[string]bool{}
		label     = func(host string) string { return host }
		transport *http.Transport
	)
	if c.url == "" {
		s, err := startSite(siteModel{hosts: c.hosts, pages: c.pages, seed: c.seed}, c.latency, c.slowLatency)
		if err != nil {
			return err
		}
		defer s.close()
		site = s
		names := map[string]string{}
		for i, a := range s.addrs {
			allowed[a] = true
			names[a] = fmt.Sprintf("h%d %s", i, a)
		}
		names[s.addrs[s.model.slowHost()]] += " (slow)"
		label = func(host string) string { return names[host] }
		start = s.url(link{0, 0})
		transport = loopbackTransport()
		fmt.Fprintf(w, "local test site: %d hosts × %d pages on 127.0.0.1, h%d is slow and has a page that never answers\n",
			c.hosts, c.pages, s.model.slowHost())
	} else {
		u, err := url.Parse(c.url)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("-url %q: need an absolute http(s) URL", c.url)
		}
		start, allowed[u.Host] = normalise(u), true
		transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	// Runs before the site closes (defers run last in, first out), so the
	// client's keep-alive connections and their goroutines are gone too.
	defer transport.CloseIdleConnections()
	fmt.Fprintf(w, "crawling %s: depth ≤ %d, %d workers, %d per host, timeout %v, up to %d retries\n",
		start, c.depth, c.workers, c.perHost, c.timeout, c.retries)

	cr := newCrawler(c, &http.Client{Transport: transport, CheckRedirect: stayOnHost}, allowed)
	began := time.Now()
	stopProgress := cr.progress(w, c.progressInt, began)
	pages := cr.crawl(ctx, start)
	stopProgress()

	sum := summarize(pages, time.Since(began))
	if ctx.Err() != nil {
		fmt.Fprintln(w, "\ninterrupted: partial results")
	}
	sum.print(w, label)
	if site != nil {
		perHost, all := site.peaks()
		fmt.Fprintf(w, "\nthe site saw at most %d requests at once per host (limit %d) and %d in all (limit %d)\n",
			perHost, c.perHost, all, c.workers)
	}
	return context.Cause(ctx)
}

// loopbackTransport is an HTTP transport that can only reach 127.0.0.1 and
// ::1, whatever the pages link to: the local crawl never leaves the machine.
func loopbackTransport() *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		Proxy: nil, // never send local traffic to a proxy from the environment
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
				return nil, fmt.Errorf("refusing to dial %s: the local crawl stays on 127.0.0.1", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}
}
