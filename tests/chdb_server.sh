#!/usr/bin/env bash
# tests/chdb_server.sh: a current ClickHouse (chDB, the embedded engine
# from npm) behind ClickHouse's HTTP interface on loopback
# (tests/chdb_http.c), started and stopped as clickhouse/server.sh does
# Debian's 18.16 server, so that the ClickHouse tests run on either
# (tests/e2e_clickhouse.sh with CH_FLAVOUR=chdb; make test-chdb).
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

ping_ok() {
	[ "$(curl -s -m 2 "http://127.0.0.1:$http/ping" 2>/dev/null)" = "Ok." ]
}

# stop_wait PID: TERM, up to 30 s for it to finish its requests and go,
# then KILL
stop_wait() {
	kill "$1" 2>/dev/null || return 1
	for _ in $(seq 1 60); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.5
	done
	kill -9 "$1" 2>/dev/null || true
}

case "${1:-}" in
start)
	if ping_ok; then
		echo "chdb: answering on 127.0.0.1:$http"
		exit 0
	fi
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
	for _ in $(seq 1 240); do
		if ping_ok; then
			echo "chdb: started on 127.0.0.1:$http (data in $dir/data)"
			exit 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "chdb: the stand-in on 127.0.0.1:$http exited before it answered; its log says:" >&2
			tail -n 3 "$dir/chdb_http.log" | cut -c1-300 | sed 's/[[:cntrl:]]/?/g' >&2 || true
			rm -f "$pidfile"
			exit 1
		fi
		sleep 0.5
	done
	stop_wait "$pid" || true
	rm -f "$pidfile"
	echo "chdb: the stand-in did not answer on 127.0.0.1:$http within 120 s; its log says:" >&2
	tail -n 3 "$dir/chdb_http.log" | cut -c1-300 | sed 's/[[:cntrl:]]/?/g' >&2 || true
	exit 1
	;;
stop)
	if [ -s "$pidfile" ]; then
		pid=$(cat "$pidfile")
		if stop_wait "$pid"; then
			echo "chdb: stopped (pid $pid)"
		fi
		rm -f "$pidfile"
	else
		echo "chdb: not started by this script (no $pidfile)"
	fi
	;;
status)
	ping_ok
	;;
url)
	echo "clickhouse://127.0.0.1:$http"
	;;
*)
	echo "usage: $0 start|stop|status|url" >&2
	exit 64
	;;
esac
