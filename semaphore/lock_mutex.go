//go:build weft_semaphore_mutex

package semaphore

import "sync"

// spinLock is a plain sync.Mutex when built with -tags
// weft_semaphore_mutex: the baseline the spin lock of lock.go is measured
// against on the package's benchmarks. Compare with
//
//	go test -run '^$' -bench 'Contended|Convoy' -count 6 ./semaphore/ >spin.txt
//	go test -tags weft_semaphore_mutex -run '^$' -bench 'Contended|Convoy' -count 6 ./semaphore/ >mutex.txt
//	benchstat spin.txt mutex.txt
type spinLock struct {
	m sync.Mutex
}

func (l *spinLock) lock()   { l.m.Lock() }
func (l *spinLock) unlock() { l.m.Unlock() }
