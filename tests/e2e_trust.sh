#!/usr/bin/env bash
# End-to-end: evidence you can trust under attack and faults (issue 10).
# Each numbered section reproduces one finding of the adversarial run and
# checks that it stays fixed. Prints "ok - ..." / "not ok - ..." lines
# (tests/run.sh counts them).
. "$(dirname "$0")/e2e_lib.sh"
# the read-only folders some sections make, writable again to be removed
e2e_cleanup() { chmod -R u+w "$t" 2> /dev/null; }
check() { # check NAME COMMAND...: ok when COMMAND succeeds
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else nok "$name"; fi
}
count() { sqlite3 "$1" "$2"; }

# One UAL AuditData object a line: rec ID OP EXTRA-JSON
rec() {
	printf '{"CreationTime":"2023-06-16T10:00:%02d","Id":"%s","Operation":"%s","UserId":"alice@contoso.com","ClientIP":"203.0.113.9"%s}\n' \
		"$(( ${#1} % 60 ))" "$1" "$2" "$3"
}

# 6. a value over 4,096 bytes seen twice in one load into a new case
ua=$(head -c 5000 /dev/zero | tr '\0' 'A')
{ rec r6-1 MailItemsAccessed ",\"ClientInfoString\":\"$ua\""; rec r6-2 MailItemsAccessed ",\"ClientInfoString\":\"$ua\""; } > "$t/long.json"
"$bin" load "$t/c6.case" "$t/long.json" > /dev/null 2>&1
check "6: a long value twice in a new case loads both events" test "$(count "$t/c6.case" 'select count(*) from events')" = 2

# 13. a case on read-only media opens read-only; a damaged case says so
mkdir -p "$t/ro"
rec r13-1 MailItemsAccessed '' > "$t/r13.json"
"$bin" load "$t/ro/c.case" "$t/r13.json" > /dev/null 2>&1
# read-only media: a read-only bind mount in a user namespace (as root,
# permissions alone do not stop writes); else a folder without write
# permission for a user that is not root
ro_run() {
	if unshare -rm true 2>/dev/null; then
		unshare -rm sh -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && shift && exec "$@"' sh "$t/ro" "$@"
	elif [ "$(id -u)" != 0 ]; then
		chmod 555 "$t/ro" && "$@"; local rc=$?; chmod 755 "$t/ro"; return $rc
	else
		return 77
	fi
}
ro_run true; rc=$?
if [ $rc = 77 ]; then
	echo "skip - 13: no way to make read-only media here (root without user namespaces)"
else
	ro_run "$bin" info "$t/ro/c.case" > "$t/ro.out" 2>&1
	check "13: info reads a case on read-only media" grep -q "^events 1 " "$t/ro.out"
	ro_run "$bin" query "$t/ro/c.case" --format csv > "$t/ro.out" 2>&1
	check "13: query reads a case on read-only media" grep -q "r13-1" "$t/ro.out"
fi
head -c 20000 "$t/c6.case" > "$t/trunc.case"
"$bin" info "$t/trunc.case" > "$t/trunc.out" 2>&1
check "13: a truncated case is damaged, not foreign" grep -q "trunc.case: damaged case file" "$t/trunc.out"
printf 'hello' > "$t/foreign.case"
"$bin" info "$t/foreign.case" > "$t/foreign.out" 2>&1
check "13: a file that is no case is not one" grep -q "not an auditscope case file" "$t/foreign.out"

# 8. a regular expression that backtracks without end is an error naming
# the filter, not "no match", and it does not run for minutes
words=$(printf "aword%d " $(seq 1 40))
for i in $(seq 1 87); do rec "r8-$i" MailItemsAccessed ",\"ClientInfoString\":\"$words\",\"Folders\":[{\"Path\":\"\\\\\\\\Inbox\"}]"; done > "$t/r8.json"
"$bin" load "$t/c8.case" "$t/r8.json" > /dev/null 2>&1
timeout 60 "$bin" query "$t/c8.case" 'raw~Inbox|(\w+\s?)+$' --format csv > "$t/r8.out" 2> "$t/r8.err"; rc=$?
check "8: a match-limit hit is not 'no match' (exit 1)" test $rc = 1
check "8: the error names the filter and the limit" grep -q 'raw~Inbox|(\\w+\\s?)+\$.*match limit' "$t/r8.err"
timeout 60 "$bin" query "$t/c8.case" 'raw~(.*a){25}' --format csv > "$t/r8.out" 2> "$t/r8.err"; rc=$?
check "8: raw~(.*a){25} stops with the limit error, not after minutes" test $rc = 1
check "8: raw~Inbox alone still finds all 87" test "$("$bin" query "$t/c8.case" 'raw~Inbox' --format csv | tail -n +2 | wc -l)" = 87

# 1. export -o writes through devices, FIFOs and links; the umask's mode
"$bin" mark "$t/c8.case" 'record_id=r8-1' --note 'n' > /dev/null 2>&1
mkfifo "$t/fifo"
timeout 20 cat "$t/fifo" > "$t/fifo.got" & reader=$!
timeout 30 "$bin" export "$t/c8.case" --format csv -o "$t/fifo" > /dev/null 2>&1
wait $reader
check "1: -o FIFO is written through, not replaced" test -p "$t/fifo"
check "1: -o FIFO: the reader got the export" test "$(wc -l < "$t/fifo.got")" = 88
mkfifo "$t/nfifo"
timeout 20 cat "$t/nfifo" > "$t/nfifo.got" & reader=$!
timeout 30 "$bin" notes export "$t/c8.case" -o "$t/nfifo" > /dev/null 2>&1
wait $reader
check "1: notes export -o FIFO is written through" bash -c "test -p '$t/nfifo' && grep -q r8-1 '$t/nfifo.got'"
if [ "$(id -u)" = 0 ] && mknod "$t/null" c 1 3 2>/dev/null; then
	"$bin" export "$t/c8.case" --format jsonl -o "$t/null" > /dev/null 2>&1
	check "1: -o to a device keeps the device" test -c "$t/null"
else
	echo "skip - 1: -o to a device (mknod needs root)"
fi
echo old > "$t/real.csv"
ln -s real.csv "$t/link.csv"
"$bin" export "$t/c8.case" --format csv -o "$t/link.csv" > /dev/null 2>&1
check "1: -o symlink stays a link" test -L "$t/link.csv"
check "1: -o symlink: its target holds the export" test "$(wc -l < "$t/real.csv")" = 88
(umask 022; "$bin" export "$t/c8.case" --format csv -o "$t/new.csv" > /dev/null 2>&1)
check "1: a new -o file gets the umask's mode (644)" test "$(stat -c %a "$t/new.csv")" = 644
chmod 640 "$t/new.csv"
"$bin" export "$t/c8.case" --format jsonl -o "$t/new.csv" > /dev/null 2>&1
check "1: an existing -o file keeps its mode (640)" test "$(stat -c %a "$t/new.csv")" = 640

