#!/usr/bin/env python3
"""diffref.py: an independent reference for what a load must keep.

auditscope's load has been reshaped for speed many times (threads,
batches, fingerprints, record-id maps, interned values in generations,
posting lists, raw blocks with dictionaries, a checkpointer). This tool
reads the same inputs by itself, with none of that code, and says which
records they hold (record id, time, a few fields, the raw text, file and
line), which rows are rejected (file, line, bytes) and which records are
duplicates of earlier ones; then it asks auditscope's command line what
the case holds and compares, record by record:

  python3 tests/diffref.py gen DIR [--scale N] [--seed S]
      write the odd shapes (see SHAPES below) into DIR
  python3 tests/diffref.py check --bin AUDITSCOPE --case CASE [--resumed] FILE...
      FILE... in the order they were loaded into CASE (a file loaded
      twice is named twice); --resumed: CASE had loads killed with
      SIGKILL and loaded again, so sources' own counts are not compared
      (each record must still be there exactly once)

check prints TAP lines ("ok - ...", "not ok - ... (why)") and exits 1
when any is not ok. What the reference knows of the formats is written
from FORMATS.md and the README, not from auditscope's code:

- the encoding: a UTF-8 BOM is dropped, UTF-16LE/BE (BOM) transcoded;
  lines are counted in the text;
- CSV (RFC 4180, quoted cells over several lines): a row starts at the
  line where its first cell starts; where a column AuditData holds the
  record, the raw record is that cell's text without its line breaks
  and its id and time are AuditData's Id and CreationTime; a row whose
  quoting never ends or whose AuditData is no JSON object is rejected,
  kept as the row's text (line ends dropped);
- JSON: arrays, concatenated values, JSON Lines; each object met at the
  top (or inside an array at the top, or in {"records"|"value": [...]})
  is a record, its raw text the object's text without line breaks; in
  a file of one object a line, a line that is not a JSON object is
  rejected and kept as the line's text; `_raw` captures hold the record
  as a string;
- dedup: a record whose (kind, id) came before is a duplicate, seen at
  its own file and line; ids are compared byte for byte (case counts);
- rejected rows, the records of shapes the reference does not rebuild
  (sign-in CSVs, columnar tables) and placeholder ids are counted only.
"""
import collections
import csv
import io
import json
import os
import random
import re
import sqlite3
import subprocess
import sys

csv.field_size_limit(1 << 30)

# ---------------------------------------------------------------- input

BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def decode(data):
    """The input's bytes as UTF-8 (bytes) and the encoding's name."""
    for bom, enc in BOMS:
        if data.startswith(bom):
            if enc == "utf-8":
                return data[len(bom):], "utf-8-bom"
            return data[len(bom):].decode(enc).encode("utf-8", "surrogatepass"), enc
    if len(data) >= 4 and data[1] == 0 and data[3] == 0 and data[0] != 0:
        return data.decode("utf-16-le").encode("utf-8"), "utf-16-le"
    if len(data) >= 4 and data[0] == 0 and data[2] == 0 and data[1] != 0:
        return data.decode("utf-16-be").encode("utf-8"), "utf-16-be"
    return data, "utf-8"


def unbreak(b):
    """A record's text as a case keeps it: without CR and LF (valid
    JSON holds them only between tokens)."""
    return b.replace(b"\r", b"").replace(b"\n", b"")


class Rec:
    __slots__ = ("path", "line", "kind", "rid", "ts", "raw", "obj", "src")

    def __init__(self, path, line, kind, rid, ts, raw, obj):
        self.path, self.line, self.kind, self.rid = path, line, kind, rid
        self.ts, self.raw, self.obj = ts, raw, obj


class Input:
    """What one file holds: records (Rec, rid None where the reference
    cannot name the id), rejects [(line, raw bytes)], and the number of
    records auditscope should count (records + rejects)."""

    def __init__(self, path):
        self.path = path
        self.recs = []
        self.rejects = []
        self.exact = True  # raw texts known for every record


TS_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")


US_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}),? (\d{1,2}):(\d\d):(\d\d) ([AP]M)$", re.I)


def ts_ms(s):
    """ISO 8601 as milliseconds since the epoch (UTC), None if not."""
    import calendar

    m = TS_RE.match(s.strip()) if isinstance(s, str) else None
    us = US_RE.match(s.strip()) if isinstance(s, str) and not m else None
    if us:  # 9/20/2023 4:05:03 AM (UTC)
        mo, d, y, h, mi, se = (int(us.group(i)) for i in range(1, 7))
        h = h % 12 + (12 if us.group(7).upper() == "PM" else 0)
        return calendar.timegm((y, mo, d, h, mi, se, 0, 0, 0)) * 1000
    if not m:
        return None
    y, mo, d, h, mi, se = (int(m.group(i)) for i in range(1, 7))
    frac = int((m.group(7) or "0")[:3].ljust(3, "0"))
    t = calendar.timegm((y, mo, d, h, mi, se, 0, 0, 0)) * 1000 + frac
    z = m.group(8)
    if z and z != "Z":
        sign = 1 if z[0] == "+" else -1
        t -= sign * (int(z[1:3]) * 60 + int(z[4:6])) * 60000
    return t


PLACEHOLDER = re.compile(r"^(0{8}-0{4}-0{4}-0{4}-0{12}|x{8}-x{4}-x{4}-x{4}-x{12}|ANONYMIZED|)$", re.I)


