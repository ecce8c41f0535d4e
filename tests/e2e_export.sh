#!/usr/bin/env bash
# End-to-end: mark, export and notes on the demo bundle (a planted
# Storm-0558-style intrusion), with the planted facts read from the
# generator's manifest. The Markdown report is compared with
# tests/golden/export_report.md (UPDATE=1 rewrites it); the CSV, JSON
# Lines and Timesketch exports are read back by other readers (Python's
# csv module, jq); notes move to a case loaded in another order, and a
# second import adds nothing. Each check prints "ok - ..." or
# "not ok - ...".
. "$(dirname "$0")/e2e_lib.sh"
root=$PWD
golden=$root/tests/golden/export_report.md
check() { # check NAME COMMAND...: ok when COMMAND succeeds
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else nok "$name"; fi
}
status() { # status WANT NAME COMMAND...: ok when COMMAND exits with WANT
	local want=$1 name=$2
	shift 2
	"$@" >/dev/null 2>&1
	local rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$name"; else nok "$name" "exit $rc, want $want"; fi
}

# The report must not depend on who runs it or when.
export AUDITSCOPE_AUTHOR=analyst.one AUDITSCOPE_NOW=2024-01-15T09:00:00Z

# Relative paths inside the temporary folder, so that the sources the
# report names are the same on every machine.
cd "$t" || exit 1
"$gen" --bundle demo-bundle > /dev/null || { echo "not ok - auditgen"; exit 1; }
mv demo-bundle/manifest.json manifest.json
"$bin" load -q demo.case demo-bundle > /dev/null 2>&1 || { echo "not ok - load the demo bundle"; exit 1; }
m() { jq -r "$1" manifest.json; }

# --- bookmarks from the planted facts --------------------------------
"$bin" mark demo.case "record_id=$(m .planted.inbox_rule.record_id)" --tag inbox-rule \
	--note "$(printf 'Rule "." forwards to %s and moves mail to RSS Feeds.\nCreated from 203.0.113.61 — the attacker session.' "$(m .planted.inbox_rule.forward_to)")" > out.mark1
check "mark prints how many matched and changed" grep -qx '1 events matched; 1 changed (bookmarked, tagged and noted)' out.mark1
"$bin" mark demo.case "client_app=$(m .planted.client_app_id)" op=MailItemsAccessed --tag exfil > out.mark2
check "mark by client app id bookmarks every planted MailItemsAccessed" \
	grep -qx "$(m .planted.counts.mail_items_accessed) events matched; $(m .planted.counts.mail_items_accessed) changed (bookmarked and tagged)" out.mark2
"$bin" mark demo.case "record_id=$(m '.planted.consent.record_ids | join(",")')" --tag oauth-consent > out.mark3
check "mark a list of consent record ids" grep -q "^$(m '.planted.consent.record_ids | length') events matched" out.mark3
"$bin" mark demo.case "record_id=$(m '[.planted.forwarding_smtp.record_id, .planted.mailbox_permission.record_id] | join(",")')" --tag persistence > /dev/null
"$bin" mark demo.case "record_id=$(m '.planted.anti_forensics_record_ids | join(",")')" --tag anti-forensics > /dev/null
"$bin" mark demo.case "record_id=$(m '[.planted.signin_then_mail[].signin_id] | join(",")')" --tag sign-in \
	--note 'Sign-in from the new IP, mail read from it minutes later' > /dev/null
"$bin" mark demo.case "record_id=$(m .planted.throttled.record_id)" \
	--note '=Throttled: binds after this went unaudited for 24 hours; absence of records is not absence of access' > /dev/null
# a second analyst disagrees on the rule, in their own note
AUDITSCOPE_AUTHOR=analyst.two AUDITSCOPE_NOW=2024-01-16T14:30:00Z \
	"$bin" mark demo.case "record_id=$(m .planted.inbox_rule.record_id)" --note '<b>Also</b> check `Set-InboxRule` | later' > /dev/null
"$bin" mark demo.case "record_id=$(m .planted.inbox_rule.record_id)" --tag inbox-rule > out.mark4
check "marking again changes nothing" grep -qx '1 events matched; 0 changed (bookmarked and tagged)' out.mark4
nmarks=$(sqlite3 demo.case 'select count(*) from marks')

# --- the report ------------------------------------------------------
"$bin" export demo.case --format markdown -o report.full.md 2> err.report
check "export -o says what it wrote" grep -q "^exported $nmarks events to report.full.md" err.report
# the IP databases installed (or not) on this machine, and their date
sed -E -e 's/(places of IP addresses from ).*\.$/\1DATABASES./' -e 's/^(\| IP places from \| ).*( \|)$/\1DATABASES\2/' \
	report.full.md > report.md
if [ "${UPDATE:-}" = 1 ]; then
	mkdir -p "$(dirname "$golden")"
	cp report.md "$golden"
	echo "ok - golden report rewritten ($golden)"
