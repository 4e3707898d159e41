#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: run-vmm-guest.sh --kernel VMLINUZ --initrd INITRD --netdev SPEC
#                         --device SPEC [options] [-- QEMU-ARGS...]
#
# Boot a guest as a real VMM client of host network devices: QEMU (TCG) on a
# plain q35 machine whose network backend the caller gives, e.g. a tap or
# macvtap that mvlink set up, opened by name or inherited as descriptors:
#
#   run-vmm-guest.sh --kernel "$VMLINUZ" --initrd net.gz \
#     --netdev 'tap,id=n0,fds=3:4,vhost=off' \
#     --device 'virtio-net-pci,netdev=n0,mac=02:00:00:00:00:01,mq=on,vectors=6' \
#     --append 'mvt.ip=10.99.0.2/24 mvt.peer=10.99.0.1 mvt.queues=2' \
#     3<>/dev/tap7 4<>/dev/tap7
#
# Descriptors the caller opens are passed on to QEMU unchanged.  NIC option
# ROMs are disabled (no PXE, and Debian's QEMU may lack them).  Exit status
# as run-guest.sh: the guest test's status, or 99 when the guest never
# reported one (qemu failed, timed out, kernel panic).
#
# Options:
#   --kernel PATH    the guest kernel (VMLINUZ= of prepare-kernel.sh)
#   --initrd PATH    the initramfs (mkguest-net.sh -o)
#   --netdev SPEC    a -netdev for QEMU (repeatable)
#   --device SPEC    a -device for QEMU (repeatable)
#   --append ARGS    more kernel command line (repeatable); always present:
#                    console=ttyS0 panic=-1 quiet no_timer_check
#   --mem MB         guest memory (default 256)
#   --smp N          guest CPUs (default 2; virtio-net uses min(queues, CPUs))
#   --timeout SECS   kill qemu after SECS (default 300)
#   --log FILE       keep the console log in FILE (default: a temporary file,
#                    deleted when the guest test passed)
#   --qemu PATH      the qemu binary (default qemu-system-x86_64)
#   -- QEMU-ARGS     passed to qemu after the built-in arguments
#   -h, --help       this text

set -eu

# shellcheck source-path=SCRIPTDIR source=vm-lib.sh
. "$(dirname -- "$0")/vm-lib.sh"

VM_MACHINE=(-M q35 -global virtio-net-pci.romfile=)

# Options of this script only; the common ones are parsed by vm_guest_main.
vm_extra_option() {
	case $1 in
	--netdev) VM_MACHINE+=(-netdev "$2") ;;
	--device) VM_MACHINE+=(-device "$2") ;;
	*) return 1 ;;
	esac
}

vm_guest_main --mem 256 "$@"
