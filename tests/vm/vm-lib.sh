# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vm-lib.sh - helpers shared by the tests/vm/ scripts.  Sourced, never run.
#
#   vm_msg TEXT...        progress message on stderr, prefixed with the script name
#   vm_die TEXT...        error message on stderr, exit 1
#   vm_need CMD...        die unless every CMD is on $PATH
#   vm_usage              print the script's usage: its header comment from line 4
#   vm_help_option [ARG]  with ARG -h or --help: print the usage, exit 0
#   vm_case_args ARGS...  the options -h/--help and --case NAME (repeatable, NAME
#                         a word of VM_ALL_CASES): sets VM_CASES (default: all)
#                         and leaves the other ARGS in the array VM_ARGS
#   vm_tmpdir TEMPLATE    make the directory VM_TMP (mktemp -d TEMPLATE), removed
#                         at exit unless the script empties VM_TMP first to keep it
#   vm_cache_dir [DIR]    print the cache directory (DIR, else $MVLINK_VM_CACHE,
#                         else /var/cache/mvlink-vm)
#   vm_prepare_kernel DIR run prepare-kernel.sh DIR and set KVER VMLINUZ MODDIR NETDEVSIM
#   vm_parse_kernel TEXT  set those from prepare-kernel.sh's output TEXT; false
#                         unless they name what exists
#   vm_boot LOG TIMEOUT QEMU-ARGS...
#                         run qemu under `timeout`, stream the guest console to
#                         stdout and LOG, parse the result marker; sets VM_STATUS
#                         to the guest script's exit status, or to 99 (and prints
#                         why) when the guest never reported one.
#   vm_guest_main ARGS... the whole of run-guest.sh / run-vmm-guest.sh: parse the
#                         common options, boot, exit with the guest's status.
#                         The caller sets VM_MACHINE (array: machine/device
#                         args) and may define vm_extra_option OPT VALUE
#                         (return 0 when it took the option) for its own options.
#   vm_is_fault_build DIR true when build tree DIR was configured with
#                         --enable-fault-injection
#   vm_fault_mvlink DIR TMP
#                         set VM_FAULT_MVLINK to an mvlink that reads
#                         MVLINK_FAULT_STEP, _KILL and _TRACE: DIR's when
#                         vm_is_fault_build DIR, else one built in TMP/fault
#                         from DIR's source tree with DIR's configure options
#                         plus --enable-fault-injection --disable-shared
#                         (libmvlink linked in; about 20 s); dies when that
#                         build fails
#
# For the make check tests that boot guests (tests/vm-*.sh), whose exit
# status automake reads (77 skip, 99 hard error):
#
#   vm_skip TEXT...       skip; a hard error when MVLINK_REQUIRE_KERNEL_TESTS=1 (CI)
#   vm_hard_error TEXT... a broken build or harness: never a skip
#   vm_harness_build      top_srcdir, top_builddir and MVLINK as make check sets
#                         them (guessed when run by hand from a build directory),
#                         absolute and exported; a hard error without mvlink
#   vm_harness_kernel     the guest kernel from a prepared cache only (its first
#                         preparation downloads ~240 MB, not something for make
#                         check to start): sets VM_CACHE and what
#                         vm_prepare_kernel sets, or skips
#
# The guest's /init (see mkinitramfs.sh) prints exactly one line
#     MVLINK-VM-RESULT: <status>
# on the serial console after the test script ends, and may print
#     MVLINK-VM-ERROR: <text>
# when it could not even start the test.  "No marker" is an infrastructure
# failure (qemu did not start, timed out, kernel panic, /init broke), reported
# as 99 so callers can tell it from a test that ran and failed.

VM_PROG=${0##*/}
VM_MARKER='MVLINK-VM-RESULT:'
VM_ERROR_MARKER='MVLINK-VM-ERROR:'
VM_NO_RESULT=99

vm_msg() {
	printf '%s: %s\n' "$VM_PROG" "$*" >&2
}

vm_die() {
	printf '%s: error: %s\n' "$VM_PROG" "$*" >&2
	exit 1
}

vm_need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			vm_die "'$c' not found; install the packages listed in tests/vm/host-packages.txt"
	done
}

