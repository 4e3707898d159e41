#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: vm-vmm.sh [--case NAME]...
#
# A real VMM moves packets through the interfaces mvlink makes: QEMU (TCG)
# boots the tests/vm guest (Debian's kernel + busybox, guest/net-check.sh)
# with a virtio-net NIC on the queue fds mvlink hands over.  The guest pings
# a peer behind the uplink and exchanges a line with its TCP echo server.
# Everything happens in private namespaces (tests/vm/vmnet-lib.sh): the peer
# 10.99.0.1 sits in a "lan" namespace at the far end of the veth uplink eno1.
# Cases (default: all, in this order):
#
#   tap         mvlink exec --mode tap on bridge br0 (uplink eno1), fd={fd}
#   tap-mq      the same with --queues 2: fds={fds} + mq=on, vectors=6
#   macvtap     mvlink exec --mode macvtap on eno1, fd={fd}
#   macvtap-mq  the same with --queues 2
#   launcher    examples/launcher.c, built with pkg-config against this build
#               tree, creates a 2-queue macvtap and execs the VMM; then
#               `mvlink delete --vm` removes the macvtap
#   persist     Firecracker's way: `mvlink create --mode tap` makes a
#               persistent tap on br0, with no carrier until a VMM attaches;
#               QEMU opens it by name (ifname=); then `mvlink delete --vm`
#
# The VMM command is this script's --vmm-wrap mode, which records what the
# VMM inherited (arguments, MVLINK_* environment, fds) and what the kernel
# (`ip -j -d link`) and the library (`mvlink list --json`) show while it
# runs, then execs tests/vm/run-vmm-guest.sh.  After the VMM exits the script
# checks those records, the links that remain (a tap and an exec'd macvtap
# are gone; the bridge and its uplink stay), and that the peer learnt the
# guest's MAC.
#
# Run by `make check` (which sets MVLINK, top_srcdir, top_builddir).  Needs
# root, QEMU and the guest kernel cache that tests/vm/prepare-kernel.sh
# makes in ${MVLINK_VM_CACHE:-/var/cache/mvlink-vm} (it is not made here).
# Without them: exit 77 (skip), or 99 when MVLINK_REQUIRE_KERNEL_TESTS=1.
# Exit status: 0 all cases passed, 1 one failed, 99 no case failed but a
# guest never reported (infrastructure) or the harness could not start.

# make check runs the test with $(SHELL), which may be dash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -eu

