# shellcheck shell=bash
# clickhouse/server_lib.sh: what clickhouse/server.sh (Debian's server)
# and tests/chdb_server.sh (chDB behind tests/chdb_http.c) share: both
# serve ClickHouse's HTTP interface on 127.0.0.1:$http, keep a pid file,
# and take the same commands. Sourced after the script has set:
#   name     the word its messages begin with (clickhouse, chdb)
#   what     what runs ("the server", "the stand-in")
#   http     the HTTP port;  dir  its folder (data in $dir/data)
#   pidfile  where the running one's pid is
#   logs     the log files whose last lines explain a failed start
# and defined server_start, which starts the process in the background
# and sets $pid when it knows it. server_main "$@" then runs a command:
# start, stop, status, url.

ping_ok() {
	[ "$(curl -s -m 2 "http://127.0.0.1:$http/ping" 2>/dev/null)" = "Ok." ]
}

# stop_wait PID: TERM, up to 30 s for it to finish its requests and go
# (Debian's server removes its pid file as it exits: a new server started
# before then would lose its own), then KILL
stop_wait() {
	kill "$1" 2>/dev/null || return 1
	for _ in $(seq 1 60); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.5
	done
	kill -9 "$1" 2>/dev/null || true
}

# The last lines of the logs, on stderr, control characters made visible.
server_log_tail() {
	# shellcheck disable=SC2154 # logs is the caller's
	tail -n 3 "${logs[@]}" 2>/dev/null | cut -c1-300 | sed 's/[[:cntrl:]]/?/g' >&2 || true
}

# The one started, stopped (its pid file's pid, else $pid), and its pid
# file removed: never left running behind a caller that gives up (a test
# then removes its folder: the server would run on without its files).
server_abandon() {
	if [ -s "$pidfile" ]; then
		stop_wait "$(cat "$pidfile")" || true
	elif [ -n "${pid:-}" ]; then
		stop_wait "$pid" || true
	fi
	rm -f "$pidfile"
}

# Wait up to 120 s for the server just started to answer. server_gone I
# (the caller's, optional) prints why the server will never answer, if it
# knows, at the I-th look.
server_wait() {
	local i why
	for i in $(seq 1 240); do
		if ping_ok; then
			echo "$name: started on 127.0.0.1:$http (data in $dir/data)"
			return 0
		fi
		why=
		if declare -F server_gone > /dev/null; then
			why=$(server_gone "$i" || true)
		fi
		if [ -n "$why" ]; then
			server_abandon
			echo "$name: $what on 127.0.0.1:$http $why; its log says:" >&2
			server_log_tail
			return 1
		fi
		sleep 0.5
	done
	server_abandon
	echo "$name: $what did not answer on 127.0.0.1:$http within 120 s; its log says:" >&2
	server_log_tail
	return 1
}

server_main() {
	case "${1:-}" in
	start)
		if ping_ok; then
			echo "$name: answering on 127.0.0.1:$http"
			return 0
		fi
		server_start
		server_wait
		;;
	stop)
		if [ -s "$pidfile" ]; then
			local p
			p=$(cat "$pidfile")
			if stop_wait "$p"; then
				echo "$name: stopped (pid $p)"
			fi
			rm -f "$pidfile"
		else
			echo "$name: not started by this script (no $pidfile)"
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
		return 64
		;;
	esac
}
