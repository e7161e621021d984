// Package expvarobs publishes what weft's pools, semaphores and pipeline
// stages report to an [github.com/weftgo/weft/observe.Observer] through
// the standard library's expvar: counters of each kind of event, the
// number of tasks in flight and of permits held, and the 50th, 90th and
// 99th percentiles and the maximum of the time tasks wait in a queue (or
// acquisitions wait for permits) and of the time tasks run.
//
// It is a package of its own, and not part of package observe, because
// importing expvar registers the /debug/vars handler on
// http.DefaultServeMux: only programs that want it pay for it.
//
// Publish makes an [Observer] and publishes it under a name; New makes one
// to publish yourself, for example in an [expvar.Map] of all your
// components:
//
//	var p *pool.Pool
//	obs := expvarobs.Publish("downloads", expvarobs.WithStats(func() any { return p.Stats() }))
//	p = pool.New(8, pool.WithObserver(obs))
//
// /debug/vars then shows
//
//	"downloads": {"queued": 120, "started": 118, "finished": 110, "failed": 2, ...,
//	  "in_flight": 8, "held": 0,
//	  "wait": {"count": 118, "p50_ns": 15000, "p90_ns": 420000, "p99_ns": 1900000, "max_ns": 2300000},
//	  "run": {...}, "stats": {"Limit": 8, ...}}
//
// The percentiles come from a fixed histogram of log-linear buckets (16
// per power of two): each is within 3.2% of the exact duration of its rank,
// and exact below 16ns; the maximum is exact. The histogram takes about
// 8 KiB per distribution and never grows.
package expvarobs