vm_usage() {
	sed -n '4,/^$/s/^# \{0,1\}//p' "$0"
}

vm_help_option() {
	case ${1-} in
	-h | --help)
		vm_usage
		exit 0
		;;
	esac
}

VM_ALL_CASES='' VM_CASES='' VM_ARGS=()
vm_case_args() {
	VM_CASES='' VM_ARGS=()
	while [ $# -gt 0 ]; do
		case $1 in
		-h | --help)
			vm_usage
			exit 0
			;;
		--case)
			[ $# -ge 2 ] || vm_die "--case needs a name"
			case " $VM_ALL_CASES " in
			*" $2 "*) VM_CASES="$VM_CASES $2" ;;
			*) vm_die "unknown case '$2' (cases: $VM_ALL_CASES)" ;;
			esac
			shift
			;;
		*) VM_ARGS+=("$1") ;;
		esac
		shift
	done
	[ -n "$VM_CASES" ] || VM_CASES=$VM_ALL_CASES
}

VM_TMP=''
vm_tmpdir() {
	trap vm_rm_tmp EXIT
	trap 'exit 130' INT TERM
	VM_TMP=$(mktemp -d "$1")
}

# shellcheck disable=SC2317 # run by the EXIT trap
vm_rm_tmp() {
	[ -z "$VM_TMP" ] || rm -rf -- "$VM_TMP"
}

vm_cache_dir() {
	printf '%s\n' "${1:-${MVLINK_VM_CACHE:-/var/cache/mvlink-vm}}"
}

# Directory holding these scripts (works when sourced from a script there).
vm_here() {
	local d
	d=$(dirname -- "${BASH_SOURCE[0]}")
	(cd -- "$d" && pwd)
}

# vm_parse_kernel TEXT: import prepare-kernel.sh's KEY=VALUE lines into the
# caller's variables; false unless the kernel, its modules and netdevsim.ko
# are there.
vm_parse_kernel() {
	local line
	KVER='' VMLINUZ='' MODDIR='' NETDEVSIM=''
	while IFS= read -r line; do
		case $line in
		KVER=*) KVER=${line#KVER=} ;;
		VMLINUZ=*) VMLINUZ=${line#VMLINUZ=} ;;
		MODDIR=*) MODDIR=${line#MODDIR=} ;;
		NETDEVSIM=*) NETDEVSIM=${line#NETDEVSIM=} ;;
		esac
	done <<EOF
$1
EOF
	[ -n "$KVER" ] && [ -f "$VMLINUZ" ] && [ -d "$MODDIR" ] && [ -f "$NETDEVSIM" ]
}

# vm_prepare_kernel CACHE_DIR: fetch/build (or reuse) the guest kernel and
# import prepare-kernel.sh's KEY=VALUE lines into the caller's variables.
vm_prepare_kernel() {
	local out
	out=$("$(vm_here)/prepare-kernel.sh" "$1") || vm_die "prepare-kernel.sh failed"
	vm_parse_kernel "$out" || vm_die "prepare-kernel.sh gave incomplete output:
$out"
}

vm_is_fault_build() {
	grep -qx '#define MVL_FAULT_INJECTION 1' "$1/config.h" 2>/dev/null
}

