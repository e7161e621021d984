// Package pipeline provides condition-based queues and typed, concurrent
// stream pipelines.
//
// # Queues
//
// [Queue] is the counterpart of Python's queue.Queue: FIFO ([NewQueue]),
// LIFO ([NewLIFOQueue]) or priority ([NewPriorityQueue]) order, bounded or
// not, with context-aware [Queue.Put] and [Queue.Get], never-blocking
// [Queue.TryPut] and [Queue.TryGet], batch gets, [Queue.TaskDone] and
// [Queue.Join], a draining [Queue.Close] and an immediate [Queue.Shutdown]
// that reports how many items it dropped. Use it instead of a channel when
// consumers must be able to close, when you need join, priority or a
// drop count, or when a send after close must be an error rather than a
// panic. A FIFO put and get costs about as much as a buffered channel
// operation and does not allocate.
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
// Nothing runs until a sink is called. The sink then runs every stage on its
// own goroutines and guarantees:
//
//   - The first error or panic in any stage or sink callback cancels the
//     whole pipeline — callbacks still running see their context cancelled —
//     and the sink returns it. A panic arrives as a [*PanicError] with the
//     panic value and stack. [WithErrorPolicy] lets a stage skip or collect
//     errors instead.
//   - When the sink returns, for whatever reason (end of input, error, the
//     caller's context, a break out of the [All] loop), every stage goroutine
//     has ended. Nothing keeps draining in the background.
//   - Memory is bounded by the configured buffers, not by the input size:
//     each stage holds at most its concurrency, reorder window and output
//     buffer in batches of [WithChunkSize] items.
//   - A concurrent stage with [WithOrdered] emits in input order; its reorder
//     window ([WithReorderWindow]) is separate from its concurrency, so a
//     slow item holds the stage up only once the window is full.
//
// Items travel between stages in batches of up to 128 (a stage never waits
// to fill a batch, so this adds no latency), which makes a stage cost a few
// nanoseconds per item instead of a channel operation per item. Every
// stage keeps counters, read with [Stream.Stats].
package pipeline
