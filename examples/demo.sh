#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: examples/demo.sh        (as root, on Debian 12, from a clone)
#
# mvlink's main job, end to end, in a throwaway network namespace:
#   1. installs the Debian packages mvlink needs (.ci/deps.sh) and builds it
#      into ${MVLINK_BUILD_DIR:-build/} unless that is done already;
#   2. fetches Debian's kernel for a tiny QEMU guest (cached in
#      ${MVLINK_VM_CACHE:-/var/cache/mvlink-vm}) and packs its initramfs;
#   3. in private network and mount namespaces: a veth pair stands in for
#      the uplink eno1, its far end in a "lan" namespace holding 10.99.0.1;
#      then microvm.nix's network guide, bridge br0 holding the uplink eno1
#      and a tap vm-test1 for VM test1, made by `mvlink exec`, which hands
#      the tap's two queue fds to QEMU:
#        mvlink exec --mode tap --vm test1 --name vm-test1 --bridge br0 \
#               --uplink eno1 --mac 02:00:00:00:00:01 --queues 2 -- \
#          qemu-system-x86_64 ... -netdev tap,id=n0,fds={fds},vhost=off ...
#      While the guest runs, `mvlink list` shows br0 and vm-test1; the guest
#      pings 10.99.0.1 and exchanges a line over TCP: the VM's packets flow
#      through the mvlink interface.  The tap goes away with QEMU.
#   4. exits 0 only when the guest reported success.
#
# Nothing outside the namespaces changes but the packages, the build and the
# kernel cache: mvlink's state files (MVLINK_STATE_DIR) are on a tmpfs in the
# private mount namespace, never in the host's /run/mvlink.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${MVLINK_BUILD_DIR:-$top/build}
vmdir=$top/tests/vm
mvlink=$build/tools/mvlink
# show CMD...: print CMD as the user would type it, then run it.
show() {
	local cmd="$*"
	printf '\n$ %s\n' "${cmd/#"$mvlink"/mvlink}"
	"$@"
}

# --vmm CMD...: the "VMM" that mvlink exec runs: shows what mvlink made while
# the VM runs (on stderr: stdout is the filtered guest console), then becomes
# CMD (run-vmm-guest.sh, that is QEMU) with the queue fds still open.
if [ "${1-}" = --vmm ]; then
	shift
	{
		show "$mvlink" list
		show ip -br link show master br0
		for a in "$@"; do
			case $a in tap,*) printf '\nQEMU gets -netdev %s\n' "$a" ;; esac
		done
		for f in "/proc/$$/fd/"*; do
			n=${f##*/}
			if [ "$n" -lt 3 ] || [ "$(readlink "$f")" != /dev/net/tun ]; then
				continue
			fi
			printf '  fd %s: /dev/net/tun, %s\n' "$n" \
				"$(sed -n 's/^iff:[[:space:]]*/queue of /p' "/proc/$$/fdinfo/$n")"
		done
		printf '\nbooting the guest (QEMU, TCG: about a minute) ...\n'
	} >&2
	exec "$@"
fi

if [ "${1-}" = --inner ]; then
	tmp=$2 vmlinuz=$3 initrd=$4
	# shellcheck source-path=SCRIPTDIR source=../tests/vm/vm-lib.sh
	. "$vmdir/vm-lib.sh"
	# shellcheck source-path=SCRIPTDIR source=../tests/vm/vmnet-lib.sh
	. "$vmdir/vmnet-lib.sh"
	vmnet_setup "$tmp"
	# mvlink's locks and journals: on a tmpfs of this mount namespace.
	mkdir -p "$tmp/state"
	mount -t tmpfs -o mode=0700 tmpfs "$tmp/state"
	export MVLINK_STATE_DIR=$tmp/state
	console=$tmp/console.log
	cat <<-'CMD'

	$ mvlink exec --mode tap --vm test1 --name vm-test1 --bridge br0 --uplink eno1 \
	         --mac 02:00:00:00:00:01 --queues 2 -- \
	    qemu-system-x86_64 ... -netdev tap,id=n0,fds={fds},vhost=off \
	         -device virtio-net-pci,netdev=n0,mac={mac},mq=on,vectors=6
	CMD
	# The guest's verdict is run-vmm-guest.sh's exit status, which mvlink
	# exec passes on; the console (all of it in $console) is filtered here.
	set +e
	"$mvlink" exec --mode tap --vm test1 --name vm-test1 --bridge br0 --uplink eno1 \
		--mac "$GUEST_MAC" --queues 2 -- \
		"$BASH" "$0" --vmm "$vmdir/run-vmm-guest.sh" --kernel "$vmlinuz" --initrd "$initrd" \
		--timeout 180 --log "$console" --append "$(vmnet_append 2)" \
		--netdev 'tap,id=n0,fds={fds},vhost=off' \
		--device 'virtio-net-pci,netdev=n0,mac={mac},mq=on,vectors=6' |
		sed -u 's/\r//g' | grep --line-buffered -E '^(PASS|FAIL):|net-check|PING|bytes from|packets|MVLINK-VM-RESULT'
	status=${PIPESTATUS[0]}
	set -e
	show "$mvlink" list
	if [ "$status" = 0 ]; then
		printf '\ndemo: the guest reached %s through vm-test1 on br0; vm-test1 went away with QEMU\n' \
			"$PEER_IP"
	else
		printf '\ndemo: FAILED: the guest did not get through (status %s); its console:\n' \
			"$status" >&2
		tr -d '\r' <"$console" | tail -n 40 >&2 || :
	fi
	exit "$status"
fi

[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (it installs packages and makes namespaces)" >&2; exit 1; }
"$top/.ci/deps.sh"
if [ ! -x "$build/tools/mvlink" ]; then
	echo "demo.sh: building mvlink in $build"
	(cd "$top" && ./autogen.sh >/dev/null)
	mkdir -p "$build"
	(cd "$build" && "$top/configure" -q && make -j"$(nproc)" >/dev/null)
fi
# shellcheck source-path=SCRIPTDIR source=../tests/vm/vm-lib.sh
. "$vmdir/vm-lib.sh"
echo "demo.sh: preparing the guest (Debian's kernel, cached in $(vm_cache_dir ""))"
vm_prepare_kernel "$(vm_cache_dir "")"
tmp=$(mktemp -d /tmp/mvlink-demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$vmdir/mkguest-net.sh" --moddir "$MODDIR" --kver "$KVER" -o "$tmp/net.gz" >/dev/null
status=0
unshare -n -m -- "$BASH" "$0" --inner "$tmp" "$VMLINUZ" "$tmp/net.gz" || status=$?
exit "$status"
