package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/weftgo/weft/observe"
)

// meter is an observe.Observer that counts the tasks that ended, and
// those that failed, as the pool reports them. It is two atomic additions
// per fetch; the progress printer reads it at its own pace.
type meter struct{ ended, failed atomic.Int64 }

func (m *meter) Observe(e observe.Event) {
	if e.Kind == observe.Finished {
		m.ended.Add(1)
		if e.Err != nil {
			m.failed.Add(1)
		}
	}
}

// progress prints a line every interval until stop is called, which waits
// for the printer to finish. It reads only atomic counters (the pool's
// observer among them) and pool.Stats, so it never slows the crawl down.
func (c *crawler) progress(w io.Writer, interval time.Duration, start time.Time) (stop func()) {
	if interval <= 0 {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				st := c.workers.Stats()
				fmt.Fprintf(w, "  %6.2fs  fetched %4d (%d failed)  retries %d  running %d  queued %d  waiting for host %d\n",
					time.Since(start).Seconds(), c.fetches.ended.Load(), c.fetches.failed.Load(), c.retries.Load(),
					st.Running, st.Queued, c.waitingHost.Load())
			}
		}
	})
	return func() { close(quit); wg.Wait() }
}

// tally counts the outcomes of a set of pages.
type tally struct {
	pages, ok, client, server, timeouts, other, canceled, retries int
	latencies                                                     []time.Duration // of the pages fetched
}

func (t *tally) add(p page) {
	t.pages++
	t.retries += p.attempts - 1
	switch {
	case p.err == nil:
		t.ok++
		t.latencies = append(t.latencies, p.latency)
	case errors.Is(p.err, context.Canceled):
		t.canceled++
	case isTimeout(p.err):
		t.timeouts++
	case p.status >= 500:
		t.server++
	case p.status >= 400:
		t.client++
	default:
		t.other++
	}
}

func (t *tally) errors() int { return t.client + t.server + t.timeouts + t.other }

// percentile returns the q-quantile (nearest rank) of the latencies.
func (t *tally) percentile(q float64) time.Duration {
	if len(t.latencies) == 0 {
		return 0
	}
	s := slices.Clone(t.latencies)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// summary is the result of a crawl.
type summary struct {
	total   tally
	hosts   map[string]*tally
	order   []string // hosts
	elapsed time.Duration
}

func summarize(pages []page, elapsed time.Duration) summary {
	s := summary{hosts: map[string]*tally{}, elapsed: elapsed}
	for _, p := range pages {
		s.total.add(p)
		h := s.hosts[p.host]
		if h == nil {
			h = &tally{}
			s.hosts[p.host] = h
			s.order = append(s.order, p.host)
		}
		h.add(p)
	}
	return s
}

// print writes the summary table; label names a host in the first column.
func (s summary) print(w io.Writer, label func(host string) string) {
	t := &s.total
	fmt.Fprintf(w, "\ncrawled %d pages in %v: %.1f pages/s\n", t.pages, s.elapsed.Round(time.Millisecond),
		float64(t.pages)/s.elapsed.Seconds())
	fmt.Fprintf(w, "%d ok, %d errors (%d 4xx, %d 5xx, %d timeouts, %d other), %d retries",
		t.ok, t.errors(), t.client, t.server, t.timeouts, t.other, t.retries)
	if t.canceled > 0 {
		fmt.Fprintf(w, ", %d canceled", t.canceled)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "host\tpages\tok\t4xx\t5xx\ttimeouts\tretries\tp50\tp95\t")
	row := func(name string, t *tally) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%v\t%v\t\n", name, t.pages, t.ok, t.client, t.server,
			t.timeouts, t.retries, t.percentile(0.50).Round(100*time.Microsecond), t.percentile(0.95).Round(100*time.Microsecond))
	}
	slices.SortFunc(s.order, func(a, b string) int { return strings.Compare(label(a), label(b)) })
	for _, h := range s.order {
		row(label(h), s.hosts[h])
	}
	row("total", t)
	tw.Flush()
}
