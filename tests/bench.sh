#!/usr/bin/env bash
# make bench: load 1,000,000 generated events (a Purview portal CSV of
# about 1.5 GB, generated once and reused) and print what it cost, beside
# the baseline a responder would otherwise script with the sqlite3 CLI
# (.import, then CREATE TABLE AS SELECT json_extract(...) of the same
# fields, then the same indexes), timed the same way in the same run.
# Prints figures; asserts nothing.
set -eu
BUILD=${BUILD:-build}
EVENTS=${BENCH_EVENTS:-1000000}
SEED=${BENCH_SEED:-558}
cd "$(dirname "$0")/.."
dir=$BUILD/bench
mkdir -p "$dir"
csv=$dir/purview-$EVENTS.csv
run=$BUILD/bench_load

if [ ! -s "$csv" ]; then
	echo "generating $EVENTS events into $csv (once; reused by later runs)"
	"$BUILD/auditgen" --format purview-csv --events "$EVENTS" --seed "$SEED" -o "$csv.tmp"
	mv "$csv.tmp" "$csv"
fi
in_bytes=$(stat -c %s "$csv")
echo "input: $csv, $in_bytes bytes"
# Warm the page cache so that both contenders read from memory.
cat "$csv" > /dev/null

rm -f "$dir/bench.case" "$dir/bench.case-wal" "$dir/bench.case-shm"
load=$("$run" auditscope -- "$BUILD/auditscope" load -q "$dir/bench.case" "$csv")
echo "$load"
case_bytes=$(stat -c %s "$dir/bench.case")
[ -f "$dir/bench.case-wal" ] && case_bytes=$((case_bytes + $(stat -c %s "$dir/bench.case-wal")))
nev=$(sqlite3 "$dir/bench.case" "SELECT count(*) FROM events")

rm -f "$dir/baseline.db"

cat > "$dir/baseline.sql" <<SQL
PRAGMA journal_mode=OFF;
PRAGMA synchronous=OFF;
.import --csv $csv raw
CREATE TABLE events AS SELECT
  json_extract(AuditData,'\$.CreationTime') AS ts,
  json_extract(AuditData,'\$.Id') AS record_id,
  json_extract(AuditData,'\$.Operation') AS op,
  json_extract(AuditData,'\$.RecordType') AS rtype,
  json_extract(AuditData,'\$.Workload') AS workload,
  lower(json_extract(AuditData,'\$.UserId')) AS user,
  coalesce(json_extract(AuditData,'\$.AppId'), json_extract(AuditData,'\$.ApplicationId')) AS app,
  json_extract(AuditData,'\$.ClientAppId') AS client_app,
  coalesce(json_extract(AuditData,'\$.ClientIP'), json_extract(AuditData,'\$.ClientIPAddress')) AS ip,
  json_extract(AuditData,'\$.ResultStatus') AS result,
  coalesce(json_extract(AuditData,'\$.SessionId'), json_extract(AuditData,'\$.AppAccessContext.AADSessionId')) AS session,
  json_extract(AuditData,'\$.AppAccessContext.UniqueTokenId') AS token,
  lower(json_extract(AuditData,'\$.MailboxOwnerUPN')) AS mailbox,
  json_extract(AuditData,'\$.OperationProperties[0].Value') AS access,
  json_extract(AuditData,'\$.OperationCount') AS op_count,
  AuditData AS raw
FROM raw;
DROP TABLE raw;
CREATE UNIQUE INDEX b_rid ON events(record_id);
CREATE INDEX b_ts ON events(ts);
CREATE INDEX b_user ON events(user, ts);
CREATE INDEX b_app ON events(app, ts);
CREATE INDEX b_capp ON events(client_app, ts);
CREATE INDEX b_ip ON events(ip, ts);
CREATE INDEX b_op ON events(op, ts);
CREATE INDEX b_session ON events(session, ts);
CREATE INDEX b_token ON events(token, ts);
CREATE INDEX b_mailbox ON events(mailbox, ts);
SQL
base=$("$run" sqlite3-baseline -- sqlite3 "$dir/baseline.db" ".read $dir/baseline.sql")
echo "$base"
base_bytes=$(stat -c %s "$dir/baseline.db")

wall() { grep -o 'wall_s=[0-9.]*' <<<"$1" | cut -d= -f2; }
rss() { grep -o 'maxrss_mb=[0-9.]*' <<<"$1" | cut -d= -f2; }
lw=$(wall "$load"); bw=$(wall "$base")
awk -v n="$nev" -v lw="$lw" -v bw="$bw" -v lr="$(rss "$load")" -v br="$(rss "$base")" \
    -v ib="$in_bytes" -v cb="$case_bytes" -v bb="$base_bytes" 'BEGIN {
	printf "\nload of %d events (%.0f MB of Purview CSV)\n", n, ib / 1e6
	printf "  auditscope load   %7.2f s  %9.0f events/s  %6.1f MB/s  peak RSS %6.1f MB  case %6.0f MB = %4.1f%% of input\n", lw, n / lw, ib / 1e6 / lw, lr, cb / 1e6, 100 * cb / ib
	printf "  sqlite3 baseline  %7.2f s  %9.0f events/s  %6.1f MB/s  peak RSS %6.1f MB  db   %6.0f MB = %4.1f%% of input\n", bw, n / bw, ib / 1e6 / bw, br, bb / 1e6, 100 * bb / ib
	printf "  speed-up over the baseline: %.1fx\n", bw / lw
}'
rm -f "$dir/baseline.db"

# The other benchmarks (queries, interface, hunts) run on the case just
# loaded: each is a program that prints its own figures.
for b in "$BUILD"/bench_*; do
	[ -x "$b" ] || continue
	[ "$(basename "$b")" = bench_load ] && continue
	echo
	"$b" "$dir/bench.case"
done

# BENCH_VS=path/to/auditscope: the same load, timed against another build
# (say main before a change) by farm-bench, run for run in turn, so that
# the ratio holds on a busy machine. BENCH_VS_EVENTS (default 200000)
# events, BENCH_VS_RUNS (default 5) pairs.
if [ -n "${BENCH_VS:-}" ]; then
	if ! command -v farm-bench >/dev/null 2>&1; then
		echo "BENCH_VS: farm-bench not found; no comparison"
	else
		vn=${BENCH_VS_EVENTS:-200000}
		vcsv=$dir/purview-$vn.csv
		[ -s "$vcsv" ] || "$BUILD/auditgen" --format purview-csv --events "$vn" --seed "$SEED" -o "$vcsv"
		cat "$vcsv" > /dev/null
		echo
		echo "load of $vn events: this build (A) against $BENCH_VS (B)"
		farm-bench -n "${BENCH_VS_RUNS:-5}" --timeout 900 \
			--vs "sh -c 'rm -f $dir/vs-b.case $dir/vs-b.case-wal; exec $BENCH_VS load -q $dir/vs-b.case $vcsv'" \
			-- sh -c "rm -f $dir/vs-a.case $dir/vs-a.case-wal; exec $BUILD/auditscope load -q $dir/vs-a.case $vcsv" |
			grep -E '^(A|B) (cpu|wall) s|^A/B'
		rm -f "$dir"/vs-[ab].case "$dir"/vs-[ab].case-wal
	fi
fi
