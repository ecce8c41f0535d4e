#!/usr/bin/env bash
# End-to-end: host names in client address fields (issue 12). A case
# with host names, IPs with ports, <null> and anonymised addresses:
# query (host=, host~, hostname=, host!=""), stack host, every export
# format and query's own formats carry the host field, the raw record
# keeps the port; the real samples carry no host name (and their
# anonymised XX.XX.XX.XX is not one); a case from before the column
# (schema 4) opens, a query leaves it as it was and a load converts it; and on a ClickHouse server (skipped
# without clickhouse-server), the same answers, and a database from
# before the column gains it on opening.
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
B=$(cd "$BUILD" && pwd)
bin=$B/auditscope
t=$(mktemp -d)
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1${2:+ ($2)}"; }
is() { # is NAME GOT WANT (an empty WANT is a broken test, not a pass)
	if [ -n "$3" ] && [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "got '$2', want '$3'"; fi
}
has() { # has NAME TEXT NEEDLE
	if [[ "$2" == *"$3"* ]]; then ok "$1"; else nok "$1" "'$3' not in: ${2:0:300}"; fi
}
started=0
cleanup() {
	[ "$started" = 1 ] && clickhouse/server.sh stop >/dev/null
	rm -rf "$t"
}
trap cleanup EXIT

cat >"$t/ual.jsonl" <<'EOF'
{"CreationTime":"2024-03-01T10:00:00","Id":"h1","Operation":"MailItemsAccessed","UserId":"a@x.com","ClientIP":"cool.client.local:12345","Workload":"Exchange"}
{"CreationTime":"2024-03-01T10:01:00","Id":"h2","Operation":"MailItemsAccessed","UserId":"a@x.com","ClientIP":"localhost:12345","Workload":"Exchange"}
{"CreationTime":"2024-03-01T10:02:00","Id":"h3","Operation":"MailItemsAccessed","UserId":"a@x.com","ClientIP":"127.0.0.1:12345","Workload":"Exchange"}
{"CreationTime":"2024-03-01T10:03:00","Id":"h4","Operation":"MailItemsAccessed","UserId":"a@x.com","ClientIP":"XX.XX.XX.XX","Workload":"Exchange"}
{"CreationTime":"2024-03-01T10:04:00","Id":"h5","Operation":"Send","UserId":"b@x.com","ClientIP":"COOL.Client.Local","Workload":"Exchange"}
{"CreationTime":"2024-03-01T10:05:00","Id":"h6","Operation":"Send","UserId":"b@x.com","ClientIP":"<null>","Workload":"Exchange"}
{"CreationTime":"2024-03-01T10:06:00","Id":"h7","Operation":"Send","UserId":"b@x.com","ClientIP":"\u001b]0;evil.example\u0007","Workload":"Exchange"}
EOF
printf '%s\n' '"Date (UTC)","Request ID","Username","Application ID ","IP address","Status"' \
	'"2024-03-01T10:07:00Z","s1","c@x.com","app","vpn-gw.corp.example:4443","Success"' >"$t/signins.csv"

c=$t/h.case
"$bin" load -q "$c" "$t/ual.jsonl" "$t/signins.csv" >/dev/null 2>&1
is "load: every record is an event" "$("$bin" query "$c" --format csv | tail -n +2 | wc -l)" 8
is "host=: the name, any case, port dropped" "$("$bin" query "$c" host=cool.client.local --format csv | cut -d, -f2 | tail -n +2 | tr '\n' ' ')" "h1 h5 "
is "host=localhost (a name, not loopback's address)" "$("$bin" query "$c" hostname=localhost --format csv | cut -d, -f2 | tail -n +2)" h2
is "ip=127.0.0.1 (loopback's address, port dropped)" "$("$bin" query "$c" ip=127.0.0.1 --format csv | cut -d, -f2 | tail -n +2)" h3
is "host~ over the names" "$("$bin" query "$c" 'host~corp\.example$' --format csv | cut -d, -f2 | tail -n +2)" s1
is "host!=\"\": only named clients" "$("$bin" query "$c" 'host!=""' --format csv | tail -n +2 | wc -l)" 4
is "no fake IP for a host name" "$("$bin" query "$c" 'host!="" ip!=""' --format csv | tail -n +2 | wc -l)" 0
is "<null>, XX.XX.XX.XX and escapes are neither" "$("$bin" query "$c" 'host="" ip=""' --format csv | cut -d, -f2 | tail -n +2 | tr '\n' ' ')" "h4 h6 h7 "
jl=$("$bin" query "$c" record_id=h1 --format jsonl --raw)
has "query jsonl: the host field" "$jl" '"ip":null,"country":null,"asn":null,"as_org":null,"host":"cool.client.local"'
has "query --raw: the raw record keeps the port" "$jl" '"ClientIP":"cool.client.local:12345"'
has "query table: a host column" "$("$bin" query "$c" record_id=s1)" "vpn-gw.corp.example"
st=$("$bin" stack "$c" host --format csv)
is "stack host" "$(tail -n +2 <<<"$st" | cut -d, -f1,2 | sort | tr '\n' ' ')" ",4 cool.client.local,2 localhost,1 vpn-gw.corp.example,1 "
is "stack host,user" "$("$bin" stack "$c" host,user 'host!=""' --format csv | tail -n +2 | cut -d, -f1-3 | sort | tr '\n' ' ')" \
	"cool.client.local,a@x.com,1 cool.client.local,b@x.com,1 localhost,a@x.com,1 vpn-gw.corp.example,c@x.com,1 "
csv=$("$bin" export "$c" --format csv 2>&1)
is "export csv: a host column" "$(head -1 <<<"$csv" | tr ',' '\n' | grep -c '^host$')" 1
is "export csv: the host beside the IP's place" "$(head -1 <<<"$csv" | grep -o 'as_org,host,workload')" "as_org,host,workload"
has "export csv: the value" "$csv" ",cool.client.local,Exchange,"
has "export jsonl: the value" "$("$bin" export "$c" --format jsonl 2>&1)" '"host":"localhost"'
has "export timesketch: the host where no IP" "$("$bin" export "$c" --format timesketch 2>&1)" 'Sign-in by c@x.com app app from vpn-gw.corp.example result Success'
"$bin" mark "$c" 'host!=""' >/dev/null 2>&1
md=$("$bin" export "$c" --format markdown --marked 2>&1)
has "export markdown: host on the event's line" "$md" 'host `cool.client.local`'
has "export markdown: host names among the indicators" "$md" 'Client host names (3):'

# ---- the real samples: no host names there ----
rd=../shared/realdata
if [ -d "$rd" ]; then
	r=$t/real.case
	"$bin" load -q "$r" "$rd" >/dev/null 2>&1
	is "real samples: loaded" "$("$bin" query "$r" --format csv | tail -n +2 | wc -l | awk '$1 > 1000 {print "many"}')" many
	is "real samples: no export carries a host name (XX.XX.XX.XX is none)" "$("$bin" query "$r" 'host!=""' --format csv | tail -n +2 | wc -l)" 0
	is "real samples: their anonymised addresses stay in the raw record only" \
		"$("$bin" query "$r" '"XX.XX.XX.XX" ip="" host=""' --format csv | tail -n +2 | wc -l | awk '$1 > 0 {print "some"}')" some
else
	echo "skip - host: real samples ($rd absent)"
fi

# ---- a case from before the column ----
old=$t/old.case
cp "$c" "$old"
sqlite3 "$old" "ALTER TABLE events DROP COLUMN host; PRAGMA user_version=4;"
is "old case: opens, every event there" "$("$bin" query "$old" --format csv | tail -n +2 | wc -l)" 8
is "old case: a query leaves it as it was" "$(sqlite3 "$old" "SELECT (SELECT user_version FROM pragma_user_version) || ':' || count(*) FROM pragma_table_info('events') WHERE name = 'host'")" "4:0"
is "old case: host is absent for its events" "$("$bin" query "$old" 'host=""' --format csv | tail -n +2 | wc -l)" 8
"$bin" load -q "$old" "$t/signins.csv" "$t/ual.jsonl" >/dev/null 2>&1
is "old case: a load adds the column" "$(sqlite3 "$old" "SELECT (SELECT user_version FROM pragma_user_version) || ':' || count(*) FROM pragma_table_info('events') WHERE name = 'host'")" "17:1"
is "old case: loading again fills nothing twice" "$("$bin" query "$old" --format csv | tail -n +2 | wc -l)" 8

# ---- ClickHouse ----
# a server of its own by default: another suite's may stop under it
. tests/ch_port.sh
ch_private_ports "$t"
export CH_DIR=${CH_DIR:-$B/clickhouse-host}
export CH_HTTP_PORT=${CH_HTTP_PORT:-18133}
export CH_TCP_PORT=${CH_TCP_PORT:-18134}
if ! clickhouse/server.sh status; then
	if ! command -v clickhouse-server >/dev/null; then
		echo "skip - host: clickhouse (no clickhouse-server binary here)"
		exit 0
	fi
	if ! ch_start >/dev/null; then
		nok "host: the ClickHouse server starts on loopback" "see $CH_DIR/log"
		exit 1
	fi
	started=1
fi
chq() { curl -s "http://127.0.0.1:$CH_HTTP_PORT/" --data-binary "$1"; }
db=h$$_$RANDOM
u="clickhouse://127.0.0.1:$CH_HTTP_PORT/$db"
trap 'chq "DROP DATABASE IF EXISTS $db" >/dev/null; cleanup' EXIT
"$bin" load -q "$u" "$t/ual.jsonl" "$t/signins.csv" >/dev/null 2>&1
for f in 'host=cool.client.local' 'hostname=localhost' 'host~corp' 'host!=""' 'host="" ip=""'; do
	is "clickhouse: query $f as SQLite" "$("$bin" query "$u" "$f" --format csv | sort | md5sum)" \
		"$("$bin" query "$c" "$f" --format csv | sort | md5sum)"
done
is "clickhouse: stack host as SQLite" "$("$bin" stack "$u" host --format csv | sort | md5sum)" \
	"$("$bin" stack "$c" host --format csv | sort | md5sum)"
# a database from before the column: the column and the views that copy
# events without it, as an older auditscope made them
chq "DROP TABLE $db.vals_mv" >/dev/null
for p in user:user app:app ip:ip op:"lower(op)" session:session; do
	chq "DROP TABLE $db.ev_${p%%:*}" >/dev/null
done
chq "ALTER TABLE $db.events DROP COLUMN host" >/dev/null
for p in user:user app:app ip:ip op:"lower(op)" session:session; do
	chq "CREATE MATERIALIZED VIEW $db.ev_${p%%:*} ENGINE = MergeTree ORDER BY (${p#*:}, ts, id) POPULATE AS SELECT id, ts, kind, record_id, op, rtype, workload, user, app, client_app, ip, result, session, token, mailbox, access, client_info, detail, op_count, flags, source, line FROM $db.events" >/dev/null
done
is "clickhouse: an older database has no host column" "$(chq "SELECT count() FROM system.columns WHERE database = '$db' AND name = 'host'")" 0
is "clickhouse: an older database opens" "$("$bin" query "$u" user=a@x.com --format csv | tail -n +2 | wc -l)" 4
is "clickhouse: ... and gains the column, in the pivot copies too" "$(chq "SELECT count() FROM system.columns WHERE database = '$db' AND name = 'host'")" 11
sed 's/"Id":"h/"Id":"n/' "$t/ual.jsonl" >"$t/more.jsonl"
"$bin" load -q "$u" "$t/more.jsonl" >/dev/null 2>&1
is "clickhouse: a new load fills it" "$("$bin" query "$u" 'host=cool.client.local user=a@x.com' --format csv | cut -d, -f2 | tail -n +2 | sort | tr '\n' ' ')" "n1 "
is "clickhouse: through the user pivot too" "$("$bin" query "$u" 'user=b@x.com host!=""' --format csv | cut -d, -f2 | tail -n +2 | sort | tr '\n' ' ')" "n5 "
