#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# layers.sh - lib/ is built in layers that only call down, and its files
# call each other in no circle.  The proof is read from the objects' own
# symbol tables, not from the sources: for each object, nm lists the global
# symbols it defines (T D B R C G S V W i u: functions, data, read-only
# tables, common and weak symbols) and those it uses (U, and undefined weak
# w v).  A use of a symbol another object defines is an edge from the first
# object's source file to the second's; symbols no object defines (libc,
# libnl, json-c, sanitizers) are not edges.  Each file's layer is written
# once, in the layer table of lib/README.md.  It fails, naming the files,
# their layers and the symbols, when
#   - an object's file has no row in the table, or a row has no object;
#   - a file uses a symbol of a file of a higher layer;
#   - files call each other in a circle, even within one layer (each circle
#     is printed: its files, one path around it, the symbols of each edge);
#   - a source next to the table includes the internal header of a higher
#     layer than its own (a layer "4 kinds" has the header kinds.h).
#
# Usage: layers.sh [-v] [OBJECTS [TABLE]]
#   OBJECTS  an archive or a directory of *.o (default: the archive the
#            build links, $top_builddir/lib/.libs/libmvlink-internal.a,
#            which holds exactly the objects of the current sources; a
#            directory may keep a stale object of a removed source).  An
#            object's file is its name without libtool's "<lib>_la-"
#            prefix, with .c for .o: libmvlink_internal_la-tap.o is tap.c.
#   TABLE    the file holding the layer table (default
#            $top_srcdir/lib/README.md): the rows of the first Markdown
#            table after a line containing "<!-- layer table", each
#            | `file.c` | N name | what it holds |
#            up to the first line that does not start with "|".
#   -v       also print every edge: file (layer) -> file (layer): symbols.
# Run by make check (which sets top_srcdir and top_builddir); the
# self-test tests/layers-selftest.sh proves each verdict on tiny objects.
# Needs only sh, awk (POSIX; mawk is enough) and nm (binutils; NM=... to
# use another).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=.}"
NM=${NM:-nm}

verbose=0
if [ "${1:-}" = -v ]; then
	verbose=1
	shift
