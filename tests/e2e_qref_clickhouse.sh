#!/usr/bin/env bash
# e2e_qref_clickhouse.sh: the query side's differential check
# (tests/e2e_qref.sh, tests/qref.py's reference) against the ClickHouse
# store: the same four cases (adversarial inputs, one value on 50,000
# records, the demo bundle, the real exports) loaded into databases of a
# server of this run's own (tests/ch_port.sh, as tests/e2e_clickhouse.sh
# starts it), and every page, count, rank, goto, histogram and stack
# compared with what the filter's meaning gives over the events. Skipped
# with a message where there is no clickhouse-server (make deps installs
# Debian's) or no python3. CH_FLAVOUR=chdb runs it on chDB (make test-chdb).
. "$(dirname "$0")/e2e_lib.sh"

if ! command -v python3 > /dev/null; then
	echo "skip - e2e_qref_clickhouse: python3 not found"
	exit 0
fi
if [ "${CH_FLAVOUR:-server}" = chdb ]; then
	export CH_SERVER=tests/chdb_server.sh
	if [ ! -f "${CHDB_LIB:-$B/chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so}" ]; then
		echo "skip - e2e_qref_clickhouse (chdb): no libchdb.so here (make test-chdb installs it from npm)"
		exit 0
	fi
else
	export CH_SERVER=clickhouse/server.sh
	if ! command -v clickhouse-server > /dev/null; then
		echo "skip - e2e_qref_clickhouse: no clickhouse-server binary here (make deps installs Debian's)"
		exit 0
	fi
fi
. tests/ch_port.sh
ch_private_ports "$t"
export CH_DIR=${CH_DIR:-$B/clickhouse}
export CH_HTTP_PORT=${CH_HTTP_PORT:-18123}
started=0
if ! "$CH_SERVER" status > /dev/null 2>&1; then
	if ! ch_start > /dev/null; then
		nok "e2e_qref_clickhouse: the server starts on loopback" "see $CH_DIR/log"
		exit 0
	fi
	started=1
fi
db=q$$_$RANDOM
chq() { curl -s "http://127.0.0.1:$CH_HTTP_PORT/" --data-binary "$1"; }
e2e_cleanup() {
	for n in adv big demo rd; do
		chq "DROP DATABASE IF EXISTS ${db}_$n" > /dev/null
	done
	[ "$started" = 1 ] && "$CH_SERVER" stop > /dev/null
}
QREF_CH="clickhouse://127.0.0.1:$CH_HTTP_PORT/$db" bash tests/e2e_qref.sh
