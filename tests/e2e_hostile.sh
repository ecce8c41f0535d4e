#!/usr/bin/env bash
# End-to-end: hostile text on every screen and listing, in a UTF-8 locale
# and in LANG=C. Records whose values hold ESC/CSI/OSC/DCS sequences, C0
# and C1 controls, bidi overrides, zero-width and combining characters,
# wide CJK, invalid UTF-8 and raw control bytes (a message trace CSV, as
# a subject line comes), 10,000-character values and a 5 MB one. Each
# listing command runs on a terminal (script(1)): its output holds no
# control character but line ends, no C1, bidi or invisible character,
# only valid UTF-8, and under LANG=C nothing past ASCII (a terminal in an
# 8-bit locale draws each byte of UTF-8 on its own, some as C1
# controls). The interface runs in tmux with every byte it writes kept
# (pipe-pane): none of the records' sequences is among them, and on each
# screen (timeline, detail, value, stack, hunts and a hunt, messages,
# histogram, coverage, help, the note prompt, a pivot's status line) the
# lines keep the window's width and the timeline's columns stay aligned.
. "$(dirname "$0")/e2e_lib.sh"
if ! command -v python3 > /dev/null || ! command -v script > /dev/null; then
	echo "skip - e2e_hostile: python3 or script(1) not found"
	exit 0
fi
# script(1) runs its -c command through $SHELL (/bin/sh where it is unset,
# as under CI); the commands are quoted by bash's printf %q ($'...')
SHELL=$(command -v bash)
export SHELL
cd "$t" || exit 1
# Under the sanitizers, reports go to files: a pane's stderr is lost.
export ASAN_OPTIONS="log_path=$t/sanitizer${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$t/sanitizer${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

python3 - << 'EOF'
import json
E = "\x1b"
P = {
    "csi": E + "[31mREDCSI" + E + "[0m",
    "osc": E + "]0;PWNTITLE\x07",
    "osc52": E + "]52;c;UFdOQ0xJUA==\x07",
    "dcs": E + "P1$tPWNDCS" + E + "\\",
    "c0": "".join(chr(c) for c in range(1, 32)) + "C0END",
    "c1": "".join(chr(c) for c in range(0x80, 0xa0)) + "C1END",
    "bidi": "\u202eBIDI\u2066x\u2067y\u2068z\u2069\u200f\u061c",
    "zw": "Z\u200bW\u200cJ\u200dN\ufeffX\u2060Y\u00ad",
    "comb": "e" + "\u0301" * 40 + "COMB",
    "cjk": "\u65e5\u672c\u8a9e\u30c6\u30b9\u30c8\uff21\uff22" * 3 + "\U0001f600",
    "c1utf8": "\u07db31m\u075d0;PWN8BIT\u071c",  # 0x9b, 0x9d, 0x9c inside UTF-8
}
out = []
for i, (k, p) in enumerate(P.items(), 1):
    out.append({"CreationTime": "2023-06-18T10:00:%02d" % i, "Id": "h-" + k, "Operation": "New-InboxRule",
                "RecordType": 1, "Workload": "Exchange", "UserId": "u-%s%s@contoso.com" % (k, p),
                "ClientIP": "203.0.113.%d" % i, "ResultStatus": "True", "ClientInfoString": "ci-" + p,
                "AppId": "app-" + p, "SessionId": "s-" + p, "MailboxOwnerUPN": "mb-" + p,
                "Parameters": [{"Name": "Name", "Value": "rule-" + p}, {"Name": "ForwardTo", "Value": "x@evil.com" + p}]})
