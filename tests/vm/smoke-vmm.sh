#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: smoke-vmm.sh [--case NAME]... [CACHE_DIR]
#
# Smoke test of the VMM-client harness (mkguest-net.sh + run-vmm-guest.sh)
# with plain iproute2 standing in for mvlink.  Everything happens in private
# network namespaces, nothing touches the host's interfaces:
#
#   namespace "lan" (private, created here)   namespace "host" (unshare -n -m)
#   eno1-peer 10.99.0.1/24 <---- veth ---->   eno1 (the uplink)
#   TCP echo server on :5001                  br0 = eno1 + tap vm-test1, or
#                                             macvtap mvt-test1 on eno1
#
# and QEMU in "host" runs the guest, which pings 10.99.0.1 and exchanges a
# line over TCP.  Cases (default: all, in this order):
#   tap          tap (vnet_hdr) on br0, opened by QEMU by name
#   tap-mq       tap (vnet_hdr multi_queue) on br0, by name, 2 queues
#   macvtap      macvtap (bridge mode) on eno1, its /dev/tapN as fd 3
#   macvtap-mq   the same node opened twice, fds 3 and 4, 2 queues
#
# /dev is the host's devtmpfs, so /dev/tapN (N = ifindex in our namespace)
# may belong to another namespace's macvtap; when its major:minor differs
# from /sys/class/net/mvt-test1/macvtap/tapN/dev a private node is made.
#
# Exit status: 0 all cases passed, 1 a case failed, 99 no failure but some
# guest never reported (infrastructure).  Needs root.

set -eu

# shellcheck source-path=SCRIPTDIR source=vm-lib.sh
. "$(dirname -- "$0")/vm-lib.sh"
# shellcheck source-path=SCRIPTDIR source=vmnet-lib.sh
. "$(dirname -- "$0")/vmnet-lib.sh"

VM_ALL_CASES='tap tap-mq macvtap macvtap-mq'

# --------------------------------------------------------------------------------
# Inner part: runs in the private network + mount namespace.
# Arguments: --inner TMPDIR VMLINUZ INITRD CASE...
# --------------------------------------------------------------------------------
inner() {
	INNER_TMP=$1 INNER_VMLINUZ=$2 INNER_INITRD=$3
	shift 3
	vmnet_setup "$INNER_TMP"
	vmnet_run_cases "$@"
	vm_msg "results:$VMNET_RESULTS"
}

# vmnet_case CASE: called by vmnet_run_cases (in a subshell with errexit)
vmnet_case() {
	local tmp=$INNER_TMP vmlinuz=$INNER_VMLINUZ initrd=$INNER_INITRD
	case $1 in
	tap) tap_case "$tmp" "$vmlinuz" "$initrd" 1 ;;
	tap-mq) tap_case "$tmp" "$vmlinuz" "$initrd" 2 ;;
	macvtap) macvtap_case "$tmp" "$vmlinuz" "$initrd" 1 ;;
	macvtap-mq) macvtap_case "$tmp" "$vmlinuz" "$initrd" 2 ;;
	esac
}

# boot TMP VMLINUZ INITRD QUEUES RUN-VMM-GUEST-ARGS...: boot the guest.
boot() {
	local tmp=$1 vmlinuz=$2 initrd=$3 queues=$4
	shift 4
	"$(vm_here)/run-vmm-guest.sh" --kernel "$vmlinuz" --initrd "$initrd" \
		--timeout 120 --log "$tmp/$VMNET_CASE.log" \
		--append "$(vmnet_append "$queues")" \
		"$@"
}

