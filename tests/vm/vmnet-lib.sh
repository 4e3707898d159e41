# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vmnet-lib.sh - the private network of the VMM-client tests (smoke-vmm.sh
# and ../vm-vmm.sh).  Sourced after vm-lib.sh, never run.  The caller runs in
# fresh network and mount namespaces (unshare -n -m); nothing here touches
# the host's interfaces:
#
#   namespace "lan" (private, made here)      the caller's namespace
#   eno1-peer 10.99.0.1/24 <---- veth ---->   eno1 (the uplink)
#   TCP echo server on :5001                  br0 = eno1 + tap vm-test1, or
#                                             macvtap mvt-test1 on eno1
#
#   GUEST_MAC GUEST_IP PEER_IP PEER_NET TCP_PORT
#                         the guest's and the peer's addresses
#   vmnet_setup TMP       make mounts private, mount this namespace's own sysfs
#                         and a tmpfs on TMP/dev (for private device nodes),
#                         bring lo up, create the lan namespace with its end
#                         of the veth and the echo server; an EXIT trap tears
#                         the lan namespace down again
#   in_lan CMD...         run CMD in the lan namespace
#   vmnet_reset           delete what a case may have left behind (vm-test1,
#                         mvt-test1, br0) and flush the peer's neighbours
#   vmnet_append QUEUES   kernel command line for guest/net-check.sh
#   vmnet_devnum NAME     major:minor of macvtap NAME's character device, as
#                         sysfs reports it
#   vmnet_run_cases CASE...
#                         for each CASE: vmnet_reset, then `vmnet_case CASE`
#                         (the caller defines it) in a subshell with errexit; print one line
#                         "<prog>: PASS|FAIL|INFRA CASE (N.N s)" on stdout.
#                         Status 0 passes, $VM_NO_RESULT (99) is an
#                         infrastructure failure, anything else fails.  Sets
#                         VMNET_CASE while vmnet_case runs, and VMNET_PASSED,
#                         VMNET_FAILED, VMNET_INFRA, VMNET_RESULTS
#                         (" PASS:tap FAIL:macvtap ...") and VMNET_STATUS: 0
#                         when all passed, 1 when one failed, else 99 when a
#                         guest never reported.  Call it as a plain command,
#                         never in a condition (if, ||, &&, !) of the caller or
#                         of a function up the stack: bash then ignores
#                         errexit even in the cases' subshells.

GUEST_MAC=02:00:00:00:00:01
GUEST_IP=10.99.0.2/24
PEER_IP=10.99.0.1
PEER_NET=10.99.0.1/24
TCP_PORT=5001

vmnet_peer_pid='' vmnet_nc_pid=''

vmnet_setup() {
	local tmp=$1 i=0
	trap vmnet_cleanup EXIT
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
	vmnet_peer_pid=$!
	while [ "$(readlink "/proc/$vmnet_peer_pid/ns/net")" = "$(readlink /proc/self/ns/net)" ]; do
		i=$((i + 1))
		[ "$i" -le 100 ] || vm_die "the lan namespace did not appear"
		sleep 0.05
	done

	ip link add eno1 type veth peer name eno1-peer
	ip link set eno1-peer netns "$vmnet_peer_pid"
	in_lan ip link set lo up
	in_lan ip addr add "$PEER_NET" dev eno1-peer
	in_lan ip link set eno1-peer up
	ip link set eno1 up
	# TCP echo server for the guest's nc (-ll: keep listening, fork per client).
	in_lan setpriv --pdeathsig KILL -- busybox nc -ll -p "$TCP_PORT" -e /bin/cat &
	vmnet_nc_pid=$!
}

# shellcheck disable=SC2317 # run by the EXIT trap
vmnet_cleanup() {
	[ -z "$vmnet_nc_pid" ] || kill "$vmnet_nc_pid" 2>/dev/null || :
	[ -z "$vmnet_peer_pid" ] || kill "$vmnet_peer_pid" 2>/dev/null || :
	wait 2>/dev/null || :
}

in_lan() {
	nsenter -t "$vmnet_peer_pid" -n -- "$@"
}

vmnet_reset() {
	ip link del vm-test1 2>/dev/null || :
	ip link del mvt-test1 2>/dev/null || :
	ip link del br0 2>/dev/null || :
	in_lan ip neigh flush dev eno1-peer
}

vmnet_append() {
	printf 'mvt.ip=%s mvt.peer=%s mvt.mac=%s mvt.queues=%s mvt.tcp=%s\n' \
		"$GUEST_IP" "$PEER_IP" "$GUEST_MAC" "$1" "$TCP_PORT"
}

vmnet_devnum() {
	local idx
	idx=$(cat "/sys/class/net/$1/ifindex")
	cat "/sys/class/net/$1/macvtap/tap$idx/dev"
}

# Microseconds since the epoch (EPOCHREALTIME without its decimal point,
# whatever the locale makes of it).
vmnet_usec() {
	printf '%s\n' "${EPOCHREALTIME//[!0-9]/}"
}

# shellcheck disable=SC2034 # the VMNET_* results are for the caller
vmnet_run_cases() {
	local c status t0 dt word probe
	# Refuse to run where errexit would be ignored (see above).
	set +e
	probe=$(
		set -e
		false
		echo ignored
	)
	set -e
	[ "$probe" != ignored ] ||
		vm_die "vmnet_run_cases called in a condition: errexit would not work in the cases"
	VMNET_PASSED=0 VMNET_FAILED=0 VMNET_INFRA=0 VMNET_RESULTS=''
	for c in "$@"; do
		vm_msg "=== case $c"
		vmnet_reset
		VMNET_CASE=$c
		t0=$(vmnet_usec)
		# A subshell with errexit in force: a failed setup step ends the case.
		set +e
		(
			set -e
			vmnet_case "$c"
		)
		status=$?
		set -e
		dt=$((($(vmnet_usec) - t0) / 100000))
		case $status in
		0)
			word=PASS
			VMNET_PASSED=$((VMNET_PASSED + 1))
			;;
		"$VM_NO_RESULT")
			word=INFRA
			VMNET_INFRA=$((VMNET_INFRA + 1))
			;;
		*)
			word=FAIL
			VMNET_FAILED=$((VMNET_FAILED + 1))
			;;
		esac
		VMNET_RESULTS="$VMNET_RESULTS $word:$c"
		printf '%s: %s %s (%d.%d s)\n' "${VM_PROG%.sh}" "$word" "$c" $((dt / 10)) $((dt % 10))
	done
	VMNET_STATUS=0
	if [ "$VMNET_FAILED" -ne 0 ]; then
		VMNET_STATUS=1
	elif [ "$VMNET_INFRA" -ne 0 ]; then
		VMNET_STATUS=$VM_NO_RESULT
	fi
}
