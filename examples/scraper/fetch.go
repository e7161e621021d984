package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// statusError is an HTTP answer other than 200 OK.
type statusError int

func (e statusError) Error() string {
	return fmt.Sprintf("HTTP %d %s", int(e), http.StatusText(int(e)))
}

// fetch gets u with a timeout per attempt, retrying with exponential backoff
// and jitter when the server fails (5xx) or the attempt times out; a 4xx is
// final. It stops at once when ctx ends.
func (c *crawler) fetch(ctx context.Context, u string) (p page) {
	p = page{url: u, host: hostOf(u)}
	start := time.Now()
	defer func() { p.latency = time.Since(start) }()
	for {
		p.attempts++
		status, body, final, err := c.get(ctx, u)
		p.status = status
		switch {
		case ctx.Err() != nil:
			p.err = context.Cause(ctx)
			return p
		case err == nil && status == http.StatusOK:
			p.err = nil
			p.links = extractLinks(final, body)
			return p
		case err == nil:
			p.err = statusError(status)
		default:
			p.err = err
		}
		retryable := isTimeout(err) || status >= 500
		if !retryable || p.attempts > c.cfg.retries {
			return p
		}
		c.retries.Add(1)
		if !sleep(ctx, backoff(c.cfg.backoff, p.attempts)) {
			p.err = context.Cause(ctx)
			return p
		}
	}
}

// get makes one attempt at u within the per-request timeout. final is the
// URL the answer came from, after redirects: the page's links are relative
// to it, not to u.
func (c *crawler) get(ctx context.Context, u string) (status int, body []byte, final string, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, "", err
	}
	req.Header.Set("User-Agent", "weft-scraper-example/1.0")
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	} else {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	}
	return resp.StatusCode, body, resp.Request.URL.String(), err
}

// errOffHost is why a redirect to another host was not followed.
var errOffHost = errors.New("redirect to another host not followed")

// stayOnHost is the client's redirect policy. A redirect is a link the
// crawl did not get to check, so it is held to the rule for links: it may
// not leave the host. Keeping to the host also keeps the request under the
// per-host permit it was started with. Go's default limit of 10 redirects
// is kept, since a CheckRedirect replaces it.
func stayOnHost(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return errOffHost
	}
	return nil
}

// backoff is base·2^(attempt-1), with ±50% jitter so that retries of pages
// that failed together do not hit the server together again.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base << (attempt - 1)
	return d/2 + rand.N(d+1)
}

// sleep waits for d and reports false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

var hrefRE = regexp.MustCompile(`(?i)<a\s[^>]*href\s*=\s*["']([^"']+)["']`)

// extractLinks returns the http(s) links of an HTML page, resolved against
// its URL and normalised. It is a regular expression, not an HTML
// parser: enough for a demo, not for the wild web.
func extractLinks(base string, body []byte) []string {
	b, err := url.Parse(base)
	if err != nil {
		return nil
	}
	var links []string
	for _, m := range hrefRE.FindAllSubmatch(body, -1) {
		l, err := b.Parse(string(m[1]))
		if err != nil || (l.Scheme != "http" && l.Scheme != "https") {
			continue
		}
		links = append(links, normalise(l))
	}
	return links
}

// normalise returns u as the crawl keys it: the start URL and the links
// go through it alike, so that two spellings of one page, with and
// without a fragment or with an empty path for "/", are fetched once.
func normalise(u *url.URL) string {
	n := *u
	n.Fragment, n.RawFragment = "", ""
	if n.Path == "" && n.Opaque == "" {
		n.Path, n.RawPath = "/", ""
	}
	return n.String()
}
