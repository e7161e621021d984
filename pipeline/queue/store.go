package queue

// store holds a Queue's items without boxing them: a power-of-two ring
// buffer for FIFO and LIFO order, a binary heap for priority order. It is
// not safe for concurrent use; Queue guards it with its mutex.
type store[T any] struct {
	buf  []T
	head int // FIFO/LIFO: index of the oldest item
	n    int
	lifo bool
	less func(a, b T) bool // non-nil: priority heap in buf[:n]
	out  int               // heap items popHeap moved to buf[n:n+out], not yet collected
}

func (s *store[T]) len() int { return s.n }

func (s *store[T]) push(v T) {
	if s.n == len(s.buf) {
		s.grow()
	}
	if s.less != nil {
		// v is in the heap before less is first called, so a less that
		// panics can upset the order but not lose v.
		s.buf[s.n] = v
		s.n++
		s.up(s.n - 1)
		return
	}
	s.buf[(s.head+s.n)&(len(s.buf)-1)] = v
	s.n++
}

func (s *store[T]) pop() T {
	var zero T
	switch {
	case s.less != nil:
		s.popHeap()
		v := s.buf[s.n]
		s.buf[s.n] = zero
		s.out = 0
		return v
	case s.lifo:
		s.n--
		i := (s.head + s.n) & (len(s.buf) - 1)
		v := s.buf[i]
		s.buf[i] = zero
		return v
	default:
		v := s.buf[s.head]
		s.buf[s.head] = zero
		s.head = (s.head + 1) & (len(s.buf) - 1)
		s.n--
		return v
	}
}

// popHeap moves the least item out of the heap to buf[n], just past the
// shrunk heap, before it restores the heap order, which calls less. Until
// takeOut collects it, the item stays in the buffer and counted in out, so
// that if less panics putBack can return it and a Get takes nothing. Items
// moved out by successive calls lie in buf[n:n+out], least last.
func (s *store[T]) popHeap() {
	s.n--
	s.out++
	s.buf[0], s.buf[s.n] = s.buf[s.n], s.buf[0]
	if s.n > 0 {
		s.down(0)
	}
}

// takeOut collects the items popHeap moved out into dst, least first;
// len(dst) must be out.
func (s *store[T]) takeOut(dst []T) {
	for i := range dst {
		dst[i] = s.buf[s.n+s.out-1-i]
	}
	clear(s.buf[s.n : s.n+s.out])
	s.out = 0
}

// putBack returns to the heap the items popHeap moved out, after less
// panicked, and reports how many. They go back where they lie, at the end of
// the heap, so the heap order may no longer hold, but no item is lost.
func (s *store[T]) putBack() int {
	k := s.out
	s.n += k
	s.out = 0
	return k
}

// clear drops every item and returns how many there were.
func (s *store[T]) clear() int {
	n := s.n
	clear(s.buf)
	s.head, s.n = 0, 0
	return n
}

func (s *store[T]) grow() {
	size := 2 * len(s.buf)
	if size == 0 {
		size = 16
	}
	buf := make([]T, size)
	if s.less != nil {
		copy(buf, s.buf[:s.n])
	} else {
		// Unwrap the ring so the oldest item lands at index 0.
		k := copy(buf, s.buf[s.head:])
		copy(buf[k:], s.buf[:s.head])
		s.head = 0
	}
	s.buf = buf
}

func (s *store[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(s.buf[i], s.buf[p]) {
			return
		}
		s.buf[i], s.buf[p] = s.buf[p], s.buf[i]
		i = p
	}
}

func (s *store[T]) down(i int) {
	for {
		l := 2*i + 1
		if l >= s.n {
			return
		}
		m := l
		if r := l + 1; r < s.n && s.less(s.buf[r], s.buf[l]) {
			m = r
		}
		if !s.less(s.buf[m], s.buf[i]) {
			return
		}
		s.buf[i], s.buf[m] = s.buf[m], s.buf[i]
		i = m
	}
}
