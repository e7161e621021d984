//go:build weftshake

package shake

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	for name, c := range map[string]struct {
		env     map[string]string
		seed    uint64
		set     bool
		percent uint64
		sleep   bool
		err     bool
	}{
		"defaults":      {env: nil, percent: defaultPercent, sleep: true},
		"seed":          {env: map[string]string{"WEFT_SHAKE_SEED": "42"}, seed: 42, set: true, percent: defaultPercent, sleep: true},
		"off":           {env: map[string]string{"WEFT_SHAKE": "0"}, percent: 0, sleep: true},
		"all":           {env: map[string]string{"WEFT_SHAKE": "100", "WEFT_SHAKE_SLEEP": "false"}, percent: 100},
		"bad seed":      {env: map[string]string{"WEFT_SHAKE_SEED": "-1"}, err: true},
		"bad percent":   {env: map[string]string{"WEFT_SHAKE": "101"}, err: true},
		"bad intensity": {env: map[string]string{"WEFT_SHAKE": "lots"}, err: true},
		"bad sleep":     {env: map[string]string{"WEFT_SHAKE_SLEEP": "sometimes"}, err: true},
	} {
		t.Run(name, func(t *testing.T) {
			s, p, sleep, err := parse(func(k string) string { return c.env[k] })
			if c.err {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "weft: WEFT_SHAKE")
				return
			}
			require.NoError(t, err)
			if c.set {
				assert.Equal(t, c.seed, s.seed)
			}
			assert.Equal(t, c.set, s.set)
			assert.Equal(t, c.percent, p)
			assert.Equal(t, c.sleep, sleep)
		})
	}
}

// The numbers drawn are a function of the seed and the point's number
// alone: that is what makes a seed worth printing.
func TestDrawIsSeeded(t *testing.T) {
	old := seed
	defer func() { seed = old }()
	seed = 1
	a := []uint64{draw(1), draw(2), draw(3)}
	seed = 2
	b := []uint64{draw(1), draw(2), draw(3)}
	seed = 1
	assert.Equal(t, a, []uint64{draw(1), draw(2), draw(3)})
	assert.NotEqual(t, a, b)
	assert.NotEqual(t, a[0], a[1])
}

// withIntensity runs f with every point perturbed and change points
// frequent.
func withIntensity(t *testing.T, f func()) {
	oldP, oldC := perturb, changePt
	defer func() { perturb, changePt = oldP, oldC }()
	perturb, changePt = 1<<16, 1<<12
	f()
}

// Time stops in a synctest bubble once its main goroutine has returned: a
// goroutine still passing through points then must not sleep, or the bubble
// panics with "main bubble goroutine has exited but blocked goroutines
// remain" (as a pool worker retiring after Shutdown did).
func TestNoSleepAfterBubbleMainReturns(t *testing.T) {
	withIntensity(t, func() {
		synctest.Test(t, func(t *testing.T) {
			go func() {
				for s := range CondSignalLocked + 1 {
					for range 50 {
						Point(s)
					}
				}
			}()
		})
	})
}

// The same holds in a bubble whose tests have slept years of fake time: its
// clock is still a bubble's, however far it has run.
func TestNoSleepInOldBubble(t *testing.T) {
	withIntensity(t, func() {
		synctest.Test(t, func(t *testing.T) {
			time.Sleep(5 * 365 * 24 * time.Hour)
			start := time.Now()
			for s := range CondSignalLocked + 1 {
				for range 50 {
					Point(s)
				}
			}
			assert.Zero(t, time.Since(start), "the hook slept in the bubble")
		})
	})
}

// Outside a bubble the hook really sleeps, sometimes for milliseconds.
func TestStarvationSleeps(t *testing.T) {
	withIntensity(t, func() {
		for range 200 {
			Point(SemPark)
		}
		st := loadStarved()
		require.NotZero(t, st, "a change point starved a site")
		assert.Equal(t, SemPark, Site(st>>56)-1)
	})
}
