#!/usr/bin/env bash
# make bench: what loading costs, for both shapes of data (the generator's
# default, and --cardinality high: a fresh token, session or client build
# on most records, as real UAL has) in both formats (Purview portal CSV,
# JSON Lines), each beside two sqlite3 pipelines a responder could script
# instead, timed the same way in the same run:
#   plain     .import, json_extract of 7 fields, 5 indexes, journal and
#             sync off
#   full      .import, json_extract of the 15 fields auditscope keeps, the
#             same 10 indexes as the first version of this bench
# then a zip of 10,000 one-record members, 200k events appended to the
# 1M case, and the query, hunt, interface and export figures on the case
# just loaded. Inputs are generated once into $BUILD/bench and reused.
# Prints figures; asserts nothing.
#
#   BENCH_EVENTS (1000000)  events per input
#   BENCH_RUNS (3)          runs of each auditscope load (best wall kept)
#   BENCH_BASE_RUNS (1)     runs of each sqlite3 pipeline
#   BENCH_ZIP_RUNS (3)      runs of the 10,000-member zip load (best kept:
#                           one run right after the 1M loads was 0.82 s
#                           where the next three took 0.46-0.50)
#   BENCH_ONLY              'load' stops after the load table (and the
#                           BENCH_VS pairs)
#   BENCH_VS=path/to/auditscope   the same 200k load and 200k append against
#                           another build
#   BENCH_PROGS (all)       which of the other benchmarks to run, by name
#                           ("query hunt": bench_query and bench_hunt)
#   BENCH_BIG (1)           then tests/bench_big.sh (1M, 5M, 10M: how time and
#                           memory grow, each input read from the disk) in the
#                           same run; 0 leaves it out (it generates ~27 GB of
#                           input once, removed after, and loads for minutes)
set -eu
BUILD=${BUILD:-build}
EVENTS=${BENCH_EVENTS:-1000000}
RUNS=${BENCH_RUNS:-3}
BASE_RUNS=${BENCH_BASE_RUNS:-1}
SEED=${BENCH_SEED:-558}
cd "$(dirname "$0")/.."
# BENCH_VS names a binary: given anything else (a commit id), the run
# went on for 17 minutes and stopped at its pairs (wave 26)
if [ -n "${BENCH_VS:-}" ] && [ ! -x "$BENCH_VS" ]; then
	echo "bench: BENCH_VS=$BENCH_VS is not an executable auditscope (give its path, e.g. ../base/build/auditscope)" >&2
	exit 2
fi
dir=$BUILD/bench
mkdir -p "$dir"
run=$BUILD/bench_load
bin=$BUILD/auditscope
gen=$BUILD/auditgen
results=$dir/results.txt
: > "$results"
: > "$dir/load.err" # what the loads said on stderr (the IP database warning, say)
nproc_=$(nproc)
read -r la _ < /proc/loadavg
echo "auditscope load bench: $EVENTS events per input, best of $RUNS (sqlite3: best of $BASE_RUNS); $nproc_ cores, load average $la at start"

# input FORMAT CARD N SEED -> path (generated once)
input() {
	local ext=csv
	[ "$1" = jsonl ] && ext=jsonl
	local f=$dir/$1-$2-$3-s$4.$ext
	if [ ! -s "$f" ]; then
		echo "generating $f (once; reused by later runs)" >&2
		"$gen" --format "$1" --cardinality "$2" --events "$3" --seed "$4" -o "$f.tmp"
		mv "$f.tmp" "$f"
	fi
	echo "$f"
}

field() { grep -o "$1=[0-9.]*" <<<"$2" | cut -d= -f2; }
fsize() { local n; n=$(stat -c %s "$1"); [ -f "$1-wal" ] && n=$((n + $(stat -c %s "$1-wal"))); echo "$n"; }