out.append({"CreationTime": "2023-06-18T10:00:30", "Id": "h-mia", "Operation": "MailItemsAccessed", "RecordType": 50,
            "Workload": "Exchange", "UserId": "victim@contoso.com", "ClientIP": "198.51.100.7",
            "AppId": "00000003-0000-0000-c000-000000000000", "ClientAppId": "evil-app" + P["osc"],
            "MailboxOwnerUPN": "victim@contoso.com", "OperationProperties": [{"Name": "MailAccessType", "Value": "Bind"}],
            "Folders": [{"Path": "\\Inbox" + P["csi"] + P["bidi"],
                         "FolderItems": [{"InternetMessageId": "<m1" + P["osc52"] + "@x>"},
                                         {"InternetMessageId": "<m2" + P["c1"] + P["cjk"] + "@x>"}]}]})
long = ("L" + P["csi"] + P["cjk"] + P["comb"]) * 200
out.append({"CreationTime": "2023-06-18T10:00:31", "Id": "h-long", "Operation": "Set-Mailbox", "RecordType": 1,
            "Workload": "Exchange", "UserId": "long@contoso.com", "ClientInfoString": long[:10000], "AppId": "x" * 10000})
out.append({"CreationTime": "2023-06-18T10:00:32", "Id": "h-big", "Operation": "Set-Mailbox", "RecordType": 1,
            "UserId": "big@contoso.com", "ClientInfoString": (P["csi"] + P["cjk"] + "x" * 50) * 60000})
with open("hostile.jsonl", "w") as f:
    f.writelines(json.dumps(o) + "\n" for o in out)
hdr = b"Received,SenderAddress,RecipientAddress,Subject,Status,ToIP,FromIP,Size,MessageId,MessageTraceId\r\n"
subs = [b"\x1b]0;PWNRAW\x07raw osc", b"\x1b[2J\x1b[HCLEARRAW", b"c1 raw \x9b31mC1RAW", b"bad utf8 \xff\xfe\xc3(",
        b"\xe2\x80\xaeBIDIRAW", b"\x01\x02\x03\x04\x05\x06\x07\x08 CTLRAW"]
rows = [b'2023-06-18T11:00:%02d,"a@evil.com","victim@contoso.com","%s","Delivered\x1b[5mBLINK","","203.0.113.200",100,'
        b'"<mt%d@evil.com>","tid-%d"' % (k, s, k, k) for k, s in enumerate(subs)]
open("trace.csv", "wb").write(hdr + b"\r\n".join(rows) + b"\r\n")
open("rej.jsonl", "wb").write(b'{"CreationTime":"2023-06-18T10:00:00","Id":"bad-1","Operation":"\x1b]0;PWNREJ\x07\n'
                              b'{"broken \x9b31m \xe2\x80\xae \x1b[2J\n')
EOF
"$bin" load -q h.case hostile.jsonl trace.csv rej.jsonl > load.out 2>&1
is "the hostile records load (every row an event or a reject)" "$("$bin" info h.case | sed -n 's/^events \([0-9]*\) from \([0-9]*\) records.*rejected rows.*/\1 \2/p')" "20 22"
"$bin" mark h.case 'record_id=h-csi' --note "note$(printf '\033]0;NOTEPWN\007\302\23331m\342\200\256')rtl" > /dev/null 2>&1

# what a terminal would get: bad BYTES-FILE LOCALE -> the first fault, or nothing
cat > check.py << 'EOF'
import re, sys
d = open(sys.argv[1], "rb").read()
# the escapes curses itself writes are allowed in the interface's stream
curses = sys.argv[3] == "curses"
def say(what, at):
    print("%s at %d: %r" % (what, at, d[max(0, at - 30):at + 30]))
    sys.exit(0)
if curses:
    for tok in (rb"\x1b\]0;", rb"\x1b\]52", rb"\x1bP", rb"\x1b\[31m", rb"\x1b\[5m", rb"\x1b\[2J", rb"\x07"):
        m = re.search(tok, d)
        if m:
            say("a record's sequence %r" % tok, m.start())
else:
    m = re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", d)
    if m:
        say("control byte", m.start())
if sys.argv[2] == "C":
    m = re.search(rb"[\x80-\xff]", d)
    if m:
        say("a byte past ASCII under LANG=C", m.start())
