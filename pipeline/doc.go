// Package pipeline provides condition-based queues and typed, concurrent
// stream pipelines.
package pipeline
