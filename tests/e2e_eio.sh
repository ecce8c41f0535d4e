#!/usr/bin/env bash
# End-to-end: a source whose disk fails part-way (EIO from read(2), by
# tests/eio_shim.c preloaded). What was read before the error is kept,
# the source says error, and the case records no SHA-256 for it: a hash
# of the bytes read before the error is not the file's, and a responder
# comparing it with the file's own would take a mismatch for tampering.
# Prints "ok - ..." / "not ok - ..." lines (tests/run.sh counts them).
. "$(dirname "$0")/e2e_lib.sh"

cc=${CC_SHIM:-cc}
if ! "$cc" -shared -fPIC -O1 -o "$t/eio.so" tests/eio_shim.c -ldl 2> "$t/cc.err"; then
	echo "ok - # SKIP eio: cannot build the read-error shim ($(head -1 "$t/cc.err"))"
	exit 0
fi
# the sanitizer runtime must come first in a sanitized build's library
# list; the shim is only a read(2) in front of libc's
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

"$gen" --format jsonl --events 4000 --seed 11 -o "$t/in.jsonl" > /dev/null 2>&1
size=$(stat -c %s "$t/in.jsonl")
at=$((size / 2))
real=$(cd "$t" && pwd -P)/in.jsonl
"$bin" load -q "$t/whole.case" "$t/in.jsonl" > /dev/null 2>&1
whole=$(sqlite3 "$t/whole.case" 'select sha256 from sources')
is "eio: the whole file's load records its hash" "$whole" "$(sha256sum "$t/in.jsonl" | cut -d' ' -f1)"

out=$(EIO_PATH=$real EIO_AT=$at LD_PRELOAD=$t/eio.so "$bin" load "$t/c.case" "$t/in.jsonl" 2>&1)
rc=$?
is "eio: the load fails (exit 1)" "$rc" 1
is "eio: one line names the file and the error" "$(grep -c 'in.jsonl.*[Ii]nput/output error' <<< "$out")" 1
row=$(sqlite3 -separator '|' "$t/c.case" "select status like 'error%', coalesce(sha256, 'none'), events + rejects > 0 from sources")
is "eio: the source is an error with no hash, what was read before kept" "$row" "1|none|1"
n=$(sqlite3 "$t/c.case" 'select count(*) from events')
[ "$n" -gt 1000 ] && [ "$n" -lt 4000 ] && ok "eio: the records before the error are in the case ($n of 4000)" ||
	nok "eio: the records before the error are in the case" "got $n"
info=$("$bin" info "$t/c.case" 2>&1)
is "eio: info shows no hash for it" "$(grep -c 'sha256 [0-9a-f]' <<< "$info")" 0
rep=$("$bin" export "$t/c.case" --format markdown 2>&1)
is "eio: the report's sha256sum -c block has no line for it" "$(grep -c '^[0-9a-f]\{64\}  .*in\.jsonl' <<< "$rep")" 0
has "eio: the report lists it as not read whole" "$rep" "Never read, or not read whole, so not hashed"
# a later load of the whole file is the source's hash: the same path
# read again whole (as after a remount) gets it, the error row stays
"$bin" load -q "$t/c.case" "$t/in.jsonl" > /dev/null 2>&1
is "eio: the file read again whole records its hash" \
	"$(sqlite3 "$t/c.case" "select sha256 from sources where status = 'complete'")" "$whole"
is "eio: read again, nothing twice" "$(sqlite3 "$t/c.case" 'select count(*) from events')" 4000
