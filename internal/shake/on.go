//go:build weftshake

package shake

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"time"
)

// Enabled reports whether this build perturbs the schedule (built with
// -tags weftshake).
const Enabled = true

// The hook's state is set once, by init, from the environment, and then
// only read, except for two words: the count of points reached and the
// current starvation phase. It is process-wide by necessity (the primitives
// have nowhere else to find it) and holds no channel, so it ties no
// testing/synctest bubble to anything outside it.
//
// The two words are read and written with plain loads and stores in
// functions marked go:norace, not with sync/atomic: the race detector
// treats every atomic operation as synchronisation, so a counter that
// every goroutine increments at every point would add a happens-before
// edge between any two goroutines that pass through weft, and hide from
// -race the very data races in the code under test that shake mode is
// meant to expose. A lost update only means two points draw the same
// number; the words are machine words, which Go never tears.
var (
	seed     uint64
	perturb  uint64 // a point is perturbed when its 16-bit draw is below this
	changePt uint64 // ... and is a change point when it is below this
	sleepOK  = true

	points  uint64 // points reached; see above
	starved uint64 // (site+1)<<56 | last point of the phase, 0 if none; see above
)

const (
	defaultPercent = 20
	// A change point happens at about 1 point in 200 of those perturbed:
	// at the default intensity, about 1 point in 1000.
	changeDivisor = 200
	// A starvation phase lasts for this many points reached anywhere.
	phaseLen  = 512
	pointMask = 1<<56 - 1
)

func init() {
	s, p, sleep, err := parse(os.Getenv)
	if err != nil {
		panic(err)
	}
	seed, sleepOK = s.seed, sleep
	perturb = p * (1 << 16) / 100
	changePt = perturb / changeDivisor
	if p > 0 && changePt == 0 {
		changePt = 1
	}
	if p > 0 && !s.set {
		fmt.Fprintf(os.Stderr, "weft: shake seed %d (WEFT_SHAKE_SEED=%d to repeat)\n", seed, seed)
	}
}

type seedVar struct {
	seed uint64
	set  bool
}

// parse reads WEFT_SHAKE_SEED, WEFT_SHAKE and WEFT_SHAKE_SLEEP.
func parse(getenv func(string) string) (s seedVar, percent uint64, sleep bool, err error) {
	if v := getenv("WEFT_SHAKE_SEED"); v != "" {
		s.seed, err = strconv.ParseUint(v, 10, 64)
		if err != nil {
			return s, 0, false, fmt.Errorf("weft: WEFT_SHAKE_SEED=%q is not an unsigned integer", v)
		}
		s.set = true
	} else {
		s.seed = rand.Uint64()
	}
	percent = defaultPercent
	if v := getenv("WEFT_SHAKE"); v != "" {
		percent, err = strconv.ParseUint(v, 10, 64)
		if err != nil || percent > 100 {
			return s, 0, false, fmt.Errorf("weft: WEFT_SHAKE=%q is not a percentage from 0 to 100", v)
		}
	}
	sleep = true
	if v := getenv("WEFT_SHAKE_SLEEP"); v != "" {
		sleep, err = strconv.ParseBool(v)
		if err != nil {
			return s, 0, false, fmt.Errorf("weft: WEFT_SHAKE_SLEEP=%q is not a boolean", v)
		}
	}
	return s, percent, sleep, nil
}

// Point is a synchronisation point reached with no weft lock held: it may
// yield, spin or sleep (see the package documentation).
func Point(s Site) { shake(s, sleepOK) }

// Locked is a synchronisation point reached with a weft lock held: it may
// yield or spin, but never sleeps, so that nobody waits for the lock while
// time stands still (inside a testing/synctest bubble, a goroutine blocked
// on a mutex is not durably blocked, so the clock would never move).
func Locked(s Site) { shake(s, false) }

func shake(s Site, maySleep bool) {
	if perturb == 0 {
		return
	}
	n := next()
	r := draw(n)
	if st := loadStarved(); st != 0 && maySleep && Site(st>>56) == s+1 && n <= st&pointMask {
		// The starved site: every goroutine reaching it is held back for
		// the rest of the phase, as a thread of low priority would be.
		sleep(time.Duration(20+r%180) * time.Microsecond)
		return
	}
	d := r & 0xffff
	if d >= perturb {
		return
	}
	r >>= 16
	if d < changePt {
		// A change point: the goroutine here loses its turn for long, and
		// its site becomes the starved one for the next phase.
		if maySleep {
			storeStarved(uint64(s+1)<<56 | (n+phaseLen)&pointMask)
			sleep(time.Duration(1+r%8) * time.Millisecond)
		} else {
			yields(4 + int(r%12))
		}
		return
	}
	switch r & 3 {
	case 0, 1:
		runtime.Gosched()
	case 2:
		if spin(r>>2%1024) == 0 {
			runtime.Gosched() // rare; uses the result
		}
	default:
		if maySleep {
			sleep(time.Duration(1+r>>2%50) * time.Microsecond)
		} else {
			yields(2)
		}
	}
}

// draw returns the n-th number of the seeded sequence. It is a function of
// (seed, n) alone, so any goroutine can draw without a lock: the numbers
// are fixed by the seed, only which goroutine draws which one is up to the
// scheduler.
func draw(n uint64) uint64 {
	var p rand.PCG
	p.Seed(seed, n*0x9e3779b97f4a7c15)
	return p.Uint64()
}

func yields(k int) {
	for range k {
		runtime.Gosched()
	}
}

// spin busy-waits for about n multiply-adds and returns their result, so
// that the loop is kept.
func spin(n uint64) uint64 {
	x := n
	for range n {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

//go:norace
func next() uint64 {
	points++
	return points
}

//go:norace
func loadStarved() uint64 { return starved }

//go:norace
func storeStarved(v uint64) { starved = v }

// bubbleEnd is the real time when the package was initialised, always
// outside any testing/synctest bubble. A bubble's fake clock starts at
// midnight UTC, 2000-01-01, and would take its tests decades of fake time
// to reach today: a clock before bubbleEnd is a bubble's, however long its
// tests have slept.
var bubbleEnd = time.Now()

// sleep sleeps for d, or inside a synctest bubble yields instead: time
// stops in a bubble once its main goroutine has returned, and a weft
// goroutine still winding down then (a pool worker retiring after
// Shutdown returned, a future's callbacks after Result returned) would
// sleep for ever and fail the test with "main bubble goroutine has exited
// but blocked goroutines remain".
func sleep(d time.Duration) {
	if time.Now().Before(bubbleEnd) {
		yields(1 + int(min(d/(10*time.Microsecond), 200)))
		return
	}
	time.Sleep(d)
}
