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

# stop_wait PID: TERM, up to 30 s for it to go (it removes its pid file as
# it exits: a new server started before then would lose its own), then KILL
stop_wait() {
	kill "$1" 2>/dev/null || return 1
	for _ in $(seq 1 60); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.5
	done
	kill -9 "$1" 2>/dev/null || true
}

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
	# this start's words alone in the error log (the check below reads it)
	[ -f "$dir/log/server.err.log" ] && mv -f "$dir/log/server.err.log" "$dir/log/server.err.log.before"
	"$bin" --config-file="$dir/etc/config.xml" --pid-file="$pidfile" --daemon \
		> "$dir/log/stdout.log" 2>&1 || true
	for i in $(seq 1 240); do
		if ping_ok; then
			echo "clickhouse: started on 127.0.0.1:$http (data in $dir/data)"
			exit 0
		fi
		# a server that died (a bad folder) or could not take its port (it
		# then listens on ::1 alone and never answers here) is not waited for
		why=
		if grep -qs 'Address already in use' "$dir/log/server.err.log"; then
			why="could not listen (a port is taken)"
		elif [ "$i" -ge 10 ] && ! pgrep -f -- "--config-file=$dir/etc/config.xml" >/dev/null; then
			why="exited before it answered"
		fi
		if [ -n "$why" ]; then
			[ -s "$pidfile" ] && { stop_wait "$(cat "$pidfile")" || true; }
			rm -f "$pidfile"
			echo "clickhouse: the server on 127.0.0.1:$http $why; its log says:" >&2
			tail -n 3 "$dir/log/server.err.log" "$dir/log/stdout.log" 2>/dev/null | cut -c1-300 | sed 's/[[:cntrl:]]/?/g' >&2 || true
			exit 1
		fi
		sleep 0.5
	done
	# not left running behind a caller that gives up (a test then removes
	# its folder: the server would run on without its files)
	[ -s "$pidfile" ] && { stop_wait "$(cat "$pidfile")" || true; }
	rm -f "$pidfile"
	echo "clickhouse: the server did not answer on 127.0.0.1:$http within 120 s; its log says:" >&2
	tail -n 3 "$dir/log/server.err.log" "$dir/log/stdout.log" 2>/dev/null | cut -c1-300 | sed 's/[[:cntrl:]]/?/g' >&2 || true
	exit 1
	;;
stop)
	if [ -s "$pidfile" ]; then
		pid=$(cat "$pidfile")
		if stop_wait "$pid"; then
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
