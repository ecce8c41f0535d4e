#!/usr/bin/env bash
# The SQLite store and the ClickHouse store side by side on the same N
# generated events (N=1000000 by default; make bench-clickhouse N=10M):
# load time, storage size, the first page of user=, app= and ip= filters,
# the page after it and the exact count (in process, tests/bench_pages.c),
# a stack of app, the histogram, all hunts, and a regex over the raw
# records. Other queries are the command line's own run (process start
# included); every figure is the best of BENCH_RUNS (3) wall-clock
# milliseconds, all hunts and the regex the best of BENCH_LONG_RUNS (as
# many; 1 makes a 10M run shorter by minutes); the ClickHouse server is
# the one clickhouse/server.sh starts on loopback. The loads also print
# their CPU seconds (the ClickHouse side: the client's and the server's,
# when the server is one of clickhouse/server.sh's), since on a shared
# machine wall time is mostly the others' load. The server's merges go on
# after a load returns: the run waits until the database has none left
# (up to 10 minutes) and prints that wait and the server's CPU in it.
#
# BENCH_DIR=DIR keeps the input, both stores and the load figures in DIR
# (the ClickHouse database named in DIR/db) instead of a temporary folder
# removed at the end; run again with the same DIR, it loads nothing and
# measures the queries again on the stores loaded there (a new binary's
# queries on the same data). BENCH_DROP=1 with it removes DIR and the
# database after the run. BENCH_SQLITE=0 leaves the SQLite side out (no
# load, "-" in its column: a 10M ClickHouse run whose SQLite figures an
# earlier run gave); CH_DB=NAME measures that database as it is (no
# input, no load). BENCH_PIPE=1 (with BENCH_SQLITE=0) writes no input
# file: the generator's output is piped into the ClickHouse load (10M
# events are 16 GB of JSON Lines); the generator runs once alone first
# (into /dev/null), and its CPU is taken off the load's client CPU.
set -eu
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
B=$(cd "$BUILD" && pwd)
bin=$B/auditscope
N=${N:-1000000}
case "$N" in *M) N=$((${N%M} * 1000000)) ;; *k) N=$((${N%k} * 1000)) ;; esac
export CH_DIR=${CH_DIR:-$B/clickhouse}
port=${CH_HTTP_PORT:-18123}
started=0
if ! clickhouse/server.sh status; then
	clickhouse/server.sh start >/dev/null || { echo "bench-clickhouse: no ClickHouse server (make deps installs it)"; exit 1; }
	started=1
fi
keep=0
if [ -n "${BENCH_DIR:-}" ]; then
	mkdir -p "$BENCH_DIR"
	t=$(cd "$BENCH_DIR" && pwd)
	[ -s "$t/db" ] || echo "${CH_DB:-bench$$}" > "$t/db"
	db=$(cat "$t/db")
	[ "${BENCH_DROP:-0}" = 1 ] || keep=1
else
	t=$(mktemp -d "${TMPDIR:-/tmp}/bench-ch.XXXXXX")
	db=${CH_DB:-bench$$}
fi
# a database the caller named is never dropped
keepdb=$keep
[ -z "${CH_DB:-}" ] || keepdb=1
cleanup() {
	[ "$keepdb" = 1 ] || curl -s "http://127.0.0.1:$port/" --data-binary "DROP DATABASE IF EXISTS $db" >/dev/null
	[ "$keep" = 1 ] || rm -rf "$t"
	[ "$started" = 1 ] && clickhouse/server.sh stop >/dev/null
}
trap cleanup EXIT
sq=${BENCH_SQLITE:-1}
# (an input already in BENCH_DIR is used as it is)
pipe=0
[ "${BENCH_PIPE:-0}" = 1 ] && [ "$sq" != 1 ] && pipe=1
gen() { "$B/auditgen" --format jsonl --events "$N" --cardinality high -o "$1" 2>/dev/null; }
if [ "$pipe" = 0 ] && [ ! -s "$t/loads" ] && [ -z "${CH_DB:-}" ] && [ ! -s "$t/ev.jsonl" ]; then
	echo "generating $N events (jsonl, high cardinality)..."
	"$B/auditgen" --format jsonl --events "$N" --cardinality high -o "$t/ev.jsonl" 2>/dev/null ||
		"$B/auditgen" --format jsonl --events "$N" -o "$t/ev.jsonl"
fi
S=$t/s.case
U="clickhouse://127.0.0.1:$port/$db?case=$t/ch.case"
ms() { echo $(($(date +%s%N) / 1000000)); }
runs=${BENCH_RUNS:-3}
long=${BENCH_LONG_RUNS:-$runs}
best() { # best of $runs wall ms of a command ("-" for the SQLite side left out)
	if [ "$sq" != 1 ] && [ "${3:-}" = "$S" ]; then
		echo -
		return
	fi
	local b=999999999 a z
	for _ in $(seq "$runs"); do
		a=$(ms)
		"$@" >/dev/null 2>&1
		z=$(ms)
		[ $((z - a)) -lt "$b" ] && b=$((z - a))
	done
	echo "$b"
}
# CPU (user + system, 1/100 s) of the children so far (times in this
# shell, not in a $(...) one, whose counts start at 0), of the server
kids() {
	times > "$t/times"
	K=$(tail -1 "$t/times" | tr 'ms' '  ' | awk '{print int(($1 * 60 + $2 + $3 * 60 + $4) * 100)}')
}
server() {
	local p
	p=$(cat "$CH_DIR/server.pid" 2>/dev/null) && [ -r "/proc/$p/stat" ] &&
		awk '{print $14 + $15}' "/proc/$p/stat" || echo 0
}
if [ -s "$t/loads" ]; then
	. "$t/loads" # the loads of an earlier run on this BENCH_DIR
	echo "(loads from the earlier run in $t; queries measured now with $bin)"
