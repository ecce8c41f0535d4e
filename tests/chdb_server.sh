#!/usr/bin/env bash
# tests/chdb_server.sh: a current ClickHouse (chDB, the embedded engine
# from npm) behind ClickHouse's HTTP interface on loopback
# (tests/chdb_http.c), started and stopped as clickhouse/server.sh does
# Debian's 18.16 server (the commands, the wait for an answer and the stop
# are clickhouse/server_lib.sh's), so that the ClickHouse tests run on
# either (tests/e2e_clickhouse.sh with CH_FLAVOUR=chdb; make test-chdb).
#
#   tests/chdb_server.sh start    start it unless it answers already
#   tests/chdb_server.sh stop     stop the one this script started
#   tests/chdb_server.sh status   exit 0 when it answers
#   tests/chdb_server.sh url      print the base URL (clickhouse://...)
#
# CH_DIR (default build/chdb-data) holds its data, pid file and log;
# CH_HTTP_PORT (default 18123) its port. CHDB_LIB names libchdb.so (default:
# where make test-chdb installs it, build/chdb/node_modules/...); BUILD the
# build folder holding chdb_http. Exit status 2: no libchdb.so or no
# chdb_http.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case "$build" in /*) ;; *) build=$here/$build ;; esac
lib=${CHDB_LIB:-$build/chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so}
dir=${CH_DIR:-$build/chdb-data}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
http=${CH_HTTP_PORT:-18123}
pidfile=$dir/chdb_http.pid
name=chdb
what="the stand-in"
logs=("$dir/chdb_http.log")
# shellcheck source=clickhouse/server_lib.sh
. "$here/clickhouse/server_lib.sh"

server_start() {
	if [ ! -f "$lib" ]; then
		echo "chdb: no $lib (make test-chdb installs it from npm)" >&2
		exit 2
	fi
	if [ ! -x "$build/chdb_http" ]; then
		echo "chdb: no $build/chdb_http (make $build/chdb_http)" >&2
		exit 2
	fi
	mkdir -p "$dir/data"
	[ -f "$dir/chdb_http.log" ] && mv -f "$dir/chdb_http.log" "$dir/chdb_http.log.before"
	"$build/chdb_http" --port "$http" --path "$dir/data" --lib "$lib" --pidfile "$pidfile" \
		< /dev/null > "$dir/chdb_http.log" 2>&1 &
	pid=$!
}

server_gone() {
	kill -0 "$pid" 2>/dev/null || echo "exited before it answered"
}

server_main "$@"
