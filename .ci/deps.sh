#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install every Debian package mvlink needs (build, tests, QEMU harness).
# Idempotent; needs root.  Lists: .ci/packages.txt and tests/vm/host-packages.txt.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: run as root (apt-get install)" >&2
	exit 1
fi
pkgs=$(cat "$here/packages.txt" "$top/tests/vm/host-packages.txt" 2>/dev/null |
	sed 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps.sh: all $(echo "$pkgs" | wc -l) packages installed"
	exit 0
fi
# One line per phase; apt's own output goes to a log, shown only when a
# phase fails.
log=$(mktemp /tmp/mvlink-deps.XXXXXX)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
phase() {
	what=$1
	shift
	start=$(date +%s)
	if ! "$@" >>"$log" 2>&1; then
		echo "deps.sh: $what: FAILED; apt's log:" >&2
		cat "$log" >&2
		exit 1
	fi
	echo "deps.sh: $what ($(($(date +%s) - start)) s)"
}
phase "apt-get update" apt-get update -q
# shellcheck disable=SC2086
phase "installing$missing" apt-get install -y -q --no-install-recommends $missing
