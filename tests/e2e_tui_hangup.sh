#!/usr/bin/env bash
# End-to-end: an interface whose terminal goes away without a SIGHUP (its
# pty closed while it was not the controlling terminal: a lost ssh
# session's pty, a killed multiplexer whose signal did not arrive) gives
# the terminal up and exits, instead of spinning on a core for ever (one
# did for 25 minutes beside a benchmark). Python's pty module plays the
# terminal: the interface runs in a new session on the pty's other end,
# draws, then the pty is closed.
. "$(dirname "$0")/e2e_lib.sh"
if ! command -v python3 > /dev/null; then
	echo "skip - the terminal going away: no python3 here"
	exit 0
fi
export ASAN_OPTIONS="log_path=$t/sanitizer${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$t/sanitizer${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
"$gen" --format jsonl --events 2000 -o "$t/b.jsonl" > /dev/null 2>&1
"$bin" load -q "$t/d.case" "$t/b.jsonl" > /dev/null 2>&1 || { echo "not ok - load the events"; exit 1; }
out=$(python3 - "$bin" "$t/d.case" <<'PY'
import os, select, subprocess, sys, time
m, s = os.openpty()
p = subprocess.Popen(sys.argv[1:], stdin=s, stdout=s, stderr=subprocess.DEVNULL,
                     start_new_session=True, env=dict(os.environ, TERM="xterm-256color"))
os.close(s)
drawn = b""
end = time.time() + 10
# read what it draws (so that it never blocks on a full pty) until the
# first screen is there
while time.time() < end and b"auditscope" not in drawn:
    if select.select([m], [], [], 0.1)[0]:
        drawn += os.read(m, 65536)
time.sleep(0.5)
os.close(m)
try:
    p.wait(timeout=10)
    print("exited" if b"auditscope" in drawn else "exited before drawing")
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    print("still running 10 s after its terminal closed")
PY
)
if [ "$out" = exited ]; then
	echo "ok - the interface exits when its terminal goes away without a SIGHUP"
else
	echo "not ok - the interface exits when its terminal goes away without a SIGHUP ($out)"
fi
if ls "$t"/sanitizer.* > /dev/null 2>&1; then
	echo "not ok - no sanitizer reports"
	cat "$t"/sanitizer.*
else
	echo "ok - no sanitizer reports"
fi
