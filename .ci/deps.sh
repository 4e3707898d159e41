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
if [ -n "$missing" ]; then
	echo "deps.sh: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi
