#!/usr/bin/env python3
"""hunt_scen.py: incident scenarios shaped unlike auditgen's, for
tests/e2e_hunt_scenarios.sh. `hunt_scen.py NAME DIR` writes the scenario's
input files into DIR and prints, as JSON, what the hunts must answer:

  {"hunt": {"hits": [[column, value], ...] | null, "first": [column, value] | null,
            "max_hits": N | null, "min_hits": N | null}}

hits: every hit row has column = value for one of the pairs; first: the
first row is a hit with that value; max_hits / min_hits bound the hit
count; events: every hit row's events column; cols: the first row's
values of some columns. The tenant is small and regular (each user at home on one address,
reading their own mailbox with Outlook, signing in each morning) so that
what a hunt flags is the scenario's, not noise; the scenarios move the
intrusion in time, spread it thin, write its ids in other forms, give
times with offsets, repeat records across the logs that carry them, and
give every record a fresh session and token.
"""
import datetime as dt
import json
import os
import random
import sys

OUTLOOK = "5d661950-3475-41cd-a2c3-d671a3162bc1"
OWA = "9199bf20-a13f-4107-85dc-02114787ef48"
EVIL = "7c3e91b2-58a4-4f0e-9d2b-1a6c0e5f4d21"  # an app no list knows
EVIL_NAME = "Mail Archiver Pro"
T0 = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
ATTACKER_IPS = ["198.51.100.23", "203.0.113.77"]


def iso(t, z="Z"):
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + z


class Case:
    def __init__(self, users=12, days=30, seed=1, fresh_ids=False):
        self.r = random.Random(seed)
        self.users = ["user%02d@fabrikam.com" % i for i in range(users)]
        self.ip = {u: "192.0.2.%d" % (10 + i) if i < 200 else "100.64.%d.%d" % (i // 250, i % 250)
                   for i, u in enumerate(self.users)}
        self.days = days
        self.fresh = fresh_ids
        self.ual = []       # AuditData objects
        self.signins = []   # Graph signIn objects
        self.n = 0

    def rid(self):
        self.n += 1
        return "%08x-%04x-4%03x-8%03x-%012x" % (self.r.getrandbits(32), self.n & 0xffff, self.n % 4096,
                                                self.r.getrandbits(12), self.n)

    def sess(self, u, day):
        if self.fresh:
            return self.rid(), "T%x" % self.r.getrandbits(64)
        i = self.users.index(u)
        return "5e55%04x-0000-4000-8000-%012x" % (i, day), "tok%04x%04x" % (i, day)

    def mail(self, t, user, mailbox, app, ip, session=None, token=None, capp=None):
        rec = {"CreationTime": iso(t, ""), "Id": self.rid(), "Operation": "MailItemsAccessed",
               "RecordType": 50, "Workload": "Exchange", "ResultStatus": "Succeeded",
               "UserId": user, "MailboxOwnerUPN": mailbox, "ClientIPAddress": ip, "AppId": app,
               "ClientAppId": capp or "", "ClientInfoString": "Client=REST;;", "LogonType": 0,
               "OperationProperties": [{"Name": "MailAccessType", "Value": "Bind"}],
               "Folders": [{"Path": "\\Inbox", "FolderItems": [
                   {"InternetMessageId": "<%s@fabrikam.com>" % self.rid()}]}]}
        if session:
            rec["SessionId"] = session
            rec["AppAccessContext"] = {"AADSessionId": session, "UniqueTokenId": token}
        self.ual.append(rec)
        return rec

    def signin(self, t, user, ip, ok=True, app=OUTLOOK, session=None, token=None, ual_copy=True):
        sid = self.rid()
        s = {"id": sid, "createdDateTime": iso(t), "userPrincipalName": user, "appId": app,
             "appDisplayName": "Microsoft Outlook", "ipAddress": ip,
             "status": {"errorCode": 0 if ok else 50126,
                        "failureReason": None if ok else "Invalid username or password."},
             "sessionId": session or "", "uniqueTokenIdentifier": token or "", "isInteractive": True}
        self.signins.append(s)
        if ual_copy:  # the same logon as the UAL records it (AzureActiveDirectoryStsLogon)
            self.ual.append({"CreationTime": iso(t, ""), "Id": self.rid(),
                             "Operation": "UserLoggedIn" if ok else "UserLoginFailed", "RecordType": 15,
                             "Workload": "AzureActiveDirectory", "ResultStatus": "Success" if ok else "Failed",
                             "UserId": user, "ClientIP": ip, "ApplicationId": app,
                             "LogonError": "" if ok else "InvalidUserNameOrPassword"})
        return s

    def background(self, reads=3):
        """Each user: a sign-in each morning from home, then a few reads."""
        for d in range(self.days):
            for u in self.users:
                t = T0 + dt.timedelta(days=d, hours=7 + self.r.random() * 2)
                s, k = self.sess(u, d)
                self.signin(t, u, self.ip[u], session=s, token=k)
                for j in range(reads):
                    if self.fresh:
                        s, k = self.sess(u, d)
                    tt = t + dt.timedelta(minutes=5 + 40 * j + self.r.random() * 30)
                    self.mail(tt, u, u, OUTLOOK, self.ip[u], s, k, OUTLOOK)

    def write(self, d, ual_name="ual.jsonl", signin_name="signins.json"):
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, ual_name), "w") as f:
            for rec in sorted(self.ual, key=lambda x: x["CreationTime"]):
                f.write(json.dumps(rec) + "\n")
        if self.signins:
            with open(os.path.join(d, signin_name), "w") as f:
                json.dump({"value": self.signins}, f)


def attack_reads(c, t, mailboxes, app=EVIL, user=None, ips=ATTACKER_IPS, form=lambda a: a):
    """The intruder's app reads each mailbox a few times from its IPs."""
    recs = []
    for i, mb in enumerate(mailboxes):
        for j in range(3):
            tt = t + dt.timedelta(minutes=7 * i + 2 * j)
            recs.append(c.mail(tt, user or mb, mb, form(app), ips[(i + j) % len(ips)], capp=form(app)))
    return recs


