#!/usr/bin/env bash
# End-to-end: `auditscope sigma`, the real binary on the generated bundle
# with its planted intrusion: the SigmaHQ rules in ../shared/sigma
# (skipped when absent) find the planted inbox rule and consent, the
# summary counts and names what is unsupported, --mark tags the hits, and
# a folder of broken rules fails rule by rule. Prints "ok - ..." /
# "not ok - ..." / "skip - ..." lines (tests/run.sh counts them).
. "$(dirname "$0")/e2e_lib.sh"
has() { if grep -qF -- "$3" "$2"; then ok "$1"; else nok "$1" "'$3' not in $2"; fi; } # in a file
m() { python3 -c "import json,sys; d=json.load(open('$t/manifest.json')); print($1)"; }

"$gen" --bundle "$t/bundle" >/dev/null
mv "$t/bundle/manifest.json" "$t/manifest.json"
c=$t/demo.case
"$bin" load -q "$c" "$t/bundle" >/dev/null 2>&1

# broken rules, each its own error; the good one still runs
mkdir -p "$t/rules"
printf 'title: bad yaml\ndetection:\n  sel:\n    a: [b\n' >"$t/rules/a.yml"
printf 'title: bad mod\nlogsource: {product: m365, service: audit}\ndetection:\n  sel:\n    Operation|windash: x\n  condition: sel\n' >"$t/rules/b.yml"
printf 'title: fwd\nid: 1f0e0000-0000-0000-0000-000000000001\nlogsource: {product: m365, service: audit}\ndetection:\n  sel:\n    Operation: New-InboxRule\n    Parameters|contains: ForwardTo\n  condition: sel\n' >"$t/rules/c.yml"
"$bin" sigma "$c" "$t/rules" >"$t/out" 2>"$t/err"
is "sigma: broken rules do not stop the good one" "$?" 0
has "sigma: the good rule's hit" "$t/out" "$(m 'd["planted"]["inbox_rule"]["record_id"]')"
has "sigma: malformed YAML named with its line" "$t/out" "a.yml:5: malformed YAML"
has "sigma: unknown modifier named with its line" "$t/out" "b.yml:5: bad mod: unknown modifier 'windash'"
has "sigma: summary" "$t/out" "3 rules: 1 compiled, 2 unsupported (66.7%); 1 ran, 1 matched"
"$bin" sigma "$c" "$t/rules" --format jsonl --mark >"$t/j" 2>"$t/err"
is "sigma --format jsonl: one line per hit" "$(wc -l <"$t/j" | tr -d ' ')" 1
is "sigma --format jsonl: the rule's id" "$(python3 -c "import json; print(json.loads(open('$t/j').readline())['rule_id'])")" "1f0e0000-0000-0000-0000-000000000001"
has "sigma --format jsonl: why it matched" "$t/j" "sel matched"
is "sigma --mark: tagged with the rule's id" "$("$bin" query "$c" tag=1f0e0000-0000-0000-0000-000000000001 --format csv | tail -n +2 | cut -d, -f2)" "$(m 'd["planted"]["inbox_rule"]["record_id"]')"
"$bin" sigma "$c" >/dev/null 2>&1
is "sigma without rules: usage" "$?" 2
"$bin" sigma "$c" "$t/rules" --var nothing >/dev/null 2>&1
is "sigma --var without '=': usage" "$?" 2

if [ ! -d ../shared/sigma ]; then
	echo "skip - sigma: ../shared/sigma is absent"
	exit 0
fi
"$bin" sigma "$c" ../shared/sigma >"$t/out" 2>"$t/err"
is "sigma over SigmaHQ's rules" "$?" 0
has "sigma: the planted inbox rule" "$t/out" "== Mail Forwarding/Redirecting Activity In O365"
has "sigma: the planted consent" "$t/out" "== Delegated Permissions Granted For All Users"
has "sigma: the unsupported share" "$t/out" "152 rules: 145 compiled, 7 unsupported (4.6%)"
has "sigma: an unsupported rule with its file:line" "$t/out" "azure_ad_failed_auth_from_countries_you_do_not_operate_out_of.yml:23"
has "sigma: skipped rules say why" "$t/out" "the case has no Azure activity log records"
"$bin" sigma "$c" ../shared/sigma --rules --format csv >"$t/list" 2>/dev/null
is "sigma --rules: one row per rule" "$(tail -n +2 "$t/list" | wc -l | tr -d ' ')" 152

# --- the interface: the group in the hunt menu, a rule's events, why ---
if ! command -v tmux >/dev/null; then
	echo "skip - sigma in the interface: tmux is not installed"
	exit 0
fi
sock="auditscope-sigma-$$"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$t"' EXIT
export NO_COLOR=1 AUDITSCOPE_AUTHOR=e2e
tm new-session -d -x 160 -y 40 "exec env TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 AUDITSCOPE_SIGMA='$t/rules' '$bin' '$c'"
screen() { tm capture-pane -p -t 0 >"$t/screen" 2>/dev/null; cat "$t/screen"; }
wait_for() { for _ in $(seq 100); do screen | grep -qE -- "$1" && return 0; sleep 0.1; done; return 1; }
keys() { tm send-keys -t 0 "$@"; }
shows() { if wait_for "$2"; then ok "$1"; else nok "$1" "screen: $(tr '\n' '|' <"$t/screen")"; fi; }
wait_for "timeline" >/dev/null
keys H
shows "interface: the hunt menu has a Sigma row" "sigma +Sigma rules of AUDITSCOPE_SIGMA: Enter runs them"
keys G Enter
shows "interface: the rules with level, hits and status" "fwd +1 ran"
shows "interface: the unsupported rule is listed" "bad mod.*unsupported"
keys Enter
shows "interface: Enter opens the rule's events" "> sigma fwd"
keys Enter
shows "interface: the detail view says which selection matched" "sel matched:"
shows "interface: ... through which field and value" "Parameters = .*ForwardTo"
keys q H
shows "interface: the hunt menu counts the rules' hits" "sigma +1 +3 Sigma rules: 1 matched"