def classify(obj):
    """(kind, record id, time) of a record object where the reference
    knows its shape: a UAL AuditData object (Id, CreationTime), a Graph
    sign-in (id, createdDateTime); else (None, None, None)."""
    if not isinstance(obj, dict):
        return None, None, None
    if "Id" in obj and "CreationTime" in obj and ("Operation" in obj or "RecordType" in obj):
        rid = obj["Id"]
        if not isinstance(rid, str) or PLACEHOLDER.match(rid):
            return "ual", None, ts_ms(obj["CreationTime"])
        return "ual", rid, ts_ms(obj["CreationTime"])
    if "OfficeId" in obj and "TimeGenerated" in obj:  # Sentinel OfficeActivity
        rid = obj["OfficeId"]
        return "ual", rid if isinstance(rid, str) and not PLACEHOLDER.match(rid) else None, ts_ms(obj["TimeGenerated"])
    if "id" in obj and "createdDateTime" in obj and "appId" in obj and "status" in obj:
        rid = obj["id"]
        if not isinstance(rid, str) or PLACEHOLDER.match(rid):
            return "signin", None, ts_ms(obj["createdDateTime"])
        return "signin", rid, ts_ms(obj["createdDateTime"])
    return None, None, None


def csv_rows(text):
    """RFC 4180 over bytes: [(first line, [cells as bytes], row text,
    complete)]; line ends CRLF or LF; the delimiter from the header."""
    first = text.split(b"\n", 1)[0]
    delim = b","
    if first.count(b";") > first.count(b",") and first.count(b";") > first.count(b"\t"):
        delim = b";"
    elif first.count(b"\t") > first.count(b","):
        delim = b"\t"
    plain = re.compile(b'[^"\r\n' + re.escape(delim) + b"]*")
    rows, i, n, line = [], 0, len(text), 1
    while i < n:
        start, start_line, cells, complete = i, line, [], True
        while True:  # one cell a turn
            if text[i : i + 1] == b'"':
                cell, j = [], i + 1
                while True:
                    q = text.find(b'"', j)
                    if q < 0:  # the quote never ends: the rest is this row
                        cell.append(text[j:])
                        line += text.count(b"\n", j)
                        i, complete = n, False
                        break
                    cell.append(text[j:q])
                    line += text.count(b"\n", j, q)
                    if text[q + 1 : q + 2] == b'"':
                        cell.append(b'"')
                        j = q + 2
                        continue
                    i = q + 1
                    break
                cell = b"".join(cell)
                m = plain.match(text, i)  # text after the closing quote: kept
                cell += m.group(0)
                i = m.end()
            else:
                m = plain.match(text, i)
                cell = m.group(0)
                i = m.end()
                while text[i : i + 1] == b"\r" and text[i + 1 : i + 2] != b"\n":
                    m = plain.match(text, i + 1)  # a lone CR belongs to the cell
                    cell += b"\r" + m.group(0)
                    i = m.end()
            cells.append(cell)
            if i >= n:
                break
            c = text[i : i + 1]
            if c == delim:
                i += 1
                continue
            i += 1 if c == b"\n" else 2  # LF or CRLF
            line += 1
            break
        raw = text[start:i]
        if raw.endswith(b"\n"):
            raw = raw[:-1]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        rows.append((start_line, cells, raw, complete))
    return rows


