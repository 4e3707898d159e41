#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/repeat.sh N TEST...: run each test program N times, two runs at a
# time (each its own namespaces and state directory, so they load each
# other as a busy CI machine would), from the build directory.  A flaky
# test then fails at the change that made it flaky.  Stops at the first
# failure and prints that run's log; prints one line per test:
#   repeat: tests/test-crash: 10 of 10 passed (73 s)
# `make check-repeat` runs it (REPEAT=N, default 10); tests/run-all.sh too.
set -uo pipefail
if [ $# -lt 2 ] || ! [ "$1" -gt 0 ] 2>/dev/null; then
	echo "usage: tests/repeat.sh N TEST..." >&2
	exit 2
fi
n=$1
shift
logs=$(mktemp -d /tmp/mvlink-repeat.XXXXXX)
trap 'rm -rf "$logs"' EXIT
# interrupted: the runs under way go too
trap 'kill $(jobs -p) 2>/dev/null; exit 130' INT TERM
export MVLINK_REQUIRE_KERNEL_TESTS=${MVLINK_REQUIRE_KERNEL_TESTS:-1}

# One run of $1 as run $2: its exit status, its output in $logs.
run_one() {
	local t=$1 i=$2 rc=0
	case $t in /*) ;; *) t=./$t ;; esac
	"$t" >"$logs/$(basename "$t").$i.log" 2>&1 || rc=$?
	echo "$rc" >"$logs/$(basename "$t").$i.rc"
}

for t in "$@"; do
	if [ ! -x "$t" ]; then
		echo "repeat: $t: not built" >&2
		exit 1
	fi
	start=$(date +%s)
	passed=0
	for ((i = 1; i <= n; i += 2)); do
		run_one "$t" "$i" &
		[ $((i + 1)) -le "$n" ] && run_one "$t" $((i + 1)) &
		wait
		for j in "$i" $((i + 1)); do
			rcf="$logs/$(basename "$t").$j.rc"
			[ -f "$rcf" ] || continue
			rc=$(cat "$rcf")
			if [ "$rc" != 0 ]; then
				echo "repeat: $t: run $j of $n FAILED (exit status $rc) after $passed passed:"
				cat "$logs/$(basename "$t").$j.log"
				exit 1
			fi
			passed=$((passed + 1))
		done
	done
	echo "repeat: $t: $passed of $n passed ($(($(date +%s) - start)) s)"
done
