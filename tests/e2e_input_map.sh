#!/usr/bin/env bash
# End-to-end: a big regular file is mapped and read in place (core/
# input_ahead.c); AUDITSCOPE_INPUT_MAP=0 reads it into the reader's slots
# with read(2). Both must give the same case: the same events, the same
# raw records, the same source SHA-256 (what sha256sum prints), on CSV
# and JSON Lines, with and without a final newline, at a size a page's
# end falls on; and the small files that are never mapped (empty, one
# byte) the same too.
. "$(dirname "$0")/e2e_lib.sh"

"$gen" --format purview-csv --cardinality high --events 6000 --seed 21 -o "$t/a.csv" 2>/dev/null
"$gen" --format jsonl --cardinality high --events 9000 --seed 22 -o "$t/a.jsonl" 2>/dev/null
head -c -1 "$t/a.csv" > "$t/nonl.csv"       # no final newline
head -c $((8 << 20)) "$t/a.jsonl" > "$t/page.jsonl" # a page's end, the last line cut
printf '' > "$t/empty.csv"
printf 'x' > "$t/one.csv"

# what a case says of its sources and events, raw records included
state() { # state CASE
	sqlite3 "$1" 'select path, sha256, bytes, records, events, rejects, status from sources order by id'
	sqlite3 "$1" 'select line, reason, raw from rejects order by line'
	"$bin" export "$1" --format jsonl 2>&1
}

for f in a.csv a.jsonl nonl.csv page.jsonl empty.csv one.csv; do
	"$bin" load -q "$t/$f.map.case" "$t/$f" > "$t/$f.map.out" 2>&1
	AUDITSCOPE_INPUT_MAP=0 "$bin" load -q "$t/$f.read.case" "$t/$f" > "$t/$f.read.out" 2>&1
	state "$t/$f.map.case" > "$t/$f.map.state"
	state "$t/$f.read.case" > "$t/$f.read.state"
	if cmp -s "$t/$f.map.state" "$t/$f.read.state"; then ok "$f: mapped and read give the same case"; else
		nok "$f: mapped and read give the same case" "$(diff "$t/$f.map.state" "$t/$f.read.state" | head -c 300)"
	fi
	is "$f: the source's SHA-256 is sha256sum's" "$(sqlite3 "$t/$f.map.case" 'select sha256 from sources')" \
		"$(sha256sum < "$t/$f" | cut -c1-64)"
done
is "the big files hold their events" \
	"$(for f in a.csv a.jsonl nonl.csv; do sqlite3 "$t/$f.map.case" 'select events from sources'; done | tr '\n' ' ')" \
	"6000 9000 6000 "
is "the last line cut at a page's end is a reject" "$(sqlite3 "$t/page.jsonl.map.case" 'select count(*) from rejects')" 1
