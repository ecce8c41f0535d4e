# tests/ch_port.sh: sourced by the ClickHouse end-to-end scripts before
# they start a server. Unless the caller named a server (CH_HTTP_PORT set),
# each run gets its own: a free HTTP/TCP port pair and a data folder in
# the run's temporary directory DIR ($1). Several suites at once (worktrees,
# make test beside make asan) then never share a server, and none of them
# stops another's server in the middle of its run.
ch_private_ports() {
	[ -n "${CH_HTTP_PORT:-}" ] && return 0
	local p
	for _ in $(seq 50); do
		p=$((20000 + (RANDOM % 20000) * 2))
		if [ -z "$(ss -ltnH "( sport = :$p or sport = :$((p + 1)) )" 2>/dev/null)" ]; then
			export CH_HTTP_PORT=$p CH_TCP_PORT=$((p + 1)) CH_DIR=$1/clickhouse
			return 0
		fi
	done
	return 1
}
