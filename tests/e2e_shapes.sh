#!/usr/bin/env bash
# End-to-end: the export shapes a responder is handed beyond our samples,
# written by hand from the sources' public schema pages (tests/shapes/,
# see its README) or generated here (encodings, cultures, spreadsheet
# damage). Each file loads with nothing lost silently (records = events +
# rejects, and no rejects where the shape is valid), and the row named
# lands with its user, app, IP, session or token, operation and time in
# the normalized columns, so that pivots and hunts see it.
# Prints "ok - ..." / "not ok - ..." lines.
. "$(dirname "$0")/e2e_lib.sh"
S=tests/shapes
export LC_ALL=C

# load NAME FILE: a case of its own; prints "records events rejects"
load() {
	"$bin" load -q "$t/$1.case" "$2" > /dev/null 2>&1
	"$bin" info "$t/$1.case" 2>/dev/null |
		sed -n 's/^events \([0-9]*\) from \([0-9]*\) records.* \([0-9]*\) rejected rows.*/\2 \1 \3/p'
}

# shape NAME FILE EVENTS FILTER KEY=VALUE...: FILE loads whole as EVENTS
# events, and the event FILTER picks has each KEY (a field of `query
# --format jsonl`) equal to VALUE
shape() {
	local name=$1 file=$2 want=$3 filter=$4
	shift 4
	is "$name: every record an event, none rejected" "$(load "$name" "$file")" "$want $want 0"
	"$bin" query "$t/$name.case" "$filter" --format jsonl > "$t/$name.jsonl" 2>&1
	python3 - "$t/$name.jsonl" "$@" > "$t/$name.got" <<'PY'
import json, sys
rows = []
for l in open(sys.argv[1]):
    try:
        rows.append(json.loads(l))
    except ValueError:
        pass
want = dict(a.split("=", 1) for a in sys.argv[2:])
if len(rows) != 1:
    print("%d events match" % len(rows))
else:
    bad = ["%s=%r" % (k, rows[0].get(k)) for k, v in sorted(want.items()) if str(rows[0].get(k)) != v]
    print(" ".join(bad) if bad else "same")
PY
	is "$name: the row's fields ($*)" "$(cat "$t/$name.got")" same
}

# --- Sentinel / Log Analytics --------------------------------------------

shape sentinel-signinlogs $S/sentinel-signinlogs.csv 2 "user=bob@contoso.com" \
	ts=2026-12-07T18:05:09.000Z kind=signin op=Sign-in app=c44b4083-3bb0-49c1-b47d-974e53cbdf3c \
	ip=198.51.100.23 session=0a1b2c3d-0000-4000-8000-00000000c002 token=ZyXwVuTsRqPoNmLkJiHg02 \
	"result=Failure (50126: Invalid username or password)"
# a query's projection: no Type, Category or token column (refused whole before)
shape sentinel-projected $S/sentinel-signinlogs-projected.csv 2 "ip=192.0.2.56" \
	ts=2026-12-07T18:11:00.123Z kind=signin op=Sign-in user=carol@contoso.com \
	app=d3590ed6-52b3-4102-aeff-aad2292ab01c session=0a1b2c3d-0000-4000-8000-00000000c003 result=Success
shape sentinel-noninteractive $S/sentinel-aadnoninteractive.csv 1 "user=dave@contoso.com" \
	ts=2026-12-07T18:19:58.000Z "op=Non-interactive sign-in" app=1fec8e78-bce4-4aaf-ab1b-5451cc387264 \
	ip=2001:db8::44 session=0a1b2c3d-0000-4000-8000-00000000c004 token=TokTokTok004
shape sentinel-auditlogs $S/sentinel-auditlogs.csv 1 "kind=directory_audit" \
	ts=2026-12-07T18:30:00.000Z "op=Consent to application" user=alice@contoso.com ip=203.0.113.7
