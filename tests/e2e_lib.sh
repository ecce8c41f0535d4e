# shellcheck shell=bash
# e2e_lib.sh: the preamble the end-to-end scripts share (sourced, never
# run: tests/run.sh passes it over). A script begins, after its comment:
#
#   . "$(dirname "$0")/e2e_lib.sh"
#
# and then stands in the repository root with -u set and:
#   BUILD   the build tree (build unless set), B its absolute path
#   bin gen the auditscope and auditgen binaries in it
#   rd      the real exports (../shared/realdata unless
#           AUDITSCOPE_REALDATA), which may be absent
#   t       a fresh temporary folder, removed at exit (KEEP=1 keeps it
#           and says where); a script that has more to stop at exit
#           defines e2e_cleanup, which runs first
#   ok NAME, nok NAME [WHY]    the lines tests/run.sh counts
#   is NAME GOT WANT           ok when GOT is WANT (an empty WANT is a
#                              broken test, not a pass: use empty)
#   empty NAME GOT             ok when GOT is empty
#   has NAME TEXT NEEDLE       ok when TEXT holds NEEDLE
# A script may define its own helper of the same name after sourcing.
set -u
BUILD=${BUILD:-build}
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
B=$(cd "$BUILD" && pwd) || exit 2
bin=$B/auditscope
gen=$B/auditgen
rd=${AUDITSCOPE_REALDATA:-../shared/realdata}
t=$(mktemp -d) || exit 2
e2e_exit() {
	declare -F e2e_cleanup > /dev/null && e2e_cleanup
	if [ -n "${KEEP:-}" ]; then echo "# keeping $t"; else rm -rf "$t"; fi
}
trap e2e_exit EXIT
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1${2:+ ($2)}"; }
is() { # is NAME GOT WANT
	if [ -n "$3" ] && [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "got '$2', want '$3'"; fi
}
empty() { # empty NAME GOT
	if [ -z "$2" ]; then ok "$1"; else nok "$1" "got '$2', want nothing"; fi
}
has() { # has NAME TEXT NEEDLE
	case "$2" in
	*"$3"*) ok "$1" ;;
	*) nok "$1" "'$3' not in '$2'" ;;
	esac
}
