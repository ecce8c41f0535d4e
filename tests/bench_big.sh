#!/usr/bin/env bash
# make bench-big: loads of 1M, 5M and 10M generated events (Purview portal
# CSV, default shape; about 1.8 GB a million) into empty cases, one run
# each, to show how time and memory grow with the input: wall and CPU
# seconds, each as a multiple of the 1M load's, and peak RSS. The big
# inputs take 9 and 18 GB in $BUILD/bench and are removed afterwards
# unless BENCH_KEEP=1. Prints figures; asserts nothing.
#   BENCH_BIG_SIZES (1000000 5000000 10000000), BENCH_SEED (558),
#   BENCH_BIG_CARD (low; high: the generator's high-cardinality shape, a
#   fresh token, session or client build on most records, whose values
#   grow with the input as the default shape's do not)
set -eu
BUILD=${BUILD:-build}
SEED=${BENCH_SEED:-558}
CARD=${BENCH_BIG_CARD:-low}
cd "$(dirname "$0")/.."
dir=$BUILD/bench
mkdir -p "$dir"
run=$BUILD/bench_load
read -r la _ < /proc/loadavg
echo "auditscope load growth ($CARD cardinality): $(nproc) cores, load average $la at start"
w1="" c1=""
for n in ${BENCH_BIG_SIZES:-1000000 5000000 10000000}; do
	f=$dir/purview-csv-$CARD-$n-s$SEED.csv
	made=""
	if [ ! -s "$f" ]; then
		echo "generating $f" >&2
		"$BUILD/auditgen" --format purview-csv --cardinality "$CARD" --events "$n" --seed "$SEED" -o "$f.tmp"
		mv "$f.tmp" "$f"
		made=1
	fi
	c=$dir/big.case
	r=$("$run" -b "rm -f $c $c-wal $c-shm $c-journal" "$n" -- "$BUILD/auditscope" load -q "$c" "$f" 2>/dev/null)
	w=$(grep -o 'wall_s=[0-9.]*' <<<"$r" | cut -d= -f2)
	cpu=$(grep -o 'cpu_s=[0-9.]*' <<<"$r" | cut -d= -f2)
	rss=$(grep -o 'maxrss_mb=[0-9.]*' <<<"$r" | cut -d= -f2)
	[ -z "$w1" ] && w1=$w c1=$cpu n1=$n
	awk -v n="$n" -v b="$(stat -c %s "$f")" -v w="$w" -v c="$cpu" -v r="$rss" -v w1="$w1" -v c1="$c1" \
	    -v n1="$n1" -v cb="$(stat -c %s "$c")" 'BEGIN {
		printf "  %9d events %6.1f GB  %8.2f s wall (%5.2fx the %d) %8.2f s cpu (%5.2fx)  %8.0f ev/s  RSS %5.0f MB  case %4.1f%%\n",
			n, b / 1e9, w, w / w1, n1, c, c / c1, n / w, r, 100 * cb / b }'
	rm -f "$c" "$c-wal" "$c-shm"
	# an if, not an && chain: as the loop's last command a false test
	# would be the script's exit status (make bench then failed after
	# printing every figure)
	if [ -n "$made" ] && [ -z "${BENCH_KEEP:-}" ] && [ "$n" != 1000000 ]; then
		rm -f "$f"
	fi
done