# 11. an export killed by a signal leaves no *.partial-* behind
"$gen" --format jsonl --events 20000 -o "$t/big.jsonl" > /dev/null 2>&1
"$bin" load "$t/c11.case" "$t/big.jsonl" > /dev/null 2>&1
"$bin" export "$t/c11.case" --format jsonl -o "$t/out11.jsonl" > /dev/null 2>&1 & pid=$!
seen=0
for _ in $(seq 1 400); do
	if ls "$t"/out11.jsonl.partial-* > /dev/null 2>&1; then seen=1; kill -TERM $pid; break; fi
	sleep 0.005
done
wait $pid 2>/dev/null
if [ $seen = 1 ]; then
	check "11: export killed by SIGTERM leaves no partial file" bash -c "! ls '$t'/out11.jsonl.partial-* 2>/dev/null | grep -q ."
	check "11: and no half export under the name" test ! -e "$t/out11.jsonl"
else
	echo "skip - 11: the export finished before it could be killed"
fi

# 3. no raw terminal escape anywhere in the markdown report; the
# sha256sum -c block works for names with spaces, quotes and newlines
mkdir -p "$t/ev"
osc=$(printf 'x\033]52;c;aGk=\007.json')
nl=$(printf "it's a\nname \"q\".json")
rec r3-1 New-InboxRule '' > "$t/ev/$osc"
rec r3-2 New-InboxRule '' > "$t/ev/$nl"
rec r3-3 New-InboxRule '' > "$t/ev/plain name.json"
(cd "$t/ev" && "$bin" load "$t/c3.case" "$osc" "$nl" "plain name.json" > /dev/null 2>&1)
"$bin" mark "$t/c3.case" 'op=New-InboxRule' > /dev/null 2>&1
printf '{"auditscope_notes":1}\n{"type":"note","record_id":"r3-1","kind":"ual","author":"x","created":"\\u001b]52;c;aGk=\\u0007","text":"t"}\n' > "$t/n3.jsonl"
"$bin" notes import "$t/c3.case" "$t/n3.jsonl" > /dev/null 2>&1
"$bin" export "$t/c3.case" --format markdown -o "$t/r3.md" > /dev/null 2>&1
check "3: the markdown report was written" test -s "$t/r3.md"
check "3: no raw ESC or BEL in the report" bash -c "! grep -q $'[\x1b\x07]' '$t/r3.md'"
check "3: the imported note's time is in the report, escaped" bash -c "grep 'Note by x (' '$t/r3.md' | grep -q '52;c;aGk='"
awk '/sha256sum -c/ { on = 1; next } on && /^```$/ { if (started) exit; started = 1; next } on && started' "$t/r3.md" > "$t/r3.sums"
(cd "$t/ev" && sha256sum -c "$t/r3.sums" > "$t/r3.check" 2>&1)
check "3: sha256sum -c checks a name with a space" grep -qx 'plain name.json: OK' "$t/r3.check"
check "3: sha256sum -c checks a name with quotes and a newline" grep -qF "it's a\\nname \"q\".json: OK" "$t/r3.check"

# 10. loading the same file again adds no rejected rows (they dedup as events do)
{ rec r10-1 A ''; echo '{"broken'; rec r10-2 B ''; echo 'not json at all'; } > "$t/r10.json"
for _ in 1 2 3; do "$bin" load "$t/c10.case" "$t/r10.json" > /dev/null 2>&1; done
check "10: the same file three times keeps its 2 rejected rows once" test "$(count "$t/c10.case" 'select count(*) from rejects')" = 2
check "10: the second and third loads count them as duplicates" test "$(count "$t/c10.case" 'select group_concat(rejects || "/" || duplicates) from sources')" = "2/0,0/4,0/4"
# the same for a Purview CSV, three times, and after a load of it killed
# with SIGKILL once some of its rejected rows were committed: 10,000 rows,
# every thousandth not JSON (10 rejects); the load reads the first 8,000
# rows from a FIFO of the file's name and waits, is killed, the file loaded
awk 'BEGIN { printf "CreationDate,UserIds,Operations,AuditData\r\n";
	for (i = 0; i < 10000; i++)
		if (i % 1000 == 7) printf "2023-06-16T10:00:05.0000000Z,a@x.com,X,\"not json %d\"\r\n", i;
		else printf "2023-06-16T10:00:01.0000000Z,a@x.com,MailItemsAccessed,\"{\"\"CreationTime\"\":\"\"2023-06-16T10:%02d:%02d\"\",\"\"Id\"\":\"\"k10-%d\"\",\"\"Operation\"\":\"\"MailItemsAccessed\"\",\"\"UserId\"\":\"\"a@x.com\"\"}\"\r\n", int(i / 60) % 60, i % 60, i }' > "$t/k10.full"
mkdir -p "$t/k10" && cp "$t/k10.full" "$t/k10/r10.csv"
for _ in 1 2 3; do "$bin" load "$t/c10c.case" "$t/k10/r10.csv" > /dev/null 2>&1; done
check "10: a CSV three times keeps its 10 rejected rows once" test "$(count "$t/c10c.case" 'select count(*) from rejects')" = 10
rm "$t/k10/r10.csv" && mkfifo "$t/k10/r10.csv"
(head -8001 "$t/k10.full"; sleep 30) > "$t/k10/r10.csv" & feeder=$!
"$bin" load "$t/c10k.case" "$t/k10/r10.csv" > /dev/null 2>&1 & lpid=$!
for _ in $(seq 1 200); do
	[ "$(count "$t/c10k.case" 'select count(*) from rejects' 2>/dev/null)" = 8 ] 2>/dev/null && break
	sleep 0.05
done
kill -9 $lpid; kill $feeder; wait $lpid $feeder 2>/dev/null
rm "$t/k10/r10.csv" && cp "$t/k10.full" "$t/k10/r10.csv"
check "10: the killed load had committed 8 rejected rows" test "$(count "$t/c10k.case" 'select count(*) from rejects')" = 8
"$bin" load "$t/c10k.case" "$t/k10/r10.csv" > /dev/null 2>&1
check "10: loading the file after the kill keeps 10 rejected rows, not 18" test "$(count "$t/c10k.case" 'select count(*) from rejects')" = 10
check "10: and every event once" test "$(count "$t/c10k.case" 'select count(*) from events')" = 9990

