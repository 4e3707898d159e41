#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs INSIDE the kernel-test guest (see ../sriov.sh): sets up netdevsim
# device 1 with 4 VFs and its netdev up, then
#  1. runs test-sriov-vm, mvlink's SR-IOV / vfio-pci tests of the library on
#     the real kernel;
#  2. runs the mvlink command line exactly as a user types it - sriov list
#     (text and JSON, checked against sysfs), sriov enable/disable on the
#     NVMe PF, a VF of netdevsim with --no-vfio refused (not a PCI PF) and
#     unchanged in `ip -j link show`, an NVMe VF given to a VM on vfio-pci
#     and released, mvlink recover after the creating mvlink was killed
#     (SIGKILL: at moments chosen by polling, and with mvlink-fault at each
#     of its steps in turn), a whole e1000 passed through with --mode pci and
#     released, a macvtap on a bond slave and on a team port refused
#     (bonding and team exist only here) - each result checked in sysfs,
#     /dev and ip as well as mvlink's output.
# /mvlink-part, when present, holds "lib" or "cli" to run only that part.
# /usr/bin/mvlink-fault is mvlink built with --enable-fault-injection (see
# ../sriov.sh), for the per-step kills only.  /mvlink-require-kernel-tests,
# present when the host ran with MVLINK_REQUIRE_KERNEL_TESTS=1, makes a run
# whose mvlink-fault traces no steps fail instead of leaving those kills out.
# Exit status: 0 when both passed, 1 otherwise.

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

part=all
[ ! -f /mvlink-part ] || part=$(cat /mvlink-part)
lib_status=0
if [ "$part" != cli ]; then
	MVLINK_IN_VM=1 MVLINK_VM_NSIM_PF=$pf CK_VERBOSITY=verbose CK_DEFAULT_TIMEOUT=600 \
		test-sriov-vm || lib_status=1
fi
[ "$part" != lib ] || exit "$lib_status"

# ==========================================================================
# 2. The command line, as a user types it
# ==========================================================================
NSIM=$pf
T=/tmp/cli
mkdir -p "$T"
OUT=$T/out
ERR=$T/err
FAILS=0
CHECKS=0

ok() {
	CHECKS=$((CHECKS + 1))
	echo "sriov-cli: ok   $*"
}
bad() {
	CHECKS=$((CHECKS + 1))
	FAILS=$((FAILS + 1))
	echo "sriov-cli: FAIL $*"
}
# check DESCRIPTION TEST...: one check
check() {
	what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
# run RC CMD...: show the command and its output; ok when it exits with RC
run() {
	run_want=$1
	shift
	echo "sriov-cli: \$ $*"
	rc=0
	"$@" >"$OUT" 2>"$ERR" </dev/null || rc=$?
	sed 's/^/    | /' "$OUT"
	sed 's/^/    ! /' "$ERR"
	if [ "$rc" = "$run_want" ]; then
		ok "exit status $rc"
		return 0
	fi
	bad "'$*' exited with $rc, expected $run_want"
	return 1
}
out_has() { grep -qF -- "$1" "$OUT"; }
err_has() { grep -qF -- "$1" "$ERR"; }
out_re() { grep -qE -- "$1" "$OUT"; }
# jget KEY [FILE]: the value of the first "KEY":VALUE line of pretty JSON
# (a string without its quotes, or a number, true, false, null)
jget() {
	v=$(sed -n "s/^ *\"$1\": *\"\(.*\)\",\{0,1\}\$/\1/p" "${2:-$OUT}" | head -n 1)
	[ -n "$v" ] || v=$(sed -n "s/^ *\"$1\": *\([^\",]*\),\{0,1\}\$/\1/p" "${2:-$OUT}" | head -n 1)
	echo "$v"
}

# sysfs: the devices, their drivers and IOMMU groups
pci_find() { # VENDOR DEVICE INDEX
	n=0
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor")" = "$1" ] && [ "$(cat "$d/device")" = "$2" ]; then
			[ "$n" = "$3" ] && {
				echo "${d##*/}"
				return 0
			}
			n=$((n + 1))
		fi
	done
	return 1
}
base() { l=$(readlink "$1" 2>/dev/null) && echo "${l##*/}"; }
drv() { base "/sys/bus/pci/devices/$1/driver"; }
grp() { base "/sys/bus/pci/devices/$1/iommu_group"; }
attr() { cat "/sys/bus/pci/devices/$1/$2" 2>/dev/null; }
# state ADDR: what a release must restore, as one line
state() {
	node=no
	[ ! -e "/dev/vfio/$(grp "$1")" ] || node=yes
	j=no
	[ ! -e "/run/mvlink/vf/$1.json" ] && [ ! -e "/run/mvlink/pci/$1.json" ] || j=yes
	echo "driver=$(drv "$1") override=$(attr "$1" driver_override) node=$node journal=$j"
}
bind_by_hand() { # ADDR DRIVER: what an admin does with sysfs
	d=$(drv "$1")
	[ -z "$d" ] || echo "$1" >"/sys/bus/pci/drivers/$d/unbind"
	echo "$2" >"/sys/bus/pci/devices/$1/driver_override"
	echo "$1" >/sys/bus/pci/drivers_probe
	echo >"/sys/bus/pci/devices/$1/driver_override"
}
# ipvf PF N: VF N's object in `ip -j link show dev PF` (one line)
ipvf() {
	ip -j link show dev "$1" | awk '{ gsub(/\{"vf":/, "\n{\"vf\":"); print }' |
		grep "^{\"vf\":$2,"
}

