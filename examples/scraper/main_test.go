package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// counts are the figures of the summary's second line.
type counts struct {
	pages, ok, errors, c4xx, c5xx, timeouts, other, retries int
}

var summaryRE = regexp.MustCompile(`crawled (\d+) pages in \S+: [\d.]+ pages/s\n` +
	`(\d+) ok, (\d+) errors \((\d+) 4xx, (\d+) 5xx, (\d+) timeouts, (\d+) other\), (\d+) retries`)

func parseSummary(t *testing.T, out string) counts {
	t.Helper()
	m := summaryRE.FindStringSubmatch(out)
	require.NotNil(t, m, "no summary in:\n%s", out)
	n := make([]int, len(m)-1)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	return counts{n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7]}
}

// expect crawls the site model sequentially, breadth first, and returns
// the counts the crawler must report: the pages within depth hops of the
// start page, and what each of them does.
func expect(m siteModel, depth, retries int) counts {
	var c counts
	dist := map[link]int{{0, 0}: 0}
	queue := []link{{0, 0}}
	for len(queue) > 0 {
		l := queue[0]
		queue = queue[1:]
		c.pages++
		ok := false
		switch k := m.kind(l.host, l.page); {
		case l.page >= m.pages:
			c.c4xx++
		case k == okPage:
			ok = true
		case k == flakyPage && retries > 0:
			ok = true
			c.retries++
		case k == flakyPage:
			c.c5xx++
		case k == brokenPage:
			c.c5xx++
			c.retries += retries
		case k == hangPage:
			c.timeouts++
			c.retries += retries
		}
		if !ok {
			continue
		}
		c.ok++
		if dist[l] == depth {
			continue
		}
		for _, n := range m.links(l.host, l.page) {
			if _, seen := dist[n]; !seen {
				dist[n] = dist[l] + 1
				queue = append(queue, n)
			}
		}
	}
	c.errors = c.c4xx + c.c5xx + c.timeouts
	return c
}

var smallSite = []string{
	"-hosts", "3", "-pages", "12", "-depth", "3", "-workers", "4", "-per-host", "2",
	"-timeout", "300ms", "-retries", "1", "-backoff", "5ms", "-latency", "5ms", "-slow", "30ms",
	"-progress", "50ms",
}

func TestScraperCrawlsLocalSiteAsModelled(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, run(context.Background(), smallSite, &buf))
	out := buf.String()
	t.Log("\n" + out)

	want := expect(siteModel{hosts: 3, pages: 12, seed: 1}, 3, 1)
	// The scenario must exercise every injected failure, or the test
	// proves less than it claims.
	require.Positive(t, want.c4xx, "model has no dead link")
	require.Positive(t, want.c5xx, "model has no broken page")
	require.Equal(t, 1, want.timeouts, "model has no hanging page")
	require.Greater(t, want.retries, want.timeouts+want.c5xx, "model has no flaky page")

	assert.Equal(t, want, parseSummary(t, out), "crawl differs from the sequential model")
	assert.Contains(t, out, "local test site: 3 hosts × 12 pages on 127.0.0.1")
	assert.Contains(t, out, "(slow)")
	assert.Regexp(t, `(?m)^\s+total\s+\d+`, out)
	for h := range 3 {
		assert.Regexp(t, `(?m)^\s+h`+strconv.Itoa(h)+` 127\.0\.0\.1:\d+`, out, "a table row per host")
	}
	assert.NotContains(t, out, "interrupted")
	assert.NotContains(t, out, "canceled")

	// The servers counted the requests they were answering at once: the
	// keyed semaphore and the pool kept to their limits, and were reached.
	m := regexp.MustCompile(`at most (\d+) requests at once per host \(limit 2\) and (\d+) in all \(limit 4\)`).FindStringSubmatch(out)
	require.NotNil(t, m, "no line about the limits")
	perHost, _ := strconv.Atoi(m[1])
	all, _ := strconv.Atoi(m[2])
	assert.Equal(t, 2, perHost, "per-host limit")
	assert.LessOrEqual(t, all, 4, "global limit")
	assert.GreaterOrEqual(t, all, 3, "the crawl never ran more than one host at a time")
}

// cancelWriter records the output and calls cancel on the first progress
// line, as a user pressing Ctrl-C mid-crawl would.
type cancelWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	once   sync.Once
	cancel func()
	at     time.Time
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte("fetched")) {
		w.once.Do(func() { w.at = time.Now(); w.cancel() })
	}
	return w.buf.Write(p)
}

func TestScraperStopsCleanlyOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelWriter{cancel: cancel}
	args := append(append([]string{}, smallSite...), "-pages", "40", "-slow", "200ms", "-progress", "20ms")

	err := run(ctx, args, w)
	returned := time.Now()

	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.buf.String()
	t.Log("\n" + out)
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, w.at.IsZero(), "no progress line was printed")
	assert.Less(t, returned.Sub(w.at), time.Second, "run took too long to stop after cancel")
	assert.Contains(t, out, "interrupted: partial results")
	got := parseSummary(t, out)
	assert.Equal(t, got.ok+got.errors, got.pages-countCancelled(out), "every page is ok, failed or canceled")
	// goleak in TestMain checks that the pool, the host waiters, the
	// servers and the connections are all gone.
}

func countCancelled(out string) int {
	m := regexp.MustCompile(`, (\d+) canceled`).FindStringSubmatch(out)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestScraperRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-workers", "0"}, {"-pages", "2"}, {"-nope"}, {"extra"}, {"-url", "ftp://x"}} {
		var buf bytes.Buffer
		assert.Error(t, run(context.Background(), args, &buf), strings.Join(args, " "))
	}
}

