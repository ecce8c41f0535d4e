#!/usr/bin/env bash
# make fuzz: build every libFuzzer target (tests/fuzz_*.c) with clang,
# AddressSanitizer and UBSan, and run each for a short time on a scratch
# copy of its seed corpus (tests/fuzz-corpus/<target>/; files named open-*
# are reproducers of bugs not fixed yet and are left out, or the run would
# stop on them at once). Prints one line per target and exits non-zero
# when any target crashed (a sanitizer report, a failed check of the
# target's own, a leak, or one input running over 10 s), keeping the input
# that did it under build-fuzz/crashes/ and printing its path, a command
# that replays it and the innermost project frames of the report.
#
#   FUZZ_SECONDS   seconds per target (default 20)
#   FUZZ_TARGETS   space-separated subset, e.g. "csv json_scan" (default all)
#   FUZZ_KEEP      a folder to copy each target's grown corpus into
#                  (never the repository: seeds are chosen by hand)
#   FUZZ_CC        compiler (default clang)
#   FUZZ_OUT       build folder (default build-fuzz)
#
# Objects are rebuilt only when a source or a header it includes changed.
# New corpus files stay in the scratch folder, which is removed at the end.
set -u
cd "$(dirname "$0")/.." || exit 2

SECS=${FUZZ_SECONDS:-20}
CC=${FUZZ_CC:-clang}
OUT=${FUZZ_OUT:-build-fuzz}
# the core's packages, as the Makefile's CORE_PKGS (the case-file target
# reaches the stores, Sigma's YAML, the IP databases and ClickHouse's HTTP)
PKGS="sqlite3 jansson libpcre2-8 libarchive libzstd libcrypto yaml-0.1 libmaxminddb libcurl"

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: $CC not found (the Makefile's deps target installs clang)" >&2
	exit 2
fi
if ! pkg_cflags=$(pkg-config --cflags $PKGS) || ! pkg_libs=$(pkg-config --libs $PKGS); then
	echo "fuzz: pkg-config cannot find: $PKGS" >&2
	exit 2
fi

# libarchive's and libcurl's SONAMEs, which core/lazylib.c opens (as the Makefile)
soname() { objdump -p "$(pkg-config --variable=libdir "$1")/$1.so" 2>/dev/null | sed -n 's/^ *SONAME *//p'; }
lazy="-DLAZYLIB_ARCHIVE_SO=\"$(soname libarchive)\" -DLAZYLIB_CURL_SO=\"$(soname libcurl)\""

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
BASE="-std=c11 -g -O1 -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 -Icore $pkg_cflags $lazy"
WARN="-Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wwrite-strings -Wundef"
mkdir -p "$OUT/core" "$OUT/crashes" "$OUT/logs"

# Is $1 older than its source or any header its .d file names?
stale() {
	local obj=$1 dep=$1
	dep=${obj%.o}.d
	[ -f "$obj" ] && [ -f "$dep" ] || return 0
	local f
	for f in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$dep"); do
		case $f in *:) continue ;; esac
		[ "$f" -nt "$obj" ] && return 0
	done
	return 1
}