# Per-step kills: mvlink-fault with MVLINK_FAULT_STEP=k MVLINK_FAULT_KILL=1
# SIGKILLs itself at its k-th kernel-changing step.
REQUIRE=0
[ ! -f /mvlink-require-kernel-tests ] || REQUIRE=1
# trace_steps WHAT CMD...: run CMD (a create that must succeed; the caller
# releases it) with MVLINK_FAULT_TRACE=1; STEPS = the steps it logged.  No
# trace (not a fault-injection build): a failure with REQUIRE=1, else a
# warning and STEPS=0, which leaves the per-step kills out.
trace_steps() {
	tr_what=$1
	shift
	STEPS=0 rc=0
	if ! command -v "$1" >/dev/null; then
		why="there is no $1 in the guest"
	else
		MVLINK_LOG=notice MVLINK_FAULT_TRACE=1 "$@" >/dev/null 2>"$T/trace" </dev/null || rc=$?
		if [ "$rc" != 0 ]; then
			bad "$tr_what: the traced create exited with $rc"
			sed 's/^/    ! /' "$T/trace"
			return
		fi
		STEPS=$(grep -c ': step [0-9]*:' "$T/trace")
		why="$1 traced no step (MVLINK_FAULT_TRACE=1): not built with --enable-fault-injection"
	fi
	if [ "$STEPS" -gt 0 ]; then
		echo "sriov-cli: $tr_what: $STEPS steps traced; SIGKILL at each in turn"
	elif [ "$REQUIRE" = 1 ]; then
		bad "$tr_what: $why, but MVLINK_REQUIRE_KERNEL_TESTS=1 wants the per-step kills"
	else
		echo "sriov-cli: WARNING: $tr_what: $why: the per-step kills are left out"
	fi
}

PF=$(pci_find 0x1b36 0x0010 0) || fail "no emulated NVMe PF 1b36:0010"
[ "$(attr "$PF" sriov_numvfs)" = 0 ] || echo 0 >"/sys/bus/pci/devices/$PF/sriov_numvfs"

# ---------------------------------------------------------------- sriov list
echo "sriov-cli: === sriov list"
pfs='' npfs=0
for d in /sys/bus/pci/devices/*; do
	t=$(cat "$d/sriov_totalvfs" 2>/dev/null) || continue
	[ "$t" -gt 0 ] || continue
	pfs="$pfs ${d##*/}"
	npfs=$((npfs + 1))
done
echo "sriov-cli: SR-IOV PFs in sysfs:$pfs"
run 0 mvlink sriov list
for p in $pfs; do
	# the block of PF p: "key   value" lines from "address p" on
	awk -v p="$p" '$1 == "address" { cur = $2 } cur == p' "$OUT" >"$T/block"
	check "sriov list: PF $p listed" grep -qE "^address +$p\$" "$T/block"
	check "sriov list: $p total_vfs $(attr "$p" sriov_totalvfs)" \
		grep -qE "^total_vfs +$(attr "$p" sriov_totalvfs)\$" "$T/block"
	check "sriov list: $p num_vfs $(attr "$p" sriov_numvfs)" \
		grep -qE "^num_vfs +$(attr "$p" sriov_numvfs)\$" "$T/block"
	check "sriov list: $p driver $(drv "$p")" grep -qE "^driver +$(drv "$p")\$" "$T/block"