SELF=$(cd -- "$(dirname -- "$0")" && pwd)/${0##*/}

# --------------------------------------------------------------------------------
# --vmm-wrap DIR CMD...: the "VMM" that mvlink exec (or the launcher) runs.
# Records into DIR, then becomes CMD with every descriptor still open.
# --------------------------------------------------------------------------------
if [ "${1-}" = --vmm-wrap ]; then
	dir=$2
	shift 2
	mkdir -p "$dir"
	printf '%s\n' "$@" >"$dir/args"
	env | grep '^MVLINK_' | sort >"$dir/env" || :
	# Character devices from fd 3 up: "FD MAJOR:MINOR IFF TARGET", IFF being
	# the tap a /dev/net/tun fd is attached to (fdinfo), else "-".
	for f in "/proc/$$/fd/"*; do
		n=${f##*/}
		if [ "$n" -lt 3 ] || [ ! -c "$f" ]; then
			continue
		fi
		iff=$(sed -n 's/^iff:[[:space:]]*//p' "/proc/$$/fdinfo/$n" 2>/dev/null) || :
		printf '%s %s %s %s\n' "$n" "$(stat -L -c '%Hr:%Lr' "$f")" "${iff:--}" "$(readlink "$f")"
	done >"$dir/fds"
	# What sysfs says each macvtap's character device is.
	for f in /sys/class/net/*/macvtap/tap*/dev; do
		[ -e "$f" ] || continue
		n=${f#/sys/class/net/}
		printf '%s %s\n' "${n%%/*}" "$(cat "$f")"
	done >"$dir/macvtaps"
	"$MVLINK" list --json >"$dir/list.json" 2>"$dir/list.err" || :
	ip -j -d link show >"$dir/links.json"
	exec "$@"
fi

# shellcheck source-path=SCRIPTDIR source=vm/vm-lib.sh
. "$(dirname -- "$SELF")/vm/vm-lib.sh"
# shellcheck source-path=SCRIPTDIR source=vm/vmnet-lib.sh
. "$(dirname -- "$SELF")/vm/vmnet-lib.sh"

VMDIR=$(dirname -- "$SELF")/vm
VM_ALL_CASES='tap tap-mq macvtap macvtap-mq launcher persist'
# Whatever hangs, a case ends: run-vmm-guest.sh kills qemu after BOOT_LIMIT s.
BOOT_LIMIT=150
CASE_LIMIT=200

# check.py MODE ARGS...: the checks on what --vmm-wrap recorded and on the
# links after the VMM exited, on `ip -j` JSON.  Prints one line per check;
# exits 1 when one failed.
check() {
	python3 - "$@" <<'EOF'
import json, os, re, sys

mode, args = sys.argv[1], sys.argv[2:]
failed = 0

def ok(cond, what):
    global failed
    print("  %s %s" % ("ok  " if cond else "FAIL", what), file=sys.stderr)
    if not cond:
        failed = 1
    return cond

def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        ok(False, "%s holds one JSON document (%s)" % (os.path.basename(path), e))
        return []

def link(links, name):
    for l in links:
        if l.get("ifname") == name:
            return l
    return None

def kind(l):
    return (l or {}).get("linkinfo", {}).get("info_kind")

def data(l):
    return (l or {}).get("linkinfo", {}).get("info_data", {})

if mode == "during":
    # during DIR KIND NAME VM QUEUES GUEST_MAC ENV(0|1)
    d, typ, name, vm, queues, mac, want_env = args
    queues = int(queues)
    links = load(d + "/links.json")
    listing = load(d + "/list.json")
    vmm_args = open(d + "/args").read().splitlines()
    fds = [l.split(" ", 3) for l in open(d + "/fds").read().splitlines()]
    macvtaps = dict(l.split() for l in open(d + "/macvtaps").read().splitlines())
    env = dict(l.split("=", 1) for l in open(d + "/env").read().splitlines())

    l = link(links, name)
    ok(l is not None, "ip link: %s exists while the VMM runs" % name)
    ok("UP" in (l or {}).get("flags", []), "ip link: %s is up" % name)
    ok("vm=%s;" % vm in (l or {}).get("ifalias", ""), "ip link: %s is tagged vm=%s (ifalias %r)"
       % (name, vm, (l or {}).get("ifalias")))
    if typ == "tap":
        i = data(l)
        ok(kind(l) == "tun" and i.get("type") == "tap", "ip link: %s is a tap" % name)
        ok(i.get("vnet_hdr") is True and i.get("pi") is False, "ip link: vnet_hdr on, pi off")
        ok(i.get("multi_queue") is (queues > 1), "ip link: multi_queue is %s" % (queues > 1))
        ok(i.get("persist") is False, "ip link: the tap is not persistent")
        if queues > 1:
            ok(i.get("numqueues") == queues, "ip link: %d queues attached (numqueues %s)"
               % (queues, i.get("numqueues")))
        host_mac = ("fa" if mac[:2] == "fe" else "fe") + mac[2:]
        ok((l or {}).get("address") == host_mac, "ip link: host side MAC %s" % host_mac)
        ok((l or {}).get("master") == "br0", "ip link: %s is a port of br0" % name)
        br = link(links, "br0")
        ok(kind(br) == "bridge" and "UP" in br.get("flags", []), "ip link: br0 is a bridge, up")
        ok((link(links, "eno1") or {}).get("master") == "br0", "ip link: uplink eno1 is a port of br0")
        want_link = "br0"
    else:
        ok(kind(l) == "macvtap", "ip link: %s is a macvtap" % name)
        ok(data(l).get("mode") == "bridge", "ip link: macvtap mode bridge (got %s)" % data(l).get("mode"))
        ok((l or {}).get("link") == "eno1", "ip link: lower device eno1")
        ok((l or {}).get("address") == mac, "ip link: MAC %s" % mac)
        want_link = "eno1"

    e = [x for x in listing if x.get("name") == name]
    ok(len(e) == 1, "mvlink list: one entry %s" % name)
    e = e[0] if e else {}
    ok(e.get("mode") == ("tap" if typ == "tap" else "macvtap") and e.get("vm") == vm
       and e.get("link") == want_link, "mvlink list: mode, vm %s, link %s" % (vm, want_link))
    ok(e.get("ifindex") == (l or {}).get("ifindex") and e.get("mac") == (l or {}).get("address"),
       "mvlink list: ifindex and MAC agree with ip link")
    if typ != "tap":
        ok(e.get("devnode") == "/dev/tap%s" % (l or {}).get("ifindex"),
           "mvlink list: devnode %s" % e.get("devnode"))

    # The fds the VMM was told about: fd=N or fds=N:M in its arguments.
    told = []
    for a in vmm_args:
        m = re.match(r"tap,id=n0,fds?=([0-9:]+)(,|$)", a)
        if m:
            told = [int(x) for x in m.group(1).split(":")]
    ok(len(told) == queues, "VMM arguments name %d fd(s): %s" % (queues, told))
    ok(not any("{" in a for a in vmm_args), "no placeholder left in the VMM arguments")
    ok(any(a.startswith("virtio-net-pci,netdev=n0,mac=%s" % mac) for a in vmm_args),
       "VMM arguments carry the guest MAC")
    # Which inherited fds are queues of our interface, as the kernel says.
    if typ == "tap":
        ours = [int(f[0]) for f in fds if f[3] == "/dev/net/tun" and f[2] == name]
        other = [f for f in fds if f[3] == "/dev/net/tun" and f[2] != name]
    else:
        dev = macvtaps.get(name)
        ok(dev is not None, "sysfs: %s has a character device (%s)" % (name, dev))
        ours = [int(f[0]) for f in fds if f[1] == dev]
        other = [f for f in fds if f[1] in macvtaps.values() and f[1] != dev]
    ok(sorted(ours) == sorted(told), "inherited fds %s are the queues of %s, as told" % (ours, name))
    ok(not other, "no other tap/macvtap fd inherited %s" % other)
    if want_env == "1":
        want = {"MVLINK_IFACES": name, "MVLINK_NAME_0": name, "MVLINK_MAC_0": mac,
                "MVLINK_FDS_0": ":".join(str(x) for x in told)}
        got = {k: v for k, v in env.items() if k in want}
        ok(got == want, "environment %s" % got)

elif mode == "after":
    # after LINKS.JSON KIND NAME GUEST_MAC: the links once the VMM is gone.
    path, typ, name, mac = args
    links = load(path)
    l = link(links, name)
    eno1 = link(links, "eno1") or {}
    if typ == "kept":
        ok(kind(l) == "macvtap" and data(l).get("mode") == "bridge" and l.get("link") == "eno1"
           and l.get("address") == mac, "ip link: %s stays after the VMM exited" % name)
    else:
        ok(l is None, "ip link: %s is gone" % name)
    ok(bool(eno1), "ip link: uplink eno1 is still there")
    if typ == "tap":
        br = link(links, "br0")
        ok(kind(br) == "bridge", "ip link: bridge br0 stays")
        ok(eno1.get("master") == "br0", "ip link: eno1 stays a port of br0")
        ports = [x["ifname"] for x in links if x.get("master") == "br0"]
        ok(ports == ["eno1"], "ip link: br0's only port is eno1 (%s)" % ports)
    elif typ == "gone":
        left = [x["ifname"] for x in links if kind(x) == "macvtap"]
        ok(not left, "ip link: no macvtap left (%s)" % left)

elif mode == "peer":
    # peer NEIGH.JSON IP MAC: the lan side learnt the guest's address.
    path, ip, mac = args
    n = [x for x in load(path) if x.get("dst") == ip]
    ok(any(x.get("lladdr") == mac for x in n),
       "peer: neighbour %s is at %s (%s)" % (ip, mac, n))

else:
    sys.exit("check: unknown mode " + mode)
sys.exit(failed)
EOF
}

# --------------------------------------------------------------------------------
# Inner part: runs in the private network + mount namespace.
# Arguments: --inner TMPDIR VMLINUZ INITRD CASE...
# --------------------------------------------------------------------------------
inner() {
	INNER_TMP=$1 INNER_VMLINUZ=$2 INNER_INITRD=$3
	shift 3
	vmnet_setup "$INNER_TMP"
	# The library's journals and private device nodes stay in this run.
	mkdir -p "$INNER_TMP/state"
	mount -t tmpfs -o mode=0700 tmpfs "$INNER_TMP/state"
	MVLINK_STATE_DIR=$INNER_TMP/state
	export MVLINK_STATE_DIR

	vmnet_run_cases "$@"
	local summary="${VM_PROG%.sh}: $VMNET_PASSED passed, $VMNET_FAILED failed"
	if [ "$VMNET_INFRA" -ne 0 ]; then
		summary="$summary, $VMNET_INFRA did not report (infrastructure)"
	fi
	printf '%s\n' "$summary" | tee "$INNER_TMP/summary"
}

# vmnet_case CASE: called by vmnet_run_cases (in a subshell with errexit).
vmnet_case() {
	case $1 in
	tap) exec_case tap 1 ;;
	tap-mq) exec_case tap 2 ;;
	macvtap) exec_case macvtap 1 ;;
	macvtap-mq) exec_case macvtap 2 ;;
	launcher) launcher_case 2 ;;
	persist) persist_case ;;
	esac
}

