#!/usr/bin/env bash
# qref_sweep.sh: tests/e2e_qref.sh's differential check of the query side,
# longer: SEEDS seeds (5 by default), each with its own adversarial inputs
# (more records, one value on 200,000), more filters on every case and
# stacks under more of them. Not part of `make test` (minutes); the bench
# or a person runs it:
#
#   tests/qref_sweep.sh [SEEDS]      (BUILD=build by default)
#
# Prints the reference's TAP lines and a last line "N ok, N not ok"; exits
# 1 when any check failed. Cases and inputs go under the build tree.
TMPDIR=${TMPDIR:-$(cd "$(dirname "$0")/.." && pwd)/${BUILD:-build}}
export TMPDIR
. "$(dirname "$0")/e2e_lib.sh"

seeds=${1:-5}
drv=$B/tests/test_qref
check() {
	local name=$1 case=$2
	shift 2
	python3 tests/qref.py check --bin "$bin" --drv "$drv" --case "$case" --name "$name" "$@" || true
}
{
	for ((i = 0; i < seeds; i++)); do
		s=$((RANDOM % 100000))
		echo "# seed $s"
		g=$t/g$s
		python3 tests/qref.py gen "$g" --n 20000 --big 200000 --seed "$s" || nok "qref gen $s"
		"$bin" load -q "$t/a$s.case" "$g"/adv-1.jsonl "$g"/adv-2.csv "$g"/adv-3.jsonl > /dev/null 2>&1 || nok "load adversarial $s"
		check "adversarial $s" "$t/a$s.case" --inputs "$g"/adv-1.jsonl "$g"/adv-2.csv "$g"/adv-3.jsonl --seed "$s" --filters 1000 --cli 60 --stacks 8
		"$bin" load -q "$t/b$s.case" "$g"/big.jsonl > /dev/null 2>&1 || nok "load big $s"
		check "one value on 200,000 ($s)" "$t/b$s.case" --seed "$s" --filters 60 --cli 10 --stacks 2
		"$gen" --bundle "$t/bundle$s" --seed "$s" --events 20000 > /dev/null 2>&1 && rm -f "$t/bundle$s/manifest.json"
		"$bin" load -q "$t/d$s.case" "$t/bundle$s" > /dev/null 2>&1 || nok "load bundle $s"
		check "demo bundle ($s)" "$t/d$s.case" --seed "$s" --filters 600 --cli 40 --stacks 6
		if [ -d "$rd" ] && ls "$rd"/*.csv > /dev/null 2>&1; then
			mapfile -t real < <(find "$rd" -maxdepth 1 -type f \( -name '*.csv' -o -name '*.json' -o -name '*.jsonl' \) | LC_ALL=C sort)
			[ -f "$t/rd.case" ] || "$bin" load -q "$t/rd.case" "${real[@]}" > /dev/null 2>&1
			check "realdata ($s)" "$t/rd.case" --seed "$s" --filters 800 --cli 40 --stacks 6
		fi
		rm -rf "$g" "$t/bundle$s" "$t/a$s.case"* "$t/b$s.case"* "$t/d$s.case"*
	done
} | tee "$t/out"
echo "$(grep -c '^ok' "$t/out") ok, $(grep -c '^not ok' "$t/out") not ok"
! grep -q '^not ok' "$t/out"
