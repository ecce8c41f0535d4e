#!/usr/bin/env bash
# The whole suite: every cmocka unit test binary, then every end-to-end
# script (tests/e2e_*.sh, which print TAP-style "ok - ..." lines).
# Prints one closing line "N passed, N failed, N skipped" and exits
# non-zero when anything failed or crashed.
set -u
BUILD=${BUILD:-build}
export BUILD
cd "$(dirname "$0")/.." || exit 2
pass=0 fail=0 skip=0
failed_names=()

count() { grep -oE "\[  $1 *\] [0-9]+" <<<"$2" | tail -1 | grep -oE '[0-9]+$' || echo 0; }

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(count PASSED "$out"); f=$(count FAILED "$out"); s=$(count SKIPPED "$out")
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "CRASH: $t exited with status $rc"
		fail=$((fail + 1))
	fi
	[ "$rc" -ne 0 ] && failed_names+=("$t")
done

for t in tests/e2e_*.sh; do
	[ -f "$t" ] || continue
	[ "$t" = tests/e2e_lib.sh ] && continue # sourced by the others
	echo "== $t"
	out=$(bash "$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(grep -cE '^ok ' <<<"$out"); f=$(grep -cE '^not ok ' <<<"$out"); s=$(grep -cE '^skip ' <<<"$out")
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "CRASH: $t exited with status $rc"
		fail=$((fail + 1))
	fi
	[ "$rc" -ne 0 ] && failed_names+=("$t")
done

[ ${#failed_names[@]} -gt 0 ] && echo "failing: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