try:
    u = d.decode("utf-8")
except UnicodeDecodeError as e:
    say("invalid UTF-8", e.start)
m = re.search("[\u0080-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060\ufeff\u00ad]", u)
if m:
    say("U+%04X" % ord(m.group()), len(u[:m.start()].encode()))
EOF

# --- the listing commands, on a terminal ---------------------------------
on_tty() { # on_tty LOCALE OUT CMD...: CMD's output on a terminal
	local loc=$1 out=$2
	shift 2
	LANG=$loc LC_ALL=$loc COLUMNS=120 script -q -e -c "$(printf '%q ' "$@")" /dev/null < /dev/null > "$out" 2>&1
}
for loc in C.UTF-8 C; do
	bad=""
	n=0
	while read -r -a cmd; do
		n=$((n + 1))
		on_tty "$loc" "cli-$n" "$bin" "${cmd[@]}"
		why=$(python3 check.py "cli-$n" "$loc" text)
		[ -n "$why" ] && bad="$bad; ${cmd[*]}: $why"
	done << EOF
info h.case --rejects 100
sources h.case
query h.case
query h.case --format csv
query h.case --format jsonl --raw
stack h.case user
stack h.case client_info
stack h.case user --format csv
hunt h.case
hunt h.case inbox-rules
hunt h.case rare-apps
messages h.case
messages h.case --format csv
export h.case --format csv
export h.case --format jsonl
export h.case --format timesketch
export h.case --marked --format markdown
coverage h.case
EOF
	if [ -z "$bad" ] && [ "$n" -eq 18 ]; then
		ok "LANG=$loc: 18 listings on a terminal hold no control, C1, bidi or invisible character${loc:+, valid UTF-8}"
	else
		nok "LANG=$loc: listings on a terminal are clean" "${bad#; }"
	fi
done
# the report's own glyphs under LANG=C on a terminal: ASCII ones
on_tty C md-c "$bin" export h.case --marked --format markdown
has "LANG=C: the report's items are parted by ' - ' on a terminal" "$(cat md-c)" "op \`New-InboxRule\` - workload"
# stderr a terminal, stdout piped: the message is ASCII too, the file
# named by escapes
LANG=C LC_ALL=C script -q -e -c "$(printf '%q ' "$bin" load "$t/x.case" "$t/nowhere/$(printf '\346\227\245\033[2J')x.csv") > /dev/null" \
	/dev/null < /dev/null > err-c 2>&1
empty "LANG=C, stdout piped: stderr on a terminal holds only ASCII and no control" "$(python3 check.py err-c C text)"
has "... and names the file by escapes" "$(cat err-c)" 'nowhere/\u65e5\e[2Jx.csv'
# a file written by export is data: under LANG=C on a terminal it keeps the text
LANG=C LC_ALL=C script -q -e -c "$(printf '%q ' "$bin" export h.case --format csv -o "$t/out.csv")" /dev/null < /dev/null > /dev/null 2>&1
has "export -o FILE under LANG=C keeps the records' characters" "$(grep -a 'h-cjk' out.csv)" $'\xe6\x97\xa5\xe6\x9c\xac'

# --- the interface in tmux ---------------------------------------------
if ! command -v tmux > /dev/null; then
	echo "skip - e2e_hostile: tmux is not installed"
	exit 0
