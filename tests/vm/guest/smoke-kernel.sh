#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs INSIDE the kernel-test guest (see ../smoke-kernel.sh): checks that the
# guest has what mvlink's kernel tests need.  Exit 0 only if all checks pass.
#  - netdevsim loads; a device with 4 SR-IOV VFs; VF MAC/VLAN round-trip via
#    rtnetlink (ip -j link show);
#  - the emulated NVMe SR-IOV PF (1b36:0010, 4 VFs); a VF bound to vfio-pci
#    through driver_override + drivers_probe gives /dev/vfio/<group>.

set -u

# shellcheck source-path=SCRIPTDIR source=guest-lib.sh
. /mvlink-guest-lib.sh

# --- netdevsim ------------------------------------------------------------------
nsim=/sys/bus/netdevsim/devices/netdevsim1
pf=
if modprobe netdevsim; then
	pass "modprobe netdevsim"
else
	fail "modprobe netdevsim"
fi
if [ -e /sys/bus/netdevsim/new_device ] &&
	echo "1 1" >/sys/bus/netdevsim/new_device &&
	wait_for -d "$nsim/net" && pf=$(ls "$nsim/net") && [ -n "$pf" ]; then
	pass "netdevsim device 1 has netdev $pf"
else
	fail "creating netdevsim device 1"
fi
if [ -n "$pf" ] && echo 4 >"$nsim/sriov_numvfs" &&
	[ "$(cat "$nsim/sriov_numvfs")" = 4 ]; then
	pass "netdevsim sriov_numvfs=4"
else
	fail "netdevsim sriov_numvfs=4"
fi
if [ -n "$pf" ] && ip link set dev "$pf" vf 0 mac 02:00:00:00:00:01 vlan 10; then
	# The JSON for VF 0 is '{"vf":0,..."address":"...",..."vlan_list":[{"vlan":10}]...'.
	# Split at '{' and keep VF 0's piece and the one after (its vlan_list).
	vf0=$(ip -j link show dev "$pf" | tr '{' '\n' | grep -A 1 '^"vf":0,')
	case $vf0 in
	*'"address":"02:00:00:00:00:01"'*'"vlan":10'[!0-9]*)
		pass "VF 0 mac 02:00:00:00:00:01 vlan 10 round-trips"
		;;
	*)
		fail "VF 0 attributes did not round-trip:"
		ip link show dev "$pf"
		;;
	esac
else
	fail "ip link set $pf vf 0 mac ... vlan 10"
fi

# --- NVMe SR-IOV PF + VFIO ---------------------------------------------------------
nvme=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x0010 ]; then
		nvme=$d
		break
	fi
done
if [ -n "$nvme" ] && [ "$(cat "$nvme/sriov_totalvfs" 2>/dev/null)" = 4 ]; then
	pass "NVMe PF ${nvme##*/} (1b36:0010) with sriov_totalvfs 4"
else
	fail "no NVMe PF 1b36:0010 with sriov_totalvfs 4"
	nvme=
fi

vf=
if [ -n "$nvme" ] && echo 0 >"$nvme/sriov_drivers_autoprobe" &&
	echo 2 >"$nvme/sriov_numvfs" && wait_for -e "$nvme/virtfn1"; then
	vf=$(readlink "$nvme/virtfn0")
	vf=/sys/bus/pci/devices/${vf##*/}
	pass "NVMe sriov_numvfs=2 (VF 0 is ${vf##*/})"
else
	fail "NVMe sriov_numvfs=2"
fi

if [ -n "$vf" ]; then
	addr=${vf##*/}
	echo vfio-pci >"$vf/driver_override"
	if [ -e "$vf/driver" ]; then
		echo "$addr" >"$vf/driver/unbind"
	fi
	echo "$addr" >/sys/bus/pci/drivers_probe
	drv=$(readlink "$vf/driver")
	group=$(readlink "$vf/iommu_group")
	group=${group##*/}
	if [ "${drv##*/}" = vfio-pci ]; then
		pass "VF $addr bound to vfio-pci"
	else
		fail "VF $addr driver is '${drv##*/}', not vfio-pci"
	fi
	if [ -n "$group" ] && wait_for -c "/dev/vfio/$group"; then
		pass "/dev/vfio/$group exists"
	else
		fail "no /dev/vfio/<group> for VF $addr (group '$group')"
		ls -l /dev/vfio 2>&1
	fi
fi

guest_done smoke-kernel