shape sentinel-officeactivity $S/sentinel-officeactivity.csv 2 "op=MailItemsAccessed" \
	ts=2026-12-07T18:40:00.000Z kind=ual user=alice@contoso.com app=00000003-0000-0000-c000-000000000000 \
	client_app=6c1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b ip=203.0.113.7 \
	session=0a1b2c3d-0000-4000-8000-00000000c001 token=AbCdEfGhIjKlMnOpQrSt01 access=Bind
shape loganalytics-signinlogs $S/loganalytics-signinlogs.json 2 "ip=203.0.113.99" \
	ts=2026-12-07T18:50:00.123Z kind=signin user=erin@contoso.com token=TokErin009 \
	session=0a1b2c3d-0000-4000-8000-00000000c009 record_id=5f7e9a10-1111-4000-8000-00000000b009
shape loganalytics-projected $S/loganalytics-projected.json 1 "kind=signin" \
	ts=2026-12-07T18:52:00.000Z user=frank@contoso.com ip=203.0.113.50 result=Success

# --- Azure Monitor diagnostic records, Graph -----------------------------

shape diagnostic-properties-text $S/diagnostic-records-properties-as-text.json 3 "kind=signin" \
	ts=2026-12-07T18:54:59.123Z "op=Non-interactive sign-in" user=gina@contoso.com \
	app=1fec8e78-bce4-4aaf-ab1b-5451cc387264 ip=203.0.113.77 token=TokGina011
shape graph-signins-pages $S/graph-signins-pages.json 4 "token=TokSp022" \
	ts=2026-12-07T17:02:00.000Z "op=Service principal sign-in" user=evilapp ip=198.51.100.200 \
	app=6c1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b
shape graph-directoryaudits $S/graph-directoryaudits.json 1 "kind=directory_audit" \
	ts=2026-12-07T17:10:00.123Z "op=Consent to application" user=hank@contoso.com ip=203.0.113.120
shape graph-auditlog-query $S/graph-auditlog-query-records.json 1 "op=MailItemsAccessed" \
	kind=ual user=hank@contoso.com client_app=6c1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b \
	ip=198.51.100.200 session=0a1b2c3d-0000-4000-8000-00000000c020 access=Bind

# --- Defender XDR advanced hunting ---------------------------------------

shape xdr-cloudappevents $S/xdr-cloudappevents.csv 1 "op=MailItemsAccessed" \
	kind=ual user=alice@contoso.com client_app=6c1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b \
	ip=198.51.100.200 session=0a1b2c3d-0000-4000-8000-00000000c030 token=TokX030
shape xdr-identitylogonevents $S/xdr-identitylogonevents.csv 2 "op=LogonFailed" \
	kind=xdr ts=2026-12-07T16:11:00.000Z user=bob@contoso.com ip=198.51.100.23
# no ActionType column: refused whole before
shape xdr-emailevents $S/xdr-emailevents.csv 1 "kind=xdr" \
	ts=2026-12-07T15:00:00.000Z "op=Email Inbound" user=alice@contoso.com mailbox=alice@contoso.com \
	ip=192.0.2.66 result=Delivered
shape xdr-aadsignineventsbeta $S/xdr-aadsignineventsbeta.csv 2 "ip=198.51.100.9" \
	kind=signin ts=2026-12-07T13:01:00.000Z "op=Non-interactive sign-in" user=alice@contoso.com \
	app=1fec8e78-bce4-4aaf-ab1b-5451cc387264 session=0a1b2c3d-0000-4000-8000-00000000c060 \
	record_id=7b7b7b7b-0000-4000-8000-000000000071 "result=Failure (50126)"

# the advanced hunting API's answer and Graph runHuntingQuery's (refused
# whole before): their rows are records
shape xdr-api-results $S/xdr-api-results.json 2 "op=MailItemsAccessed" \
	kind=ual user=alice@contoso.com client_app=6c1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b ip=198.51.100.201 \
	session=0a1b2c3d-0000-4000-8000-00000000c031 token=TokX031 access=Bind
shape xdr-graph-huntingquery $S/xdr-graph-huntingquery.json 1 "kind=xdr" \
	ts=2026-12-07T15:05:00.000Z "op=Email Inbound" user=bob@contoso.com ip=192.0.2.67 result=Blocked

