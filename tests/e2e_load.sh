#!/usr/bin/env bash
# End-to-end: the real binary on hostile and broken input. Each check
# prints "ok - ..." or "not ok - ..." (tests/run.sh counts them). Nothing
# may crash or hang, every problem gets a one-line message naming the file
# or line, and nothing that can be kept is lost.
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
B=$(cd "$BUILD" && pwd)
bin=$B/auditscope
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0
check() { # check NAME COMMAND...: ok when COMMAND succeeds
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then echo "ok - $name"; else echo "not ok - $name"; fi
}
q() { "$bin" query "$@"; }
count() { sqlite3 "$1" "$2"; }

# A valid AuditData record as a Purview CSV row (doubled quotes).
row() { # row ID OP EXTRA
	local ad="{\"\"CreationTime\"\":\"\"2023-06-16T10:00:0$(( $1 % 10 ))\"\",\"\"Id\"\":\"\"$1\"\",\"\"Operation\"\":\"\"$2\"\",\"\"UserId\"\":\"\"Alice@Contoso.com\"\",\"\"ClientIP\"\":\"\"203.0.113.9:4431\"\"$3}"
	printf '%s,6/16/2023 10:00:00 AM,1,%s,alice@contoso.com,"%s",,\n' "$1" "$2" "$ad"
}
hdr='RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames'

# 1. truncated CSV: the last row is cut inside AuditData
{ echo "$hdr"; row 1 A ''; row 2 B ''; row 3 C '' | head -c 60; } > "$t/trunc.csv"
"$bin" load "$t/c1.case" "$t/trunc.csv" > "$t/out1" 2> "$t/err1"
check "truncated CSV keeps the good rows" test "$(count "$t/c1.case" 'select count(*) from events')" = 2
check "truncated CSV row is kept as a reject with its line" test "$(count "$t/c1.case" 'select line from rejects')" = 4
check "truncated CSV: info names the file and line" grep -q "trunc.csv:4: quoted field does not end" <("$bin" info "$t/c1.case")

# 2. broken quoting in the middle: later rows still load
{ echo "$hdr"; row 1 A ''; echo '9,6/16/2023,1,X,u,"{""a"":1}"oops,,'; row 2 B ''; row 3 C ''; } > "$t/quote.csv"
"$bin" load "$t/c2.case" "$t/quote.csv" > /dev/null 2>&1
check "broken quoting rejects one line" test "$(count "$t/c2.case" 'select count(*) from rejects')" = 1
check "broken quoting keeps the rows after it" test "$(count "$t/c2.case" 'select count(*) from events')" = 3

# 3. invalid UTF-8 and escape sequences in fields never reach the terminal raw
# (escaped as JSON writes them; a raw control byte inside a JSON string is
# invalid JSON, so that row is rejected and kept verbatim)
{ echo "$hdr"; row 1 New-InboxRule ",\"\"Parameters\"\":[{\"\"Name\"\":\"\"Name\"\",\"\"Value\"\":\"\"\\u001b[2J\\u001b]0;pwned\\u0007\\u202e\"\"}],\"\"ClientInfoString\"\":\"\"\\u001b[31mred$(printf '\xff\xfe')\"\"";
  row 2 Raw ",\"\"ClientInfoString\"\":\"\"$(printf '\033[31mraw')\"\""; } > "$t/esc.csv"
"$bin" load "$t/c3.case" "$t/esc.csv" > /dev/null 2>&1
check "escape-laden record loads" test "$(count "$t/c3.case" 'select count(*) from events')" = 1
check "raw control byte in JSON is a reject" test "$(count "$t/c3.case" 'select count(*) from rejects')" = 1
q "$t/c3.case" --format table > "$t/tab" 2>&1
check "table output has no raw ESC" bash -c "! grep -q $'\x1b' '$t/tab'"
q "$t/c3.case" --format jsonl --raw > "$t/jl" 2>&1
check "jsonl output has no raw ESC and parses" bash -c "! grep -q $'\x1b' '$t/jl' && python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' '$t/jl'"
"$bin" info "$t/c3.case" > "$t/inf" 2>&1
check "info output has no raw ESC" bash -c "! grep -q $'\x1b' '$t/inf'"

