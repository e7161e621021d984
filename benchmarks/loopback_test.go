package benchmarks

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// handlerDelay is how long the loopback server takes to answer: a fast
// service next door. The ideal time of n requests at concurrency c is
// n × handlerDelay / c.
const handlerDelay = time.Millisecond

// reply is the loopback server's response body.
var reply = []byte("ok\n")

// loopback is an HTTP server on 127.0.0.1 whose handler waits handlerDelay,
// with a client whose transport keeps enough idle connections per host that
// once warmed up no request has to dial: the benchmarks measure the
// libraries, not connection set-up. dials counts the connections opened, so
// a benchmark can show that it did not churn them.
type loopback struct {
	url    string
	client *http.Client
	dials  atomic.Int64
	warmed int64 // dials made by the warm-up
	failed atomic.Pointer[error]
}

// newLoopback starts the server and a client for up to conns requests in
// flight, opens conns connections, and registers the clean-up that closes
// them and the server.
func newLoopback(b *testing.B, conns int) *loopback {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(handlerDelay) // the service's own latency is the workload
		_, _ = w.Write(reply)
	}))
	l := &loopback{url: srv.URL}
	var dialer net.Dialer
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			l.dials.Add(1)
			return dialer.DialContext(ctx, network, addr)
		},
		// Keep every connection a burst needed, with room for the few
		// extra ones opened when a request starts just before another
		// request's connection is put back.
		MaxIdleConns:        0, // no limit across hosts
		MaxIdleConnsPerHost: 2 * conns,
		IdleConnTimeout:     time.Minute,
	}
	l.client = &http.Client{Transport: transport}
	b.Cleanup(func() {
		transport.CloseIdleConnections()
		srv.Close()
	})

	// Open conns connections: the requests overlap since each takes at
	// least handlerDelay, so each one dials its own.
	var wg sync.WaitGroup
	for range conns {
		wg.Go(l.task)
	}
	wg.Wait()
	if err := l.err(); err != nil {
		b.Fatal(err)
	}
	l.warmed = l.dials.Load()
	return l
}

// get makes one request and reads the whole response, so that its
// connection goes back to the idle pool. It returns the body's length.
func (l *loopback) get(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("loopback: status %s", resp.Status)
	}
	return int(n), err
}

// fetch is get as a pipeline callback: the item is ignored.
func (l *loopback) fetch(ctx context.Context, _ int) (int, error) { return l.get(ctx) }

// task is get as a pool task: an error is kept for err, as tasks cannot
// fail the benchmark themselves.
func (l *loopback) task() {
	if _, err := l.get(context.Background()); err != nil {
		l.failed.CompareAndSwap(nil, &err)
	}
}

// err returns the first error a task met, if any.
func (l *loopback) err() error {
	if p := l.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// report checks that no request failed and reports the wall time of an op
// of n requests at concurrency conc as a multiple of the ideal
// n × handlerDelay / conc, and the connections opened per op after the
// warm-up (0 when nothing churns). Call it after the b.Loop.
func (l *loopback) report(b *testing.B, n, conc int) {
	b.Helper()
	if err := l.err(); err != nil {
		b.Fatal(err)
	}
	ideal := float64(n) * float64(handlerDelay) / float64(conc)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/ideal, "x-ideal")
	b.ReportMetric(float64(l.dials.Load()-l.warmed)/float64(b.N), "dials/op")
}
