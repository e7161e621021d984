package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// rounds is how many times TestGetLoadsOnce runs the four tasks: enough
// for shake mode to show the bug almost every run (a round shows it about
// one time in four), few enough that the scheduler alone rarely does (under
// -race, about one round in 150; without -race, almost never).
const rounds = 20

// TestGetOnceLoadsOnce checks the fixed cache: it passes with and without
// shake mode.
func TestGetOnceLoadsOnce(t *testing.T) {
	for r := range 5 * rounds {
		n, err := round(4, (*Cache).GetOnce)
		require.NoError(t, err)
		require.EqualValues(t, 1, n, "round %d: lookups of one key", r)
	}
}

// TestGetLoadsOnce is the demonstration: it fails when it catches the
// check-then-act bug in Cache.Get. It is skipped unless WEFT_SHAKE_DEMO is
// set, so the module's suite stays green; run it as the package doc says,
// with and without -tags weftshake, to compare.
func TestGetLoadsOnce(t *testing.T) {
	if os.Getenv("WEFT_SHAKE_DEMO") == "" {
		t.Skip("a demonstration of a bug: set WEFT_SHAKE_DEMO=1 to run it")
	}
	for r := range rounds {
		n, err := round(4, (*Cache).Get)
		require.NoError(t, err)
		require.EqualValues(t, 1, n, "round %d: lookups of one key", r)
	}
}
