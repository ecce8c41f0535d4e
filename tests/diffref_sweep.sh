#!/usr/bin/env bash
# diffref_sweep.sh: tests/e2e_diffref.sh's differential check, longer: the
# shapes at a larger scale (100,000 records of one value and 300,000
# distinct values, 100 MB fields, 200,000 records killed and resumed) and
# kill -9 at random points of every load, many times, each followed by
# the loads again to the end and the reference's check. Not part of
# `make test` (minutes, not seconds); the bench or a person runs it:
#
#   tests/diffref_sweep.sh [KILLS]      (BUILD=build by default; KILLS 20)
#
# (wave 22, a quiet machine, KILLS 4: 3.4 min, 2.9 min user, 9 of 12 loads
# killed before they ended; 354 ok)
#
# Prints the reference's TAP lines and a last line "N ok, N not ok";
# exits 1 when any check failed. KEEP=1 keeps the cases and inputs.
# its inputs and cases (about 1 GB) go under the build tree, not /tmp
TMPDIR=${TMPDIR:-$(cd "$(dirname "$0")/.." && pwd)/${BUILD:-build}}
export TMPDIR
. "$(dirname "$0")/e2e_lib.sh"

kills=${1:-20}
ref() { python3 tests/diffref.py "$@"; }
check() { ref check --bin "$bin" "$@" || true; }
g=$t/g
ref gen "$g" --scale 3000 --many 100000 --huge-mb 100 --kill-n 200000 --seed "${SEED:-$RANDOM}"

# kill_at CASE FILE...: a load killed at a random point in its first
# second (200,000 records load in ~1.3 s on a quiet machine)
kill_at() {
	local c=$1
	shift
	"$bin" load -q "$c" "$@" > /dev/null 2>&1 &
	local pid=$!
	sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
	kill -9 "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	[ $? = 137 ] && echo "# killed: $(basename "$c") ${*##*/}"
}

{
	a=("$g"/a1-newest-first.csv "$g"/a2-shuffled-overlap.jsonl "$g"/a3-case-ids.jsonl
		"$g"/a4-arrays-bom.json "$g"/a5-psh-utf16.csv "$g"/a5b-utf16be.jsonl "$g"/a6-rejects.jsonl
		"$g"/a6b-rejects.csv "$g"/a6c-same-bad-row.jsonl)
	# the whole shapes run, each load killed somewhere and then run to its end
	for i in $(seq 1 $((kills / 4 + 1))); do
		A=$t/a$i.case
		for l in "${a[*]}" "$g/a1-newest-first.csv $g/a6-rejects.jsonl" "$g/a7-interleave.jsonl" "$g/b-many.jsonl"; do
			# shellcheck disable=SC2086
			kill_at "$A" $l
			# shellcheck disable=SC2086
			"$bin" load -q "$A" $l > /dev/null 2>&1
		done
		check --case "$A" --name "shapes killed $i" --resumed "${a[@]}" "$g"/a1-newest-first.csv \
			"$g"/a6-rejects.jsonl "$g"/a7-interleave.jsonl "$g"/b-many.jsonl
		rm -f "$A"*
	done
	# a large load killed, its resume killed, then let finish: a fresh
	# case each round (a case whose load was once complete resumes in
	# less time than the kill's delay)
	for i in $(seq 1 $((kills / 2))); do
		K=$t/k$i.case
		kill_at "$K" "$g"/k-kill.jsonl
		kill_at "$K" "$g"/k-kill.jsonl
		"$bin" load -q "$K" "$g"/k-kill.jsonl > /dev/null 2>&1
		check --case "$K" --name "kill-resume $i" --resumed "$g"/k-kill.jsonl
		rm -f "$K"*
	done
	# the huge fields, unkilled
	C=$t/c.case
	"$bin" load -q "$C" "$g"/c-huge.jsonl "$g"/c-huge.csv > /dev/null 2>&1
	check --case "$C" --name huge "$g"/c-huge.jsonl "$g"/c-huge.csv
	# the real exports, each alone
	for f in "$rd"/*.csv "$rd"/*.json "$rd"/*.jsonl; do
		[ -f "$f" ] || continue
		"$bin" load -q "$t/rd.case" "$f" > /dev/null 2>&1
		check --case "$t/rd.case" --name "realdata $(basename "$f")" "$f"
		rm -f "$t/rd.case"*
	done
} | tee "$t/out"
echo "$(grep -c '^ok' "$t/out") ok, $(grep -c '^not ok' "$t/out") not ok"
! grep -q '^not ok' "$t/out"
