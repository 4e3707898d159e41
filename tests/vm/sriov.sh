#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: sriov.sh [--build DIR] [--part lib|cli] [CACHE_DIR]
#
# mvlink's SR-IOV and vfio-pci tests on a real kernel: boots the kernel-test
# guest (run-guest.sh: intel-iommu, NVMe SR-IOV PF) with three e1000 NICs
# added, two of them behind a PCIe-to-PCI bridge (one IOMMU group) and one
# alone, loads netdevsim there and runs (guest/sriov.sh) tests/test-sriov-vm,
# the library's tests, then the mvlink command line as a user types it
# (sriov list/enable/disable, create --mode sriov and pci, delete, recover,
# create --mode macvtap on a bond slave and a team port refused).
# --build DIR is the build tree holding tests/test-sriov-vm and tools/mvlink
# (default: the current directory); --part runs only the library's tests
# (lib) or only the command line's (cli).
# The command line's SIGKILL-at-each-step loops need an mvlink that reads
# MVLINK_FAULT_STEP, MVLINK_FAULT_KILL and MVLINK_FAULT_TRACE: DIR's when it
# was configured with --enable-fault-injection, else one built here, in the
# temporary directory, from DIR's source tree with DIR's configure options
# plus --enable-fault-injection --disable-shared (libmvlink linked in, so
# it cannot pick up DIR's libmvlink.so in the guest; about 20 s).  The guest
# runs it as mvlink-fault for those loops only; everything else runs DIR's
# mvlink.
# With MVLINK_REQUIRE_KERNEL_TESTS=1 the guest fails when mvlink-fault
# traces no steps, rather than leaving those loops out.
# Exit status: the guest test's (0 passed, 1 failed), or 99 when the guest
# never reported.

set -eu

# shellcheck source-path=SCRIPTDIR source=vm-lib.sh
. "$(dirname -- "$0")/vm-lib.sh"

build=. part=''
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help)
		vm_usage
		exit 0
		;;
	--build)
		[ $# -ge 2 ] || vm_die "--build needs a directory"
		build=$2
		shift 2
		;;
	--part)
		[ $# -ge 2 ] || vm_die "--part needs lib or cli"
		case $2 in
		lib | cli) part=$2 ;;
		*) vm_die "--part: '$2' is not lib or cli" ;;
		esac
		shift 2
		;;
	-*) vm_die "unknown option '$1' (see --help)" ;;
	*) break ;;
	esac
done
[ -x "$build/tests/test-sriov-vm" ] ||
	vm_die "no $build/tests/test-sriov-vm (make -C $build tests/test-sriov-vm)"
[ -x "$build/tools/mvlink" ] || vm_die "no $build/tools/mvlink (make -C $build)"
vm_need devlink

vm_tmpdir "${TMPDIR:-/tmp}/mvlink-sriov.XXXXXX"
tmp=$VM_TMP
here=$(vm_here)
vm_prepare_kernel "$(vm_cache_dir "${1-}")"
extra=()
if [ -n "$part" ]; then
	printf '%s\n' "$part" >"$tmp/part"
	extra=(--file "$tmp/part:/mvlink-part")
fi
if [ "${MVLINK_REQUIRE_KERNEL_TESTS:-0}" = 1 ]; then
	printf '1\n' >"$tmp/require"
	extra+=(--file "$tmp/require:/mvlink-require-kernel-tests")
fi

# The fault-injection mvlink (see the header): DIR's, or built in $tmp/fault.
fault_mvlink=''
if [ "$part" != lib ] || vm_is_fault_build "$build"; then
	vm_fault_mvlink "$build" "$tmp"
	fault_mvlink=$VM_FAULT_MVLINK
fi
[ -z "$fault_mvlink" ] || extra+=(--bin "$fault_mvlink:/usr/bin/mvlink-fault")

"$here/mkinitramfs.sh" --moddir "$MODDIR" --kver "$KVER" \
	--modules 'nvme vfio-pci vfio_iommu_type1 pci-stub e1000 veth macvtap bonding team' --ko "$NETDEVSIM" \
	--bin "$build/tests/test-sriov-vm" --bin "$build/tools/mvlink" \
	--bin "$(command -v devlink)" ${extra[@]+"${extra[@]}"} \
	--script "$here/guest/sriov.sh" --timeout 900 -o "$tmp/initrd.gz"

status=0
"$here/run-guest.sh" --kernel "$VMLINUZ" --initrd "$tmp/initrd.gz" --mem 768 \
	--timeout 1200 -- \
	-device pcie-pci-bridge,id=pbr,bus=pcie.0 \
	-device e1000,bus=pbr,addr=1 -device e1000,bus=pbr,addr=2 \
	-device e1000,bus=pcie.0 || status=$?
case $status in
0) vm_msg "PASS" ;;
"$VM_NO_RESULT") vm_msg "INFRASTRUCTURE FAILURE (no result from the guest)" ;;
*) vm_msg "FAIL (guest status $status)" ;;
esac
exit "$status"
