#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build mvlink and run every test: unit, kernel (private network
# namespaces), CLI, the QEMU harness (a real VMM on mvlink's fds; SR-IOV
# and VFIO on Debian's kernel), README's examples/demo.sh on that build,
# make distcheck, a sanitizer build with fault injection, valgrind memcheck
# and the fuzzers.  Needs root and the packages of .ci/deps.sh.  Nothing may
# skip here: a skipped test fails the run.
#
# Environment: MVLINK_BUILD_DIR (default ./build), MVLINK_VM_CACHE
# (default /var/cache/mvlink-vm), MVLINK_FUZZ_SECONDS (default 30),
# MVLINK_REPEAT (default 10: how many times make check-repeat runs the
# fault, crash and race suites), MVLINK_QUICK=1 to stop after make check.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${MVLINK_BUILD_DIR:-$top/build}
export MVLINK_REQUIRE_KERNEL_TESTS=1
export MVLINK_VM_CACHE=${MVLINK_VM_CACHE:-/var/cache/mvlink-vm}
passed=0
failed=0

step() { printf '\n== %s\n' "$*"; }
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }

# The automake harness's verdict of a build dir, as one line; failing and
# skipped tests' logs.  A skip fails the step: in CI every test must run.
report() {
	local what=$2 log=$1/test-suite.log skips
	[ -f "$log" ] || { bad "$what: no test-suite.log"; return; }
	awk -v what="$what" '/^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):/ { n[$2]=$3 }
	END { printf "%s: %d passed, %d failed, %d skipped\n", what, n["PASS:"]+n["XFAIL:"],
	      n["FAIL:"]+n["XPASS:"]+n["ERROR:"], n["SKIP:"] }' "$log"
	grep -h -A60 -E '^(FAIL|ERROR|SKIP): ' "$log" | head -n 400 || :
	skips=$(sed -n 's/^# SKIP: *//p' "$log")
	if [ "${skips:-0}" != 0 ]; then
		bad "$what: $skips test(s) skipped:$(grep -B1 -x '==*' "$log" | sed -n 's/^SKIP: / /p' |
			tr -d '\n') (a skip counts as a failure here)"
	fi
}

cd "$top"
./autogen.sh >/dev/null

step "preparing the QEMU guest kernel (cached in $MVLINK_VM_CACHE)"
"$top/tests/vm/prepare-kernel.sh" "$MVLINK_VM_CACHE"

step "build and make check ($build)"
rm -rf "$build"
mkdir -p "$build"
cd "$build"
"$top/configure" -q
make -j2 >/dev/null
if make -j2 check >/dev/null 2>&1; then ok "make check"; else bad "make check"; fi
report "$build" "make check"
[ "${MVLINK_QUICK:-0}" = 1 ] && { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit; }

step "the fault, crash and race suites again, ${MVLINK_REPEAT:-10} times each, two at a time"
if make check-repeat REPEAT="${MVLINK_REPEAT:-10}"; then ok "repeat"; else bad "repeat"; fi

step "README's demo: examples/demo.sh on this build (a QEMU guest on mvlink exec's tap)"
if MVLINK_BUILD_DIR=$build "$top/examples/demo.sh" >"$build/demo.log" 2>&1; then
	ok "demo"
else
	bad "demo (exit status $?)"
	tail -n 80 "$build/demo.log"
fi

step "make distcheck"
if make -j2 distcheck >distcheck.log 2>&1; then ok "distcheck"; else
	bad "distcheck"
	tail -n 150 distcheck.log
fi

step "ASan + UBSan + fault injection: the C tests and the exit-3 CLI test"
san="$build-san"
rm -rf "$san"
mkdir -p "$san"
(cd "$san" && "$top/configure" -q --enable-asan --enable-ubsan --enable-fault-injection &&
	make -j2 >/dev/null)
# the C test programs plus cli-undo, which needs fault injection
ctests=$(cd "$san" && make -s -f - print-unit-tests <<'MK'
include Makefile
print-unit-tests: ; @echo $(unit_tests)
MK
)
if (cd "$san" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	make -j2 check TESTS="$ctests tests/cli-undo.sh" >/dev/null 2>&1); then
	ok "sanitizers"
else
	bad "sanitizers"
fi
report "$san" "sanitizers"

step "valgrind memcheck: the C tests"
vg_fail=0
for t in $ctests; do
	log="$build/$t.valgrind.log"
	# No --error-exitcode: it would also become the exit status of the
	# children the tests fork and check.  -q prints only errors and leaks,
	# so any valgrind line in the log is a failure.  The children the
	# tests fork are checked too (for memory errors; mvt_child_init()
	# turns their leak check off: their heap is the parent's copy).
	rc=0
	(cd "$build" && CK_FORK=no valgrind -q --child-silent-after-fork=no \
		--suppressions="$top/tests/valgrind.supp" --leak-check=full \
		--show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible \
		"./$t" >"$log" 2>&1) || rc=$?
	if [ "$rc" = 0 ] && ! grep -qE '^==[0-9]+== +[^ ]' "$log"; then
		echo "valgrind: $t clean"
	else
		echo "valgrind: $t FAILED (exit status $rc)"
		grep -v '^==[0-9]*== *$' "$log" | head -n 60
		vg_fail=1
	fi
done
if [ "$vg_fail" = 0 ]; then ok "valgrind"; else bad "valgrind"; fi

step "fuzzing (${MVLINK_FUZZ_SECONDS:-30} s per target)"
if "$top/fuzz/run.sh" "$build"; then ok "fuzzing"; else bad "fuzzing"; fi

echo
echo "run-all: $passed passed, $failed failed"
[ "$failed" = 0 ]