# IdentityLogonEvents after a spreadsheet: ReportId rounded to the same
# "1.23457E+12" in both rows (which were one event, deduplicated, before)
{
	echo 'Timestamp,ActionType,Application,LogonType,AccountUpn,IPAddress,ReportId'
	echo '07.12.2026 16:10,LogonSuccess,Microsoft 365,Interactive,alice@contoso.com,203.0.113.7,1.23457E+12'
	echo '07.12.2026 16:12,LogonSuccess,Microsoft 365,Interactive,alice@contoso.com,198.51.100.77,1.23457E+12'
} > "$t/xdr-excel.csv"
shape xdr-excel-reportid "$t/xdr-excel.csv" 2 "ip=198.51.100.77" \
	kind=xdr ts=2026-12-07T16:12:00.000Z op=LogonSuccess user=alice@contoso.com

# --- Entra admin center downloads ----------------------------------------

shape entra-noninteractive-csv $S/entra-noninteractive-signins.csv 1 "kind=signin" \
	ts=2026-12-07T14:00:00.000Z user=alice@contoso.com app=1fec8e78-bce4-4aaf-ab1b-5451cc387264 \
	ip=203.0.113.7 session=0a1b2c3d-0000-4000-8000-00000000c040 token=TokNi001
shape entra-serviceprincipal-csv $S/entra-serviceprincipal-signins.csv 1 "kind=signin" \
	ts=2026-12-07T14:05:00.000Z "op=Service principal sign-in" user=evilapp \
	app=6c1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b ip=198.51.100.200 token=TokSp041

# --- the UAL in encodings, cultures and spreadsheet damage ---------------

python3 - "$t" <<'PY'
import json, sys
t = sys.argv[1]
ad1 = {"CreationTime": "2026-12-07T12:00:00", "Id": "a1a1a1a1-0000-4000-8000-000000000001",
       "Operation": "MailItemsAccessed", "RecordType": 50, "ResultStatus": "Succeeded",
       "Workload": "Exchange", "UserId": "ivy@contoso.com",
       "AppId": "00000003-0000-0000-c000-000000000000",
       "ClientAppId": "6c1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b", "ClientIPAddress": "[2001:db8::5]:443",
       "MailboxOwnerUPN": "ivy@contoso.com",
       "OperationProperties": [{"Name": "MailAccessType", "Value": "Bind"}],
       "AppAccessContext": {"AADSessionId": "0a1b2c3d-0000-4000-8000-00000000c050",
                            "UniqueTokenId": "TokIvy050"}}
ad2 = {"CreationTime": "2026-12-07T12:05:00", "Id": "a1a1a1a1-0000-4000-8000-000000000002",
       "Operation": "UserLoggedIn", "RecordType": 15, "ResultStatus": "Success",
       "UserId": "ivy@contoso.com", "Workload": "AzureActiveDirectory", "ClientIP": "::ffff:203.0.113.9",
       "ApplicationId": "00000002-0000-0ff1-ce00-000000000000"}
def q(s):
    return '"' + s.replace('"', '""') + '"'
psh = ["RecordType", "CreationDate", "UserIds", "Operations", "AuditData", "ResultIndex",
       "ResultCount", "Identity", "IsValid", "ObjectState"]
# Export-Csv -UseCulture -Encoding Unicode on a German machine: #TYPE, ';', dd.MM.yyyy
rows = ["#TYPE Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.AuditRecord",
        ";".join(q(x) for x in psh)]
for i, (ad, rt, d) in enumerate([(ad1, "ExchangeItemAggregated", "07.12.2026 12:00:00"),
                                 (ad2, "AzureActiveDirectoryStsLogon", "07.12.2026 12:05:00")]):
    rows.append(";".join(q(x) for x in [rt, d, ad["UserId"], ad["Operation"], json.dumps(ad),
                                        str(i + 1), "2", ad["Id"], "True", "Unchanged"]))
