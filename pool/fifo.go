package pool

// fifo is an unbounded FIFO kept in fixed-size blocks, so it grows without
// copying and costs one element per item plus a pointer per block. One
// spare block is kept, so a queue hovering around a block boundary does not
// allocate. The zero value is empty and ready. Its methods are small enough
// to be inlined on the pool's plain submit and dequeue paths.
type fifo[E any] struct {
	head, tail, spare *block[E]
	r, w              int // read index in head, write index in tail
	n                 int // elements held
}

const blockSize = 256

type block[E any] struct {
	e    [blockSize]E
	next *block[E]
}

func (f *fifo[E]) push(e E) {
	if f.tail == nil || f.w == blockSize {
		f.grow()
	}
	f.tail.e[f.w] = e
	f.w++
	f.n++
}

func (f *fifo[E]) grow() {
	b := f.spare
	f.spare = nil
	if b == nil {
		b = new(block[E])
	}
	if f.tail == nil {
		f.head, f.r = b, 0
	} else {
		f.tail.next = b
	}
	f.tail, f.w = b, 0
}

// front returns the oldest element. The FIFO must not be empty.
func (f *fifo[E]) front() *E { return &f.head.e[f.r] }

// pop removes and returns the oldest element. The FIFO must not be empty.
func (f *fifo[E]) pop() E {
	e := f.head.e[f.r]
	var zero E
	f.head.e[f.r] = zero // let what it holds be collected
	f.r++
	f.n--
	if f.r == f.w || f.r == blockSize {
		f.advance()
	}
	return e
}

// advance follows a pop that may have emptied the FIFO or its head block.
func (f *fifo[E]) advance() {
	switch {
	case f.head == f.tail && f.r == f.w:
		f.r, f.w = 0, 0 // empty: reuse the block in place
	case f.r == blockSize:
		old := f.head
		f.head, f.r = old.next, 0
		old.next = nil
		f.spare = old
	}
}
