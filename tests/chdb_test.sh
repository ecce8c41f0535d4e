#!/usr/bin/env bash
# make test-chdb: the ClickHouse store's end-to-end tests
# (tests/e2e_clickhouse.sh) on a current ClickHouse, chDB behind the HTTP
# stand-in (tests/chdb_server.sh, tests/chdb_http.c), as `make test` runs
# them on Debian's 18.16 server.
#
# chDB's library (@chdb/lib-linux-x64-gnu, about 540 MB unpacked) comes
# from the npm registry into CHDB_DIR (default build/chdb, outside the
# tracked files) the first time, pinned to CHDB_VERSION; a registry that
# cannot be reached (or no npm) is a skip with the reason, not a failure.
# Prints "N passed, N failed, N skipped" and exits non-zero on a failure.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
export BUILD
version=${CHDB_VERSION:-26.7.3-stable.1}
dir=${CHDB_DIR:-build/chdb}
pkg=@chdb/lib-linux-x64-gnu
mod=$dir/node_modules/$pkg
export CHDB_LIB=$PWD/$mod/libchdb.so
[ "${dir#/}" != "$dir" ] && export CHDB_LIB=$mod/libchdb.so

have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$mod/package.json" 2>/dev/null)
if [ ! -f "$CHDB_LIB" ] || [ "$have" != "$version" ]; then
	if ! command -v npm > /dev/null; then
		echo "skip - chdb: no npm here to install $pkg@$version (apt-get install npm)"
		echo "0 passed, 0 failed, 1 skipped"
		exit 0
	fi
	echo "chdb: installing $pkg@$version from the npm registry into $dir (about 540 MB)"
	mkdir -p "$dir"
	# bounded: a registry that answers slowly is a skip, not a hung run
	if ! timeout 900 npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error \
		"$pkg@$version" > "$dir/npm.log" 2>&1 || [ ! -f "$CHDB_LIB" ]; then
		echo "skip - chdb: npm could not install $pkg@$version (registry unreachable?): $(tail -n 2 "$dir/npm.log" | tr '\n' ' ' | cut -c1-200)"
		echo "0 passed, 0 failed, 1 skipped"
		exit 0
	fi
fi

# (each line as it comes: the run takes minutes)
log=$(mktemp)
CH_FLAVOUR=chdb bash tests/e2e_clickhouse.sh 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
out=$(cat "$log")
rm -f "$log"
p=$(grep -cE '^ok ' <<<"$out")
f=$(grep -cE '^not ok ' <<<"$out")
s=$(grep -cE '^skip ' <<<"$out")
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
	echo "CRASH: tests/e2e_clickhouse.sh (chdb) exited with status $rc"
	f=$((f + 1))
fi
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