# vmm_command SNAPDIR QUEUES FD-PLACEHOLDER: set VMM to the VMM command
# line (--vmm-wrap + run-vmm-guest.sh), with {FD-PLACEHOLDER} as the fds.
vmm_command() {
	local snap=$1 q=$2 ph=$3 netdev device
	if [ "$q" -gt 1 ]; then
		# QEMU counts the queues from fds= (and refuses queues= with it).
		netdev="tap,id=n0,fds={$ph},vhost=off"
		device="virtio-net-pci,netdev=n0,mac={mac},mq=on,vectors=$((2 * q + 2))"
	else
		netdev="tap,id=n0,$ph={$ph},vhost=off"
		device='virtio-net-pci,netdev=n0,mac={mac}'
	fi
	VMM=("$BASH" "$SELF" --vmm-wrap "$snap"
		"$VMDIR/run-vmm-guest.sh" --kernel "$INNER_VMLINUZ" --initrd "$INNER_INITRD"
		--timeout "$BOOT_LIMIT" --log "$INNER_TMP/$VMNET_CASE.log"
		--append "$(vmnet_append "$q") mvt.count=2"
		--netdev "$netdev" --device "$device")
}

# finish STATUS BAD SNAPDIR: the case's verdict from the exit status of
# mvlink exec / the launcher (that is, of the VMM) and whether a host-side
# check failed (BAD=1).  A failed check fails the case even when the guest
# was happy; the peer is asked only when the guest was.
finish() {
	local rc=$1 bad=$2 snap=$3
	case $rc in
	0)
		in_lan ip -j neigh show dev eno1-peer >"$snap/neigh.json"
		check peer "$snap/neigh.json" "${GUEST_IP%/*}" "$GUEST_MAC" || bad=1
		;;
	"$VM_NO_RESULT") vm_msg "the guest never reported (qemu failed or timed out)" ;;
	*) vm_msg "the VMM (or mvlink) exited with status $rc" ;;
	esac
	if [ "$bad" -ne 0 ]; then
		vm_msg "host-side checks failed (FAIL lines above)"
		return 1
	fi
	return "$rc"
}

