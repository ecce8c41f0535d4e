#!/bin/sh
# make-demo.sh: build the demo case from the generated sample bundle.
#
# Writes $BUILD/demo-bundle (auditgen --bundle: every export format, with
# overlapping windows and duplicates; its manifest.json is moved out to
# $BUILD/demo-manifest.json) and loads it into
# a fresh $BUILD/demo.case. Run from the repository root after `make`;
# `make demo` does both and opens the case.
set -eu

BUILD=${BUILD:-build}
GEN="$BUILD/auditgen"
BIN="$BUILD/auditscope"

for f in "$GEN" "$BIN"; do
	if [ ! -x "$f" ]; then
		echo "make-demo.sh: $f not found: run make first" >&2
		exit 1
	fi
done

# A stale bundle could hold files a newer generator no longer writes.
rm -rf "$BUILD/demo-bundle"
"$GEN" --bundle "$BUILD/demo-bundle"
# The manifest is the answer key, not evidence: keep it beside the bundle.
mv "$BUILD/demo-bundle/manifest.json" "$BUILD/demo-manifest.json"

# Start from an empty case: loading twice would only add duplicates.
rm -f "$BUILD/demo.case" "$BUILD/demo.case-wal" "$BUILD/demo.case-shm" "$BUILD/demo.case-journal"
"$BIN" load "$BUILD/demo.case" "$BUILD/demo-bundle"

echo "demo case: $BUILD/demo.case (planted facts: $BUILD/demo-manifest.json)"
