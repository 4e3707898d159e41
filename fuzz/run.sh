#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: fuzz/run.sh [BUILD_DIR] [SECONDS]
#
# Build every libFuzzer target fuzz/fuzz-*.c with clang (ASan + UBSan)
# against the library's sources and the tool's (tools/*.c without main(),
# for fuzz-cli) and run each for SECONDS (default 30, or
# $MVLINK_FUZZ_SECONDS), starting from its seed corpus fuzz/corpus/NAME/
# (copied: the source tree is never written), with the dictionary
# fuzz/NAME.dict when there is one.  The targets: mac (MAC addresses), pci
# (PCI addresses), names (interface names, templates, VM ids), tag (the
# tag in IFLA_IFALIAS), journal (the crash-recovery journals), cli (the
# mvlink command line: global and every command's options, parse phase
# only).  BUILD_DIR is a configured build tree (for config.h; default
# ./build).  A crash, leak or sanitizer report fails the run and leaves the
# reproducer in the work directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
build=$(cd "${1:-$top/build}" && pwd)
secs=${2:-${MVLINK_FUZZ_SECONDS:-30}}
work=$(mktemp -d /tmp/mvlink-fuzz.XXXXXX)
cc=${CLANG:-clang}

[ -f "$build/config.h" ] || { echo "fuzz: $build/config.h missing: configure first" >&2; exit 1; }
flags=(-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
	-include "$build/config.h" -I"$top/include" -I"$top/lib"
	$(pkg-config --cflags libnl-3.0 libnl-route-3.0 json-c libpci))
libs=($(pkg-config --libs libnl-3.0 libnl-route-3.0 json-c libpci))

echo "fuzz: building the library and the tool with $cc in $work"
objs=()
for src in "$top"/lib/*.c; do
	obj="$work/$(basename "${src%.c}").o"
	"$cc" "${flags[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
	objs+=("$obj")
done
# the tool's files in an archive: a target links only what it uses
tool_objs=()
for src in "$top"/tools/*.c; do
	obj="$work/tool-$(basename "${src%.c}").o"
	"$cc" "${flags[@]}" -DMVLINK_NO_MAIN -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
	tool_objs+=("$obj")
done
ar rcs "$work/tool.a" "${tool_objs[@]}"

status=0
for target in "$here"/fuzz-*.c; do
	name=$(basename "${target%.c}")
	name=${name#fuzz-}
	"$cc" "${flags[@]}" -fsanitize=fuzzer "$target" "${objs[@]}" "$work/tool.a" "${libs[@]}" \
		-o "$work/fuzz-$name"
	mkdir -p "$work/corpus-$name"
	[ -d "$here/corpus/$name" ] && cp -r "$here/corpus/$name/." "$work/corpus-$name/"
	chmod -R u+w "$work/corpus-$name" # the seeds of a read-only tree (distcheck)
	dict=()
	[ -f "$here/$name.dict" ] && dict=(-dict="$here/$name.dict")
	echo "fuzz: $name for ${secs}s"
	if (cd "$work" && "./fuzz-$name" -max_total_time="$secs" -max_len=4096 "${dict[@]}" \
		-print_final_stats=1 "corpus-$name" >"$work/$name.log" 2>&1); then
		grep -E '^stat::number_of_executed_units' "$work/$name.log" | sed "s/^/fuzz: $name: /"
	else
		echo "fuzz: $name FAILED; log and reproducer in $work" >&2
		tail -n 40 "$work/$name.log" >&2
		status=1
	fi
done
[ "$status" = 0 ] && rm -rf "$work"
exit $status
