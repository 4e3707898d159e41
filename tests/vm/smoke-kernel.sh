#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: smoke-kernel.sh [CACHE_DIR]
#
# Smoke test of the kernel-test VM harness: prepares the guest kernel and
# netdevsim (prepare-kernel.sh), builds an initramfs (mkinitramfs.sh) around
# guest/smoke-kernel.sh and boots it (run-guest.sh).  The guest checks
# netdevsim SR-IOV VF attributes over rtnetlink and binding an NVMe VF to
# vfio-pci.  Exit status: 0 all passed, 1 a check failed (or setup broke), 99
# the guest never reported (qemu/kernel trouble).  CACHE_DIR defaults to
# $MVLINK_VM_CACHE, else /var/cache/mvlink-vm.

set -eu

# shellcheck source-path=SCRIPTDIR source=vm-lib.sh
. "$(dirname -- "$0")/vm-lib.sh"

vm_help_option "${1-}"
vm_tmpdir "${TMPDIR:-/tmp}/mvlink-smoke-kernel.XXXXXX"
here=$(vm_here)
vm_prepare_kernel "$(vm_cache_dir "${1-}")"

"$here/mkinitramfs.sh" --moddir "$MODDIR" --kver "$KVER" \
	--modules 'nvme vfio-pci vfio_iommu_type1' --ko "$NETDEVSIM" \
	--file "$here/guest/guest-lib.sh:/mvlink-guest-lib.sh" \
	--script "$here/guest/smoke-kernel.sh" --timeout 60 -o "$VM_TMP/initrd.gz"

status=0
"$here/run-guest.sh" --kernel "$VMLINUZ" --initrd "$VM_TMP/initrd.gz" \
	--timeout 120 || status=$?
case $status in
0) vm_msg "PASS" ;;
"$VM_NO_RESULT") vm_msg "INFRASTRUCTURE FAILURE (no result from the guest)" ;;
*) vm_msg "FAIL (guest status $status)" ;;
esac
exit "$status"
