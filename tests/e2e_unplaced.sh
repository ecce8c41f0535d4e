#!/usr/bin/env bash
# End-to-end: IP addresses a load left without places. A load stopped
# after its events were committed but before it looked up their places
# (Ctrl-C or kill -9 at that point) leaves them "unknown", which looks
# like an answer; `info` says how many were never looked up and what
# places them (the next load). Made here by taking rows out of ipgeo, as
# such a stop leaves them: the events' addresses with no row.
. "$(dirname "$0")/e2e_lib.sh"
"$gen" --format jsonl --events 3000 -o "$t/a.jsonl" > /dev/null 2>&1 || nok "auditgen"
c=$t/c.case
"$bin" load -q "$c" "$t/a.jsonl" > /dev/null 2>&1
if ! "$bin" info "$c" | grep -q '^ip places country:'; then
	echo "skip - e2e_unplaced: no IP databases here (every address 'not looked up')"
	exit 0
fi
total=$(sqlite3 "$c" "SELECT count(*) FROM ipgeo")
[ "$total" -gt 5 ] || nok "the generated events have addresses" "$total"
is "a complete load: info says nothing of unplaced addresses" "$("$bin" info "$c" | grep -c 'have no place yet')" 0
sqlite3 "$c" "DELETE FROM ipgeo WHERE val IN (SELECT val FROM ipgeo ORDER BY val LIMIT 5)"
is "after a stop before the places: info counts the addresses never looked up, and says what places them" \
	"$("$bin" info "$c" | grep 'have no place yet')" \
	"5 IP addresses have no place yet (a load stopped before looking them up): the next load into this case places them, or 'auditscope load $c --geoip DIR' now"
printf '%s\n' '{"CreationTime":"2023-06-16T10:00:00","Id":"unplaced-1","Operation":"Send","UserId":"a@x.com","ClientIP":"198.51.100.77"}' > "$t/b.jsonl"
"$bin" load -q "$c" "$t/b.jsonl" > /dev/null 2>&1
is "the next load places them (and its own)" "$(sqlite3 "$c" "SELECT count(*) FROM ipgeo")" "$((total + 1))"
is "then info says nothing of unplaced addresses" "$("$bin" info "$c" | grep -c 'have no place yet')" 0
