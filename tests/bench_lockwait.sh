#!/usr/bin/env bash
# How long an analyst waits behind a running load, and where the time
# goes (tests/bench_lockwait.c): generates a high-cardinality Purview CSV
# of LOCKWAIT_EVENTS events (default 1,000,000) in a temporary folder,
# loads it into a fresh case while a bookmark is toggled, the saved state
# written and pages read beside it (each also for a few seconds with no
# load: the baseline), prints the figures, and removes everything.
#
#   make -j2 build/auditscope build/auditgen build/bench_lockwait && tests/bench_lockwait.sh
#
#   LOCKWAIT_EVENTS (1000000)   events in the input
#   LOCKWAIT_LATE (1)           1: the analyst opens the case once the
#                               load runs; 0: before it starts
#   LOCKWAIT_BASE_S (3)         seconds of baseline
# Prints figures; asserts nothing.
set -eu
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
EVENTS=${LOCKWAIT_EVENTS:-1000000}
export LOCKWAIT_LATE=${LOCKWAIT_LATE:-1}
dir=$(mktemp -d "${TMPDIR:-/tmp}/lockwait.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$BUILD/auditgen" --format purview-csv --cardinality high --events "$EVENTS" --seed 558 -o "$dir/in.csv"
echo "lockwait: $EVENTS events, $(nproc) cores"
"$BUILD/bench_lockwait" "$BUILD/auditscope" "$dir/w.case" "$dir/in.csv"