# exec_case tap|macvtap QUEUES: mvlink exec creates the interface and runs
# the VMM on its fds.
exec_case() {
	local mode=$1 q=$2 snap=$INNER_TMP/$VMNET_CASE.run rc=0 bad=0 name vm ph=fd opts
	if [ "$mode" = tap ]; then
		name=vm-test1 vm=test1
		opts=(--mode tap --vm "$vm" --name "$name" --bridge br0 --uplink eno1)
	else
		name=mvt-test1 vm=test2
		opts=(--mode macvtap --vm "$vm" --link eno1 --name "$name")
	fi
	opts+=(--mac "$GUEST_MAC")
	if [ "$q" -gt 1 ]; then
		opts+=(--queues "$q")
		ph=fds
	fi
	vmm_command "$snap" "$q" "$ph"
	vm_msg "mvlink exec ${opts[*]} -- ..."
	timeout -k 5 "$CASE_LIMIT" "$MVLINK" exec "${opts[@]}" -- "${VMM[@]}" || rc=$?
	if [ ! -f "$snap/links.json" ]; then
		vm_msg "mvlink exec failed before the VMM started (exit status $rc)"
		return 1
	fi
	check during "$snap" "$mode" "$name" "$vm" "$q" "$GUEST_MAC" 1 || bad=1
	# A tap's bridge and uplink stay; a macvtap is gone, exec deleted it.
	[ "$mode" = tap ] || mode=gone
	ip -j -d link show >"$snap/after.json"
	check after "$snap/after.json" "$mode" "$name" "$GUEST_MAC" || bad=1
	finish "$rc" "$bad" "$snap"
}