# The sqlite3 pipelines: how the raw table is read, then what is kept.
import_sql() { # FORMAT FILE
	if [ "$1" = jsonl ]; then
		printf '.mode ascii\n.separator "\\037" "\\n"\nCREATE TABLE raw(AuditData TEXT);\n.import %s raw\n' "$2"
	else
		printf '.import --csv %s raw\n' "$2"
	fi
}
plain_sql() {
	cat <<'SQL'
CREATE TABLE events AS SELECT
  json_extract(AuditData,'$.CreationTime') AS ts,
  json_extract(AuditData,'$.Id') AS record_id,
  json_extract(AuditData,'$.Operation') AS op,
  lower(json_extract(AuditData,'$.UserId')) AS user,
  coalesce(json_extract(AuditData,'$.AppId'), json_extract(AuditData,'$.ApplicationId')) AS app,
  coalesce(json_extract(AuditData,'$.ClientIP'), json_extract(AuditData,'$.ClientIPAddress')) AS ip,
  coalesce(json_extract(AuditData,'$.SessionId'), json_extract(AuditData,'$.AppAccessContext.AADSessionId')) AS session,
  AuditData AS raw
FROM raw;
DROP TABLE raw;
CREATE INDEX b_ts ON events(ts);
CREATE INDEX b_user ON events(user, ts);
CREATE INDEX b_app ON events(app, ts);
CREATE INDEX b_ip ON events(ip, ts);
CREATE INDEX b_op ON events(op, ts);
SQL
}
full_sql() {
	cat <<'SQL'
CREATE TABLE events AS SELECT
  json_extract(AuditData,'$.CreationTime') AS ts,
  json_extract(AuditData,'$.Id') AS record_id,
  json_extract(AuditData,'$.Operation') AS op,
  json_extract(AuditData,'$.RecordType') AS rtype,
  json_extract(AuditData,'$.Workload') AS workload,
  lower(json_extract(AuditData,'$.UserId')) AS user,
  coalesce(json_extract(AuditData,'$.AppId'), json_extract(AuditData,'$.ApplicationId')) AS app,
  json_extract(AuditData,'$.ClientAppId') AS client_app,
  coalesce(json_extract(AuditData,'$.ClientIP'), json_extract(AuditData,'$.ClientIPAddress')) AS ip,
  json_extract(AuditData,'$.ResultStatus') AS result,
  coalesce(json_extract(AuditData,'$.SessionId'), json_extract(AuditData,'$.AppAccessContext.AADSessionId')) AS session,
  json_extract(AuditData,'$.AppAccessContext.UniqueTokenId') AS token,
  lower(json_extract(AuditData,'$.MailboxOwnerUPN')) AS mailbox,
  json_extract(AuditData,'$.OperationProperties[0].Value') AS access,
  json_extract(AuditData,'$.OperationCount') AS op_count,
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
}

# One row of the load table: auditscope, then both pipelines, on one input.
load_row() { # FORMAT CARD
	local fmt=$1 card=$2 f
	f=$(input "$fmt" "$card" "$EVENTS" "$SEED")
	local bytes case=$dir/bench-$fmt-$card.case
	bytes=$(stat -L -c %s "$f") # (an input may be a link to a shared copy)
	cat "$f" > /dev/null # warm the page cache: every contender reads from memory
	local a
	a=$("$run" -n "$RUNS" -b "rm -f $case $case-wal $case-shm $case-journal" "load" -- \
		"$bin" load -q "$case" "$f" 2>>"$dir/load.err")
	local nev cb
	nev=$(sqlite3 "$case" "SELECT count(*) FROM events")
	cb=$(fsize "$case")
	local line="$fmt $card $bytes $nev $(field wall_s "$a") $(field cpu_s "$a") $(field maxrss_mb "$a") $cb"
	# the load the other benchmarks' case comes from, for their ratios
	[ "$fmt $card" = "purview-csv low" ] && echo "$(field wall_s "$a") $(field cpu_s "$a")" > "$dir/load-base.txt"
	for p in plain full; do
		local db=$dir/baseline-$p.db sql=$dir/baseline-$p.sql
		{ printf 'PRAGMA journal_mode=OFF;\nPRAGMA synchronous=OFF;\n'; import_sql "$fmt" "$f"; "${p}_sql"; } > "$sql"
		local b
		b=$("$run" -n "$BASE_RUNS" -b "rm -f $db" "$p" -- sqlite3 "$db" ".read $sql")
		line="$line $(field wall_s "$b") $(field cpu_s "$b") $(fsize "$db")"
		rm -f "$db"
	done
	echo "$line" >> "$results"
}

