#!/usr/bin/env bash
# clickhouse/server.sh: a ClickHouse server on loopback for trying the
# ClickHouse store and for its tests (Debian's clickhouse-server; `make
# deps` installs it).
#
#   clickhouse/server.sh start    start it unless it answers already
#   clickhouse/server.sh stop     stop the one this script started
#   clickhouse/server.sh status   exit 0 when it answers
#   clickhouse/server.sh url      print the base URL (clickhouse://...)
#
# CH_DIR (default build/clickhouse) holds its config, data and logs;
# CH_HTTP_PORT (default 18123) and CH_TCP_PORT (18124) its ports. It listens
# on 127.0.0.1 and ::1 only. Exit status 2: no clickhouse-server binary.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${CH_DIR:-build/clickhouse}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
http=${CH_HTTP_PORT:-18123}
tcp=${CH_TCP_PORT:-18124}
pidfile=$dir/server.pid

ping_ok() {
	[ "$(curl -s -m 2 "http://127.0.0.1:$http/ping" 2>/dev/null)" = "Ok." ]
}

case "${1:-}" in
start)
	if ping_ok; then
		echo "clickhouse: answering on 127.0.0.1:$http"
		exit 0
	fi
	bin=$(command -v clickhouse-server || true)
	if [ -z "$bin" ]; then
		echo "clickhouse: no clickhouse-server binary (make deps installs Debian's)" >&2
		exit 2
	fi
	mkdir -p "$dir/etc" "$dir/data" "$dir/tmp" "$dir/log" "$dir/user_files" "$dir/format_schemas"
	sed -e "s|@DIR@|$dir|g" -e "s|@HTTP@|$http|g" -e "s|@TCP@|$tcp|g" \
		"$here/server.xml.in" > "$dir/etc/config.xml"
	cp "$here/users.xml" "$dir/etc/users.xml"
	"$bin" --config-file="$dir/etc/config.xml" --pid-file="$pidfile" --daemon \
		> "$dir/log/stdout.log" 2>&1 || true
	for _ in $(seq 1 240); do
		if ping_ok; then
			echo "clickhouse: started on 127.0.0.1:$http (data in $dir/data)"
			exit 0
		fi
		sleep 0.5
	done
	# not left running behind a caller that gives up (a test then removes
	# its folder: the server would run on without its files)
	[ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
	rm -f "$pidfile"
	echo "clickhouse: the server did not answer on 127.0.0.1:$http within 120 s (see $dir/log/)" >&2
	exit 1
	;;
stop)
	if [ -s "$pidfile" ]; then
		pid=$(cat "$pidfile")
		if kill "$pid" 2>/dev/null; then
			for _ in $(seq 1 60); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.5
			done
			kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
			echo "clickhouse: stopped (pid $pid)"
		fi
		rm -f "$pidfile"
	else
		echo "clickhouse: not started by this script (no $pidfile)"
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