def read_csv(inp, text):
    rows = csv_rows(text)
    while rows and rows[0][1][0].startswith(b"#TYPE"):
        rows.pop(0)
    if not rows:
        return
    header = [h.strip().lower() for h in rows[0][1]]
    ad = header.index(b"auditdata") if b"auditdata" in header else None
    if ad is None:
        inp.exact = False
    for line, cells, raw, complete in rows[1:]:
        if cells == [b""] and complete:
            continue  # an empty line
        if not complete:
            inp.rejects.append((line, unbreak(raw)))
            continue
        if ad is None:
            # a record rebuilt from columns: AuditData expanded into
            # them names its Id and CreationTime; others are counted
            kind = rid = ts = None
            if b"id" in header and b"creationtime" in header and len(cells) == len(header):
                obj = {h.decode(): c.decode("utf-8", "replace") for h, c in zip(header, cells)}
                kind, rid, ts = classify({"Id": obj["id"], "CreationTime": obj["creationtime"], "RecordType": 0})
            inp.recs.append(Rec(inp.path, line, kind, rid, ts, None, None))
            continue
        cell = cells[ad] if ad < len(cells) else b""
        try:
            obj = json.loads(cell.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            obj = None
        if not isinstance(obj, dict):
            inp.rejects.append((line, unbreak(raw)))
            continue
        kind, rid, ts = classify(obj)
        inp.recs.append(Rec(inp.path, line, kind or "ual", rid, ts, unbreak(cell), obj))


def json_value_end(text, i):
    """The end of the JSON value (object or array) starting at text[i],
    by brackets outside strings; None when the input ends first."""
    depth, n, in_str = 0, len(text), False
    while i < n:
        c = text[i]
        if in_str:
            if c == 0x5C:
                i += 2
                continue
            if c == 0x22:
                in_str = False
        elif c == 0x22:
            in_str = True
        elif c in (0x7B, 0x5B):
            depth += 1
        elif c in (0x7D, 0x5D):
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def add_json_record(inp, line, raw, obj):
    if isinstance(obj, dict) and isinstance(obj.get("_raw"), str):
        inner = obj["_raw"]
        try:
            iobj = json.loads(inner)
        except ValueError:
            iobj = None
        kind, rid, ts = classify(iobj)
        inp.recs.append(Rec(inp.path, line, kind, rid, ts, unbreak(inner.encode("utf-8")), iobj))
        return
    if isinstance(obj, dict) and isinstance(obj.get("tables"), list):
        inp.exact = False
        for t in obj["tables"]:
            for _ in t.get("rows", []):  # obj: the row's place, to tell rows of one line apart
                inp.recs.append(Rec(inp.path, line, None, None, None, None, len(inp.recs)))
        return
    red = obj.get("RawEventData") if isinstance(obj, dict) else None
    if isinstance(red, dict) and classify(red)[0] == "ual":
        # Defender's CloudAppEvents row: the UAL record inside is the record
        m = re.compile(rb'"RawEventData"\s*:\s*\{').search(raw)
        s = m.end() - 1
        raw, obj = raw[s : json_value_end(raw, s)], red
    kind, rid, ts = classify(obj)
    inp.recs.append(Rec(inp.path, line, kind, rid, ts, unbreak(raw), obj))


def array_elements(text, i, end):
    """(offset, end) of each value inside the array at text[i]."""
    out, j = [], i + 1
    while j < end:
        c = text[j]
        if c in b" \t\r\n,":
            j += 1
            continue
        if c == 0x5D:
            break
        if c in (0x7B, 0x5B):
            e = json_value_end(text, j)
        else:
            e = j
            while e < end and text[e] not in b",]":
                e += 1
        out.append((j, e))
        j = e
    return out


def read_json(inp, text):
    lines = text.split(b"\n")
    one_a_line = False
    for first in [l for l in lines[:50] if l.strip()][:10]:
        try:  # JSON Lines: one of the first lines is an object by itself
            if isinstance(json.loads(first.decode("utf-8")), dict):
                one_a_line = True
                break
        except (ValueError, UnicodeDecodeError):
            pass
    if one_a_line:
        for no, l in enumerate(lines, 1):
            l = l[:-1] if l.endswith(b"\r") else l
            if not l.strip():
                continue
            try:
                obj = json.loads(l.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                obj = None
            if not isinstance(obj, dict):
                inp.rejects.append((no, l))
                continue
            if isinstance(obj.get("records"), list) or isinstance(obj.get("value"), list):
                # a page on one line: its records' lines are this one
                m = re.compile(rb'"(records|value)"\s*:\s*\[').search(l)
                for s, t in array_elements(l, m.end() - 1, len(l)):
                    add_json_record(inp, no, l[s:t], json.loads(l[s:t].decode("utf-8")))
                continue
            add_json_record(inp, no, l, obj)
        return
    # arrays, wrappers, pretty-printed objects: walk the values
    def line_at(off):
        return text.count(b"\n", 0, off) + 1

    def elements(i, end):
        return array_elements(text, i, end)

    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in b" \t\r\n":
            i += 1
            continue
        e = json_value_end(text, i)
        if c == 0x5B:
            for s, t in elements(i, e):
                obj = json.loads(text[s:t].decode("utf-8"))
                if isinstance(obj, dict):
                    add_json_record(inp, line_at(s), text[s:t], obj)
        else:
            obj = json.loads(text[i:e].decode("utf-8"))
            wrapped = obj.get("records") if isinstance(obj.get("records"), list) else None
            if wrapped is None and isinstance(obj.get("value"), list):
                wrapped = obj["value"]
            if wrapped is not None:
                # the wrapper's array: find it in the text (its member's value)
                m = re.compile(rb'"(records|value)"\s*:\s*\[').search(text, i, e)
                for s, t in elements(m.end() - 1, e):
                    add_json_record(inp, line_at(s), text[s:t], json.loads(text[s:t].decode("utf-8")))
            else:
                add_json_record(inp, line_at(i), text[i:e], obj)
        i = e


def read_input(path):
    inp = Input(path)
    with open(path, "rb") as f:
        text, inp.encoding = decode(f.read())
    head = text.lstrip(b" \t\r\n\x00")[:1]  # a zero-filled run before the first record too
    if head in (b"{", b"["):
        read_json(inp, text)
    else:
        read_csv(inp, text)
    return inp


# ---------------------------------------------------------------- the case

def run(argv, **kw):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(argv[:3]), p.returncode, p.stderr.decode(errors="replace")[:300]))
    return p.stdout


def unformula(s):
    """The CSV writer's one apostrophe in front of a formula-like cell."""
    return s[1:] if s.startswith("'") else s


def case_events(binp, case, filt=None, raw=True):
    argv = [binp, "query", case, "--format", "csv", "--limit", "100000000"] + (["--raw"] if raw else [])
    if filt:
        argv[3:3] = [filt]
    out = run(argv)
    rows = list(csv.DictReader(io.StringIO(out.decode("utf-8", "surrogateescape"), newline="")))
    for r in rows:
        for k in USED:
            if r.get(k, "")[:1] == "'":
                r[k] = r[k][1:]
    return rows


USED = ("record_id", "kind", "ts", "user", "op", "ip", "session", "source", "line", "raw")