for fmt in purview-csv jsonl; do
	for card in low high; do
		load_row "$fmt" "$card"
	done
done

echo
echo "load of $EVENTS events (wall: best of $RUNS; cpu: user+system of that run; ratio: pipeline wall / auditscope wall)"
awk '{
	printf "  %-11s %-4s %6.0f MB  %6.2f s wall %6.2f s cpu %8.0f ev/s %6.1f MB/s  RSS %5.0f MB  case %4.1f%%",
		$1, $2, $3 / 1e6, $5, $6, $4 / $5, $3 / 1e6 / $5, $7, 100 * $8 / $3
	printf "  | plain %6.2f s %4.1fx | full %6.2f s %4.1fx\n", $9, $9 / $5, $12, $12 / $5
}' "$results"
echo "  (plain: .import, json_extract of 7 fields, 5 indexes; full: 15 fields, 10 indexes; both journal and sync off;"
echo "   their cpu: $(awk '{ printf "%s%s %s %.1f/%.1f s", (NR > 1 ? ", " : ""), $1, $2, $10, $13 }' "$results"))"
# Portal exports list the newest record first: the same high-cardinality
# CSV in that order (the header, then the records reversed), loaded by
# auditscope alone, beside the ascending row above.
desc=$(input purview-csv high "$EVENTS" "$SEED")
desc_f=${desc%.csv}-desc.csv
if [ ! -s "$desc_f" ]; then
	echo "generating $desc_f (once; reused by later runs)" >&2
	{ head -n 1 "$desc"; tail -n +2 "$desc" | tac; } > "$desc_f.tmp"
	mv "$desc_f.tmp" "$desc_f"
fi
cat "$desc_f" > /dev/null
dcase=$dir/bench-desc.case
d=$("$run" -n "$RUNS" -b "rm -f $dcase $dcase-wal $dcase-shm $dcase-journal" "load" -- \
	"$bin" load -q "$dcase" "$desc_f" 2>>"$dir/load.err")
awk -v w="$(field wall_s "$d")" -v c="$(field cpu_s "$d")" -v r="$(field maxrss_mb "$d")" \
    -v aw="$(awk '$1 == "purview-csv" && $2 == "high" { print $5 }' "$results")" \
    -v ac="$(awk '$1 == "purview-csv" && $2 == "high" { print $6 }' "$results")" 'BEGIN {
	printf "  purview-csv high, newest first (as the portal exports): %.2f s wall %.2f s cpu, RSS %.0f MB (%.2fx / %.2fx the ascending row)\n",
		w, c, r, w / aw, c / ac }'
rm -f "$dcase" "$dcase-wal" "$dcase-shm"

