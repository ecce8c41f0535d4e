#!/usr/bin/env bash
# End-to-end: evidence you can trust under attack and faults (issue 10).
# Each numbered section reproduces one finding of the adversarial run and
# checks that it stays fixed. Prints "ok - ..." / "not ok - ..." lines
# (tests/run.sh counts them).
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
B=$(cd "$BUILD" && pwd)
bin=$B/auditscope
t=$(mktemp -d)
trap 'chmod -R u+w "$t" 2>/dev/null; rm -rf "$t"' EXIT
check() { # check NAME COMMAND...: ok when COMMAND succeeds
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then echo "ok - $name"; else echo "not ok - $name"; fi
}
count() { sqlite3 "$1" "$2"; }

# One UAL AuditData object a line: rec ID OP EXTRA-JSON
rec() {
	printf '{"CreationTime":"2023-06-16T10:00:%02d","Id":"%s","Operation":"%s","UserId":"alice@contoso.com","ClientIP":"203.0.113.9"%s}\n' \
		"$(( ${#1} % 60 ))" "$1" "$2" "$3"
}

# 6. a value over 4,096 bytes seen twice in one load into a new case
ua=$(head -c 5000 /dev/zero | tr '\0' 'A')
{ rec r6-1 MailItemsAccessed ",\"ClientInfoString\":\"$ua\""; rec r6-2 MailItemsAccessed ",\"ClientInfoString\":\"$ua\""; } > "$t/long.json"
"$bin" load "$t/c6.case" "$t/long.json" > /dev/null 2>&1
check "6: a long value twice in a new case loads both events" test "$(count "$t/c6.case" 'select count(*) from events')" = 2
