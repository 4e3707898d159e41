#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs INSIDE the kernel-test guest (see ../sriov.sh): sets up netdevsim
# device 1 with 4 VFs and its netdev up, then runs test-sriov-vm, mvlink's
# SR-IOV / vfio-pci tests on the real kernel.  Exit status: the test's.

set -u

nsim=/sys/bus/netdevsim/devices/netdevsim1

fail() {
	echo "sriov-guest: $*"
	exit 1
}

modprobe netdevsim || fail "modprobe netdevsim failed"
echo "1 1" >/sys/bus/netdevsim/new_device || fail "cannot create netdevsim device 1"
i=0
while [ ! -d "$nsim/net" ] || [ -z "$(ls "$nsim/net")" ]; do
	i=$((i + 1))
	[ "$i" -le 50 ] || fail "netdevsim device 1 has no netdev"
	sleep 0.1
done
pf=$(ls "$nsim/net" | head -n 1)
echo 4 >"$nsim/sriov_numvfs" || fail "netdevsim sriov_numvfs=4 failed"
ip link set dev "$pf" up || fail "ip link set $pf up failed"

echo "sriov-guest: netdevsim PF $pf with 4 VFs; PCI devices:"
for d in /sys/bus/pci/devices/*; do
	drv=$(readlink "$d/driver" 2>/dev/null)
	grp=$(readlink "$d/iommu_group" 2>/dev/null)
	echo "  ${d##*/} $(cat "$d/vendor"):$(cat "$d/device") driver=${drv##*/} group=${grp##*/}"
done

MVLINK_IN_VM=1 MVLINK_VM_NSIM_PF=$pf CK_VERBOSITY=verbose CK_DEFAULT_TIMEOUT=600 \
	test-sriov-vm
