#!/usr/bin/env bash
# End-to-end: what the event table shows, in a real terminal (issue 14).
# tmux runs `auditscope CASE` at 80x24, 120x40 and 250x60 on the demo
# bundle and on the real exports of ../shared/realdata. For each kind of
# log a case holds, the filter of that kind must bring its column set
# (named on the status line, its headings on screen), every indicator
# on screen (users, IPs, app ids, mailboxes of those events) must show
# whole or end in the cut mark, and no line may be wider than the
# terminal (nothing drawn past the edge). Copying goes through OSC 52:
# tmux runs with set-clipboard on, so what `y` sends lands in a tmux
# buffer, read back and compared with the value the command line gives.
# TERM=dumb gets a message, not a key bar. Prints "ok - ..." / "not ok".
. "$(dirname "$0")/e2e_lib.sh"
root=$PWD
if ! command -v tmux > /dev/null; then
	echo "skip - tmux is not installed"
	exit 0
fi
# A server per start: a new session on a server that is still exiting
# fails ("server exited unexpectedly").
nserver=0
sock="auditscope-cols-$$-0"
printf 'set -g set-clipboard on\n' > "$t/tmux.conf"
tm() { tmux -L "$sock" -f "$t/tmux.conf" "$@"; }
new_server() {
	tm kill-server > /dev/null 2>&1
	nserver=$((nserver + 1))
	sock="auditscope-cols-$$-$nserver"
}
e2e_cleanup() { tm kill-server > /dev/null 2>&1; }
notok() {
	echo "not ok - $1"
	[ -n "${2:-}" ] && sed 's/^/#   /' "$2"
}

export AUDITSCOPE_AUTHOR=e2e AUDITSCOPE_NOW=2024-01-15T09:00:00Z NO_COLOR=1 AUDITSCOPE_THEMES=$root/themes
unset AUDITSCOPE_THEME
export ASAN_OPTIONS="log_path=$t/sanitizer${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$t/sanitizer${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