# BENCH_VS=path/to/auditscope: the same load of 200k high-cardinality
# events, this build and another one (say main before a change) in turn,
# BENCH_VS_RUNS (5) pairs, so that the ratio holds on a busy machine;
# then the append of 200k to the 1M-event case the same way.
vs_pairs() {
	local vcsv va vb bbase ra rb
	vcsv=$(input purview-csv high 200000 "$SEED")
	cat "$vcsv" > /dev/null
	va=$dir/vs-a.case vb=$dir/vs-b.case
	ra="" rb=""
	for _ in $(seq "${BENCH_VS_RUNS:-5}"); do
		ra="$ra $("$run" -b "rm -f $va $va-wal $va-journal" a -- "$bin" load -q "$va" "$vcsv")"
		rb="$rb $("$run" -b "rm -f $vb $vb-wal $vb-journal" b -- "$BENCH_VS" load -q "$vb" "$vcsv")"
	done
	echo
	echo "200k high-cardinality events: this build (A) against $BENCH_VS (B), ${BENCH_VS_RUNS:-5} runs each in turn"
	best() { tr ' ' '\n' <<<"$1" | grep "^$2=" | cut -d= -f2 | sort -g | head -1; }
	awk -v aw="$(best "$ra" wall_s)" -v bw="$(best "$rb" wall_s)" -v ac="$(best "$ra" cpu_s)" -v bc="$(best "$rb" cpu_s)" 'BEGIN {
		printf "  A %.2f s wall %.2f s cpu; B %.2f s wall %.2f s cpu; A/B wall %.2f cpu %.2f\n", aw, ac, bw, bc, aw / bw, ac / bc }'
	# and the append: the same 200k into each build's own copy of the
	# 1M-event case (B's made by B, which may not read A's schema)
	local a200 base=$dir/bench-purview-csv-low.case
	a200=$(input purview-csv low 200000 "$((SEED + 1))")
	bbase=$dir/vs-base-b.case
	rm -f "$bbase" "$bbase-wal" "$bbase-shm"
	"$BENCH_VS" load -q "$bbase" "$(input purview-csv low "$EVENTS" "$SEED")" > /dev/null 2>>"$dir/load.err"
	ra="" rb=""
	for _ in $(seq "${BENCH_VS_RUNS:-5}"); do
		ra="$ra $("$run" -b "rm -f $va-wal $va-shm; cp $base $va; sync $va" a -- "$bin" load -q "$va" "$a200")"
		rb="$rb $("$run" -b "rm -f $vb-wal $vb-shm; cp $bbase $vb; sync $vb" b -- "$BENCH_VS" load -q "$vb" "$a200")"
	done
	echo "200k events appended to the $EVENTS-event case: this build (A) against $BENCH_VS (B), in turn"
	awk -v aw="$(best "$ra" wall_s)" -v bw="$(best "$rb" wall_s)" -v ac="$(best "$ra" cpu_s)" -v bc="$(best "$rb" cpu_s)" 'BEGIN {
		printf "  A %.2f s wall %.2f s cpu; B %.2f s wall %.2f s cpu; A/B wall %.2f cpu %.2f\n", aw, ac, bw, bc, aw / bw, ac / bc }'
	rm -f "$va" "$vb" "$va-wal" "$vb-wal" "$va-shm" "$vb-shm" "$bbase" "$bbase-wal" "$bbase-shm"
}

if [ "${BENCH_ONLY:-}" = load ]; then
	[ -n "${BENCH_VS:-}" ] && vs_pairs
	exit 0
fi

# A bundle of 10,000 small files: per-source overhead, not parsing.
zip=$dir/members-10000.zip
if [ ! -s "$zip" ]; then
	j=$(input jsonl low 10000 "$((SEED + 2))")
	rm -rf "$dir/members" && mkdir -p "$dir/members"
	(cd "$dir/members" && split -l 1 -a 5 -d --additional-suffix=.json "$OLDPWD/$j" m)
	(cd "$dir/members" && zip -q -r ../members-10000.zip .)
	rm -rf "$dir/members"
fi
zc=$dir/zip.case
z=$("$run" -n "${BENCH_ZIP_RUNS:-3}" -b "rm -f $zc $zc-wal $zc-shm $zc-journal" zip -- "$bin" load -q "$zc" "$zip" 2>>"$dir/load.err")
echo
awk -v w="$(field wall_s "$z")" -v c="$(field cpu_s "$z")" -v r="$(field maxrss_mb "$z")" 'BEGIN {
	printf "a zip of 10,000 one-record JSON members: %.2f s wall, %.2f s cpu, %.0f records/s, RSS %.0f MB\n", w, c, 10000 / w, r }'

