#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The symbols libmvlink.so exports must be exactly those lib/libmvlink.sym
# lists, and every one of them must be declared in include/mvlink.h.
set -eu
so="$top_builddir/lib/.libs/libmvlink.so"
sym="$top_srcdir/lib/libmvlink.sym"
hdr="$top_srcdir/include/mvlink.h"
[ -e "$so" ] || { echo "FAIL: $so not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRW]$/ { sub(/@.*/, "", $3); print $3 }' |
	grep -v '^LIBMVLINK_' | sort -u >"$tmp/exported"
sed -n 's/^[[:space:]]*\(mvl_[a-z0-9_]*\);.*/\1/p' "$sym" | sort -u >"$tmp/listed"

status=0
if ! diff -u "$tmp/listed" "$tmp/exported" >"$tmp/diff"; then
	echo "FAIL: exported symbols differ from $sym (- listed only, + exported only):" >&2
	cat "$tmp/diff" >&2
	status=1
fi
while read -r s; do
	grep -q "\\b$s(" "$hdr" || { echo "FAIL: $s is exported but not declared in mvlink.h" >&2; status=1; }
done <"$tmp/exported"
n=$(wc -l <"$tmp/exported")
[ "$status" = 0 ] && echo "PASS: $n exported symbols match $sym and mvlink.h"
exit $status
