#!/usr/bin/env bash
# End-to-end: navigation in a real terminal (tmux), as a newcomer would
# try it on the demo case: q from a hunt's drill-in returns to the hunt
# list and then to the menu, not out of the program; the messages view
# (E) lists what the planted app read; a case opened while a load writes
# to it shows what is committed at once, says a load is running and sees
# the rows appear; :export takes ~ and quotes and writes the file with
# the mode the CLI gives. Prints "ok - ..." / "not ok - ...".
. "$(dirname "$0")/e2e_lib.sh"
if ! command -v tmux > /dev/null; then
	echo "skip - tmux is not installed"
	exit 0
fi
sock="auditscope-nav-$$"
# (fd 3 is the live load's FIFO below: the tmux server must not keep it open)
tm() { tmux -L "$sock" -f /dev/null "$@" 3>&-; }
e2e_cleanup() {
	tm kill-server > /dev/null 2>&1
	[ -n "${loader:-}" ] && kill "$loader" 2> /dev/null
}
notok() {
	echo "not ok - $1"
	[ -n "${2:-}" ] && sed 's/^/#   /' "$2"
}

export AUDITSCOPE_AUTHOR=e2e AUDITSCOPE_NOW=2024-01-15T09:00:00Z NO_COLOR=1 AUDITSCOPE_THEMES=$PWD/themes
unset AUDITSCOPE_THEME
export ASAN_OPTIONS="log_path=$t/sanitizer${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$t/sanitizer${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export HOME=$t/home
mkdir -p "$HOME"

cd "$t" || exit 1
"$gen" --bundle bundle > /dev/null || { echo "not ok - auditgen"; exit 1; }
mv bundle/manifest.json manifest.json
"$bin" load -q demo.case bundle > /dev/null 2>&1 || { echo "not ok - load the demo bundle"; exit 1; }

