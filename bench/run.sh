#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/run.sh - build mvlink-bench and run it in a network namespace of its
# own, so that it never sees or touches the host's interfaces and sends no
# traffic outside.  Usage:
#
#   sudo bench/run.sh [mvlink-bench options]      e.g. --sizes 1,100 --ops 10
#
# Builds out of tree in $MVLINK_BENCH_BUILDDIR (default
# ${TMPDIR:-/tmp}/mvlink-bench-build), prints the table and writes the JSON
# document to $MVLINK_BENCH_JSON (default ./mvlink-bench.json).
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${MVLINK_BENCH_BUILDDIR:-${TMPDIR:-/tmp}/mvlink-bench-build}
json=${MVLINK_BENCH_JSON:-$PWD/mvlink-bench.json}

die() {
	echo "bench/run.sh: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (it creates a network namespace and links in it)"
for tool in ip unshare mount make; do
	command -v "$tool" >/dev/null || die "'$tool' is missing"
done

if [ ! -x "$srcdir/configure" ]; then
	(cd "$srcdir" && ./autogen.sh) || die "autogen.sh failed"
fi
mkdir -p "$builddir"
if [ ! -f "$builddir/config.status" ]; then
	(cd "$builddir" && "$srcdir/configure" -q) || die "configure failed (see $builddir/config.log)"
fi
make -C "$builddir" -s -j"$(nproc)" bench || die "building the benchmark failed"

label=$(git -C "$srcdir" describe --always --dirty 2>/dev/null || echo unknown)

# A new network namespace (only lo, down) and a mount namespace with a sysfs
# of that network namespace and a tmpfs on /run, where mvlink keeps its
# journals and locks (/run/mvlink) as on a host; all vanish with the
# benchmark.
exec unshare --net --mount sh -c '
	set -e
	mount --make-rprivate /
	mount -t sysfs sysfs /sys
	mount -t tmpfs -o mode=0755,size=64m tmpfs /run
	exec "$@"
' mvlink-bench "$builddir/bench/mvlink-bench" --json "$json" --label "$label" "$@"
