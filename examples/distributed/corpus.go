package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"

	"github.com/weftgo/weft/future"
	"github.com/weftgo/weft/pool"
)

// The analysis: word frequencies over a corpus that is generated, shard by
// shard, from a seed. Each shard is one job; its words come from a Zipf
// distribution over a fixed vocabulary, so a few words dominate as in real
// text. Generating and counting a shard costs time proportional to its
// length, and the result of a shard does not depend on who computes it or
// in what order: that is what lets the shards be spread over processes and
// still sum to the same answer.

// vocabulary is the list of words the corpus is made of; a Result counts
// them by index.
var vocabulary = makeVocabulary(512)

// wordIndex maps a word of the vocabulary to its index.
var wordIndex = vocabularyIndex()

func makeVocabulary(n int) []string {
	syllables := []string{"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "we", "zu", "an", "el", "in", "or", "ul", "ys"}
	words := make([]string, 0, n)
	for i := 0; len(words) < n; i++ {
		w := ""
		for j := i; ; j /= len(syllables) {
			w += syllables[j%len(syllables)]
			if j < len(syllables) {
				break
			}
		}
		words = append(words, w)
	}
	return words
}

// Job kinds the worker program knows.
const kindWords = "words"

// A Job asks for the word counts of one shard. ID is the job's key within its
// run: results and dead letters are counted once per ID, whatever the
// number of deliveries.
type Job struct {
	Run    string `json:"run"`
	ID     int    `json:"id"`
	Kind   string `json:"kind"`
	Seed   uint64 `json:"seed"`
	Words  int    `json:"words"`  // words in the shard
	Chunks int    `json:"chunks"` // parts the shard is generated and counted in, one future each
}

func (j Job) validate() error {
	if j.Run == "" || j.ID < 0 || j.Words < 0 || j.Chunks < 1 || j.Chunks > 1024 {
		return fmt.Errorf("%w: run %q, id %d, words %d, chunks %d", ErrBadJob, j.Run, j.ID, j.Words, j.Chunks)
	}
	return nil
}

// A Result is the outcome of one job: how many words its shard had, and how
// many times each word of the vocabulary occurred.
type Result struct {
	Run    string  `json:"run"`
	ID     int     `json:"id"`
	Words  int64   `json:"words"`
	Counts []int64 `json:"counts"`
	Worker string  `json:"worker,omitempty"`
	// Delivery is the delivery of the job that produced the result: above 1
	// when an earlier worker failed it, died or went quiet.
	Delivery uint64 `json:"delivery,omitempty"`
}

// add adds r's counts to t, growing t as needed.
func (t *Totals) add(r Result) {
	if len(t.Counts) < len(r.Counts) {
		t.Counts = append(t.Counts, make([]int64, len(r.Counts)-len(t.Counts))...)
	}
	t.Words += r.Words
	for i, c := range r.Counts {
		t.Counts[i] += c
	}
}

// Totals are the corpus-wide word statistics: the sum of the results of every
// job.
type Totals struct {
	Words  int64
	Counts []int64
}

func (t Totals) equal(u Totals) bool {
	return t.Words == u.Words && slices.Equal(t.Counts, u.Counts)
}

// top returns the n most frequent words, most frequent first.
func (t Totals) top(n int) []string {
	idx := make([]int, len(t.Counts))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return int(t.Counts[b] - t.Counts[a]) })
	var out []string
	for _, i := range idx[:min(n, len(idx))] {
		out = append(out, fmt.Sprintf("%s %.2f%%", vocabulary[i], 100*float64(t.Counts[i])/float64(max(t.Words, 1))))
	}
	return out
}

// ErrBadJob is the error of a job message that cannot be processed however
// often it is tried: malformed, of an unknown kind, or with invalid fields.
var ErrBadJob = errors.New("distributed: bad job")

// A counter is where a process counts shards: a weft pool each of whose
// worker goroutines keeps a chunkScratch of its own, which every chunk that
// worker counts reuses instead of allocating one.
type counter struct {
	pool    *pool.Pool
	scratch *pool.WorkerState[*chunkScratch]
}

// newCounter returns a counter with a pool of the given number of workers.
// A scratch needs no release: it goes with its worker when the worker exits.
func newCounter(workers int) *counter {
	scratch := pool.NewWorkerState(newChunkScratch, nil)
	return &counter{pool: pool.New(workers, pool.WithWorkerState(scratch)), scratch: scratch}
}

