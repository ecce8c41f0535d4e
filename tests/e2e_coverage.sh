#!/usr/bin/env bash
# End-to-end: `auditscope coverage` on the real exports (skipped when
# ../shared/realdata is absent) and on a generated bundle (the throttled
# mailbox from its manifest). Prints "ok - ..." / "not ok - ..." lines.
. "$(dirname "$0")/e2e_lib.sh"

if [ -d "$rd" ]; then
	c=$t/real.case
	"$bin" load -q "$c" "$rd/search-unifiedauditlog-export.csv" "$rd/entra-interactive-signins.csv" >/dev/null 2>&1
	"$bin" coverage "$c" --format jsonl > "$t/cov.jsonl"
	row=$(jq -c 'select(.section == "source" and (.source | endswith("search-unifiedauditlog-export.csv")))' "$t/cov.jsonl")
	is "coverage: the SUAL page has its 500 rows" "$(jq -r .events <<<"$row")" 500
	is "coverage: the SUAL page is flagged short of its ResultCount" \
		"$(jq -r '.detail | test("short of its own ResultCount.*results 501-1121 are missing")' <<<"$row")" true
	is "coverage: the SUAL page's range is its own" "$(jq -r '.from + " " + .to' <<<"$row")" \
		"$(sqlite3 "$c" "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', min(ts)/1000.0, 'unixepoch') || ' ' ||
		  strftime('%Y-%m-%dT%H:%M:%fZ', max(ts)/1000.0, 'unixepoch') FROM events WHERE source =
		  (SELECT id FROM sources WHERE path LIKE '%search-unifiedauditlog-export.csv')")"
	is "coverage: the sign-in export is signin, 214 rows" \
		"$(jq -r 'select(.section == "source" and (.source | endswith("entra-interactive-signins.csv"))) | .kind + " " + (.events|tostring)' "$t/cov.jsonl")" \
		"signin 214"
	is "coverage: a row per day of each kind" \
		"$(jq -r 'select(.section == "day" and .kind == "ual") | .events' "$t/cov.jsonl" | awk '{s+=$1} END {print s}')" 500
	out=$("$bin" coverage "$c")
	if grep -q "^Sources" <<<"$out" && grep -q "short of its own ResultCount" <<<"$out"; then
		ok "coverage table: sources and the cut"
	else
		nok "coverage table: sources and the cut"
	fi
	is "coverage: the sign-ins do not cover the UAL's window, and it says so" \
		"$(jq -r 'select(.section == "note") | .detail' "$t/cov.jsonl" | grep -c '^the sign-ins cover')" 1
else
	echo "skip - ../shared/realdata is absent"
fi

# a generated bundle: the planted throttled mailbox
"$gen" --bundle "$t/b" --seed 11 > /dev/null || { nok "auditgen"; exit 0; }
"$bin" load -q "$t/g.case" "$t/b" > /dev/null 2>&1
"$bin" coverage "$t/g.case" --format csv > "$t/g.csv"
want=$(jq -r '.planted.throttled.mailbox' "$t/b/manifest.json")
is "coverage csv: the throttled mailbox of the manifest" \
	"$(grep '^throttled,' "$t/g.csv" | cut -d, -f3 | sort -u | grep -x "$want")" "$want"
is "coverage: the three kinds the bundle holds" \
	"$("$bin" coverage "$t/g.case" --format jsonl | jq -r 'select(.section == "kind") | .kind' | paste -sd' ')" \
	"ual signin directory_audit"
