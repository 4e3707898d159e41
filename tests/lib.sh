# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# tests/lib.sh - helpers for the CLI tests (tests/cli-*.sh), sourced by them.
#
# The harness (make check) sets MVLINK (the built tool), top_srcdir and
# top_builddir.  Kernel tests call enter_netns first: it re-executes the
# test in a private network and mount namespace with its own sysfs, so the
# host's interfaces are never touched, and skips (exit 77) when that is not
# possible - or fails (exit 99) when MVLINK_REQUIRE_KERNEL_TESTS=1 (CI).
#
# run EXPECTED_RC CMD... runs a command with stdout in $OUT and stderr in
# $ERR (files) and fails the test unless it exits with EXPECTED_RC.

set -u

# make check runs the tests from the top build directory; these fallbacks
# also cover an AM_TESTS_ENVIRONMENT that sets but does not export them
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$(pwd)}"
: "${MVLINK:=$top_builddir/tools/mvlink}"
[ -x "$MVLINK" ] || {
	echo "ERROR: MVLINK=$MVLINK is not the built mvlink (run the tests through make check)" >&2
	exit 99
}
export MVLINK top_srcdir top_builddir

TEST_NAME=$(basename "$0" .sh)
T=$(mktemp -d "${TMPDIR:-/tmp}/mvlink-$TEST_NAME.XXXXXX") || exit 99
OUT=$T/stdout
ERR=$T/stderr
trap 'rm -rf "$T"' EXIT
# the library's journals and locks stay inside the test
MVLINK_STATE_DIR=$T/state
export MVLINK_STATE_DIR
unset MVLINK_LOG

fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	if [ -s "$OUT" ]; then
		echo "--- stdout of the last command:" >&2
		cat "$OUT" >&2
	fi
	if [ -s "$ERR" ]; then
		echo "--- stderr of the last command:" >&2
		cat "$ERR" >&2
	fi
	exit 1
}

# Skip, or fail when kernel tests are required.
skip() {
	if [ "${MVLINK_REQUIRE_KERNEL_TESTS:-0}" = 1 ]; then
		echo "ERROR: $TEST_NAME cannot run but MVLINK_REQUIRE_KERNEL_TESTS=1: $*" >&2
		exit 99
	fi
	echo "SKIP: $TEST_NAME: $*" >&2
	exit 77
}

# Re-execute this test in private network + mount namespaces (once).
enter_netns() {
	if [ "${MVLINK_TEST_IN_NETNS:-}" != 1 ]; then
		[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
		command -v unshare >/dev/null 2>&1 || skip "unshare(1) is missing"
		command -v ip >/dev/null 2>&1 || skip "ip(8) is missing"
		unshare -n -m true 2>/dev/null || skip "cannot create network namespaces here"
		rm -rf "$T"
		trap - EXIT
		MVLINK_TEST_IN_NETNS=1 exec unshare -n -m /bin/sh "$0" "$@"
		exit 99
	fi
	mount --make-rprivate / || fail "mount --make-rprivate /"
	mount -t sysfs sysfs /sys || fail "cannot mount a private sysfs"
	ip link set lo up
}

# For tests that need no privileges: enter private namespaces when we can
# (so that a bug can never touch the host's interfaces), else run as we are.
try_netns() {
	if [ "${MVLINK_TEST_IN_NETNS:-}" = 1 ] ||
		{ [ "$(id -u)" = 0 ] && unshare -n -m true 2>/dev/null; }; then
		enter_netns "$@"
	fi
}

# An uplink for the tests: veth eno1 <-> peer0, both up.
make_uplink() {
	ip link add eno1 type veth peer name peer0 || fail "cannot create veth eno1/peer0"
	ip link set peer0 up
	ip link set eno1 up
}

# Push this namespace's next ifindex to a random value in 1000..3999.
# /dev is the host's devtmpfs, shared by every network namespace: a
# macvtap's node /dev/tapN (N = its ifindex) collides with the macvtap of
# another namespace that has the same ifindex - in a test running in
# parallel, whose namespace also counts from 1 - and the library then
# refuses --owner/--group ("it is another device").  As tests/test-macvtap.c
# does: links in one group (the kernel never hands out an ifindex twice
# until it wraps), then deleted in one request.
spread_ifindex() {
	_n=$((1000 + $(od -An -N2 -tu2 /dev/urandom) % 3000))
	_veth=0
	if ip link add padprobe type ifb 2>/dev/null; then
		ip link del padprobe
	else
		_veth=1 # no ifb: veth pairs, two ifindexes each
	fi
	_i=0
	while [ "$_i" -lt "$_n" ]; do
		if [ "$_veth" = 1 ]; then
			echo "link add pad$_i group 77 type veth peer name padp$_i group 77"
			_i=$((_i + 2))
		else
			echo "link add pad$_i group 77 type ifb"
			_i=$((_i + 1))
		fi
	done >"$T/pad.batch"
	echo "link del group 77" >>"$T/pad.batch"
	ip -batch "$T/pad.batch" >/dev/null || fail "cannot push the ifindex with $T/pad.batch"
	rm -f "$T/pad.batch"
}

# run EXPECTED_RC CMD...
run() {
	_want=$1
	shift
	_rc=0
	"$@" >"$OUT" 2>"$ERR" || _rc=$?
	[ "$_rc" = "$_want" ] || fail "'$*' exited with $_rc, expected $_want"
}

# The last command's stderr / stdout contains a fixed string.
err_has() {
	grep -qF -- "$1" "$ERR" || fail "stderr lacks '$1'"
}
out_has() {
	grep -qF -- "$1" "$OUT" || fail "stdout lacks '$1'"
}
err_empty() {
	[ ! -s "$ERR" ] || fail "unexpected stderr"
}
out_empty() {
	[ ! -s "$OUT" ] || fail "unexpected stdout"
}
# A usage error names the command's help and does not print the help.
usage_shape() {
	err_has "Try 'mvlink $1 --help'."
	! grep -q '^Usage:' "$ERR" || fail "a usage error printed the full help"
	[ "$(wc -l <"$ERR")" -le 3 ] || fail "a usage error printed more than a message"
}

# py EXPR [FILE]: evaluate a python3 expression on the JSON document in
# FILE (default: the last stdout) bound to `d`; prints its value (str()).
# Fails the test unless the file holds exactly one JSON document.
py() {
	python3 - "$1" "${2:-$OUT}" <<'EOF' || fail "python3: $1"
import json, sys
expr, path = sys.argv[1], sys.argv[2]
with open(path) as f:
    text = f.read()
try:
    d = json.loads(text)  # exactly one document, or this raises
except ValueError as e:
    sys.exit("not one JSON document: %s" % e)
v = eval(expr, {"d": d, "json": json})
print(v if not isinstance(v, bool) else str(v).lower())
EOF
}

# py_true EXPR [FILE]: the expression holds.
py_true() {
	[ "$(py "$@")" = true ] || fail "does not hold: $1"
}

# The independent oracle: `ip -j -d link show dev NAME` into $T/link.json.
ip_link() {
	ip -j -d link show dev "$1" >"$T/link.json" 2>/dev/null || fail "ip link show $1: no such device"
}
link_exists() {
	ip link show dev "$1" >/dev/null 2>&1
}
