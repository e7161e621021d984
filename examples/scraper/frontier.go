package main

import (
	"context"

	"github.com/weftgo/weft/future"
)

// frontier is the crawl's table of URLs, owned by the crawl goroutine.
type frontier struct {
	c        *crawler
	ctx      context.Context
	urls     map[string]*node
	launched []*future.Future[page] // since the last look
	all      []*future.Future[page]
}

// node is what the crawl knows of a URL: its depth, the shortest distance
// from the start page found so far, and, once fetched, its links.
type node struct {
	depth   int
	fetched bool
	links   []string
}

// visit records that u is reachable in depth hops and launches its fetch
// if it is new, allowed and within the limits. If u was known at a greater
// depth and has been fetched already, its links are followed again from the
// smaller depth, so the set of pages crawled is exactly those within the
// depth limit, whatever order the answers come in.
func (t *frontier) visit(u string, depth int) {
	if depth > t.c.cfg.depth || !t.c.allowed[hostOf(u)] {
		return
	}
	n := t.urls[u]
	switch {
	case n == nil:
		if t.c.cfg.maxPages > 0 && len(t.urls) >= t.c.cfg.maxPages {
			return
		}
		t.urls[u] = &node{depth: depth}
		f := t.c.launch(t.ctx, u)
		t.launched = append(t.launched, f)
		t.all = append(t.all, f)
	case depth < n.depth:
		n.depth = depth
		if n.fetched {
			for _, l := range n.links {
				t.visit(l, depth+1)
			}
		}
	}
}

// fetched follows the links of a page that has just been fetched.
func (t *frontier) fetched(p page) {
	n := t.urls[p.url]
	n.fetched, n.links = true, p.links
	for _, l := range p.links {
		t.visit(l, n.depth+1)
	}
}
