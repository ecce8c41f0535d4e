#!/usr/bin/env bash
# tests/chdb_bench.sh: the timeline's pages on the two ClickHouse versions
# the store is tested on, side by side: the same N generated events
# (high cardinality, JSON Lines) loaded into Debian's 18.16 server
# (clickhouse/server.sh: pivot copies as materialized views) and into
# ClickHouse 26.7 as chDB behind tests/chdb_http.c (projections), then
# tests/bench_pages.c's first page, next page and exact count of user=,
# app= and ip= filters (the most frequent value of each), best of 3, in
# wall milliseconds, and each load's wall time. Prints figures, asserts
# nothing. Needs make test-chdb's library (build/chdb) and clickhouse-server.
#
#   N=1000000 tests/chdb_bench.sh      (BENCH_INPUT=FILE: load FILE instead)
#
# Each server runs on its own ports and folder under a temporary
# directory, and is stopped (its data removed) at the end. The chDB
# stand-in serialises nothing: requests run at once, as on the server.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
B=$(cd "$BUILD" && pwd)
N=${N:-1000000}
export CHDB_LIB=${CHDB_LIB:-$PWD/build/chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so}
for f in "$B/auditscope" "$B/auditgen" "$B/bench_pages" "$B/chdb_http" "$CHDB_LIB"; do
	[ -e "$f" ] || { echo "chdb_bench: no $f (make test-chdb and make $BUILD/bench_pages first)" >&2; exit 2; }
done
command -v clickhouse-server > /dev/null || { echo "chdb_bench: no clickhouse-server (make deps)" >&2; exit 2; }
t=$(mktemp -d)
in=${BENCH_INPUT:-$t/ev.jsonl}
. tests/ch_port.sh
ports=()
cleanup() {
	for i in 0 1; do
		[ -n "${ports[$i]:-}" ] || continue
		CH_DIR=$t/s$i CH_HTTP_PORT=${ports[$i]} CH_TCP_PORT=$((ports[i] + 1)) "${servers[$i]}" stop > /dev/null
	done
	rm -rf "$t"
}
trap cleanup EXIT
servers=(clickhouse/server.sh tests/chdb_server.sh)
names=("ClickHouse 18.16" "chDB 26.7")
if [ -z "${BENCH_INPUT:-}" ]; then
	"$B/auditgen" --format jsonl --events "$N" --cardinality high -o "$in" 2> /dev/null || exit 1
fi
ms() { date +%s%3N; }
for i in 0 1; do
	unset CH_HTTP_PORT
	ch_private=0
	ch_private_ports "$t/p$i" || exit 1
	ports[i]=$CH_HTTP_PORT
	CH_DIR=$t/s$i CH_TCP_PORT=$((CH_HTTP_PORT + 1)) "${servers[$i]}" start > /dev/null || exit 1
	U[i]="clickhouse://127.0.0.1:${ports[$i]}/bench?case=$t/c$i.case"
	a=$(ms)
	"$B/auditscope" load -q "${U[$i]}" "$in" > /dev/null 2>&1
	load[i]=$(($(ms) - a))
	ver[i]=$(curl -s "http://127.0.0.1:${ports[$i]}/" --data-binary "SELECT version()")
done
user=$("$B/auditscope" stack "${U[0]}" user --format csv | sed -n 2p | cut -d, -f1)
app=$("$B/auditscope" stack "${U[0]}" app --format csv | sed -n 2p | cut -d, -f1)
ip=$("$B/auditscope" stack "${U[0]}" ip --format csv | sed -n 2p | cut -d, -f1)
echo "chdb_bench: $N events (in ms, pages best of 3; load once)"
printf '%-36s %22s %22s\n' "" "${names[0]} (${ver[0]})" "${names[1]} (${ver[1]})"
printf '%-36s %22s %22s\n' "load" "${load[0]}" "${load[1]}"
for i in 0 1; do
	"$B/bench_pages" "${U[$i]}" "user=$user" "app=$app" "ip=$ip" > "$t/pages$i" 2>&1
done
k=0
for f in "user=$user" "app=$app" "ip=$ip"; do
	k=$((k + 1))
	a=$(sed -n ${k}p "$t/pages0")
	b=$(sed -n ${k}p "$t/pages1")
	for w in first next count; do
		printf '%-36s %22s %22s\n' "$w ${f:0:30}" "$(grep -o "$w [0-9.]*" <<< "$a" | cut -d' ' -f2)" \
			"$(grep -o "$w [0-9.]*" <<< "$b" | cut -d' ' -f2)"
	done
done