# Compile core modules into $OUT/core (those out of date) and remake
# $OUT/libcore.a from them. A file that does not compile (another
# engineer's work in progress) is left out with a note: it breaks the link
# only if a target needs it.
declare -A in_lib=()
build_core() {
	local src obj name
	for src in "$@"; do
		# core/store.c, core/sqlite/store.c and core/clickhouse/store.c
		# are three objects: the path names each
		name=${src#core/}
		name=${name%.c}
		name=${name//\//_}
		obj=$OUT/core/$name.o
		if stale "$obj" && ! $CC $BASE $WARN $SAN -fsanitize=fuzzer-no-link -MMD -MP -c \
			-o "$obj" "$src" 2> "$OUT/logs/build-$name.log"; then
			echo "fuzz: note: $src does not compile, left out (see $OUT/logs/build-$name.log)" >&2
			rm -f "$obj"
			unset "in_lib[$obj]"
			continue
		fi
		in_lib[$obj]=1
	done
	rm -f "$OUT/libcore.a"
	ar rcs "$OUT/libcore.a" "${!in_lib[@]}"
}

# The modules the targets reach (ingest.c's ingest_paths pulls in the
# store). If a target comes to need more, its link fails and every core
# module is compiled before one more try.
CORE_NEEDED="xalloc json_scan csv stream timeparse normalize sanitize input ingest ingest_csv ingest_json store"
needed=()
for m in $CORE_NEEDED; do
	[ -f "core/$m.c" ] && needed+=("core/$m.c")
done
build_core "${needed[@]}" || exit 1
all_core=0

link() { # link TARGET: build $OUT/fuzz_TARGET
	$CC $BASE $WARN -Werror $SAN -fsanitize=fuzzer -o "$OUT/fuzz_$1" "tests/fuzz_$1.c" \
		"$OUT/libcore.a" $pkg_libs -ldl -lpthread -lm > "$OUT/logs/build-fuzz_$1.log" 2>&1
}

# Target name, -max_len suited to what the parser is given.
declare -A MAXLEN=(
	[json_scan]=16384 [csv]=16384 [timeparse]=64 [normalize]=16384
	[ingest]=32768 [sanitize]=4096 [input]=16384 [casefile]=65536
)

all=()
for f in tests/fuzz_*.c; do
	t=$(basename "${f%.c}")
	all+=("${t#fuzz_}")
done
targets=(${FUZZ_TARGETS:-${all[@]}})

# Dictionaries (libFuzzer syntax: \" \\ \xNN): the words the parsers
# branch on, which random mutation would take long to spell.
dict() {
	case $1 in
	json_scan|normalize|ingest)
		cat <<-'EOF'
		"{"
		"}"
		"["
		"]"
		":"
		","
		"\""
		"\\u"
		"\\ud83d\\ude00"
		"\\ud800"
		"\\\""
		"\\\\\\\""
		"true"
		"false"
		"null"
		"-0.5e+3"
		"1E400"
		EOF
		;;&
	normalize|ingest)
		for k in CreationTime Id Operation RecordType Workload UserId AppId ApplicationId \
			ClientAppId ClientIP ClientIPAddress ActorIpAddress ResultStatus SessionId \
			AppAccessContext MailboxOwnerUPN OperationProperties OperationCount Folders \
			ClientInfoString ExtendedProperties AADSessionId UniqueTokenId TimeGenerated OfficeId \
			OfficeWorkload Client_IPAddress SourceRecordId AuditData CreationDate RecordId \
			Operations UserIds Identity auditData id createdDateTime operation \
			userPrincipalName clientIp service auditLogRecordType appId ipAddress status \
			sessionId uniqueTokenIdentifier userAgent servicePrincipalName isInteractive \
			signInEventTypes clientAppUsed activityDateTime activityDisplayName initiatedBy \
			result errorCode user app displayName Name Value Path FolderItems \
			InternetMessageId SizeInBytes MailAccessType IsThrottled UserAgent value \
			servicePrincipal managedIdentity nonInteractiveUser; do
			printf '"\\"%s\\":"\n' "$k"
		done
		cat <<-'EOF'
		"2023-09-26T01:56:15"
		"\\/Date(1720919582928)\\/"
		"[2603:10b6::12]:18835"
		"::ffff:1.2.3.4:443"
		"\\\"[{\\\\\\\"Name\\\\\\\":"
		"Bind"
		"Sync"
		"True"
		EOF
		;;&
	csv|ingest)
		cat <<-'EOF'
		"\"\""
		"\",\""
		"\";\""
		"\x0d\x0a"
		"#TYPE "
		"RecordId,CreationDate,RecordType,Operation,UserId,AuditData"
		"\"RecordType\",\"CreationDate\",\"UserIds\",\"Operations\",\"AuditData\",\"ResultIndex\",\"ResultCount\",\"Identity\""
		"\"Date (UTC)\",\"Request ID\",\"Username\",\"Application ID \",\"IP address\",\"Status\",\"Sign-in error code\""
		"Service principal name"
		"Unique token identifier"
		"Session ID"
		"User agent"
		"Client app"
		"9/26/2023 1:56:15 AM"
		"26.09.2023 01:56:15"
		"2026-01-24T06:54:24.0000000Z "
		"\"{\"\"CreationTime\"\":\"\"2023-06-01T01:24:19\"\",\"\"Id\"\":\"\"x\"\",\"\"Operation\"\":\"\"y\"\"}\""
		EOF
		;;
	timeparse)
		cat <<-'EOF'
		"T"
		"Z"
		":"
		"-"
		"/"
		"."
		" AM"
		" PM"
		"UTC"
		"+05:30"
		"-0800"
		"/Date("
		")/"
		"\\/Date("
		")\\/"
		"2023-09-26"
		"12/31/1999"
		"31.12.1999"
		"23:59:60"
		".0000000"
		EOF
		;;
	sanitize)
		cat <<-'EOF'
		"\x1b["
		"\xc2\x9b"
		"\xe2\x80\xae"
		"\xe2\x81\xa6"
		"\xef\xbb\xbf"
		"\xed\xa0\x80"
		"\xf4\x90\x80\x80"
		"\xc0\x80"
		"\x7f"
		"{\"a\":\""
		"\\u00"
		"\"}"
		EOF
		;;
	input)
		cat <<-'EOF'
		"\xff\xfe"
		"\xfe\xff"
		"\xef\xbb\xbf"
		"\x00\xd8"
		"\x00\xdc"
		"\xd8\x00"
		"\xdc\x00"
		"\x3d\xd8\x00\xde"
		EOF
		;;
	esac
}

