#!/usr/bin/env bash
# Runs the peer benchmarks and prints one benchstat table per benchmark,
# with one column per implementation (the impl= part of the name). Usage:
#
#   ./run.sh [bench-regexp] [count]      e.g. ./run.sh Pool 10, ./run.sh 'PondSuite|PoolHTTP'
#
# bench-regexp selects top-level benchmarks by name (default: all); count
# defaults to 10. Every benchmark runs for BENCHTIME (default 1s) per
# count, except BenchmarkPondSuite, whose ops are whole scenarios and which
# runs SUITE_BENCHTIME (default 3x) ops per count. The full run takes about
# half an hour on a 2-core machine; keep it otherwise idle. A quick check
# that everything runs: BENCHTIME=10ms SUITE_BENCHTIME=1x ./run.sh . 1
#
# The raw results go to results/<timestamp>.txt; re-print the tables with
#   benchstat -col /impl -filter .name:PondSuite results/<timestamp>.txt
#
# BASE=<git revision> also builds the same benchmarks against the library as
# it was at that revision, runs them just before the current ones, and
# prints weft at BASE against weft now (raw results: results/<timestamp>-base.txt):
#   BASE=74274b0 ./run.sh '^Pipeline$' 10
set -euo pipefail
cd "$(dirname "$0")"
pattern=${1:-.}
count=${2:-10}
mkdir -p results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=results/$stamp.txt
bin=results/$stamp.test

go install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
benchstat=$(go env GOPATH)/bin/benchstat

# One binary for every benchmark, so all of them measure the same build.
go test -c -o "$bin" .
trap 'rm -f "$bin"' EXIT

if [[ -n ${BASE:-} ]]; then
	# A snapshot of the repository at BASE with today's benchmarks module
	# in it: the replace directive then points at the old library.
	baseout=results/$stamp-base.txt
	basebin=$PWD/results/$stamp-base.test
	snap=$(mktemp -d)
	trap 'rm -rf "$bin" "$basebin" "$snap"' EXIT
	git -C "$(git rev-parse --show-toplevel)" archive "$BASE" | tar -x -C "$snap"
	rm -rf "$snap/benchmarks"
	mkdir "$snap/benchmarks"
	cp go.mod go.sum ./*.go "$snap/benchmarks/"
	(cd "$snap/benchmarks" && go test -c -o "$basebin" .)
fi

names=()
while read -r name; do
	if [[ $name == Benchmark* && ${name#Benchmark} =~ $pattern ]]; then
		names+=("$name")
	fi
done < <("$bin" -test.list '^Benchmark')
if ((${#names[@]} == 0)); then
	echo "run.sh: no benchmark matches $pattern" >&2
	exit 1
fi

# Each benchmark runs count rounds, and each round runs every
# implementation once, in turn: -test.count would run one implementation
# count times before the next, so that a drift of the machine's speed over
# a few minutes (a few per cent here) would read as a difference between
# implementations. With BASE, the two builds alternate too.
for name in "${names[@]}"; do
	case $name in
	BenchmarkPondSuite) benchtime=${SUITE_BENCHTIME:-3x} ;;
	*) benchtime=${BENCHTIME:-1s} ;;
	esac
	args=(-test.run '^$' -test.bench "^$name\$" -test.benchtime "$benchtime"
		-test.count 1 -test.timeout 120m)
	for ((round = 1; round <= count; round++)); do
		if [[ -n ${BASE:-} ]]; then
			"$basebin" "${args[@]}" | tee -a "$baseout"
		fi
		"$bin" "${args[@]}" | tee -a "$out"
	done
done

echo
echo "Results: $out"
for name in "${names[@]}"; do
	echo
	echo "### ${name#Benchmark}"
	"$benchstat" -col /impl -filter ".name:${name#Benchmark}" "$out"
	if [[ -n ${BASE:-} ]]; then
		echo
		echo "### ${name#Benchmark}: weft at $BASE vs now"
		# /^weft/: the futures' rows are weft-pool, weft-executor and weft-go.
		"$benchstat" -filter ".name:${name#Benchmark} /impl:/^weft/" "$BASE=$baseout" "now=$out"
	fi
done