def case_ids(binp, case, filt):
    """The record ids a filter finds (query, JSON Lines: ids as they are)."""
    out = run([binp, "query", case, filt, "--format", "jsonl", "--limit", "100000000"])
    return [json.loads(m) for m in RID_RE.findall(out.decode("utf-8", "surrogateescape"))]


RID_RE = re.compile(r'^\{"ts":[^,]*,"record_id":("(?:[^"\\]|\\.)*")', re.M)


def case_seen(binp, case):
    """record id -> [(path, line)] from export jsonl's seen_in."""
    out = run([binp, "export", case, "--format", "jsonl"])
    seen = {}
    for l in out.splitlines():
        o = json.loads(l)
        seen[(o["kind"], o["record_id"])] = [(s["path"], s["line"]) for s in o.get("seen_in") or []]
    return seen


def case_sources(binp, case):
    out = run([binp, "sources", case, "--format", "jsonl"])
    return [json.loads(l) for l in out.splitlines()]


def case_rejects(case):
    c = sqlite3.connect("file:%s?mode=ro" % case, uri=True)
    try:
        return [(p, ln, raw if isinstance(raw, bytes) else (raw or "").encode(), why)
                for p, ln, raw, why in c.execute(
                    "SELECT s.path, r.line, r.raw, r.reason FROM rejects r JOIN sources s ON s.id = r.source")]
    finally:
        c.close()


def iso(ms):
    import datetime

    d = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


# ---------------------------------------------------------------- compare

class Tap:
    def __init__(self, name):
        self.name, self.bad = name, 0

    def ok(self, what, good, why=""):
        if good:
            print("ok - %s: %s" % (self.name, what))
        else:
            self.bad += 1
            print("not ok - %s: %s (%s)" % (self.name, what, why))
        sys.stdout.flush()


def norm_ip(v):
    if not isinstance(v, str):
        return None
    v = v.strip()
    m = re.match(r"^\[([0-9a-fA-F:.]+)\](?::\d+)?$", v)
    if m:
        v = m.group(1)
    elif re.match(r"^\d+\.\d+\.\d+\.\d+:\d+$", v):
        v = v.rsplit(":", 1)[0]
    if v.lower().startswith("::ffff:") and "." in v:
        v = v[7:]
    return v.lower()


FIELDS = {}


def expected_fields(obj):
    """A few normalized fields the reference is sure of for the
    generated UAL records: user (lower case), op, ip, session."""
    got = FIELDS.get(id(obj))
    if got is not None and got[0] is obj:
        return got[1]
    out = {}
    FIELDS[id(obj)] = (obj, out)
    if isinstance(obj.get("UserId"), str):
        out["user"] = obj["UserId"].lower()
    if isinstance(obj.get("Operation"), str):
        out["op"] = obj["Operation"]
    if isinstance(obj.get("SessionId"), str) and "AppAccessContext" not in obj:
        out["session"] = obj["SessionId"]
    if isinstance(obj.get("ClientIP"), str) and re.match(r"^[\[0-9a-fA-F:.\]]+$", obj["ClientIP"]):
        out["ip"] = norm_ip(obj["ClientIP"])
    return out


ESC_RE = re.compile(rb"(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})")


def canon(b):
    """Raw text with the escapes the exports write for hostile
    characters (C1, bidi, invisible: \\uXXXX past U+007F) read back, on
    both sides: the case keeps the record's bytes, its exports escape
    these (export.h), and this reference does not list which."""

    def sub(m):
        c = int(m.group(2), 16)
        if c < 0x80 or 0xD800 <= c < 0xE000:
            return m.group(0)
        return m.group(1) + chr(c).encode("utf-8")

    return ESC_RE.sub(sub, b)


def short(b, n=80):
    if b is None:
        return "(a record rebuilt from columns)"
    r = repr(b[:n])
    return r + ("...(%d bytes)" % len(b) if len(b) > n else "")


