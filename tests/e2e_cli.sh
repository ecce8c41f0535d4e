#!/usr/bin/env bash
# End-to-end: the command line as a whole: every listing command's CSV is
# formula-safe through the one writer export uses (core/csvout.h has the
# rule). Prints "ok - ..." / "not ok - ..." lines (tests/run.sh counts them).
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
B=$(cd "$BUILD" && pwd)
bin=$B/auditscope
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1${2:+ ($2)}"; }
is() { # is NAME GOT WANT (an empty WANT is a broken test, not a pass)
	if [ -n "$3" ] && [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "got '$2', want '$3'"; fi
}
# the first row's cell NAME of the CSV on stdin (sqlite3 reads the CSV)
cell() { cat > "$t/c.csv"; sqlite3 :memory: ".import --csv $t/c.csv x" "SELECT \"$1\" FROM x ${2:-} LIMIT 1"; }

# Hostile values: = + - @ at the start, after blanks, and full-width.
cat > "$t/h.json" <<'JSON'
[{"CreationTime":"2023-06-16T10:00:00","Id":"a1","Operation":"=1+1","RecordType":2,"UserId":" +cmd@contoso.com","Workload":"Exchange","ClientIP":"203.0.113.5","AppId":"@evil"},
 {"CreationTime":"2023-06-16T11:00:00","Id":"a2","Operation":"\uff1dHYPERLINK(1)","RecordType":2,"UserId":"-x@contoso.com","Workload":"Exchange","ClientIP":"203.0.113.6","AppId":"\u3000=2"},
 {"CreationTime":"2023-06-16T12:00:00","Id":"a3","Operation":"MailItemsAccessed","RecordType":50,"UserId":"bob@contoso.com","MailboxOwnerUPN":"bob@contoso.com","Workload":"Exchange","ClientIPAddress":"203.0.113.7","AppId":"00000003-0000-0000-c000-000000000000","OperationProperties":[{"Name":"MailAccessType","Value":"Bind"}],"Folders":[{"Path":"=cmd|' /C calc'!A0","FolderItems":[{"InternetMessageId":"@m1@x"}]}]},
 {"CreationTime":"2023-06-16T13:00:00","Id":"a4","Operation":"New-InboxRule","RecordType":1,"UserId":"bob@contoso.com","Workload":"Exchange","ClientIP":"203.0.113.8","Parameters":[{"Name":"Name","Value":"=HYPERLINK(x)"},{"Name":"ForwardTo","Value":"+evil@example.com"}]}]
JSON
c=$t/h.case
"$bin" load -q "$c" "$t/h.json" >/dev/null 2>&1
is "query csv: =1+1 gets an apostrophe" "$("$bin" query "$c" record_id=a1 --format csv | cell op)" "'=1+1"
is "query csv: a sign after a space gets one" "$("$bin" query "$c" record_id=a1 --format csv | cell user)" "' +cmd@contoso.com"
is "query csv: @ gets one" "$("$bin" query "$c" record_id=a1 --format csv | cell app)" "'@evil"
is "query csv: full-width ＝ gets one" "$("$bin" query "$c" record_id=a2 --format csv | cell op)" "'＝HYPERLINK(1)"
is "query csv: a sign after an ideographic space gets one" "$("$bin" query "$c" record_id=a2 --format csv | cell app)" "'　=2"
is "query csv: a plain value is left alone" "$("$bin" query "$c" record_id=a1 --format csv | cell ip)" "203.0.113.5"
is "stack csv: the value cell is neutralised" "$("$bin" stack "$c" op --format csv | cell op "WHERE op LIKE '%1+1'")" "'=1+1"
is "apps csv: the app id cell is neutralised" "$("$bin" apps "$c" --format csv | cell app_id "WHERE app_id LIKE '%evil'")" "'@evil"
is "messages csv: the folder cell is neutralised" "$("$bin" messages "$c" --format csv | cell folder)" "'=cmd|' /C calc'!A0"
is "messages csv: the message id cell is neutralised" "$("$bin" messages "$c" --format csv | cell message_id)" "'@m1@x"
is "hunt csv: the rule name cell is neutralised" "$("$bin" hunt "$c" inbox-rules --format csv | cell rule)" "'=HYPERLINK(x)"
is "export csv: the same cells as query" \
	"$("$bin" export "$c" record_id=a2 --format csv | cell op),$("$bin" export "$c" record_id=a2 --format csv | cell app)" \
	"'＝HYPERLINK(1),'　=2"
