package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// kind is what a page of the local site does when it is fetched.
type kind int

const (
	okPage     kind = iota
	flakyPage       // 503 on the first request, 200 afterwards
	brokenPage      // 500 every time
	hangPage        // never answers: the client's timeout must fire
)

// siteModel is the shape of the local test site, a pure function of its
// parameters: which pages exist, what each links to and how each behaves.
// The servers serve it and the tests predict the crawl from it.
type siteModel struct {
	hosts, pages int
	seed         uint64
}

// slowHost is the index of the host whose pages are slow, one of which hangs.
func (m siteModel) slowHost() int { return m.hosts - 1 }

// hash is a deterministic pseudo-random number for (host, page, salt):
// the same seed always gives the same site.
func (m siteModel) hash(h, p, salt int) uint64 {
	x := m.seed
	for _, v := range [3]int{h, p, salt} {
		x = mix(x ^ uint64(v))
	}
	return x
}

// mix is the splitmix64 finaliser.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func (m siteModel) kind(h, p int) kind {
	switch {
	case h == m.slowHost() && p == 2:
		return hangPage
	case p < 3:
		return okPage // the entry pages always work, so every host is reached
	}
	switch r := m.hash(h, p, 0) % 100; {
	case r < 8:
		return flakyPage
	case r < 12:
		return brokenPage
	}
	return okPage
}

// link is a reference from one page to a page of some host; a page index
// at or beyond m.pages does not exist and is served as 404.
type link struct{ host, page int }

func (m siteModel) links(h, p int) []link {
	var ls []link
	if h == 0 && p == 0 { // the start page links to every host's entry page
		for i := range m.hosts {
			ls = append(ls, link{i, 0})
		}
	}
	ls = append(ls, link{h, (p + 1) % m.pages}, link{h, (2*p + 2) % m.pages})
	ls = append(ls, link{h, int(m.hash(h, p, 1) % uint64(m.pages))})
	ls = append(ls, link{int(m.hash(h, p, 2) % uint64(m.hosts)), int(m.hash(h, p, 3) % uint64(m.pages))})
	if m.hash(h, p, 4)%100 < 15 {
		ls = append(ls, link{h, m.pages + int(m.hash(h, p, 5)%5)}) // dead link
	}
	return ls
}

// latency is how long a page takes to answer: a few to max milliseconds on
// a normal host, slowMax/2 to slowMax on the slow one.
func (m siteModel) latency(h, p int, normalMax, slowMax time.Duration) time.Duration {
	lo, hi := normalMax/5, normalMax
	if h == m.slowHost() {
		lo, hi = slowMax/2, slowMax
	}
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(m.hash(h, p, 6)%uint64(hi-lo))
}

// site is the local test site: one HTTP server per host, each on its own
// 127.0.0.1 port, serving the model.
type site struct {
	model             siteModel
	normalMax, slowMx time.Duration
	servers           []*http.Server
	addrs             []string // host:port of each host
	closing           chan struct{}
	serving           sync.WaitGroup

	mu       sync.Mutex
	requests map[link]int // requests seen per page, for the flaky pages
	busy     []int        // requests being answered, per host
	maxBusy  []int        // the most busy at once, per host
	allBusy  int          // requests being answered in all
	maxAll   int          // the most at once, in all
}

func startSite(m siteModel, normalMax, slowMax time.Duration) (*site, error) {
	s := &site{model: m, normalMax: normalMax, slowMx: slowMax,
		closing: make(chan struct{}), requests: make(map[link]int),
		busy: make([]int, m.hosts), maxBusy: make([]int, m.hosts)}
	for h := range m.hosts {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.close()
			return nil, err
		}
		srv := &http.Server{Handler: s.handler(h), ReadHeaderTimeout: 5 * time.Second}
		s.servers = append(s.servers, srv)
		s.addrs = append(s.addrs, ln.Addr().String())
		s.serving.Go(func() { _ = srv.Serve(ln) })
	}
	return s, nil
}

func (s *site) url(l link) string { return fmt.Sprintf("http://%s/p/%d", s.addrs[l.host], l.page) }

// close stops every server and waits for them and their handlers.
func (s *site) close() {
	close(s.closing) // handlers that are still waiting return now
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
	}
	s.serving.Wait()
}

func (s *site) handler(h int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/p/"))
		if err != nil || !strings.HasPrefix(r.URL.Path, "/p/") || p < 0 {
			http.NotFound(w, r)
			return
		}
		k := okPage
		if p < s.model.pages {
			k = s.model.kind(h, p)
		}
		delay := s.model.latency(h, p, s.normalMax, s.slowMx)
		if k == hangPage {
			delay = time.Hour // until the client gives up or the site closes
		} else {
			// Not counted for the hanging page: its handler only notices
			// that the client gave up after the client has moved on.
			s.enter(h)
			defer s.leave(h)
		}
		if !s.wait(r.Context(), delay) {
			return
		}
		switch {
		case p >= s.model.pages:
			http.NotFound(w, r)
		case k == brokenPage:
			http.Error(w, "internal error", http.StatusInternalServerError)
		case k == flakyPage && s.count(link{h, p}) == 1:
			http.Error(w, "try again", http.StatusServiceUnavailable)
		default:
			s.writePage(w, h, p)
		}
	})
}

// wait waits for d, and reports false if the request or the site ended first.
func (s *site) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.closing:
	}
	return false
}

// enter and leave track how many requests the site answers at once, to
// show that the crawler keeps to its limits. A handler returns before its
// response is flushed, so leave happens before the client sees the answer.
func (s *site) enter(h int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy[h]++
	s.allBusy++
	s.maxBusy[h] = max(s.maxBusy[h], s.busy[h])
	s.maxAll = max(s.maxAll, s.allBusy)
}

func (s *site) leave(h int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy[h]--
	s.allBusy--
}

// peaks returns the most requests answered at once by one host and in all.
func (s *site) peaks() (perHost, all int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Max(s.maxBusy), s.maxAll
}

func (s *site) count(l link) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[l]++
	return s.requests[l]
}

// writePage writes the HTML of page p of host h. Links within the host are
// relative, some with a fragment, so the crawler has to resolve and
// normalise them.
func (s *site) writePage(w http.ResponseWriter, h, p int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><title>host %d page %d</title>\n<ul>\n", h, p)
	for i, l := range s.model.links(h, p) {
		href := s.url(l)
		if l.host == h {
			href = fmt.Sprintf("/p/%d", l.page)
			if i%2 == 1 {
				href += "#section"
			}
		}
		fmt.Fprintf(&b, "<li><a href=\"%s\">link %d</a>\n", href, i)
	}
	b.WriteString("</ul>\n")
	_, _ = io.WriteString(w, b.String()) // a client that went away is not our problem
}