fi
if diff -u "$golden" report.md > report.diff; then
	echo "ok - markdown report matches tests/golden/export_report.md"
else
	echo "not ok - markdown report differs from tests/golden/export_report.md (UPDATE=1 to accept):"
	head -40 report.diff | sed 's/^/#   /'
fi
check "report lists as many messages as were planted" \
	grep -q "^$(m '.planted.messages | length') messages read individually (Bind), $(m '.planted.synced_folders | length') folders synchronised" report.md
for mbx in $(m '[.planted.messages[].mailbox] | unique | .[]'); do
	check "report names mailbox $mbx among those read" grep -q "^| \`$mbx\` | [1-9]" report.md
done
for id in $(m '.planted.internet_message_ids[0:3][]'); do
	check "report lists message $id" grep -qF "\`$id\`" report.md
done
check "report gives each source's SHA-256" \
	grep -q "^$(sha256sum demo-bundle/purview-portal.csv | cut -d' ' -f1)  demo-bundle/purview-portal.csv$" report.md
check "report escapes HTML in notes" grep -qF '\<b\>Also\</b\> check \`Set-InboxRule\` \| later' report.md
check "report quotes every line of a note" grep -qF '> Created from 203.0.113.61 — the attacker session.' report.md
check "report keeps both analysts' notes, attributed" bash -c 'grep -q "^Note by analyst.one (2024-01-15T09:00:00.000Z):" report.md && grep -q "^Note by analyst.two (2024-01-16T14:30:00.000Z):" report.md'
"$bin" export demo.case --format markdown > report2.md 2> /dev/null
check "the report is the same on stdout and run again" cmp report.full.md report2.md

# --- CSV, read back by Python's csv module ---------------------------
"$bin" export demo.case --marked --format csv -o marked.csv 2> /dev/null
check "CSV: one row per bookmarked event, every row complete" python3 -c '
import csv, sys
rows = list(csv.reader(open("marked.csv", newline="", encoding="utf-8")))
hdr, body = rows[0], rows[1:]
assert len(body) == int(sys.argv[1]), len(body)
assert all(len(r) == len(hdr) for r in body)
d = [dict(zip(hdr, r)) for r in body]
assert all(r["marked"] == "true" and r["source"] and len(r["source_sha256"]) == 64 and r["line"].isdigit() for r in d)
assert [r["ts"] for r in d] == sorted(r["ts"] for r in d)
' "$nmarks"
check "CSV: the throttling note is neutralised, text intact" python3 -c '
import csv
d = [dict(zip(r[0], x)) for r in [list(csv.reader(open("marked.csv", newline="", encoding="utf-8")))] for x in r[1:]]
n = [r["notes"] for r in d if "Throttled" in r["notes"]]
assert n == ["[analyst.one 2024-01-15T09:00:00.000Z] =Throttled: binds after this went unaudited for 24 hours; absence of records is not absence of access"], n
assert not any(c[:1] in ("=", "+", "-", "@", "\t", "\r") for r in d for c in r.values())
'
check "CSV: every MailItemsAccessed of the planted client app, tagged exfil" python3 -c '
import csv, json
m = json.load(open("manifest.json"))
d = [dict(zip(r[0], x)) for r in [list(csv.reader(open("marked.csv", newline="", encoding="utf-8")))] for x in r[1:]]
got = sorted(r["record_id"] for r in d if r["tags"] == "exfil")
assert got == sorted(m["planted"]["mail_record_ids"]), got
'

# --- JSON Lines and Timesketch, read back by jq ----------------------
"$bin" export demo.case op=MailItemsAccessed --format jsonl > mia.jsonl 2> /dev/null
check "jsonl: one line per MailItemsAccessed event, each parses" \
	test "$(jq -c . mia.jsonl | wc -l)" = "$(wc -l < mia.jsonl)" -a "$(wc -l < mia.jsonl)" = "$(sqlite3 demo.case "select count(*) from events where op = (select id from vals where v = 'MailItemsAccessed')")"
check "jsonl: raw record, tags and provenance on every line" \
	test "$(jq -r '. as $e | select(($e.raw | type) == "object" and ($e.raw | tostring | contains($e.record_id)) and (.tags | type) == "array" and (.notes | type) == "array" and (.source_sha256 | length) == 64 and (.line | type) == "number")' mia.jsonl | jq -s length)" = "$(wc -l < mia.jsonl)"
check "jsonl: the exfil tag on the planted events" \
	test "$(jq -r 'select(.tags == ["exfil"]) | .record_id' mia.jsonl | sort | tr '\n' ' ')" = "$(m '.planted.mail_record_ids | sort | join(" ")') "
