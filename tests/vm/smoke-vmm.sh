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

ALL_CASES='tap tap-mq macvtap macvtap-mq'
GUEST_MAC=02:00:00:00:00:01
GUEST_IP=10.99.0.2/24
PEER_IP=10.99.0.1
PEER_NET=10.99.0.1/24
TCP_PORT=5001

# --------------------------------------------------------------------------------
# Inner part: runs in the private network + mount namespace.
# Arguments: --inner TMPDIR VMLINUZ INITRD CASE...
# --------------------------------------------------------------------------------
inner() {
	local tmp=$1 vmlinuz=$2 initrd=$3 c status failed=0 infra=0 results=''
	shift 3
	peer_pid='' nc_pid=''
	trap inner_cleanup EXIT
	trap 'exit 130' INT TERM

	# Nothing mounted here may propagate to the host.  (unshare does this by
	# default; done here to give a clear error where / is not a mount point.)
	mount --make-rprivate / 2>/dev/null ||
		vm_die "cannot make the mount namespace private (/ is not a mount point? in a chroot, bind-mount its root onto itself first)"
	# Our own sysfs shows this namespace's interfaces; a tmpfs for device nodes.
	mount -t sysfs sysfs /sys
	mkdir -p "$tmp/dev"
	mount -t tmpfs -o mode=0700 tmpfs "$tmp/dev"

	ip link set lo up
	# The "lan" namespace: held by a sleeper that dies with us (pdeathsig).
	unshare -n -- setpriv --pdeathsig KILL -- sleep 3600 &
	peer_pid=$!
	local i=0
	while [ "$(readlink "/proc/$peer_pid/ns/net")" = "$(readlink /proc/self/ns/net)" ]; do
		i=$((i + 1))
		[ "$i" -le 100 ] || vm_die "the lan namespace did not appear"
		sleep 0.05
	done

	ip link add eno1 type veth peer name eno1-peer
	ip link set eno1-peer netns "$peer_pid"
	in_lan ip link set lo up
	in_lan ip addr add "$PEER_NET" dev eno1-peer
	in_lan ip link set eno1-peer up
	ip link set eno1 up
	# TCP echo server for the guest's nc (-ll: keep listening, fork per client).
	in_lan setpriv --pdeathsig KILL -- busybox nc -ll -p "$TCP_PORT" -e /bin/cat &
	nc_pid=$!

	for c in "$@"; do
		vm_msg "=== case $c"
		reset_links
		in_lan ip neigh flush dev eno1-peer
		# A subshell with errexit in force: a failed setup step ends the case.
		case_name=$c
		set +e
		(
			set -e
			case $c in
			tap) tap_case "$tmp" "$vmlinuz" "$initrd" 1 ;;
			tap-mq) tap_case "$tmp" "$vmlinuz" "$initrd" 2 ;;
			macvtap) macvtap_case "$tmp" "$vmlinuz" "$initrd" 1 ;;
			macvtap-mq) macvtap_case "$tmp" "$vmlinuz" "$initrd" 2 ;;
			esac
		)
		status=$?
		set -e
		case $status in
		0) results="$results PASS:$c" ;;
		"$VM_NO_RESULT")
			results="$results INFRA:$c"
			infra=1
			;;
		*)
			results="$results FAIL:$c"
			failed=1
			;;
		esac
	done

	vm_msg "results:$results"
	if [ "$failed" -ne 0 ]; then
		return 1
	elif [ "$infra" -ne 0 ]; then
		return "$VM_NO_RESULT"
	fi
	return 0
}

# shellcheck disable=SC2317 # run by the EXIT trap
inner_cleanup() {
	[ -z "$nc_pid" ] || kill "$nc_pid" 2>/dev/null || :
	[ -z "$peer_pid" ] || kill "$peer_pid" 2>/dev/null || :
	wait 2>/dev/null || :
}

# Remove what a case may have left behind (a failed setup step).
reset_links() {
	ip link del vm-test1 2>/dev/null || :
	ip link del mvt-test1 2>/dev/null || :
	ip link del br0 2>/dev/null || :
}

in_lan() {
	nsenter -t "$peer_pid" -n -- "$@"
}

# boot TMP VMLINUZ INITRD QUEUES RUN-VMM-GUEST-ARGS...: boot the guest.
boot() {
	local tmp=$1 vmlinuz=$2 initrd=$3 queues=$4
	shift 4
	"$(vm_here)/run-vmm-guest.sh" --kernel "$vmlinuz" --initrd "$initrd" \
		--timeout 120 --log "$tmp/$case_name.log" \
		--append "mvt.ip=$GUEST_IP mvt.peer=$PEER_IP mvt.mac=$GUEST_MAC mvt.queues=$queues mvt.tcp=$TCP_PORT" \
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
	reset_links
	return "$rc"
}

# macvtap_case TMP VMLINUZ INITRD QUEUES: macvtap mvt-test1 on eno1, its
# character device opened once per queue and inherited as fds 3(, 4).
macvtap_case() {
	local idx devnum node rc=0
	ip link add link eno1 name mvt-test1 address "$GUEST_MAC" type macvtap mode bridge
	ip link set mvt-test1 up
	idx=$(cat /sys/class/net/mvt-test1/ifindex)
	devnum=$(cat "/sys/class/net/mvt-test1/macvtap/tap$idx/dev")
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
	reset_links
	return "$rc"
}

if [ "${1-}" = --inner ]; then
	shift
	status=0
	inner "$@" || status=$?
	exit "$status"
fi

# --------------------------------------------------------------------------------
# Outer part: prepare kernel and initramfs, then re-run inside the namespaces.
# --------------------------------------------------------------------------------
cases='' cache=''
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help)
		sed -n '4,/^$/s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	--case)
		[ $# -ge 2 ] || vm_die "--case needs a name"
		case " $ALL_CASES " in
		*" $2 "*) cases="$cases $2" ;;
		*) vm_die "unknown case '$2' (cases: $ALL_CASES)" ;;
		esac
		shift 2
		;;
	-*) vm_die "unknown option '$1' (see --help)" ;;
	*)
		cache=$1
		shift
		;;
	esac
done
[ -n "$cases" ] || cases=$ALL_CASES

[ "$(id -u)" -eq 0 ] || vm_die "must run as root (namespaces, taps)"
vm_need unshare nsenter setpriv ip busybox mknod stat

tmp=''
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	[ -z "$tmp" ] || rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

vm_prepare_kernel "$(vm_cache_dir "$cache")"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mvlink-smoke-vmm.XXXXXX")
"$(vm_here)/mkguest-net.sh" --moddir "$MODDIR" --kver "$KVER" -o "$tmp/net.gz"

status=0
# shellcheck disable=SC2086 # $cases is a list of words
unshare -n -m --propagation unchanged -- "$0" --inner "$tmp" "$VMLINUZ" "$tmp/net.gz" $cases || status=$?
case $status in
0) vm_msg "PASS" ;;
"$VM_NO_RESULT") vm_msg "INFRASTRUCTURE FAILURE (a guest did not report)" ;;
*) vm_msg "FAIL" ;;
esac
if [ "$status" -ne 0 ]; then
	vm_msg "guest console logs kept in $tmp"
	tmp=''
fi
exit "$status"
