#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The symbols libmvlink.so exports must be exactly those lib/libmvlink.sym
# lists, and every one of them must be declared in include/mvlink.h.
#
# And the library holds no global mutable state: no symbol of its own in a
# writable data section (.data*, .bss*, .tdata, .tbss, common; not
# .data.rel.ro, const tables that are read-only after relocation), test
# seams included (they live in struct mvl_ctx).  Both the shared library
# and its objects (lib/.libs/libmvlink-internal.a, which the tests link,
# before --gc-sections drops what nothing uses) are checked.  The only
# symbols allowed are listed below, each with its section and reason.
set -eu
so="$top_builddir/lib/.libs/libmvlink.so"
ar="$top_builddir/lib/.libs/libmvlink-internal.a"
sym="$top_srcdir/lib/libmvlink.sym"
hdr="$top_srcdir/include/mvlink.h"
[ -e "$so" ] || { echo "FAIL: $so not built" >&2; exit 1; }
[ -e "$ar" ] || { echo "FAIL: $ar not built" >&2; exit 1; }
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

# "section name" (name an awk regular expression) and why it is there
allowed='
.tbss guard_jmp
.tbss guard_ctx
.tbss guard_msg
.bss completed[.][0-9]+
.data __dso_handle
.data __TMC_END__
'
# guard_*: lib/pci.c, thread-local and live only during one libpci call:
#   libpci reports errors through a callback that carries no context.
# completed.N, __dso_handle, __TMC_END__: the compiler's crtbeginS.o/
#   crtendS.o, linked into every shared object (destructor flag, the DSO's
#   handle for __cxa_atexit, the end of the TM clone table).
# __asan_*, __ubsan_*, __sancov_*, __gcov*: sanitizer/coverage builds.
for f in "$so" "$ar"; do
	objdump -t "$f" >"$tmp/one" || { echo "FAIL: objdump -t $f" >&2; exit 1; }
	grep -q ' mvl_ctx_new$' "$tmp/one" || { echo "FAIL: $f has no symbol table" >&2; exit 1; }
	cat "$tmp/one" >>"$tmp/symtab"
done
awk -F'\t' -v allowed="$allowed" '
	BEGIN { n = split(allowed, a, "\n"); for (i = 1; i <= n; i++) if (a[i] != "") ok[a[i]] = 1 }
	{
		flags = substr($1, index($1, " ") + 1, 7)
		k = split($1, f, " "); sec = f[k]
		k = split($2, g, " "); name = g[k]
		if (flags ~ /[dfF]/ || name == "")
			next # section, file or function symbols
		if (sec !~ /^(\.(data|bss|tdata|tbss)(\..*)?|\*COM\*)$/ ||
		    sec ~ /^\.data\.rel\.ro(\.|$)/)
			next
		if (name ~ /^_*(asan|ubsan|sancov|gcov)/)
			next
		# -fdata-sections: .bss.<name> is .bss
		l = length(sec) - length(name) - 1
		if (l > 0 && substr(sec, l + 1) == "." name)
			sec = substr(sec, 1, l)
		for (e in ok) {
			split(e, p, " ")
			if (sec == p[1] && name ~ ("^" p[2] "$"))
				next
		}
		print sec, name
	}' "$tmp/symtab" | sort -u >"$tmp/writable"
if [ -s "$tmp/writable" ]; then
	echo "FAIL: the library defines writable global data (keep such state in struct" >&2
	echo "mvl_ctx, or list it in $0 with its reason):" >&2
	sed 's/^/  /' "$tmp/writable" >&2
	status=1
fi

n=$(wc -l <"$tmp/exported")
[ "$status" = 0 ] && echo "PASS: $n exported symbols match $sym and mvlink.h; no writable global data"
exit $status
