#!/usr/bin/env python3
"""sched_idle.py: when a process had fewer than two threads wanting a CPU.

Reads `perf script -F pid,tid,time,event,trace` of a system-wide record of
sched:sched_switch, sched:sched_wakeup, sched:sched_wakeup_new and
sched:sched_process_exit (tests/sched_idle.sh records one around a load)
and follows every thread of process PID: runnable from its wake-up (or
its creation) until it switches out in a sleeping state (S, D, ...); a
thread switched out while runnable (R: preempted) still wants a CPU. So
the figures hold on a busy machine: a thread waiting for a core counts
as wanting one, and only the load's own waits (a queue, a lock, a sync)
take it out.

Prints the wall time with 0, 1, 2, 3+ threads runnable, the core-seconds
two cores could not have used (sum of 2 - runnable over the time with
fewer than two), each thread's run and runnable time, where in the load
the idle falls (10 slices of the wall and the thread sets runnable during
it) and the longest stretches with fewer than two runnable.

usage: perf script ... | sched_idle.py PID [NCORES]
"""
import collections
import re
import sys

pid = int(sys.argv[1])
ncores = int(sys.argv[2]) if len(sys.argv) > 2 else 2

line_re = re.compile(r"^\s*(\d+)/(\d+)\s+([\d.]+):\s+sched:(\w+):\s*(.*)$")
kv_re = re.compile(r"(\w+)=(\S+)")

ours = set()  # tids of the process
names = {}
events = []  # (t, tid, runnable: bool, running: int or None)
first = last = None
for line in sys.stdin:
    m = line_re.match(line)
    if not m:
        continue
    cpid, ctid, t, ev, rest = int(m.group(1)), int(m.group(2)), float(m.group(3)), m.group(4), m.group(5)
    if ev == "sched_switch":
        # prev_comm may hold spaces: take the fields by name after it
        pre, _, post = rest.partition(" ==> ")
        pp = int(re.search(r"prev_pid=(\d+)", pre).group(1))
        ps = re.search(r"prev_state=(\S+)", pre).group(1)
        np_ = int(re.search(r"next_pid=(\d+)", post).group(1))
        nc = re.search(r"next_comm=(.*) next_pid=", post).group(1)
        if cpid == pid:
            ours.add(pp)
            names.setdefault(pp, re.search(r"prev_comm=(.*) prev_pid=", pre).group(1))
        events.append((t, "out", pp, ps))
        events.append((t, "in", np_, nc))
    elif ev in ("sched_wakeup", "sched_wakeup_new"):
        d = dict(kv_re.findall(rest))
        w = int(d["pid"])
        events.append((t, "wake", w, ev == "sched_wakeup_new"))
        if ev == "sched_wakeup_new" and cpid == pid:
            ours.add(w)
    elif ev == "sched_process_exit":
        d = dict(kv_re.findall(rest))
        events.append((t, "exit", int(d["pid"]), None))
    if cpid == pid:
        if first is None:
            first = t
        last = t

if first is None:
    sys.exit("no events of pid %d" % pid)
ours.add(pid)
# the process's span: its first event to the main thread's exit
end = last
for t, kind, tid, _ in events:
    if kind == "exit" and tid == pid:
        end = t
events = [e for e in events if e[2] in ours and first <= e[0] <= end]
events.sort(key=lambda e: e[0])

runnable = {pid: True}
state = {}  # a sleeping thread's state (S, D, ...)
running = set()
run_t = collections.Counter()
want_t = collections.Counter()
hist = collections.Counter()
lost = 0.0
NSL = 10
WIN = 0.5  # the first and last WIN seconds: the start and the end
edge = [0.0, 0.0]
sl_lost = [0.0] * NSL
sl_sets = [collections.Counter() for _ in range(NSL)]
sets = collections.Counter()  # runnable thread set while < ncores -> core-s lost
stretches = []
# SCHED_IDLE_TAIL=S: the runnable sets of the last S seconds in turn
# (times on perf's clock: tests/sched_idle.sh records with CLOCK_MONOTONIC)
import os
tail_s = float(os.environ.get("SCHED_IDLE_TAIL", "0") or 0)
tail = []  # (t, set key) at each change within the tail
cur_start = None
cur_key = ""
prev = first
span = end - first


def name(tid):
    n = names.get(tid, str(tid))
    return "main" if tid == pid else n


