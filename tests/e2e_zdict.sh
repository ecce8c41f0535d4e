#!/usr/bin/env bash
# End-to-end: raw blocks compressed with the load's dictionary (schema
# 10). A load of the generator's high-cardinality JSON Lines trains one
# (zdicts) and every command reads through it; with the dictionary row
# damaged or gone, each command that needs a raw record or a message list
# fails with one line on stderr naming the case and the block (what
# streams stops there). Prints "ok - ..." / "not ok - ..." lines.
. "$(dirname "$0")/e2e_lib.sh"
command -v sqlite3 > /dev/null || { nok "the sqlite3 shell is needed (sqlite3 in DEB_PKGS)"; exit 1; }

"$gen" --format jsonl --events 8000 --cardinality high --seed 7 -o "$t/a.jsonl" > /dev/null 2>&1 || nok "auditgen"
c=$t/c.case
"$bin" load -q "$c" "$t/a.jsonl" > /dev/null 2>&1 || nok "load"
is "one dictionary for the load" "$(sqlite3 "$c" "SELECT group_concat(id) FROM zdicts")" 1
is "schema 17 (10 and on: dictionaries)" "$(sqlite3 "$c" "PRAGMA user_version")" 17
n=$(wc -l < "$t/a.jsonl")
is "every record through it: free text over the raw records" \
	"$("$bin" query "$c" '"CreationTime"' --format csv 2> /dev/null | tail -n +2 | wc -l)" "$n"
is "every raw record in an export" \
	"$("$bin" export "$c" --format jsonl 2> /dev/null | grep -c '"raw":{"')" "$n"
good_msgs=$("$bin" messages "$c" 2> /dev/null | wc -l)
if [ "$good_msgs" -gt 1 ]; then ok "messages read"; else nok "messages read" "$good_msgs lines"; fi

# one line on stderr, naming the case and a raw block
one_error() { # one_error NAME WHAT ARGS...
	local name=$1 what=$2
	shift 2
	"$bin" "$@" > "$t/out" 2> "$t/err"
	local rc=$?
	local lines
	lines=$(wc -l < "$t/err")
	if [ "$rc" -ne 0 ] && [ "$lines" -eq 1 ] && grep -q "^auditscope: $c: raw block [0-9]*: its dictionary 1 is $what\$" "$t/err"; then
		ok "$name"
	else
		nok "$name" "exit $rc, $lines lines: $(head -c 300 "$t/err")"
	fi
}
for what in damaged missing; do
	if [ "$what" = damaged ]; then
		sqlite3 "$c" "UPDATE zdicts SET data = substr(data, 1, length(data) / 2) || zeroblob(8) || substr(data, length(data) / 2 + 9)"
	else
		sqlite3 "$c" "DELETE FROM zdicts"
	fi
	one_error "$what dictionary: query over the raw records" "$what" query "$c" '"CreationTime"'
	one_error "$what dictionary: query --raw" "$what" query "$c" --format jsonl --raw
	one_error "$what dictionary: export" "$what" export "$c" --format jsonl
	one_error "$what dictionary: messages" "$what" messages "$c"
	one_error "$what dictionary: stack of a json field" "$what" stack "$c" json.Workload
done
