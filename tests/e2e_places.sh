#!/usr/bin/env bash
# tests/e2e_places.sh: where each IP is (issue 13), on data written here
# rather than by the generator: Entra sign-ins (Graph JSON), UAL
# MailItemsAccessed with the address in each field and form real exports
# carry (ClientIPAddress "[v6]:port", ClientIP "v4:port", a proxy's list
# "a, b", ActorIpAddress "::ffff:v4"), a sign-in from "fe80::1%eth0" and
# one from "::ffff:10.1.2.3", a Graph activity record from Microsoft's
# IPv6 range. Checked on the SQLite case and, where clickhouse-server is
# installed, on a ClickHouse database of a server this script starts
# (tests/ch_port.sh): every place, the filters, the stack, the exports,
# the place hunts, token-replay's countries (mail read from an IP the
# sign-in did not use), the databases' date in info and the report,
# --geoip DIR and AUDITSCOPE_GEOIP taking precedence, and a missing
# database: one warning, no error, places "unknown".
. "$(dirname "$0")/e2e_lib.sh"
root=$PWD

# ---- the data ----
sg() { # sg N TIME USER IP SESSION TOKEN
	printf '{"id":"0000000%s-aaaa-4bbb-8ccc-00000000000%s","createdDateTime":"%s","userPrincipalName":"%s",' "$1" "$1" "$2" "$3"
	printf '"appId":"00000003-0000-0000-c000-000000000000","appDisplayName":"Office","ipAddress":"%s",' "$4"
	printf '"status":{"errorCode":0},"sessionId":"%s","uniqueTokenIdentifier":"%s"}' "$5" "$6"
}
{
	printf '{"value":['
	sg 1 2025-11-03T08:00:00Z ana@fabrikam.com 193.0.6.139 S1 T1
	printf ','
	sg 2 2025-11-04T08:00:00Z ana@fabrikam.com 2001:67c:2e8::1 S1 T2
	printf ','
	sg 3 2025-11-05T09:00:00Z ana@fabrikam.com 8.8.8.8 S3 T3
	printf ','
	sg 4 2025-11-05T09:10:00Z ben@fabrikam.com 'fe80::1%eth0' S4 T4
	printf ','
	sg 5 2025-11-05T09:20:00Z ben@fabrikam.com '::ffff:10.1.2.3' S5 T5
	printf ']}\n'
} > "$t/signins.json"
ual() { # ual N TIME FIELD IP SESSION TOKEN
	printf '{"CreationTime":"%s","Id":"1111111%s-0000-4000-8000-00000000000%s","Operation":"MailItemsAccessed",' "$2" "$1" "$1"
	printf '"RecordType":50,"Workload":"Exchange","UserId":"ana@fabrikam.com","MailboxOwnerUPN":"ana@fabrikam.com",'
	printf '"ResultStatus":"Succeeded","OperationProperties":[{"Name":"MailAccessType","Value":"Bind"}],'
	printf '"AppAccessContext":{"AADSessionId":"%s","UniqueTokenId":"%s"},"SessionId":"exch-%s",' "$5" "$6" "$1"
	printf '"Folders":[{"Path":"\\\\Inbox","FolderItems":[{"InternetMessageId":"<m%s@x>"}]}],"%s":"%s"}\n' "$1" "$3" "$4"
}
{
	ual 1 2025-11-05T09:01:00 ClientIPAddress '[2001:67c:2e8::1]:443' S3 T3
	ual 2 2025-11-05T09:02:00 ClientIP '193.0.6.139:50112' S3 T3
	ual 3 2025-11-05T09:03:00 ClientIP '193.0.6.139, 10.0.0.1' S9 T9
	ual 4 2025-11-05T09:04:00 ActorIpAddress '::ffff:8.8.8.8' S9 T9
} > "$t/ual.jsonl"
printf '{"time":"2025-11-05T09:05:00Z","requestId":"g-1","requestMethod":"GET","requestUri":"https://graph.microsoft.com/v1.0/me/messages","responseStatusCode":200,"appId":"00000003-0000-0000-c000-000000000000","userId":"ana@fabrikam.com","ipAddress":"2a01:111:f402::5","signInActivityId":"T3","sessionId":"S3"}\n' > "$t/graph.jsonl"
files=("$t/signins.json" "$t/ual.jsonl" "$t/graph.jsonl")

# ---- an analyst's own databases (--geoip DIR): an ASN table of their own ----
mkdir -p "$t/own"
printf '134744064,134744319,64512,Analyst Own Net\n' > "$t/own/asn-ipv4-num.csv"
printf '{"name":"@ip-location-db/asn","version":"9.9.2025010203"}\n' > "$t/own/asn.package.json"

