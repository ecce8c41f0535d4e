#!/usr/bin/env bash
# End-to-end: what an unlucky responder is handed, through the real
# binary. The case file kept in the folder of exports it loads (its own
# files are skipped, not read as evidence); a CR-only export large enough
# to be mapped (every record, the file's own hash); a JSON Lines record
# past the record size limit (its line rejected, the records after it
# read); a pretty-printed array with a raw control byte in an element (one
# reject, the element whole); a file name holding an escape sequence and
# a newline (no control character reaches a terminal from load, info,
# sources or the report); a .gz and a zip cut short (the records before
# the cut are events); a read-only case and folder (a load says it cannot
# write, not that the case is damaged); the interface with TERM unset or
# unknown (what to run instead).
. "$(dirname "$0")/e2e_lib.sh"
if ! command -v python3 > /dev/null || ! command -v script > /dev/null; then
	echo "skip - e2e_unlucky: python3 or script(1) not found"
	exit 0
fi
# script(1) runs its -c command through $SHELL (/bin/sh where it is unset,
# as under CI); the commands are quoted by bash's printf %q ($'...')
SHELL=$(command -v bash)
export SHELL
cd "$t" || exit 1
python3 - << 'EOF'
import json
def rec(i, **kw):
    r = {"CreationTime": "2023-06-18T10:%02d:%02d" % (i // 60 % 60, i % 60), "Id": "r-%d" % i,
         "Operation": "MailItemsAccessed", "RecordType": 50, "Workload": "Exchange",
         "UserId": "u%d@contoso.com" % (i % 7), "ClientIP": "203.0.113.%d" % (i % 200)}
    r.update(kw)
    return r
# CR-only CSV, Purview's columns, ~9 MB (mapped: 8 MB and more)
rows = ['RecordId,CreationDate,RecordType,Operation,UserId,AuditData']
for i in range(12000):
    ad = json.dumps(rec(i, Pad="p" * 600)).replace('"', '""')
    rows.append('r-%d,2023-06-18T10:00:00,50,MailItemsAccessed,u@contoso.com,"%s"' % (i, ad))
open("cr.csv", "w", newline="").write("\r".join(rows) + "\r")
# JSON Lines, line 2 of 3 MB (the load runs with --max-record-mb 1)
with open("big.jsonl", "w") as f:
    f.write(json.dumps(rec(1)) + "\n")
    f.write(json.dumps(rec(2, Big="x" * (3 << 20))) + "\n")
    for i in range(3, 6):
        f.write(json.dumps(rec(i)) + "\n")
# a pretty-printed array, element 3 holding a raw ESC in a string
t = json.dumps([rec(i) for i in range(1, 6)], indent=2).replace("r-3", "r-\x1b[2J3")
open("pretty.json", "w").write(t)
EOF

# --- a .gz and a zip cut short (a download that stopped) ----------------------
# libarchive's archive_read_data returned a failing block's error alone,
# what it had copied of the request before lost: the cut .gz gave none
# of its records
python3 - << 'EOF'
import gzip, json, zipfile, zlib
def rec(i):
    return json.dumps({"CreationTime": "2023-06-18T%02d:%02d:%02d" % (i // 3600, i // 60 % 60, i % 60),
                       "Id": "g-%d" % i, "Operation": "MailItemsAccessed", "RecordType": 50, "Workload": "Exchange",
                       "UserId": "u%d@contoso.com" % (i % 7), "ClientIP": "203.0.113.%d" % (i % 200)}) + "\n"
g = gzip.compress("".join(rec(i) for i in range(20000)).encode())
cut = g[:len(g) // 2]
open("cut.jsonl.gz", "wb").write(cut)
d = zlib.decompressobj(16 + 15).decompress(cut)
open("cut.lines", "w").write(str(d.count(b"\n")))
with zipfile.ZipFile("cut.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for m in range(2):
        z.writestr("m%d.jsonl" % m, "".join(rec(m * 10000 + i) for i in range(10000)))
b = open("cut.zip", "rb").read()
open("cut.zip", "wb").write(b[:len(b) * 3 // 4])
EOF
lines=$(cat cut.lines)
"$bin" load -q gz.case cut.jsonl.gz > gz.out 2>&1
is "a .gz cut in half: exit 1" "$?" 1
n=$(sqlite3 gz.case 'select count(*) from events')
# libarchive keeps back the block it was decoding, and a 16 KB step may
# go with it: 9,659 of 10,014 here; 90% or more
if [ "$n" -le "$lines" ] && [ "$n" -ge $((lines * 9 / 10)) ]; then
	ok "... its records before the cut are events ($n of $lines)"
else
	nok "... its records before the cut are events" "$n of $lines"
fi
has "... and the source says it was cut" "$("$bin" sources gz.case)" "error: cut.jsonl.gz: truncated gzip input"
"$bin" load -q zip.case cut.zip > zip.out 2>&1
is "a zip cut at 3/4: m0 whole" "$(sqlite3 zip.case "select events from sources where path = 'cut.zip!m0.jsonl'")" 10000
n=$(sqlite3 zip.case "select events from sources where path = 'cut.zip!m1.jsonl'")
if [ "${n:-0}" -ge 4000 ]; then
	ok "... m1's records before the cut are events ($n)"
else
	nok "... m1's records before the cut are events" "got ${n:-none}"
fi

# --- a zip cut short, a stored zip inside it -----------------------------------
# Given seeking, libarchive finds a zip's central directory by searching
# its last bytes: in the cut zip it found the stored inner zip's, read
# the inner zip's member alone and said the source was complete; the
# outer members and the cut were lost without a word
python3 - << 'EOF2'
import io, json, zipfile
def rec(p, i):
    return json.dumps({"CreationTime": "2023-06-18T10:%02d:%02d" % (i // 60 % 60, i % 60), "Id": "%s-%d" % (p, i),
                       "Operation": "MailItemsAccessed", "RecordType": 50, "UserId": "u@contoso.com"}) + "\n"
inner = io.BytesIO()
with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("in.jsonl", "".join(rec("i", i) for i in range(3000)))
with zipfile.ZipFile("nest.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("a.jsonl", "".join(rec("a", i) for i in range(3000)))
    z.writestr("inner.zip", inner.getvalue(), compress_type=zipfile.ZIP_STORED)
    z.writestr("b.jsonl", "".join(rec("b", i) for i in range(3000)))
    z.comment = b"a comment at the end"
b = open("nest.zip", "rb").read()
open("nestcut.zip", "wb").write(b[:b.find(b"b.jsonl") + 2000])
EOF2
"$bin" load -q nest.case nest.zip > nest.out 2>&1
is "a whole zip with a stored zip inside and a comment: every member" \
	"$(sqlite3 nest.case "select group_concat(path || '=' || events, ' ') from sources")" \
	"nest.zip!a.jsonl=3000 nest.zip!inner.zip!in.jsonl=3000 nest.zip!b.jsonl=3000"
"$bin" load -q nestcut.case nestcut.zip > nestcut.out 2> nestcut.err
is "the same zip cut in its last member: exit 1" "$?" 1
is "... the outer member before the inner zip is read" \
	"$(sqlite3 nestcut.case "select events from sources where path = 'nestcut.zip!a.jsonl'")" 3000
is "... and the inner zip's" \
	"$(sqlite3 nestcut.case "select events from sources where path = 'nestcut.zip!inner.zip!in.jsonl'")" 3000
has "... the cut is said" "$(cat nestcut.err)" "nestcut.zip: Truncated input file"
is "... and recorded: the archive and its cut member are errors" \
	"$(sqlite3 nestcut.case "select count(*) from sources where status like 'error:%'")" 2

# --- sparse files: holes of gigabytes ---------------------------------------
# A hole (never written: zeros) was read through the page cache to its
# end and its zeros handed to the readers, which cut them into records of
# the largest size, each kept as a reject and the cuts counted as
# duplicates of one another (1 GB: 22 s, a 536 MB case, 2 "duplicates");
# an all-NUL file was refused as binary, then read whole for its hash.
# Now a hole is hashed unread and the reader gets its first 4 KB.
python3 - << 'EOF2'
hdr = b"RecordId,CreationDate,RecordType,Operation,UserId,AuditData\n"
def row(i):
    return (b'r-%d,2023-06-18T10:00:00,50,MailItemsAccessed,u@contoso.com,"{""CreationTime"":""2023-06-18T10:00:%02d"",'
            b'""Id"":""r-%d"",""Operation"":""MailItemsAccessed""}"\n' % (i, i % 60, i))
with open("sparse.csv", "wb") as f:
    f.write(hdr + b"".join(row(i) for i in range(10)))
    f.seek(1 << 30, 1)
    f.write(b"".join(row(i) for i in range(10, 20)))
def rec(i):
    return b'{"CreationTime":"2023-06-18T10:00:%02d","Id":"h-%d","Operation":"Op"}\n' % (i % 60, i)
with open("holes.jsonl", "wb") as f:
    for k in range(5):
        f.write(b"".join(rec(k * 10 + i) for i in range(10)))
        f.seek(64 << 20, 1)
    f.write(b"".join(rec(50 + i) for i in range(10)))
open("allnul.bin", "wb").truncate(2 << 30)
EOF2
"$bin" load sparse.case sparse.csv > sparse.out 2> sparse.err
is "a CSV with a 1 GB hole: exit 0" "$?" 0
is "... its 20 rows are events, no duplicate, no reject" \
	"$(sqlite3 sparse.case "select events || ' ' || duplicates || ' ' || rejects from sources")" "20 0 0"
is "... the file's own hash" "$(sqlite3 sparse.case 'select sha256 from sources')" "$(sha256sum < sparse.csv | cut -d' ' -f1)"
has "... the hole is said" "$(cat sparse.err)" "sparse.csv: bytes 4096 to 1073741823 are a hole of a sparse file"
sz=$(stat -c %s sparse.case)
if [ "$sz" -lt $((8 << 20)) ]; then ok "... the case stays small ($sz bytes)"; else nok "... the case stays small" "$sz bytes"; fi
"$bin" load -q holes.case holes.jsonl > /dev/null 2>&1
is "JSON Lines with five 64 MB holes: the lines around them are events, each hole's line one reject" \
	"$(sqlite3 holes.case "select events || ' ' || rejects from sources")" "55 5"
is "... each reject a hole's first 4 KB, not 64 MB" "$(sqlite3 holes.case 'select max(length(raw)) < 16384 from rejects')" 1
is "... the file's own hash" "$(sqlite3 holes.case 'select sha256 from sources')" "$(sha256sum < holes.jsonl | cut -d' ' -f1)"
"$bin" load allnul.case allnul.bin > allnul.out 2> allnul.err
is "a 2 GB file of NUL bytes: refused (exit 1)" "$?" 1
has "... as binary" "$(sqlite3 allnul.case 'select status from sources')" "error: binary data (NUL bytes only)"
has "... a hole, said" "$(cat allnul.err)" "allnul.bin: bytes 0 to 2147483647 are a hole of a sparse file"
is "... the file's own hash" "$(sqlite3 allnul.case 'select sha256 from sources')" "$(sha256sum < allnul.bin | cut -d' ' -f1)"
rm -f sparse.csv holes.jsonl allnul.bin

# --- UTF-32 ------------------------------------------------------------------
# (taken for UTF-16LE, every other character a NUL: refused as binary)
python3 - << 'EOF2'
import json
t = "".join(json.dumps({"CreationTime": "2023-06-18T10:00:%02d" % i, "Id": "u32-%d" % i, "Operation": "Send",
                        "UserId": "jörg%d@contoso.com" % i, "Subject": "😀 日本"}, ensure_ascii=False) + "\n" for i in range(5))
for name, enc, bom in (("le", "utf-32-le", b""), ("be", "utf-32-be", b""),
                       ("lebom", "utf-32-le", b"\xff\xfe\x00\x00"), ("bebom", "utf-32-be", b"\x00\x00\xfe\xff")):
    open("u32%s.jsonl" % name, "wb").write(bom + t.encode(enc))
EOF2
got=""
for v in le be lebom bebom; do
	"$bin" load -q "u32$v.case" "u32$v.jsonl" > /dev/null 2>&1
	got="$got $v:$(sqlite3 "u32$v.case" "select encoding || '/' || events || '/' || rejects from sources")"
	got="$got/$("$bin" query "u32$v.case" --format csv 2> /dev/null | grep -c 'jörg')"
done
is "UTF-32 LE and BE, with and without a BOM: read as text" "$got" \
	" le:utf-32le/5/0/5 be:utf-32be/5/0/5 lebom:utf-32le/5/0/5 bebom:utf-32be/5/0/5"

# --- a stop while a refused source is read for its hash ---------------------
# /dev/zero is refused as binary, then read on for its hash; a ppoll that
# finds the descriptor ready delivers no signal, and the thread reading
# ahead let the stop signals in nowhere else: SIGTERM waited for the
# 64 GiB limit (80 s), and the source got the hash of what was read
start=$(date +%s)
timeout -s TERM -k 20 2 "$bin" load zero.case /dev/zero > zero.out 2>&1
rc=$?
took=$(($(date +%s) - start))
is "/dev/zero stopped by SIGTERM: it ends (not killed 20 s later)" "$rc" 124
if [ "$took" -lt 15 ]; then ok "... within seconds ($took s)"; else nok "... within seconds" "$took s"; fi
is "... and no hash of what was read is given as the source's" "$(sqlite3 zero.case 'select count(*) from sources where sha256 is null')" 1

# --- a tar with a hard link ---------------------------------------------------
# (its entry has no file type: "not a regular file", an error, exit 1,
# though its bytes are the member it links to, read under that name)
python3 - << 'EOF2'
import io, json, tarfile
d = "".join(json.dumps({"CreationTime": "2023-06-18T10:00:0%d" % i, "Id": "t-%d" % i, "Operation": "Op"}) + "\n"
            for i in range(5)).encode()
with tarfile.open("hard.tar", "w") as t:
    ti = tarfile.TarInfo("logs/a.jsonl"); ti.size = len(d); t.addfile(ti, io.BytesIO(d))
    ti = tarfile.TarInfo("logs/b.jsonl"); ti.type = tarfile.LNKTYPE; ti.linkname = "logs/a.jsonl"; t.addfile(ti)
EOF2
"$bin" load -q hard.case hard.tar > hard.out 2> hard.err
is "a tar holding a hard link: exit 0" "$?" 0
has "... the link is said" "$(cat hard.err)" "hard.tar!logs/b.jsonl: a hard link to 'logs/a.jsonl', whose bytes are read under that name; skipped"
is "... the member's events, once" "$(sqlite3 hard.case 'select group_concat(path || "=" || events) from sources')" "hard.tar!logs/a.jsonl=5"

# --- the case inside the folder it loads -----------------------------------
mkdir ev
cp cr.csv ev/
"$bin" load ev/in.case ev > inside.out 2> inside.err
is "the case inside the evidence folder: exit 0" "$?" 0
"$bin" load ev/in.case ev > inside2.out 2> inside2.err
is "... twice: exit 0" "$?" 0
has "... its own files are skipped, said" "$(cat inside2.err)" "ev/in.case: the case being loaded into, or a file of its own; skipped"
empty "... each once" "$(grep 'skipped' inside2.err | sort | uniq -d)"
is "... the export's events, once" "$(sqlite3 ev/in.case 'select count(*) from events')" 12000
is "... and are no source of the case" "$(sqlite3 ev/in.case "select count(*) from sources where path like '%in.case%'")" 0

# --- CR line ends -----------------------------------------------------------
"$bin" load -q cr.case cr.csv > cr.out 2>&1
is "CR-only CSV: exit 0" "$?" 0
is "CR-only CSV: every record an event" "$(sqlite3 cr.case 'select count(*) from events')" 12000
is "CR-only CSV: the encoding says so" "$(sqlite3 cr.case 'select encoding from sources')" "utf-8, CR line ends"
is "CR-only CSV: the file's own hash" "$(sqlite3 cr.case 'select sha256 from sources')" "$(sha256sum < cr.csv | cut -d' ' -f1)"

# --- a record past the size limit --------------------------------------------
"$bin" load --max-record-mb 1 big.case big.jsonl > big.out 2> big.err
is "a 3 MB line over a 1 MB limit: exit 0" "$?" 0
is "... the records after it are read" "$(sqlite3 big.case 'select group_concat(record_id) from (select record_id from events order by ts)')" \
	"r-1,r-3,r-4,r-5"
has "... a warning names its line" "$(cat big.err)" "big.jsonl: line 2: a record larger than the record size limit"
has "... the reject says what was kept" "$("$bin" info big.case --rejects 5)" "big.jsonl:2: record larger than the record size limit (its first MB kept)"

# --- a control byte in a pretty-printed element ---------------------------
"$bin" load -q pretty.case pretty.json > /dev/null 2>&1
is "pretty array, a raw ESC in element 3: 4 events, 1 reject" \
	"$(sqlite3 pretty.case 'select (select count(*) from events) || " " || (select count(*) from rejects)')" "4 1"
is "... the reject is the element, at its line" "$(sqlite3 pretty.case 'select line from rejects')" 20

# --- a file name with an escape sequence and a newline ------------------------
name=$(printf 'ev\033]0;PWN\007\nil.json')
cp pretty.json "$name"
check() { # check FILE: the first control byte other than CR/LF, or nothing
	python3 -c '
import re, sys
d = open(sys.argv[1], "rb").read()
d = d.replace(b"\r\x1b[K", b"")  # the progress line cleared, by the tool itself
m = re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", d)
print("" if not m else repr(d[max(0, m.start() - 30):m.start() + 30]))' "$1"
}
bad=""
for cmd in "load n.case $(printf '%q' "$name")" "info n.case --rejects 5" "sources n.case" \
	"export n.case --format markdown"; do
	LANG=C.UTF-8 script -q -e -c "$bin $cmd" /dev/null < /dev/null > tty.out 2>&1
	why=$(check tty.out)
	[ -n "$why" ] && bad="$bad; $cmd: $why"
done
empty "a file name with ESC, BEL and a newline: no control byte on the terminal (load, info, sources, report)" "$bad"
has "... the name is shown by escapes" "$("$bin" sources n.case)" 'ev\e]0;PWN\x07\nil.json'

# --- a read-only case and folder: a load says so ------------------------------
# (SQLite's "attempt to write a readonly database" on a case file was
# called "damaged case file" when a load opened one to write)
mkdir ro
"$bin" load -q ro/ro.case pretty.json > /dev/null 2>&1
chmod 444 ro/ro.case
chmod 555 ro
as=()
if [ "$(id -u)" = 0 ]; then # root writes anything: run as nobody
	chmod 711 "$t"
	as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
if [ ${#as[@]} -gt 0 ] && ! "${as[@]}" "$bin" --version > /dev/null 2>&1; then
	echo "skip - e2e_unlucky: a read-only case: cannot run as nobody here (setpriv, or the binary's folder)"
else
	"${as[@]}" "$bin" load ro/ro.case big.jsonl > ro.out 2> ro.err
	is "a read-only case: the load fails (exit 1)" "$?" 1
	has "... saying it cannot be written" "$(cat ro.err)" "ro/ro.case: attempt to write a readonly database (the case or its folder cannot be written by this user"
	empty "... not that it is damaged" "$(grep -i damaged ro.err)"
	is "... and the case reads as before" "$("${as[@]}" "$bin" query ro/ro.case 2> /dev/null | tail -1)" "4 events"
fi
chmod 755 ro

# --- the interface with TERM unset or unknown: what to do ---------------------
LANG=C.UTF-8 script -q -e -c "env -u TERM $bin pretty.case" /dev/null < /dev/null > noterm.out 2>&1
is "TERM unset: the interface exits 1" "$?" 1
has "... saying how to run it" "$(tr -d '\r' < noterm.out)" "TERM is not set, so the terminal cannot be drawn on: run it as TERM=xterm-256color auditscope CASE"
LANG=C.UTF-8 script -q -e -c "env TERM=auditscope-no-such-term $bin pretty.case" /dev/null < /dev/null > noterm.out 2>&1
is "TERM unknown here: the interface exits 1" "$?" 1
has "... saying how to run it" "$(tr -d '\r' < noterm.out)" "cannot use the terminal 'auditscope-no-such-term' (this system has no terminfo entry for it): run it as TERM=xterm-256color"
