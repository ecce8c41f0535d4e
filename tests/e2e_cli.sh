#!/usr/bin/env bash
# End-to-end: the command line as a whole: every listing command's CSV is
# formula-safe through the one writer export uses (core/csvout.h has the
# rule). Prints "ok - ..." / "not ok - ..." lines (tests/run.sh counts them).
. "$(dirname "$0")/e2e_lib.sh"
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

# sources: one row per file, the hash in CSV and JSON Lines, not in the table
is "sources csv: the file's SHA-256" "$("$bin" sources "$c" --format csv | cell sha256)" "$(sha256sum "$t/h.json" | cut -d' ' -f1)"
is "sources csv: records, events, rejects, status" "$(for k in records events rejects status; do
	"$bin" sources "$c" --format csv | cell $k; done | paste -sd,)" "4,4,0,complete"
is "sources csv: the first and last time" "$("$bin" sources "$c" --format csv | cell first) $("$bin" sources "$c" --format csv | cell last)" \
	"2023-06-16T10:00:00.000Z 2023-06-16T13:00:00.000Z"
is "sources jsonl: one object, counts as numbers" \
	"$("$bin" sources "$c" --format jsonl | jq -c '[.path == "'"$t/h.json"'", .events, .duplicates, .bytes > 0]')" '[true,4,0,true]'
is "sources table: no sha256 column" "$("$bin" sources "$c" | head -1 | grep -c sha256)" "0"

# The command table: help, the man page and completion all follow it.
man=tui/cli/auditscope.1
cmds=$("$bin" __complete commands)
is "the table lists the eleven commands and more" "$([ "$(wc -l <<<"$cmds")" -ge 11 ] && echo yes)" yes
missing_help="" missing_man="" missing_opt="" bad_usage=""
for cmd in $cmds; do
	h=$("$bin" "$cmd" --help) && [ "$(head -1 <<<"$h" | cut -d' ' -f1-3)" = "usage: auditscope $cmd" ] || missing_help="$missing_help $cmd"
	[ "$(head -1 <<<"$h" | sed 's/.* $/trailing/')" = trailing ] && missing_help="$missing_help $cmd(trailing space)"
	"$bin" --help | grep -q "^ *\(usage: \)\?auditscope $cmd\( \|$\)" || bad_usage="$bad_usage $cmd"
	grep -q "^\.SS \"$cmd[ \"]" "$man" || missing_man="$missing_man $cmd"
	for o in $("$bin" __complete options "$cmd"); do
		[ "$o" = --help ] && continue
		# the man page writes - as \-
		grep -qF -- "$(sed 's/-/\\-/g' <<<"$o")" "$man" || missing_opt="$missing_opt $cmd:$o"
		# the option is accepted: an unknown one is a usage error that names it
		"$bin" "$cmd" "$o" 2>&1 | grep -q "unknown option '$o'" && missing_opt="$missing_opt $cmd:$o(rejected)"
	done
done
is "every command answers --help with its usage line" "${missing_help:-none}" none
is "auditscope --help lists every command" "${bad_usage:-none}" none
is "the man page has a section for every command" "${missing_man:-none}" none
is "the man page names every option of every command" "${missing_opt:-none}" none
manf=$(sed -n '/^Fields:/,/^json.PATH/p' "$man" | tr -s ' \n' '  ')
missing_field=""
for f in $("$bin" __complete fields); do
	[[ " $manf " == *" $f "* ]] || [ "$f" = json. ] || missing_field="$missing_field $f"
done
is "the man page lists every filter field" "${missing_field:-none}" none
"$bin" query "$c" --nosuch >/dev/null 2>"$t/e"; rc=$?
is "an unknown option: exit 2" "$rc" 2
is "an unknown option: named in one line" "$(head -1 "$t/e")" "auditscope: query: unknown option '--nosuch'"
"$bin" query >/dev/null 2>"$t/e"; rc=$?
is "a missing CASE: exit 2 with the usage" "$rc,$(head -1 "$t/e")" "2,auditscope: query: expected CASE [FILTER]"
"$bin" info "$c" extra >/dev/null 2>"$t/e"; rc=$?
is "an extra argument: exit 2, named" "$rc,$(head -1 "$t/e")" "2,auditscope: info: unexpected argument 'extra'"
is "--limit=N works like --limit N" "$("$bin" query "$c" --limit=1 --format csv | wc -l)" 2
is "a filter term starting with - is not an option" "$("$bin" query "$c" -op=MailItemsAccessed --format csv | wc -l)" 4
is "after -- every word is an argument" "$("$bin" query "$c" --format csv -- op=MailItemsAccessed | wc -l)" 2
is "help COMMAND is COMMAND --help" "$("$bin" help stack | head -1)" "usage: auditscope stack CASE FIELD[,FIELD...] [FILTER]"

is "fields: one row per filter field and json.PATH" \
	"$(( $("$bin" fields --format csv | wc -l) - 1 ))" "$("$bin" __complete fields | wc -l)"
is "fields: stack takes user, not time" \
	"$("$bin" fields --format csv | tr -d '\r' | grep -E '^(user|time),' | cut -d, -f1,2 | tr '\n' ' ')" "time,false user,true "
is "fields takes no argument" "$("$bin" fields x 2>&1 >/dev/null; echo $?)" "auditscope: fields: unexpected argument 'x'
Try 'auditscope --help'.
2"

# completion asks the binary: commands, fields, hunts, option values
comp() {
	bash -c 'source tui/cli/auditscope.bash; PATH='"$B"':$PATH
		COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _auditscope; echo "${COMPREPLY[*]}"' _ "$@"
}
is "completion: command names" "$(comp auditscope his)" "histogram"
is "completion: a hunt name" "$(comp auditscope hunt x.case inbox)" "inbox-rules"
is "completion: a field to stack" "$(comp auditscope stack x.case client_a)" "client_app"
is "completion: a filter field with its =" "$(comp auditscope query x.case --limit 5 mailb)" "mailbox="
is "completion: --format's values" "$(comp auditscope export x.case --format time)" "timesketch"
is "completion: options" "$(comp auditscope query x.case --de)" "--desc"
is "completion: the fields --help lists" "$("$bin" __complete fields | tr '\n' ' ')" \
	"$("$bin" --help | sed -n '/^fields:/,$p' | tr -s ' \n' '  ' | sed 's/^fields: //; s/json.PATH/json./')"

# the interface never includes the command line's headers
inc=$(grep -l '#include "\(cli/\)\?\(cli\|out\|commands\)\.h"' tui/*.c tui/*.h | grep -v '^tui/main\.c$')
is "tui/ (but main.c) includes no header of tui/cli/" "${inc:-none}" none