# tap_case TMP VMLINUZ INITRD QUEUES: bridge br0 = eno1 + tap vm-test1.
tap_case() {
	local mq='' netdev=tap,id=n0,ifname=vm-test1,script=no,downscript=no,vhost=off
	local device=virtio-net-pci,netdev=n0,mac=$GUEST_MAC rc=0
	if [ "$4" -gt 1 ]; then
		# A multi_queue tap refuses a single-queue attach (EINVAL), and v.v.
		mq=multi_queue
		netdev=$netdev,queues=$4
		device=$device,mq=on,vectors=$((2 * $4 + 2))
	fi
	ip link add br0 type bridge
	ip link set br0 up
	ip link set eno1 master br0
	ip tuntap add dev vm-test1 mode tap vnet_hdr $mq
	ip link set vm-test1 master br0
	ip link set vm-test1 up
	boot "$1" "$2" "$3" "$4" --netdev "$netdev" --device "$device" || rc=$?
	vmnet_reset
	return "$rc"
}

# macvtap_case TMP VMLINUZ INITRD QUEUES: macvtap mvt-test1 on eno1, its
# character device opened once per queue and inherited as fds 3(, 4).
macvtap_case() {
	local idx devnum node rc=0
	ip link add link eno1 name mvt-test1 address "$GUEST_MAC" type macvtap mode bridge
	ip link set mvt-test1 up
	idx=$(cat /sys/class/net/mvt-test1/ifindex)
	devnum=$(vmnet_devnum mvt-test1)
	node=/dev/tap$idx
	if [ ! -c "$node" ] || [ "$(stat -c '%Hr:%Lr' "$node")" != "$devnum" ]; then
		node=$1/dev/tap$idx
		vm_msg "/dev/tap$idx is not our macvtap ($devnum); using $node"
		mknod -m 600 "$node" c "${devnum%%:*}" "${devnum#*:}"
	fi
	vm_msg "macvtap mvt-test1: ifindex $idx, device $devnum, opening $node"
	if [ "$4" -gt 1 ]; then
		boot "$1" "$2" "$3" "$4" \
			--netdev 'tap,id=n0,fds=3:4,vhost=off' \
			--device "virtio-net-pci,netdev=n0,mac=$GUEST_MAC,mq=on,vectors=6" \
			3<>"$node" 4<>"$node" || rc=$?
	else
		boot "$1" "$2" "$3" "$4" \
			--netdev 'tap,id=n0,fd=3,vhost=off' \
			--device "virtio-net-pci,netdev=n0,mac=$GUEST_MAC" \
			3<>"$node" || rc=$?
	fi
	vmnet_reset
	return "$rc"
}

if [ "${1-}" = --inner ]; then
	shift
	# A plain call: in a condition, bash would ignore errexit in the cases.
	inner "$@"
	exit "$VMNET_STATUS"
fi

# --------------------------------------------------------------------------------
# Outer part: prepare kernel and initramfs, then re-run inside the namespaces.
# --------------------------------------------------------------------------------
vm_case_args "$@"
cache=''
for arg in ${VM_ARGS[@]+"${VM_ARGS[@]}"}; do
	case $arg in
	-*) vm_die "unknown option '$arg' (see --help)" ;;
	*) cache=$arg ;;
	esac
done

[ "$(id -u)" -eq 0 ] || vm_die "must run as root (namespaces, taps)"
vm_need unshare nsenter setpriv ip busybox mknod stat

vm_tmpdir "${TMPDIR:-/tmp}/mvlink-smoke-vmm.XXXXXX"
vm_prepare_kernel "$(vm_cache_dir "$cache")"
"$(vm_here)/mkguest-net.sh" --moddir "$MODDIR" --kver "$KVER" -o "$VM_TMP/net.gz"

status=0
# shellcheck disable=SC2086 # $VM_CASES is a list of words
unshare -n -m --propagation unchanged -- "$0" --inner "$VM_TMP" "$VMLINUZ" "$VM_TMP/net.gz" \
	$VM_CASES || status=$?
case $status in
0) vm_msg "PASS" ;;
"$VM_NO_RESULT") vm_msg "INFRASTRUCTURE FAILURE (a guest did not report)" ;;
*) vm_msg "FAIL" ;;
esac
if [ "$status" -ne 0 ]; then
	vm_msg "guest console logs kept in $VM_TMP"
	VM_TMP=''
fi
exit "$status"
