#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# include/mvlink.h must compile on its own, as C and as C++, warning-free.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <mvlink.h>\nint main(void) { return mvl_ctx_new(0) == 0; }\n' >"$tmp/t.c"
cp "$tmp/t.c" "$tmp/t.cc"
${CC:-cc} -std=c99 -Wall -Wextra -Werror -pedantic -I"$top_srcdir/include" -c "$tmp/t.c" -o "$tmp/c.o"
${CXX:-c++} -std=c++11 -Wall -Wextra -Werror -pedantic -I"$top_srcdir/include" -c "$tmp/t.cc" -o "$tmp/cc.o"
echo "PASS: mvlink.h compiles alone as C99 and C++11"
