// Package shake is weft's shake mode: a hook that weft's primitives call at
// each of their synchronisation points, and that perturbs the schedule there
// when weft is built with the weftshake build tag, so that ordering bugs in
// the code around weft (and in weft) show up in tests far more often than
// the scheduler alone would make them.
//
// Users do not import this package: the build tag is the interface.
//
//	go test -race -tags weftshake ./...
//
// Without the tag, [Point] and [Locked] are empty functions that the
// compiler inlines away, so the hook costs nothing.
//
// # What the hook does
//
// Every call draws the next number of a seeded sequence (PCG from
// math/rand/v2, keyed by the seed and a process-wide count of points
// reached, so no lock is taken and no goroutine-local state is needed). With
// probability WEFT_SHAKE percent the point is perturbed: the goroutine
// yields (runtime.Gosched), spins for up to about a microsecond, or sleeps
// for 1 to 50 microseconds.
//
// About one perturbed point in 200 (one point in 1000 at the default
// intensity) is a change point, after the "priority
// change points" of PCT (Burckhardt et al., "A Randomized Scheduler with
// Probabilistic Guarantees of Finding Bugs", ASPLOS 2010): the goroutine
// there sleeps for 1 to 8 milliseconds, letting every other goroutine run
// ahead of it, and its site (say [SemPark], or [FutureComplete]) becomes
// the starved site for the next 512 points reached anywhere in the process:
// every goroutine reaching that site in that phase sleeps 20 to 200
// microseconds more. Goroutines have no identity a library can see, so the
// site stands for the goroutine: "the waiter about to park", "the
// goroutine completing a future" is exactly the role PCT would lower the
// priority of.
//
// [Locked] sites are reached with a weft lock held. There the hook only
// yields or spins: it never sleeps, so a goroutine waiting for that lock is
// held up by microseconds at most.
//
// # Environment
//
//   - WEFT_SHAKE_SEED: the seed, an unsigned integer. When unset, a random
//     seed is chosen and printed once per process to stderr, as
//     "weft: shake seed N (WEFT_SHAKE_SEED=N to repeat)". The seed fixes
//     the sequence of decisions; which goroutine meets which decision is
//     still up to the scheduler, so a seed makes a failure recur more
//     often, not every time.
//   - WEFT_SHAKE: the percentage of points perturbed, 0 to 100 (default
//     20). 0 turns the hook off.
//   - WEFT_SHAKE_SLEEP: false keeps the hook from sleeping anywhere (it
//     then only yields and spins), for runs where real-time sleeps of up
//     to 8ms at weft's sync points break the timing a test relies on.
//
// A malformed value panics when the program starts.
//
// # Inside testing/synctest and under -race
//
// The hook starts no goroutine and blocks on no channel. Inside a
// testing/synctest bubble (recognised by its clock, which starts at
// midnight UTC, 2000-01-01, decades before the real time the program
// started at) it never sleeps: it yields instead, a few
// times for a short sleep and up to 200 times for a starvation. A sleep
// there would cost no real time, but the bubble's clock stops once its main
// goroutine has returned, and weft's own goroutines legitimately outlive
// it for a moment (a pool worker retiring after Shutdown returned, a
// future's callbacks running after Result returned): one of them asleep
// then would fail the test with "main bubble goroutine has exited but
// blocked goroutines remain".
//
// The count of points and the starvation phase are plain words read and
// written outside the race detector's view (go:norace), not atomics: the
// race detector treats every atomic operation as synchronisation, so
// atomics touched by every goroutine at every point would add
// happens-before edges between unrelated goroutines and hide from -race
// the data races shake mode is meant to help find. A lost update only
// makes two points draw the same number.
package shake