def check(args):
    binp, case = args.bin, args.case
    tap = Tap(args.name or os.path.basename(case))
    inputs = [read_input(p) for p in args.files]
    for n, inp in enumerate(inputs):
        for r in inp.recs:
            r.src = n
    # the reference's view: events by (kind, id), duplicates, rejects
    events, occ, dups, conflicts, unnamed, unnamed_keys = {}, {}, [], [], [], set()
    for inp in inputs:
        for r in inp.recs:
            if r.rid is None:
                # no id the reference can name: the same text (or the
                # same row of the same file) again is a duplicate
                k = ("raw", r.raw) if r.raw is not None else ("row", r.path, r.line, r.obj)
                if k in unnamed_keys:
                    dups.append(r)
                else:
                    unnamed_keys.add(k)
                    unnamed.append(r)
                continue
            key = (r.kind, r.rid)
            if key not in events:
                events[key] = r
                occ[key] = [r]
            elif events[key].ts != r.ts:
                conflicts.append(r)  # the same id at another time: kept apart
            else:
                dups.append(r)
                occ[key].append(r)
    ref_rejects = collections.Counter()
    for inp in inputs:
        for line, raw in inp.rejects:
            ref_rejects[(inp.path, line, raw)] += 1
    for r in conflicts:
        ref_rejects[(r.path, r.line, r.raw)] += 1
    # a file loaded again (after a kill, or twice): its rejects are kept once
    ref_rejects = collections.Counter(set(ref_rejects))
    exact = all(i.exact for i in inputs)

    rows = case_events(binp, case)
    got = collections.Counter((r["kind"], r["record_id"]) for r in rows)
    twice = [k for k, n in got.items() if n > 1]
    tap.ok("every record id once (%d events)" % len(rows), not twice, "%d ids more than once, e.g. %r" % (len(twice), twice[:3]))

    named = {}
    for r in rows:
        named[(r["kind"], r["record_id"])] = r
    missing = [k for k in events if k not in named]
    tap.ok("every record the inputs hold is an event (%d)" % len(events), not missing,
           "%d missing, e.g. %r" % (len(missing), missing[:3]))
    n_unnamed = len(unnamed)
    extra = len(rows) - len(events) - n_unnamed
    tap.ok("no event the inputs do not hold (%d + %d without a known id)" % (len(events), n_unnamed), extra == 0,
           "%d events, reference %d named + %d unnamed" % (len(rows), len(events), n_unnamed))

    # each event: time, provenance, raw text, fields
    bad = collections.defaultdict(list)
    for k, ref in events.items():
        r = named.get(k)
        if r is None:
            continue
        # which copy stands for the record is the load's choice (a richer
        # copy may replace the first): it must be one of them
        if len(occ[k]) > 1:
            ref = next((o for o in occ[k] if (o.path, o.line) == (r["source"], int(r["line"]))), ref)
        if ref.ts is not None and r["ts"] != iso(ref.ts):
            bad["time"].append((k[1], r["ts"], iso(ref.ts)))
        if (r["source"], int(r["line"])) != (ref.path, ref.line):
            bad["source and line"].append((k[1], r["source"], r["line"], ref.path, ref.line))
        raw = r["raw"].encode("utf-8", "surrogateescape")
        if ref.raw is not None and raw != ref.raw and canon(raw) != canon(ref.raw):
            bad["raw text"].append((k[1], short(raw), short(ref.raw)))
        for f, v in (expected_fields(ref.obj) if isinstance(ref.obj, dict) else {}).items():
            if (r.get(f) or "") != v:
                bad["field " + f].append((k[1], r.get(f), v))
    for what in ("time", "source and line", "raw text", "field user", "field op", "field ip", "field session"):
        b = bad.get(what, [])
        tap.ok("%s of every event as in the input" % what, not b, "%d differ, e.g. %r" % (len(b), b[:2]))
    # records without a known id: their raw texts, as a multiset
    if unnamed and all(r.raw is not None for r in unnamed):
        have = collections.Counter(r["raw"].encode("utf-8", "surrogateescape") for r in rows)
        for r in events.values():
            have[r.raw] -= 1
        want = collections.Counter(r.raw for r in unnamed)
        lost = want - have
        tap.ok("raw text of the %d records without an id" % len(unnamed), not lost,
               "%d not found, e.g. %s" % (sum(lost.values()), short(next(iter(lost), b""))))

    # order: oldest first
    ts = [r["ts"] for r in rows]
    tap.ok("query lists events oldest first", ts == sorted(ts), "out of order")

    # duplicates: counted, and seen at their file and line
    seen = case_seen(binp, case) if any(len(c) > 1 for c in occ.values()) else {}
    miss = []
    for k, copies in occ.items():
        r = named.get(k)
        s = seen.get(k, [])
        for d in copies:
            if r is None or (d.path, d.line) == (r["source"], int(r["line"])) or (d.path, d.line) in s:
                continue
            if d.src == next(c.src for c in copies if (c.path, c.line) == (r["source"], int(r["line"]))):
                continue  # an export repeating itself: counted, not seen (README)
            miss.append((d.rid, d.path, d.line))
    tap.ok("every duplicate seen at its file and line (%d)" % sum(len(c) - 1 for c in occ.values()), not miss, "%d not, e.g. %r" % (len(miss), miss[:3]))

    srcs = case_sources(binp, case)
    if not args.resumed:
        want_dups = len(dups)
        got_dups = sum(s["duplicates"] for s in srcs)
        rej_dup = sum(len(i.rejects) for i in inputs) - len({(i.path, l, b) for i in inputs for l, b in i.rejects})
        tap.ok("duplicates counted (%d)" % want_dups, got_dups == want_dups + rej_dup,
               "sources say %d, reference %d (+%d rejects met again)" % (got_dups, want_dups, rej_dup))
        # per source, in load order
        per = []
        counted = set()
        seen_keys = {}
        for inp in inputs:
            ev = du = 0
            rj = 0
            for r in inp.recs:
                if r.rid is None:
                    k = ("raw", r.raw) if r.raw is not None else ("row", r.path, r.line, r.obj)
                    if k in seen_keys:
                        du += 1
                    else:
                        seen_keys[k] = None
                        ev += 1
                elif (r.kind, r.rid) not in seen_keys:
                    seen_keys[(r.kind, r.rid)] = r.ts
                    ev += 1
                elif seen_keys[(r.kind, r.rid)] != r.ts:
                    rj += 1  # a conflict
                else:
                    du += 1
            for line, raw in inp.rejects:
                if (inp.path, line, raw) in counted:
                    du += 1
                else:
                    counted.add((inp.path, line, raw))
                    rj += 1
            per.append((inp.path, len(inp.recs) + len(inp.rejects), ev, du, rj))
        gotper = [(s["path"], s["records"], s["events"], s["duplicates"], s["rejects"] + s.get("conflicts", 0)) for s in srcs]
        tap.ok("each source's records, events, duplicates, rejects (%d sources)" % len(per), gotper == per,
               "; ".join("%r != %r" % (a, b) for a, b in zip(gotper, per) if a != b)[:400] or "%d sources, want %d" % (len(gotper), len(per)))
    else:
        st = [s["status"] for s in srcs]
        tap.ok("the last load of each file is complete", all(
            any(s["path"] == p and s["status"] == "complete" for s in srcs) for p in args.files),
            "statuses %r" % st[-6:])

    # rejects: each once, at its line, byte for byte
    cr = collections.Counter((p, ln, raw) for p, ln, raw, why in case_rejects(case))
    extra_r = cr - ref_rejects
    lost_r = ref_rejects - cr
    tap.ok("every rejected row kept once, at its line, byte for byte (%d)" % sum(ref_rejects.values()),
           not extra_r and not lost_r,
           "lost %r; extra %r" % ([(p, l, short(b)) for p, l, b in list(lost_r)[:2]],
                                   [(p, l, short(b)) for p, l, b in list(extra_r)[:2]]))

    if exact and not args.no_queries:
        check_queries(tap, binp, case, events, rows, args)
    return tap.bad


