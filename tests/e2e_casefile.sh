#!/usr/bin/env bash
# End-to-end: the case file as README's "The case file" describes it.
# A case of an older schema (7, made here from a current one the way
# schema 7 stored record ids) is left as it was by every command that
# only reads, which says how to convert it; the first command that
# writes converts it and says so in one line on stderr naming the file
# and both versions. Prints "ok - ..." / "not ok - ..." lines.
. "$(dirname "$0")/e2e_lib.sh"
command -v sqlite3 > /dev/null || { nok "the sqlite3 shell is needed (sqlite3 in DEB_PKGS)"; exit 1; }

guid=0a1b2c3d-4e5f-6789-abcd-ef0123456789
cat > "$t/ual.json" <<EOF
[{"CreationTime":"2023-06-16T10:00:00","Id":"$guid","Operation":"MailItemsAccessed","RecordType":50,"UserId":"alice@contoso.com","Workload":"Exchange","ClientIP":"203.0.113.5","SessionId":"s-1","AppId":"00000003-0000-0000-c000-000000000000"},
 {"CreationTime":"2023-06-16T11:00:00","Id":"ABC-not-a-guid","Operation":"Send","RecordType":2,"UserId":"bob@contoso.com","Workload":"Exchange","ClientIP":"203.0.113.6"},
 {"CreationTime":"2023-06-16T12:00:00","Id":"11111111-2222-3333-4444-555555555555","Operation":"New-InboxRule","RecordType":1,"UserId":"bob@contoso.com","Workload":"Exchange","ClientIP":"203.0.113.7"}]
EOF
c=$t/c.case
"$bin" load -q "$c" "$t/ual.json" > /dev/null 2>&1 || nok "load"
"$bin" mark "$c" "user=alice@contoso.com" --note "seen it" > /dev/null 2>&1 || nok "mark"
cur=$(sqlite3 "$c" "PRAGMA user_version") # this version's schema

# ---- a schema-7 case ----
# Schema 7 kept a GUID record id as its 16 bytes (a blob, no marker) and
# the values unique by their text, without the hash column.
rid7="CASE substr(record_id, 1, 1) WHEN char(1) THEN substr(CAST(record_id AS BLOB), 2)
 WHEN char(2) THEN substr(record_id, 2) ELSE record_id END"
to7() { # to7 CASE: rewrite a current case as schema 7 wrote it
	sqlite3 "$1" "DROP TABLE ridx; DROP TABLE vidx; UPDATE events SET record_id = $rid7; UPDATE marks SET record_id = $rid7;
 UPDATE notes SET record_id = $rid7; CREATE UNIQUE INDEX ev_rid ON events(record_id, kind);
 CREATE TABLE vals7(id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE); INSERT INTO vals7 SELECT id, v FROM vals;
 DROP TABLE vals; ALTER TABLE vals7 RENAME TO vals; CREATE INDEX vals_nocase ON vals(v COLLATE NOCASE);
 PRAGMA user_version = 7;" || nok "making a schema-7 case"
}
old=$t/old.case
cp "$c" "$old"
to7 "$old"
is "schema 7: the made case is schema 7 with its GUIDs as blobs" \
	"$(sqlite3 "$old" "SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM events WHERE typeof(record_id) = 'blob')")" "7|2"

before=$(sha256sum "$old" | cut -d' ' -f1)
mtime=$(stat -c %Y.%y "$old")
# every command that only reads (none may convert; each says how to)
readers=("info $old" "sources $old" "query $old" "query $old marked" "stack $old user" "messages $old"
	"session $old $guid" "coverage $old" "histogram $old" "hunt $old" "export $old --format csv"
	"notes export $old" "apps $old")
for r in "${readers[@]}"; do
	# shellcheck disable=SC2086 # the words of the command
	out=$("$bin" $r 2>"$t/err")
	rc=$?
	err=$(cat "$t/err")
	is "schema 7, read-only: '${r%% *}${r#* $old}' succeeds" "$rc" 0
	is "schema 7, read-only: '${r%% *}${r#* $old}' says once how to convert, naming the file" \
		"$(grep -c "auditscope: $old: a schema 7 case, read as it is (not converted); the interface, load, mark or notes import converts it to schema $cur" <<<"$err")" 1
done
is "schema 7, read-only: the marked GUID event is read as it is" "$("$bin" query "$old" marked --format csv 2>/dev/null | tail -n +2 | cut -d, -f2)" "$guid"
is "schema 7, read-only: every record id reads back" \
	"$("$bin" query "$old" --format csv 2>/dev/null | tail -n +2 | cut -d, -f2 | sort | tr '\n' ' ')" \
	"0a1b2c3d-4e5f-6789-abcd-ef0123456789 11111111-2222-3333-4444-555555555555 ABC-not-a-guid "
is "schema 7, read-only: the file is byte for byte as it was" "$(sha256sum "$old" | cut -d' ' -f1)" "$before"
is "schema 7, read-only: and not written at all (mtime)" "$(stat -c %Y.%y "$old")" "$mtime"
is "schema 7, read-only: still schema 7" "$(sqlite3 "$old" "PRAGMA user_version")" 7

