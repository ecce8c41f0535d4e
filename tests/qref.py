#!/usr/bin/env python3
"""qref.py: an independent reference for what the query side must answer.

auditscope answers a filter by many roads: (field, ts) indexes, posting
lists in chunk rows and packed single-entry lists (pivot_ones), the
filter compiler's tally of values, a scan into a temporary table, caches
between filters, keyset pages forward and back, newest first, exact
counts, ranks, goto a time, stacks. This program evaluates the filter
language by itself (README "Filters", core/filter.h's rules: users,
operations, mailboxes, workloads, results, record types, access types,
names and the place fields without regard to case; ids exactly; ip, app,
client_app stored lower-case; op=X also finds "X."; field="" the field
absent; a negative operator is NOT of its positive form, an absent value
counting as not equal; regexes ignore case on the fields above; free
text anywhere in the raw record, any case; time=DAY a span, < before its
start, <= before its end, > at or after its end, -Nd back from the
case's last event; timeline order (ts, id)) over the case's events and
compares with what auditscope says:

  python3 tests/qref.py gen DIR [--seed S] [--big N]
      write adversarial inputs into DIR (see gen below)
  python3 tests/qref.py check --bin AUDITSCOPE --drv TEST_QREF --case CASE
          [--name N] [--inputs FILE...] [--filters N] [--cli N] [--stacks N]
          [--max-pages N]
      N random and hand-made filters through build/tests/test_qref
      --serve (pages of random sizes both ways, counts, ranks, goto,
      QUERY_AT), the first --cli of them through `auditscope query`
      (first and last pages, --desc, the count the table prints), and
      stacks (--common, --rare, --limit) of every stackable field under
      --stacks of them; --max-pages N: pages of at least 1/N of a
      filter's events (a store where a page is a round trip: ClickHouse)

The events themselves (their fields as normalized, the raw record) come
from test_qref --dump (one read of every event, oldest first, no filter);
with --inputs the records the inputs hold (tests/diffref.py's reader)
are checked against that dump first: every record there, with its time,
user, operation, ip and session as the inputs give them. What is
compared is the query side only: whatever a fast path answers must be
what the filter's meaning gives over those events.

Prints TAP lines; a failure names a filter that shows it.
"""
import argparse
import bisect
import calendar
import collections
import csv
import io
import ipaddress
import json
import os
import random
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # (no __pycache__ in tests/)
import diffref  # noqa: E402  (its reader of the inputs)

F_INDEXED, F_NOCASE, F_LOWER, F_TIME, F_NUMBER, F_TEXT, F_PLAIN, F_SOURCE, F_KIND, F_GEO = (1 << i for i in range(10))

# ---------------------------------------------------------------- the case


def run(argv, ok=(0,)):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode not in ok:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(argv[:4]), p.returncode, p.stderr.decode(errors="replace")[:300]))
    return p.stdout


class Case:
    def __init__(self, drv, case):
        self.fields = {}
        for l in run([drv, "--fields"]).decode().splitlines():
            n, fl = l.split()
            self.fields[n] = int(fl)
        self.rows = [json.loads(l) for l in run([drv, "--dump", case]).decode("utf-8").splitlines()]
        self.by_id = {r["id"]: r for r in self.rows}
        self.order = sorted(self.rows, key=lambda r: (r["ts"], r["id"]))
        self.ts = [r["ts"] for r in self.order]
        self.pos = {r["id"]: i for i, r in enumerate(self.order)}
        self.last_ts = self.ts[-1] if self.ts else 0
        self.all = set(self.by_id)
        self._index = {}
        self._lowraw = None

    def text_fields(self):
        return [f for f, fl in self.fields.items() if fl & (F_TEXT | F_GEO) and f not in ("time",)]

    def index(self, f):
        """value -> ids (absent: None)."""
        ix = self._index.get(f)
        if ix is None:
            ix = collections.defaultdict(set)
            for r in self.rows:
                v = r.get(f)
                ix[v if v not in (None, "") else None].add(r["id"])
            self._index[f] = ix
        return ix

    def lowraw(self):
        if self._lowraw is None:
            self._lowraw = {r["id"]: fold(r.get("raw") or "") for r in self.rows}
        return self._lowraw


ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(s):
    """Without regard to case: ASCII letters only. The README does not say
    whether "any case" reaches past ASCII (JÖRG and jörg); the tool folds
    ASCII only (asked of the lead, wave 23), and so does this reference."""
    return s.translate(ASCII_LOWER)


