#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build mvlink and run every test: unit, kernel (private network
# namespaces), CLI, the QEMU harness, and make distcheck.  Needs root and the
# packages of .ci/deps.sh.  Kernel and VM tests may not skip here.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${MVLINK_BUILD_DIR:-$top/build}
export MVLINK_REQUIRE_KERNEL_TESTS=1
export MVLINK_VM_CACHE=${MVLINK_VM_CACHE:-/var/cache/mvlink-vm}

summary() { # the automake harness's counts of a build dir, as one line
	local log=$1/test-suite.log
	[ -f "$log" ] || return 0
	awk -v what="$2" '/^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):/ { n[$2]=$3 }
	END { printf "%s: %d passed, %d failed, %d skipped\n", what, n["PASS:"]+n["XFAIL:"],
	      n["FAIL:"]+n["XPASS:"]+n["ERROR:"], n["SKIP:"] }' "$log"
}

cd "$top"
./autogen.sh >/dev/null
rm -rf "$build"
mkdir -p "$build"
cd "$build"
"$top/configure" -q
make -j2 >/dev/null

echo "== preparing the QEMU guest kernel (cached in $MVLINK_VM_CACHE)"
"$top/tests/vm/prepare-kernel.sh" "$MVLINK_VM_CACHE"

echo "== make check"
if ! make -j2 check; then
	for f in tests/*.log tests/vm/*.log; do
		[ -f "$f" ] && grep -qE '^(FAIL|ERROR)' "${f%.log}.trs" 2>/dev/null &&
			{ echo "---- $f"; tail -n 80 "$f"; }
	done
	summary . "make check"
	exit 1
fi
summary . "make check"

echo "== make distcheck"
make -j2 distcheck >distcheck.log 2>&1 || { tail -n 120 distcheck.log; exit 1; }
echo "distcheck: ok"
