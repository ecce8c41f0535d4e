#!/usr/bin/env bash
# make format / make format-check: the C sources follow .clang-format.
#
#   tests/format.sh           reformat every C file in place
#   tests/format.sh --check   change nothing; list each file clang-format
#                             would change, with how many lines, and exit 1
#                             when there is any
#
# The files are the C sources and headers under core/, tui/, tests/ and
# samples/ (subfolders included). CLANG_FORMAT names the program (the
# Makefile passes clang-format-14, the version make deps installs: other
# versions lay out a few constructs differently).
set -u
cd "$(dirname "$0")/.." || exit 2
CF=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$CF" > /dev/null 2>&1; then
	echo "format: $CF not found (make deps installs it)" >&2
	exit 2
fi
check=0
[ "${1:-}" = --check ] && check=1

mapfile -t files < <(find core tui tests samples -name '*.[ch]' -type f | LC_ALL=C sort)
if [ $check = 0 ]; then
	"$CF" -i --style=file "${files[@]}"
	exit
fi

bad=0 lines=0
for f in "${files[@]}"; do
	# lines of the file that the formatted text does not keep as they are
	n=$("$CF" --style=file "$f" | diff "$f" - | grep -c '^<')
	if [ "$n" -gt 0 ]; then
		echo "$f: $n lines to reformat"
		bad=$((bad + 1))
		lines=$((lines + n))
	fi
done
if [ $bad -gt 0 ]; then
	echo "format: $bad of ${#files[@]} files, $lines lines, differ from .clang-format ($("$CF" --version | head -1)); make format fixes them"
	exit 1
fi
echo "format: all ${#files[@]} files follow .clang-format"