open(t + "/psh-utf16.csv", "wb").write(b"\xff\xfe" + ("\r\n".join(rows) + "\r\n").encode("utf-16-le"))
# -Formatted (indented JSON in the cell), UTF-8 with BOM, US dates with AM/PM
rows = [",".join(q(x) for x in psh)]
for i, (ad, rt, d) in enumerate([(ad1, "ExchangeItemAggregated", "12/7/2026 12:00:00 PM"),
                                 (ad2, "AzureActiveDirectoryStsLogon", "12/7/2026 12:05:00 PM")]):
    rows.append(",".join(q(x) for x in [rt, d, ad["UserId"], ad["Operation"], json.dumps(ad, indent=4),
                                        str(i + 1), "2", ad["Id"], "True", "Unchanged"]))
open(t + "/psh-formatted.csv", "wb").write(b"\xef\xbb\xbf" + ("\r\n".join(rows) + "\r\n").encode())
# the Purview export after Excel saved it: quotes dropped where not needed,
# dates as the spreadsheet shows them, columns in another order
rows = ["Operation,RecordId,CreationDate,RecordType,UserId,AuditData"]
rows.append(",".join(["MailItemsAccessed", ad1["Id"], "12/7/2026 12:00", "50", "ivy@contoso.com",
                      q(json.dumps(ad1))]))
rows.append(",".join(["UserLoggedIn", ad2["Id"], "2026-12-07 12:05", "15", "ivy@contoso.com",
                      q(json.dumps(ad2))]))
open(t + "/purview-excel.csv", "w").write("\r\n".join(rows) + "\r\n")
# collector JSON Lines: AuditData as text in one wrapper, as an object in the next
w1 = {"RecordType": "ExchangeItemAggregated", "CreationDate": "2026-12-07T12:00:00Z",
      "UserIds": "ivy@contoso.com", "Operations": "MailItemsAccessed", "AuditData": json.dumps(ad1),
      "Identity": ad1["Id"]}
w2 = {"RecordType": "AzureActiveDirectoryStsLogon", "CreationDate": "/Date(1796644800000)/",
      "UserIds": "ivy@contoso.com", "Operations": "UserLoggedIn", "AuditData": ad2, "Identity": ad2["Id"]}
open(t + "/ual-wrapped.jsonl", "w").write(json.dumps(w1) + "\n" + json.dumps(w2) + "\n")
# Hawk: a pretty-printed array in UTF-16LE
open(t + "/ual-utf16.json", "wb").write(b"\xff\xfe" + json.dumps([ad1, ad2], indent=2).encode("utf-16-le"))
PY
for f in psh-utf16.csv psh-formatted.csv purview-excel.csv ual-wrapped.jsonl ual-utf16.json; do
	shape "${f%.*}" "$t/$f" 2 "op=MailItemsAccessed" \
		ts=2026-12-07T12:00:00.000Z user=ivy@contoso.com app=00000003-0000-0000-c000-000000000000 \
		client_app=6c1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b ip=2001:db8::5 \
		session=0a1b2c3d-0000-4000-8000-00000000c050 token=TokIvy050 access=Bind
done

# --- read wrongly before wave 26 -----------------------------------------

# {"records":[ alone on its line, then a record a line (an Azure Monitor
# storage blob written that way): read as cut JSON Lines before, its
# first and last lines and the records' trailing commas rejected
shape diagnostic-blob-msi $S/diagnostic-records-blob-per-line.json 3 "user=vm-build01" \
	kind=signin ts=2026-12-07T19:10:00.123Z "op=Managed identity sign-in" ip=10.20.0.4 \
	app=9e9e9e9e-0000-4000-8000-0000000000a1
shape diagnostic-blob-noninteractive $S/diagnostic-records-blob-per-line.json 3 "token=TokHank022" \
	ts=2026-12-07T19:11:00.500Z "op=Non-interactive sign-in" user=hank@contoso.com ip=198.51.100.61 \
	"result=Failure (50173: The provided grant has expired due to it being revoked.)"