# 4. UTF-16LE without BOM, UTF-16BE with BOM
{ echo "$hdr"; row 1 A ''; row 2 B ''; } > "$t/plain.csv"
iconv -f UTF-8 -t UTF-16LE "$t/plain.csv" > "$t/le-nobom.csv"
{ printf '\xfe\xff'; iconv -f UTF-8 -t UTF-16BE "$t/plain.csv"; } > "$t/be.csv"
"$bin" load "$t/c4.case" "$t/le-nobom.csv" "$t/be.csv" > "$t/out4" 2>&1
check "UTF-16LE without BOM and UTF-16BE load (dedup across them)" test "$(count "$t/c4.case" 'select count(*) from events')" = 2
check "UTF-16 encodings are recorded" test "$(count "$t/c4.case" "select group_concat(encoding) from sources")" = "utf-16le,utf-16be"

# 5. a 50 MB field
python3 - "$t/big.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"CreationTime": "2023-06-16T10:00:00", "Id": "big-1", "Operation": "Big", "UserId": "a@b.c", "Blob": "x" * (50 << 20)}) + "\n")
    f.write(json.dumps({"CreationTime": "2023-06-16T10:00:01", "Id": "small-2", "Operation": "Small", "UserId": "a@b.c"}) + "\n")
PY
"$bin" load "$t/c5.case" "$t/big.jsonl" > /dev/null 2>&1
check "a 50 MB field loads and the record after it too" test "$(count "$t/c5.case" 'select count(*) from events')" = 2
check "the 50 MB record reads back whole" test "$(q "$t/c5.case" op=Big --format jsonl --raw | wc -c)" -gt 52428800

# 6. zip bomb: bounded with a clear error
yes A | head -c 300000000 | gzip -9 > "$t/bomb.csv.gz"
timeout 60 "$bin" load "$t/c6.case" "$t/bomb.csv.gz" > "$t/out6" 2> "$t/err6"
rc=$?
check "zip bomb is stopped (exit 1, not a crash or hang)" test "$rc" = 1
check "zip bomb error names the file" grep -q "bomb.csv.gz" "$t/out6"

