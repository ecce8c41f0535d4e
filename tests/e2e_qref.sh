#!/usr/bin/env bash
# e2e_qref.sh: the query side against an independent reference. The
# filter language's meaning (README "Filters", core/filter.h) is evaluated
# by tests/qref.py over each case's events, and compared with what the
# fast paths answer for the same filter: pages by keyset forward and back
# in pages of 1 to 4096 with their end flags, exact counts, ranks, goto a
# time and a page at a position (build/tests/test_qref --serve, one store
# for all filters, its caches in play), `query --limit` first pages and
# `--desc` newest first, the count the table prints, `histogram` (events
# per 5m, 1h or 1d bucket), stack_counts (the store's lists), and stacks
# (--common, --rare --limit) of every stackable field: events, mailboxes,
# first and last of each value. Filters: each field's commonest and
# rarest value, its one-event values (pivot_ones' packed lists), the
# same in upper case, absent (""), present (!=""), lists, not, or,
# parentheses, regexes, free text, CIDR blocks, time spans (day, minute,
# second, -Nh), user= app= ip= op= session= intersections, and random
# combinations of them. Cases: adversarial inputs (tests/qref.py gen:
# values that differ only in case, non-ASCII and combining characters,
# empty and missing fields, times with offsets, 40 events a second, three
# overlapping sources in two formats), one value on 50,000 records beside
# 5,000 one-event values, the generated demo bundle (every kind of log,
# the planted intrusion) and the real exports (../shared/realdata) when
# present. tests/qref_sweep.sh runs the same with more filters and seeds.
# With QREF_CH=clickhouse://HOST:PORT/PREFIX (tests/e2e_qref_clickhouse.sh)
# the cases are ClickHouse databases PREFIX_NAME instead, each with its
# side file in the run's folder, with half the random filters and walks
# of 20 pages at most each way (a page is a round trip to the server).
. "$(dirname "$0")/e2e_lib.sh"

if ! command -v python3 > /dev/null; then
	echo "skip - e2e_qref: python3 not found"
	exit 0
fi
drv=$B/tests/test_qref
if [ ! -x "$drv" ]; then
	nok "e2e_qref: $drv not built"
	exit 0
fi
seed=${QREF_SEED:-$((RANDOM % 1000))}
echo "# seed $seed (QREF_SEED=$seed to repeat)"
# store NAME: the case NAME is loaded into (a file, or a database)
store() {
	if [ -n "${QREF_CH:-}" ]; then echo "${QREF_CH}_$1?case=$t/$1.case"; else echo "$t/$1.case"; fi
}
# check NAME CASE [qref.py check options]: the reference's TAP lines
# (on ClickHouse half the random filters: a filter's walks and counts are
# round trips to the server, ~1 s a filter on two busy cores)
check() {
	local name=$1 case=$2 a=()
	shift 2
	while [ $# -gt 0 ]; do
		if [ "$1" = --filters ] && [ -n "${QREF_CH:-}" ]; then
			a+=(--filters $((($2 + 1) / 2)))
			shift 2
		else
			a+=("$1")
			shift
		fi
	done
	python3 tests/qref.py check --bin "$bin" --drv "$drv" --case "$case" --name "$name" --seed "$seed" \
		${QREF_CH:+--max-pages 20} "${a[@]}" || true
}
load() {
	local c=$1
	shift
	"$bin" load -q "$c" "$@" > "$t/load.out" 2>&1 || nok "load $(basename "$c")" "exit $?: $(tail -2 "$t/load.out")"
}
SECONDS=0
g=$t/g
python3 tests/qref.py gen "$g" --n 3000 --big 50000 --seed "$seed" || nok "qref gen"

A=$(store adv)
load "$A" "$g"/adv-1.jsonl "$g"/adv-2.csv "$g"/adv-3.jsonl
check adversarial "$A" --inputs "$g"/adv-1.jsonl "$g"/adv-2.csv "$g"/adv-3.jsonl --filters 140 --cli 8 --stacks 2
echo "# adversarial: ${SECONDS} s"

L=$(store big)
load "$L" "$g"/big.jsonl
check "one value on 50,000" "$L" --hand 3 --filters 6 --cli 2 --stacks 1
rm -f "$g"/big.jsonl
echo "# one value on 50,000: ${SECONDS} s"

D=$(store demo)
"$gen" --bundle "$t/bundle" --seed "$seed" > /dev/null 2>&1 || nok "auditgen --bundle"
rm -f "$t/bundle/manifest.json"
load "$D" "$t/bundle"
check "demo bundle" "$D" --filters 80 --cli 5 --stacks 1
echo "# demo bundle: ${SECONDS} s"

if [ -d "$rd" ] && ls "$rd"/*.csv > /dev/null 2>&1; then
	mapfile -t real < <(find "$rd" -maxdepth 1 -type f \( -name '*.csv' -o -name '*.json' -o -name '*.jsonl' \) | LC_ALL=C sort)
	R=$(store rd)
	load "$R" "${real[@]}"
	check realdata "$R" --filters 110 --cli 6 --stacks 2
	echo "# realdata: ${SECONDS} s"
else
	echo "skip - e2e_qref: no real exports at $rd"
fi