elif [ -n "${CH_DB:-}" ]; then
	ls_=0 lc=0 k0=0 k1=0 k2=0 s0=0 s1=0 s2=0 lm=0
	echo "(database $CH_DB as it is: no load)"
else
	kids; k0=$K
	ls_=0
	if [ "$sq" = 1 ]; then
		a=$(ms); "$bin" load -q "$S" "$t/ev.jsonl" >/dev/null 2>&1; ls_=$(($(ms) - a))
	fi
	kids; k1=$K
	if [ "$pipe" = 1 ]; then
		echo "generating $N events (jsonl, high cardinality) into the load..."
		gen /dev/null
		kids; kg=$K # (the generator alone: not the load's)
		s0=$(server)
		a=$(ms); gen - | "$bin" load -q "$U" - >/dev/null 2>&1; lc=$(($(ms) - a))
		kids; k2=$((K - 2 * (kg - k1)))
	else
		s0=$(server)
		a=$(ms); "$bin" load -q "$U" "$t/ev.jsonl" >/dev/null 2>&1; lc=$(($(ms) - a))
		kids; k2=$K
	fi
	s1=$(server)
	# the merges the load left (none in the database any more)
	a=$(ms)
	for _ in $(seq 1200); do
		m=$(curl -s "http://127.0.0.1:$port/" --data-binary "SELECT count() FROM system.merges WHERE database = '$db'")
		[ "$m" = 0 ] && break
		sleep 0.5
	done
	lm=$(($(ms) - a))
	s2=$(server)
	if [ "$keep" = 1 ]; then
		echo "ls_=$ls_ lc=$lc k0=$k0 k1=$k1 k2=$k2 s0=$s0 s1=$s1 s2=$s2 lm=$lm" > "$t/loads"
		rm -f "$t/ev.jsonl" # (the queries do not read it)
	fi
fi
ss=-
[ "$sq" = 1 ] && ss=$(du -sm "$S" | cut -f1)
cs=$(($(curl -s "http://127.0.0.1:$port/" --data-binary "SELECT sum(bytes) FROM system.parts WHERE active AND database = '$db'") / 1048576))
V=$S
[ "$sq" = 1 ] || V=$U
user=$("$bin" stack "$V" user --format csv | sed -n 2p | cut -d, -f1)
app=$("$bin" stack "$V" app --format csv | sed -n 2p | cut -d, -f1)
ip=$("$bin" stack "$V" ip --format csv | sed -n 2p | cut -d, -f1)
row() { printf '%-34s %12s %12s\n' "$1" "$2" "$3"; }
echo
row "$N events" sqlite clickhouse
row "load (s)" "$((ls_ / 1000)).$((ls_ % 1000 / 100))" "$((lc / 1000)).$((lc % 1000 / 100))"
cs_=$((k1 - k0))
cc_=$((k2 - k1))
sc_=$((s1 - s0))
row "load CPU: client (s)" "$((cs_ / 100)).$((cs_ % 100 / 10))" "$((cc_ / 100)).$((cc_ % 100 / 10))"
row "load CPU: server (s)" "" "$((sc_ / 100)).$((sc_ % 100 / 10))"
s2=${s2:-$s1} lm=${lm:-0}
sm_=$((s2 - s1))
row "merges after the load (s)" "" "$((lm / 1000)).$((lm % 1000 / 100))"
row "  their server CPU (s)" "" "$((sm_ / 100)).$((sm_ % 100 / 10))"
row "size (MB)" "$ss" "$cs"
# the pages in process (bench_pages: best of 3, no process start), then
# the command line's own run (process start and the exact count included)
pages() { "$B/bench_pages" "$1" "user=$user" "app=$app" "ip=$ip"; }
if [ "$sq" = 1 ]; then pages "$S" > "$t/ps"; else printf -- '- - - - - -\n%.0s' 1 2 3 > "$t/ps"; fi
pages "$U" > "$t/pc"
i=0
for f in "user=$user" "app=$app" "ip=$ip"; do
	i=$((i + 1))
	a=$(sed -n "${i}p" "$t/ps")
	c=$(sed -n "${i}p" "$t/pc")
	k=${f%%=*}
	row "first page $k= (ms)" "$(echo "$a" | cut -d' ' -f2)" "$(echo "$c" | cut -d' ' -f2)"
	row "next page $k= (ms)" "$(echo "$a" | cut -d' ' -f4)" "$(echo "$c" | cut -d' ' -f4)"
	row "exact count $k= (ms)" "$(echo "$a" | cut -d' ' -f6)" "$(echo "$c" | cut -d' ' -f6)"
	row "query $k= --limit 50, command (ms)" "$(best "$bin" query "$S" "$f" --limit 50)" \
		"$(best "$bin" query "$U" "$f" --limit 50)"
done
row "stack app (ms)" "$(best "$bin" stack "$S" app)" "$(best "$bin" stack "$U" app)"
row "histogram (ms)" "$(best "$bin" histogram "$S")" "$(best "$bin" histogram "$U")"
runs=$long
row "all hunts (ms)" "$(best "$bin" hunt "$S")" "$(best "$bin" hunt "$U")"
row "regex over raw (ms)" "$(best "$bin" query "$S" 'raw~"ForwardTo.*@"' --limit 50)" \
	"$(best "$bin" query "$U" 'raw~"ForwardTo.*@"' --limit 50)"
runs=${BENCH_RUNS:-3}
row "(an empty run, ms)" "$(best "$bin" fields)" "$(best "$bin" fields)"