# ---- a missing database: one warning, no error, places unknown ----
# (a copy of the binary finds no geoip/ beside it)
mkdir -p "$t/bare/bin"
cp "$bin" "$t/bare/bin/auditscope"
if [ -d /usr/local/share/auditscope/geoip ] || [ -d /usr/share/auditscope/geoip ]; then
	echo "skip - places: no database: an installed share/auditscope/geoip is found by every binary"
else
	env -u AUDITSCOPE_GEOIP "$t/bare/bin/auditscope" load -q "$t/bare.case" "${files[@]}" > "$t/bare.out" 2> "$t/bare.err"
	is "no database: the load succeeds" "$?" "0"
	is "no database: exactly one warning" "$(grep -c 'warning: no IP location or network database found' "$t/bare.err")" "1"
	is "no database: nothing else on stderr" "$(grep -vc 'warning: no IP location' "$t/bare.err")" "0"
	is "no database: info says none" "$(env -u AUDITSCOPE_GEOIP "$t/bare/bin/auditscope" info "$t/bare.case" | grep '^ip places')" \
		"ip places country: none; network: none"
	sess=$(env -u AUDITSCOPE_GEOIP "$t/bare/bin/auditscope" session "$t/bare.case" S3 --format csv)
	is "no database: a public address is unknown" "$(grep -m1 ',8\.8\.8\.8,' <<<"$sess" | cut -d, -f7)" "unknown"
	sess=$(env -u AUDITSCOPE_GEOIP "$t/bare/bin/auditscope" session "$t/bare.case" S5 --format csv)
	is "no database: a private address is still labelled" "$(grep -m1 ',10\.1\.2\.3,' <<<"$sess" | cut -d, -f7)" "private"
fi

if [ -z "${AUDITSCOPE_GEOIP:-}" ] && [ ! -f "$root/geoip/asn-ipv4-num.csv" ]; then
	echo "skip - places: geoip/ is absent (make deps installs it)"
	exit 0
fi

