package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestComputeRunsAndResultsMatch(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.png")
	var buf bytes.Buffer
	err := run(context.Background(), []string{"-samples", "200000", "-size", "64", "-workers", "3", "-out", out}, &buf)
	require.NoError(t, err, buf.String())
	text := buf.String()
	t.Log("\n" + text)
	assert.Contains(t, text, "sequential")
	assert.Equal(t, 3, strings.Count(text, "true"), "one matching row per worker count")
	assert.NotContains(t, text, "false")
	assert.Contains(t, text, "π ≈ 3.1")

	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, 64, img.Bounds().Dx())
	assert.Equal(t, 48, img.Bounds().Dy())
}

func TestComputeRejectsBadFlags(t *testing.T) {
	var buf bytes.Buffer
	assert.Error(t, run(context.Background(), []string{"-samples", "0"}, &buf))
	assert.Error(t, run(context.Background(), []string{"-nope"}, &buf))
}

func TestPiParallelEqualsSequential(t *testing.T) {
	for _, workers := range []int{1, 2, 5} {
		got, err := piParallel(context.Background(), workers, 10_001, 7)
		require.NoError(t, err)
		assert.Equal(t, piSequential(10_001, 7), got)
	}
}