"$bin" export demo.case --format timesketch > ts.jsonl 2> /dev/null
check "timesketch: message, datetime and timestamp_desc on every line" \
	test "$(jq -r 'select((.message | type) == "string" and (.message | length) > 0 and (.timestamp_desc | length) > 0 and (.datetime | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$")))' ts.jsonl | jq -s length)" = "$(sqlite3 demo.case 'select count(*) from events')"
check "timesketch: datetime and timestamp agree" \
	test "$(jq -r 'select((.datetime | sub("\\.[0-9]+"; "") | sub("\\+00:00$"; "Z") | fromdateiso8601) * 1000000 != (.timestamp - .timestamp % 1000000))' ts.jsonl | wc -l)" = 0
check "timesketch: notes as comments, tags as tag" \
	test "$(jq -c 'select(.record_id == "'"$(m .planted.inbox_rule.record_id)"'") | [.tag, (.comment | length)]' ts.jsonl)" = '[["inbox-rule"],2]'

# --- notes to a second analyst's case ---------------------------------
"$bin" notes export demo.case -o notes.jsonl 2> err.notes
check "notes export says what it wrote" grep -q "^exported $nmarks bookmarks" err.notes
# the same files loaded one by one in the reverse order: other row ids
for f in $(ls demo-bundle | sort -r); do "$bin" load -q other.case "demo-bundle/$f" > /dev/null 2>&1; done
# a GUID record id is kept as a byte 1 and its 16 bytes (schema 8): the
# sqlite3 shell compares it with that text
rule_key="CAST(x'01$(m .planted.inbox_rule.record_id | tr -d -)' AS TEXT)"
check "the second case numbers events differently" test "$(sqlite3 demo.case "select id from events where record_id = $rule_key")" != \
	"$(sqlite3 other.case "select id from events where record_id = $rule_key")"
"$bin" notes import other.case notes.jsonl > out.imp1
check "notes import adds every annotation" grep -q "^added $nmarks bookmarks, .* 0 already here" out.imp1
"$bin" notes import other.case notes.jsonl > out.imp2
check "a second import adds nothing" grep -q "^added 0 bookmarks, 0 tags, 0 notes, 0 views; [1-9][0-9]* already here" out.imp2
"$bin" notes export other.case -o notes2.jsonl 2> /dev/null
check "the second case holds the same annotations" cmp <(tail -n +2 notes.jsonl) <(tail -n +2 notes2.jsonl)
"$bin" export other.case --format markdown -o other.md 2> /dev/null
# (each record's first source may differ, the order of loading decides
# it, and so may the order of two events in the same millisecond)
check "its report lists the same events, tags and notes" cmp <(grep -E '^(- record|- tags|> )' report.md | sed 's/ from .*//' | sort) \
	<(grep -E '^(- record|- tags|> )' other.md | sed 's/ from .*//' | sort)
# the colleague writes their own note on the rule; merging back keeps both
AUDITSCOPE_AUTHOR=analyst.three "$bin" mark other.case "record_id=$(m .planted.inbox_rule.record_id)" --note 'third view' > /dev/null
"$bin" notes export other.case -o notes3.jsonl 2> /dev/null
"$bin" notes import demo.case notes3.jsonl > out.imp3
check "merging back adds only the colleague's note" grep -q "^added 0 bookmarks, 0 tags, 1 notes, 0 views" out.imp3
check "both kept, attributed" test "$(sqlite3 demo.case "select group_concat(author, ',') from (select author from notes where record_id = $rule_key order by author)")" = analyst.one,analyst.three,analyst.two

# --- unmark, errors, exit statuses ------------------------------------
"$bin" mark demo.case "record_id=$(m .planted.throttled.record_id)" --unmark > out.un
check "unmark removes the bookmark" bash -c "grep -qx '1 events matched; 1 changed (bookmark removed)' out.un && test \$(sqlite3 demo.case 'select count(*) from marks') = $((nmarks - 1))"
status 2 "export without --format is a usage error" "$bin" export demo.case
status 2 "export --format xlsx is a usage error" "$bin" export demo.case --format xlsx
status 2 "export with a bad filter is a usage error" "$bin" export demo.case 'user=' --format csv
status 1 "export of a missing case is an error" "$bin" export missing.case --format csv
status 1 "export into a missing folder is an error" "$bin" export demo.case --format csv -o nowhere/x.csv
check "a failed export leaves no file behind" bash -c '! ls nowhere* 2>/dev/null; ! ls *.partial-* 2>/dev/null'
status 2 "mark without a filter is a usage error" "$bin" mark demo.case
status 2 "mark --unmark --note is a usage error" "$bin" mark demo.case op=x --unmark --note y
status 2 "a tag with a comma is refused" "$bin" mark demo.case op=x --tag a,b
status 1 "notes import of a report is an error" "$bin" notes import demo.case report.md
check "notes import names the file and line" bash -c '"$0" notes import demo.case report.md 2>&1 | grep -q "report.md:1: not JSON"' "$bin"
status 2 "notes without a verb is a usage error" "$bin" notes
