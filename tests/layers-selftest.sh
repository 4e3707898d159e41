#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# layers-selftest.sh - tests/layers.sh can fail, and fails for the right
# reason: tiny C files, built into objects with the build's compiler ($CC,
# which make check passes; cc otherwise), each set with its own layer
# table, and the verdict and message checked for each:
#   clean    low.c (1) <- mid.c (2) <- top.c (2), through a function, a
#            weak function, a common variable and a const table: PASS
#   up       low.c (1) reads top.c's (2) const table, and nothing else is
#            wrong: FAIL naming both files, both layers and the symbol
#   circle   a.c -> b.c -> a.c, both layer 1: FAIL printing the circle
#   nolayer  an object without a row: FAIL
#   noobject a row without an object: FAIL
#   archive  the clean set as an archive named as libtool names members
#            (x_la-low.o), as make check reads lib/: PASS
# Run by make check.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
script="$top_srcdir/tests/layers.sh"
CC=${CC:-cc}
AR=${AR:-ar}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mvlink-layers-selftest.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
failed=0

# src SET FILE CODE: write $tmp/SET/FILE
src() {
	mkdir -p "$tmp/$1"
	printf '%s\n' "$3" >"$tmp/$1/$2"
}
# build SET: compile every .c of $tmp/SET into $tmp/SET/obj/*.o
build() {
	mkdir -p "$tmp/$1/obj"
	for c in "$tmp/$1"/*.c; do
		o="$tmp/$1/obj/$(basename "$c" .c).o"
		# shellcheck disable=SC2086 # $CC may carry options
		$CC -c -O0 -fcommon -o "$o" "$c" 2>"$tmp/cc.err" || {
			echo "FAIL: $CC -c $c:" >&2
			cat "$tmp/cc.err" >&2
			exit 99
		}
	done
}
# table SET ROW...: the layer table of SET, one "file.c N name" per ROW
table() {
	name="$1"
	shift
	{
		echo '# a README'
		echo '<!-- layer table, read by tests/layers.sh -->'
		echo '| file | layer | holds |'
		echo '| --- | --- | --- |'
		for row in "$@"; do
			# shellcheck disable=SC2086 # split "file N name"
			set -- $row
			echo "| \`$1\` | $2 $3 | what $1 holds |"
		done
		echo
		# shellcheck disable=SC2016 # Markdown backquotes
		echo '| `other.c` | 9 ignored | a later table is not read |'
	} >"$tmp/$name/README.md"
}
# expect SET STATUS PATTERN...: layers.sh on SET exits STATUS and prints a
# line matching each PATTERN (grep -E)
expect() {
	name="$1"
	want="$2"
	shift 2
	objects="$tmp/$name/obj"
	[ -e "$tmp/$name/lib.a" ] && objects="$tmp/$name/lib.a"
	sh "$script" "$objects" "$tmp/$name/README.md" >"$tmp/out" 2>&1
	got=$?
	ok=1
	[ "$got" = "$want" ] || ok=0
	for pat in "$@"; do
		grep -Eq -- "$pat" "$tmp/out" || { ok=0; echo "  missing: $pat"; }
	done
	if [ "$ok" = 1 ]; then
		echo "ok: $name: exit $got"
	else
		echo "FAIL: $name: exit $got, want $want; layers.sh said:"
		sed 's/^/  | /' "$tmp/out"
		failed=1
	fi
}

src clean low.c 'int low_fn(void) { return 1; }
__attribute__((weak)) int low_weak(void) { return 2; }
int low_var;
const int low_table[2] = { 3, 4 };'
src clean mid.c 'int low_fn(void); int low_weak(void); extern int low_var;
int mid_fn(void) { return low_fn() + low_weak() + low_var; }'
src clean top.c 'int mid_fn(void); extern const int low_table[2];
int top_fn(void) { return mid_fn() + low_table[1]; }'
build clean
table clean 'low.c 1 base' 'mid.c 2 kernel' 'top.c 2 kernel'
expect clean 0 '^PASS: 3 files in their layers, 3 edges'

# the edges through a weak function, a common variable and a const table
sh "$script" -v "$tmp/clean/obj" "$tmp/clean/README.md" >"$tmp/out" 2>&1
for e in 'mid.c \(layer 2 kernel\) -> low.c \(layer 1 base\): low_fn low_var low_weak$' \
	'top.c \(layer 2 kernel\) -> low.c \(layer 1 base\): low_table$' \
	'top.c \(layer 2 kernel\) -> mid.c \(layer 2 kernel\): mid_fn$'; do
	grep -Eq "^edge: $e" "$tmp/out" || {
		echo "FAIL: clean -v: no edge $e; layers.sh -v said:"
		sed 's/^/  | /' "$tmp/out"
		failed=1
	}
done

src up low.c 'extern const char top_names[2][4];
const char *low_name(int i) { return top_names[i]; }'
src up top.c 'const char top_names[2][4] = { "a", "b" };'
build up
table up 'low.c 1 base' 'top.c 2 kernel'
expect up 1 '^FAIL: low\.c \(layer 1 base\) calls up into top\.c \(layer 2 kernel\): top_names$'
[ "$(grep -c FAIL "$tmp/out")" = 1 ] || { echo "FAIL: up: not exactly one FAIL line"; failed=1; }

src circle a.c 'int b_fn(void); int a_fn(void) { return b_fn(); }'
src circle b.c 'int a_fn(void); int b_fn(void) { return a_fn(); }'
src circle c.c 'int a_fn(void); int c_fn(void) { return a_fn(); }'
build circle
table circle 'a.c 1 base' 'b.c 1 base' 'c.c 1 base'
expect circle 1 '^FAIL: a circle of 2 files: a\.c b\.c$' \
	'for example: a\.c -> b\.c -> a\.c$' \
	'a\.c \(layer 1 base\) -> b\.c \(layer 1 base\): b_fn$' \
	'b\.c \(layer 1 base\) -> a\.c \(layer 1 base\): a_fn$'
grep -q 'c\.c' "$tmp/out" && { echo "FAIL: circle: c.c is in no circle"; failed=1; }

mkdir -p "$tmp/nolayer"
cp -r "$tmp/clean/obj" "$tmp/nolayer/"
table nolayer 'low.c 1 base' 'mid.c 2 kernel'
expect nolayer 1 '^FAIL: top\.c has an object but no row in the layer table'

mkdir -p "$tmp/noobject"
cp -r "$tmp/clean/obj" "$tmp/noobject/"
table noobject 'low.c 1 base' 'mid.c 2 kernel' 'top.c 2 kernel' 'gone.c 2 kernel'
expect noobject 1 '^FAIL: gone\.c has a row in the layer table of .* but no object'

mkdir -p "$tmp/archive"
for f in low mid top; do
	cp "$tmp/clean/obj/$f.o" "$tmp/archive/libx_la-$f.o"
done
(cd "$tmp/archive" && $AR cr lib.a libx_la-low.o libx_la-mid.o libx_la-top.o) || exit 99
cp "$tmp/clean/README.md" "$tmp/archive/"
expect archive 0 '^PASS: 3 files in their layers, 3 edges'

[ "$failed" = 0 ] && echo "PASS: tests/layers.sh passes a clean graph and fails each fault"
exit $failed
