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
# The commands, the wait for an answer and the stop are server_lib.sh's
# (tests/chdb_server.sh shares them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${CH_DIR:-build/clickhouse}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
http=${CH_HTTP_PORT:-18123}
tcp=${CH_TCP_PORT:-18124}
pidfile=$dir/server.pid
name=clickhouse
what="the server"
logs=("$dir/log/server.err.log" "$dir/log/stdout.log")
# shellcheck source=clickhouse/server_lib.sh
. "$here/server_lib.sh"

server_start() {
	bin=$(command -v clickhouse-server || true)
	if [ -z "$bin" ]; then
		echo "clickhouse: no clickhouse-server binary (make deps installs Debian's)" >&2
		exit 2
	fi
	mkdir -p "$dir/etc" "$dir/data" "$dir/tmp" "$dir/log" "$dir/user_files" "$dir/format_schemas"
	sed -e "s|@DIR@|$dir|g" -e "s|@HTTP@|$http|g" -e "s|@TCP@|$tcp|g" \
		"$here/server.xml.in" > "$dir/etc/config.xml"
	cp "$here/users.xml" "$dir/etc/users.xml"
	# this start's words alone in the error log (server_gone reads it)
	[ -f "$dir/log/server.err.log" ] && mv -f "$dir/log/server.err.log" "$dir/log/server.err.log.before"
	"$bin" --config-file="$dir/etc/config.xml" --pid-file="$pidfile" --daemon \
		> "$dir/log/stdout.log" 2>&1 || true
}

# a server that died (a bad folder) or could not take its port (it then
# listens on ::1 alone and never answers here) is not waited for
server_gone() {
	if grep -qs 'Address already in use' "$dir/log/server.err.log"; then
		echo "could not listen (a port is taken)"
	elif [ "$1" -ge 10 ] && ! pgrep -f -- "--config-file=$dir/etc/config.xml" >/dev/null; then
		echo "exited before it answered"
	fi
}

server_main "$@"
