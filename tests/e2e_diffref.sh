#!/usr/bin/env bash
# e2e_diffref.sh: the load against an independent reference. tests/diffref.py
# reads each input by itself (CSV with quoted multi-line cells, JSON Lines,
# JSON arrays; BOM, UTF-16, CRLF) and compares, record by record, what the
# case says through the command line: every record id once, duplicates
# counted and seen at their file and line, time, source and line, raw text
# as in the input, rejected rows kept once at their line byte for byte, the
# sources' counts, stacks and pivot queries. Shapes the generator never
# makes: newest first, shuffled, overlapping files, the same file twice, ids
# that differ only in case, one value on 35,000 records and 140,000 distinct
# values (past both generations of the intern map, INTERN_GEN), a value met
# again after both were cleared, a value larger than the intern pool, 50 MB
# fields (and one of 12 MB of escapes: quadratic before json_skip_more),
# NUL bytes, terminal escapes, a truncated last line, the same broken row
# at the same line of two files (each keeps its own), appends that
# interleave in time, conflicts, kill -9 at random points then a resume.
# Then every file of the real exports (../shared/realdata) when present.
# tests/diffref_sweep.sh runs the same longer, with more kills.
. "$(dirname "$0")/e2e_lib.sh"

if ! command -v python3 > /dev/null; then
	echo "skip - e2e_diffref: python3 not found"
	exit 0
fi
ref() { python3 tests/diffref.py "$@"; }
# check NAME CASE [--resumed] FILE...: the reference's TAP lines
check() {
	local name=$1 case=$2
	shift 2
	ref check --bin "$bin" --case "$case" --name "$name" "$@" || true
}
# load CASE FILE...: a load that must succeed
load() {
	local c=$1
	shift
	"$bin" load -q "$c" "$@" > "$t/load.out" 2>&1 || nok "load $(basename "$c") ${*##*/}" "exit $?: $(tail -2 "$t/load.out")"
}

g=$t/g
SECONDS=0
ref gen "$g" --scale 300 --many 35000 --huge-mb 50 --escaped-div 4 --kill-n 30000 || nok "diffref gen"
echo "# generated in ${SECONDS} s"

# A: the odd shapes in one load; the same file again in another (and one
# twice in one load); an append that interleaves in time; conflicts
A=$t/a.case
a=("$g"/a1-newest-first.csv "$g"/a2-shuffled-overlap.jsonl "$g"/a3-case-ids.jsonl
	"$g"/a4-arrays-bom.json "$g"/a5-psh-utf16.csv "$g"/a5b-utf16be.jsonl "$g"/a6-rejects.jsonl
	"$g"/a6b-rejects.csv "$g"/a6c-same-bad-row.jsonl)
load "$A" "${a[@]}"
load "$A" "$g"/a1-newest-first.csv "$g"/a6-rejects.jsonl "$g"/a6-rejects.jsonl
load "$A" "$g"/a7-interleave.jsonl
load "$A" "$g"/a8-conflicts.jsonl
check shapes "$A" "${a[@]}" "$g"/a1-newest-first.csv "$g"/a6-rejects.jsonl "$g"/a6-rejects.jsonl \
	"$g"/a7-interleave.jsonl "$g"/a8-conflicts.jsonl
# the exports escape bidi characters; the case keeps them as they came
is "terminal escapes and bidi kept in the raw record" \
	"$("$bin" query "$A" 'raw~\x{202e}' --format jsonl | wc -l | tr -d ' ')" 20
echo "# shapes: ${SECONDS} s"

# a zero-filled run before the first record, NULs in the first 4 KB: text
# all the same (binary.c); the line that holds them is rejected, the rest
# loaded. Real binary data is refused, loudly, and named.
Z=$t/z.case
load "$Z" "$g"/a6z-binary.jsonl
check zero-filled-start "$Z" "$g"/a6z-binary.jsonl
printf '%%PDF-1.4\n%%\342\343\317\323\n1 0 obj\n' > "$t/not-an-export.csv"
"$bin" load -q "$Z" "$t/not-an-export.csv" > /dev/null 2>&1
is "binary data: load exits 1" "$?" 1
has "binary data: the source says what it is" "$("$bin" sources "$Z" --format csv)" "error: binary data (a PDF document)"

# B: cardinality and the intern map's generations
B=$t/b.case
load "$B" "$g"/b-many.jsonl
check cardinality "$B" "$g"/b-many.jsonl
is "a value met again after both intern generations: one value" \
	"$(sqlite3 "$B" "SELECT count(*) FROM vals WHERE v = 'the-same-session-first-and-last'")" 1
echo "# cardinality: ${SECONDS} s"

# C: 50 MB fields, JSON Lines and CSV
C=$t/c.case
load "$C" "$g"/c-huge.jsonl "$g"/c-huge.csv
check huge "$C" "$g"/c-huge.jsonl "$g"/c-huge.csv
rm -f "$g"/c-huge.*
echo "# huge: ${SECONDS} s"

# K: kill -9 at random points of a load (and of the resume), then loads to
# the end: every record once. Where the kill lands is not asserted (it
# may come after the load ended); what the case holds is, whenever.
K=$t/k.case
killed=0
for i in 1 2 3; do
	"$bin" load -q "$K" "$g"/k-kill.jsonl > /dev/null 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 4))$((RANDOM % 10))" # (an unkilled load: ~0.4 s on a quiet machine)
	kill -9 "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	[ $? = 137 ] && killed=$((killed + 1))
done
echo "# killed $killed of 3 loads before they ended"
load "$K" "$g"/k-kill.jsonl
check kill-resume "$K" --resumed "$g"/k-kill.jsonl
echo "# kill: ${SECONDS} s"

# the real exports, all of them, then all of them again
if [ -d "$rd" ] && ls "$rd"/*.csv > /dev/null 2>&1; then
	mapfile -t real < <(find "$rd" -maxdepth 1 -type f \( -name '*.csv' -o -name '*.json' -o -name '*.jsonl' \) | LC_ALL=C sort)
	R=$t/rd-all.case
	load "$R" "${real[@]}"
	check "realdata" "$R" "${real[@]}"
	load "$R" "${real[@]}"
	check "realdata twice" "$R" "${real[@]}" "${real[@]}"
	echo "# realdata: ${SECONDS} s"
else
	echo "skip - e2e_diffref: no real exports at $rd"
fi