vm_fault_mvlink() {
	local build=$1 tmp=$2 src opts
	# shellcheck disable=SC2034 # for the caller
	if vm_is_fault_build "$build"; then
		VM_FAULT_MVLINK=$build/tools/mvlink
		return 0
	fi
	src=$(sed -n 's/^abs_top_srcdir = //p' "$build/Makefile" 2>/dev/null || :)
	[ -x "$src/configure" ] ||
		vm_die "cannot find the source tree of $build (abs_top_srcdir in $build/Makefile: '$src')"
	opts=$("$build/config.status" --config) ||
		vm_die "cannot read the configure options of $build ($build/config.status --config)"
	mkdir "$tmp/fault"
	# A source tree configured in place refuses a build elsewhere: build
	# from a clean copy of it (make distdir) then.
	if [ -f "$src/config.status" ]; then
		vm_msg "$src is configured in place: building from a copy (make distdir)"
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$build" distdir \
			distdir="$tmp/fault-src" >"$tmp/distdir.log" 2>&1 || {
			tail -n 40 "$tmp/distdir.log" >&2
			vm_die "make distdir of $build into $tmp/fault-src failed (its log's end above)"
		}
		src=$tmp/fault-src
	fi
	vm_msg "building a fault-injection mvlink in $tmp/fault:" \
		"configure $opts --enable-fault-injection --disable-shared"
	# Not make check's make flags (TESTS=..., its jobserver) nor its
	# LD_LIBRARY_PATH (DIR's libmvlink.so); not a relative --srcdir
	# (make distcheck's).
	if ! (cd "$tmp/fault" && eval "set -- $opts" &&
		for a; do
			shift
			case $a in --srcdir=*) ;; *) set -- "$@" "$a" ;; esac
		done &&
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u LD_LIBRARY_PATH \
			"$src/configure" -q "$@" --enable-fault-injection --disable-shared &&
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u LD_LIBRARY_PATH \
			make -j2 tools/mvlink) >"$tmp/fault.log" 2>&1; then
		tail -n 40 "$tmp/fault.log" >&2
		vm_die "the fault-injection build in $tmp/fault failed (its log's end above)"
	fi
	# shellcheck disable=SC2034 # for the caller
	VM_FAULT_MVLINK=$tmp/fault/tools/mvlink
}

vm_skip() {
	if [ "${MVLINK_REQUIRE_KERNEL_TESTS:-0}" = 1 ]; then
		echo "ERROR: ${VM_PROG%.sh} cannot run but MVLINK_REQUIRE_KERNEL_TESTS=1: $*" >&2
		exit 99
	fi
	echo "SKIP: ${VM_PROG%.sh}: $*" >&2
	exit 77
}

vm_hard_error() {
	echo "ERROR: ${VM_PROG%.sh}: $*" >&2
	exit 99
}

vm_harness_build() {
	local d
	: "${top_srcdir:=$(dirname -- "$(dirname -- "$(vm_here)")")}"
	: "${top_builddir:=$PWD}"
	d=$(cd -- "$top_builddir" 2>/dev/null && pwd) || vm_hard_error "no build directory $top_builddir"
	top_builddir=$d
	: "${MVLINK:=$top_builddir/tools/mvlink}"
	case $MVLINK in
	/*) ;;
	*) MVLINK=$PWD/$MVLINK ;;
	esac
	export MVLINK top_srcdir top_builddir
	[ -x "$MVLINK" ] || vm_hard_error "no mvlink at $MVLINK (build first; make check sets MVLINK)"
}

vm_harness_kernel() {
	local out
	VM_CACHE=$(vm_cache_dir "")
	set -- "$VM_CACHE"/*/ready
	[ -f "$1" ] ||
		vm_skip "no guest kernel in $VM_CACHE: run tests/vm/prepare-kernel.sh $VM_CACHE first"
	out=$("$(vm_here)/prepare-kernel.sh" "$VM_CACHE") ||
		vm_skip "tests/vm/prepare-kernel.sh $VM_CACHE failed"
	vm_parse_kernel "$out" ||
		vm_skip "tests/vm/prepare-kernel.sh $VM_CACHE gave no usable kernel: $out"
}

