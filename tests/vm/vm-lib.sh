# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# vm-lib.sh - helpers shared by the tests/vm/ scripts.  Sourced, never run.
#
#   vm_msg TEXT...        progress message on stderr, prefixed with the script name
#   vm_die TEXT...        error message on stderr, exit 1
#   vm_need CMD...        die unless every CMD is on $PATH
#   vm_cache_dir [DIR]    print the cache directory (DIR, else $MVLINK_VM_CACHE,
#                         else /var/cache/mvlink-vm)
#   vm_prepare_kernel DIR run prepare-kernel.sh DIR and set KVER VMLINUZ MODDIR NETDEVSIM
#   vm_boot LOG TIMEOUT QEMU-ARGS...
#                         run qemu under `timeout`, stream the guest console to
#                         stdout and LOG, parse the result marker; sets VM_STATUS
#                         to the guest script's exit status, or to 99 (and prints
#                         why) when the guest never reported one.
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

vm_cache_dir() {
	printf '%s\n' "${1:-${MVLINK_VM_CACHE:-/var/cache/mvlink-vm}}"
}

# Directory holding these scripts (works when sourced from a script there).
vm_here() {
	local d
	d=$(dirname -- "${BASH_SOURCE[0]}")
	(cd -- "$d" && pwd)
}

# vm_prepare_kernel CACHE_DIR: fetch/build (or reuse) the guest kernel and
# import prepare-kernel.sh's KEY=VALUE lines into the caller's variables.
vm_prepare_kernel() {
	local out line
	out=$("$(vm_here)/prepare-kernel.sh" "$1") || vm_die "prepare-kernel.sh failed"
	KVER='' VMLINUZ='' MODDIR='' NETDEVSIM=''
	while IFS= read -r line; do
		case $line in
		KVER=*) KVER=${line#KVER=} ;;
		VMLINUZ=*) VMLINUZ=${line#VMLINUZ=} ;;
		MODDIR=*) MODDIR=${line#MODDIR=} ;;
		NETDEVSIM=*) NETDEVSIM=${line#NETDEVSIM=} ;;
		esac
	done <<EOF
$out
EOF
	[ -n "$KVER" ] && [ -f "$VMLINUZ" ] && [ -d "$MODDIR" ] && [ -f "$NETDEVSIM" ] ||
		vm_die "prepare-kernel.sh gave incomplete output:
$out"
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
