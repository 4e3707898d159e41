#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: example-build.sh                       (make check)
#        example-build.sh --installed PREFIX PKGCONFIGDIR LIBDIR
#                                               (make installcheck)
#
# Builds examples/launcher.c the way its header comment and README tell a
# user to:
#     cc launcher.c $(pkg-config --cflags --libs libmvlink) -o launcher
# make check: against the build tree, through pkgconfig/libmvlink-uninstalled.pc
# (PKG_CONFIG_PATH=$top_builddir/pkgconfig); --installed: against the
# libmvlink.pc, header and library installed under PREFIX.  Then checks that
# pkg-config used that .pc file (not another libmvlink on the system), that
# the program links against that libmvlink.so, and runs it where it needs no
# root: without arguments it prints its usage (exit 1), and with a bad guest
# MAC it calls into libmvlink (mvl_mac_parse) and says so (exit 1).
#
# Environment: CC (default cc), SAN_CFLAGS (the sanitizer flags the library
# was built with: a program linking an ASan libmvlink needs them too),
# top_srcdir and top_builddir (make check sets them).

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$(pwd)}"
name=example-build

T=$(mktemp -d "${TMPDIR:-/tmp}/mvlink-$name.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT

fail() {
	echo "FAIL: $name: $*" >&2
	exit 1
}
hard() {
	echo "ERROR: $name: $*" >&2
	exit 99
}

command -v pkg-config >/dev/null 2>&1 || hard "pkg-config is missing (.ci/packages.txt)"
if [ "${1-}" = --installed ]; then
	[ $# -eq 4 ] || hard "usage: $0 --installed PREFIX PKGCONFIGDIR LIBDIR"
	prefix=$2 pcdir=$3 libdir=$4
	# Only the installed libmvlink.pc, never the build tree's uninstalled one.
	PKG_CONFIG_PATH=$pcdir
	PKG_CONFIG_DISABLE_UNINSTALLED=1
	export PKG_CONFIG_PATH PKG_CONFIG_DISABLE_UNINSTALLED
	[ -f "$pcdir/libmvlink.pc" ] || fail "no libmvlink.pc installed in $pcdir"
	got=$(pkg-config --variable=prefix libmvlink) || fail "pkg-config finds no libmvlink in $pcdir"
	[ "$got" = "$prefix" ] || fail "pkg-config used a libmvlink.pc with prefix '$got', not $prefix"
	libpath=$libdir
	# The installed library has no rpath: as after ldconfig, the loader finds it.
	run_env="LD_LIBRARY_PATH=$libdir"
else
	PKG_CONFIG_PATH=$top_builddir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
	export PKG_CONFIG_PATH
	unset PKG_CONFIG_DISABLE_UNINSTALLED
	got=$(pkg-config --variable=abs_top_builddir libmvlink) ||
		fail "pkg-config finds no libmvlink in $top_builddir/pkgconfig"
	[ "$got" = "$top_builddir" ] ||
		fail "pkg-config used a libmvlink.pc for '$got', not libmvlink-uninstalled.pc of $top_builddir"
	libpath=$top_builddir/lib/.libs
	# The uninstalled .pc carries an rpath: the program runs without help.
	run_env=
fi
flags=$(pkg-config --cflags --libs libmvlink) || fail "pkg-config --cflags --libs libmvlink failed"
echo "pkg-config --cflags --libs libmvlink: $flags"

# The user's command line (plus warnings as errors: the example stays clean).
cp "$top_srcdir/examples/launcher.c" "$T/launcher.c"
# shellcheck disable=SC2086 # CC, SAN_CFLAGS and flags are lists of words
(cd "$T" && ${CC:-cc} ${SAN_CFLAGS-} -Wall -Wextra -Werror launcher.c $flags -o launcher) ||
	fail "cc launcher.c \$(pkg-config --cflags --libs libmvlink) -o launcher failed"

# Linked against that library (NEEDED libmvlink.so.0, resolved from libpath).
unset LD_LIBRARY_PATH
# shellcheck disable=SC2086
resolved=$(env $run_env ldd "$T/launcher" | sed -n 's|^[[:space:]]*libmvlink\.so[^ ]* => \(/[^ ]*\) .*|\1|p')
[ -n "$resolved" ] || fail "the launcher does not link libmvlink ($(ldd "$T/launcher" 2>&1))"
[ "$(readlink -f "$resolved")" = "$(readlink -f "$libpath/${resolved##*/}")" ] ||
	fail "the launcher loads $resolved, not the libmvlink of $libpath"
echo "launcher loads $resolved"

# It runs: its usage without arguments, libmvlink's MAC parser with a bad MAC.
rc=0
# shellcheck disable=SC2086
env $run_env "$T/launcher" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "launcher without arguments exited $rc, wanted 1 ($(cat "$T/err"))"
grep -q '^usage: .*launcher VM-ID UPLINK NAME GUEST-MAC QUEUES -- VMM ARGS' "$T/err" ||
	fail "launcher without arguments printed no usage: $(cat "$T/err")"
rc=0
# shellcheck disable=SC2086
env $run_env "$T/launcher" test1 eno1 mvt-test1 02:00:00:00:00:zz 1 -- true \
	>"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "launcher with a bad MAC exited $rc, wanted 1 ($(cat "$T/err"))"
grep -qx "launcher: invalid guest MAC '02:00:00:00:00:zz'" "$T/err" ||
	fail "launcher with a bad MAC said: $(cat "$T/err")"
echo "PASS: $name: examples/launcher.c builds with pkg-config, links $resolved and runs"