# the first command that writes converts it, and says so first
"$bin" mark "$old" "user=bob@contoso.com" > /dev/null 2>"$t/err"
is "schema 7 -> $cur: mark converts it, saying so in one line naming the file and the versions" "$(cat "$t/err")" \
	"auditscope: $old: converting the case from schema 7 to schema $cur (once; the file is rewritten and older auditscope versions will not open it)"
is "schema 7 -> $cur: GUIDs in 17 bytes" \
	"$(sqlite3 "$old" "SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM events WHERE length(CAST(record_id AS BLOB)) = 17 AND substr(record_id, 1, 1) = char(1))")" "$cur|2"
is "schema 7 -> $cur: the old bookmark and the new ones on their events" \
	"$("$bin" query "$old" marked --format csv 2>/dev/null | tail -n +2 | cut -d, -f2 | sort | tr '\n' ' ')" \
	"0a1b2c3d-4e5f-6789-abcd-ef0123456789 11111111-2222-3333-4444-555555555555 ABC-not-a-guid "
"$bin" info "$old" > /dev/null 2>"$t/err"
empty "schema $cur: a reader says nothing more" "$(cat "$t/err")"
"$bin" mark "$old" "user=bob@contoso.com" > /dev/null 2>"$t/err"
is "schema $cur: a writer says nothing more" "$(grep -c schema "$t/err")" 0

# a load converts too (its own line, before the load's output)
cp "$c" "$old"
to7 "$old"
"$bin" load -q "$old" "$t/ual.json" > /dev/null 2>"$t/err"
is "schema 7 -> $cur: load converts it, saying so" "$(head -1 "$t/err")" \
	"auditscope: $old: converting the case from schema 7 to schema $cur (once; the file is rewritten and older auditscope versions will not open it)"

# the interface converts too: the line on its terminal before it starts
# (kept in the terminal's scrollback), and on its status line
if command -v tmux > /dev/null; then
	cp "$c" "$old"
	to7 "$old"
	sock="auditscope-casefile-$$"
	tm() { tmux -L "$sock" -f /dev/null "$@"; }
	e2e_cleanup() { tm kill-server > /dev/null 2>&1; }
	tm new-session -d -x 200 -y 30 \
		"env TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 NO_COLOR=1 '$bin' '$old' 2> '$t/tui.err'; echo \$? > '$t/tui.rc'"
	for _ in $(seq 100); do
		tm capture-pane -p -t 0 > "$t/screen" 2> /dev/null
		grep -q "converted from schema 7" "$t/screen" && break
		sleep 0.1
	done
	has "schema 7 -> $cur: the interface's status line says it converted the case" "$(cat "$t/screen")" \
		"$old: converted from schema 7 to schema $cur (the file was rewritten)"
	tm send-keys -t 0 q
	for _ in $(seq 100); do
		[ -s "$t/tui.rc" ] && break
		sleep 0.1
	done
	tm kill-server > /dev/null 2>&1
	is "schema 7 -> $cur: the interface quits with status 0" "$(cat "$t/tui.rc" 2> /dev/null)" 0
	is "schema 7 -> $cur: the interface said so on stderr before it started" "$(head -1 "$t/tui.err")" \
		"auditscope: $old: converting the case from schema 7 to schema $cur (once; the file is rewritten and older auditscope versions will not open it)"
	is "schema 7 -> $cur: the interface converted it" "$(sqlite3 "$old" "PRAGMA user_version")" "$cur"
else
	echo "skip - the interface converting a case: tmux is not installed"
fi

# ---- README's sqlite3 queries for record ids, run as written there ----
# (the plain sqlite3 shell has no rid_text(): the README gives queries
# that need none; taken from README.md so that they cannot drift)
sec=$(awk '/^## The case file/{on=1; next} /^## /{on=0} on' README.md)
ids_sql=$(awk '/^```sql$/{on=1; next} /^```$/{if (on) exit} on' <<<"$sec")
find_sql=$(tr '\n' ' ' <<<"$sec" | grep -o "SELECT \* FROM events WHERE *record_id = CAST(x'01[0-9a-f]*' AS TEXT);" | head -1)
has "README: the case-file section holds the ids query" "$ids_sql" "hex(record_id)"
has "README: and the look-up of a GUID's event" "$find_sql" "CAST(x'01"
want=$("$bin" query "$c" --format csv 2>/dev/null | tail -n +2 | cut -d, -f2 | sort)
is "README's ids query in the sqlite3 shell: every record id as auditscope prints it" \
	"$(sqlite3 "$c" "$ids_sql" | sort)" "$want"
is "README's ids query reads the 17-byte GUIDs it is for" \
	"$(sqlite3 "$c" "SELECT count(*) FROM events WHERE substr(record_id, 1, 1) = char(1)")" 2
is "README's ids query on the marks: the bookmarked event's id" \
	"$(sqlite3 "$c" "${ids_sql/FROM events;/FROM marks;}")" "$guid"
guid_in_readme=$(grep -o "x'01[0-9a-f]*'" <<<"$find_sql" | cut -c5-36)
is "README's look-up names the GUID this test loads" "$guid_in_readme" "${guid//-/}"
is "README's look-up in the sqlite3 shell finds its event" \
	"$(sqlite3 "$c" "${find_sql/SELECT \*/SELECT count(*), max(id) = (SELECT id FROM events WHERE ts = (SELECT min(ts) FROM events))}")" "1|1"