# 2. hunts see every record the timeline shows: a \u0000 in a string and
# invalid UTF-8 (a cp1252 rule name) do not hide a forwarding rule
rule() { printf '{"CreationTime":"2023-06-16T10:0%s:00","Id":"r2-%s","Operation":"New-InboxRule","RecordType":1,"UserId":"alice@contoso.com","ClientIP":"203.0.113.9","Parameters":[{"Name":"Name","Value":"%s"},{"Name":"ForwardTo","Value":"x%s@evil.com"}%s]}\n' "$1" "$1" "$2" "$1" "$3"; }
{ rule 1 fwd1 ',{"Name":"Comment","Value":"\u0000"}'; rule 2 "$(printf 'R\xe8gle')" ''; rule 3 plain ''; } > "$t/r2.json"
"$bin" load "$t/c2.case" "$t/r2.json" > /dev/null 2>&1
check "2: the timeline shows the three rules" test "$("$bin" query "$t/c2.case" --format csv | tail -n +2 | wc -l)" = 3
"$bin" hunt "$t/c2.case" inbox-rules --format csv > "$t/r2.out" 2>&1
check "2: inbox-rules finds the rule with a \\u0000 comment" grep -q 'forwards to x1@evil.com' "$t/r2.out"
check "2: inbox-rules finds the rule with a cp1252 name" grep -q 'forwards to x2@evil.com' "$t/r2.out"
# anti-forensics: a rule removed soon after it was made, its removal
# carrying a \u0000 comment or its name in cp1252; Set-Mailbox turning
# auditing off with such an identity
anti() { printf '{"CreationTime":"2023-06-16T11:0%s:00","Id":"r2a-%s","Operation":"%s","RecordType":1,"UserId":"alice@contoso.com","ClientIP":"203.0.113.9","Parameters":[%s]}\n' "$1" "$1" "$2" "$3"; }
{
	anti 1 New-InboxRule '{"Name":"Name","Value":"gone1"},{"Name":"Comment","Value":"\u0000"}'
	anti 2 Remove-InboxRule '{"Name":"Identity","Value":"alice\\gone1"},{"Name":"Comment","Value":"\u0000"}'
	anti 3 New-InboxRule "$(printf '{"Name":"Name","Value":"R\xe8gle2"}')"
	anti 4 Remove-InboxRule "$(printf '{"Name":"Identity","Value":"alice\\\\R\xe8gle2"}')"
	anti 5 Set-Mailbox "$(printf '{"Name":"Identity","Value":"b\xf6b"},{"Name":"AuditEnabled","Value":"False"},{"Name":"Comment","Value":"\\u0000"}')"
} > "$t/r2a.json"
"$bin" load "$t/c2a.case" "$t/r2a.json" > /dev/null 2>&1
check "2: the timeline shows the five anti-forensics records" test "$("$bin" query "$t/c2a.case" --format csv | tail -n +2 | wc -l)" = 5
"$bin" hunt "$t/c2a.case" anti-forensics --format csv > "$t/r2a.out" 2>&1
check "2: anti-forensics finds the removal with a \\u0000 comment" grep -q "removes rule 'gone1'" "$t/r2a.out"
check "2: anti-forensics finds the removal of a cp1252-named rule" grep -q "removes rule 'R.*gle2'" "$t/r2a.out"
check "2: anti-forensics finds auditing turned off with a cp1252 identity and a \\u0000" grep -q "mailbox auditing turned off" "$t/r2a.out"

# 14. a crafted case: NULL where the schema says NOT NULL (a bookmarked
# event's note without author, time or text: SIGSEGV in the Markdown
# report), a time kept as a blob or text (query paged round it for ever)
craft() { # craft CASE SQL: the schema's NOT NULL dropped, then SQL run
	sqlite3 "$1" "PRAGMA journal_mode=DELETE; PRAGMA writable_schema=ON;
		UPDATE sqlite_master SET sql = replace(sql, 'NOT NULL', '') WHERE type = 'table';" > /dev/null &&
		sqlite3 "$1" "$2"
}
for i in $(seq 1 2500); do rec "r14-$i" MailItemsAccessed ''; done > "$t/r14.json"
"$bin" load "$t/c14.case" "$t/r14.json" > /dev/null 2>&1
"$bin" mark "$t/c14.case" 'record_id=r14-7' --note 'a note' --tag t > /dev/null 2>&1
cp "$t/c14.case" "$t/c14n.case"
craft "$t/c14n.case" "UPDATE notes SET author = NULL, created = NULL, text = NULL;
	INSERT INTO notes(record_id, kind, author, created, text) VALUES (NULL, 0, NULL, NULL, NULL)"
"$bin" export "$t/c14n.case" --format markdown -o "$t/r14.md" > /dev/null 2>&1; rc=$?
check "14: a note without author, time or text: the report is written (no crash)" bash -c "test $rc = 0 && grep -q '^Note by  ()' '$t/r14.md'"
"$bin" notes export "$t/c14n.case" -o "$t/r14.notes" > /dev/null 2>&1; rc=$?
check "14: and notes export answers (no crash)" test $rc -le 1
cp "$t/c14.case" "$t/c14b.case"
craft "$t/c14b.case" "UPDATE events SET ts = x'0102' WHERE id = 3; UPDATE events SET ts = 'abc' WHERE id = 2000"
timeout 30 "$bin" query "$t/c14b.case" > "$t/r14.out" 2> "$t/r14.err"; rc=$?
check "14: a time kept as a blob: query stops (exit 1), not paging for ever" test $rc = 1
check "14: naming the case as damaged and the event" grep -q 'c14b.case: damaged case file: event [0-9]* has a time that is no number' "$t/r14.err"
timeout 30 "$bin" query "$t/c14b.case" 'user=alice@contoso.com' --format csv > /dev/null 2>&1; rc=$?
# (through the user's posting lists the damaged events are not found:
# their times are not the ones the lists hold; the query ends)
check "14: the same through the user lists (ends, not for ever)" test $rc -le 1
# rules made at INT64_MIN and removed at a real time: anti-forensics took
# the gap with a signed overflow (UBSan stops it in make asan)
{ rule 1 gone ''; printf '{"CreationTime":"2023-06-16T10:09:00","Id":"r14r","Operation":"Remove-InboxRule","RecordType":1,"UserId":"alice@contoso.com","ClientIP":"203.0.113.9","Parameters":[{"Name":"Identity","Value":"alice\\\\gone"}]}\n'; } > "$t/r14r.json"
"$bin" load "$t/c14r.case" "$t/r14r.json" > /dev/null 2>&1
craft "$t/c14r.case" "UPDATE events SET ts = -9223372036854775808 WHERE record_id = 'r2-1'"
"$bin" hunt "$t/c14r.case" anti-forensics --format csv > "$t/r14r.out" 2>&1; rc=$?
check "14: anti-forensics over a rule made at INT64_MIN answers (exit 0)" bash -c "test $rc = 0 && ! grep -q 'runtime error' '$t/r14r.out'"

# 7. listing commands check their writes: a full disk, a closed stdout,
# a pipe whose reader left (SIGPIPE ignored) are errors, not exit 0
for cmd in "query $t/c8.case" "query $t/c8.case --raw --format jsonl" "stack $t/c8.case user" \
	"messages $t/c8.case" "histogram $t/c8.case" "hunt $t/c8.case" "info $t/c8.case" \
	"export $t/c8.case --format csv" "notes export $t/c8.case" "sources $t/c8.case" "fields" \
	"coverage $t/c8.case" "apps $t/c8.case" "hunt $t/c8.case inbox-rules"; do
	$bin $cmd > /dev/full 2> "$t/r7.err"; rc=$?
	check "7: $(echo "$cmd" | sed "s|$t/||") > /dev/full exits 1 naming the error" \
		bash -c "test $rc = 1 && grep -q 'No space left on device' '$t/r7.err'"
