#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: examples/demo.sh        (as root, on Debian 12, from a clone)
#
# mvlink's main job, end to end, in a throwaway network namespace:
#   1. installs the Debian packages mvlink needs (.ci/deps.sh) and builds it
#      into build/ unless that is done already;
#   2. fetches Debian's kernel for a tiny QEMU guest (cached in
#      ${MVLINK_VM_CACHE:-/var/cache/mvlink-vm}) and packs its initramfs;
#   3. in private network and mount namespaces (nothing outside changes):
#      a veth pair stands in for the uplink eno1, its far end in a "lan"
#      namespace holding 10.99.0.1; then microvm.nix's network guide:
#        mvlink create --mode tap --vm test1 --name vm-test1 --bridge br0 \
#               --uplink eno1 --mac 02:00:00:00:00:01
#        mvlink list
#      and a QEMU guest boots on that tap (opened by name, as microvm.nix's
#      runners do), pings 10.99.0.1 and exchanges a line over TCP: the VM's
#      packets flow through the mvlink interface;
#   4. mvlink delete --vm test1; mvlink list.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${MVLINK_BUILD_DIR:-$top/build}
vmdir=$top/tests/vm

if [ "${1-}" = --inner ]; then
	tmp=$2 vmlinuz=$3 initrd=$4
	mvlink=$build/tools/mvlink
	# shellcheck source-path=SCRIPTDIR source=../tests/vm/vm-lib.sh
	. "$vmdir/vm-lib.sh"
	# shellcheck source-path=SCRIPTDIR source=../tests/vm/vmnet-lib.sh
	. "$vmdir/vmnet-lib.sh"
	vmnet_setup "$tmp"
	show() { printf '\n$ %s\n' "$*"; "$@"; }
	show "$mvlink" create --mode tap --vm test1 --name vm-test1 --bridge br0 --uplink eno1 \
		--mac 02:00:00:00:00:01
	show "$mvlink" list
	show ip -br link show master br0
	printf '\n$ qemu-system-x86_64 ... -netdev tap,ifname=vm-test1,script=no,downscript=no ...\n'
	"$vmdir/run-vmm-guest.sh" --kernel "$vmlinuz" --initrd "$initrd" --timeout 180 \
		--netdev 'tap,id=n0,ifname=vm-test1,script=no,downscript=no,vhost=off' \
		--device 'virtio-net-pci,netdev=n0,mac=02:00:00:00:00:01' \
		--append "$(vmnet_append 1)" | tr -d '\r' | grep -E 'net-check|PING|bytes from|packets|MVLINK-VM-RESULT' || :
	status=${PIPESTATUS[0]}
	show "$mvlink" delete --vm test1
	show "$mvlink" list
	if [ "$status" = 0 ]; then
		printf '\ndemo: the guest reached 10.99.0.1 through vm-test1 on br0\n'
	else
		printf '\ndemo: the guest did not get through (status %s)\n' "$status" >&2
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
echo "demo.sh: preparing the guest (Debian's kernel, cached in $(vm_cache_dir "")"
vm_prepare_kernel "$(vm_cache_dir "")"
tmp=$(mktemp -d /tmp/mvlink-demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$vmdir/mkguest-net.sh" --moddir "$MODDIR" --kver "$KVER" -o "$tmp/net.gz" >/dev/null
unshare -n -m -- "$0" --inner "$tmp" "$VMLINUZ" "$tmp/net.gz"