# the Log Analytics portal's CSV with its display set to a zone: the
# header names the zone after the column ("[UTC+01:00]"), refused whole
# before; with an offset the times are read in it
shape sentinel-utc-offset $S/sentinel-signinlogs-utc-offset.csv 1 "user=judy@contoso.com" \
	kind=signin ts=2026-12-07T19:25:00.000Z op=Sign-in ip=203.0.113.89 token=TokJudy025
# "[Local Time]": loaded, and the load and the source say that the times
# are the exporting machine's local time, whose offset the file lacks
shape sentinel-local-time $S/sentinel-signinlogs-local-time.csv 1 "user=ivan@contoso.com" \
	kind=signin ts=2026-12-07T19:20:00.000Z ip=203.0.113.88 token=TokIvan024
"$bin" load "$t/local2.case" $S/sentinel-signinlogs-local-time.csv > "$t/local2.out" 2>&1
has "sentinel-local-time: the load says the times are local" "$(cat "$t/local2.out")" \
	'"TimeGenerated [Local Time]" holds local time'
has "sentinel-local-time: the source's warning says so too" "$("$bin" info "$t/local2.case" 2>&1)" \
	"its times were read as UTC and may be hours off"

# the Entra admin center's four downloads: interactive and non-interactive
# share every column, application and managed identity ones too, so the
# name the portal gives the file tells them apart; a managed identity's
# type column says so in any file
cp $S/entra-noninteractive-signins.csv "$t/NonInteractiveSignIns_2026-12-07_2026-12-08.csv"
shape entra-noninteractive-named "$t/NonInteractiveSignIns_2026-12-07_2026-12-08.csv" 1 "kind=signin" \
	ts=2026-12-07T14:00:00.000Z "op=Non-interactive sign-in" user=alice@contoso.com token=TokNi001
shape entra-msi-csv $S/entra-msi-signins.csv 1 "kind=signin" \
	ts=2026-12-07T14:10:00.000Z "op=Managed identity sign-in" user=vm-build01 \
	app=9e9e9e9e-0000-4000-8000-0000000000a1 ip=10.20.0.4 token=TokMsi031
sed 's/"systemAssigned",//' $S/entra-msi-signins.csv | sed 's/,"Managed Identity type"//' > "$t/MSISignIns_2026-12-07_2026-12-08.csv"
shape entra-msi-named "$t/MSISignIns_2026-12-07_2026-12-08.csv" 1 "kind=signin" \
	"op=Managed identity sign-in" user=vm-build01
cp $S/entra-serviceprincipal-signins.csv "$t/ApplicationSignIns_2026-12-07_2026-12-08.csv"
shape entra-sp-named "$t/ApplicationSignIns_2026-12-07_2026-12-08.csv" 1 "kind=signin" \
	"op=Service principal sign-in" user=evilapp

# dates the portals and spreadsheets write with the month named (every
# row rejected as "unreadable date" before), with a zone where given
{
	echo 'Timestamp,ActionType,Application,LogonType,AccountUpn,IPAddress,ReportId'
	echo '"Dec 7, 2026 4:10:00 PM",LogonSuccess,Microsoft 365,Interactive,kim@contoso.com,203.0.113.90,11'
	echo '7 Dec 2026 16:11,LogonSuccess,Microsoft 365,Interactive,kim@contoso.com,203.0.113.91,12'
	echo '"Mon, 07 Dec 2026 17:12:00 +0100",LogonSuccess,Microsoft 365,Interactive,kim@contoso.com,203.0.113.92,13'
	echo '07-Dec-2026 11:13 AM,LogonSuccess,Microsoft 365,Interactive,kim@contoso.com,203.0.113.93,14'
} > "$t/xdr-named-months.csv"
for ipts in 90=16:10 91=16:11 92=16:12 93=11:13; do
	shape "xdr-named-months-${ipts%=*}" "$t/xdr-named-months.csv" 4 "ip=203.0.113.${ipts%=*}" \
		kind=xdr "ts=2026-12-07T${ipts#*=}:00.000Z" op=LogonSuccess user=kim@contoso.com
