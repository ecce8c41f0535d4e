#!/usr/bin/env bash
# End-to-end: the terminal interface in a real terminal. tmux runs
# `auditscope CASE` on the demo bundle (a planted Storm-0558-style
# intrusion; the planted facts come from the generator's manifest), keys
# are sent with send-keys and the screen is read with capture-pane, and
# each check is what a person would look at: a pivot narrows the rows to
# the value, the stack sorted rare-first lists the planted app id first,
# a bookmark survives kill -9 and a reopen, a resize redraws (and a tiny
# terminal says so), and a record whose fields hold escape sequences
# shows them as text. Prints "ok - ..." / "not ok - ..." per check.
. "$(dirname "$0")/e2e_lib.sh"
if ! command -v tmux > /dev/null; then
	echo "skip - tmux is not installed"
	exit 0
fi
sock="auditscope-e2e-$$"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
e2e_cleanup() { tm kill-server > /dev/null 2>&1; }
notok() {
	echo "not ok - $1"
	[ -n "${2:-}" ] && sed 's/^/#   /' "$2"
}

# Screens come out the same whoever runs the test.
export AUDITSCOPE_AUTHOR=e2e AUDITSCOPE_NOW=2024-01-15T09:00:00Z NO_COLOR=1 AUDITSCOPE_THEMES=$PWD/themes
unset AUDITSCOPE_THEME
# Under the sanitizers, reports go to files: the pane's stderr is lost.
export ASAN_OPTIONS="log_path=$t/sanitizer${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$t/sanitizer${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

cd "$t" || exit 1
"$gen" --bundle bundle > /dev/null || { echo "not ok - auditgen"; exit 1; }
mv bundle/manifest.json manifest.json
"$bin" load -q demo.case bundle > /dev/null 2>&1 || { echo "not ok - load the demo bundle"; exit 1; }
m() { jq -r "$1" manifest.json; }
app_id=$(m .planted.app_id)

# The interface in a 160x40 tmux window; exec so that the pane's pid is
# auditscope's own (kill -9 below).
start() { # start CASE [COLS ROWS]
	tm kill-server > /dev/null 2>&1
	tm new-session -d -x "${2:-160}" -y "${3:-40}" \
		"exec env TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 '$bin' '$1'"
}
screen() { tm capture-pane -p -t 0 > "$t/screen"; cat "$t/screen"; }
wait_for() { # wait_for REGEX: until the screen shows it (10 s at most)
	for _ in $(seq 100); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
keys() { tm send-keys -t 0 "$@"; }

# --- first screen ------------------------------------------------------
total=$("$bin" query demo.case --format jsonl | wc -l)
start demo.case
commas=$(echo "$total" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
if wait_for "timeline  1 of $commas " && grep -q "time (UTC)" "$t/screen"; then
	ok "the timeline opens on the first event of $total"
else
	notok "the timeline opens on the first event of $total" "$t/screen"
fi

# --- a pivot narrows the rows to the value ----------------------------
keys l =
if wait_for '> user=' ; then
	user=$(sed -n '1s/.*> user=\([^ ]*\).*/\1/p' "$t/screen")
	want=$("$bin" query demo.case "user=$user" --format jsonl | wc -l)
	# the screen is drawn in one update, but tmux may show it half done
	wait_for " of $want " || true
	rows=$(grep -cE '^..20[0-9]{2}-' "$t/screen")
	mine=$(grep -E '^..20[0-9]{2}-' "$t/screen" | grep -c -- "${user:0:20}")
	if [ -n "$user" ] && [ "$rows" -gt 0 ] && [ "$rows" -eq "$mine" ] && grep -q " of $want " "$t/screen"; then
		ok "= on the user column keeps only $user's $want events"
	else
		notok "= on the user column keeps only the user's events (user '$user', $rows rows, $mine match, want $want)" "$t/screen"
	fi
else
	notok "= on the user column pivots" "$t/screen"
fi
keys BSpace
wait_for '^ auditscope  demo.case   all events *$' || true

# --- the stack, rare first, lists the planted app first ----------------
keys f C-u 'op=MailItemsAccessed' Enter
wait_for '> op=MailItemsAccessed' || true
keys l l F
if wait_for 'rare first'; then
	first=$(sed -n '3p' "$t/screen")
	case "$first" in
	*"$app_id"*) ok "F on the app column, rare first: the planted app $app_id is first" ;;
	*) notok "F on the app column, rare first: the planted app is first" "$t/screen" ;;
	esac
else
	notok "F opens the stack" "$t/screen"
fi

# --- a bookmark survives kill -9 and a reopen ----------------------------
keys Enter
wait_for " app=[0-9a-f]" || true
keys m
if wait_for 'bookmarked' && grep -qE '^\*.20[0-9][0-9]-' "$t/screen"; then
	ok "m bookmarks the event under the cursor"
else
	notok "m bookmarks the event under the cursor" "$t/screen"
fi
pid=$(tm list-panes -t 0 -F '#{pane_pid}')
kill -9 "$pid"
sleep 0.3
marked=$("$bin" query demo.case marked "app=$app_id" --format jsonl | wc -l)
if [ "$marked" -eq 1 ]; then
	ok "after kill -9 the case holds the bookmark"
