#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# include/mvlink.h is documented function by function: every function it
# declares, and every symbol lib/libmvlink.sym exports, must be declared in
# the header with a doc comment of its own ("/** ... */") directly above the
# declaration: no blank line, and no other declaration, between them.
set -eu
sym="$top_srcdir/lib/libmvlink.sym"
hdr="$top_srcdir/include/mvlink.h"

awk -v symfile="$sym" '
function fail(msg) { print "FAIL: " msg > "/dev/stderr"; bad++ }
BEGIN {
	while ((getline l < symfile) > 0)
		if (match(l, /^[ \t]*mvl_[a-z0-9_]+;/)) {
			s = substr(l, RSTART, RLENGTH); gsub(/[ \t;]/, "", s)
			listed[s] = 1; nlisted++
		}
	if (nlisted == 0) { fail(symfile ": no symbols found"); exit 1 }
}
{
	line[NR] = $0
	# Split the line into code and comment; remember where comments start
	# and end.  A comment starting with "/**" is a doc comment.
	code = ""; rest = $0
	while (rest != "") {
		if (incomment) {
			cbody = cbody "\n" rest
			p = index(rest, "*/")
			if (!p) { rest = ""; break }
			incomment = 0; rest = substr(rest, p + 2)
			cend[NR] = cstart; body[NR] = cbody
			continue
		}
		p = index(rest, "/*")
		if (!p) { code = code rest; break }
		code = code substr(rest, 1, p - 1)
		rest = substr(rest, p)
		incomment = 1; cstart = NR; cbody = ""
		isdoc[NR] = (substr(rest, 1, 3) == "/**")
		rest = substr(rest, 3)
	}
	code_of[NR] = code
	# A line that starts a function declaration: at column 0, the first
	# mvl_ identifier followed by "(" is its name.
	if (code ~ /^[A-Za-z_]/ && code !~ /^(typedef|#)/ &&
	    match(code, /mvl_[a-z0-9_]+[ \t]*\(/)) {
		n = substr(code, RSTART, RLENGTH); sub(/[ \t]*\($/, "", n)
		declstart[NR] = n
		if (n in declared) fail(n " is declared twice in mvlink.h")
		declared[n] = NR
		indecl = 1
	}
	if (indecl) { partofdecl[NR] = 1; if (code ~ /;/) indecl = 0 }
}
END {
	for (s in listed)
		if (!(s in declared))
			fail(s " is listed in " symfile " but not declared in mvlink.h")
	for (n in declared) {
		s = declared[n]
		# a return type on a line of its own
		while (s > 1 && code_of[s - 1] ~ /[A-Za-z_*][ \t]*$/ && !((s - 1) in cend) &&
		       code_of[s - 1] !~ /[;{}][ \t]*$/ && !((s - 1) in partofdecl))
			s--
		j = s - 1
		if (j < 1 || !(j in cend) || code_of[j] !~ /^[ \t]*$/) {
			fail(n " (mvlink.h line " declared[n] ") has no doc comment directly above it" \
			     ((j in partofdecl) ? " (a comment above the declaration before it does not count)" : ""))
			continue
		}
		if (!isdoc[cend[j]]) {
			fail(n " (mvlink.h line " declared[n] "): the comment above it is not a doc comment (\"/**\")")
			continue
		}
		text = body[j]
		if (text ~ /^[ \t\n*\/]*$/) {
			fail(n " (mvlink.h line " declared[n] "): its doc comment is empty")
			continue
		}
		ok++
	}
	if (bad) exit 1
	printf "PASS: %d functions of mvlink.h (%d listed in libmvlink.sym) have a doc comment\n", ok, nlisted
}
' "$hdr"