done
# a zone named by its abbreviation is not guessed: the row is kept as a reject
{
	echo 'Timestamp,ActionType,Application,LogonType,AccountUpn,IPAddress,ReportId'
	echo '"Dec 7, 2026 4:10:00 PM PST",LogonSuccess,Microsoft 365,Interactive,kim@contoso.com,203.0.113.90,11'
	echo '"Dec 7, 2026 4:11:00 PM",LogonSuccess,Microsoft 365,Interactive,kim@contoso.com,203.0.113.91,12'
} > "$t/xdr-named-zone.csv"
is "xdr-named-zone: a named zone's row rejected, the other loaded" "$(load xdr-named-zone "$t/xdr-named-zone.csv")" "2 1 1"

# --- numeric dates a day-first spreadsheet wrote -------------------------

# Excel re-saving the Entra sign-in download under en-GB: 07/12/2026 is 7
# December. A day over 12 anywhere in the file's head proves the order
# for the ambiguous ones (read as July 12 before, silently)
hdr='"Date (UTC)","Request ID","Username","Application ID ","IP address","Status"'
{
	echo "$hdr"
	echo '07/12/2026 16:01,7b7b7b7b-0000-4000-8000-000000000101,liam@contoso.com,1fec8e78-bce4-4aaf-ab1b-5451cc387264,203.0.113.101,Success'
	echo '13/12/2026 09:30,7b7b7b7b-0000-4000-8000-000000000102,liam@contoso.com,1fec8e78-bce4-4aaf-ab1b-5451cc387264,203.0.113.102,Success'
} > "$t/gb-signins.csv"
shape gb-signins "$t/gb-signins.csv" 2 "ip=203.0.113.101" ts=2026-12-07T16:01:00.000Z user=liam@contoso.com
shape gb-signins-proof "$t/gb-signins.csv" 2 "ip=203.0.113.102" ts=2026-12-13T09:30:00.000Z
# the same through the rows reader (IdentityLogonEvents re-saved)
{
	echo 'Timestamp,ActionType,Application,LogonType,AccountUpn,IPAddress,ReportId'
	echo '03/12/2026 10:00,LogonSuccess,Microsoft 365,Interactive,mia@contoso.com,203.0.113.103,21'
	echo '25/11/2026 10:00,LogonSuccess,Microsoft 365,Interactive,mia@contoso.com,203.0.113.104,22'
} > "$t/gb-rows.csv"
shape gb-rows "$t/gb-rows.csv" 2 "ip=203.0.113.103" kind=xdr ts=2026-12-03T10:00:00.000Z

# every date ambiguous: read month-first, and the load and the source say
# so; --dates=dmy reads them day-first
{
	echo "$hdr"
	echo '07/12/2026 16:01,7b7b7b7b-0000-4000-8000-000000000111,noah@contoso.com,1fec8e78-bce4-4aaf-ab1b-5451cc387264,203.0.113.111,Success'
	echo '08/12/2026 09:30,7b7b7b7b-0000-4000-8000-000000000112,noah@contoso.com,1fec8e78-bce4-4aaf-ab1b-5451cc387264,203.0.113.112,Success'
} > "$t/ambiguous.csv"
"$bin" load "$t/amb.case" "$t/ambiguous.csv" > "$t/amb.out" 2>&1
has "ambiguous dates: the load says so" "$(cat "$t/amb.out")" \
	"every numeric date in it could be read day-first or month-first"
has "ambiguous dates: the source's warning says which order was taken" "$("$bin" info "$t/amb.case")" \
	"its 2 were read month-first (M/D/YYYY)"
is "ambiguous dates: read month-first by default" \
	"$("$bin" query "$t/amb.case" "ip=203.0.113.111" --format csv | tail -n +2 | cut -d, -f1)" \
	"2026-07-12T16:01:00.000Z"
"$bin" load "$t/amb-dmy.case" "$t/ambiguous.csv" --dates=dmy > "$t/amb-dmy.out" 2>&1
is "ambiguous dates: --dates=dmy reads them day-first" \
	"$("$bin" query "$t/amb-dmy.case" "ip=203.0.113.111" --format csv | tail -n +2 | cut -d, -f1)" \
	"2026-12-07T16:01:00.000Z"