# 7. ../ inside an archive is only a name
mkdir -p "$t/arch/sub"
cp "$t/plain.csv" "$t/arch/sub/x.csv"
(cd "$t/arch/sub" && python3 -c "
import zipfile; z=zipfile.ZipFile('../evil.zip','w'); z.write('x.csv','../../evil.csv'); z.write('x.csv','ok/x.csv'); z.close()")
"$bin" load "$t/c7.case" "$t/arch/evil.zip" > "$t/out7" 2> "$t/err7"
check "../ member is warned about" grep -q "outside" "$t/err7"
check "../ member is read in place, nothing extracted" bash -c "test ! -e '$t/evil.csv' && test \$(sqlite3 '$t/c7.case' 'select count(*) from events') = 2"

# 8. empty file, binary file, not a case file, missing path
: > "$t/empty.csv"
# random bytes, the same each run (from /dev/urandom 1 run in 15 read as text)
python3 -c "import random, sys; r = random.Random(24); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(5000)))" > "$t/blob.bin"
"$bin" load "$t/c8.case" "$t/empty.csv" "$t/blob.bin" > "$t/out8" 2> "$t/err8"
check "empty file is reported as such" grep -q "empty file" "$t/err8"
check "binary file is kept as a reject and reported" grep -q "blob.bin: binary" "$t/out8"
"$bin" load "$t/c9.case" "$t/nonexistent.csv" > /dev/null 2> "$t/err9"
rc=$?
check "missing path: exit 1 and a message naming it" bash -c "test $rc = 1 && grep -q 'nonexistent.csv' '$t/err9'"
"$bin" info "$t/plain.csv" > /dev/null 2> "$t/err10"
check "info on a non-case file: one line naming it" bash -c "test \$(wc -l < '$t/err10') = 1 && grep -q 'plain.csv' '$t/err10'"
"$bin" query "$t/c1.case" 'user=' > /dev/null 2> "$t/err11"
rc=$?
check "filter error: exit 2 with the column" bash -c "test $rc = 2 && grep -q 'column' '$t/err11'"

# 9. stdin, gz, folder walk, tar.gz, and idempotent reload
gzip -c "$t/plain.csv" > "$t/plain.csv.gz"
mkdir -p "$t/dir/a"
cp "$t/plain.csv" "$t/dir/a/one.csv"
tar -C "$t/dir" -czf "$t/bundle.tgz" a
"$bin" load "$t/c12.case" - < "$t/plain.csv" > /dev/null 2>&1
check "stdin loads" test "$(count "$t/c12.case" 'select count(*) from events')" = 2
"$bin" load "$t/c12.case" "$t/plain.csv.gz" "$t/dir" "$t/bundle.tgz" > "$t/out12" 2>&1
check "gz, folder and tar.gz of the same rows add nothing" test "$(count "$t/c12.case" 'select count(*) from events')" = 2
check "and count them as duplicates" test "$(count "$t/c12.case" 'select sum(duplicates) from sources')" = 6
# a member's source row holds its own bytes, not its archive's
sz=$(stat -c %s "$t/plain.csv")
check "a .gz stream's source has its own bytes" test "$(count "$t/c12.case" "select bytes from sources where path like '%plain.csv.gz'")" = "$sz"
check "a tar.gz member's source has its own bytes" test "$(count "$t/c12.case" "select bytes from sources where path like '%bundle.tgz!a/one.csv'")" = "$sz"
check "info shows a member's own bytes" grep -q ", $sz bytes" <("$bin" info "$t/c12.case" | grep -A2 'bundle.tgz!a/one.csv')

# 10. exactly 50,000 records: a truncation warning
python3 - "$t/fifty.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(50000):
        f.write(json.dumps({"CreationTime": "2023-06-16T10:00:00", "Id": "r%d" % i, "Operation": "X", "UserId": "a@b.c"}) + "\n")
PY
"$bin" load "$t/c13.case" "$t/fifty.jsonl" > /dev/null 2> "$t/err13"
check "exactly 50,000 records warns of truncation" grep -q "probably cut" "$t/err13"

# 11. Ctrl-C in the middle of a load: the case opens, holds what was
# committed, and loading again completes it without duplicates. The
# records come through a pipe that stops for a few seconds after 100,000
# of them (a slow source): the load commits what it has once its input
# runs dry, and the interrupt comes then, in the middle whatever the
# machine's speed (a file of 150,000 read at once was loaded whole
# before its first commit on a quiet machine, where the load commits
# every 200,000 events or every second). The interrupt, which comes
# while the pipe is silent, ends the load at once (11b).
"$B/auditgen" --format jsonl --events 150000 --seed 7 -o "$t/big.jsonl" 2>/dev/null
{ head -n 100000 "$t/big.jsonl"; sleep 4; tail -n +100001 "$t/big.jsonl"; } 2>/dev/null |
	"$bin" load "$t/c14.case" - > "$t/out14" 2> "$t/err14" &
pid=$!
for _ in $(seq 1 400); do
	sleep 0.05
	n=$(sqlite3 "$t/c14.case" 'select count(*) from events' 2>/dev/null || echo 0)
	[ "${n:-0}" -gt 0 ] && break
done
kill -INT "$pid"
wait "$pid"
rc=$?
check "interrupted load exits 130 and says so" bash -c "test $rc = 130 && grep -q 'interrupted' '$t/err14'"
part=$(sqlite3 "$t/c14.case" 'select count(*) from events')
check "interrupted case opens and holds what was committed" bash -c "test '$part' -gt 0 && test '$part' -lt 150000 && '$bin' info '$t/c14.case' > /dev/null"
"$bin" load "$t/c14.case" "$t/big.jsonl" > "$t/out15" 2>&1
check "loading again completes it" test "$(count "$t/c14.case" 'select count(*) from events')" = 150000
check "and counts what it had as duplicates" test "$(count "$t/c14.case" 'select duplicates from sources order by id desc limit 1')" = "$part"

# 11b. The stop signals while the input is silent: a pipe on stdin and a
# FIFO that send some records and then nothing for a minute, a FIFO that
# no writer has opened. The load ends at once (within 5 s: it took the
# pipe's next bytes before, here a minute), exit 130, one line saying it
# was interrupted, every record read kept (the load commits part of them
# when its input runs dry, the rest as it stops), no reject for a record
# cut by the stop, and the source "interrupted", not an error of the file.
head -n 2000 "$t/big.jsonl" > "$t/2k.jsonl"
gone() { # gone PID: the process ended within 5 s (then its status in rc)
	for _ in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -9 "$1"
		wait "$1" 2>/dev/null
		rc=late
		return 1
	fi
	wait "$1"
	rc=$?
}
stalled() { # stalled NAME SIGNAL WHERE: WHERE is - (stdin) or fifo
	local c=$t/$1.case f=$t/$1.fifo
	mkfifo "$f"
	{ cat "$t/2k.jsonl"; exec sleep 60; } > "$f" 2>/dev/null &
	local w=$!
	if [ "$3" = - ]; then
		"$bin" load "$c" - < "$f" > "$t/$1.out" 2> "$t/$1.err" &
	else
		"$bin" load "$c" "$f" > "$t/$1.out" 2> "$t/$1.err" &
	fi
	local pid=$!
	# the signal once all 2,000 are committed (the load commits when its
	# input runs dry): at its first commit, which comes every second on a
	# busy machine, part of them could still be in the pipe, unread
	for _ in $(seq 1 400); do
		[ "$(count "$c" 'select count(*) from events' 2>/dev/null || echo 0)" -ge 2000 ] && break
		sleep 0.05
	done
	kill -"$2" "$pid"
	gone "$pid"
	check "$1: SIG$2 while the input is silent ends the load at once, exit 130" test "$rc" = 130
	kill "$w" 2>/dev/null
	wait "$w" 2>/dev/null
	check "$1: one line says it was interrupted" test "$(grep -c 'load interrupted' "$t/$1.err")" = 1
	check "$1: the records read are in the case, no reject" \
		test "$(count "$c" 'select count(*) from events')/$(count "$c" 'select count(*) from rejects')" = 2000/0
	check "$1: its source is interrupted, not an error" test "$(count "$c" 'select status from sources')" = interrupted
	# the IP databases are not read after the stop (seconds on a busy
	# machine before, between the signal and the exit): no place looked
	# up, the case says so, and the next load looks them up
	check "$1: no IP place looked up after the stop" \
		test "$(count "$c" "select count(*) from ipgeo")/$(count "$c" "select count(*) from meta where key = 'geoip'")" = 0/0
	check "$1: info says the places are not looked up" \
		bash -c "'$bin' info '$c' | grep -q '^ip places not looked up'"
	check "$1: and it says how they will be" grep -q 'look up the places of its IP addresses' "$t/$1.err"
	"$bin" load -q "$c" "$t/2k.jsonl" > /dev/null 2>&1
	check "$1: the next load looks them up" \
		test "$(count "$c" "select count(*) from ipgeo")" -gt 0 -a \
		"$(count "$c" "select count(*) from meta where key = 'geoip'")" = 1
}
stalled stdin INT -
stalled fifo TERM fifo
# A stop while the load ends reading the IP databases: an ASN table of
# --geoip DIR that never ends (a FIFO fed by yes), the signal once the
# load has it open. The reading gives up at the stop (before, it went on
# to the table's end: here never), exit 130, no place looked up, a line
# saying so; what was loaded is complete.
mkdir "$t/endless"
mkfifo "$t/endless/asn-ipv4-num.csv"
yes 16777216,16777217,64500,Owner > "$t/endless/asn-ipv4-num.csv" 2>/dev/null &
y=$!
"$bin" load "$t/endless.case" "$t/2k.jsonl" --geoip "$t/endless" > /dev/null 2> "$t/endless.err" &
pid=$!
for _ in $(seq 1 400); do
	ls -l "/proc/$pid/fd" 2>/dev/null | grep -q asn-ipv4-num.csv && break
	sleep 0.05
done
kill -INT "$pid"
gone "$pid"
check "a stop while the IP databases are read ends the load, exit 130" test "$rc" = 130
kill "$y" 2>/dev/null
wait "$y" 2>/dev/null
check "the load is complete, no place looked up, a line says so" \
	test "$(count "$t/endless.case" 'select count(*) from events')/$(count "$t/endless.case" 'select count(*) from ipgeo')/$(grep -c 'places of the new IP addresses were not looked up' "$t/endless.err")" = 2000/0/1
mkfifo "$t/nowriter.fifo"
"$bin" load "$t/nowriter.case" "$t/nowriter.fifo" > /dev/null 2> "$t/nowriter.err" &
pid=$!
# the signal once the load has its handler (SigCgt): a fixed sleep let a
# busy machine's signal come first, and the default action ended it (129)
for _ in $(seq 1 100); do
	[ $((0x$(awk '/^SigCgt:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0) & 1)) = 1 ] && break
	sleep 0.05
done
sleep 0.2
kill -HUP "$pid"
gone "$pid"
check "a FIFO no writer opened: SIGHUP ends the load, exit 130" test "$rc" = 130
check "and it is no error of the FIFO" bash -c "! grep -q 'Interrupted system call' '$t/nowriter.err' && test \"\$(sqlite3 '$t/nowriter.case' 'select count(*) from sources where status like \"error%\"')\" = 0"

# 12. JSON Lines output stays one record a line when the export's records
# span lines (PowerShell -Formatted)
"$B/auditgen" --format psh-csv --formatted --events 200 --no-attack --seed 3 -o "$t/fmt.csv" 2>/dev/null
"$bin" load "$t/c16.case" "$t/fmt.csv" > /dev/null 2>&1
"$bin" query "$t/c16.case" --format jsonl --raw > "$t/fmt.jsonl" 2>/dev/null
check "-Formatted records load" test "$(count "$t/c16.case" 'select count(*) from events')" = 200
check "query --raw --format jsonl: one valid object a line" python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 200, len(lines)
for l in lines:
    assert isinstance(json.loads(l)["raw"], dict)
' "$t/fmt.jsonl"

# issue 11: a file of no known shape is refused whole, every row counted,
# and a load from which nothing could be used exits 1; with one good file
# beside it the load still says the other could not be read (exit 1)
printf 'host,owner\na,b\nc,d\ne,f\n' > "$t/inventory.csv"
"$bin" load "$t/c11.case" "$t/inventory.csv" > "$t/c11.out" 2> "$t/c11.err"
check "unknown CSV: the load exits 1" test $? = 1
check "unknown CSV: its 3 rows are 3 rejects" test "$(count "$t/c11.case" 'select count(*) from rejects')" = 3
check "unknown CSV: one line says why" grep -q "not a recognised audit export header: host,owner (the file's 3 rows were refused)" "$t/c11.out"
printf '{"time":"2024-02-01T07:01:00Z","category":"MicrosoftGraphActivityLogs","properties":{"requestId":"r1","requestMethod":"GET","requestUri":"https://graph.microsoft.com/v1.0/me/messages","appId":"a1","ipAddress":"198.51.100.7"}}\n' > "$t/graph.jsonl"
"$bin" load "$t/c12.case" "$t/graph.jsonl" > /dev/null 2>&1
check "Graph activity: loads, exit 0" test $? = 0
check "Graph activity: kind=graph_activity finds it" grep -q '"detail":"GET https://graph.microsoft.com/v1.0/me/messages"' <("$bin" query "$t/c12.case" kind=graph_activity --format jsonl)

# issue 15: the pivots other than time are posting lists the load writes
# with its events (core/sqlite/pivots.h), not indexes: none is built at
# a load's end. While a load runs a query on them answers, from what is
# committed; killed with -9 it leaves the case whole, lists and events
# alike.
pivots="select count(*) from sqlite_master where type='index' and name in ('ev_user','ev_app','ev_ip','ev_op','ev_session')"
listed="select (select sum(n) from pivots where col = 0) - (select count(*) from events where user is not null)"
{ echo "$hdr"; row 1 A ''; row 2 B ''; } > "$t/piv.csv"
"$bin" load "$t/c15.case" "$t/piv.csv" > /dev/null 2>&1
check "pivots: no pivot index after a load" test "$(count "$t/c15.case" "$pivots")" = 0
check "pivots: every event's user in the lists" test "$(count "$t/c15.case" "$listed")" = 0
(printf '%s\n' "$hdr"; row 3 C ''; sleep 10) | "$bin" load "$t/c15.case" - > /dev/null 2>&1 & lpid=$!
for _ in $(seq 1 100); do
	[ "$(count "$t/c15.case" 'select count(*) from sources')" -ge 2 ] 2>/dev/null && break
	sleep 0.05
done
got=$(q "$t/c15.case" user=alice@contoso.com --format csv 2>/dev/null | tail -n +2 | wc -l)
check "pivots: user= answers during the load, from what is committed" \
	test "$got" -ge 2 -a "$got" = "$(count "$t/c15.case" 'select count(*) from events')"
src_status() { "$bin" sources "$1" --format csv 2>/dev/null | python3 -c '
import csv, sys
print(" ".join(r["status"] for r in csv.DictReader(sys.stdin)))'; }
check "sources: the running load's source is loading" test "$(src_status "$t/c15.case")" = "complete loading"
kill -9 "$(pgrep -P "$lpid" -x auditscope || echo "$lpid")" 2>/dev/null
wait "$lpid" 2>/dev/null
check "sources: once the load is killed its source is interrupted, not loading" \
	test "$(src_status "$t/c15.case")" = "complete interrupted"
check "pivots: a load killed with -9 leaves the case whole" test "$(count "$t/c15.case" 'select count(*) from events')" -ge 2
check "pivots: and its lists with its events" test "$(count "$t/c15.case" "$listed")" = 0
got=$(q "$t/c15.case" user=alice@contoso.com --format csv 2>/dev/null | tail -n +2 | wc -l)
check "pivots: user= after the kill finds every committed event" test "$got" = "$(count "$t/c15.case" 'select count(*) from events')"
check "pivots: ridx and the killed load's window (meta ridx_from) hold every event" test "$(count "$t/c15.case" "select (select coalesce(sum(length(keys)), 0) / 8 from ridx) + (select count(*) from events where id >= (select value from meta where key = 'ridx_from')) = (select count(*) from events)")" = 1

# issue 15: a file partly in the case already, loaded into it, then the
# whole file again. The records the case has are duplicates (the value
# map's prefetch passes their values by: load_values_prefetch_map), and
# every other record's values are found or added once each, as a load of
# the whole file into an empty case has them.
"$B/auditgen" --format jsonl --cardinality high --events 20000 --seed 11 -o "$t/hi.jsonl" 2>/dev/null
awk 'NR % 3 == 1' "$t/hi.jsonl" > "$t/hi-third.jsonl"
"$bin" load "$t/r1.case" "$t/hi-third.jsonl" > /dev/null 2>&1
"$bin" load "$t/r1.case" "$t/hi.jsonl" > /dev/null 2>&1
"$bin" load "$t/r1.case" "$t/hi.jsonl" > /dev/null 2>&1
"$bin" load "$t/r2.case" "$t/hi.jsonl" > /dev/null 2>&1
third=$(wc -l < "$t/hi-third.jsonl")
check "reload: the records the case had are duplicates" \
	test "$(count "$t/r1.case" 'select sum(duplicates) from sources')" = $((third + 20000))
check "reload: the case holds the file's events once" \
	test "$(count "$t/r1.case" 'select count(*) from events')" = "$(count "$t/r2.case" 'select count(*) from events')"
check "reload: each value once, as a load into an empty case" \
	test "$(count "$t/r1.case" 'select count(*), count(distinct v) from vals')" = \
	"$(count "$t/r2.case" 'select count(*), count(distinct v) from vals')"
check "reload: the same events by user, ip and session" \
	test "$("$bin" stack "$t/r1.case" user,ip,session 2>&1 | md5sum)" = "$("$bin" stack "$t/r2.case" user,ip,session 2>&1 | md5sum)"

# issue 15: the value map's filter is kept with the case by each load's
# end (meta vidx_filter, made for its highest value and source ids) and
# taken by the next load instead of made again from every value. Shown
# taken: its bits cleared, the next load finds none of the case's values
# (each a second time in vals). A filter made for another case (its
# source id changed: a load killed after adding a source) is passed by,
# and a killed load's values are found by the next.
vf() { count "$1" "select hex(substr(value, $2, 8)) from meta where key = 'vidx_filter'"; }
le() { printf '%016X' "$1" | sed 's/../& /g' | awk '{ for (i = NF; i > 0; i--) printf "%s", $i }'; }
"$bin" load "$t/r3.case" "$t/hi-third.jsonl" > /dev/null 2>&1
check "value filter: kept, made for the highest value id" \
	test "$(vf "$t/r3.case" 9)" = "$(le "$(count "$t/r3.case" 'select max(id) from vals')")"
cp "$t/r3.case" "$t/r4.case"
clear="update meta set value = zeroblob(length(value)) where key like 'vidx_filter.%'"
count "$t/r3.case" "$clear"
"$bin" load "$t/r3.case" "$t/hi.jsonl" > /dev/null 2>&1
check "value filter: taken by the next load (cleared: the case's values not found)" \
	test "$(count "$t/r3.case" 'select count(*) > count(distinct v) from vals')" = 1
count "$t/r4.case" "$clear; update meta set value = substr(value, 1, 16) || x'6300000000000000' || substr(value, 25) where key = 'vidx_filter'"
"$bin" load "$t/r4.case" "$t/hi.jsonl" > /dev/null 2>&1
check "value filter: one made for another case passed by" \
	test "$(count "$t/r4.case" 'select count(*), count(distinct v) from vals')" = "$(count "$t/r2.case" 'select count(*), count(distinct v) from vals')"
"$B/auditgen" --format jsonl --cardinality high --events 20000 --seed 12 -o "$t/hi2.jsonl" 2>/dev/null
(head -n 12000 "$t/hi2.jsonl"; sleep 10) | "$bin" load "$t/r4.case" - > /dev/null 2>&1 & lpid=$!
for _ in $(seq 1 200); do
	[ "$(count "$t/r4.case" 'select max(id) from vals')" -gt "$(count "$t/r2.case" 'select max(id) from vals')" ] 2>/dev/null && break
	sleep 0.05
done
kill -9 "$(pgrep -P "$lpid" -x auditscope || echo "$lpid")" 2>/dev/null
wait "$lpid" 2>/dev/null
"$bin" load "$t/r4.case" "$t/hi2.jsonl" > /dev/null 2>&1
"$bin" load "$t/r5.case" "$t/hi.jsonl" "$t/hi2.jsonl" > /dev/null 2>&1
check "value filter: after a load killed with -9, each value once" \
	test "$(count "$t/r4.case" 'select count(*), count(distinct v) from vals')" = "$(count "$t/r5.case" 'select count(*), count(distinct v) from vals')"
check "value filter: and the same events" \
	test "$("$bin" stack "$t/r4.case" user,ip,session 2>&1 | md5sum)" = "$("$bin" stack "$t/r5.case" user,ip,session 2>&1 | md5sum)"
