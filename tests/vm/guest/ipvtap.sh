#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs INSIDE the kernel-test guest (see ../../vm-ipvtap.sh): mvlink's
# tap-like link of one MODE on a real kernel, up to a real VMM moving a
# guest's packets through it.  MODE is ipvtap (the host kernel has none);
# macvtap runs the same checks (vm-ipvtap.sh --mode macvtap; see mode_setup
# below: the one place for what differs).  The lower device "eno1" is a
# veth whose far end eno1-peer sits in a "lan" namespace with 10.99.0.1/24
# and a TCP echo server (as tests/vm/vmnet-lib.sh builds it on the host).
#
#  a. mvlink create --mode MODE --vm v1 --link eno1 --name vt-a: checked in
#     its JSON, `ip -j -d link show` (kind, mode data, lower, MAC, the tag in
#     ifalias, up), /dev/tapN against sysfs, mvlink list --json and show;
#     mvlink delete: the link, its journal and index entry gone, the lower
#     as before (`ip -j -d link show eno1` unchanged)
#  b. mvlink exec --queues 2: the VMM inherits exactly 2 fds of the link's
#     character device (major:minor as sysfs says), FD_CLOEXEC clear, the
#     fd numbers it is told in {fds}; the link goes with the VMM
#  c. mvlink-fault create SIGKILLed at each of its steps in turn (as many
#     kills as a traced create has steps; the next one completes), each
#     followed by mvlink recover: no link, no journal, no index entry, the
#     lower as before
#  c2. the same create failed (not killed) at each step in turn: exit 2,
#     nothing left (link, journal, index entry, the guest's address), nothing
#     for recover
#  d. mvlink exec runs QEMU (nested TCG, ../run-vmm-guest.sh) on the link's
#     queue fd with the inner guest (../mkguest-net.sh): it pings 10.99.0.1
#     and exchanges a TCP line; then the peer's neighbour entry for the
#     guest's address has the guest's MAC, and the link is gone
#
# The host puts here: /mvlink-ipvtap.env (GUEST_IP PEER_IP PEER_NET TCP_PORT
# GUEST_MAC from vmnet-lib.sh, MODE when the host's --mode was given,
# REQUIRE=1 with MVLINK_REQUIRE_KERNEL_TESTS=1: then an mvlink-fault that
# traces no steps fails the run instead of leaving the kills out),
# /usr/bin/mvlink-fault (mvlink built with --enable-fault-injection), bash,
# QEMU and its data, /vm/{vm-lib.sh,run-vmm-guest.sh}, /inner/vmlinuz and
# /inner/net.gz.
#
# `ipvtap.sh --record DIR [-- CMD...]` is the VMM that mvlink exec runs: it
# records its arguments, inherited character-device fds, MVLINK_*
# environment, the links' character devices in sysfs, `ip -j -d link show
# dev` of every link and `mvlink list --json` into DIR, then execs CMD (if
# any).
# Exit status: 0 all passed, 1 a check failed.

set -u

# shellcheck source-path=SCRIPTDIR source=guest-lib.sh
. /mvlink-guest-lib.sh

