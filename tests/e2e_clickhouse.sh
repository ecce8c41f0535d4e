#!/usr/bin/env bash
# End-to-end: the ClickHouse store against a real clickhouse-server on
# loopback (its own, on free ports: tests/ch_port.sh; skipped
# with a message where the binary is absent). The same exports go into a
# SQLite case and a ClickHouse database, and the store-independent
# commands must answer the same: query, stack, histogram, messages,
# annotations (mark, tags, notes export/import between two analysts'
# files), on the generated bundle and on the real samples. Then the
# injection boundary (quotes, backslashes, '; DROP, invalid UTF-8 in
# values and filters), regexes RE2 does not have, and failures: a server
# that is down, one that answers with an error, a load killed or a server
# restarted mid-load. Rows with the same time are ordered by event id,
# which differs between stores (load order there, a hash here), so
# outputs are compared as sorted lines.
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
B=$(cd "$BUILD" && pwd)
bin=$B/auditscope
gen=$B/auditgen
t=$(mktemp -d)
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1${2:+ ($2)}"; }
is() { # is NAME GOT WANT (an empty WANT is a broken test, not a pass)
	if [ -n "$3" ] && [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "got '$2', want '$3'"; fi
}

# CH_FLAVOUR=chdb: the same tests on a current ClickHouse, chDB behind
# the HTTP stand-in (tests/chdb_server.sh; make test-chdb), where what
# the stand-in cannot do as a server does is skipped with a message
flavour=${CH_FLAVOUR:-server}
if [ "$flavour" = chdb ]; then
	export CH_SERVER=tests/chdb_server.sh
else
	export CH_SERVER=clickhouse/server.sh
fi
. tests/ch_port.sh
ch_private_ports "$t"
export CH_DIR=${CH_DIR:-$B/clickhouse}
export CH_HTTP_PORT=${CH_HTTP_PORT:-18123}
started=0
if ! "$CH_SERVER" status; then
	if [ "$flavour" = chdb ]; then
		if [ ! -f "${CHDB_LIB:-$B/chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so}" ]; then
			echo "skip - clickhouse (chdb): no libchdb.so here (make test-chdb installs it from npm)"
			rm -rf "$t"
			exit 0
		fi
	elif ! command -v clickhouse-server >/dev/null; then
		echo "skip - clickhouse: no clickhouse-server binary here (make deps installs Debian's)"
		rm -rf "$t"
		exit 0
	fi
	if ! ch_start >/dev/null; then
		nok "clickhouse: the server starts on loopback" "see $CH_DIR/log"
		rm -rf "$t"
		exit 1
	fi
	started=1
fi
base="clickhouse://127.0.0.1:$CH_HTTP_PORT"
db=t$$_$RANDOM
chq() { curl -s "http://127.0.0.1:$CH_HTTP_PORT/" --data-binary "$1"; }
cleanup() {
	for d in "$db" "${db}_real" "${db}_inj" "${db}_bad" "${db}_kill" "${db}_rs" "${db}_edge" "${db}_sr1" \
		"${db}_sr3" "${db}_srb" "${db}_srn"; do
		chq "DROP DATABASE IF EXISTS $d" >/dev/null
	done
	[ "$started" = 1 ] && "$CH_SERVER" stop >/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
is "clickhouse: listens on loopback only" \
	"$(ss -ltnH "( sport = :$CH_HTTP_PORT )" 2>/dev/null | awk '{print $4}' | sed 's/:[0-9]*$//' | sort -u | tr '\n' ' ')" \
	"127.0.0.1 [::1] "

# ---- the generated bundle in both stores ----
"$gen" --bundle "$t/b" --events 4000 >/dev/null 2>&1
S=$t/b.case
U="$base/$db?case=$t/ch.case"
"$bin" load -q "$S" "$t/b" > "$t/ls" 2>&1
"$bin" load -q "$U" "$t/b" > "$t/lc" 2>&1
# the totals line, without its timing
tot() { grep '^loaded' "$1" | sed 's/ in [0-9.]* s, [0-9]* records\/s//'; }
is "load: the same events, duplicates and rejects as SQLite" "$(tot "$t/lc")" "$(tot "$t/ls")"
"$bin" load -q "$U" "$t/b" > "$t/lc2" 2>&1
"$bin" load -q "$S" "$t/b" >/dev/null 2>&1 # (both stores list the second load's sources)
# both stores place the IPs (core/ipgeo.c: the SQLite ipgeo table, the
# ClickHouse one of core/clickhouse/places.c) where geoip/ is installed
is "load again: everything a duplicate, nothing new" \
	"$(grep -o 'loaded [0-9]* new events' "$t/lc2")" "loaded 0 new events"
# the values come from the client (load.c: each batch's distinct values
# into valsin, whose views fill vals and vals_lc): every value of every
# event is in both, and nothing else
vsel="SELECT DISTINCT v FROM $db.events ARRAY JOIN [op, rtype, workload, user, app, client_app, ip, host,\
 result, session, token, mailbox, access, client_info, detail] AS v WHERE v != ''"
is "values: vals holds every value of the events, and no other" \
	"$(chq "SELECT count() FROM ($vsel) WHERE v NOT IN (SELECT v FROM $db.vals)"):$(chq "SELECT count() FROM (SELECT DISTINCT v FROM $db.vals) WHERE v NOT IN ($vsel)"):$(chq "SELECT count() FROM $db.vals WHERE h != if(v = '', toInt64(0), toInt64(bitAnd(cityHash64(v), 9223372036854775807)))")" "0:0:0"
is "values: vals_lc holds each value's lower case with its hash" \
	"$(chq "SELECT count() FROM (SELECT DISTINCT lower(v) AS lv, h FROM $db.vals) WHERE (lv, h) NOT IN (SELECT lv, h FROM $db.vals_lc)"):$(chq "SELECT count() FROM $db.vals_lc WHERE (lv, h) NOT IN (SELECT lower(v), h FROM $db.vals)")" "0:0"
# the pivot copies (store.c): materialized views ev_FIELD on a server
# before 24.8 (18.16), projections p_FIELD of events from 24.8 (chDB
# 26.x), which the server reads for a user= page of events
ver=$(chq "SELECT version()")
pv="'ev_user', 'ev_app', 'ev_ip', 'ev_op', 'ev_session'"
case "$ver" in
[0-9].* | 1[0-9].* | 2[0-3].* | 24.[0-7].*)
	is "pivot copies: materialized views on $ver" \
		"$(chq "SELECT count() FROM system.tables WHERE database = '$db' AND name IN ($pv) AND engine = 'MaterializedView'")" 5
	;;
*)
	is "pivot copies: projections of events on $ver" \
		"$(chq "SELECT count() FROM system.projections WHERE database = '$db' AND table = 'events' AND name IN (${pv//ev_/p_})")" 5
	is "pivot copies: a user= page of events reads the user projection" \
		"$(chq "EXPLAIN projections = 1 SELECT ts, id FROM $db.events WHERE user = 'isaiah.tanaka@contoso.com' ORDER BY ts, id LIMIT 50" | grep -c 'ReadFromMergeTree (p_user)')" 1
	;;
esac
# the store's own tests that need a server (test_clickhouse.c: the time
# range from the spans table, a count's estimate over its budget, many
# events' messages in one request, the sign-in behind an event, the
# server's progress of a query and its cancel, ch_read_ext's answer
# and its frees on an error)
# (on chDB the progress and cancel by query_id are skipped: the
# stand-in cannot give the engine the client's query id)
if [ "$flavour" = chdb ]; then
	export AUDITSCOPE_CH_TEST_CHDB=1
	unit_n=13
else
	unit_n=14
fi
if [ -x "$B/tests/test_clickhouse" ]; then
	if AUDITSCOPE_CH_TEST_URL="$U" AUDITSCOPE_CH_TEST_CASE="$S" "$B/tests/test_clickhouse" > "$t/unit" 2>&1 &&
		grep -q "PASSED.*$unit_n test" "$t/unit"; then
		ok "test_clickhouse against the server ($unit_n tests)"
		[ "$flavour" = chdb ] && echo "skip - clickhouse (chdb): test_server_progress (a query's progress and cancel by the client's query_id)"
	else
		nok "test_clickhouse against the server" "$(grep -m3 -E 'FAIL|ERROR|SKIP' "$t/unit" | tr '\n' ' ')"
	fi
else
	nok "test_clickhouse against the server" "build/tests/test_clickhouse not built"
fi

same() { # same NAME COMMAND ARGS...: sorted output and status equal on both stores
	local name=$1 cmd=$2
	shift 2
	local a b
	a=$("$bin" "$cmd" "$S" "$@" 2>&1; echo "status $?")
	b=$("$bin" "$cmd" "$U" "$@" 2>&1; echo "status $?")
	a=$(sort <<<"$a")
	b=$(sort <<<"$b")
	if [ "$(wc -l <<<"$a")" -lt 2 ]; then
		nok "$name" "no output to compare"
	elif [ "$a" = "$b" ]; then
		ok "$name ($(($(wc -l <<<"$a") - 1)) lines)"
	else
		nok "$name" "$(diff <(echo "$a") <(echo "$b") | head -4 | tr '\n' ' ')"
	fi
}
for f in "" "user=isaiah.tanaka@contoso.com" "op=MailItemsAccessed" "op=mailitemsaccessed ip=81.119.86.0/24" \
	"ip=2001:db8::/32" "app=9199bf20-a13f-4107-85dc-02114787ef48 -op=MailItemsAccessed" \
	"kind=signin result!=0" "op~^(New|Set)-InboxRule" "user~^ADM" "time>=2023-06-20 time<2023-06-21" \
	"time>=-2d" "workload=exchange or workload=sharepoint" "not (user=\"\" or ip=\"\")" "op_count>5" \
	"session=\"\" kind=ual" "source=purview-portal.csv" "record_type=50" "forward" "raw~\"ForwardTo.*@\"" \
	"kind~^sign" "line<3" 'kind=""' 'kind!=""' 'not kind="" op=Send' 'kind=signin,""'; do
	same "query '$f'" query $f
done
# kind="" is the kind absent, as field="" is for every field: nothing has
# no kind, so it matches nothing and kind!="" every event (both stores)
is "query kind!=\"\": every event" "$("$bin" query "$U" 'kind!=""' --format jsonl 2>&1 | wc -l)" \
	"$("$bin" query "$U" "" --format jsonl 2>&1 | wc -l)"
# json.PATH and sigma. terms: matched on the client over the candidates
# the SQL narrows (compile.c, query.c), alone, beside SQL terms in the
# top-level "and", mixed under "or"/"not" (the SQL parts read as
# columns), absent, negated, Name/Value arrays, keywords
for f in "json.ResultStatus=Succeeded" "json.ClientInfoString~REST" "json.Parameters.ForwardTo~@" \
	"json.Parameters.ForwardTo=\"\"" "json.ResultStatus!=Succeeded" "json.ClientInfoString!~REST" \
	"sigma.Operation|contains=New-InboxRule,Set-InboxRule" "sigma.ResultType!=0" "sigma|contains=listKeys" \
	"json.ResultStatus=Succeeded user~^adm" "op=MailItemsAccessed json.ClientInfoString~Outlook" \
	"user~^adm or json.ClientInfoString~REST" "not (json.ResultStatus=Succeeded or op=MailItemsAccessed)" \
	"kind=signin sigma.ResultType!=0" "(sigma.ResultType!=0 or app~^0) -json.ClientInfoString~REST" \
	"json.ResultStatus=nothing-has-this"; do
	same "query '$f'" query $f
done
same "query --desc --limit 7 (pages back over client matches)" query --desc --limit 7 "json.ClientInfoString~REST"
same "query --limit 7 (pages over client matches)" query --limit 7 "sigma.ResultType!=0"
same "stack user json.=" stack user "json.ResultStatus=Succeeded"
same "stack op under sigma. or json." stack op "sigma.ResultType!=0 or json.ClientInfoString~REST"
# stacks of json.PATH read each event's raw record (query.c: scan_raw):
# alone, beside a field, Name/Value arrays, under SQL and json. filters
same "stack json.Operation" stack json.Operation
same "stack json.Parameters.ForwardTo (Name/Value arrays)" stack json.Parameters.ForwardTo
same "stack app,json.ResultStatus" stack app,json.ResultStatus
same "stack json. under a filter" stack mailbox,json.Operation "op=MailItemsAccessed user~^i"
same "stack json. under json. and sigma. filters" stack json.ClientInfoString \
	"json.ResultStatus=Succeeded or sigma.ResultType!=0"
same "histogram json.~" histogram "json.ClientInfoString~REST"
same "messages json.=" messages "json.ResultStatus=Succeeded"
same "export --format csv json.=" export --format csv "json.ResultStatus=Succeeded"
a=$("$bin" query "$S" 'json.X~(.*a){25}' 2>&1 >/dev/null | sed "s|$S|CASE|")
b=$("$bin" query "$U" 'json.X~(.*a){25}' 2>&1 >/dev/null | sed "s|${U%%\?*}|CASE|")
is "json.~ past its match limit: the same error" "$b" "$a"
for fl in user op ip mailbox workload client_info session source; do
	same "stack $fl" stack "$fl"
done
same "stack op under a filter" stack op "user~^(adm|isaiah)"
same "stack app (with the apps' names)" stack app
same "coverage" coverage
same "stack client_app" stack client_app
# the whole case's stacks of a few fields are kept as aggregate states
# (store.c: stacks); the stacks above came from there
is "stacks: the kept stack of app counts every event" \
	"$(chq "SELECT countMerge(n) FROM $db.stacks WHERE f = 1")" "$(chq "SELECT count() FROM $db.events")"
# event ids lead with a hash of their operation (store.c: ch_event_id), so
# that raw, ordered by id, keeps each operation's records together
is "event ids: one leading part per operation" \
	"$(chq "SELECT count() FROM (SELECT lower(op) AS o, uniqExact(bitShiftRight(id, 47)) AS k FROM $db.events
		GROUP BY o) WHERE k != 1")" "0"
# hunts, through the storage interface's reads (value_find, pick, raw_each)
same "hunt (every hunt and its hits)" hunt
for h in rare-apps sync-access throttled inbox-rules forwarding oauth-consent signin-then-mail \
	failed-then-success anti-forensics; do
	same "hunt $h" hunt "$h"
done
# (new-app-for-mailbox lists a row's IPs in value-id order, which differs
# between the stores, and token-replay's IP lists and countries too:
# compared on what does not depend on that order)
a=$("$bin" hunt "$S" new-app-for-mailbox --format csv 2>&1 | cut -d, -f1-7 | sort)
b=$("$bin" hunt "$U" new-app-for-mailbox --format csv 2>&1 | cut -d, -f1-7 | sort)
is "hunt new-app-for-mailbox (rows without their IP lists)" "$b" "$a"
# a database without the kept stacks (from before them, or a load replaced
# events: load.c drops them): stacks from the events, as before
chq "DROP TABLE $db.stacks_mv" >/dev/null
chq "DROP TABLE $db.stacks" >/dev/null
same "stack app without the kept stacks" stack app
same "stack op without the kept stacks" stack op
# a database from before vals_lc (the values by their lower case, which
# the hunts' lookups of operations by name read): the first open makes it
# and fills it from vals; the hunts answer as before
chq "DROP TABLE $db.vals_lc_mv" >/dev/null
chq "DROP TABLE $db.vals_lc" >/dev/null
same "hunt on a database without vals_lc (made again when opened)" hunt
is "vals_lc: filled again from vals on open" \
	"$(chq "SELECT uniqExact(h) = (SELECT uniqExact(h) FROM $db.vals) FROM $db.vals_lc")" "1"
# the hunts' groups (store.c: hgrp, aggregate states fed from hev, which
# ch_gather reads): hev's own groups, every event in one; the bundle's
# load replaced stored copies with richer ones (mutations), which drops
# hgrp and makes it again from hev at the load's end
hkey="kind, flags, h_op, h_user, h_app, h_client_app, h_ip, h_mailbox, h_access, h_result"
hgrp_is_hev() {
	is "$1" "$(chq "SELECT count(), sum(c), sum(t) FROM (SELECT toUInt64(countMerge(n)) AS c,
		maxMerge(hi) - minMerge(lo) AS t FROM $db.hgrp GROUP BY $hkey)")" \
		"$(chq "SELECT count(), sum(c), sum(t) FROM (SELECT count() AS c, max(ts) - min(ts) AS t
		FROM $db.hev GROUP BY $hkey)")"
}
is "the bundle's load replaced richer copies" "$(chq "SELECT count() > 0 FROM system.mutations
	WHERE database = '$db' AND command LIKE '%DELETE WHERE%'")" 1
hgrp_is_hev "hgrp after a load that replaced copies: hev's groups"
# a database from before hgrp: the first open makes it, filled from hev;
# the hunts answer as before
chq "DROP TABLE $db.hgrp_mv" >/dev/null
chq "DROP TABLE $db.hgrp" >/dev/null
same "hunt on a database without hgrp (made again when opened)" hunt
hgrp_is_hev "hgrp: filled again from hev on open"
# sessions across logs (core/session_any.c: the joins through filters)
sid=$("$bin" stack "$S" session --format csv "kind=signin" | sed -n 2p | cut -d, -f1)
rid=$("$bin" query "$S" "kind=ual session=$sid" --format csv | sed -n 2p | cut -d, -f2)
same "session by session id" session "$sid"
same "session by a UAL record's id" session "$rid"
same "session of nothing" session "no-such-identifier"
same "histogram" histogram
same "histogram user=" histogram "user=isaiah.tanaka@contoso.com"
same "histogram --bucket 1h op~Inbox" histogram --bucket 1h "op~Inbox"
same "messages" messages
same "messages user=" messages "user~^f"
same "query --format jsonl (rows, every field)" query --format jsonl "op=MailItemsAccessed"

# ---- the hunts' pass grouped on the server: edge cases ----
# On ClickHouse the scanning hunts get alike events gathered by the server
# (pick.c: ch_gather; sign-ins, Sync reads and throttled events alone) and
# the reused sessions and tokens from a GROUP BY (ch_reused). Events made
# for the edges: several events at the same millisecond in one group and
# across groups, empty IP, app, client app and mailbox, a baseline falling
# on a group's events, windows of exactly an hour and an hour and 1 ms, a
# session seen from two IPs and once without one. Every hunt, with and
# without a baseline, and the events behind their findings (marked) must
# be SQLite's.
mkdir -p "$t/edge"
ual() { # ual TIME ID OP USER IP APP CLIENT_APP MAILBOX ACCESS THROTTLED SESSION TOKEN
	printf '{"CreationTime":"%s","Id":"%s","Operation":"%s","RecordType":50,"Workload":"Exchange","ResultStatus":"Succeeded","UserId":"%s","ClientIP":"%s","AppId":"%s","ClientAppId":"%s","MailboxOwnerUPN":"%s","SessionId":"%s","AppAccessContext":{"UniqueTokenId":"%s"},"OperationProperties":[{"Name":"MailAccessType","Value":"%s"},{"Name":"IsThrottled","Value":"%s"}]}\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "${11}" "${12}" "$9" "${10}"
}
logon() { # logon TIME ID OP USER IP
	printf '{"CreationTime":"%s","Id":"%s","Operation":"%s","RecordType":15,"Workload":"AzureActiveDirectory","ResultStatus":"Success","UserId":"%s","ClientIP":"%s"}\n' \
		"$1" "$2" "$3" "$4" "$5"
}
OWA=00000002-0000-0ff1-ce00-000000000000
ROGUE=d3adbeef-0000-4000-8000-00000000e0e0
M=MailItemsAccessed
{
	# alice's own reads: three at the same millisecond, one an hour on
	# (the baseline below falls on it), one without an IP, one without an
	# app, one without a mailbox, a Sync pair at one time, a throttled one
	for i in 1 2 3; do ual 2024-03-01T00:00:00 e1-$i $M alice@x.com 10.0.0.1 $OWA "" alice@x.com Bind False s1 t1; done
	ual 2024-03-01T01:00:00 e2 $M alice@x.com 10.0.0.1 $OWA "" alice@x.com Bind False s1 t1
	ual 2024-03-01T01:00:00 e2b $M alice@x.com 10.0.0.2 $OWA "" alice@x.com Bind False s1 t2
	ual 2024-03-01T02:00:00 e3 $M alice@x.com "" $OWA "" alice@x.com Bind False s1 t2
	ual 2024-03-01T02:00:00 e4 $M alice@x.com 10.0.0.1 "" "" alice@x.com Bind False "" ""
	ual 2024-03-01T02:00:00 e5 $M alice@x.com 10.0.0.1 $OWA $ROGUE "" Bind False "" ""
	ual 2024-03-01T03:00:00 e6 $M alice@x.com 10.0.0.1 $OWA "" alice@x.com Sync False s2 ""
	ual 2024-03-01T03:00:00 e7 $M alice@x.com 10.0.0.1 $OWA "" alice@x.com Sync False s2 ""
	ual 2024-03-01T04:00:00 e8 $M alice@x.com 10.0.0.1 $OWA "" alice@x.com Bind True "" ""
	# a day on: bob reads alice's mailbox with an app new to the case, twice
	# at one millisecond, then half an hour later from another IP
	ual 2024-03-02T02:00:00 r1 $M bob@x.com 203.0.113.9 $ROGUE "" alice@x.com Bind False s3 t3
	ual 2024-03-02T02:00:00 r2 $M bob@x.com 203.0.113.9 $ROGUE "" alice@x.com Bind False s3 t3
	ual 2024-03-02T02:30:00 r3 $M bob@x.com 203.0.113.10 $ROGUE "" alice@x.com Bind False s3 t3
	# bob's history, failures from a new IP, a success exactly an hour
	# after the first; carol's success an hour and a second after hers
	logon 2024-03-01T00:30:00 h1 UserLoggedIn bob@x.com 10.0.0.5
	logon 2024-03-01T00:30:00 h2 UserLoggedIn carol@x.com 10.0.0.6
	ual 2024-03-01T00:40:00 h3 $M carol@x.com 10.0.0.6 $OWA "" carol@x.com Bind False "" ""
	for i in 0 1 2; do logon 2024-03-02T06:0$i:00 f$i UserLoginFailed bob@x.com 198.51.100.7; done
	logon 2024-03-02T07:00:00 f9 UserLoggedIn bob@x.com 198.51.100.7
	for i in 0 1 2; do logon 2024-03-02T08:0$i:00 g$i UserLoginFailed carol@x.com 198.51.100.8; done
	logon 2024-03-02T09:00:01 g9 UserLoggedIn carol@x.com 198.51.100.8
	# carol signs in from a new IP; mail from it exactly an hour later and
	# an hour and a millisecond later
	logon 2024-03-03T10:00:00 n1 UserLoggedIn carol@x.com 192.0.2.44
	ual 2024-03-03T11:00:00.000 n2 $M carol@x.com 192.0.2.44 $OWA "" carol@x.com Bind False "" ""
	ual 2024-03-03T11:00:00.001 n3 $M carol@x.com 192.0.2.44 $OWA "" carol@x.com Bind False "" ""
	# five accounts failing from one IP in a day (a millisecond apart: at
	# one time the stores list them in their own id order)
	i=0
	for u in a b c d e; do
		logon 2024-03-04T00:00:00.00$i p$u UserLoginFailed $u@x.com 198.51.100.99
		i=$((i + 1))
	done
} > "$t/edge/ual.jsonl"
SE=$t/edge.case
UE="$base/${db}_edge?case=$t/edge-ch.case"
"$bin" load -q "$SE" "$t/edge" >/dev/null 2>&1
"$bin" load -q "$UE" "$t/edge" >/dev/null 2>&1
is "edge cases: the hunts' pass is grouped on the server (hev made at creation)" \
	"$(chq "SELECT count() FROM ${db}_edge.hev")" "$(chq "SELECT count() FROM ${db}_edge.events")"
S0=$S U0=$U
S=$SE U=$UE
# the same hunts without the server's grouping (the ops without gather
# and reused: every event through the client, the same event ids): the
# same rows and the same events behind each, with and without a baseline
# on the group of events at 01:00 (test_clickhouse.c)
if [ -x "$B/tests/test_clickhouse" ]; then
	for u in "$UE" "$U0"; do
		AUDITSCOPE_CH_TEST_HUNTS=$u AUDITSCOPE_CH_TEST_BASELINE=$([ "$u" = "$UE" ] && echo 1709254800000) \
			"$B/tests/test_clickhouse" > "$t/unit-hunts" 2>&1
		if grep -q 'OK \] test_server_hunts_gathered' "$t/unit-hunts"; then
			ok "hunts grouped on the server = the client's pass ($([ "$u" = "$UE" ] && echo edge cases || echo bundle))"
		else
			nok "hunts grouped on the server = the client's pass" \
				"$(grep -m3 -E 'FAIL|ERROR|SKIP|expected|!=' "$t/unit-hunts" | tr '\n' ' ')"
		fi
	done
fi
same "edge: every hunt and its hits" hunt
same "edge: every hunt, baseline on a group's events" hunt --baseline-until 2024-03-01T01:00:00
for h in rare-apps new-app-for-mailbox sync-access throttled token-replay signin-then-mail \
	failed-then-success password-spray; do
	same "edge: hunt $h" hunt "$h"
	same "edge: hunt $h --baseline-until" hunt "$h" --baseline-until 2024-03-01T01:00:00
	for c in "$S" "$U"; do "$bin" hunt "$c" "$h" --mark --tag "e-$h" >/dev/null 2>&1; done
	same "edge: the events behind hunt $h's findings" query --format csv "tag=e-$h"
done
# a record stored twice in raw (a load killed between its raw and its
# events, until the server merges them) counts once in a json. stack
chq "INSERT INTO ${db}_edge.raw SELECT id, raw FROM ${db}_edge.raw" >/dev/null
is "edge: raw holds every record twice" "$(chq "SELECT count() - 2 * uniqExact(id) FROM ${db}_edge.raw")" 0
same "edge: stack json.Operation over records stored twice" stack json.Operation
same "edge: stack json.OperationProperties.MailAccessType" stack user,json.OperationProperties.MailAccessType
S=$S0 U=$U0

# ---- annotations: the SQLite file beside the database ----
for c in "$S" "$U"; do
	"$bin" mark "$c" "op~InboxRule" --tag rules --note "rule change" >/dev/null 2>&1
	"$bin" mark "$c" "user=isaiah.tanaka@contoso.com op=Send" --tag "exfil's" >/dev/null 2>&1
done
same "query marked" query marked
same "query tag=rules" query "tag=rules"
same "query tag=\"exfil's\" (a quote in a tag)" query "tag=exfil's"
same "query not tag=\"\"" query "-tag=\"\""
"$bin" notes export "$U" -o "$t/notes.jsonl" >/dev/null 2>&1
U2="$base/$db?case=$t/second.case"
"$bin" notes import "$U2" "$t/notes.jsonl" >/dev/null 2>&1
is "notes: a second analyst's file on the same database sees the first's marks" \
	"$("$bin" query "$U2" marked | tail -1)" "$("$bin" query "$S" marked | tail -1)"
"$bin" mark "$U2" "op=Send" --tag second >/dev/null 2>&1
# exports: every format, all and bookmarked only; the notes' times differ
# (they were written separately), and so do the report's title and time
y=$(date -u +%Y)
strip() { S="$S" U="$U" perl -pe "s/$y-\d\d-\d\dT[\d:.]+Z/T/g; s/'?\Q\$ENV{U}\E'?/CASE/g; s/'?\Q\$ENV{S}\E'?/CASE/g" |
	grep -vE '^# Audit log report|^Prepared by|^\| [0-9]+ \| `|^From the bookmarked events, each once'; }
# (jsonl's seen_in[].raw: the record of a copy a richer one replaced,
# kept in both stores)
for fmt in csv jsonl timesketch markdown; do
	for m in "" --marked; do
		a=$("$bin" export "$S" --format $fmt $m 2>&1 | strip | sort)
		b=$("$bin" export "$U" --format $fmt $m 2>&1 | strip | sort)
		is "export --format $fmt $m ($(wc -l <<<"$a") lines)" "$b" "$a"
	done
done
is "notes: each analyst's marks stay in their own file" \
	"$("$bin" query "$U" tag=second 2>&1 | tail -1)" "0 events"

# ---- evidence kept: the records of copies richer ones replaced ----
# The same record three times, each copy telling more (the UAL's, then
# with the IP, then Sentinel's row): the event becomes the richest copy
# and the two it replaced keep their records, byte for byte, in seenraw
# (load.c), read through the seen rows' raw ids as a case file reads
# its own (export jsonl's seen_in[].raw). Loaded one file a load, all in
# one load, and one in a batch of its own (AUDITSCOPE_CH_BATCH=1: the
# second copy is in the database when the third replaces it)
sr=$t/sr
mkdir -p "$sr"
printf '%s\n' '{"CreationTime":"2021-08-02T13:32:07","Id":"rec-1","Operation":"MailItemsAccessed","UserId":"u@x.com","Marker":"FIRST"}' > "$sr/c1.jsonl"
printf '%s\n' '{"CreationTime":"2021-08-02T13:32:07","Id":"rec-1","Operation":"MailItemsAccessed","UserId":"u@x.com","ClientIP":"1.2.3.4","Workload":"Exchange","Marker":"SECOND"}' > "$sr/c2.jsonl"
printf '%s\n' '{"TimeGenerated":"2021-08-02T13:32:07Z","OfficeId":"rec-1","Operation":"MailItemsAccessed","RecordType":"50","OfficeWorkload":"Exchange","UserId":"u@x.com","Client_IPAddress":"1.2.3.4","SessionId":"s-9","ClientAppId":"app-1","AppId":"app-2","MailboxOwnerUPN":"u@x.com","ResultStatus":"Succeeded","Marker":"THIRD"}' > "$sr/c3.jsonl"
seen_of() { "$bin" export "$1" --format jsonl 2>&1 | jq -c '[.record_id, [.seen_in[] | [(.path | sub(".*/"; "")), .line, .raw]]]'; }
want_seen=$(printf '%s' '["rec-1",[["c1.jsonl",1,{"CreationTime":"2021-08-02T13:32:07","Id":"rec-1","Operation":"MailItemsAccessed","UserId":"u@x.com","Marker":"FIRST"}],' \
	'["c2.jsonl",1,{"CreationTime":"2021-08-02T13:32:07","Id":"rec-1","Operation":"MailItemsAccessed","UserId":"u@x.com","ClientIP":"1.2.3.4","Workload":"Exchange","Marker":"SECOND"}]]]')
for k in 1 2 3; do
	"$bin" load -q "$sr/s1.case" "$sr/c$k.jsonl" >/dev/null 2>&1
	"$bin" load -q "$base/${db}_sr1?case=$sr/u1.case" "$sr/c$k.jsonl" >/dev/null 2>&1
done
is "seen raw: a case file keeps both replaced copies' records (one load each)" "$(seen_of "$sr/s1.case")" "$want_seen"
is "seen raw: ClickHouse keeps them too, the same (one load each)" \
	"$(seen_of "$base/${db}_sr1?case=$sr/u1.case")" "$want_seen"
"$bin" load -q "$base/${db}_sr3?case=$sr/u3.case" "$sr"/c1.jsonl "$sr"/c2.jsonl "$sr"/c3.jsonl >/dev/null 2>&1
is "seen raw: ClickHouse, the three in one load (replaced within a batch)" \
	"$(seen_of "$base/${db}_sr3?case=$sr/u3.case")" "$want_seen"
AUDITSCOPE_CH_BATCH=1 "$bin" load -q "$base/${db}_srb?case=$sr/ub.case" "$sr"/c1.jsonl "$sr"/c2.jsonl \
	"$sr"/c3.jsonl >/dev/null 2>&1
is "seen raw: ClickHouse, the three in one load, a batch each" \
	"$(seen_of "$base/${db}_srb?case=$sr/ub.case")" "$want_seen"
is "seen raw: the event is the richest copy, once" \
	"$("$bin" query "$base/${db}_srb?case=$sr/ub.case" --format jsonl --raw 2>&1 | jq -r '.raw.Marker // .raw' | tr '\n' ' ')" "THIRD "
# a richer export replacing more stored events than one statement's text
# can name (256 KB: about 12,000 ids): the deletes go in slices, the
# records are copied by ids sent as data
awk 'BEGIN { for (i = 0; i < 13000; i++) printf "{\"CreationTime\":\"2021-08-02T%02d:%02d:%02d\",\"Id\":\"n-%d\",\"Operation\":\"MailItemsAccessed\",\"UserId\":\"u@x.com\",\"Marker\":\"POOR-%d\"}\n", i / 3600, i / 60 % 60, i % 60, i, i }' > "$sr/n1.jsonl"
awk 'BEGIN { for (i = 0; i < 13000; i++) printf "{\"TimeGenerated\":\"2021-08-02T%02d:%02d:%02dZ\",\"OfficeId\":\"n-%d\",\"Operation\":\"MailItemsAccessed\",\"UserId\":\"u@x.com\",\"Client_IPAddress\":\"1.2.3.4\",\"SessionId\":\"s-9\",\"OfficeWorkload\":\"Exchange\",\"Marker\":\"RICH-%d\"}\n", i / 3600, i / 60 % 60, i % 60, i, i }' > "$sr/n2.jsonl"
UN="$base/${db}_srn?case=$sr/un.case"
"$bin" load -q "$UN" "$sr/n1.jsonl" >/dev/null 2>&1
"$bin" load -q "$UN" "$sr/n2.jsonl" > "$sr/ln" 2>&1
is "seen raw: 13,000 stored events replaced by richer copies in one load" \
	"$(grep -oE 'loaded [0-9]+ new events|[0-9]+ duplicates' "$sr/ln" | tr '\n' ' ')" \
	"loaded 0 new events 13000 duplicates "
is "seen raw: each of the 13,000 keeps its first copy's record" \
	"$("$bin" export "$UN" --format jsonl 2>&1 | jq -r '(.seen_in[0].raw.Marker // "none") + " " + .record_id' |
		awk '{ split($1, m, "-"); split($2, r, "-"); if (m[1] == "POOR" && m[2] == r[2]) ok++; n++ } END { print ok + 0 "/" n }')" \
	"13000/13000"

# ---- injection: values match literally ----
inj=$t/inj.jsonl
printf '%s\n' \
	'{"Id":"i1","CreationTime":"2023-06-01T10:00:00","Operation":"Send","UserId":"o'"'"'brien@x.com","ClientIP":"1.2.3.4","Workload":"Exchange"}' \
	'{"Id":"i2","CreationTime":"2023-06-01T10:00:01","Operation":"Send","UserId":"back\\\\slash@x.com","ClientIP":"1.2.3.4","Workload":"Exchange"}' \
	'{"Id":"i3","CreationTime":"2023-06-01T10:00:02","Operation":"Send","UserId":"'"'"'; DROP TABLE events; --","ClientIP":"1.2.3.4","Workload":"Exchange"}' \
	'{"Id":"i4","CreationTime":"2023-06-01T10:00:03","Operation":"Send","UserId":"caf\u00e9\\\\'"'"'@x.com","ClientIP":"1.2.3.4","Workload":"Exchange"}' \
	'{"Id":"i5","CreationTime":"2023-06-01T10:00:04","Operation":"Send","UserId":"nul\u0000byte@x.com","ClientIP":"1.2.3.4","Workload":"Exchange"}' \
	> "$inj"
printf '{"Id":"i6","CreationTime":"2023-06-01T10:00:05","Operation":"Send","UserId":"bad\xff\xfeutf8@x.com","ClientIP":"1.2.3.4","Workload":"Exchange"}\n' >> "$inj"
SI=$t/inj.case
UI="$base/${db}_inj?case=$t/inj-ch.case"
"$bin" load -q "$SI" "$inj" >/dev/null 2>&1
"$bin" load -q "$UI" "$inj" >/dev/null 2>&1
S_save=$S U_save=$U
S=$SI U=$UI
same "injection: the hostile users load alike" query
same "injection: user=\"o'brien@x.com\"" query "user=\"o'brien@x.com\""
same "injection: a backslash" query 'user="back\\slash@x.com"'
same "injection: '; DROP" query "user=\"'; DROP TABLE events; --\""
same "injection: ~ with quotes and backslashes" query "user~\\\\'"
same "injection: invalid UTF-8 in a filter" query "user=$(printf 'bad\xff\xfeutf8@x.com')"
same "injection: stack user" stack user
# the same values through json./sigma. terms (matched on the client; the
# literals that narrow on the server go through ch_quote): each must
# find its hostile row, on both stores alike
hit() { # hit NAME FILTER: the same rows on both stores, at least one
	local a b
	a=$("$bin" query "$S" "$2" --format csv 2>&1; echo "status $?")
	b=$("$bin" query "$U" "$2" --format csv 2>&1; echo "status $?")
	if [ "$(grep -c '^2023-' <<<"$a")" -lt 1 ]; then
		nok "$1" "no row on SQLite: $(tail -2 <<<"$a" | tr '\n' ' ')"
	elif [ "$(sort <<<"$a")" = "$(sort <<<"$b")" ]; then
		ok "$1 ($(grep -c '^2023-' <<<"$a") rows)"
	else
		nok "$1" "$(diff <(sort <<<"$a") <(sort <<<"$b") | head -4 | tr '\n' ' ')"
	fi
}
hit "injection: a backslash (rows)" 'user="back\\\\slash@x.com"'
# a NUL is shown as \x00 (sanitize_nul); that text typed back, or made by
# a click on the cell, names the value with the NUL on both stores
hit "injection: user= of a value shown with \\x00 for its NUL" 'user=nul\x00byte@x.com'
hit "injection: user= of it among others, any case" 'user=NUL\x00BYTE@x.com,nobody@x.com'
hit "injection: json. with a quote" "json.UserId=\"o'brien@x.com\""
hit "injection: json. with backslashes" 'json.UserId="back\\\\slash@x.com"'
hit "injection: json. '; DROP" "json.UserId=\"'; DROP TABLE events; --\""
hit "injection: json.~ with quotes and backslashes" "json.UserId~\\\\'"
hit "injection: json. invalid UTF-8" "json.UserId=$(printf 'bad\xff\xfeutf8@x.com')"
hit "injection: json.~ over a NUL" 'json.UserId~^nul.byte'
hit "injection: json. '; DROP in the path and the value" \
	"json.UserId=\"'; DROP TABLE events; --\" or json.User'Id=\"'; DROP TABLE events; --\""
hit "injection: sigma. '; DROP" "sigma.UserId|contains=\"'; DROP TABLE\""
hit "injection: sigma. backslashes" 'sigma.UserId="back\\\\\\\\slash@x.com"'
hit "injection: sigma keywords with a quote" "sigma|contains=\"o'brien\""
hit "injection: sigma. invalid UTF-8" "sigma.UserId|startswith=$(printf 'bad\xff')"
is "injection: the events table is still there" "$(chq "SELECT count() FROM ${db}_inj.events")" "6"
S=$S_save U=$U_save

# ---- regexes RE2 does not have: a filter error naming the column ----
out=$("$bin" query "$U" 'user~^a(?=b)' 2>&1)
rc=$?
is "regex: look-ahead is refused with a filter error naming the column" \
	"$rc:$(grep -c 'user~: look-ahead' <<<"$out")" "2:1"
out=$("$bin" query "$U" 'raw~(a)\1' 2>&1)
is "regex: a back-reference over raw is refused" "$(grep -c 'raw~: back-reference' <<<"$out")" 1
is "regex: (?i) as a prefix matches as (?i:...) does" \
	"$("$bin" query "$U" 'op~(?i)^mailitems' | tail -1)" "$("$bin" query "$S" 'op~(?i)^mailitems' | tail -1)"

# ---- failures: one clear line ----
out=$("$bin" query "clickhouse://127.0.0.1:1/x?case=$t/down.case" 2>&1)
rc=$?
is "server down: one line, status 1" "$rc:$(wc -l <<<"$out"):$(grep -c 'cannot reach the server' <<<"$out")" "1:1:1"
chq "CREATE DATABASE ${db}_bad" >/dev/null
chq "CREATE TABLE ${db}_bad.events (x Int8) ENGINE = Memory" >/dev/null
out=$("$bin" query "$base/${db}_bad?case=$t/bad.case" 2>&1)
is "server error: one line with ClickHouse's Code" \
	"$(grep -c '^auditscope: ' <<<"$out"):$(grep -cE "^auditscope: clickhouse://127.0.0.1:$CH_HTTP_PORT/${db}_bad: Code: [0-9]+: " <<<"$out")" "1:1"
out=$("$bin" query "$base/nosuchdb$$?case=$t/none.case" 2>&1)
is "no such database: says so" "$(grep -c 'no auditscope events in this database' <<<"$out")" 1
out=$("$bin" query "clickhouse://u:secret@127.0.0.1/x" 2>&1)
is "credentials in the URL are refused, not echoed" "$(grep -c AUDITSCOPE_CH_USER <<<"$out"):$(grep -c secret <<<"$out")" "1:0"

# ---- a load killed mid-way, then run again ----
"$gen" --format jsonl --events 20000 --seed 7 -o "$t/big.json" >/dev/null 2>&1
export AUDITSCOPE_CH_BATCH=1000 # twenty batches
SB=$t/big.case
"$bin" load -q "$SB" "$t/big.json" >/dev/null 2>&1
want=$("$bin" query "$SB" --format jsonl 2>/dev/null | wc -l)
UK="$base/${db}_kill?case=$t/kill.case"
"$bin" load -q "$UK" "$t/big.json" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do
	n=$(chq "SELECT count() FROM ${db}_kill.events" 2>/dev/null)
	case "$n" in '' | 0 | *[!0-9]*) sleep 0.1 ;; *) break ;; esac
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
# an INSERT the client had sent whole before it died still lands: the
# server finishes it on its own (seen under load: mid 1000, then 2000
# found by the re-run), so mid is the count once it stops moving
mid=$(chq "SELECT count() FROM ${db}_kill.events")
for _ in $(seq 1 50); do
	sleep 0.2
	n=$(chq "SELECT count() FROM ${db}_kill.events")
	[ "$n" = "$mid" ] && break
	mid=$n