done
for cmd in "--help" "--version" "help query"; do
	$bin $cmd > /dev/full 2> "$t/r7.err"; rc=$?
	check "7: auditscope $cmd > /dev/full exits 1 naming the error" \
		bash -c "test $rc = 1 && grep -q 'No space left on device' '$t/r7.err'"
done
"$bin" query "$t/c8.case" --format csv >&- 2> "$t/r7.err"; rc=$?
check "7: query to a closed stdout exits 1" test $rc = 1
(trap '' PIPE; timeout 60 "$bin" query "$t/c11.case" --format jsonl --raw 2> "$t/r7.err" | head -1 > /dev/null; echo "${PIPESTATUS[0]}" > "$t/r7.rc")
check "7: SIGPIPE ignored: query | head -1 stops with EPIPE (exit 1)" \
	bash -c "test \"\$(cat '$t/r7.rc')\" = 1 && grep -q 'Broken pipe' '$t/r7.err'"

# 4. CSV formula injection: every listing command's --format csv goes
# through the one formula-safe writer (core/csvout.h): = + - @, the same
# after leading blanks, and the full-width forms get an apostrophe
{ rec r4-1 '=HYPERLINK(\"http://evil/\",\"x\")' ',"AppId":"@SUM(1+1)","Folders":[{"Path":" =1+1","FolderItems":[{"InternetMessageId":"+cmd"}]}],"MailboxOwnerUPN":"alice@contoso.com","OperationProperties":[{"Name":"MailAccessType","Value":"Bind"}]'
  rec r4-2 MailItemsAccessed ',"AppId":"\uff1dcmd()","Folders":[{"Path":"-2+3","FolderItems":[{"InternetMessageId":"\u3000=x"}]}],"MailboxOwnerUPN":"alice@contoso.com","OperationProperties":[{"Name":"MailAccessType","Value":"Bind"}]'
  printf '{"CreationTime":"2023-06-16T10:09:00","Id":"r4-3","Operation":"New-InboxRule","RecordType":1,"UserId":"alice@contoso.com","ClientIP":"203.0.113.9","Parameters":[{"Name":"Name","Value":"=cmd|%s"},{"Name":"ForwardTo","Value":"@evil.com"}]}\n' "' /C calc'!A0"; } > "$t/r4.json"
"$bin" load "$t/c4.case" "$t/r4.json" > /dev/null 2>&1
unsafe() { # unsafe FILE: print the cells a spreadsheet would run
	python3 -c '
import csv, re, sys
bad = re.compile("^[\\s\u3000]*[=+\\-@\uff1d\uff0b\uff0d\uff20]")
for row in csv.reader(open(sys.argv[1], encoding="utf-8", newline="")):
    for c in row:
        if bad.match(c) and not re.fullmatch("-?[0-9]+", c):
            print(c)' "$1"
}
for cmd in "query $t/c4.case --format csv" "stack $t/c4.case op --format csv" "stack $t/c4.case app --format csv" \
	"messages $t/c4.case --format csv" "hunt $t/c4.case inbox-rules --format csv" "apps $t/c4.case --format csv" \
	"export $t/c4.case --format csv"; do
	$bin $cmd > "$t/r4.csv" 2> /dev/null
	unsafe "$t/r4.csv" > "$t/r4.bad"
	check "4: $(echo "$cmd" | sed "s|$t/||"): no cell a spreadsheet runs" \
		bash -c "test -s '$t/r4.csv' && test ! -s '$t/r4.bad'"
done
"$bin" query "$t/c4.case" --format csv > "$t/r4.csv" 2> /dev/null
check "4: the neutralised value keeps its text after the apostrophe" grep -qF "'=HYPERLINK" "$t/r4.csv"

# 12. the record ids' table (ridx, schema 12): a load adds its events at
# its end; until then they are its window (meta ridx_from), which readers
# scan, so that ridx and the window hold every event at any time, a load
# killed with -9 too; the next load mends the table (and one whose table
# no longer matches, written by hand); a reader opening the case while a
# load runs neither waits for the load's lock nor fails
held="select (select coalesce(sum(length(keys)), 0) / 8 from ridx) + (select count(*) from events where id >= (select value from meta where key = 'ridx_from')) = (select count(*) from events) and (select count(*) from sqlite_master where name = 'ev_rid') = 0"
whole="select (select coalesce(sum(length(keys)), 0) / 8 from ridx) = (select count(*) from events) and (select count(*) from meta where key = 'ridx_from') = 0"
sqlite3 "$t/c11.case" 'DELETE FROM ridx WHERE k IN (SELECT k FROM ridx LIMIT 1)'
rec r12-1 A '' > "$t/r12.json"
(cat "$t/r12.json"; sleep 8) | "$bin" load "$t/c11.case" - > /dev/null 2>&1 & lpid=$!
for _ in $(seq 1 100); do
	[ "$(count "$t/c11.case" "select count(*) from sources where status = 'loading'" 2>/dev/null)" = 1 ] && break
	sleep 0.05
done
"$bin" query "$t/c11.case" --limit 1 --format csv > "$t/r12.out" 2> "$t/r12.err"; rc=$?
check "12: a query while a load runs answers (no 'database is locked')" bash -c "test $rc = 0 && ! grep -q locked '$t/r12.err'"
check "12: the load's start mends a record-id table that does not match; ridx and its window hold every event" \
	test "$(count "$t/c11.case" "$held")" = 1
wait $lpid
check "12: the load's end puts its events into ridx, no window left" test "$(count "$t/c11.case" "$whole")" = 1
# marks are found during a load, in ridx and in its window (before the
# table, 'query marked' scanned every event without the index)
"$bin" mark "$t/c11.case" 'record_id=r12-1' > /dev/null 2>&1
# (enough input for the reader to tell its format, then a pause)
for i in $(seq 2 3000); do rec "r12-$i" A ''; done > "$t/r12b.json"
(cat "$t/r12b.json"; sleep 4) | "$bin" load "$t/c11.case" - > /dev/null 2>&1 & lpid=$!
for _ in $(seq 1 60); do
	[ "$(count "$t/c11.case" "select count(*) from sources where status = 'loading'" 2>/dev/null)" = 1 ] && break
	sleep 0.05
done
for _ in $(seq 1 60); do # its first commit: events in the window
	[ "$(count "$t/c11.case" "select count(*) from events where record_id = 'r12-2'" 2>/dev/null)" = 1 ] && break
	sleep 0.05
done
"$bin" query "$t/c11.case" marked --format csv > "$t/r12m.out" 2>&1
check "12: query marked answers during a load" \
	bash -c "grep -q r12-1 '$t/r12m.out' && test \$(wc -l < '$t/r12m.out') = 2"
