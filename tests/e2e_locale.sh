#!/usr/bin/env bash
# End-to-end: the responder's own locale changes no meaning. Under a
# Turkish locale (tr_TR.UTF-8, tr_TR.ISO-8859-9) tolower('I') is not 'i',
# so every case-blind comparison of export headers, member names and
# filter fields would fail (an Entra sign-in CSV refused as unknown, the
# real exports' events lost as rejects, 'IP=' an unknown field); under a
# decimal-comma locale (de_DE.UTF-8) printf's %f writes "0,001", which
# is no JSON number. Each locale's case holds the same events as C.UTF-8's,
# its filters name fields in any case, and hunt --format jsonl is JSON.
# The locales are compiled here (localedef, into the test's folder: LOCPATH)
# and skipped where their definitions are not installed.
. "$(dirname "$0")/e2e_lib.sh"
if ! command -v localedef > /dev/null || ! command -v python3 > /dev/null; then
	echo "skip - e2e_locale: localedef or python3 not found"
	exit 0
fi
cd "$t" || exit 1
mkdir loc
export LOCPATH=$t/loc
unset LANG LANGUAGE LC_CTYPE LC_NUMERIC LC_COLLATE LC_MESSAGES LC_TIME
locales=()
for l in tr_TR.UTF-8 tr_TR.ISO-8859-9 de_DE.UTF-8; do
	if localedef -i "${l%%.*}" -f "${l#*.}" "loc/$l" > /dev/null 2>&1 && LC_ALL=$l locale charmap > /dev/null 2>&1; then
		locales+=("$l")
	else
		echo "skip - e2e_locale: the locale $l cannot be compiled here (no /usr/share/i18n?)"
	fi
done
[ ${#locales[@]} -gt 0 ] || exit 0

# an Entra sign-in CSV (its header recognised case-blind: "IP address",
# "Request ID") and UAL records in JSON Lines
printf '%s\r\n' '"Date (UTC)","Request ID","User ID","User","Username","Application","Application ID","IP address","Location","Status"' \
	'"2025-03-18T12:33:24Z","4acc3395-a474-4aea-b77b-88ccac570700","0cb87915-2520-4f16-8d6c-c31877bb65cb","Isaiah Langer","it@contoso.com","Azure Portal","c44b4083-3bb0-49c1-b47d-974e53cbdf3c","203.0.113.9","Istanbul, TR","Success"' \
	> signins.csv
for i in 1 2 3; do
	printf '{"CreationTime":"2025-03-18T12:4%d:00","Id":"u-%d","Operation":"MailItemsAccessed","RecordType":50,"Workload":"Exchange","UserId":"it@contoso.com","ClientIP":"203.0.113.%d","AppId":"00000003-0000-0000-c000-000000000000","MailboxOwnerUPN":"it@contoso.com"}\n' "$i" "$i" "$i"
done > ual.jsonl
ins=(signins.csv ual.jsonl)
with=""
if [ -d "$rd" ]; then
	ins+=("$rd")
	with=" (and the real exports)"
fi

LC_ALL=C.UTF-8 "$bin" load -q c.case "${ins[@]}" > /dev/null 2>&1
want=$(LC_ALL=C.UTF-8 "$bin" export c.case --format jsonl | md5sum)
is "C.UTF-8: the sign-in CSV is read as one" "$(sqlite3 c.case "select format from sources where path = 'signins.csv'")" entra-signin-csv
for l in "${locales[@]}"; do
	LC_ALL=$l "$bin" load -q "$l.case" "${ins[@]}" > /dev/null 2>&1
	is "$l: the sign-in CSV is read as one" "$(sqlite3 "$l.case" "select format from sources where path = 'signins.csv'")" entra-signin-csv
	is "$l: the same events as C.UTF-8's$with" \
		"$(LC_ALL=C.UTF-8 "$bin" export "$l.case" --format jsonl | md5sum)" "$want"
	is "$l: a filter names a field in capitals (IP=)" "$(LC_ALL=$l "$bin" query "$l.case" 'IP=203.0.113.9' 2>&1 | tail -1)" "1 events"
	is "$l: ... and its value in any case (USER=IT@CONTOSO.COM)" \
		"$(LC_ALL=$l "$bin" query "$l.case" 'USER=IT@CONTOSO.COM op=SIGN-IN' 2>&1 | tail -1)" "1 events"
	LC_ALL=$l "$bin" hunt "$l.case" --format jsonl > "$l.hunt" 2>&1
	is "$l: hunt --format jsonl is JSON (a decimal point, whatever the locale)" \
		"$(python3 -c 'import json, sys; print(sum(1 for l in open(sys.argv[1]) if "seconds" in json.loads(l)))' "$l.hunt" 2>&1 | tail -1)" \
		"$(LC_ALL=C.UTF-8 "$bin" hunt c.case --format jsonl | wc -l)"
done