// A chunkScratch is what counting a chunk needs besides its result: the
// word generator and the text buffer; the counts are the result, so each
// chunk makes its own. It is used by one chunk at a time and reset and
// re-seeded by each, so what a chunk counts does not depend on the chunks its
// worker counted before.
type chunkScratch struct {
	src  *rand.PCG
	zipf *rand.Zipf // draws from src
	text []byte
}

func newChunkScratch(context.Context) (*chunkScratch, error) {
	src := rand.NewPCG(0, 0)
	return &chunkScratch{src: src, zipf: rand.NewZipf(rand.New(src), 1.1, 2, uint64(len(vocabulary)-1))}, nil
}

// countWords computes the result of a words job. Its chunks are generated and
// counted as futures on c's pool, so one large shard uses every core of the
// worker process, each chunk with the scratch of the pool worker it runs on;
// a panic in a chunk becomes that future's error and so the job's.
func countWords(ctx context.Context, c *counter, job Job) (Result, error) {
	fs := make([]*future.Future[Result], job.Chunks)
	for i := range job.Chunks {
		n := chunkWords(job, i)
		f, err := future.Submit(ctx, c.pool, func(ctx context.Context) (Result, error) {
			s, err := c.scratch.Get(ctx)
			if err != nil {
				return Result{}, err
			}
			return countChunk(ctx, s, job.Seed, uint64(job.ID), uint64(i), n)
		})
		if err != nil {
			return Result{}, err
		}
		fs[i] = f
	}
	parts, err := future.All(ctx, fs...)
	if err != nil {
		return Result{}, err
	}
	var t Totals
	t.Counts = make([]int64, len(vocabulary))
	for _, r := range parts {
		t.add(r)
	}
	return Result{Run: job.Run, ID: job.ID, Words: t.Words, Counts: t.Counts}, nil
}

// chunkWords returns the number of words in chunk i of job's shard.
func chunkWords(job Job, i int) int {
	n := job.Words / job.Chunks
	if i < job.Words%job.Chunks {
		n++
	}
	return n
}

// countChunk generates n words of one chunk as text in s, then tokenises and
// counts it, as an analysis of real text would. It resets s before use rather
// than after, so a chunk that was cancelled or panicked leaves nothing behind
// that the next one would see.
func countChunk(ctx context.Context, s *chunkScratch, seed, shard, chunk uint64, n int) (Result, error) {
	s.src.Seed(seed, shard<<20|chunk)
	text := s.text[:0]
	for i := range n {
		if i%4096 == 0 && ctx.Err() != nil {
			return Result{}, context.Cause(ctx)
		}
		text = append(text, vocabulary[s.zipf.Uint64()]...)
		text = append(text, ' ')
	}
	s.text = text // keep the grown buffer for the worker's next chunk
	r := Result{Counts: make([]int64, len(vocabulary))}
	for start := 0; start < len(text); {
		end := start
		for end < len(text) && text[end] != ' ' {
			end++
		}
		if end > start {
			r.Counts[wordIndex[string(text[start:end])]]++
			r.Words++
		}
		start = end + 1
	}
	return r, nil
}

func vocabularyIndex() map[string]int {
	m := make(map[string]int, len(vocabulary))
	for i, w := range vocabulary {
		m[w] = i
	}
	return m
}

// makeJobs returns the jobs of a run: one per shard.
func makeJobs(run string, seed uint64, shards, words, chunks int) []Job {
	jobs := make([]Job, shards)
	for i := range jobs {
		jobs[i] = Job{Run: run, ID: i, Kind: kindWords, Seed: seed, Words: words, Chunks: chunks}
	}
	return jobs
}

// computeLocal does the whole analysis in this process, on one counter of
// GOMAXPROCS workers: the reference the distributed result is checked
// against, and the in-process baseline it is timed against.
func computeLocal(ctx context.Context, jobs []Job) (Totals, error) {
	c := newCounter(runtime.GOMAXPROCS(0))
	defer c.pool.Stop()
	results, err := pool.Map(ctx, c.pool, jobs, func(ctx context.Context, j Job) (Result, error) {
		return countWords(ctx, c, j)
	})
	if err != nil {
		return Totals{}, err
	}
	t := Totals{Counts: make([]int64, len(vocabulary))}
	for _, r := range results {
		t.add(r)
	}
	return t, nil
}
