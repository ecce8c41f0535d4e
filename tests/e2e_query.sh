#!/usr/bin/env bash
# End-to-end: query, stack, messages and histogram, the real binary on the
# real exports in ../shared/realdata (skipped when absent) and on the
# generated bundle with its planted intrusion (expected values from its
# manifest). Expected values are computed independently with the sqlite3
# shell where they are not facts of the files. Prints "ok - ..." /
# "not ok - ..." / "skip - ..." lines (tests/run.sh counts them).
. "$(dirname "$0")/e2e_lib.sh"
sql() { sqlite3 "$1" "$2"; }
# the number of JSON Lines in file $1 if every line is valid JSON, else "invalid"
jsonl_count() {
	sqlite3 :memory: "SELECT CASE WHEN json_valid(j) THEN json_array_length(j) ELSE 'invalid' END
	  FROM (SELECT '[' || rtrim(replace(CAST(readfile('$1') AS TEXT), char(10), ','), ',') || ']' AS j)"
}

if [ -d "$rd" ]; then
	c=$t/real.case
	"$bin" load -q "$c" "$rd/purview-portal-export.csv" >/dev/null 2>&1
	# query: the count line of a table, and every format
	out=$("$bin" query "$c" op=New-InboxRule 2>&1)
	is "query op=New-InboxRule: 38 events" "$(tail -1 <<<"$out")" "38 events"
	is "query op=new-inboxrule: operations match in any case" \
		"$("$bin" query "$c" op=new-inboxrule | tail -1)" "38 events"
	"$bin" query "$c" op=New-InboxRule --format jsonl > "$t/r.jsonl"
	is "query --format jsonl: 38 valid JSON lines" "$(jsonl_count "$t/r.jsonl")" 38
	is "query jsonl: ts is ISO 8601 UTC with Z" \
		"$(sqlite3 :memory: "SELECT count(*) FROM json_each('[' || rtrim(replace(CAST(readfile('$t/r.jsonl') AS TEXT), char(10), ','), ',') || ']') WHERE json_extract(value, '\$.ts') GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'")" 38
	is "query jsonl: every line names its op and user" \
		"$(grep -c '"op":"New-InboxRule".*"user":"' "$t/r.jsonl")" 38
	"$bin" query "$c" op=New-InboxRule --format csv > "$t/r.csv"
	is "query --format csv: header and 38 records" "$(sqlite3 :memory: ".import --csv $t/r.csv x" "SELECT count(*) FROM x")" 38
	is "query csv: lines end in CRLF" "$(head -1 "$t/r.csv" | tail -c 2 | od -c | grep -c '\\r  \\n')" 1
	# the first and the newest event agree with the case
	# (a GUID record id is kept as a byte 1 and its 16 bytes: written out
	# as text here)
	want=$(sql "$c" "SELECT CASE WHEN substr(r, 1, 1) = char(1) AND length(CAST(r AS BLOB)) = 17
		THEN lower(substr(hex(r), 3, 8) || '-' || substr(hex(r), 11, 4) || '-' || substr(hex(r), 15, 4)
		|| '-' || substr(hex(r), 19, 4) || '-' || substr(hex(r), 23)) ELSE r END
		FROM (SELECT record_id AS r FROM events ORDER BY ts DESC, id DESC LIMIT 1)")
	is "query --desc --limit 1 is the newest event" \
		"$("$bin" query "$c" --desc --limit 1 --format jsonl | sed 's/.*"record_id":"\([^"]*\)".*/\1/')" "$want"
	is "query --limit: count line says how many in all" \
		"$("$bin" query "$c" --limit 2 | tail -1)" "2 of 219 events shown (--limit)"
	# stack ip: first row is the commonest value (here: events without an
	# IP, the sign-in-less admin records), ties broken by first seen
	want=$(sql "$c" "SELECT coalesce(v.v, '') || ',' || count(*) FROM events e LEFT JOIN vals v ON v.id = e.ip GROUP BY e.ip ORDER BY count(*) DESC, min(e.ts) ASC LIMIT 1")
	got=$("$bin" stack "$c" ip --format csv | sed -n 2p | cut -d, -f1,2)
	is "stack ip: first row is the commonest IP with its count" "$got" "$want"
	is "stack ip: in a table, absent shows as (none)" "$("$bin" stack "$c" ip --limit 1 | sed -n 2p | cut -c1-6)" "(none)"
	want=$(sql "$c" "SELECT v.v || ',' || count(*) FROM events e JOIN vals v ON v.id = e.ip GROUP BY e.ip ORDER BY count(*) DESC, min(e.ts) ASC LIMIT 1")
	is "stack ip 'ip!=\"\"': the commonest address" "$("$bin" stack "$c" ip 'ip!=""' --format csv | sed -n 2p | cut -d, -f1,2)" "$want"
	want=$(sql "$c" "SELECT count(DISTINCT ip) + (count(*) > count(ip)) FROM events")
	is "stack ip: one row per value (and one for none)" "$(( $("$bin" stack "$c" ip --format csv | wc -l) - 1 ))" "$want"
	want=$(sql "$c" "SELECT v.v FROM events e JOIN vals v ON v.id = e.ip GROUP BY e.ip ORDER BY count(*) ASC, min(e.ts) DESC LIMIT 1")
	is "stack ip --rare: first row is the rarest IP" "$("$bin" stack "$c" ip --rare --limit 1 --format csv | sed -n 2p | cut -d, -f1)" "$want"
	is "stack op under a filter: counts sum to the filter's count" \
		"$("$bin" stack "$c" op 'user~^debra' --format csv | tail -n +2 | cut -d, -f2 | awk '{ s += $1 } END { print s + 0 }')" \
		"$(sql "$c" "SELECT count(*) FROM events e JOIN vals v ON v.id = e.user WHERE v.v LIKE 'debra%'")"
	# histogram: buckets add up to the filter's count
	is "histogram: buckets sum to the count" \
		"$("$bin" histogram "$c" op=New-InboxRule --format csv | tail -n +2 | tr -d '\r' | cut -d, -f2 | awk '{ s += $1 } END { print s + 0 }')" 38
	is "histogram --bucket 1d: first bucket starts at midnight" \
		"$("$bin" histogram "$c" --bucket 1d --format csv | sed -n 2p | cut -d, -f1 | cut -c11-)" "T00:00:00.000Z"
	# SQL in a filter value is a value
	is "SQL in a value matches nothing and harms nothing" \
		"$("$bin" query "$c" "user='x' OR '1'='1'" | tail -1)" "0 events"
	"$bin" query "$c" 'op="x\"); DROP TABLE events; --"' >/dev/null 2>&1
	is "the events are all still there" "$(sql "$c" 'SELECT count(*) FROM events')" 219
else
	echo "skip - ../shared/realdata is absent: real-export checks"
fi

# the generated bundle with the planted intrusion
if [ -x "$gen" ]; then
	"$gen" --bundle "$t/bundle" >/dev/null
	m=$t/manifest.json
	mv "$t/bundle/manifest.json" "$m"
	mf() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('$m') AS TEXT), '$1')"; }
	mf_len() { sqlite3 :memory: "SELECT json_array_length(CAST(readfile('$m') AS TEXT), '$1')"; }
	d=$t/demo.case
	"$bin" load -q "$d" "$t/bundle" >/dev/null 2>&1
	app=$(mf '$.planted.app_id')
	is "stack app --rare under op=MailItemsAccessed: the planted app first" \
		"$("$bin" stack "$d" app op=MailItemsAccessed --rare --limit 1 --format csv | sed -n 2p | cut -d, -f1)" "$app"
	"$bin" messages "$d" "app=$app" --format csv > "$t/msg.csv"
	sqlite3 :memory: "SELECT value FROM json_each(CAST(readfile('$m') AS TEXT), '\$.planted.internet_message_ids') ORDER BY 1" > "$t/want_ids"
	sqlite3 :memory: ".import --csv $t/msg.csv x" "SELECT DISTINCT message_id FROM x WHERE whole_folder = 'false' ORDER BY 1" > "$t/got_ids"
	if [ -s "$t/want_ids" ] && cmp -s "$t/want_ids" "$t/got_ids"; then
		ok "messages app=<planted>: exactly the planted message ids"
	else
		nok "messages app=<planted>: exactly the planted message ids" "$(diff "$t/want_ids" "$t/got_ids" | head -3 | tr '\n' ' ')"
	fi
	is "messages: Sync rows are the planted synchronised folders" \
		"$(sqlite3 :memory: ".import --csv $t/msg.csv x" "SELECT count(*) FROM x WHERE whole_folder = 'true' AND message_id = '' AND access = 'Sync'")" \
		"$(mf_len '$.planted.synced_folders')"
	is "messages table: count line" \
		"$("$bin" messages "$d" "app=$app" | tail -1)" \
		"$(mf_len '$.planted.internet_message_ids') messages exposed, and every item of 2 folders synchronised (Sync)"
	tok=$(mf '$.planted.token_id')
	is "query token=<planted> (no index: scanned) finds the reused token's IPs" \
		"$("$bin" stack "$d" ip "token=$tok" --format csv | tail -n +2 | wc -l)" \
		"$(mf_len '$.planted.tokens_reused[0].ips')"
	fwd=$(mf '$.planted.inbox_rule.forward_to')
	is "query json.Parameters.ForwardTo=<planted>: the rule's record" \
		"$("$bin" query "$d" "json.Parameters.ForwardTo=$fwd" --format jsonl | sed 's/.*"record_id":"\([^"]*\)".*/\1/')" \
		"$(mf '$.planted.inbox_rule.record_id')"
	is "free text and the regex agree" \
		"$("$bin" query "$d" '"proton-relay"' | tail -1)" "$("$bin" query "$d" 'json.Parameters.ForwardTo~proton' | tail -1)"
	n_all=$("$bin" query "$d" --limit 0 | tail -1)
	is "query --limit 0 prints only the count" "$n_all" "0 of $(sql "$d" 'SELECT count(*) FROM events') events shown (--limit)"
else
	echo "skip - $gen is absent: bundle checks"
fi

# errors: one line naming the argument, exit 2 for usage, 1 for the case
c=$t/none.case
"$bin" query "$c" >/dev/null 2>"$t/e"; rc=$?
is "query on a missing case: exit 1" "$rc" 1
is "query on a missing case: names the file" "$(grep -c 'none.case' "$t/e")" 1
[ -f "$t/demo.case" ] && c=$t/demo.case || c=$t/real.case
if [ -f "$c" ]; then
	"$bin" query "$c" 'user=' >/dev/null 2>"$t/e"; rc=$?
	is "bad filter: exit 2" "$rc" 2
	is "bad filter: the column in one line" "$(cat "$t/e")" "auditscope: filter: expected a value after 'user=' at column 6"
	"$bin" stack "$c" nosuch >/dev/null 2>"$t/e"; rc=$?
	is "stack of an unknown field: exit 2" "$rc" 2
	"$bin" query "$c" --format xml >/dev/null 2>&1; rc=$?
	is "query --format xml: exit 2" "$rc" 2
	"$bin" histogram "$c" --bucket 1y >/dev/null 2>"$t/e"; rc=$?
	is "histogram --bucket 1y: exit 2" "$rc" 2
	"$bin" messages "$c" --nosuch >/dev/null 2>&1; rc=$?
	is "messages --nosuch: exit 2" "$rc" 2
	"$bin" stack "$c" >/dev/null 2>&1; rc=$?
	is "stack without FIELD: exit 2" "$rc" 2
fi
