#!/usr/bin/env bash
# End-to-end: one form per address. The logs of one tenant write one
# IPv6 address their own ways (the UAL "[2603:10B6:0:0::12]:18835", Entra
# sign-ins "2603:10b6::0012", a Sentinel row "2603:10b6:0:0:0:0:0:12"):
# the load stores it once, as RFC 5952 writes it (2603:10b6::12), so
# stack ip, a pivot by ip= (written any of those ways) and a session's
# addresses give one value, not three; an IPv4-mapped address in hex is
# its IPv4; what is not an address stays out of the ip field.
. "$(dirname "$0")/e2e_lib.sh"

cat >"$t/ual.jsonl" <<'EOF'
{"CreationTime":"2024-03-01T10:00:00","Id":"u1","Operation":"MailItemsAccessed","UserId":"a@x.com","ClientIP":"[2603:10B6:0:0::12]:18835","Workload":"Exchange","SessionId":"S1"}
{"CreationTime":"2024-03-01T10:01:00","Id":"u2","Operation":"Send","UserId":"a@x.com","ClientIP":"0:0:0:0:0:ffff:c633:6407","Workload":"Exchange"}
{"CreationTime":"2024-03-01T10:02:00","Id":"u3","Operation":"Send","UserId":"a@x.com","ClientIP":"2603:10b6:::12","Workload":"Exchange"}
EOF
printf '%s\n' '"Date (UTC)","Request ID","Username","Application ID ","IP address","Status"' \
	'"2024-03-01T09:59:00Z","s1","a@x.com","app","2603:10b6::0012","Success"' \
	'"2024-03-01T10:03:00Z","s2","a@x.com","app","198.51.100.7","Success"' >"$t/signins.csv"
printf '{"TimeGenerated":"2024-03-01T10:04:00Z","Type":"OfficeActivity","OfficeWorkload":"Exchange","RecordType":"ExchangeItem","Operation":"MailItemsAccessed","UserId":"a@x.com","ClientIP":"2603:10b6:0:0:0:0:0:12","OfficeId":"o1","SessionId":"S1"}\n' >"$t/sentinel.jsonl"

c=$t/f.case
"$bin" load -q "$c" "$t/ual.jsonl" "$t/signins.csv" "$t/sentinel.jsonl" >/dev/null 2>&1
is "load: every record is an event" "$("$bin" query "$c" --format csv | tail -n +2 | wc -l)" 6
is "stack ip: one value for the three ways of writing it" \
	"$("$bin" stack "$c" ip --format csv | tail -n +2 | cut -d, -f1,2 | sort | tr '\n' ' ')" \
	",1 198.51.100.7,2 2603:10b6::12,3 "
for v in 2603:10b6::12 2603:10B6:0:0::12 2603:10b6::0012 '[2603:10b6:0:0:0:0:0:12]:443'; do
	is "ip=$v: the address's three events" \
		"$("$bin" query "$c" "ip=$v" --format csv | cut -d, -f2 | tail -n +2 | sort | tr '\n' ' ')" "o1 s1 u1 "
done
is "ip!= any way of writing it" "$("$bin" query "$c" 'ip!=2603:10B6::0:12 ip!=""' --format csv | cut -d, -f2 | tail -n +2 | sort | tr '\n' ' ')" "s2 u2 "
is "ip=2603:10b6::/32: the block" "$("$bin" query "$c" 'ip=2603:10b6::/32' --format csv | tail -n +2 | wc -l)" 3
is "an IPv4-mapped address written in hex is its IPv4" \
	"$("$bin" query "$c" ip=198.51.100.7 --format csv | cut -d, -f2 | tail -n +2 | sort | tr '\n' ' ')" "s2 u2 "
is "stack ip,session: the session has one address" \
	"$("$bin" stack "$c" ip,session session=S1 --format csv | tail -n +2 | cut -d, -f1-3 | tr '\n' ' ')" "2603:10b6::12,S1,2 "
is "not an address: no ip, the raw record as written" \
	"$("$bin" query "$c" record_id=u3 --format csv | cut -d, -f2 | tail -n +2)|$("$bin" query "$c" 'record_id=u3 ip=""' --format csv | tail -n +2 | wc -l)" "u3|1"
has "the raw record keeps the address as the log wrote it" "$("$bin" query "$c" record_id=u1 --format jsonl --raw)" '[2603:10B6:0:0::12]:18835'
