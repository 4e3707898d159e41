#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs INSIDE the VMM-client guest (built by ../mkguest-net.sh): proves the
# VMM's network backend moves packets.  Parameters come from the kernel
# command line:
#
#   mvt.ip=ADDR/LEN   address for the NIC (required), e.g. 10.99.0.2/24
#   mvt.peer=ADDR     address to ping (required), e.g. 10.99.0.1
#   mvt.mac=MAC       expected MAC of the NIC; set on it if it differs
#   mvt.dev=NAME      the NIC (default eth0)
#   mvt.queues=N      the NIC must have N rx and tx queues (default 1); uses
#                     `ethtool -L combined N` when present and needed
#   mvt.count=N       echo requests to send (default 3)
#   mvt.tcp=PORT      also send a line to PEER:PORT and expect it echoed back
#
# Exit 0 only if every requested check passed.

set -u

# shellcheck source-path=SCRIPTDIR source=guest-lib.sh
. /mvlink-guest-lib.sh

ip_addr='' peer='' mac='' dev=eth0 queues=1 count=3 tcp=''
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	mvt.ip=*) ip_addr=${arg#*=} ;;
	mvt.peer=*) peer=${arg#*=} ;;
	mvt.mac=*) mac=${arg#*=} ;;
	mvt.dev=*) dev=${arg#*=} ;;
	mvt.queues=*) queues=${arg#*=} ;;
	mvt.count=*) count=${arg#*=} ;;
	mvt.tcp=*) tcp=${arg#*=} ;;
	esac
done
if [ -z "$ip_addr" ] || [ -z "$peer" ]; then
	echo "net-check: mvt.ip= and mvt.peer= are required on the kernel command line"
	exit 2
fi

# The driver was loaded by /init; the netdev appears asynchronously.
if ! wait_for -e "/sys/class/net/$dev"; then
	fail "no network device $dev"
	ls /sys/class/net
	exit 1
fi

cur=$(cat "/sys/class/net/$dev/address")
if [ -n "$mac" ] && [ "$cur" != "$mac" ]; then
	echo "net-check: $dev has MAC $cur, setting $mac"
	ip link set dev "$dev" address "$mac" || fail "setting MAC $mac"
fi

# count_queues rx|tx: queues the kernel exposes for $dev.
count_queues() {
	n=0
	for q in "/sys/class/net/$dev/queues/$1"-*; do
		[ -e "$q" ] && n=$((n + 1))
	done
	echo "$n"
}
if [ "$queues" -gt 1 ]; then
	if [ "$(count_queues rx)" -lt "$queues" ] && command -v ethtool >/dev/null; then
		ethtool -L "$dev" combined "$queues" || :
	fi
	rx=$(count_queues rx)
	tx=$(count_queues tx)
	if [ "$rx" -eq "$queues" ] && [ "$tx" -eq "$queues" ]; then
		pass "$dev has $queues rx and tx queues"
	else
		fail "$dev has $rx rx / $tx tx queues, wanted $queues"
	fi
fi

ip link set dev "$dev" up
ip addr add "$ip_addr" dev "$dev"

# The first replies can lag (link up, ARP); wait for one, then measure.
i=0
until ping -c 1 -W 1 "$peer" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -ge 15 ]; then
		break
	fi
done
if ping -c "$count" -W 2 -w $((count * 2 + 5)) "$peer"; then
	pass "ping $peer from $ip_addr"
else
	fail "ping $peer from $ip_addr"
	ip addr show dev "$dev"
	ip neigh show
fi

if [ -n "$tcp" ]; then
	token="mvlink-vm-$$-$(cat /proc/sys/kernel/random/uuid)"
	reply=$(echo "$token" | timeout 15 nc -w 5 "$peer" "$tcp")
	if [ "$reply" = "$token" ]; then
		pass "TCP echo via $peer:$tcp"
	else
		fail "TCP echo via $peer:$tcp (got '$reply')"
	fi
fi

guest_done net-check