ARCHIVER = "3b1d6f0e-92c4-4e2a-8f57-0d4c1e9a6b33"  # the tenant's own archiving service


def archive_daily(c):
    """The tenant's archiving service (not Microsoft's) reads every mailbox
    once a day from the export's first hour."""
    for day in range(c.days):
        for u in c.users:
            c.mail(T0 + dt.timedelta(days=day, minutes=5 + c.users.index(u)), "svc-archive@fabrikam.com", u,
                   ARCHIVER, "20.190.128.10", capp=ARCHIVER)


def first_hour(d):
    """The intruder's app reads three mailboxes from the export's first
    hour; the tenant's archiving service (not Microsoft's either) reads
    every mailbox from its first hour too, and is no hit."""
    c = Case(days=2)
    c.background()
    archive_daily(c)
    attack_reads(c, T0 + dt.timedelta(minutes=12), c.users[:3])
    c.write(d)
    hit = [["app", EVIL]]
    return {"new-app-for-mailbox": {"first": hit[0], "hits": hit, "min_hits": 3},
            "rare-apps": {"first": hit[0]}}


def last_hour(d):
    c = Case(days=30)
    c.background()
    attack_reads(c, T0 + dt.timedelta(days=29, hours=23, minutes=10), c.users[:2])
    c.write(d)
    hit = [["app", EVIL]]
    return {"new-app-for-mailbox": {"first": hit[0], "hits": hit, "min_hits": 2},
            "rare-apps": {"first": hit[0], "hits": hit}}


def thin(d):
    """The app from the first hour, then one more mailbox every nine days,
    a single read each time."""
    c = Case(days=30)
    c.background()
    for k in range(4):
        mb = c.users[k]
        c.mail(T0 + dt.timedelta(days=9 * k, minutes=30), mb, mb, EVIL, ATTACKER_IPS[k % 2], capp=EVIL)
    c.write(d)
    hit = [["app", EVIL]]
    return {"new-app-for-mailbox": {"first": hit[0], "hits": hit, "min_hits": 4},
            "rare-apps": {"first": hit[0], "hits": hit}}


def forms(d):
    """The intruder's app id upper-case in some records, in braces in
    others; Microsoft's apps upper-case; user names in capitals."""
    c = Case(days=10)
    c.background()
    for rec in c.ual[::3]:
        if rec["Operation"] == "MailItemsAccessed":
            rec["AppId"] = rec["AppId"].upper()
            rec["ClientAppId"] = "{%s}" % rec["ClientAppId"].upper()
            rec["UserId"] = rec["UserId"].upper()
    attack_reads(c, T0 + dt.timedelta(days=5, hours=3), c.users[:2], form=str.upper)
    attack_reads(c, T0 + dt.timedelta(days=6, hours=3), c.users[2:3], form=lambda a: "{%s}" % a.upper())
    c.write(d)
    # the braced id is another value of the case (the parsers keep it as
    # written): two rows of the one app, and none of Microsoft's
    return {"rare-apps": {"hits": [["app", EVIL]], "first": ["app", EVIL], "max_hits": 2},
            "new-app-for-mailbox": {"hits": [["app", EVIL]], "first": ["app", EVIL], "min_hits": 3}}


