#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: mkguest-net.sh --moddir DIR -o OUT [mkinitramfs.sh options...]
#
# Build the VMM-client guest's initramfs: busybox, iproute2, virtio-net (and
# ethtool, when the host has it) around guest/net-check.sh, which brings the
# NIC up from the kernel command line (mvt.ip=, mvt.peer=, mvt.mac=,
# mvt.queues=, mvt.tcp=; see guest/net-check.sh), pings the peer and reports
# through "MVLINK-VM-RESULT: N".  Boot it with run-vmm-guest.sh.  All options
# go to mkinitramfs.sh (--moddir, -o and --kver are the usual ones; --script
# and --modules are set here, more --modules/--bin/--file may be added).

set -eu

# shellcheck source-path=SCRIPTDIR source=vm-lib.sh
. "$(dirname -- "$0")/vm-lib.sh"

vm_help_option "${1-}"
here=$(vm_here)
extra=()
if ethtool=$(command -v ethtool); then
	extra+=(--bin "$ethtool")
fi
exec "$here/mkinitramfs.sh" --modules 'virtio_pci virtio_net' \
	--file "$here/guest/guest-lib.sh:/mvlink-guest-lib.sh" \
	--script "$here/guest/net-check.sh" --timeout 90 \
	${extra[@]+"${extra[@]}"} "$@"