def check_queries(tap, binp, case, events, rows, args):
    """The pivots and stacks against the reference's own counts."""
    by = {f: collections.defaultdict(set) for f in ("user", "op", "ip", "session")}
    for k, r in events.items():
        if r.kind != "ual" or not isinstance(r.obj, dict):
            continue
        for f, v in expected_fields(r.obj).items():
            by[f][v].add(k[1])
    rng = random.Random(args.seed)
    for f in ("user", "op", "ip", "session"):
        vals = by[f]
        if not vals:
            continue
        out = run([binp, "stack", case, f, "kind=ual", "--format", "csv", "--limit", "100000000"])
        st = {}
        for r in csv.DictReader(io.StringIO(out.decode("utf-8", "surrogateescape"), newline="")):
            st[unformula(r[f])] = int(r["events"])
        diff = [(v, st.get(v), len(ids)) for v, ids in vals.items() if st.get(v) != len(ids)]
        tap.ok("stack %s: events of each of %d values" % (f, len(vals)), not diff, "%d differ, e.g. %r" % (len(diff), diff[:3]))
        # a few values through the pivot: the commonest, the rarest, some at random
        order = sorted(vals, key=lambda v: (-len(vals[v]), v))
        pick = order[:1] + order[-1:] + rng.sample(order, min(2, len(order)))
        wrong = []
        for v in dict.fromkeys(pick):
            if not re.match(r"^[A-Za-z0-9@._:-]{1,200}$", v):
                continue
            ids = case_ids(binp, case, "kind=ual %s=%s" % (f, v))
            got = set(ids)
            if got != vals[v] or len(ids) != len(got):
                wrong.append((v, len(got), len(vals[v])))
        tap.ok("query %s=V: the events of %d values" % (f, len(dict.fromkeys(pick))), not wrong, "%r" % wrong[:3])
    # two pivots at once
    if by["user"] and by["ip"]:
        u = max(by["user"], key=lambda v: len(by["user"][v]))
        ips = sorted(by["ip"], key=lambda v: -len(by["ip"][v]))[:2]
        wrong = []
        for ip in ips:
            want = by["user"][u] & by["ip"][ip]
            got = set(case_ids(binp, case, "kind=ual user=%s ip=%s" % (u, ip)))
            if got != want:
                wrong.append((ip, len(got), len(want)))
        tap.ok("query user=U ip=I: intersections", not wrong, "%r" % wrong)


# ---------------------------------------------------------------- shapes

def guid(rng):
    return "%08x-%04x-%04x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16),
                                          rng.getrandbits(16), rng.getrandbits(48))


def ual(rng, i, t0, user=None, ip=None, session=None, rid=None, extra=None):
    """One AuditData object (compact key order as the portal writes)."""
    ops = ("MailItemsAccessed", "Send", "New-InboxRule", "UserLoggedIn", "Set-Mailbox", "Add-MailboxPermission")
    ts = t0 + i
    import datetime

    d = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    o = {
        "CreationTime": d,
        "Id": rid or guid(rng),
        "Operation": ops[i % len(ops)],
        "OrganizationId": "df233d94-fed3-4436-bf9a-a799fb85a159",
        "RecordType": 50,
        "ResultStatus": "Succeeded",
        "UserKey": "10032001%06X" % (i % 97),
        "UserType": 0,
        "Version": 1,
        "Workload": "Exchange",
        "ClientIP": ip or ("203.0.%d.%d" % (i % 7, i % 250 + 1)),
        "UserId": user or ("User%d@Contoso.com" % (i % 13)),
        "AppId": "00000003-0000-0000-c000-000000000000",
        "ClientAppId": guid(random.Random(i % 5)),
        "SessionId": session or guid(random.Random(i % 31)),
    }
    if extra:
        o.update(extra)
    return o


def dumps(o):
    return json.dumps(o, separators=(",", ":"), ensure_ascii=False)


def csv_cell(s):
    return '"' + s.replace('"', '""') + '"'


