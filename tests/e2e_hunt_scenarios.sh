#!/usr/bin/env bash
# e2e_hunt_scenarios.sh: the hunts on incident scenarios shaped unlike the
# generator's (tests/hunt_scen.py writes them and says what each hunt must
# answer): the intrusion in a 2-day export's first hour, in a 30-day
# export's last hour, spread thin over four weeks; its app id upper-case
# and in braces; sign-ins as Azure Monitor records with a -05:00 offset;
# every user behind the tenant's one VPN exit abroad as well as at home;
# sessions signing in over IPv4 and reading mail over IPv6 (one network),
# and tokens replayed from another host of the victim's network (another
# Comcast /16, another AWS host);
# the intrusion's records three times (UAL, Sentinel OfficeActivity,
# Defender XDR CloudAppEvents) and a failed logon in both the UAL and the
# sign-in log; 50,000 users with a fresh session and token on every
# record; a phishing proxy (AiTM) catching five of a 20-user tenant's
# users one afternoon (as many users as an exit, but new), or in the
# case's first hour (in use from day one, but no user's habit), and two
# of a six-user tenant's;
# an intruder's app sweeping 12 of 16 mailboxes once each from a 2-day
# export's first hour (beside the tenant's archiving service); a password
# guessed and mail read in a 10-day export's first hour (and a user's
# mistyped password at home); the intrusion in a 30-day export's last
# minute; a clean 2,000-user tenant with heavy third-party app use;
# sign-ins in New York time across the US DST change; records out of
# order; one account and one mailbox every six days from one address;
# only the Entra sign-in log; apps named by display name, not id; the
# intruder guessing two users' passwords from one address six hours apart
# (mid-case, a 2-day export's first hour, a 30-day export's last hours);
# a password spray slower than a day (three accounts an address a day from
# three addresses for eight days: mid-case, from the first hour, to the
# last day);
# consent phishing: ten users consent to the intruder's app for themselves
# and it reads their own mail every three hours (from a 2-day export's
# first hour, a 10-day export's first evening, a 30-day 200-user export's
# first hour, a 10-day export's last hours; the consents in Entra's
# directory audit log instead), and an admin's consent for
# the tenant to an app 30 of 40 users then use (no hit); a new office exit
# abroad every user passes through from day 4 or 6 of 10 (20 and 60 users:
# only the intruder's sign-in from a third country is a hit), and an
# intruder's cloud proxy signing in as five of 16-20 users every four hours
# for 20 hours (from the first hour, the fifth day, the last hours). Scenarios that need the
# IP tables skip their place checks where the case places no address.
# SCEN=NAME runs one.
. "$(dirname "$0")/e2e_lib.sh"

if ! command -v python3 > /dev/null; then
	echo "skip - e2e_hunt_scenarios: python3 not found"
	exit 0
fi
scen=tests/hunt_scen.py
for name in ${SCEN:-first_hour last_hour thin forms offsets dupes egress dualstack wide replay_same_net aitm aitm_first_day aitm_small sweep first_hour_logons last_minute clean2000 dst_offsets unordered low_slow signin_only names second_victim second_victim_first_hour second_victim_last_hours slow_spray slow_spray_first_days slow_spray_last_days consent_phish consent_phish_first_day consent_phish_wide consent_phish_last_hours consent_phish_entra admin_app new_exit new_exit_late proxy_kept proxy_kept_mid proxy_kept_last}; do
	d=$t/$name
	python3 "$scen" "$name" "$d/in" > "$d.want" || {
		nok "$name: scenario"
		continue
	}
	"$bin" load -q "$d.case" "$d/in" > "$d.load" 2>&1 || nok "$name: load" "$(tail -1 "$d.load")"
	# does the case know where an address is (the IP tables installed)?
	placed=$("$bin" query "$d.case" 'country!=""' --format csv --limit 1 | tail -n +2 | cut -d, -f9)
	for h in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))))' "$d.want"); do
		"$bin" hunt "$d.case" "$h" --format csv > "$d.$h.csv" 2> "$d.$h.err" || nok "$name: hunt $h" "$(head -1 "$d.$h.err")"
	done
	python3 - "$name" "$d" "$placed" << 'PY'
import csv, json, sys
name, d, placed = sys.argv[1], sys.argv[2], sys.argv[3]
want = json.load(open(d + ".want"))
def same(a, b):  # an id as the hunts should take it: any case, braces or none
    bare = lambda x: (x or "").strip().strip("{}").lower()
    return bare(a) == bare(b)
def ok(what, good, why=""):
    print(("ok - %s: %s" if good else "not ok - %s: %s (%s)") % ((name, what) if good else (name, what, why)))
for h, w in want.items():
    if w.get("places") and not placed:
        print("skip - %s: %s: the case places no address (no IP tables)" % (name, h))
        continue
    rows = list(csv.DictReader(open("%s.%s.csv" % (d, h), newline="")))
    hits = [r for r in rows if r["hit"] == "true"]
    show = lambda r: r and {k: r[k] for k in list(r)[:3] + ["reason"] if k in r}
    if w.get("first"):
        c, v = w["first"]
        r = rows[0] if rows else None
        ok("%s: the first row is a hit with %s %s" % (h, c, v), bool(r) and r["hit"] == "true" and same(r[c], v),
           "first row: %r" % show(r))
    if w.get("hits"):
        bad = [r for r in hits if not any(same(r[c], v) for c, v in w["hits"])]
        ok("%s: every hit is the intrusion's" % h, not bad, "%d others, first %r" % (len(bad), show(bad[0]) if bad else None))
    if w.get("min_hits") is not None:
        ok("%s: at least %d hits" % (h, w["min_hits"]), len(hits) >= w["min_hits"], "%d" % len(hits))
    if w.get("max_hits") is not None:
        ok("%s: at most %d hits" % (h, w["max_hits"]), len(hits) <= w["max_hits"],
           "%d, first %r" % (len(hits), show(hits[0]) if hits else None))
    for c, v in w.get("cols", {}).items():
        ok("%s: the first row's %s is %s" % (h, c, v), bool(rows) and rows[0][c] == v, "first row: %r" % show(rows[0] if rows else None))
    if w.get("events") is not None:
        bad = [r for r in hits if r["events"] != str(w["events"])]
        ok("%s: each hit has %d events" % (h, w["events"]), not bad, "first %r" % (show(bad[0]) if bad else None))
PY
	rm -rf "$d" "$d.case"
done
