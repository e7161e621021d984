#!/usr/bin/env bash
# Runs the peer benchmarks and prints benchstat tables. Usage:
#   ./run.sh [bench-regexp] [count]      e.g. ./run.sh Pool 10
# Results go to results/<timestamp>.txt. Takes several minutes per package
# at -count=10; keep the machine otherwise idle.
set -euo pipefail
cd "$(dirname "$0")"
pattern=${1:-.}
count=${2:-10}
mkdir -p results
out=results/$(date -u +%Y%m%dT%H%M%SZ).txt
go install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
go test -run '^$' -bench "$pattern" -count "$count" -timeout 60m . | tee "$out"
bin=$(go env GOPATH)/bin
# One column per implementation where benchmarks name it (impl=...).
"$bin/benchstat" -col /impl "$out" 2>/dev/null || true
"$bin/benchstat" "$out"
