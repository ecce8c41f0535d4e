#!/usr/bin/env bash
# End-to-end, issue 12: the facts hunts read from the real exports in
# ../shared/realdata (skipped when absent). A UAL UserLoginFailed is a
# failure with its error number (its ResultStatus says "Success"); the
# session a UserLoggedIn names in DeviceProperties is its session; an app
# that signs in with a display name is named, and `apps` says from where.
# Prints "ok - ..." / "not ok - ..." / "skip - ..." lines.
. "$(dirname "$0")/e2e_lib.sh"
if [ ! -d "$rd" ]; then
	echo "skip - ../shared/realdata is absent"
	exit 0
fi

"$bin" load -q "$t/p.case" "$rd/purview-portal-export.csv" > /dev/null 2>&1
"$bin" query "$t/p.case" op=UserLoginFailed --format jsonl > "$t/failed.jsonl"
python3 - "$t/failed.jsonl" "$rd/purview-portal-export.csv" > "$t/failed.txt" <<'PY'
import csv, json, sys
csv.field_size_limit(10**9)
got = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    got[r["record_id"]] = r["result"]
want = {}
for row in csv.DictReader(open(sys.argv[2], encoding="utf-8-sig")):
    ad = json.loads(row["AuditData"])
    if ad.get("Operation") == "UserLoginFailed":
        want[ad["Id"]] = "Failure (%s: %s)" % (ad["ErrorNumber"], ad["LogonError"])
print(len(want), sum(1 for k in want if got.get(k) == want[k]), sorted(set(got.values())))
PY
read -r n same vals < "$t/failed.txt"
[ "$n" -gt 0 ] && is "UserLoginFailed: every one a failure with its error number and LogonError ($vals)" "$same" "$n" ||
	nok "UserLoginFailed: the export has some"

"$bin" query "$t/p.case" op=UserLoggedIn --format jsonl > "$t/in.jsonl"
python3 - "$t/in.jsonl" "$rd/purview-portal-export.csv" > "$t/in.txt" <<'PY'
import csv, json, sys
csv.field_size_limit(10**9)
got = {json.loads(l)["record_id"]: json.loads(l)["session"] for l in open(sys.argv[1])}
want = {}
for row in csv.DictReader(open(sys.argv[2], encoding="utf-8-sig")):
    ad = json.loads(row["AuditData"])
    if ad.get("Operation") == "UserLoggedIn":
        s = [p["Value"] for p in ad.get("DeviceProperties", []) if p.get("Name") == "SessionId"]
        if s:
            want[ad["Id"]] = s[0]
print(len(want), sum(1 for k in want if got.get(k) == want[k]))
PY
read -r n same < "$t/in.txt"
[ "$n" -gt 0 ] && is "UserLoggedIn: the DeviceProperties SessionId is the session" "$same" "$n" ||
	nok "UserLoggedIn: the export names sessions"
s=$(python3 -c "import json; print([json.loads(l)['session'] for l in open('$t/in.jsonl') if json.loads(l)['session']][0])")
"$bin" query "$t/p.case" "session=$s" > "$t/s.txt"
n=$(tail -1 "$t/s.txt" | cut -d' ' -f1)
[ "${n:-0}" -ge 1 ] 2>/dev/null && ok "UserLoggedIn: its session selects it (session=: $n events)" ||
	nok "UserLoggedIn: its session selects it" "got '$(tail -1 "$t/s.txt")'"

# sign-ins in three shapes: every app that signs in with a display name is named from it
"$bin" load -q "$t/s.case" "$rd/entra-interactive-signins.csv" "$rd/graph-serviceprincipal-signins.json" \
	"$rd/azure-diagnostic-signinlogs.jsonl" > /dev/null 2>&1
"$bin" apps "$t/s.case" --format jsonl > "$t/apps.jsonl"
python3 - "$t/apps.jsonl" "$rd" > "$t/apps.txt" <<'PY'
import csv, json, sys, os
rd = sys.argv[2]
named = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    named[r["app_id"]] = (r["name"], r["origin"])
want = {}
for row in csv.DictReader(open(os.path.join(rd, "entra-interactive-signins.csv"), encoding="utf-8-sig")):
    if row.get("Application"):
        want[row["Application ID "].strip().lower()] = row["Application"]
for r in json.load(open(os.path.join(rd, "graph-serviceprincipal-signins.json"), encoding="utf-8-sig")):
    if r.get("appDisplayName"):
        want[r["appId"].lower()] = r["appDisplayName"]
bad = [k for k in want if k not in named or not named[k][0]]
origins = sorted(set(named[k][1] for k in want if k in named))
print(len(want), len(want) - len(bad), ",".join(origins))
PY
read -r n good origins < "$t/apps.txt"
[ "$n" -gt 0 ] && is "apps: every app that signs in with a display name is named (from: $origins)" "$good" "$n" ||
	nok "apps: the exports name apps"
grep -q '"origin":"sign-in"' "$t/apps.jsonl" && ok "apps: says a name came from the sign-ins" ||
	nok "apps: says a name came from the sign-ins"

# an Exchange mailbox record with both addresses: ClientIPAddress is the
# client, ClientIP a Microsoft front end; the front end stays in the raw record
printf '%s\n' '{"CreationTime":"2023-06-18T02:33:46","Id":"1b2c3d4e-0000-4000-8000-000000000001","Operation":"MailItemsAccessed","RecordType":50,"Workload":"Exchange","UserId":"a@contoso.com","MailboxOwnerUPN":"a@contoso.com","ClientIP":"2603:10b6:806:1a::15","ClientIPAddress":"203.0.113.9","ResultStatus":"Succeeded"}' \
	'{"CreationTime":"2023-06-18T02:33:47","Id":"1b2c3d4e-0000-4000-8000-000000000002","Operation":"Set-Mailbox","RecordType":1,"Workload":"Exchange","UserId":"a@contoso.com","ClientIP":"198.51.100.7:5123","ResultStatus":"True"}' > "$t/both.jsonl"
"$bin" load -q "$t/b.case" "$t/both.jsonl" > /dev/null 2>&1
is "ClientIP and ClientIPAddress: the client's address is the ip" \
	"$("$bin" query "$t/b.case" op=MailItemsAccessed --format jsonl | python3 -c "import json,sys; print(json.loads(sys.stdin.readline())['ip'])")" 203.0.113.9
is "ClientIP and ClientIPAddress: the front end stays in the raw record" \
	"$("$bin" query "$t/b.case" op=MailItemsAccessed --format jsonl --raw | grep -c '2603:10b6:806:1a::15')" 1
is "ClientIP alone (an admin cmdlet): its address, without the port" \
	"$("$bin" query "$t/b.case" op=Set-Mailbox --format jsonl | python3 -c "import json,sys; print(json.loads(sys.stdin.readline())['ip'])")" 198.51.100.7