# The scratch folder: corpus copies, dictionaries and the targets' own
# temporary files (FUZZ_TMPDIR), in memory where /dev/shm exists, and
# removed at the end even when a target crashed.
shm=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && shm=/dev/shm
scratch=$(mktemp -d "$shm/auditscope-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
export FUZZ_TMPDIR=$scratch

failed=0
for t in "${targets[@]}"; do
	src=tests/fuzz_$t.c
	bin=$OUT/fuzz_$t
	log=$OUT/logs/$t.log
	if [ ! -f "$src" ]; then
		echo "fuzz_$t: no such target ($src)"
		failed=1
		continue
	fi
	linked=0
	if link "$t"; then
		linked=1
	elif [ $all_core = 0 ] && grep -q 'undefined reference' "$OUT/logs/build-fuzz_$t.log"; then
		all_core=1
		build_core core/*.c core/sqlite/*.c core/clickhouse/*.c && link "$t" && linked=1
	fi
	if [ $linked = 0 ]; then
		echo "fuzz_$t: BUILD FAILED (see $OUT/logs/build-fuzz_$t.log)"
		sed -n '1,20p' "$OUT/logs/build-fuzz_$t.log" >&2
		failed=1
		continue
	fi
	corpus=$scratch/$t
	mkdir -p "$corpus"
	if [ -d "tests/fuzz-corpus/$t" ]; then
		find "tests/fuzz-corpus/$t" -maxdepth 1 -type f ! -name 'open-*' -exec cp {} "$corpus/" \;
	fi
	dict "$t" > "$scratch/$t.dict"
	dictopt=()
	[ -s "$scratch/$t.dict" ] && dictopt=(-dict="$scratch/$t.dict")
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"$bin" -max_total_time="$SECS" -max_len="${MAXLEN[$t]:-16384}" -timeout=10 \
		-rss_limit_mb=1536 -print_final_stats=1 -use_value_profile=1 \
		-artifact_prefix="$OUT/crashes/$t-" "${dictopt[@]}" "$corpus" > "$log" 2>&1
	rc=$?
	runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
	ncorp=$(find "$corpus" -type f | wc -l)
	if [ -n "${FUZZ_KEEP:-}" ]; then
		mkdir -p "$FUZZ_KEEP/$t" && cp "$corpus"/* "$FUZZ_KEEP/$t/" 2>/dev/null
	fi
	if [ "$rc" -eq 0 ]; then
		echo "fuzz_$t: ok, ${runs:-?} runs in ${SECS}s, coverage ${cov:-?}, corpus $ncorp"
		continue
	fi
	failed=1
	art=$(grep -oE "(Test unit|artifact) written to [^ ]+" "$log" | tail -1 | sed 's/.* to //')
	why=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer|UndefinedBehaviorSanitizer): [^(]*' "$log" |
		sed 's/^ERROR: //')
	[ -z "$why" ] && why=$(grep -m1 -E 'runtime error:|fuzz check failed:' "$log" | sed 's/^[^ ]* //')
	echo "fuzz_$t: CRASH after ${runs:-?} runs: ${why:-exit status $rc}"
	echo "  input: ${art:-none kept}   log: $log"
	[ -n "$art" ] && echo "  replay: $bin $art"
	grep -m1 -E '^SUMMARY:|fuzz check failed:' "$log" | sed 's/^/  /'
	# the innermost frames in the project's code, from the report's
	# first stack: where to look first
	awk -v root="$PWD/" '
		/ERROR: |fuzz check failed:|runtime error:/ { on = 1 }
		on && /^ +#[0-9]+ / && $0 ~ "/(core|tests)/" {
			for (i = 1; i <= NF; i++) if ($i == "in") { fn = $(i + 1); loc = $(i + 2) }
			sub(root, "", loc); sub(/:[0-9]+$/, "", loc)
			out = out (n++ ? " < " : "") fn " " loc
			if (n == 3) exit
		}
		END { if (n) print "  at " out }' "$log"
done
exit $failed