# ---------------------------------------------------------------- filters as trees
#
# ("term", field, op, [values])   op in = != ~ !~ < <= > >=
# ("text", word)                  free text
# ("and", [kids]) ("or", [kids]) ("not", kid)


def quote(v):
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(n, parent=None):
    t = n[0]
    if t == "term":
        _, f, op, vals = n
        if f == "time":
            return "time%s%s" % (op, vals[0])
        return "%s%s%s" % (f, op, ",".join(quote(v) for v in vals))
    if t == "text":
        return quote(n[1])
    if t == "not":
        return "not " + render(n[1], "not")
    s = (" " if t == "and" else " or ").join(render(k, t) for k in n[1])
    return "(" + s + ")" if parent is not None else s


def time_span(c, s):
    """[from, to) a time value names (filter.h: filter_time_parse)."""
    m = re.match(r"^-(\d+)([smhdw])$", s)
    if m:
        mult = {"s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "w": 604800000}[m.group(2)]
        t = c.last_ts - int(m.group(1)) * mult
        return t, t + 1
    m = re.match(r"^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d))?)?$", s)
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    h = int(m.group(4) or 0)
    mi = int(m.group(5) or 0)
    se = int(m.group(6) or 0)
    t = calendar.timegm((y, mo, d, h, mi, se, 0, 0, 0)) * 1000
    width = 86400000 if m.group(4) is None else 60000 if m.group(6) is None else 1000
    return t, t + width


def ids_ts(c, lo, hi):
    """ids with lo <= ts < hi."""
    a, b = bisect.bisect_left(c.ts, lo), bisect.bisect_left(c.ts, hi)
    return {r["id"] for r in c.order[a:b]}


def value_match(c, f, v):
    """ids where field f equals v (the positive form)."""
    fl = c.fields[f]
    ix = c.index(f)
    if v == "":
        return set(ix.get(None, ()))
    if f == "ip" and "/" in v:
        net = ipaddress.ip_network(v, strict=False)
        out = set()
        for val, ids in ix.items():
            try:
                if val is not None and ipaddress.ip_address(val) in net:
                    out |= ids
            except ValueError:
                pass
        return out
    if f == "ip":  # as the load stores one (README: port, brackets, ::ffff: stripped)
        v = diffref.norm_ip(v) or v
    out = set()
    if fl & (F_NOCASE | F_LOWER | F_GEO) or f == "kind":
        want = fold(v)
        for val, ids in ix.items():
            if val is None:
                continue
            fv = fold(val)
            if fv == want or (f == "op" and fv == want + "."):
                out |= ids
    else:
        for val, ids in ix.items():
            if val is not None and (val == v or (f == "op" and val == v + ".")):
                out |= ids
    return out


def regex_match(c, f, pat):
    fl = c.fields[f]
    # (the patterns made here are ASCII; re.ASCII keeps Python from
    # folding U+0130 to i, which PCRE2 does not)
    flags = re.I | re.ASCII if (fl & (F_NOCASE | F_GEO) or f == "kind") else 0
    rx = re.compile(pat, flags)
    out = set()
    for val, ids in c.index(f).items():
        if val is not None and rx.search(val):
            out |= ids
    return out


def evaluate(c, n):
    t = n[0]
    if t == "and":
        s = set(c.all)
        for k in n[1]:
            s &= evaluate(c, k)
        return s
    if t == "or":
        s = set()
        for k in n[1]:
            s |= evaluate(c, k)
        return s
    if t == "not":
        return c.all - evaluate(c, n[1])
    if t == "text":
        w = fold(n[1])
        return {i for i, raw in c.lowraw().items() if w in raw}
    _, f, op, vals = n
    if f == "time":
        lo, hi = time_span(c, vals[0])
        if op == "=":
            return ids_ts(c, lo, hi)
        if op == ">":
            return ids_ts(c, hi, 1 << 62)
        if op == ">=":
            return ids_ts(c, lo, 1 << 62)
        if op == "<":
            return ids_ts(c, -(1 << 62), lo)
        if op == "<=":
            return ids_ts(c, -(1 << 62), hi)
    if op in ("=", "!="):
        s = set()
        for v in vals:
            s |= value_match(c, f, v)
        return s if op == "=" else c.all - s
    if op in ("~", "!~"):
        s = regex_match(c, f, vals[0])
        return s if op == "~" else c.all - s
    raise ValueError(n)


# ---------------------------------------------------------------- making filters

STACKED = ("user", "app", "client_app", "ip", "op", "workload", "record_type", "result", "session", "token",
           "mailbox", "access", "client_info", "country")


def variants(v, rng):
    """v and the same value in other cases."""
    out = [v, v.upper(), v.lower(), v.swapcase()]
    if v:
        i = rng.randrange(len(v))
        out.append(v[:i] + v[i:].swapcase())
    return out


class Maker:
    def __init__(self, c, rng):
        self.c, self.rng = c, rng
        self.fields = [f for f in STACKED if f in c.fields and len(c.index(f)) > 1] + ["kind", "record_id"]
        self.words = None

    def value(self, f):
        rng, c = self.rng, self.c
        ix = c.index(f)
        r = rng.random()
        if r < 0.45:  # by event: common values often
            v = rng.choice(c.rows).get(f) or ""
        elif r < 0.75:  # by value: rare ones as often as common ones
            v = rng.choice(list(ix)) or ""
        elif r < 0.87:
            v = rng.choice(variants(rng.choice(list(ix)) or "", rng))
        elif r < 0.95:
            v = ""
        else:
            v = "no-such-value-%d" % rng.randrange(1000)
        if f == "kind" and (not v or v.startswith("no-such")):
            v = rng.choice(sorted({r["kind"] for r in c.rows}))
        return v

    def regex(self, f):
        v = self.rng.choice([x for x in self.c.index(f) if x] or ["x"])
        runs = re.findall(r"[A-Za-z0-9]{2,}", v)
        if not runs:
            return None
        w = self.rng.choice(runs)
        w = w[: self.rng.randint(2, len(w))]
        form = self.rng.randrange(4)
        if form == 1 and v.startswith(w):
            return "^" + self.rng.choice(variants(w, self.rng))
        if form == 2:
            return w + ".*" + "$"
        if form == 3 and len(w) > 2:
            return w[0] + "." + w[2:]
        return self.rng.choice(variants(w, self.rng))

    def term(self):
        rng, c = self.rng, self.c
        r = rng.random()
        if r < 0.12:
            return self.time()
        if r < 0.18:
            w = self.word()
            if w:
                return ("text", w)
        f = rng.choice(self.fields)
        op = rng.choices(["=", "!=", "~", "!~"], [70, 14, 12, 4])[0]
        if f == "record_id" and op in ("~", "!~"):
            op = "="
        if op in ("~", "!~"):
            p = self.regex(f)
            if p:
                return ("term", f, op, [p])
            op = "="
        if f == "ip" and rng.random() < 0.2:
            v = rng.choice([x for x in c.index("ip") if x] or ["10.0.0.1"])
            try:
                a = ipaddress.ip_address(v)
                bits = rng.choice([8, 16, 24, 32]) if a.version == 4 else rng.choice([32, 48, 64, 128])
                return ("term", f, op if op in ("=", "!=") else "=", [str(ipaddress.ip_network("%s/%d" % (v, bits), strict=False))])
            except ValueError:
                pass
        n = 1 if rng.random() < 0.8 else rng.randint(2, 3)
        vals = list(dict.fromkeys(self.value(f) for _ in range(n)))
        if f == "ip" and vals[0] and rng.random() < 0.3:  # as a raw record may write it
            v = vals[0]
            vals[0] = rng.choice(["::ffff:" + v, v + ":443"] if "." in v and ":" not in v else ["[%s]:8443" % v, v.upper()])
        if len(vals) > 1:
            vals = [v for v in vals if v] or [""]  # "" in a list: keep it alone
        return ("term", f, op, vals)

    def time(self):
        rng, c = self.rng, self.c
        t = rng.choice(c.ts) + rng.choice([0, 0, -1000, 1000, -60000, 3600000])
        import time as _t

        g = _t.gmtime(t // 1000)
        form = rng.randrange(4)
        if form == 0:
            s = "%04d-%02d-%02d" % g[:3]
        elif form == 1:
            s = "%04d-%02d-%02dT%02d:%02d" % g[:5]
        elif form == 2:
            s = "%04d-%02d-%02dT%02d:%02d:%02d" % g[:6]
        else:
            span = max(1, (c.last_ts - c.ts[0]) // 3600000)
            s = "-%dh" % rng.randint(0, span + 2)
        return ("term", "time", rng.choice(["=", "<", "<=", ">", ">="]), [s])

    def word(self):
        if self.words is None:
            ws = collections.Counter()
            for r in self.rng.sample(self.c.rows, min(200, len(self.c.rows))):
                for w in re.findall(r"[A-Za-z0-9@._-]{4,24}", r.get("raw") or ""):
                    ws[w] += 1
            self.words = sorted(ws)
        return self.rng.choice(self.words) if self.words else None

    def filter(self):
        rng = self.rng
        shape = rng.random()
        if shape < 0.45:
            n = ("and", [self.term() for _ in range(rng.randint(1, 3))])
        elif shape < 0.65:
            n = ("or", [("and", [self.term() for _ in range(rng.randint(1, 2))]) for _ in range(2)])
        elif shape < 0.8:
            n = ("and", [self.term(), ("not", ("and", [self.term() for _ in range(rng.randint(1, 2))]))])
        else:  # pivots stacked: user= app= ip= op= session= intersections
            fs = [f for f in ("user", "app", "ip", "op", "session", "mailbox") if f in self.fields]
            n = ("and", [("term", f, "=", [rng.choice(self.c.rows).get(f) or ""]) for f in rng.sample(fs, min(len(fs), rng.randint(2, 3)))])
        return simplify(n)


def simplify(n):
    if n[0] in ("and", "or"):
        kids = [simplify(k) for k in n[1]]
        flat = []
        for k in kids:
            flat.extend(k[1] if k[0] == n[0] else [k])
        return flat[0] if len(flat) == 1 else (n[0], flat)
    if n[0] == "not":
        k = simplify(n[1])
        return k[1] if k[0] == "not" else ("not", k)
    return n


def hand_made(c):
    """Filters worth asking on any case: each field's commonest and
    rarest value, in other cases, absent and present, and so on."""
    out = [("and", []), ("term", "time", ">=", ["1970-01-01"])]
    for f in STACKED + ("kind",):
        if f not in c.fields:
            continue
        ix = c.index(f)
        vals = sorted(((len(ids), v) for v, ids in ix.items() if v is not None), key=lambda x: (-x[0], x[1]))
        if not vals:
            continue
        common, rare = vals[0][1], vals[-1][1]
        out.append(("term", f, "=", [common]))
        out.append(("term", f, "=", [rare]))
        out.append(("term", f, "=", [common.upper()]))
        out.append(("term", f, "!=", [common]))
        out.append(("term", f, "=", [""]))
        out.append(("term", f, "!=", [""]))
        out.append(("term", f, "=", [common, rare]))
        out.append(("not", ("term", f, "=", [rare])))
        out.append(("or", [("term", f, "=", [common]), ("term", f, "=", [rare])]))
        # singletons: the packed one-entry lists
        ones = [v for n, v in vals if n == 1][:3]
        for v in ones:
            out.append(("term", f, "=", [v]))
    return out


# ---------------------------------------------------------------- compare


Tap = diffref.Tap  # (the same TAP lines as e2e_diffref)


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return "at %d: %r, want %r" % (i, x, y)
    return "%d, want %d" % (len(a), len(b))


def check_inputs(tap, c, files):
    """The dump against the records the inputs hold (diffref's reader)."""
    inputs = [diffref.read_input(p) for p in files]
    want = {}
    for inp in inputs:
        for r in inp.recs:
            if r.rid is not None and (r.kind, r.rid) not in want:
                want[(r.kind, r.rid)] = r
    got = {(r["kind"], r["record_id"]): r for r in c.rows}
    missing = [k for k in want if k not in got]
    tap.ok("every record of the inputs is an event (%d)" % len(want), not missing, "e.g. %r" % missing[:3])
    bad = []
    for k, ref in want.items():
        r = got.get(k)
        if r is None:
            continue
        if ref.ts is not None and r["ts"] != ref.ts:
            bad.append((k[1], "ts", r["ts"], ref.ts))
        for f, v in diffref.expected_fields(ref.obj).items() if isinstance(ref.obj, dict) else ():
            if f == "user":
                v = fold(ref.obj["UserId"])
            if (r.get(f) or "") != v:
                bad.append((k[1], f, r.get(f), v))
    tap.ok("time, user, op, ip, session of each event as the inputs give them", not bad, "%d differ, e.g. %r" % (len(bad), bad[:3]))


def serve(drv, case, reqs):
    p = subprocess.run([drv, "--serve", case], input="".join(json.dumps(q) + "\n" for q in reqs).encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("test_qref --serve: exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace")[:300]))
    return [json.loads(l) for l in p.stdout.decode().splitlines()]


def check(args):
    c = Case(args.drv, args.case)
    tap = Tap(args.name or os.path.basename(args.case))
    rng = random.Random(args.seed)
    tap.ok("the dump is in timeline order (ts, id) (%d events)" % len(c.rows),
           [r["id"] for r in c.rows] == [r["id"] for r in c.order], "out of order")
    if args.inputs:
        check_inputs(tap, c, args.inputs)
    mk = Maker(c, rng)
    trees = hand_made(c)
    if args.hand is not None and len(trees) > args.hand:
        trees = trees[:2] + rng.sample(trees[2:], args.hand - 2)
    while len(trees) < args.filters:
        trees.append(mk.filter())
    trees = trees[: max(args.filters, 1)]
    texts = [render(t) for t in trees]
    want = []
    for t in trees:
        ids = evaluate(c, t)
        want.append(sorted(ids, key=lambda i: c.pos[i]))
    reqs = []
    # stack_counts for a few fields of every fourth filter, all of them
    # under the empty filter (counted from the lists alone)
    counted = [f for f in STACKED if f in c.fields and not c.fields[f] & F_GEO]
    for t, w in zip(texts, want):
        k = rng.choice([1, 2, 3, 7, 50, 97, 500]) if len(w) < 2000 else rng.choice([997, 2048, 4096])
        if args.max_pages:
            # a store a page costs a round trip on (ClickHouse): pages
            # of at least len/N events, so that a walk is N pages at most
            k = max(k, -(-len(w) // args.max_pages))
        rank = [0, len(w) // 2, len(w) - 1, rng.randrange(len(w))] if w else [0]
        g = [c.ts[0], rng.choice(c.ts), c.ts[-1] + 1, rng.choice(c.ts) + rng.choice([-1, 1])] if c.ts else []
        reqs.append({"f": t, "k": k, "rank": rank, "goto": g,
                     "counts": counted if not reqs else rng.sample(counted, min(3, len(counted))) if len(reqs) % 4 == 0 else []})
    got = serve(args.drv, args.case, reqs)
    if os.environ.get("QREF_SLOW"):
        for q, a in sorted(zip(reqs, got), key=lambda x: -x[1].get("ms", 0))[:8]:
            print("# %d ms: %s (pages of %d, %d events)" % (a.get("ms", 0), q["f"], q["k"], len(a.get("fwd", []))))
    fails = collections.defaultdict(list)
    for q, w, a in zip(reqs, want, got):
        f = q["f"]
        if "err" in a:
            fails["accepted"].append("%s: %s" % (f, a["err"]))
            continue
        if a["count"] != len(w) or not a["exact"]:
            fails["count"].append("%s: %d (exact %s), want %d" % (f, a["count"], a["exact"], len(w)))
        if a["fwd"] != w:
            fails["pages forward"].append("%s (pages of %d): %s" % (f, q["k"], first_diff(a["fwd"], w)))
        if a["bwd"] != w:
            fails["pages backward"].append("%s (pages of %d): %s" % (f, q["k"], first_diff(a["bwd"], w)))
        if a["bad"]:
            fails["page ends (at_start, at_end)"].append("%s (pages of %d): %s" % (f, q["k"], a["bad"][:2]))
        if w:
            rw = [i if i < len(w) else -1 for i in q["rank"]]
            rg = [w.index(a["fwd"][i]) if i < len(a["fwd"]) and a["fwd"][i] in w else -1 for i in q["rank"]]
            if a["rank"] != rw and a["rank"] != rg:
                fails["rank"].append("%s: %r, want %r" % (f, a["rank"], rw))
        gw = []
        for ms in q["goto"]:
            nxt = next((i for i in w if c.by_id[i]["ts"] >= ms), None)
            gw.append(nxt)
        if a["goto"] != gw:
            fails["goto time"].append("%s: %r, want %r (times %r)" % (f, a["goto"], gw, q["goto"]))
        for f, rows in a.get("counts", {}).items():
            ref = collections.Counter(c.by_id[i].get(f) for i in w if c.by_id[i].get(f))
            ref = sorted(([v, n] for v, n in ref.items()), key=lambda x: (-x[1], x[0].encode()))
            if rows != ref:
                d = [(v, n, ref_n) for (v, n), ref_n in ((r, dict(map(tuple, ref)).get(r[0])) for r in rows) if n != ref_n]
                fails["counts by value (stack_counts)"].append("%s, %s: %d values, want %d; %r" % (f, q["f"], len(rows), len(ref), (d or [first_diff(rows, ref)])[:2]))
        if w:
            mid = len(w) // 2
            if a["at"] != w[mid: mid + q["k"]]:
                fails["page at a position"].append("%s: %s" % (f, first_diff(a["at"], w[mid: mid + q["k"]])))
    nonempty = sum(1 for w in want if w)
    for what in ("accepted", "count", "pages forward", "pages backward", "page ends (at_start, at_end)", "rank",
                 "goto time", "page at a position", "counts by value (stack_counts)"):
        b = fails.get(what, [])
        tap.ok("%s: %d filters (%d non-empty)" % (what, len(reqs), nonempty), not b, "%d wrong; %s" % (len(b), " | ".join(b[:3])))
    check_cli(tap, args, c, texts[: args.cli], want[: args.cli])
    check_stacks(tap, args, c, texts, trees, want, rng)
    return tap.bad


def check_cli(tap, args, c, texts, want):
    """auditscope query: the first page, the newest first, the count."""
    fails = collections.defaultdict(list)
    for f, w in zip(texts, want):
        lim = random.Random(f).choice([1, 5, 100])
        rid = [c.by_id[i]["record_id"] for i in w]
        out = run([args.bin, "query", args.case, f, "--format", "jsonl", "--limit", str(lim)])
        got = [json.loads(l)["record_id"] for l in out.decode().splitlines()]
        if got != rid[:lim]:
            fails["query --limit: the first page"].append("%s: %s" % (f, first_diff(got, rid[:lim])))
        out = run([args.bin, "query", args.case, f, "--format", "jsonl", "--desc", "--limit", str(lim)])
        got = [json.loads(l)["record_id"] for l in out.decode().splitlines()]
        if got != rid[::-1][:lim]:
            fails["query --desc --limit: newest first"].append("%s: %s" % (f, first_diff(got, rid[::-1][:lim])))
        out = run([args.bin, "query", args.case, f, "--limit", "0"]).decode()
        m = re.search(r"^0 of (\d+) events shown|^0 events$", out, re.M)
        n = int(m.group(1)) if m and m.group(1) else 0 if m else None
        if n != len(w):
            fails["query's count"].append("%s: %r, want %d" % (f, out.splitlines()[-1:], len(w)))
        # the histogram: events per bucket (buckets aligned on the epoch)
        span = c.ts[-1] - c.ts[0] if c.ts else 0
        size = random.Random(f + "h").choice([z for z in (300000, 3600000, 86400000) if span // z < 20000] or [86400000])
        out = run([args.bin, "histogram", args.case, f, "--format", "csv", "--bucket",
                   {300000: "5m", 3600000: "1h", 86400000: "1d"}[size]]).decode()
        got = {r["start"]: int(r["events"]) for r in csv.DictReader(io.StringIO(out, newline="")) if r["events"] != "0"}
        ref = collections.Counter(diffref.iso(c.by_id[i]["ts"] // size * size) for i in w)
        if got != dict(ref):
            d = [(k, got.get(k), ref.get(k)) for k in sorted(set(got) | set(ref)) if got.get(k) != ref.get(k)]
            fails["histogram: events per bucket"].append("%s (%d ms): %d buckets differ, e.g. %r" % (f, size, len(d), d[:2]))
    for what in ("query --limit: the first page", "query --desc --limit: newest first", "query's count",
                 "histogram: events per bucket"):
        b = fails.get(what, [])
        tap.ok("%s: %d filters" % (what, len(texts)), not b, "%d wrong; %s" % (len(b), " | ".join(b[:3])))


def stack_ref(c, f, ids):
    """value -> (events, mailboxes (users for mailbox), first, last)."""
    other = "users" if f == "mailbox" else "mailboxes"
    of = "user" if f == "mailbox" else "mailbox"
    acc = {}
    for i in ids:
        r = c.by_id[i]
        v = r.get(f) or ""
        a = acc.setdefault(v, [0, set(), None, None])
        a[0] += 1
        if r.get(of):
            a[1].add(r[of])
        a[2] = r["ts"] if a[2] is None else min(a[2], r["ts"])
        a[3] = r["ts"] if a[3] is None else max(a[3], r["ts"])
    return other, {v: (a[0], len(a[1]), diffref.iso(a[2]), diffref.iso(a[3])) for v, a in acc.items()}


def check_stacks(tap, args, c, texts, trees, want, rng):
    fields = [f for f in STACKED if f in c.fields]
    # the empty filter (stacks from the posting lists alone), then others
    pick = [0] + rng.sample(range(1, len(texts)), min(args.stacks - 1, len(texts) - 1)) if args.stacks else []
    fails = collections.defaultdict(list)
    nrows = 0
    for fi in pick:
        flt, w = texts[fi], want[fi]
        rare_fields = rng.sample(fields, min(3, len(fields)))
        for f in fields:
            other, ref = stack_ref(c, f, w)
            out = run([args.bin, "stack", args.case, f, flt, "--format", "csv", "--limit", "100000000"]).decode("utf-8")
            got = {}
            order = []
            for r in csv.DictReader(io.StringIO(out, newline="")):
                v = diffref.unformula(r[f])
                got[v] = (int(r["events"]), int(r[other]), r["first"], r["last"])
                order.append(int(r["events"]))
            nrows += len(ref)
            if got != ref:
                d = [(v, got.get(v), ref.get(v)) for v in sorted(set(got) | set(ref)) if got.get(v) != ref.get(v)]
                fails["stack: every value's events, %s, first, last" % "mailboxes"].append("stack %s %s: %d differ: %r" % (f, flt, len(d), d[:2]))
            if order != sorted(order, reverse=True):
                fails["stack: commonest first"].append("stack %s %s" % (f, flt))
            if ref and f in rare_fields:
                lim = rng.choice([1, 3, 10])
                out = run([args.bin, "stack", args.case, f, flt, "--format", "csv", "--rare", "--limit", str(lim)]).decode("utf-8")
                rare = [int(r["events"]) for r in csv.DictReader(io.StringIO(out, newline=""))]
                if rare != sorted(x[0] for x in ref.values())[:lim]:
                    fails["stack --rare --limit: the rarest"].append("stack %s %s --rare --limit %d: %r, want %r" % (f, flt, lim, rare, sorted(x[0] for x in ref.values())[:lim]))
    for what in ("stack: every value's events, mailboxes, first, last", "stack: commonest first", "stack --rare --limit: the rarest"):
        b = fails.get(what, [])
        tap.ok("%s: %d filters x %d fields (%d rows)" % (what, len(pick), len(fields), nrows), not b, "%d wrong; %s" % (len(b), " | ".join(b[:2])))


# ---------------------------------------------------------------- inputs


def gen(args):
    """Adversarial inputs. adv-*.jsonl / .csv: values that differ only in
    case (users, operations, sessions, record ids), non-ASCII and
    combining characters, empty and missing fields, times with offsets,
    many events in one second, values found in several fields, a session
    and a user on one event each (single-entry posting lists) beside
    common ones, three sources that overlap. big.jsonl: one session and
    one user on --big records beside as many singletons as --big / 10."""
    rng = random.Random(args.seed)
    os.makedirs(args.dir, exist_ok=True)
    t0 = calendar.timegm((2024, 3, 9, 23, 59, 0, 0, 0, 0))  # the night before a DST change in the US
    users = ["Alice@Contoso.com", "alice@contoso.com", "ALICE@CONTOSO.COM", "bob@contoso.com", "j\u00f6rg@contoso.com",
             "J\u00d6RG@contoso.com", "jo\u0308rg@contoso.com", "stra\u00dfe@contoso.com", "\u0130stanbul@contoso.com",
             "mail@contoso.com", "", None]
    ops = ["Send", "send", "SEND", "MailItemsAccessed", "New-InboxRule", "Update user.", "Update user", "Set-Mailbox"]
    sessions = ["S-abc", "s-ABC", "S-ABC", "s-abc", None, ""]
    ips = ["203.0.113.5", "203.0.113.77", "198.51.100.1:5432", "2001:db8::1", "[2001:db8::2]:443", "::ffff:192.0.2.9",
           "10.1.2.3", None, ""]
    objs = []
    for i in range(args.n):
        # many in one second, some a millisecond apart, some far
        sec = t0 + (i // 40) * rng.choice([1, 1, 1, 60, 3600])
        ms = rng.choice([None, None, 0, 1, 999, rng.randrange(1000)])
        import datetime

        d = datetime.datetime.fromtimestamp(sec, datetime.timezone.utc)
        off = rng.choice(["Z", "Z", "", "+02:00", "-05:00", "+00:00"])
        if off not in ("Z", ""):
            sign = 1 if off[0] == "+" else -1
            d = d + datetime.timedelta(hours=sign * int(off[1:3]))
        ts = d.strftime("%Y-%m-%dT%H:%M:%S") + ("" if ms is None else ".%03d" % ms) + off
        u = rng.choice(users + ["u%d@contoso.com" % i])  # singletons too
        o = {
            "CreationTime": ts,
            "Id": rng.choice(["rid-%d" % i, "RID-%d" % i]) if i % 50 else "rid-case-%d" % (i // 100),
            "Operation": rng.choice(ops),
            "OrganizationId": "org",
            "RecordType": rng.choice([2, 50, 1, 15]),
            "ResultStatus": rng.choice(["Succeeded", "succeeded", "Failed", ""]),
            "Workload": rng.choice(["Exchange", "exchange", "AzureActiveDirectory", "SharePoint"]),
            "AppId": rng.choice(["00000003-0000-0000-C000-000000000000", "00000003-0000-0000-c000-000000000000",
                                  "d3590ed6-52b3-4102-aeff-aad2292ab01c", "app-%d" % i]),
        }
        if i % 50 == 0:
            o["Id"] = "rid-case-%d" % (i // 100) if i % 100 == 0 else "RID-CASE-%d" % (i // 100)
        if u is not None:
            o["UserId"] = u
        s = rng.choice(sessions + ["sess-%d" % i])
        if s is not None:
            o["SessionId"] = s
        ip = rng.choice(ips)
        if ip is not None:
            o["ClientIP"] = ip
        if rng.random() < 0.3:
            o["MailboxOwnerUPN"] = rng.choice(users[:6] + ["mail@contoso.com"]) or "x@contoso.com"
        if o.get("Operation") == "MailItemsAccessed":
            o["MailAccessType"] = rng.choice(["Bind", "Sync", "bind"])
        if rng.random() < 0.1:
            o["ClientInfoString"] = rng.choice(["Client=OWA", "client=owa", "Client=REST;\u00fcber", "Client=REST;u\u0308ber"])
        objs.append(o)
    a, b = objs[: args.n // 2], objs[args.n // 3:]
    diffref.write(os.path.join(args.dir, "adv-1.jsonl"), diffref.jsonl(a))
    rows = ["RecordId,CreationDate,RecordType,Operation,UserId,AuditData"]
    for o in b:
        rows.append(",".join(diffref.csv_cell(x) for x in (o["Id"], o["CreationTime"], str(o["RecordType"]), o["Operation"],
                                                            o.get("UserId", ""), diffref.dumps(o))))
    diffref.write(os.path.join(args.dir, "adv-2.csv"), ("\r\n".join(rows) + "\r\n").encode())
    diffref.write(os.path.join(args.dir, "adv-3.jsonl"), diffref.jsonl(objs[::7]))
    # one value on many records beside many singletons
    if args.big:
        big = []
        for i in range(args.big):
            single = i % 10 == 0
            big.append({
                "CreationTime": "2024-03-31T00:%02d:%02dZ" % ((i // 1000) % 60, (i // 17) % 60),
                "Id": "big-%d" % i,
                "Operation": "MailItemsAccessed" if not single else "Op%d" % i,
                "RecordType": 50,
                "UserId": "bulk@contoso.com" if not single else "one%d@contoso.com" % i,
                "ClientIP": "192.0.2.%d" % (i % 3) if not single else "198.18.%d.%d" % (i // 250 % 250, i % 250),
                "SessionId": "the-session" if not single else "one-session-%d" % i,
                "AppId": "00000002-0000-0ff1-ce00-000000000000",
                "Workload": "Exchange",
            })
        diffref.write(os.path.join(args.dir, "big.jsonl"), diffref.jsonl(big))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("dir")
    g.add_argument("--seed", type=int, default=23)
    g.add_argument("--n", type=int, default=3000)
    g.add_argument("--big", type=int, default=50000)
    ch = sub.add_parser("check")
    ch.add_argument("--bin", required=True)
    ch.add_argument("--drv", required=True)
    ch.add_argument("--case", required=True)
    ch.add_argument("--name")
    ch.add_argument("--inputs", nargs="*")
    ch.add_argument("--seed", type=int, default=1)
    ch.add_argument("--filters", type=int, default=150)
    ch.add_argument("--cli", type=int, default=20)
    ch.add_argument("--stacks", type=int, default=4)
    ch.add_argument("--hand", type=int, help="at most this many of the hand-made filters (a sample)")
    ch.add_argument("--max-pages", type=int, default=0,
                    help="pages of at least 1/N of a filter's events (N pages a walk at most each way)")
    a = ap.parse_args()
    if a.cmd == "gen":
        gen(a)
        return 0
    return 1 if check(a) else 0


if __name__ == "__main__":
    sys.exit(main())
