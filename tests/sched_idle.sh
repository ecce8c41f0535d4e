#!/usr/bin/env bash
# sched_idle.sh: one load under `perf record` of the scheduler's switches
# and wake-ups, then tests/sched_idle.py on it: the wall time when fewer
# than two of the load's threads wanted a CPU, and where in the load.
# A thread waiting for a core on a busy machine still counts as wanting
# one, so the figures hold while others use the machine (needs perf and
# the rights to trace the scheduler system-wide: root or
# perf_event_paranoid <= -1).
#
#   tests/sched_idle.sh [BIN] INPUT [CASE]   (BIN: build/auditscope)
#   SCHED_IDLE_PREFIX="chrt -f 1"   the load run under a command (at load
#                                   average 15, real-time priority gave
#                                   200k loads their quiet-machine wall)
#   SCHED_IDLE_SETS=N               the N sets of runnable threads that left
#                                   most core-s unused (8)
#   SCHED_IDLE_TAIL=S               the runnable sets of the load's last S
#                                   seconds in turn, on the clock of
#                                   CLOCK_MONOTONIC (a mark the load prints
#                                   with clock_gettime lines up with them)
set -eu
bin=build/auditscope
if [ $# -ge 2 ] && [ -x "$1" ]; then
	bin=$1
	shift
fi
input=$1
case=${2:-$(mktemp -u /tmp/sched_idle.XXXXXX.case)}
data=$(mktemp /tmp/sched_idle.XXXXXX.data)
pidf=$(mktemp /tmp/sched_idle.XXXXXX.pid)
trap 'rm -f "$data" "$pidf" "$case" "$case-wal" "$case-shm" "$case-pending" "$case-pending-wal" "$case-pending-shm"' EXIT
rm -f "$case" "$case-wal" "$case-shm"
perf record -q -a -k CLOCK_MONOTONIC -o "$data" -e sched:sched_switch -e sched:sched_wakeup -e sched:sched_wakeup_new \
	-e sched:sched_process_exit -- /usr/bin/time -f "time %e s wall, %U user, %S sys, %M KB" \
	${SCHED_IDLE_PREFIX:-} sh -c 'echo $$ > "$1"; shift; exec "$@"' sh "$pidf" "$bin" load -q "$case" "$input" >/dev/null
perf script -i "$data" -F pid,tid,time,event,trace 2>/dev/null |
	python3 "$(dirname "$0")/sched_idle.py" "$(cat "$pidf")"