"$bin" query "$t/c11.case" 'record_id=r12-2' --format csv > "$t/r12w.out" 2>&1
check "12: and record_id= finds an event of the load's window" \
	bash -c "grep -q r12-2 '$t/r12w.out' && test \$(wc -l < '$t/r12w.out') = 2"
check "12: the load was running then" test "$(count "$t/c11.case" "select count(*) from sources where status = 'loading'")" = 1
kill -9 "$(pgrep -P "$lpid" -x auditscope || echo "$lpid")" 2>/dev/null
wait $lpid 2>/dev/null
check "12: a load killed with -9 leaves ridx and its window holding every event" test "$(count "$t/c11.case" "$held")" = 1
"$bin" query "$t/c11.case" 'marked or record_id=r12-2' --format csv > "$t/r12m.out" 2>&1
check "12: and queries still find its events" \
	bash -c "grep -q r12-1 '$t/r12m.out' && grep -q r12-2 '$t/r12m.out'"
rec r12-x A '' > "$t/r12x.json"
"$bin" load "$t/c11.case" "$t/r12x.json" > /dev/null 2>&1
check "12: the next load mends ridx: every event in it, no window" test "$(count "$t/c11.case" "$whole")" = 1

# Smaller: a slow stdin load is no source before its first bytes tell its
# format; info says that a load runs meanwhile (before: "0 sources" and
# nothing else)
(sleep 3; rec sl-1 A '') | "$bin" load "$t/csl.case" - > /dev/null 2>&1 & lpid=$!
for _ in $(seq 1 40); do
	"$bin" info "$t/csl.case" > "$t/sl.info" 2>&1 && grep -q "load into this case is running" "$t/sl.info" && break
	sleep 0.05
done
check "smaller: info during a slow stdin load says a load runs" grep -q "^a load into this case is running" "$t/sl.info"
wait $lpid
"$bin" info "$t/csl.case" > "$t/sl.info2" 2>&1
check "smaller: and not once it has ended" bash -c "grep -q '^events 1 ' '$t/sl.info2' && ! grep -q 'is running' '$t/sl.info2'"

# Smaller: a record id seen again with other content is a conflict, kept
# and counted, not merged away as a duplicate; the same record again (the
# same text, or another export's text of it) stays a duplicate
rec rc-1 MailItemsAccessed '' > "$t/rc1.json"
rec rc-2 MailItemsAccessed '' >> "$t/rc1.json"
# rc-1 again with another user; rc-2 again as other text of the same record
rec rc-1 MailItemsAccessed '' | sed 's/alice@/mallory@/' > "$t/rc2.json"
rec rc-2 MailItemsAccessed '' | sed 's/,"Operation"/, "Operation"/' >> "$t/rc2.json"
"$bin" load "$t/crc.case" "$t/rc1.json" > /dev/null 2>&1
"$bin" load "$t/crc.case" "$t/rc2.json" > "$t/rc.out" 2> "$t/rc.err"
check "smaller: a record id with other content warns, naming the file" grep -q "rc2.json: 1 records repeat a record id already loaded" "$t/rc.err"
check "smaller: and is kept verbatim as a conflict naming the field" \
	test "$(count "$t/crc.case" "select count(*) from rejects where reason glob 'conflict: record id rc-1 was loaded before (event 1) with another user' and cast(raw as text) like '%mallory@%'")" = 1
check "smaller: the stored event keeps its first content" test "$(count "$t/crc.case" "select v from events e join vals on vals.id = e.user where record_id = 'rc-1'")" = alice@contoso.com
check "smaller: other text of the same record stays a duplicate" grep -q "rc2.json: .* 2 records: 0 new events, 1 duplicates, 0 rejected.* (1 conflicting)" "$t/rc.out"
"$bin" info "$t/crc.case" > "$t/rc.info" 2>&1
check "smaller: info counts the conflict apart from rejects" \
	bash -c "grep -q '0 rejected rows' '$t/rc.info' && grep -q '^1 records repeat a record id' '$t/rc.info' && grep -q 'conflict: record id rc-1' '$t/rc.info'"
check "smaller: sources has a conflicts column beside rejects" \
	test "$("$bin" sources "$t/crc.case" --format csv | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } { printf "%s/%s ", $c["rejects"], $c["conflicts"] }')" = "0/0 0/1 "
check "smaller: and in the table" bash -c "'$bin' sources '$t/crc.case' | head -1 | grep -q 'rejects *conflicts'"
"$bin" export "$t/crc.case" --format markdown -o "$t/rc.md" > /dev/null 2>&1
check "smaller: the report counts it" grep -q "| conflicting records .* | 1 |" "$t/rc.md"
"$bin" load "$t/crc.case" "$t/rc2.json" > "$t/rc.out2" 2>&1
check "smaller: the same file again adds no second conflict" \
	test "$(count "$t/crc.case" "select count(*) from rejects")" = 1

# Smaller: a path that is not there creates no case and loads nothing
"$bin" load "$t/s1.case" "$t/r10.json" "$t/missing.json" > /dev/null 2> "$t/s1.err"; rc=$?
check "smaller: load NEW.case /missing exits 1 naming the path" bash -c "test $rc = 1 && grep -q 'missing.json: No such file or directory' '$t/s1.err'"
check "smaller: load NEW.case /missing creates no case" test ! -e "$t/s1.case"

# Smaller: a load stopped by a full disk does not leave its source
# "loading": the status says why it stopped (the disk fills after the
# load's first commit: 1500k was the edge, where main b680c19 too failed
# at 1400k before anything was committed; the tables of schema 11 tipped
# it over)
if unshare -rm true 2>/dev/null; then
	mkdir -p "$t/full"
	unshare -rm sh -c 'mount -t tmpfs -o size=2000k tmpfs "$1" && "$2" load "$1/c.case" "$3" > /dev/null 2>&1; echo $? > "$1.rc"; sqlite3 "$1/c.case" "select status from sources" > "$1.status"' \
		sh "$t/full" "$bin" "$t/big.jsonl"
	check "smaller: a load on a full disk exits 1" test "$(cat "$t/full.rc")" = 1
	check "smaller: its source's status names the full disk, not 'loading'" grep -q '^error: .*disk is full' "$t/full.status"
	# the same file fed in pieces with pauses, so that the load commits
	# each (as a busy machine's commits every second did): its last
	# commit took the disk's last page, and the status had no room
	# (4 runs of 4 'loading' on 4ffcfd4; the load keeps 64 KB aside now)
	mkdir -p "$t/full2"
	unshare -rm sh -c 'mount -t tmpfs -o size=2000k tmpfs "$1" && split -l 2000 --filter="cat; sleep 0.3" "$3" | "$2" load "$1/c.case" - > /dev/null 2>&1; echo $? > "$1.rc"; sqlite3 "$1/c.case" "select status from sources" > "$1.status"; ls "$1" > "$1.ls"' \
		sh "$t/full2" "$bin" "$t/big.jsonl"
	check "smaller: a load committing in pieces that fills the disk exits 1" test "$(cat "$t/full2.rc")" = 1
	check "smaller: and its source's status names the full disk, not 'loading'" grep -q '^error: .*disk is full' "$t/full2.status"
	check "smaller: and the disk it kept aside is given back (no CASE-reserve left)" bash -c "! grep -q reserve '$t/full2.ls'"