# launcher_case QUEUES: examples/launcher.c creates macvtap mvt-test1 for VM
# test3 and execs the VMM; the macvtap outlives it until mvlink deletes it.
launcher_case() {
	local q=$1 snap=$INNER_TMP/$VMNET_CASE.run rc=0 bad=0 name=mvt-test1 vm=test3
	if [ ! -x "$LAUNCHER" ]; then
		vm_msg "examples/launcher.c did not build (see above)"
		return 1
	fi
	vmm_command "$snap" "$q" fds
	vm_msg "launcher $vm eno1 $name $GUEST_MAC $q -- ..."
	timeout -k 5 "$CASE_LIMIT" "$LAUNCHER" "$vm" eno1 "$name" "$GUEST_MAC" "$q" -- "${VMM[@]}" || rc=$?
	if [ ! -f "$snap/links.json" ]; then
		vm_msg "the launcher failed before the VMM started (exit status $rc)"
		return 1
	fi
	check during "$snap" macvtap "$name" "$vm" "$q" "$GUEST_MAC" 0 || bad=1
	ip -j -d link show >"$snap/after.json"
	check after "$snap/after.json" kept "$name" "$GUEST_MAC" || bad=1
	if ! "$MVLINK" list --json --vm "$vm" >"$snap/list-after.json" ||
		! grep -q "\"name\": *\"$name\"" "$snap/list-after.json"; then
		vm_msg "mvlink list --vm $vm does not show $name after the VMM exited"
		bad=1
	fi
	if ! "$MVLINK" delete --vm "$vm"; then
		vm_msg "mvlink delete --vm $vm failed"
		bad=1
	fi
	ip -j -d link show >"$snap/deleted.json"
	check after "$snap/deleted.json" gone "$name" "$GUEST_MAC" || bad=1
	finish "$rc" "$bad" "$snap"
}