def purview_csv(objs, crlf=True, bom=False, formatted=False):
    eol = "\r\n" if crlf else "\n"
    out = ["RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames"]
    for o in objs:
        body = json.dumps(o, indent=2) if formatted else dumps(o)
        out.append(",".join([o["Id"], o["CreationTime"] + ".0000000Z ", "50", o["Operation"], o["UserId"], csv_cell(body), "", ""]))
    return ("\ufeff" if bom else "") + eol.join(out) + eol


def psh_csv(objs):
    """Search-UnifiedAuditLog | Export-Csv with -Formatted cells (multi-line JSON)."""
    out = ['#TYPE Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.AuditRecord',
           ",".join(csv_cell(h) for h in ("RecordType", "CreationDate", "UserIds", "Operations", "AuditData",
                                          "ResultIndex", "ResultCount", "Identity", "IsValid", "ObjectState"))]
    for n, o in enumerate(objs, 1):
        out.append(",".join(csv_cell(c) for c in ("ExchangeItemAggregated", o["CreationTime"].replace("T", " "), o["UserId"],
                                                  o["Operation"], json.dumps(o, indent=4).replace("\n", "\r\n"),
                                                  str(n), str(len(objs)), o["Id"], "True", "Unchanged")))
    return "\r\n".join(out) + "\r\n"


def jsonl(objs, crlf=False):
    eol = "\r\n" if crlf else "\n"
    return "".join(dumps(o) + eol for o in objs)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