def setkey():
    key = "+".join(sorted(name(k) for k, v in runnable.items() if v)) or "(none)"
    dk = sorted(name(k) for k, v in runnable.items() if not v and state.get(k, "S").startswith("D"))
    if dk:
        key += " [D: " + "+".join(dk) + "]"
    return key


def account(t0, t1):
    global lost
    if t1 <= t0:
        return
    n = sum(1 for v in runnable.values() if v)
    for k, v in runnable.items():
        if v:
            want_t[k] += t1 - t0
    for k in running:
        run_t[k] += t1 - t0
    hist[min(n, 3)] += t1 - t0
    if n < ncores:
        lo = (ncores - n) * (t1 - t0)
        lost += lo
        key = setkey()
        sets[key] += lo
        w = ncores - n
        edge[0] += w * max(0.0, min(t1, first + WIN) - t0)
        edge[1] += w * max(0.0, t1 - max(t0, end - WIN))
        # spread over the slices the stretch covers
        a = t0
        while a < t1:
            i = min(int((a - first) / span * NSL), NSL - 1)
            b = min(t1, first + (i + 1) * span / NSL)
            if b <= a:
                b = t1
            sl_lost[i] += (ncores - n) * (b - a)
            sl_sets[i][key] += (ncores - n) * (b - a)
            a = b


for t, kind, tid, arg in events:
    was = sum(1 for v in runnable.values() if v) < ncores
    account(prev, t)
    prev = t
    if tail_s and t >= end - tail_s:
        k = setkey()
        if not tail or tail[-1][1] != k:
            tail.append((t, k))
    if kind == "out":
        runnable[tid] = arg.startswith("R")
        state[tid] = arg
        running.discard(tid)
    elif kind == "in":
        runnable[tid] = True
        running.add(tid)
    elif kind == "wake":
        runnable[tid] = True
    elif kind == "exit":
        # (its last switch, prev_state X, comes with pid -1, which the
        # pattern above passes by: else it kept the state of its last
        # sleep, and a thread that had synced showed "in D" to the end)
        runnable[tid] = False
        state[tid] = "X"
        running.discard(tid)
    now = sum(1 for v in runnable.values() if v) < ncores
    if now and not was:
        cur_start = t
        cur_key = setkey()
    elif was and not now and cur_start is not None:
        stretches.append((t - cur_start, cur_start - first, cur_key))
        cur_start = None
account(prev, end)
if cur_start is not None:
    stretches.append((end - cur_start, cur_start - first, cur_key))

print("wall %.3f s; threads %d; core-s unused (< %d runnable) %.3f" % (span, len(ours), ncores, lost))
print("runnable: " + ", ".join("%s %.3f s" % ("3+" if k == 3 else k, hist[k]) for k in range(4)))
print("wall with < %d runnable %.3f s" % (ncores, sum(hist[k] for k in range(ncores))))
print("core-s unused in the first %.1f s %.3f, in the last %.1f s %.3f" % (WIN, edge[0], WIN, edge[1]))
print("threads (run s / runnable s):")
for k in sorted(want_t, key=lambda k: -want_t[k]):
    print("  %-14s %7.3f %7.3f" % (name(k), run_t[k], want_t[k]))
print("core-s unused by slice of the wall (10ths):")
for i in range(NSL):
    top = ", ".join("%s %.3f" % kv for kv in sl_sets[i].most_common(3))
    print("  %4.2f-%4.2f s  %.3f   %s" % (i * span / NSL, (i + 1) * span / NSL, sl_lost[i], top))
print("core-s unused by the set of runnable threads:")
for k, v in sets.most_common(int(os.environ.get("SCHED_IDLE_SETS", "8"))):
    print("  %.3f  %s" % (v, k))
stretches.sort(reverse=True)
print("stretches with < %d runnable: %d, %.3f s; longest:" % (ncores, len(stretches), sum(s[0] for s in stretches)))
for d, at, k in stretches[:12]:
    print("  %6.1f ms at %.3f s (first: %s)" % (d * 1000, at, k))
short = [s for s in stretches if s[0] < 0.002]
print("  (under 2 ms: %d, %.3f s)" % (len(short), sum(s[0] for s in short)))
if tail:
    print("the last %.2f s, runnable sets in turn (from: absolute time, ms held; >= 1 ms):" % tail_s)
    for i, (t, k) in enumerate(tail):
        d = (tail[i + 1][0] if i + 1 < len(tail) else end) - t
        if d >= 0.001:
            print("  %.3f %6.1f ms  %s" % (t, d * 1000, k))