func TestLoopbackTransportRefusesOtherHosts(t *testing.T) {
	tr := loopbackTransport()
	defer tr.CloseIdleConnections()
	for _, addr := range []string{"example.com:80", "192.0.2.1:80", "[2001:db8::1]:443"} {
		_, err := tr.DialContext(context.Background(), "tcp", addr)
		assert.ErrorContains(t, err, "refusing to dial", addr)
	}
}

func TestExtractLinksResolvesAndNormalises(t *testing.T) {
	body := []byte(`<a href="/p/1#top">a</a> <A class=x HREF='http://127.0.0.1:9/p/2'>b</A>
		<a href="mailto:x@y">c</a> <a href="3">d</a> <a href="http://127.0.0.1:9">e</a>`)
	assert.Equal(t, []string{"http://127.0.0.1:8/p/1", "http://127.0.0.1:9/p/2", "http://127.0.0.1:8/q/3", "http://127.0.0.1:9/"},
		extractLinks("http://127.0.0.1:8/q/0", body))
}

// The progress line's fetched and failed counts come from the pool's
// observer: once crawl has returned, they are exactly the pages crawled and
// those that failed.
func TestProgressCountsComeFromThePoolObserver(t *testing.T) {
	c, err := parse(smallSite, new(bytes.Buffer))
	require.NoError(t, err)
	s, err := startSite(siteModel{hosts: c.hosts, pages: c.pages, seed: c.seed}, c.latency, c.slowLatency)
	require.NoError(t, err)
	defer s.close()
	allowed := map[string]bool{}
	for _, a := range s.addrs {
		allowed[a] = true
	}
	tr := loopbackTransport()
	defer tr.CloseIdleConnections()

	cr := newCrawler(c, &http.Client{Transport: tr}, allowed)
	pages := cr.crawl(context.Background(), s.url(link{0, 0}))
	failed := 0
	for _, p := range pages {
		if p.err != nil {
			failed++
		}
	}
	require.Positive(t, failed, "the site has pages that fail")
	assert.Equal(t, int64(len(pages)), cr.fetches.ended.Load(), "fetches ended")
	assert.Equal(t, int64(failed), cr.fetches.failed.Load(), "fetches failed")
}

// hits counts the requests a test server received, per path.
type hits struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *hits) get(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[path]
}

// serve starts a loopback server that answers the paths of routes and 404s
// the others, counting every request it receives. A request is counted
// before it is answered, so once run has returned the counts are final.
func serve(t *testing.T, routes map[string]http.HandlerFunc) (*httptest.Server, *hits) {
	t.Helper()
	h := &hits{n: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.n[r.URL.Path]++
		h.mu.Unlock()
		if route, ok := routes[r.URL.Path]; ok {
			route(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, h
}

func htmlPage(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(body))
	}
}

func redirectTo(url string, code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, url, code) }
}

// crawlURL runs the scraper in -url mode and returns its output.
func crawlURL(t *testing.T, start string, args ...string) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, run(context.Background(), append([]string{"-url", start, "-progress", "0"}, args...), &buf))
	t.Log("\n" + buf.String())
	return buf.String()
}

// Relative links on a page reached through a redirect are relative to
// where the redirect led, as a browser resolves them.
func TestScraperResolvesLinksAgainstTheRedirectedURL(t *testing.T) {
	srv, h := serve(t, map[string]http.HandlerFunc{
		"/docs":            redirectTo("/docs/", http.StatusMovedPermanently),
		"/docs/":           htmlPage(`<a href="intro.html">intro</a>`),
		"/docs/intro.html": htmlPage(`intro`),
	})
	out := crawlURL(t, srv.URL+"/docs")

	assert.Equal(t, 1, h.get("/docs/intro.html"), "the link resolved against the final URL")
	assert.Zero(t, h.get("/intro.html"), "the link resolved against the requested URL")
	assert.Equal(t, counts{pages: 2, ok: 2}, parseSummary(t, out))
}

// A redirect is a link too: one that leaves the site's host is not
// followed, and the page that made it counts as an error (other).
func TestScraperDoesNotFollowRedirectsOffTheHost(t *testing.T) {
	other, otherHits := serve(t, map[string]http.HandlerFunc{"/private": htmlPage(`private`)})
	srv, _ := serve(t, map[string]http.HandlerFunc{
		"/":    htmlPage(`<a href="/out">out</a>`),
		"/out": redirectTo(other.URL+"/private", http.StatusFound),
	})
	out := crawlURL(t, srv.URL+"/")

	assert.Zero(t, otherHits.get("/private"), "the crawl left the site's host")
	assert.Equal(t, counts{pages: 2, ok: 1, errors: 1, other: 1}, parseSummary(t, out))
}

// The start URL is a URL like any link: the same page spelt without its
// path or with a fragment is the same page, fetched once.
func TestScraperFetchesTheStartPageOnce(t *testing.T) {
	for _, suffix := range []string{"", "#top"} {
		t.Run("suffix="+suffix, func(t *testing.T) {
			srv, h := serve(t, map[string]http.HandlerFunc{
				"/":  htmlPage(`<a href="/">home</a> <a href="/a">a</a>`),
				"/a": htmlPage(`<a href="/">home</a>`),
			})
			out := crawlURL(t, srv.URL+suffix)

			assert.Equal(t, 1, h.get("/"), "requests for the start page")
			assert.Equal(t, counts{pages: 2, ok: 2}, parseSummary(t, out))
		})
	}
}