# The odd shapes: name -> how it is loaded (the loads, in order). Each
# scenario is a case of its own; tests/e2e_diffref.sh loads and checks
# them, tests/diffref_sweep.sh adds kill -9 at random points.
def gen(args):
    d, n, rng = args.dir, args.scale, random.Random(args.seed)
    os.makedirs(d, exist_ok=True)
    t0 = 1695693375  # 2023-09-26
    base = [ual(rng, i, t0 + 2 * i) for i in range(0, 2 * n, 2)]  # even seconds
    # 1. newest first (as the portal lists), CRLF; the classic mixed shapes
    write(os.path.join(d, "a1-newest-first.csv"), purview_csv(list(reversed(base))))
    # 2. shuffled, overlapping the first by half (the same records: duplicates), JSON Lines CRLF
    over = base[n // 2 :] + [ual(rng, i, t0 + 2 * i) for i in range(2 * n, 3 * n)]
    rng.shuffle(over)
    over[10:10] = over[100:103]  # a file repeating itself (PowerShell's paging)
    write(os.path.join(d, "a2-shuffled-overlap.jsonl"), jsonl(over, crlf=True))
    # 3. ids that differ only in case (GUIDs and other ids), one value for all users
    cs = []
    for i in range(20):
        g = guid(rng)
        cs.append(ual(rng, i, t0 + 7, rid=g))
        cs.append(ual(rng, i, t0 + 7, rid=g.upper()))
        cs.append(ual(rng, i, t0 + 7, rid="{%s}" % g))
        cs.append(ual(rng, i, t0 + 8, rid="Rec-%dABC" % i))
        cs.append(ual(rng, i, t0 + 8, rid="rec-%dabc" % i))
    write(os.path.join(d, "a3-case-ids.jsonl"), jsonl(cs))
    # 4. a JSON array, UTF-8 BOM, pretty-printed elements, a second array after it
    arr = [ual(rng, i, t0 + 3 * n + i) for i in range(50)]
    write(os.path.join(d, "a4-arrays-bom.json"),
          "\ufeff" + json.dumps(arr[:30], indent=2) + "\n" + json.dumps(arr[30:], indent=1))
    # 5. PowerShell export, UTF-16LE with a BOM, #TYPE line, multi-line cells
    ps = [ual(rng, i, t0 + 4 * n + i, extra={"Subject": "caf\u00e9 \u65e5\u672c \U0001f600"}) for i in range(40)]
    write(os.path.join(d, "a5-psh-utf16.csv"), b"\xff\xfe" + psh_csv(ps).encode("utf-16-le"))
    # 5b. JSON Lines in UTF-16BE without a BOM, CRLF
    ps = [ual(rng, i, t0 + 4 * n + 100 + i, extra={"Subject": "\u00fcber \U0001f4e7"}) for i in range(30)]
    write(os.path.join(d, "a5b-utf16be.jsonl"), jsonl(ps, crlf=True).encode("utf-16-be"))
    # 6. rows to reject: NUL bytes, a raw escape, broken JSON, terminal
    #    escapes written as \u001b (valid), a truncated last line
    #    (a6z: the same behind a zero-filled run at the very start)
    good = [ual(rng, i, t0 + 5 * n + i, extra={"Subject": "\x1b]0;owned\x07\x1b[2J\u202e"}) for i in range(20)]
    lines = [dumps(o).encode() for o in good]
    lines.insert(12, b'{"CreationTime":"2023-09-26T01:56:15","Id":"nul-1","Operation":"Send","UserId":"a\x00b@x.com"}')
    lines.insert(14, b'{"CreationTime":"2023-09-26T01:56:15","Id":"esc-1","Operation":"Send","UserId":"\x1b[31mred"}')
    lines.insert(16, b'{"CreationTime":"2023-09-26T01:56:15","Id":"broken-1","Operation":"Send",,}')
    lines.insert(18, b"\x00\x00\x00\x00")
    lines.append(dumps(ual(rng, 99, t0 + 5 * n + 99)).encode()[:-40])  # cut short, no newline
    write(os.path.join(d, "a6-rejects.jsonl"), b"\n".join(lines))
    # 6c. another file with the same broken row at the same line as 6's
    other = [dumps(ual(rng, i, t0 + 5 * n + 50 + i)).encode() for i in range(16)]
    other.insert(16, lines[16])
    write(os.path.join(d, "a6c-same-bad-row.jsonl"), b"\n".join(other) + b"\n")
    write(os.path.join(d, "a6z-binary.jsonl"), b"\x00" * 16 + b"\n".join(lines[:5]))
    # 6b. the same in CSV: a NUL in a cell, a quoted cell that never ends
    rows = [ual(rng, i, t0 + 6 * n + i) for i in range(10)]
    text = purview_csv(rows, crlf=False).encode()
    bad_row = ('x,2023-09-26T01:56:15.0000000Z ,50,Send,a@x.com,' +
               csv_cell('{"CreationTime":"2023-09-26T01:56:15","Id":"csv-bad","Operation":"Send","UserId":"a@x.com"')).encode()
    nul_row = ('x,2023-09-26T01:56:15.0000000Z ,50,Send,a@x.com,' +
               csv_cell('{"CreationTime":"2023-09-26T01:56:15","Id":"csv-nul","Operation":"Send","UserId":"a\x00@x.com"}')).encode()
    cut = ('x,2023-09-26T01:56:15.0000000Z ,50,Send,a@x.com,"{""CreationTime"":""2023-09').encode()
    write(os.path.join(d, "a6b-rejects.csv"), text + bad_row + b"\n" + nul_row + b"\n" + cut)
    # 7. appends that interleave in time with what the case holds (odd seconds)
    write(os.path.join(d, "a7-interleave.jsonl"), jsonl([ual(rng, i, t0 + 2 * i + 1) for i in range(0, 2 * n, 2)]))
    # 8. the same ids again with another time: conflicts, not merged
    conf = [dict(o, CreationTime=o["CreationTime"][:-2] + "59") for o in base[:5] if not o["CreationTime"].endswith("59")]
    write(os.path.join(d, "a8-conflicts.jsonl"), jsonl(conf))
    # b. cardinality: one user, one IP for all; every session distinct;
    #    a value met first, then after both intern generations are gone,
    #    and a value over the intern pool's size
    m = args.many
    big = "S" * (3 << 20)
    many = []
    for i in range(m):  # four values of its own each: 4m distinct values
        session = "sess-%07d-%s" % (i, "x" * 8)
        if i in (0, m - 1):
            session = "the-same-session-first-and-last"
        if i in (1, m // 2, m - 2):
            session = big
        many.append(ual(rng, i, t0 + i, user="Only@Contoso.com", ip="198.51.100.7", session=session,
                        extra={"ClientInfoString": "Client=REST;agent-%d" % i,
                               "ClientAppId": "%08d-0000-4000-8000-%012d" % (i, i),
                               "AppId": "%08d-1111-4000-8000-%012d" % (i, i)}))
    write(os.path.join(d, "b-many.jsonl"), jsonl(many))
    # c. records with huge fields (CSV and JSON Lines)
    hb = args.huge_mb << 20
    huge = [ual(rng, i, t0 + 9 * n + i) for i in range(4)]
    huge[1]["Body"] = "A" * hb
    huge[2]["Body"] = "\u00e9\\\"\u001b" * (hb // 12 // args.escaped_div)  # escapes all along
    write(os.path.join(d, "c-huge.jsonl"), jsonl(huge))
    write(os.path.join(d, "c-huge.csv"), purview_csv(huge[:2], crlf=True))
    # k. one input for kill -9 and resume (records with rejects among them)
    k = [ual(rng, i, t0 + 20 * n + (i * 7919) % args.kill_n) for i in range(args.kill_n)]
    kl = [dumps(o).encode() for o in k]
    for j in range(1, len(kl), max(1, len(kl) // 10)):
        kl[j] = kl[j][:-1]  # a few broken rows
    write(os.path.join(d, "k-kill.jsonl"), b"\n".join(kl) + b"\n")


def main():
    import argparse

    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("dir")
    g.add_argument("--scale", type=int, default=500)
    g.add_argument("--many", type=int, default=100000)
    g.add_argument("--huge-mb", type=int, default=50)
    g.add_argument("--kill-n", type=int, default=60000)
    g.add_argument("--escaped-div", type=int, default=1, help="the escaped huge field is huge-mb / this")
    g.add_argument("--seed", type=int, default=22)
    c = sub.add_parser("check")
    c.add_argument("--bin", required=True)
    c.add_argument("--case", required=True)
    c.add_argument("--name")
    c.add_argument("--resumed", action="store_true")
    c.add_argument("--no-queries", action="store_true")
    c.add_argument("--seed", type=int, default=22)
    c.add_argument("files", nargs="+")
    args = ap.parse_args()
    if args.cmd == "gen":
        gen(args)
        return 0
    try:
        return 1 if check(args) else 0
    except (RuntimeError, OSError, ValueError) as e:
        print("not ok - %s: the check could not run (%s)" % (args.name or args.case, e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