start() { # start CASE [COLS ROWS]
	tm kill-server > /dev/null 2>&1
	tm new-session -d -x "${2:-150}" -y "${3:-40}" \
		"exec env TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 HOME='$HOME' '$bin' '$1' 2>> '$t/tui.err'"
}
# (a session that is gone leaves the screen empty; the interface's
# stderr is in $t/tui.err)
screen() { tm capture-pane -p -t 0:0 > "$t/screen" 2> /dev/null; cat "$t/screen"; }
wait_for() { # wait_for REGEX [TENTHS]: until the screen shows it
	for _ in $(seq "${2:-100}"); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
keys() { tm send-keys -t 0 "$@"; }
# the count on the status line ("timeline  1 of 50,000"), digits only
count() { grep -E '^ timeline ' "$t/screen" | grep -oE ' of ~?[0-9,]+' | head -1 | tr -dc 0-9; }

# --- a stack's distinct counts hold past its tables' growth -------------
# (thousands of sessions: the group table grows several times; each
# count is checked against the events themselves)
bad=0
while IFS=, read -r sess ev mb _; do
	want=$("$bin" query demo.case "session=$sess" --format jsonl | jq -r '.mailbox // empty' | sort -u | wc -l)
	[ "$mb" = "$want" ] || { bad=1; echo "# session $sess: $mb mailboxes, want $want"; }
done < <("$bin" stack demo.case session --format csv | tail -n +2 | grep -v '^,' | awk -F, '$3 > 1 || NR % 97 == 1')
if [ "$bad" = 0 ]; then
	ok "stack session: each row's mailboxes are its events' own"
else
	notok "stack session: each row's mailboxes are its events' own"
fi

# --- q from a hunt's drill-in returns to the hunt list -------------------
start demo.case
wait_for '^ timeline ' || true
keys H
wait_for '^ hunts ' 300 || true
keys Enter
if wait_for '^ hunt  row 1 of' 100; then
	keys Enter
	if wait_for "q back to hunt" && wait_for "^ timeline  1 of "; then
		keys q
		if wait_for '^ hunt  row 1 of' && tm has-session -t 0 2> /dev/null; then
			ok "q after Enter on a hunt's row returns to the hunt's rows"
		else
			notok "q after Enter on a hunt's row returns to the hunt's rows" "$t/screen"
		fi
		keys q
		if wait_for '^ hunts +[0-9]+ hunts'; then
			ok "q again returns to the hunt menu"
		else
			notok "q again returns to the hunt menu" "$t/screen"
		fi
	else
		notok "Enter on a hunt's row opens its events" "$t/screen"
	fi
else
	notok "H, Enter opens a hunt" "$t/screen"
fi

# --- the messages view ----------------------------------------------------
keys q E
if wait_for '^ messages  row 1 of' && grep -q 'messages exposed' "$t/screen"; then
	want=$("$bin" messages demo.case --format jsonl | wc -l)
	if grep -qE "row 1 of $(printf "%'d" "$want" 2> /dev/null || echo "$want") " "$t/screen" ||
		grep -qE "row 1 of $(echo "$want" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta') " "$t/screen"; then
		ok "E lists the $want messages the CLI lists"
	else
		notok "E lists the $want messages the CLI lists" "$t/screen"
	fi
else
	notok "E opens the messages view" "$t/screen"
fi
keys q q
sleep 0.3

# --- :export: ~, quotes, one file, the CLI's mode -------------------------
start demo.case
wait_for '^ timeline ' || true
keys ':export csv ~/"r 1.csv" extra' Enter
if wait_for "unexpected 'extra'"; then
	ok ":export with a word too many is an error"
else
	notok ":export with a word too many is an error" "$t/screen"
fi
keys Escape ':export csv ~/"r 1.csv"' Enter
if wait_for "exported .* events to $HOME/r 1.csv" && [ -s "$HOME/r 1.csv" ]; then
	"$bin" export demo.case --format csv -o "$t/cli.csv" > /dev/null 2>&1
	if [ "$(stat -c %a "$HOME/r 1.csv")" = "$(stat -c %a "$t/cli.csv")" ] && cmp -s "$HOME/r 1.csv" "$t/cli.csv"; then
		ok ":export ~/\"r 1.csv\" writes the CLI's file with the CLI's mode"
	else
		notok ":export writes the CLI's file with the CLI's mode ($(stat -c %a "$HOME/r 1.csv") vs $(stat -c %a "$t/cli.csv"))"
	fi
else
	notok ":export ~/\"r 1.csv\" writes the file" "$t/screen"
fi
keys ':export csv ~/"r 1.csv"' Enter
if wait_for 'r 1.csv exists: replace it\? \(y/n\)'; then
	ok ":export asks before replacing a file"
else
	notok ":export asks before replacing a file" "$t/screen"
fi
keys n q
sleep 0.3

# --- a case being loaded opens at once and shows rows as they commit ----
# The load reads a FIFO this script holds open (fd 3): it is provably
# still running when the interface opens, however fast or slow the
# machine, and it ends only when the script closes the FIFO. (It used to
# race a load of a file, opening once the case passed 8 MB: on CI the
# interface met the load mid-commit and exited.)
"$gen" --format jsonl --events 120k -o big.jsonl 2> /dev/null
head -n 60000 big.jsonl > first.jsonl
tail -n +60001 big.jsonl > rest.jsonl
rm -f feed && mkfifo feed
"$bin" load -q live.case - < feed > "$t/load.out" 2> "$t/load.err" &
loader=$!
exec 3> feed
cat first.jsonl >&3
# until the first half is committed but for the parser's last, unfilled
# batch (2 MB, under 1,500 of these events): the writer commits what it
# holds once its input is idle
for _ in $(seq 300); do
	[ "$("$bin" info live.case 2> /dev/null | awk '$1 == "events" { print $2 }')" -ge 58000 ] && break
	sleep 0.1
done
liveerr() { # what the interface and the load said, for a failure
	for f in "$t/tui.err" "$t/load.err"; do
		[ -s "$f" ] && sed "s|^|#   ${f##*/}: |" "$f"
	done
	return 0
}
start live.case
if wait_for 'a load is running' 150; then
	first=$(count)
	# (the count shown may be an estimate, "~N", while it is made exact)
	if [ -n "$first" ] && [ "$first" -gt 0 ]; then
		ok "a case being loaded opens at once and says a load is running ($first events so far)"
	else
		notok "a case being loaded opens at once and says a load is running (events so far, saw $first)" "$t/screen"
	fi
	# the second half goes in while the case is opened again and again
	# (info): each open meets the load at some point of a commit
	cat rest.jsonl >&3 &
	feeder=$!
	opens=0 failed=0
	while kill -0 "$feeder" 2> /dev/null; do
		opens=$((opens + 1))
		"$bin" info live.case > /dev/null 2>> "$t/info.err" || failed=$((failed + 1))
	done
	wait "$feeder"
	if [ "$failed" = 0 ] && [ "$opens" -gt 0 ]; then
		ok "the case opens at every point of a running load ($opens opens)"
	else
		notok "the case opens at every point of a running load ($failed of $opens failed)" "$t/info.err"
	fi
	grown=""
	for _ in $(seq 300); do
		screen > /dev/null
		now=$(count)
		if [ -n "$now" ] && [ -n "$first" ] && [ "$now" -gt "$first" ]; then
			grown=$now
			break
		fi
		sleep 0.1
	done
	if [ -n "$grown" ]; then
		ok "rows appear while the interface is open ($first, then $grown)"
	else
		notok "rows appear while the interface is open (stayed at $first)" "$t/screen"
		liveerr
	fi
	# the end of the input: the load commits, builds its indexes and
	# ends; a second interface opened at that moment meets the load in
	# its last steps (or just after) and must open too
	exec 3>&-
	tm new-window -d -t 0:1 "exec env TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 HOME='$HOME' '$bin' live.case 2>> '$t/tui2.err'"
	wait "$loader"
	lrc=$?
	loader=
	if [ "$lrc" = 0 ] && wait_for 'the load is done: 120,000 events' 200 && ! grep -q 'a load is running' "$t/screen"; then
		ok "the end of the load is said, with every event counted"
	else
		notok "the end of the load is said, with every event counted (load exit $lrc)" "$t/screen"
		liveerr
	fi
	second=""
	for _ in $(seq 200); do
		tm capture-pane -p -t 0:1 > "$t/screen2" 2> /dev/null || break
		grep -qE '^ timeline .* of 120,000' "$t/screen2" && second=1 && break
		sleep 0.1
	done
	if [ -n "$second" ]; then
		ok "an interface opened as the load ends opens and sees every event"
	else
		notok "an interface opened as the load ends opens and sees every event" "$t/screen2"
		sed 's|^|#   tui2.err: |' "$t/tui2.err" 2> /dev/null
	fi
else
	notok "a case being loaded opens at once and says a load is running" "$t/screen"
	liveerr
fi
exec 3>&-
keys q
sleep 0.5

if ls "$t"/sanitizer.* > /dev/null 2>&1; then
	cat "$t"/sanitizer.* > "$t/sanitizer-all"
	notok "no sanitizer reports" "$t/sanitizer-all"
else
	ok "no sanitizer reports"
fi