else
	echo "skip - smaller: a full disk (no user namespaces to mount a small tmpfs)"
fi

# Leftovers: read-only commands never write to a file that is not
# already a case (info on a 0-byte file wrote a schema into it, which then
# read as an empty case); each says so in one line naming the file
: > "$t/zero.case"
printf 'hello, not a case\n' > "$t/text.case"
sqlite3 "$t/notables.case" 'create table x(a); drop table x;'
for f in zero text trunc notables; do
	before=$(stat -c '%s %Y.%y' "$t/$f.case"; sha256sum < "$t/$f.case")
	for cmd in info query 'stack app' hunt 'export --format csv'; do
		set -- $cmd
		"$bin" "$1" "$t/$f.case" "${@:2}" > "$t/ro-$f.out" 2> "$t/ro-$f.err"; rc=$?
		check "leftovers: $cmd on $f.case fails with one line naming the file" \
			bash -c "test $rc = 1 && test \$(wc -l < '$t/ro-$f.err') = 1 && grep -q '$f.case: \(not an auditscope case file\|damaged case file\)' '$t/ro-$f.err'"
	done
	check "leftovers: $f.case is unchanged (bytes, size, time)" \
		test "$(stat -c '%s %Y.%y' "$t/$f.case"; sha256sum < "$t/$f.case")" = "$before"
	check "leftovers: nothing left beside $f.case" bash -c "! ls '$t/$f.case'-* 2>/dev/null | grep -q ."
done
grep -q 'zero.case: not an auditscope case file (empty file)' "$t/ro-zero.err"
check "leftovers: an empty file is 'not an auditscope case file (empty file)'" test $? = 0

# Leftovers: a hunt's cells keep what follows a \u0000 ("fwd\u0000hidden
# part" was the rule "fwd", "name of 3 characters"; its user "ad"): the
# NUL shows as \x00 as the sanitiser shows it, in the hunt, the timeline
# and a stack
rec rnul-1 New-InboxRule ',"Parameters":[{"Name":"Name","Value":"fwd\u0000hidden part"},{"Name":"ForwardTo","Value":"evil@example.com"}]' |
	sed 's/"UserId":"alice@contoso.com"/"UserId":"ad\\u0000min@contoso.com"/' > "$t/rnul.json"
"$bin" load "$t/cnul.case" "$t/rnul.json" > /dev/null 2>&1
"$bin" hunt "$t/cnul.case" inbox-rules > "$t/rnul.hunt" 2>&1
check "leftovers: a hunt shows a rule name whole past its \\u0000" grep -qF 'fwd\x00hidden part' "$t/rnul.hunt"
check "leftovers: and its user whole" grep -qF 'ad\x00min@contoso.com' "$t/rnul.hunt"
check "leftovers: and does not call it a 3-character name" bash -c "! grep -q 'name of 3 characters' '$t/rnul.hunt'"
"$bin" hunt "$t/cnul.case" inbox-rules --format jsonl > "$t/rnul.jsonl" 2>&1
check "leftovers: the hunt's JSON lines too" grep -qF 'fwd\\x00hidden part' "$t/rnul.jsonl"
check "leftovers: the timeline shows the user whole" bash -c "'$bin' query '$t/cnul.case' | grep -qF 'ad\\x00min@contoso.com'"
check "leftovers: a stack shows the user whole" bash -c "'$bin' stack '$t/cnul.case' user | grep -qF 'ad\\x00min@contoso.com'"

# Leftovers: a new case whose creation a full disk stops leaves nothing
# (a 16 KB file and its log before), at each size of disk from the schema
# to the load's first commit (without the five pivot indexes the case is
# made in 628 KB: 620 is the last size that stops it); a case that was
# there stays
if unshare -rm true 2>/dev/null; then
	rec rfull-1 A '' > "$t/rfull.json"
	unshare -rm sh -c 'for kb in 20 100 300 500 600 620; do
		mkdir -p "$1/$kb" && mount -t tmpfs -o size=${kb}k tmpfs "$1/$kb" &&
		"$2" load "$1/$kb/c.case" "$3" > /dev/null 2>&1; echo "$kb $? $(ls "$1/$kb" | tr "\n" " ")"
	done' sh "$t/fullc" "$bin" "$t/rfull.json" > "$t/fullc.out" 2>&1
	check "leftovers: a failed creation on a full disk exits 1 and leaves no file (6 sizes)" \
		bash -c "test \$(grep -c '^[0-9]* 1 \$' '$t/fullc.out') = 6"
	# an existing (empty-sourced) case on a full disk is not removed
	unshare -rm sh -c 'mkdir -p "$1" && mount -t tmpfs -o size=2m tmpfs "$1" &&
		"$2" load "$1/c.case" "$3" > /dev/null 2>&1 && head -c 4000000 /dev/zero > "$1/fill" 2>/dev/null;
		"$2" load "$1/c.case" "$4" > /dev/null 2> "$1.err"; rc=$?; rm -f "$1/fill"
		echo "$rc $(sqlite3 "$1/c.case" "select count(*) from events")"' \
		sh "$t/fulle" "$bin" "$t/rfull.json" "$t/big.jsonl" > "$t/fulle.out" 2>&1
	check "leftovers: a load into an existing case on a full disk keeps the case" grep -q '^1 1$' "$t/fulle.out"
	check "leftovers: and says the disk is full (not 'damaged case file')" \
		bash -c "grep -q 'c.case: .*No space left on device' '$t/fulle.err' && ! grep -q damaged '$t/fulle.err'"
else
	echo "skip - leftovers: a full disk (no user namespaces to mount a small tmpfs)"
fi

# Smaller: a piped table pads no line to the longest value (stack of 75
# users, one of them 100,000 characters long: 7.4 MB before), and keeps
# every value whole
long=$(head -c 100000 /dev/zero | tr '\0' 'u')
{ for i in $(seq 1 74); do printf '{"CreationTime":"2023-06-16T10:00:00","Id":"s4-%s","Operation":"A","UserId":"user%s@contoso.com"}\n' "$i" "$i"; done
  printf '{"CreationTime":"2023-06-16T10:00:00","Id":"s4-long","Operation":"A","UserId":"%s"}\n' "$long"; } > "$t/s4.json"
"$bin" load "$t/s4.case" "$t/s4.json" > /dev/null 2>&1
"$bin" stack "$t/s4.case" user > "$t/s4.out" 2>&1
check "smaller: piped stack of 75 values, one of 100,000 characters, is under 120 KB" test "$(wc -c < "$t/s4.out")" -lt 120000
check "smaller: and the long value is there whole" grep -q "$long" "$t/s4.out"