fi
sock="auditscope-hostile-$$"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
e2e_cleanup() { tm kill-server > /dev/null 2>&1; }
export AUDITSCOPE_AUTHOR=e2e NO_COLOR=1 AUDITSCOPE_THEMES=$PWD/themes
unset AUDITSCOPE_THEME
W=120 H=30
screen() { tm capture-pane -p -t 0 > screen; }
wait_for() { # wait_for REGEX: until the screen shows it (15 s at most)
	for _ in $(seq 150); do
		screen
		grep -qE -- "$1" screen && return 0
		sleep 0.1
	done
	return 1
}
keys() { tm send-keys -t 0 "$@"; }
# the screen keeps its shape: H lines, none wider than W, the status line
shape() { # shape NAME
	local wide
	wide=$(LC_ALL=C.UTF-8 wc -L < screen)
	if [ "$(wc -l < screen)" -eq "$H" ] && [ "$wide" -le "$W" ] && sed -n "$((H - 1))p" screen | grep -q '? help'; then
		return 0
	fi
	layout="$layout; $1 ($(wc -l < screen) lines, widest $wide)"
	cp screen "bad-$1"
}
for loc in C.UTF-8 C; do
	tm kill-server > /dev/null 2>&1
	rm -f "raw-$loc"
	cp h.case "h-$loc.case" # (the interface keeps its filter in the case)
	tm new-session -d -x $W -y $H "exec env TERM=tmux-256color LANG=$loc LC_ALL=$loc '$bin' 'h-$loc.case'"
	tm pipe-pane -o -t 0 "cat >> '$t/raw-$loc'"
	layout=""
	wait_for 'timeline  1 of ' || true
	shape timeline
	# the timeline's columns: the operation starts at one column on every row
	cols=$(python3 -c '
import re, unicodedata
def col(l, i):  # display column of l[:i]
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in l[:i])
rows = [l for l in open("screen", encoding="utf-8", errors="replace") if re.match(r"^..2023-", l)]
ops = [col(l, l.find(" New-InboxRule")) for l in rows if " New-InboxRule" in l]
print(len(rows), len(ops), len(set(ops)))')
	is "LANG=$loc: the timeline's operation column is aligned on every hostile row (rows, rows of New-InboxRule, columns it starts at)" "$cols" "20 11 1"
	keys l =
	wait_for '> user=' || true
	shape pivot
	keys BSpace
	wait_for '^ auditscope  h-.*   all events *$' || true
	keys Enter
	wait_for 'Raw record' || true
	shape detail
	keys c
	wait_for '^note:' || true
	shape note-prompt
	keys Escape q
	keys l l l F
	wait_for 'rare first' || true
	shape stack
	keys v
	wait_for ' value  ' || true
	shape value
	keys q q H
	wait_for 'Hunts:' || true
	shape hunts
	keys j j j j Enter
	wait_for 'inbox-rules:' || true
	shape hunt
	keys q q E
	wait_for 'message id' || true
	shape messages
	keys q i
	wait_for 'buckets' || true
	shape histogram
	keys q ':cov' Enter
	wait_for 'The case covers' || true
	shape coverage
	keys q '?'
	wait_for 'keys \(q or \? closes' || true
	shape help
	keys q f C-u 'record_id=h-big' Enter
	wait_for '> record_id=h-big' || true
	keys Enter
	wait_for 'record id +h-big' || true
	shape detail-big
	keys G
	sleep 0.5
	shape detail-big-end
	keys q q
	sleep 0.5
	if [ -z "$layout" ]; then
		ok "LANG=$loc: 14 screens keep ${W}x$H with their status line"
	else
		nok "LANG=$loc: screens keep their shape" "${layout#; }"
	fi
	why=$(python3 check.py "raw-$loc" "$loc" curses)
	if [ -z "$why" ] && [ -s "raw-$loc" ]; then
		ok "LANG=$loc: none of the records' sequences reached the terminal ($(wc -c < "raw-$loc") bytes written)"
	else
		nok "LANG=$loc: none of the records' sequences reached the terminal" "${why:-nothing written}"
	fi
	if tm has-session -t 0 2> /dev/null; then
		nok "LANG=$loc: q q leaves the interface"
	fi
done
if ls "$t"/sanitizer.* > /dev/null 2>&1; then
	nok "no sanitizer reports" "$(head -c 2000 "$t"/sanitizer.*)"
else
	ok "no sanitizer reports"
fi