done
"$bin" load -q "$UK" "$t/big.json" > "$t/lk" 2>&1
got=$(chq "SELECT count() FROM ${db}_kill.events")
is "killed load: committed batches kept ($mid of $want), a re-run completes it" "$got" "$want"
is "killed load: the re-run counts what it found as duplicates" \
	"$(grep -o '[0-9]* duplicates' "$t/lk" | grep -o '^[0-9]*')" "$mid"
is "killed load: no event twice" "$(chq "SELECT count() - uniqExact(id) FROM ${db}_kill.events")" 0

# ---- the server restarted mid-load (only a server this test started) ----
if [ "$started" = 1 ]; then
	UR="$base/${db}_rs?case=$t/rs.case"
	AUDITSCOPE_CH_RETRY=60 "$bin" load -q "$UR" "$t/big.json" > "$t/lr" 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do
		n=$(chq "SELECT count() FROM ${db}_rs.events" 2>/dev/null)
		case "$n" in '' | 0 | *[!0-9]*) sleep 0.1 ;; *) break ;; esac
	done
	"$CH_SERVER" stop >/dev/null
	sleep 1
	"$CH_SERVER" start >/dev/null
	wait "$pid"
	rc=$?
	if [ "$rc" = 0 ]; then
		is "server restarted mid-load: the load waits, resends and completes" \
			"$(chq "SELECT count() FROM ${db}_rs.events")" "$want"
	else
		# it gave up: one error line (warnings, such as no IP database
		# in a tree without geoip/, are not that line), then a re-run
		# completes
		"$bin" load -q "$UR" "$t/big.json" >/dev/null 2>&1
		is "server restarted mid-load: one line, a re-run completes" \
			"$(grep -v '^auditscope: warning: ' "$t/lr" | grep -c '^auditscope: '):$(chq "SELECT count() FROM ${db}_rs.events")" \
			"1:$want"
	fi
	is "server restarted mid-load: no event twice" "$(chq "SELECT count() - uniqExact(id) FROM ${db}_rs.events")" 0
else
	echo "skip - clickhouse: restart mid-load (the server was not started by this test)"
fi

# ---- the real samples ----
rd=${AUDITSCOPE_REALDATA:-../shared/realdata}
if [ -d "$rd" ]; then
	S=$t/real.case
	U="$base/${db}_real?case=$t/real-ch.case"
	"$bin" load -q "$S" "$rd" > "$t/rs" 2>&1
	"$bin" load -q "$U" "$rd" > "$t/rc" 2>&1
	is "real samples: the same load totals" "$(tot "$t/rc")" "$(tot "$t/rs")"
	same "real samples: query" query
	same "real samples: query op=New-InboxRule" query "op=New-InboxRule"
	same "real samples: query kind=signin" query "kind=signin"
	same "real samples: stack user" stack user
	same "real samples: stack ip" stack ip
	for f in json.Operation json.category json.properties.status.errorCode json.Parameters.Identity \
		user,json.Workload; do
		same "real samples: stack $f" stack "$f"
	done
	same "real samples: stack json.ResultType kind=signin" stack json.ResultType "kind=signin"
	same "real samples: histogram" histogram
	same "real samples: messages" messages
else
	echo "skip - clickhouse: real samples ($rd absent)"
fi