if [ "${1-}" = --record ]; then
	dir=$2
	shift 2
	[ "${1-}" != -- ] || shift
	mkdir -p "$dir"
	printf '%s\n' "$@" >"$dir/args"
	env | grep '^MVLINK_' | sort >"$dir/env"
	# "FD MAJOR:MINOR FLAGS" of every character device from fd 3 up
	for f in "/proc/$$/fd/"*; do
		n=${f##*/}
		{ [ "$n" -ge 3 ] && [ -c "$f" ]; } || continue
		d=$(stat -L -c '%t:%T' "$f")
		printf '%s %d:%d %s\n' "$n" "0x${d%:*}" "0x${d#*:}" \
			"$(sed -n 's/^flags:[[:space:]]*//p' "/proc/$$/fdinfo/$n")"
	done >"$dir/fds"
	# "NAME MAJOR:MINOR" of every link's tap character device
	for f in /sys/class/net/*/*/tap*/dev; do
		[ -e "$f" ] || continue
		n=${f#/sys/class/net/}
		printf '%s %s\n' "${n%%/*}" "$(cat "$f")"
	done >"$dir/chardevs"
	for f in /sys/class/net/*; do
		ip -j -d link show dev "${f##*/}" >"$dir/link.${f##*/}.json"
	done
	mvlink list --json >"$dir/list.json" 2>&1
	[ $# -eq 0 ] || exec "$@"
	exit 0
fi

GUEST_IP='' PEER_IP='' PEER_NET='' TCP_PORT='' GUEST_MAC='' MODE='' REQUIRE=0
# shellcheck disable=SC1091 # written by ../../vm-ipvtap.sh
. /mvlink-ipvtap.env

# ==========================================================================
# Everything that depends on the mode, in one place.
# ==========================================================================
# The mode under test when the host does not name one (vm-ipvtap.sh --mode).
: "${MODE:=ipvtap}"

# mode_setup: for $MODE, sets
#   MODE_OPTS   create/exec options after --mode --vm --link --name
#   MODE_KIND   info_kind in `ip -j -d link`
#   MODE_DATA   "key":"value" pairs that info_data must hold
#   MODE_MAC    the link's MAC, the one the VM's NIC must use ({mac}; the
#               peer learns it for GUEST_IP)
#   MODE_ADDR   an address the link itself must carry (ip -o addr), or ''
mode_setup() {
	case $MODE in
	macvtap)
		MODE_OPTS="--mac $GUEST_MAC"
		MODE_KIND=macvtap
		MODE_DATA='"mode":"bridge"'
		MODE_MAC=$GUEST_MAC
		MODE_ADDR=''
		;;
	ipvtap)
		# ipvlan gives received unicast to the slave that has the destination IP
		# configured, so the guest's address goes on the ipvtap (--ip); an
		# ipvtap has its lower's MAC, which the guest's NIC must use.
		MODE_OPTS="--ipvlan-mode l2 --ipvlan-flag bridge --ip ${GUEST_IP%/*}"
		MODE_KIND=ipvtap
		# iproute2 (6.1) prints an ipvtap's flag as a boolean: the
		# guest kernel's `ip link add vt0 link eno1 type ipvtap mode l2
		# bridge` shows "info_data":{"mode":"l2","bridge":true}, and
		# /sys/class/net/vt0/ipvtap/tap<ifindex>/dev = /dev/tap<ifindex>
		MODE_DATA='"mode":"l2" "bridge":true'
		MODE_MAC=$(cat /sys/class/net/eno1/address)
		MODE_ADDR=${GUEST_IP%/*}
		;;
	*)
		echo "ipvtap-guest: unknown mode '$MODE'"
		exit 1
		;;
	esac
}
# ==========================================================================

T=/tmp/vt
mkdir -p "$T"
OUT=$T/out
ERR=$T/err
S=${MVLINK_STATE_DIR:-/run/mvlink}

say() { echo "ipvtap-guest: $*"; }
# check DESCRIPTION TEST...: one check
check() {
	what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
# run RC CMD...: show the command and its output; true when it exits with RC
run() {
	run_want=$1
	shift
	say "\$ $*"
	rc=0
	"$@" >"$OUT" 2>"$ERR" </dev/null || rc=$?
	sed 's/^/    | /' "$OUT"
	sed 's/^/    ! /' "$ERR"
	[ "$rc" = "$run_want" ] && return 0
	fail "'$*' exited with $rc, expected $run_want"
	return 1
}
# jget KEY [FILE]: the value of the first "KEY":VALUE line of mvlink's pretty
# JSON (a string without its quotes, or a number, true, false, null)
jget() {
	v=$(sed -n "s/^ *\"$1\": *\"\(.*\)\",\{0,1\}\$/\1/p" "${2:-$OUT}" | head -n 1)
	[ -n "$v" ] || v=$(sed -n "s/^ *\"$1\": *\([^\",]*\),\{0,1\}\$/\1/p" "${2:-$OUT}" | head -n 1)
	echo "$v"
}
# ilink NAME [DIR]: link NAME's object from `ip -j -d link show dev NAME`
# (now, or as --record saved it in DIR) on one line; empty when there is none
ilink() {
	if [ $# -ge 2 ]; then
		cat "$2/link.$1.json" 2>/dev/null
	else
		ip -j -d link show dev "$1" 2>/dev/null
	fi | sed 's/^\[//; s/\]$//'
}
# istr KEY: a string field of the ilink object in $L
istr() { printf '%s\n' "$L" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -n 1; }
has() { case $1 in *"$2"*) return 0 ;; esac; return 1; }
linked() { ip link show dev "$1" >/dev/null 2>&1; }
unlinked() { ! linked "$1"; }
journals() { find "$S/links" -name "*.json" 2>/dev/null | wc -l; }
# index entries (a VM's links: index/<netns>/<vm>/<ifindex>)
indexed() { find "$S/index" -mindepth 3 2>/dev/null | wc -l; }
lower() { ip -j -d link show dev eno1; }

# link_checks NAME VM [DIR]: what `ip -j -d link` says of NAME (now, or as
# --record saved it in DIR): mvlink's link of $MODE for VM on eno1
link_checks() {
	L=$(ilink "$1" ${3+"$3"})
	check "ip -j -d link: $1 exists" [ -n "$L" ]
	check "ip -j -d link: $1 is a $MODE_KIND (info_kind $(istr info_kind))" \
		[ "$(istr info_kind)" = "$MODE_KIND" ]
	data=$(printf '%s\n' "$L" | sed -n 's/.*"info_data":{\([^}]*\)}.*/\1/p')
	for kv in $MODE_DATA; do
		check "ip -j -d link: $1's info_data has $kv ($data)" has "$data" "$kv"
	done
	check "ip -j -d link: $1's lower is eno1" [ "$(istr link)" = eno1 ]
	check "ip -j -d link: $1's MAC is $MODE_MAC" [ "$(istr address)" = "$MODE_MAC" ]
	check "ip -j -d link: $1 is up" has "$(printf '%s\n' "$L" |
		sed -n 's/.*"flags":\[\([^]]*\)\].*/\1/p')" '"UP"'
	check "ip -j -d link: $1 is tagged for $2 ($(istr ifalias))" \
		[ "$(istr ifalias)" = "mvlink:vm=$2;mode=$MODE" ]
	if [ -n "$MODE_ADDR" ] && [ $# -lt 3 ]; then
		check "ip addr: $1 has $MODE_ADDR" has "$(ip -o addr show dev "$1")" " $MODE_ADDR/"
	fi
}
# chardev NAME: major:minor of NAME's /dev/tapN, as sysfs says
chardev() {
	cat "/sys/class/net/$1/$MODE_KIND/tap$(cat "/sys/class/net/$1/ifindex")/dev" 2>/dev/null
}
# node_dev PATH: major:minor of the device node PATH
node_dev() {
	d=$(stat -c '%t:%T' "$1") && printf '%d:%d\n' "0x${d%:*}" "0x${d#*:}"
}
# gone_checks WHAT NAME: nothing of NAME is left, the lower is as before
gone_checks() {
	check "$1: $2 is gone" unlinked "$2"
	check "$1: no journal left ($(journals))" [ "$(journals)" = 0 ]
	check "$1: no index entry left ($(indexed))" [ "$(indexed)" = 0 ]
	check "$1: eno1 as before (ip -j -d link)" [ "$(lower)" = "$LOWER" ]
}

# ---------------------------------------------------------------- the lan
# As vmnet_setup (../vmnet-lib.sh): a namespace held by a sleeper, the
# veth's far end in it with the peer's address, a TCP echo server.
unshare -n -- sleep 3600 &
lan=$!
i=0
while [ "$(readlink "/proc/$lan/ns/net")" = "$(readlink /proc/self/ns/net)" ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || {
		say "the lan namespace did not appear"
		exit 1
	}
	sleep 0.05
done
in_lan() { nsenter -t "$lan" -n -- "$@"; }
ip link add eno1 type veth peer name eno1-peer
ip link set eno1-peer netns "$lan"
in_lan ip link set lo up
in_lan ip addr add "$PEER_NET" dev eno1-peer
in_lan ip link set eno1-peer up
ip link set eno1 up
in_lan nc -ll -p "$TCP_PORT" -e /bin/cat &
mode_setup
say "mode $MODE: $MODE_OPTS; lower eno1 $(cat /sys/class/net/eno1/address)"
LOWER=$(lower)

# ---------------------------------------------------------------- a. create, delete
say "=== a. create, list, show, delete"
# shellcheck disable=SC2086 # MODE_OPTS is a list of words
if run 0 mvlink --json create --mode "$MODE" --vm v1 --link eno1 --name vt-a $MODE_OPTS; then
	idx=$(jget ifindex)
	check "create: name, mode, vm, link" \
		[ "$(jget name):$(jget mode):$(jget vm):$(jget link)" = "vt-a:$MODE:v1:eno1" ]
	check "create: mac $MODE_MAC, 1 queue, not adopted" \
		[ "$(jget mac):$(jget queues):$(jget adopted)" = "$MODE_MAC:1:false" ]
	check "create: devnode /dev/tap$idx" [ "$(jget devnode)" = "/dev/tap$idx" ]
	check "ifindex $idx as the kernel says" [ "$(cat /sys/class/net/vt-a/ifindex)" = "$idx" ]
	link_checks vt-a v1
	dev=$(chardev vt-a)
	check "sysfs: vt-a has a character device ($dev)" [ -n "$dev" ]
	check "/dev/tap$idx is it" [ "$(node_dev "/dev/tap$idx")" = "$dev" ]
	check "an index entry" [ "$(indexed)" = 1 ]
	check "no journal once created" [ "$(journals)" = 0 ]
	run 0 mvlink list --json && check "list --json: vt-a, $MODE, v1, eno1, $MODE_MAC, /dev/tap$idx" \
		[ "$(jget name):$(jget mode):$(jget vm):$(jget link):$(jget mac):$(jget devnode)" = \
			"vt-a:$MODE:v1:eno1:$MODE_MAC:/dev/tap$idx" ]
	run 0 mvlink show vt-a --json && check "show --json: vt-a, $MODE, ifindex $idx" \
		[ "$(jget name):$(jget mode):$(jget ifindex)" = "vt-a:$MODE:$idx" ]
	# shellcheck disable=SC2086
	run 0 mvlink --json create --mode "$MODE" --vm v1 --link eno1 --name vt-a $MODE_OPTS &&
		check "create again: adopted, ifindex $idx" \
			[ "$(jget adopted):$(jget ifindex)" = "true:$idx" ]
	run 0 mvlink delete vt-a && check "delete: says so" grep -q "deleted vt-a" "$OUT"
	gone_checks delete vt-a
	check "delete: /dev/tap$idx gone" [ ! -e "/dev/tap$idx" ]
fi

# ---------------------------------------------------------------- b. queues
say "=== b. exec --queues 2: the VMM's fds"
# shellcheck disable=SC2086
run 0 mvlink exec --mode "$MODE" --vm v2 --link eno1 --name vt-q $MODE_OPTS --queues 2 -- \
	sh /mvlink-test --record "$T/q" -- true "{fds}" "{name}" "{mac}"
R=$T/q
if [ -f "$R/args" ]; then
	told=$(sed -n 2p "$R/args")
	check "VMM told fds $told, name vt-q, mac $MODE_MAC" \
		[ "$(sed -n '2,4p' "$R/args" | tr '\n' ' ')" = "3:4 vt-q $MODE_MAC " ]
	dev=$(sed -n 's/^vt-q //p' "$R/chardevs")
	check "sysfs: vt-q had a character device ($dev)" [ -n "$dev" ]
	check "VMM inherited exactly fds 3 and 4 on $dev ($(tr '\n' ';' <"$R/fds"))" \
		[ "$(cut -d' ' -f1,2 "$R/fds" | tr '\n' ' ')" = "3 $dev 4 $dev " ]
	while read -r n d flags; do
		check "fd $n: FD_CLOEXEC clear (flags $flags)" [ $((0$flags & 02000000)) = 0 ]
	done <"$R/fds"
	check "MVLINK_FDS_0=3:4, MVLINK_NAME_0=vt-q" \
		[ "$(grep -E '^MVLINK_(FDS|NAME)_0=' "$R/env" | tr '\n' ' ')" = "MVLINK_FDS_0=3:4 MVLINK_NAME_0=vt-q " ]
	link_checks vt-q v2 "$R"
	check "mvlink list --json (during): vt-q, $MODE" \
		[ "$(jget name "$R/list.json"):$(jget mode "$R/list.json")" = "vt-q:$MODE" ]
else
	fail "exec did not run the VMM"
fi
gone_checks "exec ended" vt-q

# ---------------------------------------------------------------- c. killed, recover
say "=== c. mvlink-fault create killed at each step, then mvlink recover"
STEPS=0
if ! command -v mvlink-fault >/dev/null; then
	why="there is no mvlink-fault in the guest"
else
	rc=0
	# shellcheck disable=SC2086
	MVLINK_LOG=notice MVLINK_FAULT_TRACE=1 mvlink-fault create --mode "$MODE" --vm v3 \
		--link eno1 --name vt-k $MODE_OPTS >/dev/null 2>"$T/trace" </dev/null || rc=$?
	sed 's/^/    ! /' "$T/trace"
	check "traced create: exit 0 ($rc)" [ "$rc" = 0 ]
	STEPS=$(grep -c ': step [0-9]*:' "$T/trace")
	why="mvlink-fault traced no step: not built with --enable-fault-injection"
	[ "$rc" = 0 ] || why="the traced create failed"
	mvlink delete vt-k >/dev/null 2>&1
	gone_checks "traced create deleted" vt-k
fi
if [ "$STEPS" -gt 0 ]; then
	say "a create of $MODE has $STEPS steps; SIGKILL at each in turn"
elif [ "$REQUIRE" = 1 ]; then
	fail "$why, but MVLINK_REQUIRE_KERNEL_TESTS=1 wants the per-step kills"
else
	say "WARNING: $why: the per-step kills are left out"
fi
k=0 krc=137 halfway=0
while [ "$STEPS" -gt 0 ] && [ "$krc" = 137 ] && [ "$k" -le "$STEPS" ]; do
	k=$((k + 1))
	krc=0
	# shellcheck disable=SC2086
	MVLINK_FAULT_STEP=$k MVLINK_FAULT_KILL=1 mvlink-fault create --mode "$MODE" --vm v3 \
		--link eno1 --name vt-k $MODE_OPTS >/dev/null 2>&1 </dev/null || krc=$?
	left="link $(linked vt-k && echo yes || echo no), $(journals) journal(s), $(indexed) index entries"
	say "kill at step $k: exit $krc; $left"
	[ "$(journals)" = 0 ] || halfway=$((halfway + 1))
	if [ "$krc" = 0 ]; then
		link_checks vt-k v3
		run 0 mvlink recover && check "after the completed create: nothing to recover" \
			grep -q "nothing to recover" "$ERR"
		run 0 mvlink delete vt-k
		gone_checks "completed at step $k, deleted" vt-k
	else
		run 0 mvlink recover
		gone_checks "kill at step $k, recover" vt-k
	fi
done
if [ "$STEPS" -gt 0 ]; then
	check "killed at steps 1-$((k - 1)), then exit $krc at $k: one kill per traced step ($STEPS)" \
		[ "$krc:$((k - 1))" = "0:$STEPS" ]
	check "$halfway kills left a journal for recover" [ "$halfway" -gt 0 ]
fi

# A create that fails at any step undoes what it did before returning: the
# same steps failed in turn (exit 2), each leaving nothing behind and
# nothing for recover, until the create completes at the traced count + 1.
say "=== c2. mvlink-fault create failed at each step: undone before it returns"
# noaddr ADDR: no device carries ADDR
noaddr() { ! has "$(ip -o addr)" " $1/"; }
k=0 frc=2
while [ "$STEPS" -gt 0 ] && [ "$frc" = 2 ] && [ "$k" -le "$STEPS" ]; do
	k=$((k + 1))
	frc=0
	# shellcheck disable=SC2086
	MVLINK_FAULT_STEP=$k mvlink-fault create --mode "$MODE" --vm v5 \
		--link eno1 --name vt-f $MODE_OPTS >/dev/null 2>"$T/fail" </dev/null || frc=$?
	say "fail at step $k: exit $frc: $(head -n 1 "$T/fail")"
	if [ "$frc" = 0 ]; then
		run 0 mvlink delete vt-f
		gone_checks "completed at step $k, deleted" vt-f
		continue
	fi
	check "fail at step $k: exit 2 (not 3: every undo step worked)" [ "$frc" = 2 ]
	gone_checks "fail at step $k" vt-f
	if [ -n "$MODE_ADDR" ]; then
		check "fail at step $k: no device has $MODE_ADDR" noaddr "$MODE_ADDR"
	fi
	run 0 mvlink recover && check "fail at step $k: nothing to recover" \
		grep -q "nothing to recover" "$ERR"
done
if [ "$STEPS" -gt 0 ]; then
	check "failed at steps 1-$((k - 1)), then exit $frc at $k: one failure per traced step ($STEPS)" \
		[ "$frc:$((k - 1))" = "0:$STEPS" ]
fi

# ---------------------------------------------------------------- d. a real VMM
say "=== d. QEMU on the link's fd; the inner guest reaches the peer"
in_lan ip neigh flush dev eno1-peer
R=$T/vm
append="mvt.ip=$GUEST_IP mvt.peer=$PEER_IP mvt.mac={mac} mvt.tcp=$TCP_PORT mvt.count=2"
say "\$ mvlink exec --mode $MODE --vm v4 --link eno1 --name vt-vm $MODE_OPTS -- run-vmm-guest.sh ..."
# The inner guest's console comes through here: its result marker is
# renamed, the host must see only this guest's.
# shellcheck disable=SC2086
{
	rc=0
	mvlink exec --mode "$MODE" --vm v4 --link eno1 --name vt-vm $MODE_OPTS -- \
		sh /mvlink-test --record "$R" -- \
		bash /vm/run-vmm-guest.sh --kernel /inner/vmlinuz --initrd /inner/net.gz \
		--smp 1 --timeout 300 --log "$T/inner.log" --append "$append" \
		--netdev 'tap,id=n0,fd={fd},vhost=off' --device 'virtio-net-pci,netdev=n0,mac={mac}' \
		-- -L /usr/share/qemu -L /usr/share/seabios </dev/null 2>&1 || rc=$?
	echo "$rc" >"$T/vm.rc"
} | sed -e 's/MVLINK-VM-RESULT:/inner result:/; s/MVLINK-VM-ERROR:/inner error:/; s/^/    inner| /'
rc=$(cat "$T/vm.rc")
check "mvlink exec: the inner guest's net-check passed (exit $rc)" [ "$rc" = 0 ]
if [ -f "$R/args" ]; then
	dev=$(sed -n 's/^vt-vm //p' "$R/chardevs")
	check "QEMU inherited one fd, 3, on vt-vm's $dev ($(tr '\n' ';' <"$R/fds"))" \
		[ "$(cut -d' ' -f1,2 "$R/fds")" = "3 $dev" ]
	check "QEMU's NIC has MAC $MODE_MAC" grep -qx "virtio-net-pci,netdev=n0,mac=$MODE_MAC" "$R/args"
	link_checks vt-vm v4 "$R"
else
	fail "exec did not run the VMM"
fi
neigh=$(in_lan ip neigh show dev eno1-peer)
check "peer: ${GUEST_IP%/*} is at $MODE_MAC ($neigh)" has "$neigh" "${GUEST_IP%/*} lladdr $MODE_MAC "
gone_checks "QEMU exited" vt-vm

guest_done "ipvtap-guest ($MODE)"