# Appending: 200k new events into the 1M case against the same 200k into
# an empty one (no cliff: about the same cost). The copy of the case is
# on the disk before the append starts (sync FILE: that file's pages
# only), as a case loaded earlier is: left in the page cache, its 310 MB
# were written out by the append's first checkpoint (its fdatasync of
# the case took 0.28-0.37 s), on the disk the append's own checkpoints
# and last sync wait for (same-run pairs, chrt -f 1, load average 16:
# 1.31 s wall with the copy in the page cache, 1.27 s synced).
a200=$(input purview-csv low 200000 "$((SEED + 1))")
cat "$a200" > /dev/null
base=$dir/bench-purview-csv-low.case
ac=$dir/append.case
alone=$("$run" -n "$RUNS" -b "rm -f $ac $ac-wal $ac-shm $ac-journal" alone -- "$bin" load -q "$ac" "$a200" 2>>"$dir/load.err")
app=$("$run" -n "$RUNS" -b "rm -f $ac-wal $ac-shm $ac-journal; cp $base $ac; sync $ac" append -- "$bin" load -q "$ac" "$a200" 2>>"$dir/load.err")
awk -v aw="$(field wall_s "$alone")" -v ac="$(field cpu_s "$alone")" -v pw="$(field wall_s "$app")" \
    -v pc="$(field cpu_s "$app")" -v n="$EVENTS" 'BEGIN {
	printf "200k events appended to the %d-event case: %.2f s wall %.2f s cpu; into an empty case: %.2f s wall %.2f s cpu (%.2fx)\n",
		n, pw, pc, aw, ac, pw / aw }'
# the CPU apart: an append's extra system time is its larger log (the
# time index's and the value index's pages, rewritten into the middle of
# their trees) and the pages it reads back
awk -v u0="$(field user_s "$alone")" -v s0="$(field sys_s "$alone")" -v u1="$(field user_s "$app")" \
    -v s1="$(field sys_s "$app")" 'BEGIN {
	printf "  CPU of the best runs: appended %.2f user + %.2f sys; into an empty case %.2f user + %.2f sys (%.2fx, %.2fx)\n",
		u1, s1, u0, s0, (u0 > 0 ? u1 / u0 : 0), (s0 > 0 ? s1 / s0 : 0) }'
rm -f "$ac" "$ac-wal" "$ac-shm"

# The other benchmarks (queries, hunts, interface, export) run on the
# Purview CSV case of the default shape: each prints its own figures.
# (a log left beside an old copy would be applied to this one: SQLite
# cannot tell it belongs to another file)
rm -f "$dir/bench.case-wal" "$dir/bench.case-shm" "$dir/bench.case-journal"
cp "$base" "$dir/bench.case"
for b in "$BUILD"/bench_*; do
	[ -x "$b" ] || continue
	# bench_load is the load table's; bench_lockwait and bench_pages
	# belong to their own scripts (tests/bench_lockwait.sh: its own input
	# and a second process; tests/bench_clickhouse.sh: both stores' pages
	# for the filters it picks; bench_query gives this case's pages)
	case ${b##*/} in bench_load | bench_lockwait | bench_pages) continue ;; esac
	if [ -n "${BENCH_PROGS:-}" ] && ! grep -qw "${b##*/bench_}" <<<"$BENCH_PROGS"; then
		continue
	fi
	echo
	if [ -f "$dir/load-base.txt" ]; then
		read -r BENCH_LOAD_WALL BENCH_LOAD_CPU < "$dir/load-base.txt"
		export BENCH_LOAD_WALL BENCH_LOAD_CPU
	fi
	case ${b##*/} in
	# how soon Esc stops a scan of every raw record (README: Reliability)
	bench_cancel) "$b" "$dir/bench.case" 'raw~Inbox' ;;
	*) "$b" "$dir/bench.case" ;;
	esac
	# the query targets hold for both shapes: queries and hunts again on
	# the high-cardinality case
	case ${b##*/bench_} in
	query | hunt)
		if [ -s "$dir/bench-purview-csv-high.case" ]; then
			echo
			"$b" "$dir/bench-purview-csv-high.case"
		fi
		;;
	esac
done

# the pairs of BENCH_VS (above), after the load table
if [ -n "${BENCH_VS:-}" ]; then
	vs_pairs
fi

# the growth figures (1M, 5M, 10M events) in the same run, unless
# BENCH_BIG=0
if [ "${BENCH_BIG:-1}" != 0 ]; then
	echo
	BUILD=$BUILD tests/bench_big.sh
fi