# ip, country, asn, as_org of each record id (CSV export of the timeline)
places() { "$bin" query "$1" --format csv | python3 -c '
import csv, sys
for r in csv.DictReader(sys.stdin):
    print(r["record_id"], r["ip"], r["country"] or "-", r["asn"] or "-", r["as_org"] or "-", sep="|")' | sort; }
# the place column of the session view for an address
place_of() { "$bin" session "$1" "$2" --format csv | python3 -c '
import csv, sys
for r in csv.DictReader(sys.stdin):
    if r["ip"] == sys.argv[1]:
        print(r["place"])
        break' "$3"; }

check_store() { # check_store NAME CASE
	local n=$1 c=$2 p
	p=$(places "$c")
	is "$n: sign-in IPv4" "$(grep '^00000001-' <<<"$p" | cut -d'|' -f2-4)" "193.0.6.139|NL|3333"
	is "$n: sign-in IPv6" "$(grep '^00000002-' <<<"$p" | cut -d'|' -f2-4)" "2001:67c:2e8::1|NL|3333"
	is "$n: ClientIPAddress [v6]:port" "$(grep '^11111111-' <<<"$p" | cut -d'|' -f2-4)" "2001:67c:2e8::1|NL|3333"
	is "$n: ClientIP v4:port" "$(grep '^11111112-' <<<"$p" | cut -d'|' -f2-4)" "193.0.6.139|NL|3333"
	is "$n: a proxy's list gives the client" "$(grep '^11111113-' <<<"$p" | cut -d'|' -f2-4)" "193.0.6.139|NL|3333"
	is "$n: ActorIpAddress ::ffff:v4" "$(grep '^11111114-' <<<"$p" | cut -d'|' -f2-5)" "8.8.8.8|US|15169|Google LLC"
	is "$n: IPv6 with a zone is link-local" "$(place_of "$c" S4 'fe80::1%eth0')" "link-local"
	is "$n: IPv4-mapped private" "$(place_of "$c" S5 10.1.2.3)" "private"
	is "$n: Graph activity from Microsoft's range" "$(place_of "$c" S3 2a01:111:f402::5 | cut -d' ' -f1)" "microsoft"
	is "$n: country=NL" "$("$bin" query "$c" country=NL --format csv | tail -n +2 | wc -l)" "5"
	is "$n: asn=AS15169" "$("$bin" query "$c" asn=AS15169 --format csv | tail -n +2 | wc -l)" "2"
	is "$n: as_org~ripe" "$("$bin" query "$c" 'as_org~ripe' --format csv | tail -n +2 | wc -l)" "5"
	is "$n: country=\"\" (no place)" "$("$bin" query "$c" 'country=""' --format csv | tail -n +2 | wc -l)" "2"
	is "$n: stack country" "$("$bin" stack "$c" country --format csv | cut -d, -f1,2 | tr '\n' ' ')" \
		"country,events NL,5 US,2 ,2 GB,1 "
	is "$n: info names the databases and their date" \
		"$("$bin" info "$c" | grep -cE '^ip places country: [^ ]+ [0-9]{4}-[0-9]{2}-[0-9]{2}; network: [^ ]+ [0-9]{4}-')" "1"
	is "$n: the report names them too" \
		"$("$bin" export "$c" --format markdown | grep -cE '^\| IP places from \| country: [^ ]+ [0-9]{4}-')" "1"
	is "$n: CSV export carries the place" \
		"$("$bin" export "$c" --format csv | grep -c ',8\.8\.8\.8,US,15169,Google LLC,')" "2"
	# token-replay: the sign-in of S3 came from the US, its token read mail
	# from the Netherlands and called Graph from Microsoft's network (GB)
	local tr
	tr=$("$bin" hunt "$c" token-replay --format csv | python3 -c '
import csv, sys
for r in csv.DictReader(sys.stdin):
    if r["id"] in ("S3", "T3"):
        print(r["kind"], r["id"], "+".join(sorted(r["countries"].split(", "))))' | sort | tr '\n' ' ')
	is "$n: token-replay names the countries of S3/T3" "$tr" "session S3 GB+NL+US token T3 GB+NL+US "
	# an analyst's own table first: --geoip DIR redoes the places
	"$bin" load -q "$c" --geoip "$t/own" > /dev/null 2>&1
	is "$n: --geoip DIR takes precedence" "$(places "$c" | grep '^00000003-' | cut -d'|' -f4-5)" "64512|Analyst Own Net"
	is "$n: info gives its date" "$("$bin" info "$c" | grep -c 'network: asn-ipv4-num.csv 2025-01-02')" "1"
	AUDITSCOPE_GEOIP="$root/geoip" "$bin" load -q "$c" --geoip "$t/nonexistent" > /dev/null 2>&1
	is "$n: AUDITSCOPE_GEOIP back to the installed ones" "$(places "$c" | grep '^00000003-' | cut -d'|' -f4)" "15169"
}

"$bin" load -q "$t/a.case" "${files[@]}" > /dev/null 2>&1
check_store sqlite "$t/a.case"

# ---- the same on ClickHouse ----
if ! command -v clickhouse-server > /dev/null; then
	echo "skip - places on clickhouse: no clickhouse-server binary here"
	exit 0
fi
. tests/ch_port.sh
ch_private_ports "$t"
export CH_DIR=${CH_DIR:-$t/clickhouse}
export CH_HTTP_PORT=${CH_HTTP_PORT:-18123}
started=0
if ! clickhouse/server.sh status > /dev/null 2>&1; then
	ch_start > /dev/null || {
		nok "places on clickhouse: the server starts" "see $CH_DIR/log"
		exit 1
	}
	started=1
fi
db=pl$$_$RANDOM
e2e_cleanup() {
	curl -s "http://127.0.0.1:$CH_HTTP_PORT/" --data-binary "DROP DATABASE IF EXISTS $db" > /dev/null
	[ "$started" = 1 ] && clickhouse/server.sh stop > /dev/null
}
U="clickhouse://127.0.0.1:$CH_HTTP_PORT/$db?case=$t/ch.case"
"$bin" load -q "$U" "${files[@]}" > "$t/chload" 2>&1 || nok "clickhouse: load" "$(head -3 "$t/chload")"
"$bin" load -q "$t/b.case" "${files[@]}" > /dev/null 2>&1
for h in new-place hosting-signin impossible-travel; do
	is "clickhouse: hunt $h as on SQLite" "$("$bin" hunt "$U" "$h" 2>&1)" "$("$bin" hunt "$t/b.case" "$h" 2>&1)"
done
is "clickhouse: stack asn,as_org as on SQLite" "$("$bin" stack "$U" asn,as_org 2>&1)" "$("$bin" stack "$t/b.case" asn,as_org 2>&1)"
is "clickhouse: CSV export as on SQLite" "$("$bin" export "$U" --format csv 2>&1 | sort)" \
	"$("$bin" export "$t/b.case" --format csv 2>&1 | sort)"
check_store clickhouse "$U"
