#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: run-guest.sh --kernel VMLINUZ --initrd INITRD [options] [-- QEMU-ARGS...]
#
# Boot the kernel-test guest: Debian's stock kernel under QEMU (TCG) on a q35
# machine with an emulated VT-d (intel-iommu, interrupt remapping, so VFIO
# gets IOMMU groups) and an emulated NVMe controller that is an SR-IOV PF
# (PCI 1b36:0010, sriov_totalvfs 4) behind a PCIe root port.  The guest
# console streams to stdout and to the log file while it runs.
#
# Exit status: the guest test script's exit status (from the
# "MVLINK-VM-RESULT: N" line its /init prints), or 99 when there was no such
# line: qemu did not start, timed out, the kernel panicked, /init failed.
#
# Options:
#   --kernel PATH    the guest kernel (VMLINUZ= of prepare-kernel.sh)
#   --initrd PATH    the initramfs (mkinitramfs.sh -o)
#   --append ARGS    more kernel command line (repeatable); always present:
#                    console=ttyS0 panic=-1 quiet no_timer_check intel_iommu=on
#   --mem MB         guest memory (default 512)
#   --smp N          guest CPUs (default 2)
#   --timeout SECS   kill qemu after SECS (default 300)
#   --log FILE       keep the console log in FILE (default: a temporary file,
#                    deleted when the guest test passed)
#   --qemu PATH      the qemu binary (default qemu-system-x86_64)
#   -- QEMU-ARGS     passed to qemu after the built-in arguments
#   -h, --help       this text

set -eu

# shellcheck source-path=SCRIPTDIR source=vm-lib.sh
. "$(dirname -- "$0")/vm-lib.sh"

# Checked on Debian 12's QEMU 7.2 (see the project's kernel-vm notes).  NVMe
# SR-IOV needs sriov_vq_flexible >= 2*VFs, max_ioqpairs >= vq_flexible + 2,
# sriov_vi_flexible >= VFs.
# shellcheck disable=SC2034,SC2054 # used by vm_guest_main; commas are qemu syntax
VM_MACHINE=(
	-M q35,kernel-irqchip=split
	-device intel-iommu,intremap=on
	-device pcie-root-port,id=rp1,chassis=1,slot=1
	-device nvme-subsys,id=nvsub0
	-device nvme,serial=t0,subsys=nvsub0,bus=rp1,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=4,max_ioqpairs=12
)

vm_guest_main --append intel_iommu=on "$@"