# 9. a Graph page cut short loads every complete record before the cut and
# says so (0 of 549 before); an array without its ']' is cut short too; a
# page whose @odata.nextLink names a page not loaded makes the load fail
python3 - "$t" <<'PY'
import json, sys
t = sys.argv[1]
recs = [{"id": "g9-%d" % i, "createdDateTime": "2023-06-16T10:%02d:%02dZ" % (i // 60 % 60, i % 60),
         "userPrincipalName": "alice@contoso.com", "appId": "a", "ipAddress": "203.0.113.9",
         "status": {"errorCode": 0}} for i in range(549)]
page = json.dumps({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",
                   "@odata.nextLink": "https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=x",
                   "value": recs})
open(t + "/g9-cut.json", "w").write(page[:len(page) // 2])
open(t + "/g9-arr.json", "w").write(json.dumps(recs)[:-1])
open(t + "/g9-p1.json", "w").write(page)
last = json.dumps({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",
                   "value": [dict(r, id="g9-last-%d" % i) for i, r in enumerate(recs[:10])]})
open(t + "/g9-p2.json", "w").write(last)
PY
"$bin" load "$t/g9a.case" "$t/g9-cut.json" > "$t/g9.out" 2> "$t/g9.err"; rc=$?
n=$(count "$t/g9a.case" 'select count(*) from events')
check "9: a Graph page cut in half loads the records before the cut ($n of about 274)" test "$n" -ge 270
check "9: the cut page exits 1" test $rc = 1
check "9: its source's status says it was cut short" \
	bash -c "sqlite3 '$t/g9a.case' 'select status from sources' | grep -q '^error: cut short: the input ends inside the page'"
"$bin" load "$t/g9b.case" "$t/g9-arr.json" > /dev/null 2>&1; rc=$?
check "9: an array without its ']' loads all 549 records" test "$(count "$t/g9b.case" 'select count(*) from events')" = 549
check "9: and exits 1 with the cut in its status" \
	bash -c "test $rc = 1 && sqlite3 '$t/g9b.case' 'select status from sources' | grep -q \"no closing ']'\""
"$bin" load "$t/g9c.case" "$t/g9-p1.json" > /dev/null 2> "$t/g9.err"; rc=$?
check "9: a page whose @odata.nextLink was not loaded exits 1" test $rc = 1
check "9: with one line naming the page" grep -q 'g9-p1.json: the last entra-signin-json page loaded has an @odata.nextLink' "$t/g9.err"
check "9: and the source's warning in the case" \
	bash -c "sqlite3 '$t/g9c.case' 'select warning from sources' | grep -q 'odata.nextLink'"
"$bin" load "$t/g9d.case" "$t/g9-p1.json" "$t/g9-p2.json" > /dev/null 2>&1; rc=$?
check "9: with the page it names loaded too, the load is complete (exit 0)" test $rc = 0
# 9. archives: a member that cannot be read (encrypted, a link, a device,
# nested too deep) and an archive cut short are sources in the case with
# the reason as their status; every complete member is loaded; exit 1
python3 - "$t" <<'PY'
import io, json, sys, tarfile, zipfile
t = sys.argv[1]
def rec(i):
    return json.dumps({"CreationTime": "2023-06-16T10:00:00", "Id": "z9-%d" % i, "Operation": "A",
                       "UserId": "alice@contoso.com"}) + "\n"
# a zip of 200 members cut short
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
    for i in range(200):
        z.writestr("m%03d.json" % i, rec(i) * 20)
data = buf.getvalue()
open(t + "/z9-cut.zip", "wb").write(data[:len(data) // 2])
# a zip whose second member says it is encrypted
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
    z.writestr("plain.json", rec(1000))
    z.writestr("secret.json", rec(1001))
data = bytearray(buf.getvalue())
# the second member says it is encrypted (general purpose flag bit 0), in
# its local header and in the central directory
data[data.find(b"PK\x03\x04", 4) + 6] |= 1
data[data.find(b"PK\x01\x02", data.find(b"PK\x01\x02") + 4) + 8] |= 1
open(t + "/z9-enc.zip", "wb").write(bytes(data))
# a tar with a symbolic link and a device among its members
with tarfile.open(t + "/z9-odd.tar", "w") as tf:
    b = rec(2000).encode()
    ti = tarfile.TarInfo("ok.json"); ti.size = len(b); tf.addfile(ti, io.BytesIO(b))
    ti = tarfile.TarInfo("link.json"); ti.type = tarfile.SYMTYPE; ti.linkname = "/etc/passwd"; tf.addfile(ti)
    ti = tarfile.TarInfo("dev"); ti.type = tarfile.CHRTYPE; ti.devmajor = 1; ti.devminor = 3; tf.addfile(ti)
# five zips deep
inner = rec(3000).encode()
name = "deep.json"
for d in range(5):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, inner)
    inner, name = buf.getvalue(), "level%d.zip" % d
open(t + "/z9-deep.zip", "wb").write(inner)
PY
"$bin" load "$t/z9a.case" "$t/z9-cut.zip" > /dev/null 2> "$t/z9.err"; rc=$?
n=$(count "$t/z9a.case" 'select count(*) from events')
check "9: a zip cut short loads its complete members ($n events) and exits 1" bash -c "test $rc = 1 && test $n -ge 90"
check "9: the cut zip is a source whose status says where reading stopped" \
	bash -c "sqlite3 '$t/z9a.case' \"select status from sources where path like '%z9-cut.zip'\" | grep -q '^error: .*stopped reading it after'"
"$bin" load "$t/z9b.case" "$t/z9-enc.zip" > /dev/null 2> "$t/z9.err"; rc=$?
check "9: an encrypted member: the other is loaded, exit 1" \
	bash -c "test $rc = 1 && test \$(sqlite3 '$t/z9b.case' 'select count(*) from events') = 1"
check "9: the encrypted member is a source with its reason" \
	bash -c "sqlite3 '$t/z9b.case' \"select status from sources where path like '%secret.json'\" | grep -q '^error: encrypted'"
"$bin" load "$t/z9c.case" "$t/z9-odd.tar" > /dev/null 2> "$t/z9.err"; rc=$?
check "9: a tar with a link and a device: its file loads, exit 1" \
	bash -c "test $rc = 1 && test \$(sqlite3 '$t/z9c.case' 'select count(*) from events') = 1"
check "9: the link and the device are sources with their reasons" \
	bash -c "sqlite3 '$t/z9c.case' \"select path || ' ' || status from sources\" | grep -q 'link.json error: a symbolic link' &&
		 sqlite3 '$t/z9c.case' \"select path || ' ' || status from sources\" | grep -q 'dev error: a device'"
"$bin" load "$t/z9d.case" "$t/z9-deep.zip" > /dev/null 2> "$t/z9.err"; rc=$?
check "9: an archive nested too deep is a source with its reason, exit 1" \
	bash -c "test $rc = 1 && sqlite3 '$t/z9d.case' 'select status from sources' | grep -q 'nested more than 4 deep'"
check "9: each with one warning line naming the member" grep -q 'level0.zip: archive nested more than 4 deep; skipped' "$t/z9.err"

# 3. sources read out of an archive or decompressed: their hash is of
# the content, so sha256sum -c on the name cannot check them (a .gz said
# FAILED, a member "no such file"); the report's bash block reads each out
# again (bsdtar, bsdcat), names with spaces, quotes, newlines and escapes
# included, and nothing in it is a raw control character
if command -v bsdtar > /dev/null && command -v bsdcat > /dev/null; then
	mkdir -p "$t/ev3z/in"
	(cd "$t/ev3z/in" && rec r3z-1 New-InboxRule '' > "$osc" && rec r3z-2 New-InboxRule '' > "$nl" &&
		rec r3z-3 New-InboxRule '' > "sp ace.json" && rec r3z-4 New-InboxRule '' > "g.json" && gzip g.json &&
		bsdtar -cf inner.tar "sp ace.json" && rm "sp ace.json" && rec r3z-5 New-InboxRule '' > g2.json &&
		gzip g2.json && bsdtar --format zip -cf ../m.zip -- *)
	(cd "$t/ev3z" && rec r3z-6 New-InboxRule '' > top.json && gzip top.json &&
		"$bin" load "$t/c3z.case" m.zip top.json.gz > /dev/null 2>&1)
	"$bin" export "$t/c3z.case" --format markdown -o "$t/r3z.md" > /dev/null 2>&1
	awk '/^Read out of an archive/ { on = 1; next } on && /^```+$/ { if (started) exit; started = 1; next } on && started' "$t/r3z.md" > "$t/r3z.sh"
	(cd "$t/ev3z" && bash "$t/r3z.sh" > "$t/r3z.check" 2>&1)
	check "3: every source read out of an archive or decompressed checks OK (6)" \
		bash -c "test \$(grep -c ': OK\$' '$t/r3z.check') = 6 && ! grep -q FAILED '$t/r3z.check'"
	check "3: a .gz on its own is checked through bsdcat" grep -q '^top.json.gz: OK$' "$t/r3z.check"
	check "3: a member of a tar inside the zip, with a space" grep -qF 'm.zip!inner.tar!sp ace.json: OK' "$t/r3z.check"
	check "3: the read-out block holds no raw control character" bash -c "! grep -q $'[\x01-\x08\x0b-\x1f\x7f]' '$t/r3z.sh'"
else
	echo "skip - 3: bsdtar/bsdcat not installed (libarchive-tools)"
fi

# 3 (leftovers). the report's code blocks cannot be closed early by what
# a crafted case holds (a "hash" of backticks); a name with other control
# characters is checked by a bash command with $'...' quoting
cp "$t/c3.case" "$t/c3b.case"
sqlite3 "$t/c3b.case" "UPDATE sources SET sha256='\`\`\`', path='' WHERE id = (SELECT min(id) FROM sources)"
"$bin" export "$t/c3b.case" --format markdown -o "$t/r3b.md" > /dev/null 2>&1
fenced_ok() { # every line of "How to reproduce" that is no fence is inside a block
	python3 - "$1" <<'PY'
import re, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
i = lines.index("## How to reproduce")
fence, outside = None, []
for l in lines[i + 1:]:
    if l.startswith("## "):
        break
    m = re.match(r"^(`{3,})\s*$", l)
    if fence is None and re.match(r"^`{3,}", l):
        fence = re.match(r"^(`{3,})", l).group(1)
    elif fence is not None and m and len(m.group(1)) >= len(fence):
        fence = None
    elif fence is None and l and not l.startswith(("Check", "Load", "The ", "Names", "Read out", "Never read")):
        outside.append(l)
sys.exit(1 if outside or fence is not None else 0)
PY
}
check "3: a crafted hash of backticks does not end the report's code block" fenced_ok "$t/r3b.md"
awk '/checked with bash/ { on = 1; next } on && /^```+$/ { if (started) exit; started = 1; next } on && started' "$t/r3.md" > "$t/r3.sh"
(cd "$t/ev" && bash "$t/r3.sh" > "$t/r3.shcheck" 2>&1)
check "3: a name with an escape sequence is checked by its bash command (OK)" \
	bash -c "test \$(grep -c ': OK\$' '$t/r3.shcheck') = 1 && ! grep -q $'\x1b' '$t/r3.sh'"

# 15. an analyst's write beside a running load: a load from a slow stdin
# that has written 5,000 records and waits for more does not hold the
# write lock (before: mark failed after 5 s, "database is locked"), and a
# running load lets a mark through (tests/bench_lockwait.c measures the
# waits)
rec r15-seed A '' > "$t/r15.json"
"$bin" load "$t/c15.case" "$t/r15.json" > /dev/null 2>&1
(head -5000 "$t/big.jsonl"; sleep 8) | "$bin" load "$t/c15.case" - > /dev/null 2>&1 & lpid=$!
for _ in $(seq 1 100); do
	[ "$(count "$t/c15.case" 'select count(*) from events' 2>/dev/null)" -gt 1 ] 2>/dev/null && break
	sleep 0.1
done
"$bin" mark "$t/c15.case" 'record_id=r15-seed' --note 'beside a load' > /dev/null 2> "$t/r15.err"; rc=$?
check "15: mark beside a slow-stdin load succeeds (no 'database is locked')" bash -c "test $rc = 0 && ! grep -q locked '$t/r15.err'"
# (taken at once if the load had the case free, else kept pending and
# applied at the load's next commit: within about a second)
for _ in $(seq 1 40); do
	[ "$(count "$t/c15.case" 'select count(*) from notes')" = 1 ] && break
	sleep 0.05
done
check "15: and the mark is in the case" test "$(count "$t/c15.case" 'select count(*) from notes')" = 1
wait $lpid
check "15: the load then completes (5,001 events)" test "$(count "$t/c15.case" 'select count(*) from events')" = 5001
# (leftovers: once the load and every analyst closed, no pending file
# stays beside the case; it stayed for ever before)
check "15: and no CASE-pending (nor its -wal, -shm) is left beside the case" \
	bash -c "! ls '$t/c15.case-pending'* 2>/dev/null | grep -q ."
# a pending file left beside the case (its load killed) is applied by the
# next command and then removed
sqlite3 "$t/c15.case-pending" "PRAGMA journal_mode=WAL; CREATE TABLE ops(seq INTEGER PRIMARY KEY, op INTEGER NOT NULL, record_id TEXT NOT NULL, kind INTEGER NOT NULL, arg TEXT, author TEXT NOT NULL, created TEXT NOT NULL); INSERT INTO ops(op, record_id, kind, arg, author, created) VALUES(3, 'r15-seed', 0, 'left-pending', 'bob', '2024-01-02T03:04:05Z');" > /dev/null
"$bin" query "$t/c15.case" 'tag=left-pending' > "$t/r15.q" 2>&1
check "15: a pending file left behind is applied by the next command" grep -q "1 events" "$t/r15.q"
check "15: and removed after it" bash -c "! ls '$t/c15.case-pending'* 2>/dev/null | grep -q ."