else
	notok "after kill -9 the case holds the bookmark ($marked marked)"
fi
start demo.case
if wait_for '^\*.20[0-9][0-9]-' && grep -q "app=" "$t/screen"; then
	ok "reopened: the filter is back and the bookmarked row is marked"
else
	notok "reopened: the filter is back and the bookmarked row is marked" "$t/screen"
fi

# --- resize redraws ------------------------------------------------------
# Wait for the redraw itself (20 lines, none wider than 90 columns, the
# status line in place), not for a time: under load tmux may show the old
# screen for a while. Widths are display columns (wc -L), since a cut
# value ends in a multi-byte mark.
resized() {
	[ "$(wc -l < "$t/screen")" -eq 20 ] && sed -n '19p' "$t/screen" | grep -q '? help' &&
		grep -q 'time (UTC)' "$t/screen" && [ "$(LC_ALL=C.UTF-8 wc -L < "$t/screen")" -le 90 ]
}
wait_until() { # wait_until FUNCTION: until the screen satisfies it (10 s at most)
	for _ in $(seq 100); do
		screen > /dev/null
		"$1" && return 0
		sleep 0.1
	done
	return 1
}
tm resize-window -t 0 -x 90 -y 20
if wait_until resized; then
	ok "a resize to 90x20 redraws the table and the status line"
else
	notok "a resize to 90x20 redraws the table and the status line" "$t/screen"
fi
tm resize-window -t 0 -x 30 -y 5
if wait_for 'Terminal too small'; then
	ok "a 30x5 terminal says it is too small"
else
	notok "a 30x5 terminal says it is too small" "$t/screen"
fi
tm resize-window -t 0 -x 160 -y 40
if wait_for 'time \(UTC\)'; then
	ok "back to 160x40, the table returns"
else
	notok "back to 160x40, the table returns" "$t/screen"
fi

# --- q quits and restores the terminal -----------------------------------
keys q
sleep 0.5
if ! tm has-session -t 0 2> /dev/null; then
	ok "q leaves the interface"
else
	notok "q leaves the interface" "$t/screen"
fi

# --- :export, Esc while it runs: the previous export stays whole -------
# (issue 10, finding 11: it used to write in place and leave a truncated
# file; now a temporary file beside it is removed)
"$gen" --format jsonl --events 20000 -o big.jsonl > /dev/null 2>&1
"$bin" load -q big.case big.jsonl > /dev/null 2>&1
printf 'the previous export\n' > prev.jsonl
start big.case
wait_for "timeline  1 of 20,000 " || true
# Esc is read by the export's progress callback, right after it starts
keys ":export jsonl $t/prev.jsonl" Enter y Escape
if wait_for 'export: cancelled|exported 20,000'; then
	if grep -q 'export: cancelled' "$t/screen"; then
		if [ "$(cat prev.jsonl)" = "the previous export" ] && ! ls prev.jsonl.partial-* > /dev/null 2>&1; then
			ok ":export stopped by Esc leaves the previous export whole and no temporary file"
		else
			notok ":export stopped by Esc leaves the previous export whole and no temporary file" "$t/screen"
		fi
	else
		echo "skip - :export finished before Esc was read"
	fi
else
	notok ":export answers (cancelled or done)" "$t/screen"
fi
keys q
sleep 0.3

# --- escape sequences in a record are shown as text ---------------------
printf '%s\n' '{"CreationTime":"2023-06-18T03:00:00","Id":"20000000-0000-0000-0000-000000000001","Operation":"New-InboxRule","RecordType":1,"Workload":"Exchange","UserId":"evil\u001b[31mRED\u001b[0m\u001b]0;pwned\u0007@contoso.com","ClientIP":"203.0.113.61","ResultStatus":"True","ClientInfoString":"\u202eexe.txt"}' > hostile.jsonl
"$bin" load -q hostile.case hostile.jsonl > /dev/null 2>&1
start hostile.case
# (user names are stored lower-case)
if wait_for 'evil\\e\[31mred\\e\[0m\\e\]0;pwned\\x07'; then
	ok "a user field holding escape sequences is shown as text"
else
	notok "a user field holding escape sequences is shown as text" "$t/screen"
fi
tm capture-pane -p -e -t 0 > "$t/screen-e"
if ! grep -q $'\e\[31m' "$t/screen-e" && [ "$(tm display -p -t 0 '#{pane_title}')" != pwned ]; then
	ok "the escape sequences did not reach the terminal (no red, no title change)"
else
	notok "the escape sequences did not reach the terminal" "$t/screen-e"
fi
keys Enter
if wait_for '\\u202eexe.txt'; then
	ok "the detail view shows a bidi override as \\u202e"
else
	notok "the detail view shows a bidi override as \\u202e" "$t/screen"
fi
keys q q
sleep 0.5
if ls "$t"/sanitizer.* > /dev/null 2>&1; then
	cat "$t"/sanitizer.* > "$t/sanitizer-all"
	notok "no sanitizer reports" "$t/sanitizer-all"
else
	ok "no sanitizer reports"
fi