cd "$t" || exit 1
"$gen" --bundle bundle > /dev/null || { echo "not ok - auditgen"; exit 1; }
rm -f bundle/manifest.json
"$bin" load -q demo.case bundle > /dev/null 2>&1 || { echo "not ok - load the demo bundle"; exit 1; }
cases="demo"
real=$root/../shared/realdata
if [ -d "$real" ]; then
	"$bin" load -q real.case "$real"/*.csv "$real"/*.json "$real"/*.jsonl > /dev/null 2>&1 || { echo "not ok - load the real exports"; exit 1; }
	cases="demo real"
else
	echo "# skip the real exports: $real is absent"
fi

start() { # start CASE COLS ROWS
	new_server
	tm new-session -d -x "$2" -y "$3" \
		"exec env TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 '$bin' '$1'"
}
screen() { tm capture-pane -p -t 0 > "$t/screen"; }
wait_for() { # wait_for REGEX: until the screen shows it (10 s at most)
	for _ in $(seq 100); do
		screen
		grep -qE -- "$1" "$t/screen" && return 0
		sleep 0.1
	done
	return 1
}
keys() { tm send-keys -t 0 "$@"; }
# The filter: from the base, one step (Backspace empties the stack).
filter() { # filter TEXT
	for _ in 1 2 3 4; do keys BSpace; done
	keys f C-u "$1" Enter
}

# Every token on screen that starts like an indicator is the indicator,
# another indicator, or a part of one ending in the cut mark.
marks_ok() { # marks_ok VALUES_FILE: 0 when nothing is cut silently
	sed -n '3,$p' "$t/screen" | head -n -2 | tr -s ' ' '\n' | grep -E '^.{6,}$' | sort -u |
		LC_ALL=C awk -v mark="…" '
			NR == FNR { v[$0] = 1; next }
			$0 in v { next }
			{
				tok = $0
				n = length(tok) - length(mark)
				if (n > 0 && substr(tok, n + 1) == mark) {
					p = substr(tok, 1, n)
					for (x in v) if (index(x, p) == 1) next
				}
				for (x in v)
					if (index(x, tok) == 1 && length(x) > length(tok)) {
						print "cut without the mark: \047" tok "\047"
						bad = 1
						next
					}
			}
			END { exit bad }' "$1" - >> "$t/screen"
}

# kind filter | set name | a heading of the set on its first screen
kinds='kind=signin|signin|user
kind=directory_audit|directory|initiated by
record_type=ExchangeAdmin|exchange-admin|cmdlet
op=MailItemsAccessed|events|operation
kind=message_trace|message-trace|sender
kind=graph_activity|graph|user
kind=azure_activity|azure|operation
kind=risk|risk|risk
kind=alert|alert|alert
kind=xdr|xdr|action'

for c in $cases; do
	for size in 80x24 120x40 250x60; do
		cols=${size%x*} rows=${size#*x}
		start "$c.case" "$cols" "$rows"
		wait_for "timeline  .* of " > /dev/null || { notok "$c at $size: the timeline opens" "$t/screen"; continue; }
		while IFS='|' read -r f set heading; do
			vals="$t/values.$c.${f//[^a-zA-Z_]/_}"
			if [ ! -f "$vals" ]; then
				"$bin" query "$c.case" "$f" --format jsonl --limit 400 2> /dev/null |
					jq -r '.user, .ip, .app, .client_app, .mailbox | select(. != null)' |
					grep -vF ' ' | sort -u > "$vals"
				"$bin" query "$c.case" "$f" --format jsonl --limit 1 2> /dev/null | grep -q . || : > "$vals.none"
			fi
			[ -f "$vals.none" ] && continue
			filter "$f"
			what="$c at $size, $f"
			if ! wait_for " $set(   [*#+>!] [^?]*)? *\? help *\$"; then
				notok "$what: the $set column set" "$t/screen"
				continue
			fi
			sleep 0.1
			screen
			wide=$(LC_ALL=C.UTF-8 wc -L < "$t/screen")
			if ! sed -n 2p "$t/screen" | grep -qF -- "$heading"; then
				notok "$what: the heading '$heading' of the $set set" "$t/screen"
			elif [ "$wide" -gt "$cols" ] || [ "$(wc -l < "$t/screen")" -ne "$rows" ]; then
				notok "$what: nothing past the edge ($wide columns, $(wc -l < "$t/screen") lines)" "$t/screen"
			elif ! marks_ok "$vals"; then
				notok "$what: every cut indicator ends in the mark" "$t/screen"
			else
				ok "$what: the $set set, every cut value marked, nothing past the edge"
			fi
		done <<< "$kinds"
		keys Q
	done
done 2> /dev/null

# --- copy: y sends the exact cell, Y the event, ^Y the filter ------------
copied() { # copied: the newest tmux buffer
	tm show-buffer 2> /dev/null
}
wait_copy() { # wait_copy TEXT
	for _ in $(seq 50); do
		[ "$(copied)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
c=demo
[ -f real.case ] && c=real
start "$c.case" 80 24
wait_for "timeline  .* of " > /dev/null
filter "kind=signin"
wait_for " signin *\? help *\$" > /dev/null
keys g
want=$("$bin" query "$c.case" kind=signin --format jsonl --limit 1 | jq -r .ip)
for _ in 1 2 3 4 5 6 7 8; do
	screen
	grep -q "col ip" "$t/screen" && break
	keys l
	sleep 0.1
done
keys y
if wait_copy "$want"; then
	ok "y on the ip column: tmux's buffer holds exactly $want (OSC 52)"
else
	copied > "$t/got"
	notok "y on the ip column copies '$want' (OSC 52)" "$t/got"
fi
keys Y
got=""
for _ in $(seq 50); do
	got=$(copied | jq -r .ip 2> /dev/null)
	[ "$got" = "$want" ] && break
	sleep 0.1
done
if [ "$got" = "$want" ] && copied | jq -e '.ts and .user' > /dev/null 2>&1; then
	ok "Y copies the event as JSON (its ip $want)"
else
	copied > "$t/got"
	notok "Y copies the event as JSON" "$t/got"
fi
keys C-y
if wait_copy "kind=signin"; then
	ok "^Y copies the filter"
else
	copied > "$t/got"
	notok "^Y copies the filter" "$t/got"
fi
keys Q

# --- TERM=dumb: a message, not a key bar ----------------------------------
new_server
tm new-session -d -x 100 -y 10 "env TERM=dumb '$bin' demo.case; echo rc=\$?; sleep 30"
if wait_for 'rc=1' && grep -q "cannot move the cursor" "$t/screen" && grep -q "auditscope query CASE" "$t/screen"; then
	ok "TERM=dumb: a message that says why and what to use, exit status 1"
else
	notok "TERM=dumb: a message, exit status 1" "$t/screen"
fi
tm kill-server > /dev/null 2>&1

if ls "$t"/sanitizer.* > /dev/null 2>&1; then
	cat "$t"/sanitizer.* > "$t/sanitizer-all"
	notok "no sanitizer reports" "$t/sanitizer-all"
else
	ok "no sanitizer reports"
fi
