#!/usr/bin/env bash
# End-to-end: `make demo`, README's first command, as the Makefile runs
# it: samples/make-demo.sh builds the sample case, then the interface
# opens on it in a real terminal (tmux). It must show the sample, its
# hunts as README says (H: rare-apps finds the planted app), and quit
# cleanly on q. The demo's files go to a folder of the test's own (the
# binaries linked there), never over build/demo.case.
# Prints "ok - ..." / "not ok - ..." / "skip - ..." lines.
. "$(dirname "$0")/e2e_lib.sh"
if ! command -v tmux > /dev/null; then
	echo "skip - make demo: tmux is not installed"
	exit 0
fi
sock="auditscope-demo-$$"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
e2e_cleanup() { tm kill-server > /dev/null 2>&1; }
notok() {
	echo "not ok - $1"
	[ -n "${2:-}" ] && sed 's/^/#   /' "$2"
}
export AUDITSCOPE_AUTHOR=e2e NO_COLOR=1 AUDITSCOPE_THEMES=$PWD/themes
unset AUDITSCOPE_THEME
export ASAN_OPTIONS="log_path=$t/sanitizer${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$t/sanitizer${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

d=$t/build
mkdir "$d"
ln -s "$B/auditscope" "$d/auditscope"
ln -s "$B/auditgen" "$d/auditgen"
# the Makefile's demo recipe, line by line
recipe=$(sed -n '/^demo:/,/^$/p' Makefile | tail -n +2 | sed 's/^\t//')
if [ "$(sed -n 1p <<<"$recipe")" = 'BUILD=$(BUILD) samples/make-demo.sh' ] &&
	[ "$(sed -n 2p <<<"$recipe")" = '$(BIN) $(BUILD)/demo.case' ]; then
	ok "make demo: its recipe is make-demo.sh, then the interface on the demo case"
else
	notok "make demo: its recipe is make-demo.sh, then the interface on the demo case (got: $recipe)"
fi
if BUILD=$d samples/make-demo.sh > "$t/make-demo.out" 2>&1; then
	ok "make demo: samples/make-demo.sh builds the sample case"
else
	notok "make demo: samples/make-demo.sh builds the sample case" "$t/make-demo.out"
fi
total=$("$d/auditscope" query "$d/demo.case" --format jsonl 2> /dev/null | wc -l)
if [ "$total" -gt 1000 ] && [ -s "$d/demo-manifest.json" ] && [ ! -e "$d/demo-bundle/manifest.json" ]; then
	ok "make demo: the case holds the sample ($total events), the manifest beside it"
else
	notok "make demo: the case holds the sample ($total events), the manifest beside it"
fi

screen() { tm capture-pane -p -t 0 > "$t/screen"; cat "$t/screen"; }
wait_for() { # wait_for REGEX: until the screen shows it (20 s at most)
	for _ in $(seq 200); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
# (its exit status into a file: the pane goes with it)
tm new-session -d -x 160 -y 40 \
	"env TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 '$d/auditscope' '$d/demo.case'; echo \$? > '$t/status'"
commas=$(echo "$total" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
if wait_for "timeline  1 of $commas " && grep -q "time (UTC)" "$t/screen"; then
	ok "make demo: the interface opens on the sample's $commas events"
else
	notok "make demo: the interface opens on the sample's $commas events" "$t/screen"
fi
app=$(jq -r .planted.app_id "$d/demo-manifest.json")
tm send-keys -t 0 H
if wait_for "^! rare-apps +1 " && grep -q "new-app-for-mailbox" "$t/screen"; then
	ok "make demo: H lists the hunts, rare-apps with its one hit"
else
	notok "make demo: H lists the hunts, rare-apps with its one hit" "$t/screen"
fi
tm send-keys -t 0 Enter
if wait_for "${app:0:8}"; then
	ok "make demo: the rare-apps hunt shows the planted app"
else
	notok "make demo: the rare-apps hunt shows the planted app ($app)" "$t/screen"
fi
tm send-keys -t 0 q q q
for _ in $(seq 100); do
	[ -s "$t/status" ] && break
	sleep 0.1
done
st=$(cat "$t/status" 2> /dev/null)
if [ "$st" = 0 ]; then
	ok "make demo: q quits the interface with status 0"
else
	notok "make demo: q quits the interface with status 0 (got '$st')" "$t/screen"
fi
if ls "$t"/sanitizer.* > /dev/null 2>&1; then
	notok "make demo: no sanitizer reports"
	cat "$t"/sanitizer.*
else
	ok "make demo: no sanitizer reports"
fi
