#!/usr/bin/env bash
# End-to-end: `auditscope hunt` and `auditscope apps`, the real binary on
# the generated bundle with its planted intrusion (expected values from
# its manifest), on hostile text, and on the real exports in
# ../shared/realdata (skipped when absent). Prints "ok - ..." /
# "not ok - ..." / "skip - ..." lines (tests/run.sh counts them).
. "$(dirname "$0")/e2e_lib.sh"
# status NAME WANT COMMAND...: the exit status of COMMAND
status() {
	local name=$1 want=$2
	shift 2
	"$@" >"$t/out" 2>"$t/err"
	is "$name" "$?" "$want"
}
# a value from the manifest: m 'planted["app_id"]'
m() { python3 -c "import json,sys; d=json.load(open('$t/manifest.json')); print($1)"; }
# field F of JSON Lines file $1, line by line; jl1: of the first line only
jl() { python3 -c "import json,sys
for l in open('$1'):
    v=json.loads(l).get('$2'); print('' if v is None else v)"; }
jl1() { python3 -c "import json
v=json.loads(open('$1').readline()).get('$2'); print('' if v is None else v)"; }

"$gen" --bundle "$t/bundle" >/dev/null
mv "$t/bundle/manifest.json" "$t/manifest.json"
c=$t/demo.case
"$bin" load -q "$c" "$t/bundle" >/dev/null 2>&1

# 1. the list: every hunt with its hits
status "hunt CASE exits 0" 0 "$bin" hunt "$c"
cp "$t/out" "$t/list"
for h in rare-apps new-app-for-mailbox sync-access throttled inbox-rules forwarding oauth-consent \
	token-replay signin-then-mail anti-forensics; do
	is "hunt CASE lists $h" "$(awk -v h="$h" '$1 == h { print $1 }' "$t/list")" "$h"
done
is "hunt CASE: inbox-rules has 1 hit" "$(awk '$1 == "inbox-rules" { print $2 }' "$t/list")" 1
is "hunt CASE: token-replay has 2 hits" "$(awk '$1 == "token-replay" { print $2 }' "$t/list")" 2
"$bin" hunt "$c" --format jsonl > "$t/list.jsonl"
is "hunt CASE --format jsonl: one object per hunt" "$(jl "$t/list.jsonl" hunt | paste -sd' ')" \
	"$("$bin" __complete hunts | paste -sd' ')"
is "hunt CASE: the demo's scattered failed logons are no password spray" \
	"$(awk '$1 == "password-spray" { print $2 }' "$t/list")" 0

# 2. a hunt's rows, and the filter that opens its events
"$bin" hunt "$c" rare-apps --format jsonl > "$t/rare.jsonl"
is "rare-apps: the planted app first" "$(jl1 "$t/rare.jsonl" app)" "$(m 'd["planted"]["app_id"]')"
is "rare-apps: the planted client app" "$(jl1 "$t/rare.jsonl" client_app)" "$(m 'd["planted"]["client_app_id"]')"
is "rare-apps: first row is a finding" "$(jl1 "$t/rare.jsonl" hit)" True
filter=$(jl1 "$t/rare.jsonl" filter)
nev=$(jl1 "$t/rare.jsonl" events)
is "rare-apps: its events are the planted mail reads" "$nev" "$(m 'len(d["planted"]["mail_record_ids"])')"
is "rare-apps: its filter opens exactly them in query" "$("$bin" query "$c" "$filter" | tail -1)" "$nev events"
"$bin" hunt "$c" inbox-rules --format csv > "$t/rules.csv"
is "inbox-rules --format csv: header and one row" "$(wc -l < "$t/rules.csv")" 2
is "inbox-rules csv: the planted rule" \
	"$(python3 -c "import csv; r=list(csv.DictReader(open('$t/rules.csv'))); print(r[0]['rule'], r[0]['mailbox'])")" \
	"$(m 'd["planted"]["inbox_rule"]["name"] + " " + d["planted"]["inbox_rule"]["mailbox"]')"
"$bin" hunt "$c" token-replay > "$t/replay.txt"
is "token-replay table: the summary line" "$(grep "^token-replay: " "$t/replay.txt")" "token-replay: 2 hits in 2 rows"
is "token-replay table: ends with the hunt's rule" "$(grep -c "^rule: A session id or a token id" "$t/replay.txt")" 1
grep -q "$(m 'd["planted"]["session_id"]')" "$t/replay.txt" && ok "token-replay table: the planted session" ||
	nok "token-replay table: the planted session"
"$bin" hunt "$c" sync-access --hits --format jsonl > "$t/sync.jsonl"
is "sync-access --hits: only the planted Syncs" "$(jl "$t/sync.jsonl" hit | sort -u)" True
is "sync-access --hits: as many as the manifest" "$(wc -l < "$t/sync.jsonl")" "$(m 'len(d["planted"]["synced_folders"])')"

# 3. the baseline option
"$bin" hunt "$c" new-app-for-mailbox --format jsonl > "$t/new.jsonl"
is "new-app-for-mailbox: the planted mailboxes" \
	"$(python3 -c "import json; print(sorted({json.loads(l)['mailbox'] for l in open('$t/new.jsonl') if json.loads(l)['app'] == '$(m 'd["planted"]["app_id"]')'}))")" \
	"$(m 'sorted(d["planted"]["mailboxes"])')"
"$bin" hunt "$c" new-app-for-mailbox --baseline-until 2023-07-01 --format jsonl > "$t/new2.jsonl"
is "--baseline-until after the case: nothing new" "$(wc -l < "$t/new2.jsonl")" 0

# the findings' events can be bookmarked and tagged, once
status "hunt inbox-rules --mark" 0 "$bin" hunt "$c" inbox-rules --mark
is "--mark: says what it did" "$(cat "$t/out")" "inbox-rules: 1 finding, 1 event bookmarked and tagged 'inbox-rules' (1 changed)"
is "--mark: the rule is bookmarked" "$("$bin" query "$c" marked --format jsonl | jl1 /dev/stdin record_id)" \
	"$(m 'd["planted"]["inbox_rule"]["record_id"]')"
is "--mark: tagged with the hunt's name" "$("$bin" query "$c" tag=inbox-rules | tail -1)" "1 events"
"$bin" hunt "$c" token-replay --tag replay > "$t/out"
n=$("$bin" query "$c" "session=$(m 'd["planted"]["session_id"]')" or "token=$(m 'd["planted"]["token_id"]')" | tail -1 | cut -d' ' -f1)
is "--tag T: an event behind two findings counts once" "$(cat "$t/out")" \
	"token-replay: 2 findings, $n events bookmarked and tagged 'replay' ($n changed)"
is "--tag T: the tag is on them" "$("$bin" query "$c" tag=replay | tail -1)" "$n events"
# the why travels with the bookmark: the hunt's reason is the note, and
# the report lists the indicators the bookmarks hold
"$bin" hunt "$c" forwarding --mark > /dev/null
"$bin" export "$c" --marked --format markdown -o "$t/report.md" > /dev/null
grep -q "^> hunt inbox-rules: forwards to $(m 'd["planted"]["inbox_rule"]["forward_to"]')" "$t/report.md" &&
	ok "--mark: the hunt's reason is the bookmark's note" || nok "--mark: the hunt's reason is the bookmark's note"
sed -n '/^## Indicators/,/^## /p' "$t/report.md" > "$t/ind.md"
grep -q "^- \`$(m 'd["planted"]["inbox_rule"]["name"]')\`" "$t/ind.md" && grep -q "^Inbox rule names (1)" "$t/ind.md" &&
	ok "report: the rule's name is an indicator" || nok "report: the rule's name is an indicator"
grep -q "$(m 'd["planted"]["inbox_rule"]["forward_to"]')" "$t/ind.md" &&
	ok "report: the rule's forwarding address is an indicator" || nok "report: the rule's forwarding address is an indicator"
grep -q "$(m 'd["planted"]["app_id"]')\` $(m 'd["planted"]["app_display_name"]') (name from sign-in)" "$t/ind.md" &&
	ok "report: the app id with its name from the case" || nok "report: the app id with its name from the case"
status "--mark without NAME: usage error" 2 "$bin" hunt "$c" --mark

# 4. usage errors and errors: one line naming what is wrong
status "hunt without CASE: usage error" 2 "$bin" hunt
status "hunt CASE nosuch: usage error" 2 "$bin" hunt "$c" nosuch
grep -q "no hunt named 'nosuch'" "$t/err" && ok "unknown hunt: the message names it" || nok "unknown hunt: the message names it"
status "hunt --format xml: usage error" 2 "$bin" hunt "$c" --format xml
status "hunt --baseline-until junk: usage error" 2 "$bin" hunt "$c" new-app-for-mailbox --baseline-until junk
status "hunt on a missing case: error" 1 "$bin" hunt "$t/missing.case"
grep -q "missing.case" "$t/err" && ok "missing case: the message names the file" || nok "missing case: the message names the file"
is "missing case: one line on stderr" "$(wc -l < "$t/err")" 1

# 5. apps: names in use, the tenant's own names first
"$bin" apps "$c" --format jsonl > "$t/apps.jsonl"
app=$(m 'd["planted"]["app_id"]')
is "apps: the planted app is named from the case's own sign-ins" \
	"$(python3 -c "import json; r=[json.loads(l) for l in open('$t/apps.jsonl') if json.loads(l)['app_id'] == '$app'][0]; print(r['name'], '/', r['origin'])")" \
	"$(m 'd["planted"]["app_display_name"]') / sign-in"
is "apps: Outlook Mobile named from the built-in table" \
	"$(python3 -c "import json; print([json.loads(l)['name'] for l in open('$t/apps.jsonl') if json.loads(l)['app_id'] == '27922004-5251-4030-b22d-91ecd9a37ea4'][0])")" "Outlook Mobile"
printf '\xef\xbb\xbf"Name","Object ID","Application ID "\r\n"%s","ca313b07-1ae2-4c1e-b74b-1b839be8935f","%s"\r\n"Mobile Mail (tenant)","x","27922004-5251-4030-B22D-91ECD9A37EA4"\r\n' \
	"$(m 'd["planted"]["app_display_name"]')" "$app" > "$t/sp.csv"
status "apps CASE FILE.csv: loads the portal's export" 0 "$bin" apps "$c" "$t/sp.csv"
is "apps CASE FILE.csv: says what it named" "$(cat "$t/out")" "2 apps named from 2 rows of $t/sp.csv"
"$bin" apps "$c" --format jsonl > "$t/apps2.jsonl"
is "apps: the tenant's name for the planted app" \
	"$(python3 -c "import json; r=[json.loads(l) for l in open('$t/apps2.jsonl') if json.loads(l)['app_id'] == '$app'][0]; print(r['name'], '/', r['origin'])")" \
	"$(m 'd["planted"]["app_display_name"]') / tenant"
is "apps: the tenant's name wins over the built-in one" \
	"$(python3 -c "import json; print([json.loads(l)['name'] for l in open('$t/apps2.jsonl') if json.loads(l)['app_id'] == '27922004-5251-4030-b22d-91ecd9a37ea4'][0])")" "Mobile Mail (tenant)"
"$bin" hunt "$c" rare-apps --format jsonl > "$t/rare2.jsonl"
is "rare-apps names the app from the tenant's list" "$(jl1 "$t/rare2.jsonl" app_name)" "$(m 'd["planted"]["app_display_name"]')"
printf 'Id,Label\n1,x\n' > "$t/bad.csv"
status "apps with a CSV lacking the columns: error" 1 "$bin" apps "$c" "$t/bad.csv"
grep -q "bad.csv" "$t/err" && ok "apps bad CSV: the message names the file" || nok "apps bad CSV: the message names the file"
status "apps without CASE: usage error" 2 "$bin" apps

# 6. hostile text: a rule named with escape sequences never reaches the terminal raw
hdr='RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames'
ad='{""CreationTime"":""2023-06-16T10:00:00"",""Id"":""e1"",""Operation"":""New-InboxRule"",""RecordType"":1,""UserId"":""eve@contoso.com"",""ClientIP"":""203.0.113.9"",""Parameters"":[{""Name"":""Name"",""Value"":""\u001b[2J\u001b]0;pwned\u0007\u202e""},{""Name"":""DeleteMessage"",""Value"":""True""}]}'
printf '%s\ne1,6/16/2023 10:00:00 AM,1,New-InboxRule,eve@contoso.com,"%s",,\n' "$hdr" "$ad" > "$t/esc.csv"
"$bin" load -q "$t/esc.case" "$t/esc.csv" >/dev/null 2>&1
"$bin" hunt "$t/esc.case" inbox-rules > "$t/esc.txt" 2>&1
grep -q deletes "$t/esc.txt" && ok "hostile rule: found" || nok "hostile rule: found"
if grep -q $'\x1b' "$t/esc.txt" || grep -q $'\x07' "$t/esc.txt"; then nok "hostile rule: no raw ESC or BEL in the table"; else ok "hostile rule: no raw ESC or BEL in the table"; fi
"$bin" hunt "$t/esc.case" inbox-rules --format jsonl > "$t/esc.jsonl"
is "hostile rule: jsonl keeps the name, escaped" "$(python3 -c "import json; print(repr(json.loads(open('$t/esc.jsonl').readline())['rule']))")" "'\\x1b[2J\\x1b]0;pwned\\x07\\u202e'"

# 7. the real exports
rd=${AUDITSCOPE_REALDATA:-../shared/realdata}
if [ -d "$rd" ]; then
	"$bin" load -q "$t/p.case" "$rd/purview-portal-export.csv" >/dev/null 2>&1
	"$bin" hunt "$t/p.case" inbox-rules --format jsonl > "$t/p.jsonl"
	is "purview export: inbox-rules lists 38 rules" "$(wc -l < "$t/p.jsonl")" 38
	is "purview export: 37 move mail to Conversation History" "$(grep -c 'moves to Conversation History' "$t/p.jsonl")" 37
	is "purview export: every rule has a one-letter name" "$(jl "$t/p.jsonl" rule | awk 'length($0) == 1' | wc -l)" 38
	"$bin" hunt "$t/p.case" oauth-consent --format jsonl > "$t/pc.jsonl"
	is "purview export: oauth-consent lists the Add service principal. records" "$(jl "$t/pc.jsonl" op | sort | uniq -c | awk '{$1=$1; print}')" "3 Add service principal."
	"$bin" load -q "$t/s.case" "$rd/sentinel-officeactivity.jsonl" >/dev/null 2>&1
	"$bin" hunt "$t/s.case" rare-apps --format jsonl > "$t/s.jsonl"
	is "sentinel row: Graph reading mail for a third-party client app is in rare-apps" \
		"$(jl "$t/s.jsonl" app)/$(jl "$t/s.jsonl" client_app)/$(jl "$t/s.jsonl" hit)" \
		"00000003-0000-0000-c000-000000000000/5a95e683-08ad-424e-a441-1d1aec52c02c/True"
else
	echo "skip - real exports absent ($rd)"
fi
