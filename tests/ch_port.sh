# tests/ch_port.sh: sourced by the ClickHouse end-to-end scripts before
# they start a server. Unless the caller named a server (CH_HTTP_PORT set),
# each run gets its own: a free HTTP/TCP port pair and a data folder in
# the run's temporary directory DIR ($1). Several suites at once (worktrees,
# make test beside make asan) then never share a server, and none of them
# stops another's server in the middle of its run.
#
# The ports are drawn below the kernel's ephemeral range: a port in it can
# be taken by any outgoing connection between our check and the server's
# bind (a CI run once waited 120 s on a server that could not listen).
ch_private=0
ch_private_ports() {
	[ -n "${CH_HTTP_PORT:-}" ] && [ "$ch_private" = 0 ] && return 0
	local p lo=32768
	read -r lo _ < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
	[ "$lo" -gt 12000 ] || lo=32768
	for _ in $(seq 50); do
		p=$((10000 + (RANDOM % ((lo - 10002) / 2)) * 2))
		if [ -z "$(ss -ltnH "( sport = :$p or sport = :$((p + 1)) )" 2>/dev/null)" ]; then
			export CH_HTTP_PORT=$p CH_TCP_PORT=$((p + 1)) CH_DIR=$1/clickhouse
			ch_private=1
			ch_private_dir=$1
			return 0
		fi
	done
	return 1
}

# ch_start: $CH_SERVER start (clickhouse/server.sh unless the caller
# names tests/chdb_server.sh); a private server that could not
# start (its ports taken meanwhile, a slow machine) is tried again on new
# ports, up to three times. The server's own words are on stderr each time.
ch_start() {
	local i
	for i in 1 2 3; do
		"${CH_SERVER:-clickhouse/server.sh}" start && return 0
		[ "$ch_private" = 1 ] || return 1
		echo "clickhouse: attempt $i failed; trying new ports" >&2
		# a folder of its own too: the old server is gone, but nothing of
		# it is reused
		rm -rf "$CH_DIR"
		ch_private_ports "$ch_private_dir/again$i" || return 1
	done
	return 1
}