fi
objects=${1:-$top_builddir/lib/.libs/libmvlink-internal.a}
table=${2:-$top_srcdir/lib/README.md}
[ -e "$objects" ] || { echo "FAIL: $objects: not built" >&2; exit 1; }
[ -r "$table" ] || { echo "FAIL: $table: no layer table" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mvlink-layers.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# One line per symbol: "OBJECT: NAME TYPE [VALUE SIZE]" (POSIX format), the
# object written "archive[member]" for an archive's members.
if [ -d "$objects" ]; then
	set -- "$objects"/*.o
	[ -e "$1" ] || { echo "FAIL: $objects: no *.o" >&2; exit 1; }
else
	set -- "$objects"
fi
"$NM" -A -P "$@" >"$tmp/nm" 2>"$tmp/nm.err" || {
	echo "FAIL: $NM -A -P $objects:" >&2
	cat "$tmp/nm.err" >&2
	exit 1
}

awk -v verbose="$verbose" -v table="$table" -v objects="$objects" '
function fail(msg) {
	print "FAIL: " msg
	status = 1
}
function trim(s) {
	gsub(/^[ \t`]+|[ \t`]+$/, "", s)
	return s
}
function lay(f) {
	return f " (layer " layer[f] ")"
}
# the source file of an nm object tag: "a.a[p_la-x.o]:" or "dir/x.o:"
function source(tag) {
	sub(/:$/, "", tag)
	if (tag ~ /\]$/) {
		sub(/^.*\[/, "", tag)
		sub(/\]$/, "", tag)
	}
	sub(/^.*\//, "", tag)
	sub(/^.*_la-/, "", tag)
	sub(/\.o$/, ".c", tag)
	return tag
}
# Tarjan: the strongly connected components of the file graph
function connect(v,    w, k) {
	idx[v] = low[v] = ++counter
	stack[++sp] = v
	onstack[v] = 1
	for (w = 1; w <= nf; w++) {
		if (!((v, w) in edge))
			continue
		if (!(w in idx)) {
			connect(w)
			if (low[w] < low[v])
				low[v] = low[w]
		} else if (onstack[w] && idx[w] < low[v])
			low[v] = idx[w]
	}
	if (low[v] != idx[v])
		return
	ncomp++
	k = 0
	do {
		w = stack[sp--]
		onstack[w] = 0
		comp[w] = ncomp
		k++
	} while (w != v)
	compsize[ncomp] = k
}
# one shortest path around the circle through v, within its component
function circle(v,    queue, head, tail, from, u, w, path) {
	head = tail = 0
	queue[++tail] = v
	delete from
	while (head < tail) {
		u = queue[++head]
		for (w = 1; w <= nf; w++) {
			if (!((u, w) in edge) || comp[w] != comp[v])
				continue
			if (w == v) {
				path = name[v]
				for (; u != v; u = from[u])
					path = name[u] " -> " path
				return name[v] " -> " path
			}
			if (!(w in from)) {
				from[w] = u
				queue[++tail] = w
			}
		}
	}
	return "?"
}
BEGIN {
	status = 0
	while ((getline line < table) > 0) {
		if (line ~ /<!-- *layer table/) {
			intable = 1
			continue
		}
		if (!intable)
			continue
		if (line !~ /^\|/) {
			if (rows)
				break
			continue
		}
		n = split(line, cell, "|")
		f = trim(cell[2])
		if (f !~ /\.c$/)
			continue # the header and the --- line
		l = trim(cell[3])
		if (f !~ /^[A-Za-z0-9_.-]+\.c$/ || l !~ /^[0-9]+ [a-z]+$/) {
			fail(table ": bad layer table row (want | `file.c` | N name | ... |): " line)
			continue
		}
		if (f in layer) {
			fail(table ": " f " has two rows in the layer table")
			continue
		}
		rows++
		layer[f] = l
		rank[f] = l + 0
		order[rows] = f
		# the header of the layer: "4 kinds" is kinds.h, of rank 4
		hname = l
		sub(/^[0-9]+ /, "", hname)
		hrank[hname ".h"] = l + 0
	}
	close(table)
	if (!rows) {
		fail(table ": no layer table (a line \"<!-- layer table\" and then | `file.c` | N name | ... | rows)")
		exit
	}
}
{
	f = source($1)
	if (!(f in num)) {
		num[f] = ++nf
		name[nf] = f
	}
	sym = $2
	type = $3
	if (type ~ /^[BCDGRSTVWiu]$/) {
		if (!(sym in def))
			def[sym] = f # weak or common in two objects: the first
	} else if (type ~ /^[Uwv]$/)
		uses[++nu] = f SUBSEP sym
}
END {
	if (!rows)
		exit 1
	if (!nf) {
		print "FAIL: " objects ": no symbols"
		exit 1
	}
	for (i = 1; i <= nf; i++)
		if (!(name[i] in layer))
			fail(name[i] " has an object but no row in the layer table of " table)
	for (i = 1; i <= rows; i++)
		if (!(order[i] in num))
			fail(order[i] " has a row in the layer table of " table " but no object in " objects)
	for (i = 1; i <= nu; i++) {
		split(uses[i], p, SUBSEP)
		if (!(p[2] in def) || def[p[2]] == p[1])
			continue
		a = num[p[1]]
		b = num[def[p[2]]]
		if ((a, b) in edge)
			edge[a, b] = edge[a, b] " " p[2]
		else
			edge[a, b] = p[2]
	}
	nedges = 0
	for (a = 1; a <= nf; a++)
		for (b = 1; b <= nf; b++) {
			if (!((a, b) in edge))
				continue
			nedges++
			fa = name[a]
			fb = name[b]
			if (verbose)
				print "edge: " lay(fa) " -> " lay(fb) ": " edge[a, b]
			if ((fa in layer) && (fb in layer) && rank[fb] > rank[fa])
				fail(lay(fa) " calls up into " lay(fb) ": " edge[a, b])
		}
	for (v = 1; v <= nf; v++)
		if (!(v in idx))
			connect(v)
	ncycles = 0
	for (c = 1; c <= ncomp; c++) {
		if (compsize[c] < 2)
			continue
		ncycles++
		files = ""
		first = 0
		for (v = 1; v <= nf; v++)
			if (comp[v] == c) {
				files = files " " name[v]
				if (!first)
					first = v
			}
		fail("a circle of " compsize[c] " files:" files)
		print "  for example: " circle(first)
		for (a = 1; a <= nf; a++)
			for (b = 1; b <= nf; b++)
				if (comp[a] == c && comp[b] == c && ((a, b) in edge))
					print "  " lay(name[a]) " -> " lay(name[b]) ": " edge[a, b]
	}
	# The same rule at compile time: a file includes no header of a higher
	# layer than its own (the sources next to the table; files not there,
	# as in the self-test, are not read).
	libdir = table
	sub(/[^\/]*$/, "", libdir)
	for (i = 1; i <= rows; i++) {
		f = order[i]
		src = libdir f
		while ((getline line < src) > 0) {
			if (line !~ /^#include "[a-z]+\.h"/)
				continue
			h = line
			sub(/^#include "/, "", h)
			sub(/".*$/, "", h)
			if ((h in hrank) && hrank[h] > rank[f])
				fail(lay(f) " includes " h ", the header of layer " hrank[h])
		}
		close(src)
	}
	if (status)
		exit 1
	print "PASS: " nf " files in their layers, " nedges " edges between them, none up, no circle"
}' "$tmp/nm"