done
# and the netdevs of other buses with VFs (netdevsim), which have no address
for d in /sys/class/net/*; do
	[ -e "$d/device/sriov_numvfs" ] && [ ! -e "$d/device/sriov_totalvfs" ] && npfs=$((npfs + 1))
done
check "sriov list: as many PFs as sysfs has ($npfs)" \
	[ "$(grep -cE '^address ' "$OUT")" = "$npfs" ]
check "sriov list: the NVMe PF has no netdev" grep -qE "^netdev +-\$" "$T/block"
check "sriov list: vendor and device ids" grep -qE "^vendor +1b36( |\$)" "$T/block"

run 0 mvlink sriov list --json
check "sriov list --json: a JSON array" [ "$(head -c 1 "$OUT")" = "[" ]
check "sriov list --json: as many PFs as sysfs has" \
	[ "$(grep -c '"total_vfs":' "$OUT")" = "$npfs" ]
sed -n "/\"address\":\"$PF\"/,/\"vfs\":/p" "$OUT" >"$T/pfjson"
check "sriov list --json: $PF" [ -s "$T/pfjson" ]
check "sriov list --json: total_vfs" [ "$(jget total_vfs "$T/pfjson")" = "$(attr "$PF" sriov_totalvfs)" ]
check "sriov list --json: num_vfs 0" [ "$(jget num_vfs "$T/pfjson")" = 0 ]
check "sriov list --json: driver nvme" [ "$(jget driver "$T/pfjson")" = nvme ]
check "sriov list --json: netdev null" [ "$(jget netdev "$T/pfjson")" = null ]
check "sriov list --json: vendor_id, device_id" \
	[ "$(jget vendor_id "$T/pfjson"):$(jget device_id "$T/pfjson")" = 1b36:0010 ]

# ---------------------------------------------------------------- sriov enable
echo "sriov-cli: === sriov enable"
run 0 mvlink sriov enable "$PF" 2 && check "enable: says so" out_has "enabled 2 VFs on $PF"
check "enable: sysfs sriov_numvfs 2" [ "$(attr "$PF" sriov_numvfs)" = 2 ]
check "enable: autoprobe off" [ "$(attr "$PF" sriov_drivers_autoprobe)" = 0 ]
VF0=$(base "/sys/bus/pci/devices/$PF/virtfn0")
VF1=$(base "/sys/bus/pci/devices/$PF/virtfn1")
echo "sriov-cli: VFs $VF0 (group $(grp "$VF0")) $VF1 (group $(grp "$VF1"))"
run 0 mvlink sriov enable "$PF" 2 && check "enable again: nothing to do" err_has "already has 2 VFs; nothing to do"
run 2 mvlink sriov enable "$PF" 3 && check "enable 3: disable first" err_has "already has 2 VFs; disable first"
run 2 mvlink sriov enable "$PF" 5 && check "enable 5: at most 4" err_has "at most 4 VFs"
run 0 mvlink sriov list "$PF"
check "sriov list PF: VF table header" out_re '^VF +ADDRESS +DRIVER +MAC +VLAN +QOS +SPOOFCHK +TRUST +LINK STATE +IOMMU GROUP +VM$'
check "sriov list PF: VF 0 row" out_re "^0 +$VF0 +- .* $(grp "$VF0") +-\$"
check "sriov list PF: VF 1 row" out_re "^1 +$VF1 +- .* $(grp "$VF1") +-\$"
run 0 mvlink --json sriov list "$PF"
check "sriov list --json PF: VF 1 address" out_has "\"address\":\"$VF1\""
check "sriov list --json PF: two VFs" [ "$(grep -c '"vf":' "$OUT")" = 2 ]
check "sriov list --json PF: unknown MAC is null" out_has '"mac":null'

# ---------------------------------------------------------------- netdevsim VF: attributes only
# netdevsim is no PCI device: its VFs are settings of its netdev only, named
# "<pf>:vf<N>", configured with --no-vfio and restored on release.
echo "sriov-cli: === netdevsim PF $NSIM: its VFs by name, attributes only"
NV0=$NSIM:vf0
J0=/run/mvlink/vf/$NV0.json
# vfhas KEY:VALUE: in VF 0's object of `ip -j link show dev $NSIM`
vfhas() { case "$(ipvf "$NSIM" 0)" in *"$1"*) return 0 ;; esac; return 1; }
run 0 mvlink sriov enable "$NSIM" 4 && check "sriov enable $NSIM 4: already" err_has "already has 4 VFs; nothing to do"
run 0 mvlink sriov list "$NSIM"
check "sriov list $NSIM: no PCI address" out_re '^address +-$'
check "sriov list $NSIM: its netdev" out_re "^netdev +$NSIM\$"
check "sriov list $NSIM: driver netdevsim" out_re '^driver +netdevsim$'
check "sriov list $NSIM: num_vfs 4" out_re '^num_vfs +4$'
check "sriov list $NSIM: VF 0 is $NV0, free" out_re "^0 +$NV0 +- .* +-\$"
before=$(ipvf "$NSIM" 0)
echo "sriov-cli: VF 0 before: $before"
ATTRS="--mac 02:00:00:00:00:11 --vlan 10 --qos 3 --vlan-proto 802.1ad --spoofchk off --trust on
	--query-rss on --link-state disable --min-rate 10 --max-rate 100"
# shellcheck disable=SC2086 # ATTRS is split on purpose
run 2 mvlink create --mode sriov --vm vm1 --pf "$NSIM" --vf 0 $ATTRS &&
	check "without --no-vfio: refused, says why" err_has "--no-vfio"
check "refused create: VF 0 unchanged" [ "$(ipvf "$NSIM" 0)" = "$before" ]
# shellcheck disable=SC2086
if run 0 mvlink --json create --mode sriov --vm vm1 --pf "$NSIM" --vf 0 $ATTRS --no-vfio; then
	check "create: name $NV0" [ "$(jget name)" = "$NV0" ]
	check "create: link $NSIM" [ "$(jget link)" = "$NSIM" ]
	check "create: mode sriov, no devnode" [ "$(jget mode):$(jget devnode)" = sriov:null ]
	echo "sriov-cli: VF 0 now: $(ipvf "$NSIM" 0)"
	for kv in '"address":"02:00:00:00:00:11"' '"vlan":10' '"qos":3' '"protocol":"802.1ad"' \
		'"spoofchk":false' '"trust":true' '"query_rss_en":true' '"link_state":"disable"' \
		'"max_tx":100' \
		'"min_tx":10'; do
		check "ip link show $NSIM: VF 0 $kv" vfhas "$kv"
	done
	check "journal $J0" [ -f "$J0" ]
	run 0 mvlink list && check "list: the VF row" out_re "^$NV0 +sriov +vm1 +$NSIM "
	run 0 mvlink sriov list "$NSIM" && check "sriov list: VF 0 for vm1" out_re "^0 +$NV0 .* vm1\$"
	run 2 mvlink sriov disable "$NSIM" && check "sriov disable: refused while attached" \
		err_has "is attached to VM vm1; release it first"
	run 2 mvlink create --mode sriov --vm vm9 --pf "$NSIM" --vf 0 --no-vfio &&
		check "the same VF for another VM: busy" err_has "attached to VM vm1"
	run 0 mvlink delete "$NV0" && check "delete $NV0" out_has "released $NV0"
	check "after release: VF 0 as before" [ "$(ipvf "$NSIM" 0)" = "$before" ]
	check "after release: no journal" [ ! -e "$J0" ]
	run 0 mvlink delete "$NV0" && check "delete again: nothing to do" err_has "not attached"
fi
# the first free VF, released with its VM
if run 0 mvlink --json create --mode sriov --vm vm1 --pf "$NSIM" --mac 02:00:00:00:00:12 --no-vfio; then
	check "first free: $NV0" [ "$(jget name)" = "$NV0" ]
	run 0 mvlink --json delete --vm vm1 && check "delete --vm vm1: one object" [ "$(jget removed)" = 1 ]
	check "after delete --vm: VF 0 as before" [ "$(ipvf "$NSIM" 0)" = "$before" ]
fi
# switchdev netdevsim refuses rates: the attributes set before go back
devlink dev eswitch set netdevsim/netdevsim1 mode switchdev
# shellcheck disable=SC2086
run 2 mvlink create --mode sriov --vm vm1 --pf "$NSIM" --vf 0 $ATTRS --no-vfio &&
	check "a refused attribute: named" err_has "refused min/max tx rate 10/100 Mbps for VF 0"
check "refused: VF 0 as before" [ "$(ipvf "$NSIM" 0)" = "$before" ]
check "refused: no journal" [ ! -e "$J0" ]
devlink dev eswitch set netdevsim/netdevsim1 mode legacy
# killed half way: recover puts VF 0 back.  Killed as soon as its journal
# exists (any build), then at each of its steps in turn (mvlink-fault): k =
# 1, 2, ... until a create completes, which must be at k = the number of
# steps a traced create has + 1.
# kill_outcome RC UNCHANGED: what a create that exited with RC (137: the
# SIGKILL) left, into $outcome, from what `recover --dry-run` would still
# undo (into $pending) and whether the device is as before (UNCHANGED: yes
# or empty): completed, killed before it changed anything, killed half
# way, killed after it completed, or another exit.
kill_outcome() {
	mvlink --json recover --dry-run >"$T/dry" 2>/dev/null
	pending=$(jget restored "$T/dry")
	case $1:$pending in
	0:0) outcome=completed ;;
	137:0)
		outcome="killed before it changed anything"
		[ "$2" = yes ] || outcome="killed after it completed"
		;;
	137:*) outcome="killed half way" ;;
	*) outcome="exit $1, $pending to recover" ;;
	esac
}
# nsim_killed K RC: the create killed at K exited with RC; recover, check
nsim_killed() {
	now=$(ipvf "$NSIM" 0)
	j=no
	[ ! -e "$J0" ] || j=yes
	kill_outcome "$2" "$([ "$now:$j" = "$before:no" ] && echo yes)"
	[ "$outcome" != "killed half way" ] || nsim_halfway=$((nsim_halfway + 1))
	echo "sriov-cli: kill at $1: $outcome; journal=$j, VF 0 $([ "$now" = "$before" ] &&
		echo as before || echo changed)"
	run 0 mvlink recover
	case $outcome in
	"killed half way")
		check "kill at $1 half way: recover alone restored VF 0" \
			[ "$(ipvf "$NSIM" 0)" = "$before" ]
		;;
	esac
	# a create killed at one of its steps has not completed: its last step
	# is the journal's final write
	case $1:$2 in
	"step "*:137)
		check "kill at $1: before any change or half way" \
			[ "$outcome" != "killed after it completed" ]
		;;
	esac
	run 0 mvlink delete --vm vm4
	check "kill at $1 ($outcome): recover + delete --vm restored VF 0" \
		[ "$(ipvf "$NSIM" 0)" = "$before" ]
	check "kill at $1: no journal left" [ ! -e "$J0" ]
}
nsim_halfway=0
# shellcheck disable=SC2086
mvlink create --mode sriov --vm vm4 --pf "$NSIM" --vf 0 $ATTRS --no-vfio >/dev/null 2>&1 &
p=$!
while [ ! -e "$J0" ] && kill -0 "$p" 2>/dev/null; do :; done
kill -9 "$p" 2>/dev/null
krc=0
wait "$p" || krc=$?
nsim_killed journal "$krc"
# shellcheck disable=SC2086
trace_steps "create --mode sriov $NV0" \
	mvlink-fault create --mode sriov --vm vm4 --pf "$NSIM" --vf 0 $ATTRS --no-vfio
mvlink delete --vm vm4 >/dev/null 2>&1
check "traced create released: VF 0 as before" [ "$(ipvf "$NSIM" 0)" = "$before" ]
if [ "$STEPS" -gt 0 ]; then
	k=0 krc=137
	while [ "$krc" = 137 ] && [ "$k" -le "$STEPS" ]; do
		k=$((k + 1))
		krc=0
		# shellcheck disable=SC2086
		MVLINK_FAULT_STEP=$k MVLINK_FAULT_KILL=1 mvlink-fault create --mode sriov --vm vm4 \
			--pf "$NSIM" --vf 0 $ATTRS --no-vfio >/dev/null 2>&1 </dev/null || krc=$?
		nsim_killed "step $k" "$krc"
	done
	check "$NV0: killed at steps 1-$((k - 1)), then exit $krc at $k: one kill per traced step ($STEPS)" \
		[ "$krc:$((k - 1))" = "0:$STEPS" ]
	check "$NV0: $nsim_halfway of the kills landed half way (a journal left for recover)" \
		[ "$nsim_halfway" -gt 0 ]
fi
run 0 mvlink sriov disable "$NSIM" && check "sriov disable $NSIM" [ "$(cat "$nsim/sriov_numvfs")" = 0 ]
run 0 mvlink sriov enable "$NSIM" 4 && check "sriov enable $NSIM 4" [ "$(cat "$nsim/sriov_numvfs")" = 4 ]

# ---------------------------------------------------------------- NVMe VF on vfio-pci
echo "sriov-cli: === NVMe VF $VF0 for vm2 on vfio-pci"
bind_by_hand "$VF0" pci-stub
G0=$(grp "$VF0")
want=$(state "$VF0")
echo "sriov-cli: before: $want"
if run 0 mvlink --json create --mode sriov --vm vm2 --pf "$PF" --vf 0 --owner 1000 --group 1001; then
	check "create: name is the VF's address" [ "$(jget name)" = "$VF0" ]
	check "create: link is the PF" [ "$(jget link)" = "$PF" ]
	check "create: devnode /dev/vfio/$G0, iommu_group $G0" \
		[ "$(jget devnode):$(jget iommu_group)" = "/dev/vfio/$G0:$G0" ]
	check "sysfs: $VF0 is on vfio-pci" [ "$(drv "$VF0")" = vfio-pci ]
	check "/dev/vfio/$G0 is a character device" [ -c "/dev/vfio/$G0" ]
	check "/dev/vfio/$G0 belongs to 1000:1001" [ "$(stat -c %u:%g "/dev/vfio/$G0")" = 1000:1001 ]
	# shellcheck disable=SC2016 # expanded by that sh
	check "/dev/vfio/$G0 opens" sh -c 'exec 3<>"$1"' - "/dev/vfio/$G0"
	check "journal /run/mvlink/vf/$VF0.json" [ -f "/run/mvlink/vf/$VF0.json" ]
	run 0 mvlink list && check "list: the VF row" \
		out_re "^$VF0 +sriov +vm2 +$PF +- +- +/dev/vfio/$G0\$"
	run 0 mvlink show "$VF0" && check "show ADDR" out_re "^iommu_group +$G0\$"
	run 0 mvlink sriov list "$PF" && check "sriov list: VF 0 on vfio-pci for vm2" \
		out_re "^0 +$VF0 +vfio-pci .* $G0 +vm2\$"
	run 2 mvlink sriov disable "$PF" && check "sriov disable: refused while attached" \
		err_has "is attached to VM vm2; release it first"
	run 0 mvlink --json delete --vm vm2 && check "delete --vm vm2: one object" \
		[ "$(jget removed)" = 1 ]
	check "after release: $(state "$VF0") = $want" [ "$(state "$VF0")" = "$want" ]
	check "after release: back on pci-stub" [ "$(drv "$VF0")" = pci-stub ]
	run 0 mvlink delete "$VF0" && check "delete ADDR again: not attached" err_has "is not attached to a VM"
fi

# ---------------------------------------------------------------- killed, then recover
echo "sriov-cli: === mvlink killed while attaching $VF1; mvlink recover"
want=$(state "$VF1")
echo "sriov-cli: before: $want"
G1=$(grp "$VF1")
J1=/run/mvlink/vf/$VF1.json
# the moments to SIGKILL the create at: mvlink as soon as its journal
# exists, its driver_override is vfio-pci, it is on vfio-pci, and after a few
# delays; then mvlink-fault at each of its steps in turn (k = 1, 2, ... until
# a create completes, which must be at k = a traced create's steps + 1)
trace_steps "create --mode sriov $VF1" mvlink-fault create --mode sriov --vm vm4 --pf "$PF" --vf 1 \
	--owner 1000
mvlink delete --vm vm4 >/dev/null 2>&1
check "before the kills: $(state "$VF1") = $want" [ "$(state "$VF1")" = "$want" ]
halfway=0
# nvme_kill K: one create of VF 1 killed at K, recover, check; sets krc (rc is run's)
nvme_kill() {
	k=$1
	krc=0
	case $k in
	journal | override | vfio | *.*)
		mvlink create --mode sriov --vm vm4 --pf "$PF" --vf 1 --owner 1000 >/dev/null 2>&1 &
		p=$!
		# (polled with shell builtins only: a fork takes longer than a step)
		case $k in
		journal) while [ ! -e "$J1" ] && kill -0 "$p" 2>/dev/null; do :; done ;;
		override)
			o=''
			while [ "$o" != vfio-pci ] && kill -0 "$p" 2>/dev/null; do
				read -r o <"/sys/bus/pci/devices/$VF1/driver_override"
			done
			;;
		vfio)
			while [ ! -e "/sys/bus/pci/drivers/vfio-pci/$VF1" ] && kill -0 "$p" 2>/dev/null; do :; done
			;;
		*) sleep "$k" ;;
		esac
		kill -9 "$p" 2>/dev/null
		wait "$p" || krc=$?
		;;
	*)
		MVLINK_FAULT_STEP=$k MVLINK_FAULT_KILL=1 mvlink-fault create --mode sriov --vm vm4 \
			--pf "$PF" --vf 1 --owner 1000 >/dev/null 2>&1 </dev/null || krc=$?
		;;
	esac
	now=$(state "$VF1")
	kill_outcome "$krc" "$([ "$now" = "$want" ] && echo yes)"
	[ "$outcome" != "killed half way" ] || halfway=$((halfway + 1))
	echo "sriov-cli: kill at $k: $outcome; $now (owner $(stat -c %u "/dev/vfio/$G1" 2>/dev/null))"
	# a create killed at one of its steps has not completed
	case $k:$krc in
	[0-9]*:137)
		case $k in *.*) ;; *)
			check "kill at step $k: before any change or half way" \
				[ "$outcome" != "killed after it completed" ] ;;
		esac
		;;
	esac
	run 0 mvlink recover --dry-run
	run 0 mvlink recover
	run 0 mvlink delete --vm vm4
	check "kill at $k ($outcome): recover + delete --vm restored $VF1" [ "$(state "$VF1")" = "$want" ]
	run 0 mvlink recover --dry-run && check "nothing left to recover" err_has "nothing to recover"
}
for k in journal override vfio 0.05 0.2; do
	nvme_kill "$k"
done
if [ "$STEPS" -gt 0 ]; then
	n=0 krc=137
	while [ "$krc" = 137 ] && [ "$n" -le "$STEPS" ]; do
		n=$((n + 1))
		nvme_kill "$n"
	done
	check "$VF1: killed at steps 1-$((n - 1)), then exit $krc at $n: one kill per traced step ($STEPS)" \
		[ "$krc:$((n - 1))" = "0:$STEPS" ]
fi
check "$halfway creates were killed half way (left for recover)" [ "$halfway" -gt 0 ]

# ---------------------------------------------------------------- sriov disable
echo "sriov-cli: === sriov disable"
run 0 mvlink sriov disable "$PF" && check "disable: says so" out_has "disabled the VFs of $PF"
check "disable: sysfs sriov_numvfs 0" [ "$(attr "$PF" sriov_numvfs)" = 0 ]
run 0 mvlink sriov disable "$PF" && check "disable again: nothing to do" err_has "has no VFs; nothing to do"

# ---------------------------------------------------------------- a whole e1000
echo "sriov-cli: === --mode pci: an e1000"
E=''
for i in 0 1 2; do
	a=$(pci_find 0x8086 0x100e "$i") || continue
	eval "E$i=$a"
	E="$E $a"
done
SOLO='' SHARED='' OTHER=''
for a in $E; do
	n=0
	for b in $E; do [ "$(grp "$a")" != "$(grp "$b")" ] || n=$((n + 1)); done
	if [ "$n" = 1 ]; then SOLO=$a; elif [ -z "$SHARED" ]; then SHARED=$a; else OTHER=$a; fi
done
echo "sriov-cli: e1000s:$E; alone in its group: $SOLO; sharing one: $SHARED $OTHER"
check "an e1000 alone in its IOMMU group" [ -n "$SOLO" ]
want=$(state "$SOLO")
G=$(grp "$SOLO")
netdev=$(ls "/sys/bus/pci/devices/$SOLO/net" 2>/dev/null)
echo "sriov-cli: before: $want, netdev $netdev"
# the short form of the address, as lspci prints it
if run 0 mvlink --json create --mode pci --vm vm3 --device "${SOLO#0000:}"; then
	check "create: name $SOLO, mode pci" [ "$(jget name):$(jget mode)" = "$SOLO:pci" ]
	check "create: devnode /dev/vfio/$G" [ "$(jget devnode)" = "/dev/vfio/$G" ]
	check "sysfs: $SOLO is on vfio-pci" [ "$(drv "$SOLO")" = vfio-pci ]
	check "/dev/vfio/$G is a character device" [ -c "/dev/vfio/$G" ]
	check "the e1000's netdev $netdev is gone" [ ! -e "/sys/class/net/$netdev" ]
	run 0 mvlink list && check "list: the device row" out_re "^$SOLO +pci +vm3 +- +- +- +/dev/vfio/$G\$"
	run 0 mvlink delete --vm vm3 && check "delete --vm vm3" out_has "deleted 1 object of VM vm3"
	check "after release: $(state "$SOLO") = $want" [ "$(state "$SOLO")" = "$want" ]
	check "after release: on e1000 again" [ "$(drv "$SOLO")" = e1000 ]
	check "after release: the netdev is back" [ -n "$(ls "/sys/bus/pci/devices/$SOLO/net" 2>/dev/null)" ]
fi
if [ -n "$SHARED" ] && [ -n "$OTHER" ]; then
	want=$(state "$SHARED")
	run 2 mvlink create --mode pci --vm vm5 --device "$SHARED" &&
		check "a group with a device on a host driver: refused, naming it" \
			err_has "also holds $OTHER, which is bound to the host driver e1000"
	check "refused: $SHARED untouched" [ "$(state "$SHARED")" = "$want" ]
fi

# ------------------------------------------------ macvtap on an enslaved lower
# (the sandbox kernels that run tests/test-macvtap have no bonding or team)
echo "sriov-cli: === macvtap on a bond slave or a team port: refused"
# links_now FILE: `ip -j link` (a link a line) without what the kernel
# changes on its own (as tests/testutil.c's mvt_link_strip(), the qdisc too): enslaving a port brings it up, and the kernel reports
# its carrier and operstate later, through linkwatch (which delays an
# event by up to a second), so those are left out rather than waited for.
links_now() {
	ip -j link show | sed -e 's/},{"ifindex"/},\n{"ifindex"/g' \
		-e 's/"operstate":"[A-Z_]*",//g; s/"qdisc":"[a-z_]*",//g' \
		-e 's/,"LOWER_UP"//g; s/"LOWER_UP",//g; s/,"NO-CARRIER"//g; s/"NO-CARRIER",//g' \
		>"$1"
}
# links_same DESC: the links before and after, or the difference shown
links_same() {
	if cmp -s "$T/links.before" "$T/links.after"; then
		ok "$1"
	else
		bad "$1"
		{ diff "$T/links.before" "$T/links.after" || :; } | head -n 20 | sed 's/^/    | /'
	fi
}
if modprobe bonding && ip link add mvbond0 type bond mode active-backup &&
	ip link add mvbs0 type veth peer name mvbs1 && ip link set mvbs0 master mvbond0; then
	check "bond: mvbs0 is a slave of mvbond0 (ip)" \
		sh -c 'ip -d link show dev mvbs0 | grep -q "bond_slave"'
	links_now "$T/links.before"
	run 2 mvlink create --mode macvtap --vm vmb --link mvbs0 --name mvtb0 &&
		check "bond slave: refused, naming the bond" \
			err_has "lower device mvbs0 is a slave of bond mvbond0: put the macvtap on mvbond0 instead"
	links_now "$T/links.after"
	links_same "bond slave: ip -j link unchanged"
	check "bond slave: no macvtap mvtb0" sh -c '! ip link show dev mvtb0 2>/dev/null'
	ip link del mvbs0
	ip link del mvbond0
else
	bad "cannot make bond mvbond0 with slave mvbs0"
fi
# a master of another kind: the generic refusal
if modprobe team && ip link add mvteam0 type team &&
	ip link add mvts0 type veth peer name mvts1 && ip link set mvts0 master mvteam0; then
	links_now "$T/links.before"
	run 2 mvlink create --mode macvtap --vm vmb --link mvts0 --name mvtb0 &&
		check "team port: refused, naming the team" \
			err_has "lower device mvts0 is enslaved to team mvteam0"
	links_now "$T/links.after"
	links_same "team port: ip -j link unchanged"
	ip link del mvts0
	ip link del mvteam0
else
	bad "cannot make team mvteam0 with port mvts0"
fi

echo "sriov-cli: $CHECKS checks, $FAILS failed"
cli_status=0
[ "$FAILS" = 0 ] || cli_status=1
echo "sriov-guest: library tests: $([ "$lib_status" = 0 ] && echo passed || echo FAILED)," \
	"command line: $([ "$cli_status" = 0 ] && echo passed || echo FAILED)"
[ "$lib_status" = 0 ] && [ "$cli_status" = 0 ]