# persist_case: a persistent tap made by `mvlink create`, opened by the VMM
# by name; it has no carrier until then, and outlives the VMM until
# `mvlink delete --vm`.
persist_case() {
	local snap=$INNER_TMP/$VMNET_CASE.run rc=0 bad=0 name=vm-test1 vm=test4
	mkdir -p "$snap"
	vm_msg "mvlink create --mode tap --vm $vm --name $name --bridge br0 --uplink eno1"
	if ! "$MVLINK" create --mode tap --vm "$vm" --name "$name" --bridge br0 --uplink eno1 \
		--mac "$GUEST_MAC"; then
		vm_msg "mvlink create failed"
		return 1
	fi
	if ! ip link show dev "$name" | grep -q NO-CARRIER; then
		vm_msg "FAIL: $name has a carrier before a VMM attached"
		bad=1
	fi
	timeout -k 5 "$CASE_LIMIT" "$VMDIR/run-vmm-guest.sh" --kernel "$INNER_VMLINUZ" \
		--initrd "$INNER_INITRD" --timeout "$BOOT_LIMIT" --log "$INNER_TMP/$VMNET_CASE.log" \
		--append "$(vmnet_append 1) mvt.count=2" \
		--netdev "tap,id=n0,ifname=$name,script=no,downscript=no,vhost=off" \
		--device "virtio-net-pci,netdev=n0,mac=$GUEST_MAC" || rc=$?
	if ! ip link show dev "$name" >/dev/null 2>&1; then
		vm_msg "FAIL: the persistent tap $name went away with its VMM"
		bad=1
	fi
	if ! "$MVLINK" delete --vm "$vm"; then
		vm_msg "FAIL: mvlink delete --vm $vm failed"
		bad=1
	fi
	if ip link show dev "$name" >/dev/null 2>&1; then
		vm_msg "FAIL: $name is still there after mvlink delete --vm $vm"
		bad=1
	fi
	finish "$rc" "$bad" "$snap"
}

if [ "${1-}" = --inner ]; then
	shift
	# A plain call: in a condition, bash would ignore errexit in the cases.
	inner "$@"
	exit "$VMNET_STATUS"
fi

# --------------------------------------------------------------------------------
# Outer part: find everything, build the guest and the launcher, then re-run
# inside private namespaces.
# --------------------------------------------------------------------------------
vm_case_args "$@"
[ ${#VM_ARGS[@]} -eq 0 ] || vm_die "unknown argument '${VM_ARGS[0]}' (see --help)"

vm_harness_build
[ "$(id -u)" -eq 0 ] || vm_skip "needs root (network namespaces, taps, macvtaps)"
read -ra CC_CMD <<<"${CC:-cc}"
for c in qemu-system-x86_64 unshare nsenter setpriv ip busybox python3 timeout stat \
	pkg-config "${CC_CMD[0]}"; do
	command -v "$c" >/dev/null 2>&1 ||
		vm_skip "'$c' not found (packages: tests/vm/host-packages.txt, .ci/packages.txt)"
done
unshare -n -m true 2>/dev/null || vm_skip "cannot create network and mount namespaces here"
vm_harness_kernel

vm_tmpdir "${TMPDIR:-/tmp}/mvlink-vm-vmm.XXXXXX"

"$VMDIR/mkguest-net.sh" --moddir "$MODDIR" --kver "$KVER" -o "$VM_TMP/net.gz" ||
	vm_hard_error "building the guest initramfs failed"

# The example launcher, against this build tree through pkg-config.
LAUNCHER=$VM_TMP/launcher
pcflags=$(PKG_CONFIG_PATH=$top_builddir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH} \
	pkg-config --cflags --libs libmvlink) ||
	vm_hard_error "pkg-config finds no libmvlink in $top_builddir/pkgconfig"
read -ra pcflags <<<"$pcflags"
vm_msg "${CC_CMD[*]} examples/launcher.c ${pcflags[*]}"
if ! "${CC_CMD[@]}" -Wall -o "$LAUNCHER" "$top_srcdir/examples/launcher.c" "${pcflags[@]}"; then
	vm_msg "building examples/launcher.c failed"
	LAUNCHER=''
fi
export LAUNCHER

status=0
# shellcheck disable=SC2086 # $VM_CASES is a list of words
unshare -n -m --propagation unchanged -- \
	"$BASH" "$SELF" --inner "$VM_TMP" "$VMLINUZ" "$VM_TMP/net.gz" $VM_CASES || status=$?
if [ ! -f "$VM_TMP/summary" ]; then
	vm_msg "the harness did not get to run the cases (exit status $status)"
	status=$VM_NO_RESULT
fi
if [ "$status" -ne 0 ]; then
	vm_msg "guest console logs and records kept in $VM_TMP"
	VM_TMP=''
fi
exit "$status"