# vm_boot LOG TIMEOUT QEMU-ARGS...
# QEMU-ARGS start with the qemu binary.  stdin is detached so qemu never puts
# the caller's terminal into raw mode; inherited descriptors (e.g. tap fds 3,
# 4 given by the caller) pass through untouched.
vm_boot() {
	local log=$1 limit=$2 rc line status reason
	shift 2
	: >"$log" || vm_die "cannot write log file $log"
	vm_msg "booting (timeout ${limit}s, log $log)"
	set +e
	# -k: SIGKILL 5 s after SIGTERM should qemu ignore the latter.
	timeout -k 5 "$limit" "$@" </dev/null 2>&1 | tee -a "$log"
	rc=${PIPESTATUS[0]}
	set -e

	# The serial console emits CRLF; kernel messages may share the line.
	status=$(tr -d '\r' <"$log" |
		sed -n "s/.*$VM_MARKER \([0-9][0-9]*\).*/\1/p" | tail -n 1)
	if [ -n "$status" ]; then
		VM_STATUS=$status
		vm_msg "guest test exited with status $status"
		return 0
	fi

	VM_STATUS=$VM_NO_RESULT
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		reason="qemu timed out after ${limit}s"
	elif grep -q 'Kernel panic' "$log"; then
		reason="guest kernel panicked"
	elif [ "$rc" -ne 0 ]; then
		reason="qemu failed (exit status $rc)"
	else
		reason="guest stopped without reporting a result"
	fi
	vm_msg "INFRASTRUCTURE FAILURE: $reason; no '$VM_MARKER' line (log: $log)"
	tr -d '\r' <"$log" | grep -E "$VM_ERROR_MARKER|Kernel panic|^qemu-system" |
		while IFS= read -r line; do vm_msg "  $line"; done
	return 0
}

# vm_guest_main ARGS...: see the header.  Never returns.
vm_guest_main() {
	local kernel='' initrd='' append='' mem=512 smp=2 limit=300 log='' keep_log=0
	local qemu=qemu-system-x86_64 passthru=() status
	while [ $# -gt 0 ]; do
		case $1 in
		-h | --help)
			vm_usage
			exit 0
			;;
		--)
			shift
			passthru=("$@")
			break
			;;
		-*)
			[ $# -ge 2 ] || vm_die "option $1 needs a value (see --help)"
			case $1 in
			--kernel) kernel=$2 ;;
			--initrd) initrd=$2 ;;
			--append) append="$append $2" ;;
			--mem) mem=$2 ;;
			--smp) smp=$2 ;;
			--timeout) limit=$2 ;;
			--log) log=$2 keep_log=1 ;;
			--qemu) qemu=$2 ;;
			*)
				if ! declare -F vm_extra_option >/dev/null ||
					! vm_extra_option "$1" "$2"; then
					vm_die "unknown option '$1' (see --help)"
				fi
				;;
			esac
			shift 2
			;;
		*) vm_die "unexpected argument '$1' (see --help)" ;;
		esac
	done
	[ -n "$kernel" ] || vm_die "--kernel is required"
	[ -n "$initrd" ] || vm_die "--initrd is required"
	[ -f "$kernel" ] || vm_die "no kernel $kernel"
	[ -f "$initrd" ] || vm_die "no initramfs $initrd"
	case $limit$mem$smp in
	*[!0-9]*) vm_die "--timeout, --mem and --smp take numbers" ;;
	esac
	vm_need "$qemu" timeout tee
	if [ -z "$log" ]; then
		log=$(mktemp "${TMPDIR:-/tmp}/mvlink-vm.XXXXXX.log")
	fi

	# panic=-1: reboot at once on a panic, which -no-reboot turns into exit.
	# no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer
	# check can time out and panic ("timer doesn't work through
	# Interrupt-remapped IO-APIC"); the emulated timer works, skip the check.
	vm_boot "$log" "$limit" "$qemu" -accel tcg \
		-nodefaults -no-reboot -display none -monitor none -serial stdio \
		-m "$mem" -smp "$smp" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet no_timer_check$append" \
		"${VM_MACHINE[@]}" ${passthru[@]+"${passthru[@]}"}
	status=$VM_STATUS
	# Keep a temporary log only when it tells something.
	if [ "$status" -eq 0 ] && [ "$keep_log" -eq 0 ]; then
		rm -f -- "$log"
	fi
	exit "$status"
}