def offsets(d):
    """Sign-ins as Azure Monitor diagnostic records with a -05:00 offset;
    the intruder signs in from a new IP and reads mail 10 minutes later
    (UTC), which is 5 h 10 min later if the offset is dropped."""
    c = Case(days=10)
    c.background()
    u = c.users[4]
    t = T0 + dt.timedelta(days=6, hours=14)
    c.signin(t, u, ATTACKER_IPS[0], session="a77ac4e2-0000-4000-8000-000000000001", token="evil1",
             ual_copy=False)
    c.mail(t + dt.timedelta(minutes=10), u, u, OWA, ATTACKER_IPS[0], capp=OWA)
    os.makedirs(d, exist_ok=True)
    tz = dt.timezone(dt.timedelta(hours=-5))
    with open(os.path.join(d, "diag.jsonl"), "w") as f:
        for s in c.signins:
            t = dt.datetime.strptime(s["createdDateTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
            p = dict(s)
            p["createdDateTime"] = t.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S.1234567-05:00")
            f.write(json.dumps({"time": t.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S.12345-05:00"),
                                "resourceId": "/tenants/x/providers/Microsoft.aadiam",
                                "operationName": "Sign-in activity", "category": "SignInLogs",
                                "callerIpAddress": s["ipAddress"], "properties": p}) + "\n")
    c.signins = []
    c.write(d)
    return {"signin-then-mail": {"first": ["user", u], "hits": [["user", u]], "max_hits": 1}}


def dupes(d):
    """Every record of the intrusion three times: the UAL export, Sentinel
    OfficeActivity rows, Defender XDR CloudAppEvents rows. One failed
    logon, recorded by the UAL and the sign-in log alike, before a
    success from a new IP: one failure, not two; two tries, each in both
    logs, before a success: two."""
    c = Case(days=10)
    c.background()
    u = c.users[5]
    t = T0 + dt.timedelta(days=7, hours=15)
    c.signin(t, u, ATTACKER_IPS[1], ok=False)
    c.signin(t + dt.timedelta(minutes=3), u, ATTACKER_IPS[1])
    # and a password guessed at the second try, both tries in both logs
    v = c.users[6]
    for k in range(2):
        c.signin(t + dt.timedelta(hours=2, seconds=40 * k), v, ATTACKER_IPS[0], ok=False)
    c.signin(t + dt.timedelta(hours=2, minutes=4), v, ATTACKER_IPS[0])
    recs = attack_reads(c, T0 + dt.timedelta(days=7, hours=16), c.users[:2])
    c.write(d)
    with open(os.path.join(d, "sentinel.jsonl"), "w") as f:
        for r in recs:
            row = {k: v for k, v in r.items() if k not in ("CreationTime", "Id", "Workload", "ClientIPAddress",
                                                          "OperationProperties", "Folders", "LogonType")}
            row.update({"TimeGenerated": r["CreationTime"] + "Z", "OfficeId": r["Id"], "RecordType": "50",
                        "OfficeWorkload": "Exchange", "Client_IPAddress": r["ClientIPAddress"],
                        "Logon_Type": "Owner", "Type": "OfficeActivity",
                        "OperationProperties": json.dumps(r["OperationProperties"]),
                        "Folders": json.dumps(r["Folders"])})
            f.write(json.dumps(row) + "\n")
    with open(os.path.join(d, "xdr.jsonl"), "w") as f:
        for r in recs:
            f.write(json.dumps({"Timestamp": r["CreationTime"] + ".0000000Z", "ActionType": "MailItemsAccessed",
                                "Application": "Microsoft Exchange Online", "ApplicationId": 20893,
                                "AccountDisplayName": r["UserId"], "IPAddress": r["ClientIPAddress"],
                                "RawEventData": r}) + "\n")
    return {"new-app-for-mailbox": {"first": ["app", EVIL], "hits": [["app", EVIL]], "min_hits": 2,
                                    "events": 3},
            "failed-then-success": {"first": ["user", v], "hits": [["user", v]], "max_hits": 1,
                                    "cols": {"failures": "2"}}}


def egress(d):
    """Every user at home in the US (Comcast addresses) and, minutes later,
    through the tenant's VPN exit in France that all of them share (the
    first two days only through the exit); one
    user then signs in from the Netherlands half an hour after signing in
    at home, and reads mail from there. Needs the IP tables: the hunts
    judge places (a case without them places nothing, and the checks that
    need a place are skipped by the script)."""
    c = Case(days=10)
    c.ip = {u: "73.%d.%d.%d" % (40 + i, 17 + i, 100 + i) for i, u in enumerate(c.users)}
    vpn = "86.206.192.66"
    for day in range(c.days):
        for u in c.users:
            t = T0 + dt.timedelta(days=day, hours=13 + c.r.random() * 2)
            if day >= 2:  # the first two days in the office, seen only through the exit
                c.signin(t, u, c.ip[u])
                c.mail(t + dt.timedelta(minutes=3), u, u, OUTLOOK, c.ip[u], capp=OUTLOOK)
            t2 = t + dt.timedelta(minutes=15 + c.r.random() * 10)
            c.signin(t2, u, vpn)
            c.mail(t2 + dt.timedelta(minutes=2), u, u, OUTLOOK, vpn, capp=OUTLOOK)
    u = c.users[3]
    t = T0 + dt.timedelta(days=6, hours=20)
    c.signin(t, u, c.ip[u])
    c.signin(t + dt.timedelta(minutes=30), u, "193.0.6.139")
    c.mail(t + dt.timedelta(minutes=34), u, u, OWA, "193.0.6.139", capp=OWA)
    c.write(d)
    hit = [["user", u]]
    return {"impossible-travel": {"first": hit[0], "hits": hit, "places": True},
            "new-place": {"first": hit[0], "hits": hit, "places": True},
            "signin-then-mail": {"first": hit[0], "hits": hit}}


def dualstack(d):
    """Every user's session signs in over IPv4 and reads mail over IPv6
    from the same home network (Comcast: Exchange records the client's
    IPv6 address, the sign-in log its IPv4 one); one session is replayed
    from the Netherlands. Needs the IP tables (its network)."""
    c = Case(days=6)
    for day in range(c.days):
        for i, u in enumerate(c.users):
            t = T0 + dt.timedelta(days=day, hours=13 + c.r.random() * 2)
            s, k = c.sess(u, day)
            c.signin(t, u, "73.%d.%d.%d" % (40 + i, 17 + i, 100 + i), session=s, token=k)
            v6 = "2601:602:90c5:%x::%x" % (0xc0 + i, 0x1234 + day)
            c.mail(t + dt.timedelta(minutes=4), u, u, OUTLOOK, v6, s, k, OUTLOOK)
    u = c.users[7]
    s, k = c.sess(u, 4)
    c.mail(T0 + dt.timedelta(days=4, hours=18), u, u, OUTLOOK, "193.0.6.139", s, k, OUTLOOK)
    c.write(d)
    return {"token-replay": {"first": ["id", s], "hits": [["id", s], ["id", k]], "min_hits": 1,
                             "places": True}}


def home_us(c):
    """Every user at home on a Comcast address of their own (US)."""
    c.ip = {u: "73.%d.%d.%d" % (40 + i, 17 + i, 100 + i) for i, u in enumerate(c.users)}


def replay_same_net(d):
    """Sessions sign in over IPv4 and read mail over IPv6 from one home
    network (context, as in dualstack); user 7's session is then replayed
    from another Comcast address in another /16 (the same network as the
    victim's), and user 9, who works on an AWS VM, has a token replayed
    from another AWS host (the same AS14618). Both replays are hits.
    Needs the IP tables."""
    c = Case(days=6)
    vm = "3.85.10.20"
    for day in range(c.days):
        for i, u in enumerate(c.users):
            t = T0 + dt.timedelta(days=day, hours=13 + c.r.random() * 2)
            s, k = c.sess(u, day)
            v4 = vm if i == 9 else "73.%d.%d.%d" % (40 + i, 17 + i, 100 + i)
            c.signin(t, u, v4, session=s, token=k)
            ip = v4 if i == 9 else "2601:602:90c5:%x::%x" % (0xc0 + i, 0x1234 + day)
            c.mail(t + dt.timedelta(minutes=4), u, u, OUTLOOK, ip, s, k, OUTLOOK)
    s7, k7 = c.sess(c.users[7], 4)
    c.mail(T0 + dt.timedelta(days=4, hours=18), c.users[7], c.users[7], OUTLOOK, "73.200.5.9", s7, k7, OUTLOOK)
    s9, k9 = c.sess(c.users[9], 3)
    c.mail(T0 + dt.timedelta(days=3, hours=19), c.users[9], c.users[9], OUTLOOK, "44.192.1.1", s9, k9, OUTLOOK)
    c.write(d)
    ids = [["id", s7], ["id", k7], ["id", s9], ["id", k9]]
    return {"token-replay": {"hits": ids, "min_hits": 4, "places": True}}


def _aitm(d, users, victims):
    c = Case(users=users, days=10)
    home_us(c)
    proxy = "159.89.1.1"  # the phishing proxy (DigitalOcean, Germany)
    for day in range(c.days):
        for u in c.users:
            t = T0 + dt.timedelta(days=day, hours=13 + c.r.random() * 2)
            c.signin(t, u, c.ip[u])
            c.mail(t + dt.timedelta(minutes=3), u, u, OUTLOOK, c.ip[u], capp=OUTLOOK)
    hit = []
    for k in range(victims):
        u = c.users[2 + k]
        t = T0 + dt.timedelta(days=7, hours=16, minutes=11 * k)  # an hour or two after home
        c.signin(t, u, proxy)
        c.mail(t + dt.timedelta(minutes=6), u, u, OWA, proxy, capp=OWA)
        hit.append(["user", u])
    c.write(d)
    return {"signin-then-mail": {"hits": hit, "min_hits": victims, "first": hit[0]},
            "new-place": {"hits": hit, "min_hits": victims, "places": True},
            "impossible-travel": {"hits": hit, "min_hits": victims, "places": True}}


def aitm(d):
    """A phishing proxy (AiTM) catches five of a 20-user tenant's users one
    afternoon: each signs in through it, and the intruder reads their mail
    from it. Five users and a quarter of those who sign in: the proxy looks
    like the tenant's own exit, but it appears on the case's eighth day."""
    return _aitm(d, 20, 5)


def aitm_first_day(d):
    """The phishing proxy catches five of 20 users in the case's first
    hour (an export pulled from the day the phish landed), an hour or two
    before they sign in at home: the proxy is in use from the case's first
    day, but each victim signs in through it once, where a tenant's exit
    is its users' habit."""
    c = Case(users=20, days=10)
    home_us(c)
    proxy = "159.89.1.1"
    hit = []
    for k in range(5):
        u = c.users[2 + k]
        t = T0 + dt.timedelta(hours=11, minutes=11 * k)
        c.signin(t, u, proxy)
        c.mail(t + dt.timedelta(minutes=6), u, u, OWA, proxy, capp=OWA)
        hit.append(["user", u])
    for day in range(c.days):
        for u in c.users:
            t = T0 + dt.timedelta(days=day, hours=13 + c.r.random() * 2)
            c.signin(t, u, c.ip[u])
            c.mail(t + dt.timedelta(minutes=3), u, u, OUTLOOK, c.ip[u], capp=OUTLOOK)
    c.write(d)
    return {"signin-then-mail": {"hits": hit, "min_hits": 5, "first": hit[0]},
            "impossible-travel": {"hits": hit, "min_hits": 5, "places": True}}


def aitm_small(d):
    """The same proxy catches two of a six-user tenant's users."""
    return _aitm(d, 6, 2)


def sweep(d):
    """An intruder's app reads twelve of sixteen mailboxes once each from the
    export's first hour (more than half the tenant's mailboxes); the
    tenant's archiving service reads every mailbox each day and is
    context."""
    c = Case(users=16, days=2)
    c.background()
    archive_daily(c)
    attack_reads(c, T0 + dt.timedelta(minutes=20), c.users[:12])
    c.write(d)
    hit = [["app", EVIL]]
    return {"new-app-for-mailbox": {"first": hit[0], "hits": hit, "min_hits": 12}}


def first_hour_logons(d):
    """The case's first hour: the intruder guesses user 4's password (two
    failures, then a success from an address never seen again) and reads
    the mailbox ten minutes later; user 2 mistypes twice at home, where
    they sign in every day of the case, and is no hit."""
    c = Case(days=10)
    c.background()
    u, v = c.users[4], c.users[2]
    t = T0 + dt.timedelta(minutes=20)
    for k in range(2):
        c.signin(t + dt.timedelta(seconds=30 * k), u, ATTACKER_IPS[0], ok=False)
        c.signin(t + dt.timedelta(minutes=3, seconds=30 * k), v, c.ip[v], ok=False)
    c.signin(t + dt.timedelta(minutes=2), u, ATTACKER_IPS[0])
    c.signin(t + dt.timedelta(minutes=5), v, c.ip[v])
    c.mail(t + dt.timedelta(minutes=12), u, u, OWA, ATTACKER_IPS[0], capp=OWA)
    c.mail(t + dt.timedelta(minutes=13), v, v, OUTLOOK, c.ip[v], capp=OUTLOOK)
    c.write(d)
    hit = [["user", u]]
    return {"signin-then-mail": {"first": hit[0], "hits": hit, "max_hits": 1},
            "failed-then-success": {"first": hit[0], "hits": hit, "max_hits": 1}}


def last_minute(d):
    """The case's last minute: two failures, a success from a new address
    and a mail read, all within its final 60 seconds."""
    c = Case(days=30)
    c.background()
    u = c.users[6]
    t = T0 + dt.timedelta(days=29, hours=23, minutes=59)
    c.signin(t, u, ATTACKER_IPS[1], ok=False)
    c.signin(t + dt.timedelta(seconds=15), u, ATTACKER_IPS[1], ok=False)
    c.signin(t + dt.timedelta(seconds=30), u, ATTACKER_IPS[1])
    c.mail(t + dt.timedelta(seconds=50), u, u, EVIL, ATTACKER_IPS[1], capp=EVIL)
    c.write(d)
    hit = [["user", u]]
    return {"signin-then-mail": {"first": hit[0], "hits": hit, "max_hits": 1},
            "failed-then-success": {"first": hit[0], "hits": hit, "max_hits": 1},
            "new-app-for-mailbox": {"first": ["app", EVIL], "hits": [["app", EVIL]], "max_hits": 1}}


CRM = "0a4f7b1e-6c2d-4e8a-9b3f-5d7c1e2a8f60"     # a CRM's Outlook add-in
SCHED = "6e2b9d4a-1f7c-4a3e-8d5b-2c9f0e7a1b44"   # a scheduling app
MOBILE = "b83c5e1f-4d2a-4f6b-9e7c-3a1d8f5b2e09"  # a third-party mail app


def clean2000(d):
    """2,000 users over a week, no intrusion, heavy legitimate third-party
    app use: the tenant's archiving service reads every mailbox each
    night; 600 users read their own mailboxes with a CRM add-in (a hundred
    of them start on the fourth day), 150 with a scheduling app every
    other day, 40 with a third-party mail app; a few users mistype their
    password twice at home before signing in, on the first morning too.
    No hunt that judges newness has a hit."""
    c = Case(users=2000, days=7)
    for day in range(c.days):
        for i, u in enumerate(c.users):
            t = T0 + dt.timedelta(days=day, hours=7 + c.r.random() * 2)
            s, k = c.sess(u, day)
            if (i * 7 + day) % 97 == 0:
                for j in range(2):
                    c.signin(t - dt.timedelta(minutes=2, seconds=-20 * j), u, c.ip[u], ok=False)
            c.signin(t, u, c.ip[u], session=s, token=k)
            for j in range(2):
                c.mail(t + dt.timedelta(minutes=5 + 60 * j), u, u, OUTLOOK, c.ip[u], s, k, OUTLOOK)
            if i < 600 and (i < 500 or day >= 3):
                for j in (1, 7):
                    c.mail(t + dt.timedelta(hours=j), u, u, CRM, c.ip[u], capp=CRM)
            elif i < 750 and day % 2 == 0:
                c.mail(t + dt.timedelta(minutes=30), u, u, SCHED, c.ip[u], capp=SCHED)
            elif i < 790:
                for j in (2, 9):
                    c.mail(t + dt.timedelta(hours=j), u, u, MOBILE, c.ip[u], capp=MOBILE)
            c.mail(T0 + dt.timedelta(days=day, hours=1, seconds=i), "svc-archive@fabrikam.com", u, ARCHIVER,
                   "20.190.128.10", capp=ARCHIVER)
    c.write(d)
    return {h: {"max_hits": 0} for h in ("new-app-for-mailbox", "token-replay", "signin-then-mail",
                                         "failed-then-success", "password-spray", "new-place",
                                         "impossible-travel")}


def write_diag(c, d, tz):
    """c's sign-ins as Azure Monitor diagnostic records (diag.jsonl), each
    time written in the local time of tz(t) with its offset."""
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "diag.jsonl"), "w") as f:
        for s in c.signins:
            t = dt.datetime.strptime(s["createdDateTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
            lt = t.astimezone(tz(t))
            off = lt.strftime("%z")
            off = off[:3] + ":" + off[3:]
            p = dict(s)
            p["createdDateTime"] = lt.strftime("%Y-%m-%dT%H:%M:%S.1234567") + off
            f.write(json.dumps({"time": lt.strftime("%Y-%m-%dT%H:%M:%S.12345") + off,
                                "resourceId": "/tenants/x/providers/Microsoft.aadiam",
                                "operationName": "Sign-in activity", "category": "SignInLogs",
                                "callerIpAddress": s["ipAddress"], "properties": p}) + "\n")
    c.signins = []


def dst_offsets(d):
    """Sign-ins as Azure Monitor records in New York time across the US
    DST change (2024-03-10: -05:00, then -04:00). At 01:50 EST the
    intruder fails twice, succeeds at 03:01 EDT (11 minutes later) and
    reads mail at 03:08 EDT: an hour later if the offsets are misread."""
    c = Case(days=20)
    c.background()
    u = c.users[8]
    t = dt.datetime(2024, 3, 10, 6, 50, tzinfo=dt.timezone.utc)
    for k in range(2):
        c.signin(t + dt.timedelta(seconds=40 * k), u, ATTACKER_IPS[0], ok=False, ual_copy=False)
    c.signin(t + dt.timedelta(minutes=11), u, ATTACKER_IPS[0], ual_copy=False)
    c.mail(t + dt.timedelta(minutes=18), u, u, OWA, ATTACKER_IPS[0], capp=OWA)
    edt = dt.datetime(2024, 3, 10, 7, tzinfo=dt.timezone.utc)
    write_diag(c, d, lambda x: dt.timezone(dt.timedelta(hours=-4 if x >= edt else -5)))
    c.write(d)
    hit = [["user", u]]
    return {"signin-then-mail": {"first": hit[0], "hits": hit, "max_hits": 1},
            "failed-then-success": {"first": hit[0], "hits": hit, "max_hits": 1, "cols": {"minutes": "11"}}}


def unordered(d):
    """The UAL export's records in random order and the sign-ins newest
    first (records out of order, as some collectors write them): a
    password guessed, mail read from the new address, an intruder's app."""
    c = Case(days=10)
    c.background()
    u = c.users[3]
    t = T0 + dt.timedelta(days=6, hours=16)
    for k in range(3):
        c.signin(t + dt.timedelta(seconds=30 * k), u, ATTACKER_IPS[1], ok=False)
    c.signin(t + dt.timedelta(minutes=4), u, ATTACKER_IPS[1])
    c.mail(t + dt.timedelta(minutes=9), u, u, OWA, ATTACKER_IPS[1], capp=OWA)
    attack_reads(c, t + dt.timedelta(hours=2), c.users[:3])
    os.makedirs(d, exist_ok=True)
    c.r.shuffle(c.ual)
    with open(os.path.join(d, "ual.jsonl"), "w") as f:
        for rec in c.ual:
            f.write(json.dumps(rec) + "\n")
    with open(os.path.join(d, "signins.json"), "w") as f:
        json.dump({"value": c.signins[::-1]}, f)
    hit = [["user", u]]
    return {"signin-then-mail": {"first": hit[0], "hits": hit, "max_hits": 1},
            "failed-then-success": {"first": hit[0], "hits": hit, "max_hits": 1, "cols": {"failures": "3"}},
            "new-app-for-mailbox": {"first": ["app", EVIL], "hits": [["app", EVIL]], "min_hits": 3}}


def low_slow(d):
    """Six weeks; every six days the intruder signs in as another user from
    the same address and reads one message 20 minutes later, and reads one
    more mailbox with its app: one account and one mailbox at a time."""
    c = Case(days=42)
    c.background(reads=2)
    hit = []
    for k in range(6):
        u = c.users[k + 1]
        t = T0 + dt.timedelta(days=3 + 6 * k, hours=21)
        c.signin(t, u, ATTACKER_IPS[0])
        c.mail(t + dt.timedelta(minutes=20), u, u, OWA, ATTACKER_IPS[0], capp=OWA)
        c.mail(t + dt.timedelta(minutes=30), u, u, EVIL, ATTACKER_IPS[0], capp=EVIL)
        hit.append(["user", u])
    c.write(d)
    return {"signin-then-mail": {"first": hit[0], "hits": hit, "min_hits": 6},
            "new-app-for-mailbox": {"first": ["app", EVIL], "hits": [["app", EVIL]], "min_hits": 6}}


def signin_only(d):
    """Only the Entra sign-in log, no UAL: users at home in the US; one
    user's password is guessed from the Netherlands 40 minutes after the
    user signed in at home, and the user's session is then used from
    there too. Needs the IP tables for the places."""
    c = Case(days=10)
    home_us(c)
    for day in range(c.days):
        for u in c.users:
            t = T0 + dt.timedelta(days=day, hours=13 + c.r.random() * 2)
            s, k = c.sess(u, day)
            c.signin(t, u, c.ip[u], session=s, token=k, ual_copy=False)
    u = c.users[3]
    s, k = c.sess(u, 6)
    t = T0 + dt.timedelta(days=6, hours=16)
    c.signin(t - dt.timedelta(minutes=40), u, c.ip[u], session=s, token=k, ual_copy=False)
    for j in range(3):
        c.signin(t + dt.timedelta(seconds=20 * j), u, "193.0.6.139", ok=False, ual_copy=False)
    c.signin(t + dt.timedelta(minutes=2), u, "193.0.6.139", session=s, token=k, ual_copy=False)
    c.ual = []
    c.write(d)
    hit = [["user", u]]
    return {"failed-then-success": {"first": hit[0], "hits": hit, "max_hits": 1},
            "token-replay": {"hits": [["id", s], ["id", k]], "min_hits": 1, "max_hits": 2},
            "new-place": {"first": hit[0], "hits": hit, "places": True},
            "impossible-travel": {"first": hit[0], "hits": hit, "places": True}}


def names(d):
    """A six-user tenant whose mail reads name the app by its display name
    instead of its id (Microsoft's apps too, as some collectors write
    them): only the intruder's app is new."""
    c = Case(users=6, days=10)
    c.background()
    for rec in c.ual:
        if rec["Operation"] == "MailItemsAccessed":
            name = "Microsoft Outlook" if c.r.random() < 0.7 else "One Outlook Web"
            rec["AppId"] = rec["ClientAppId"] = name
    attack_reads(c, T0 + dt.timedelta(days=5, hours=3), c.users[:2], app=EVIL_NAME)
    c.write(d)
    hit = [["app", EVIL_NAME]]
    return {"new-app-for-mailbox": {"first": hit[0], "hits": hit, "min_hits": 2},
            "rare-apps": {"first": hit[0], "hits": hit, "max_hits": 1}}


def wide(d):
    """50,000 users, a fresh session and token on every record, no
    intrusion: nothing is a hit."""
    c = Case(users=50000, days=1, fresh_ids=True)
    c.background(reads=1)
    c.write(d)
    return {h: {"max_hits": 0} for h in ("new-app-for-mailbox", "rare-apps", "token-replay",
                                         "signin-then-mail", "failed-then-success", "password-spray")}


def _second_victim(d, users, days, at):
    """From one address the intruder guesses user 4's password (two
    failures, a success) and reads the mailbox, then six hours later
    guesses user 7's the same way: the second guess is as much a finding
    as the first (the address is the intruder's, not the tenant's, though
    the tenant saw it before). at: hours into the case of the first."""
    c = Case(users=users, days=days)
    c.background(reads=2)
    ip = ATTACKER_IPS[0]
    hit = []
    for n, u in enumerate((c.users[4], c.users[7])):
        t = T0 + dt.timedelta(hours=at + 6 * n, minutes=10)
        for k in range(2):
            c.signin(t + dt.timedelta(seconds=40 * k), u, ip, ok=False)
        c.signin(t + dt.timedelta(minutes=3), u, ip)
        c.mail(t + dt.timedelta(minutes=9), u, u, OWA, ip, capp=OWA)
        hit.append(["user", u])
    c.write(d)
    return {"failed-then-success": {"first": hit[0], "hits": hit, "min_hits": 2, "max_hits": 2}}


def second_victim(d):
    """Two users' passwords guessed from one address six hours apart,
    mid-case (a 12-user tenant over 10 days)."""
    return _second_victim(d, 12, 10, 5 * 24 + 10)


def second_victim_first_hour(d):
    """The same in a 2-day export's first hour (a 40-user tenant)."""
    return _second_victim(d, 40, 2, 0)


def second_victim_last_hours(d):
    """The same in a 30-day export's last hours (a 200-user tenant)."""
    return _second_victim(d, 200, 30, 29 * 24 + 11)


def _slow_spray(d, users, days, start):
    """A password spray slower than a day: from three addresses, each day
    nine accounts are tried twice each, three accounts from each address
    (fewer than five an address a day), over eight days from day start;
    on its sixth day a password works. start: the spray's first day."""
    c = Case(users=users, days=days)
    c.background(reads=1)
    ips = ["198.51.100.23", "198.51.100.41", "203.0.113.77"]
    won = c.users[(5 * 9 + 4) % users]
    for day in range(8):
        for j in range(9):
            i = (day * 9 + j) % users
            u = c.users[i]
            ip = ips[j % 3]
            t = T0 + dt.timedelta(days=start + day, hours=2 + 2 * j, minutes=17)
            for k in range(2):
                c.signin(t + dt.timedelta(minutes=25 * k), u, ip, ok=False)
            if day == 5 and u == won:
                c.signin(t + dt.timedelta(minutes=90), u, ip)
    c.write(d)
    return {"password-spray": {"hits": [["ip", x] for x in ips], "min_hits": 3, "max_hits": 3}}


def slow_spray(d):
    """A slow spray mid-case over a 40-user tenant's 30 days."""
    return _slow_spray(d, 40, 30, 10)


def slow_spray_first_days(d):
    """The same from a 10-day export's first hour (a 200-user tenant)."""
    return _slow_spray(d, 200, 10, 0)


def slow_spray_last_days(d):
    """The same ending in a 14-day export's last day (20 users)."""
    return _slow_spray(d, 20, 14, 6)


def consent(c, t, user, app, app_name, admin=False):
    """A UAL consent record: user consents to app (for themselves, or for
    the tenant with admin)."""
    sp = "5b0e3c1d-7a2f-4e9b-8c6d-%012x" % (int(app[:8], 16) & 0xffffffffffff)
    c.ual.append({"CreationTime": iso(t, ""), "Id": c.rid(), "Operation": "Consent to application.",
                  "RecordType": 8, "Workload": "AzureActiveDirectory", "ResultStatus": "Success",
                  "UserId": user, "ClientIP": "", "ObjectId": "ServicePrincipal_" + sp,
                  "ModifiedProperties": [
                      {"Name": "ConsentContext.IsAdminConsent", "NewValue": "True" if admin else "False",
                       "OldValue": ""},
                      {"Name": "ConsentContext.OnBehalfOfAll", "NewValue": "True" if admin else "False",
                       "OldValue": ""},
                      {"Name": "ConsentAction.Permissions", "NewValue":
                       "[] => [[Id: x, ClientId: %s, PrincipalId: , ResourceId: r, ConsentType: %s, "
                       "Scope:  Mail.Read offline_access User.Read]]; " % (sp, "AllPrincipals" if admin
                                                                           else "Principal"),
                       "OldValue": ""},
                      {"Name": "TargetId.ServicePrincipalNames", "NewValue": app, "OldValue": ""}],
                  "Target": [{"ID": "ServicePrincipal_" + sp, "Type": 2}, {"ID": app_name, "Type": 1}]})


def consent_entra(c, t, user, app, app_name, admin=False):
    """The same consent as Entra's directory audit log gives it (Graph
    directoryAudit: modifiedProperties with JSON-quoted values)."""
    q = lambda v: '"%s"' % v
    c.audits.append({"id": "Directory_%s" % c.rid(), "category": "ApplicationManagement",
                     "correlationId": c.rid(), "result": "success", "resultReason": "",
                     "activityDisplayName": "Consent to application", "activityDateTime": iso(t),
                     "loggedByService": "Core Directory", "operationType": "Assign",
                     "initiatedBy": {"user": {"id": c.rid(), "userPrincipalName": user,
                                              "ipAddress": ATTACKER_IPS[0]}},
                     "targetResources": [{"id": c.rid(), "displayName": app_name, "type": "ServicePrincipal",
                                          "modifiedProperties": [
                                              {"displayName": "ConsentContext.IsAdminConsent", "oldValue": None,
                                               "newValue": q("True" if admin else "False")},
                                              {"displayName": "TargetId.ServicePrincipalNames", "oldValue": None,
                                               "newValue": q(app)}]}]})


def _consent_phish(d, users, days, at, entra=False):
    """Consent phishing: ten users each consent to the intruder's app (a
    user's consent, for themselves) at hours `at` of the case, and the app
    then reads each victim's own mailbox every three hours to the case's
    end from the intruder's addresses. Read from the case's first day by
    ten users on their own mailboxes, over 12 hours and more, it has the
    breadth of an app the tenant's users use (a CRM add-in); but the case
    holds the users' consents to it: it is no app of the tenant's."""
    c = Case(users=users, days=days)
    c.audits = []
    c.background(reads=2)
    victims = c.users[1:11]
    t = T0 + dt.timedelta(hours=at)
    end = T0 + dt.timedelta(days=days)
    for k, u in enumerate(victims):
        tc = t + dt.timedelta(minutes=4 * k)
        (consent_entra if entra else consent)(c, tc, u, EVIL, EVIL_NAME)
        tt = tc + dt.timedelta(minutes=2)
        while tt < end:
            c.mail(tt, u, u, EVIL, ATTACKER_IPS[k % 2], capp=EVIL)
            tt += dt.timedelta(hours=3)
    c.write(d)
    if c.audits:
        with open(os.path.join(d, "audits.json"), "w") as f:
            json.dump({"value": c.audits}, f)
    hit = [["app", EVIL]]
    return {"new-app-for-mailbox": {"first": hit[0], "hits": hit, "min_hits": 10},
            "oauth-consent": {"first": hit[0], "min_hits": 10}}


def consent_phish(d):
    """Ten of 12 users consent in a 2-day export's first hour."""
    return _consent_phish(d, 12, 2, 0.3)


def consent_phish_first_day(d):
    """Ten of 40 users consent on a 10-day export's first evening."""
    return _consent_phish(d, 40, 10, 20)


def consent_phish_wide(d):
    """Ten of 200 users consent in a 30-day export's first hour."""
    return _consent_phish(d, 200, 30, 0.5)


def consent_phish_entra(d):
    """Ten of 40 users consent in a 10-day export's first hour, the
    consents in Entra's directory audit log (not the UAL)."""
    return _consent_phish(d, 40, 10, 0.4, entra=True)


def consent_phish_last_hours(d):
    """Ten of 40 users consent in a 10-day export's last hours (the app
    new to the case)."""
    return _consent_phish(d, 40, 10, 9 * 24 + 16)


def admin_app(d):
    """The tenant's admin consents, for every user, to a third-party app
    in the case's first hour, and 30 of 40 users read their own mailboxes
    with it every day: an app the tenant runs, no hit."""
    c = Case(users=40, days=10)
    c.background(reads=2)
    consent(c, T0 + dt.timedelta(minutes=10), "admin@fabrikam.com", CRM, "Fabrikam CRM", admin=True)
    for day in range(c.days):
        for u in c.users[:30]:
            for j in (1, 8):
                c.mail(T0 + dt.timedelta(days=day, hours=7 + j, minutes=c.users.index(u)), u, u, CRM,
                       c.ip[u], capp=CRM)
    c.write(d)
    return {"new-app-for-mailbox": {"max_hits": 0}}


def _new_exit(d, users, start):
    """Every user at home in the US; from day `start` of ten the tenant
    sends everyone through a new office proxy in France as well (minutes
    after home, every day); on day 7 user 3 signs in from the Netherlands
    half an hour after home and reads mail there. The proxy is the
    tenant's exit though it starts mid-case (every user, every day): only
    user 3 is a hit. Needs the IP tables."""
    c = Case(users=users, days=10)
    home_us(c)
    exit_ip = "86.206.192.66"
    for day in range(c.days):
        for u in c.users:
            t = T0 + dt.timedelta(days=day, hours=13 + c.r.random() * 2)
            c.signin(t, u, c.ip[u])
            c.mail(t + dt.timedelta(minutes=3), u, u, OUTLOOK, c.ip[u], capp=OUTLOOK)
            if day >= start:
                t2 = t + dt.timedelta(minutes=15 + c.r.random() * 10)
                c.signin(t2, u, exit_ip)
                c.mail(t2 + dt.timedelta(minutes=2), u, u, OUTLOOK, exit_ip, capp=OUTLOOK)
    u = c.users[3]
    t = T0 + dt.timedelta(days=7, hours=20)
    c.signin(t, u, c.ip[u])
    c.signin(t + dt.timedelta(minutes=30), u, "193.0.6.139")
    c.mail(t + dt.timedelta(minutes=34), u, u, OWA, "193.0.6.139", capp=OWA)
    c.write(d)
    hit = [["user", u]]
    return {"impossible-travel": {"first": hit[0], "hits": hit, "places": True},
            "new-place": {"first": hit[0], "hits": hit, "places": True},
            "signin-then-mail": {"first": hit[0], "hits": hit}}


def new_exit(d):
    """A new office exit from day 4 of 10, 20 users."""
    return _new_exit(d, 20, 4)


def new_exit_late(d):
    """A new office exit from day 6 of 10, 60 users."""
    return _new_exit(d, 60, 6)


def _proxy_kept(d, users, at):
    """The intruder's proxy (a hosting provider's address) signs in as
    five of the tenant's users from hour `at` and again every four hours
    for 20 hours, reading mail each time: five users, a quarter of those
    who sign in, again and again over 12 hours, as a tenant's exit would
    (from the case's first day when at is 0). Needs the IP tables for the
    places. In the case's first hour new-place has nothing of the victims'
    own to judge against (as in aitm_first_day): it must only not list
    others."""
    c = Case(users=users, days=10)
    home_us(c)
    proxy = "159.89.1.1"
    for day in range(c.days):
        for u in c.users:
            t = T0 + dt.timedelta(days=day, hours=13 + c.r.random() * 2)
            c.signin(t, u, c.ip[u])
            c.mail(t + dt.timedelta(minutes=3), u, u, OUTLOOK, c.ip[u], capp=OUTLOOK)
    hit = []
    for k in range(5):
        u = c.users[2 + k]
        for rep in range(6):
            t = T0 + dt.timedelta(hours=at + 4 * rep, minutes=9 * k)
            c.signin(t, u, proxy)
            c.mail(t + dt.timedelta(minutes=6), u, u, OWA, proxy, capp=OWA)
        hit.append(["user", u])
    c.write(d)
    want = {"signin-then-mail": {"hits": hit, "min_hits": 5, "first": hit[0]},
            "new-place": {"hits": hit, "min_hits": 5, "places": True},
            "impossible-travel": {"hits": hit, "min_hits": 5, "places": True}}
    if at < 13:  # before the victims' first sign-in: no place of theirs to be new against
        want["new-place"] = {"hits": hit, "places": True}
    return want


def proxy_kept(d):
    """... from the case's first hour, 20 users."""
    return _proxy_kept(d, 20, 0.2)


def proxy_kept_mid(d):
    """... from the fifth day, 20 users."""
    return _proxy_kept(d, 20, 5 * 24 + 2)


def proxy_kept_last(d):
    """... ending in the case's last hours, 16 users."""
    return _proxy_kept(d, 16, 9 * 24 + 2)


SCENARIOS = {f.__name__: f for f in (first_hour, last_hour, thin, forms, offsets, dupes, egress, dualstack, wide,
                                      replay_same_net, aitm, aitm_first_day, aitm_small, sweep, first_hour_logons, last_minute,
                                      clean2000, dst_offsets, unordered, low_slow, signin_only, names,
                                      second_victim, second_victim_first_hour, second_victim_last_hours,
                                      slow_spray, slow_spray_first_days, slow_spray_last_days, consent_phish,
                                      consent_phish_first_day, consent_phish_wide, consent_phish_last_hours,
                                      admin_app, consent_phish_entra, new_exit, new_exit_late, proxy_kept, proxy_kept_mid,
                                      proxy_kept_last)}

if __name__ == "__main__":
    print(json.dumps(SCENARIOS[sys.argv[1]](sys.argv[2])))
