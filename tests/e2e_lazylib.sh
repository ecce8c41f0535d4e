#!/usr/bin/env bash
# End-to-end: libarchive and libcurl are opened when first needed
# (core/lazylib.c), never linked. The binary does not list them (NEEDED);
# --version and a plain CSV load never open them; a zip load opens
# libarchive. A broken library (an empty file of its name first on
# LD_LIBRARY_PATH: the loader takes it and fails) stops a load at the
# archive with one error line (not a warning) naming the file and the
# library, exit non-zero, the plain files' events kept (also the one after
# the archive in the folder), and the same load with the library then
# takes the archive's; a ClickHouse store says the same of libcurl.
. "$(dirname "$0")/e2e_lib.sh"

# the SONAMEs the binary opens, from the build's libraries (as the Makefile)
soname() { objdump -p "$(pkg-config --variable=libdir "$1")/$1.so" 2> /dev/null | sed -n 's/^ *SONAME *//p'; }
la=$(soname libarchive)
cu=$(soname libcurl)
if [ -z "$la" ] || [ -z "$cu" ] || ! command -v readelf > /dev/null; then
	echo "skip - objdump, readelf or pkg-config's libarchive/libcurl missing"
	exit 0
fi

needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
has "the binary needs libc (readelf reads it)" "$needed" "libc.so"
empty "the binary does not link libarchive or libcurl" "$(grep -E '^lib(archive|curl)' <<< "$needed")"

# what the dynamic loader looked for while CMD ran
opened() { # opened CMD...
	LD_DEBUG=libs LD_DEBUG_OUTPUT="$t/ld" "$@" > /dev/null 2>&1
	cat "$t"/ld.* 2> /dev/null | sed -n 's/.*find library=\([^ ]*\) .*/\1/p' | sort -u | tr '\n' ' '
	rm -f "$t"/ld.*
}

"$gen" --format purview-csv --cardinality high --events 4500 --seed 31 -o "$t/all.csv" 2> /dev/null
head -1501 "$t/all.csv" > "$t/a.csv"
{ head -1 "$t/all.csv" && sed -n 1502,3001p "$t/all.csv"; } > "$t/b.csv"
{ head -1 "$t/all.csv" && tail -n +3002 "$t/all.csv"; } > "$t/in-zz.csv"
mkdir -p "$t/in"
cp "$t/a.csv" "$t/in/"
cp "$t/in-zz.csv" "$t/in/zz.csv" # read after bundle.zip
(cd "$t" && bsdtar -a -cf in/bundle.zip b.csv)

o=$(opened "$bin" --version)
has "--version: the loader ran (LD_DEBUG works here)" "$o" "libsqlite3"
empty "--version opens neither" "$(grep -oE "$la|$cu" <<< "$o")"
o=$(opened "$bin" load -q "$t/csv.case" "$t/a.csv")
empty "a CSV load opens neither" "$(grep -oE "$la|$cu" <<< "$o")"
is "the CSV load loaded" "$(sqlite3 "$t/csv.case" 'select count(*) from events')" 1500
o=$(opened "$bin" load -q "$t/zip.case" "$t/in/bundle.zip")
has "a zip load opens $la" "$o" "$la"
empty "a zip load does not open $cu" "$(grep -oE "$cu" <<< "$o")"
is "the zip load loaded" "$(sqlite3 "$t/zip.case" 'select count(*) from events')" 1500

mkdir -p "$t/broken"
: > "$t/broken/$la"
: > "$t/broken/$cu"
LD_LIBRARY_PATH=$t/broken "$bin" load -q "$t/dir.case" "$t/in" > "$t/broken.out" 2> "$t/broken.err"
rc=$?
is "a broken $la: exit 1" "$rc" 1
is "a broken $la: one error line names the archive and the library" \
	"$(grep -c "^auditscope: $t/in/bundle.zip: reading archives needs $la: .*$la: file too short" "$t/broken.err")" 1
empty "a broken $la: the line is not a warning" "$(grep 'warning' "$t/broken.err")"
is "a broken $la: the plain files' events are kept, also the one after the archive" \
	"$(sqlite3 "$t/dir.case" 'select count(*) from events')" 3000
is "a broken $la: the archive is a source that says why it was not read" \
	"$(sqlite3 "$t/dir.case" "select status from sources where path like '%bundle.zip'")" \
	"error: reading archives needs $la: $t/broken/$la: file too short"
has "a broken $la: info lists the archive as not read, and why" "$("$bin" info "$t/dir.case")" \
	"status error: reading archives needs $la"
"$bin" load -q "$t/dir.case" "$t/in" > /dev/null 2>&1
is "with the library, the same load takes the archive's events" \
	"$(sqlite3 "$t/dir.case" 'select count(*) from events')" 4500
is "... from its member" "$(sqlite3 "$t/dir.case" "select events from sources where path like '%bundle.zip!b.csv'")" 1500

# a store on a port nobody listens on: with the library the request is
# tried (and fails), without it the library is named first
LD_LIBRARY_PATH=$t/broken "$bin" load -q "clickhouse://127.0.0.1:1/lazylib" "$t/a.csv" > /dev/null 2> "$t/ch.err"
rc=$?
is "a broken $cu: exit 1" "$rc" 1
has "a broken $cu: the store and the library named" "$(cat "$t/ch.err")" \
	"clickhouse://127.0.0.1:1/lazylib: the ClickHouse store needs $cu: "
"$bin" load -q "clickhouse://127.0.0.1:1/lazylib" "$t/a.csv" > /dev/null 2> "$t/ch.err"
has "with $cu the server is asked" "$(cat "$t/ch.err")" "cannot reach the server"