has "ambiguous dates: the warning names --dates=dmy" "$(cat "$t/amb-dmy.out")" "as --dates=dmy says"
"$bin" load "$t/amb-bad.case" "$t/ambiguous.csv" --dates=ymd > /dev/null 2>&1
is "ambiguous dates: --dates takes dmy or mdy" "$?" 2
# a day over 12 outweighs --dates, and says so
"$bin" load "$t/gb-mdy.case" "$t/gb-signins.csv" --dates=mdy > "$t/gb-mdy.out" 2>&1
has "--dates=mdy set aside by a day over 12" "$(cat "$t/gb-mdy.out")" "--dates=mdy set aside: line 3's date"

# the proof past the look-ahead (8 MB): the rows before it were read
# month-first and the warning names them; the rows after it day-first
python3 - "$t/late.csv" <<'PY'
import sys
ua = "Mozilla/5.0 " + "x" * 4000
rows = ['"Date (UTC)","Request ID","Username","Application ID ","IP address","Status","User agent"']
for i in range(4400):
    rows.append('"%02d/12/2026 %02d:%02d","7c7c7c7c-0000-4000-8000-%012d","olga@contoso.com","x","203.0.113.120","Success","%s"'
                % (1 + i * 11 // 4400, i % 24, i % 60, i, ua))
rows.append('"14/12/2026 09:00","7c7c7c7c-0000-4000-8000-100000000001","olga@contoso.com","x","203.0.113.121","Success","x"')
rows.append('"02/12/2026 09:05","7c7c7c7c-0000-4000-8000-100000000002","olga@contoso.com","x","203.0.113.122","Success","x"')
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
"$bin" load "$t/late.case" "$t/late.csv" > "$t/late.out" 2>&1
has "late proof: the warning names the proof and the rows read before it" "$(cat "$t/late.out")" \
	"line 4402's date can only be read day-first (D/M/YYYY), but the 4400 dates before it"
is "late proof: a row after the proof read day-first" \
	"$("$bin" query "$t/late.case" "ip=203.0.113.122" --format csv | tail -n +2 | cut -d, -f1)" \
	"2026-12-02T09:05:00.000Z"
# both orders in one file: said, never a silent pick
{
	echo "$hdr"
	echo '07/12/2026 16:01,7b7b7b7b-0000-4000-8000-000000000131,pia@contoso.com,x,203.0.113.131,Success'
	echo '13/12/2026 16:01,7b7b7b7b-0000-4000-8000-000000000132,pia@contoso.com,x,203.0.113.132,Success'
	echo '12/14/2026 16:01,7b7b7b7b-0000-4000-8000-000000000133,pia@contoso.com,x,203.0.113.133,Success'
} > "$t/mixed.csv"
has "mixed orders: said" "$("$bin" load "$t/mixed.case" "$t/mixed.csv" 2>&1)" \
	"its dates are in both orders (line 3 can only be read day-first, line 4 only month-first)"

# --- the hunts see them --------------------------------------------------

# a sign-in from a query's projection, then mail read from its IP within
# the hour (Sentinel OfficeActivity): signin-then-mail and token-replay
# (one session from two IPs) see both
"$bin" load -q "$t/hunt.case" $S/sentinel-signinlogs-projected.csv $S/xdr-aadsignineventsbeta.csv \
	$S/sentinel-officeactivity.csv > /dev/null 2>&1
"$bin" hunt "$t/hunt.case" token-replay --hits --format jsonl > "$t/replay.jsonl" 2>&1
has "token-replay: a projected SigninLogs session seen from two IPs" "$(cat "$t/replay.jsonl")" \
	0a1b2c3d-0000-4000-8000-00000000c003
has "token-replay: an AADSignInEventsBeta session seen from two IPs" "$(cat "$t/replay.jsonl")" \
	0a1b2c3d-0000-4000-8000-00000000c060
