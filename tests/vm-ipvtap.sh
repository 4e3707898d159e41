#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: vm-ipvtap.sh [--mode MODE] [--keep]
#
# mvlink's ipvtap links in a QEMU guest (the host's kernel has no ipvlan;
# Debian's has): boots ONE guest on a plain q35 (tests/vm/run-vmm-guest.sh,
# no NIC, 2 CPUs) holding mvlink, a fault-injection mvlink (mvlink-fault),
# QEMU itself and the VMM-client guest (tests/vm/mkguest-net.sh with the
# same kernel), and runs tests/vm/guest/ipvtap.sh there: create/list/show/
# delete checked with `ip -j -d link`, `mvlink exec --queues 2` handing over
# the link's queue fds, a create SIGKILLed at each of its steps then
# `mvlink recover`, and QEMU (nested TCG) booting the inner guest on the
# link's fd, which pings a peer behind the lower device and exchanges a TCP
# line with it.  The network (veth eno1, peer 10.99.0.1 in a "lan"
# namespace) is tests/vm/vmnet-lib.sh's.
#
# The mode under test is ipvtap; guest/ipvtap.sh's mode_setup is the one
# place for every mode-specific option and expectation.  --mode macvtap
# runs the same checks on a macvtap instead; --keep keeps the temporary
# directory (images, the guest's console log).
# The fault-injection mvlink: this build's when it was configured with
# --enable-fault-injection, else one built in the temporary directory
# (about 20 s; see tests/vm/sriov.sh).  About 3-4 minutes in all, most of it
# the nested guest's boot under TCG inside TCG.
#
# Run by `make check` (which sets MVLINK, top_srcdir, top_builddir).  Needs
# root, QEMU and the guest kernel cache that tests/vm/prepare-kernel.sh
# makes in ${MVLINK_VM_CACHE:-/var/cache/mvlink-vm} (it is not made here).
# Without them: exit 77 (skip), or 99 when MVLINK_REQUIRE_KERNEL_TESTS=1,
# which also makes the guest fail when mvlink-fault traces no steps.
# Exit status: 0 passed, 1 failed, 99 the guest never reported
# (infrastructure) or the harness could not start.

# make check runs the test with $(SHELL), which may be dash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -eu

SELF=$(cd -- "$(dirname -- "$0")" && pwd)/${0##*/}
VMDIR=$(dirname -- "$SELF")/vm

# shellcheck source-path=SCRIPTDIR source=vm/vm-lib.sh
. "$VMDIR/vm-lib.sh"
# GUEST_MAC GUEST_IP PEER_IP PEER_NET TCP_PORT
# shellcheck source-path=SCRIPTDIR source=vm/vmnet-lib.sh
. "$VMDIR/vmnet-lib.sh"

mode='' keep=0
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help)
		vm_usage
		exit 0
		;;
	--mode)
		[ $# -ge 2 ] || vm_die "--mode needs macvtap or ipvtap"
		case $2 in
		macvtap | ipvtap) mode=$2 ;;
		*) vm_die "--mode: '$2' is not macvtap or ipvtap" ;;
		esac
		shift 2
		;;
	--keep)
		keep=1
		shift
		;;
	*) vm_die "unknown argument '$1' (see --help)" ;;
	esac
done

vm_harness_build
[ "$(id -u)" -eq 0 ] || vm_skip "needs root (the guest's initramfs holds device nodes)"
for c in qemu-system-x86_64 bash busybox dash ip modprobe modinfo depmod ldd gzip timeout; do
	command -v "$c" >/dev/null 2>&1 ||
		vm_skip "'$c' not found (packages: tests/vm/host-packages.txt, .ci/packages.txt)"
done
vm_harness_kernel

vm_tmpdir "${TMPDIR:-/tmp}/mvlink-ipvtap.XXXXXX"
tmp=$VM_TMP
t0=$SECONDS

# QEMU for inside the guest: its binary (mkinitramfs adds its libraries),
# its TCG accelerator when this QEMU has it as a module, its firmware.
qemu=$(command -v qemu-system-x86_64)
qemu_files=()
for f in /usr/lib/*/qemu/accel-tcg-x86_64.so /usr/lib/qemu/accel-tcg-x86_64.so; do
	[ ! -f "$f" ] || qemu_files+=(--file "$f:$f")
done
for d in /usr/share/qemu /usr/share/seabios; do
	[ ! -d "$d" ] || qemu_files+=(--file "$d:$d")
done

vm_fault_mvlink "$top_builddir" "$tmp"

"$VMDIR/mkguest-net.sh" --moddir "$MODDIR" --kver "$KVER" -o "$tmp/net.gz" ||
	vm_hard_error "building the inner guest's initramfs failed"

{
	printf 'GUEST_MAC=%s\nGUEST_IP=%s\nPEER_IP=%s\nPEER_NET=%s\nTCP_PORT=%s\n' \
		"$GUEST_MAC" "$GUEST_IP" "$PEER_IP" "$PEER_NET" "$TCP_PORT"
	[ -z "$mode" ] || printf 'MODE=%s\n' "$mode"
	[ "${MVLINK_REQUIRE_KERNEL_TESTS:-0}" != 1 ] || printf 'REQUIRE=1\n'
} >"$tmp/env"

# ipvlan and ipvtap whatever the mode: the guest script alone picks it.
"$VMDIR/mkinitramfs.sh" --moddir "$MODDIR" --kver "$KVER" \
	--modules 'veth macvtap ipvlan ipvtap' \
	--bin "$top_builddir/tools/mvlink" --bin "$VM_FAULT_MVLINK:/usr/bin/mvlink-fault" \
	--bin "$qemu" --bin "$(command -v bash)" "${qemu_files[@]}" \
	--file "$VMDIR/guest/guest-lib.sh:/mvlink-guest-lib.sh" \
	--file "$VMDIR/vm-lib.sh:/vm/vm-lib.sh" --file "$VMDIR/run-vmm-guest.sh:/vm/run-vmm-guest.sh" \
	--file "$VMLINUZ:/inner/vmlinuz" --file "$tmp/net.gz:/inner/net.gz" \
	--file "$tmp/env:/mvlink-ipvtap.env" \
	--script "$VMDIR/guest/ipvtap.sh" --timeout 480 -o "$tmp/initrd.gz" ||
	vm_hard_error "building the guest's initramfs failed"
vm_msg "images ready after $((SECONDS - t0)) s"

status=0
"$VMDIR/run-vmm-guest.sh" --kernel "$VMLINUZ" --initrd "$tmp/initrd.gz" --mem 1536 --smp 2 \
	--timeout 540 --log "$tmp/console.log" || status=$?
vm_msg "done after $((SECONDS - t0)) s"
case $status in
0) vm_msg "PASS" ;;
"$VM_NO_RESULT") vm_msg "INFRASTRUCTURE FAILURE (no result from the guest)" ;;
*) vm_msg "FAIL (guest status $status)" ;;
esac
if [ "$status" -ne 0 ] || [ "$keep" -eq 1 ]; then
	vm_msg "images and the console log kept in $tmp"
	VM_TMP=''
fi
case $status in
0 | 1 | "$VM_NO_RESULT") exit "$status" ;;
*) exit 1 ;; # the guest test's status (124: it timed out)
esac
