// Package pipeline provides typed, concurrent stream pipelines. Its
// subpackage [github.com/weftgo/weft/pipeline/queue] provides the
// multi-producer, multi-consumer queue that [FromQueue] reads from.
//
// # Pipelines
//
// A pipeline starts from a source ([FromSlice], [FromChan], [FromSeq],
// [FromQueue]), goes through stages ([Map], [Filter], [FlatMap], [Batch],
// [Tumbling], [Sliding], [Merge], [Tee]) and ends in a sink ([ForEach],
// [Collect], [Reduce], [All]). Types are checked at compile time; stages
// that change the item type are functions, since Go methods cannot have
// type parameters:
//
//	src := pipeline.FromSlice(urls)
//	pages := pipeline.Map(src, fetch, pipeline.WithConcurrency(8), pipeline.WithOrdered())
//	for page, err := range pipeline.All(ctx, pages) { ... }
//
// Options are typed by the functions that read them, so an option given
// where it would do nothing does not compile (see [Option]).
//
// Nothing runs until a sink is called. The sink then runs every stage on its
// own goroutines and guarantees:
//
//   - A stage with [WithConcurrency](n) has n callbacks in flight whenever n
//     items are available to it, however its input is chunked, unless its
//     items are cheap enough for one worker to run a chunk of them at once
//     (see Chunks below, which also gives the one exception). An unordered
//     stage emits results as their claim finishes, never behind a slow
//     item of another worker; an ordered one as soon as order allows.
//   - The first error or panic in any stage or sink callback cancels the
//     whole pipeline at once — callbacks still running see their context
//     canceled, with that error as its cause, and no new callback starts
//     (one that another worker was starting at that very moment may still
//     start, and its context is canceled all the same) — and the sink
//     returns it. A panic arrives as a [*PanicError] with the panic value
//     and stack. [WithErrorPolicy] lets a stage skip or collect errors
//     instead. When the caller's context ends the run, the cause is
//     its cause; when the sink stops without an error (a break out of the
//     [All] loop), it is [ErrSinkStopped].
//   - When the sink returns, for whatever reason (end of input, error, the
//     caller's context, a break out of the [All] loop), every stage goroutine
//     has ended. Nothing keeps draining in the background: once the
//     pipeline stops, no new callback starts, so the sink waits only for
//     the callbacks in flight, whatever the chunk size.
//   - Memory is bounded by the configured buffers, not by the input size:
//     each stage holds at most its concurrency, reorder window and output
//     buffer in chunks of [WithChunkSize] items.
//   - A concurrent stage with [WithOrdered] emits in input order; its reorder
//     window ([WithReorderWindow]) is separate from its concurrency, so a
//     slow item holds the stage up only once the window is full.
//
// # Chunks
//
// Items travel between stages in chunks: a chunk is a slice of up to
// [WithChunkSize] items (default 128) handed to the next stage in one
// channel operation, which makes a cheap stage cost a few nanoseconds per
// item instead of a channel operation per item. Nothing waits to fill a
// chunk: [FromSlice] cuts its slice into chunks, [FromChan] and [FromQueue]
// send what is already there, [FromSeq] what the sequence has yielded by
// the time the previous chunk is sent (a sequence still yielding may add a
// few more), and a worker stage the results of one claim (below).
//
// A worker stage shares each chunk it receives among its workers: the
// worker that takes it from the input claims its first items and leaves
// the rest to the others, waking idle ones. How many items a worker claims
// at once follows the callback's cost, which the stage measures once per
// claim: while a chunk's items are measured to cost less than about 10µs
// in all, one worker runs the whole chunk, since waking another would cost
// as much; otherwise a worker claims at most about 500µs of measured work
// and at most an equal share of the chunk per worker, so costly items run
// one by one on every worker. Until the first claim has been measured,
// workers claim one item at a time.
//
// So a chunk adds latency in two ways only. A result waits for the rest of
// its worker's claim: up to about 500µs of measured work. And a callback
// much slower than the ones measured before it (a cheap stage that meets
// one slow item) holds up the items claimed with it, up to a chunk: their
// results wait for it, and no other worker can take them; the measurement
// then makes the next claims small. An ordered stage emits a claim's
// results only once every earlier item's results are emitted.
//
// Every stage keeps counters, read with [Stream.Stats]. A callback stage
// given [WithObserver] also reports each call of its callback (with its run
// time, error or panic) and the items a stopped run dropped to an Observer
// of package [github.com/weftgo/weft/observe], for metrics.
package pipeline
