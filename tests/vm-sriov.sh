#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: vm-sriov.sh [--part lib|cli]
#
# SR-IOV and vfio-pci on a real kernel, in make check: runs
# tests/vm/sriov.sh --build $top_builddir, which boots Debian's kernel under
# QEMU (intel-iommu, an NVMe SR-IOV PF, three e1000s, netdevsim) and runs
# there tests/test-sriov-vm (the library) and then the mvlink command line
# exactly as a user types it (tests/vm/guest/sriov.sh).  --part runs only
# one of the two.  The command line's SIGKILL-at-each-step loops run an
# mvlink built with --enable-fault-injection: this build's when it is one,
# else sriov.sh builds one in its temporary directory (about 20 s).  With
# MVLINK_REQUIRE_KERNEL_TESTS=1 (CI) the guest fails when that mvlink traces
# no steps.
#
# Run by `make check` (which sets MVLINK, top_srcdir, top_builddir).  Needs
# root, QEMU and the guest kernel cache that tests/vm/prepare-kernel.sh
# makes in ${MVLINK_VM_CACHE:-/var/cache/mvlink-vm} (it is not made here).
# Without them: exit 77 (skip), or 99 when MVLINK_REQUIRE_KERNEL_TESTS=1.
# Exit status: 0 passed, 1 failed, 99 the guest never reported
# (infrastructure) or the harness could not start.

# make check runs the test with $(SHELL), which may be dash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -eu

SELF=$(cd -- "$(dirname -- "$0")" && pwd)/${0##*/}
VMDIR=$(dirname -- "$SELF")/vm

# shellcheck source-path=SCRIPTDIR source=vm/vm-lib.sh
. "$VMDIR/vm-lib.sh"

part=()
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help)
		vm_usage
		exit 0
		;;
	--part)
		[ $# -ge 2 ] || vm_die "--part needs lib or cli"
		part=(--part "$2")
		shift 2
		;;
	*) vm_die "unknown argument '$1' (see --help)" ;;
	esac
done

vm_harness_build
# tests/vm/sriov.sh takes these two from the build tree
[ -x "$top_builddir/tools/mvlink" ] ||
	vm_hard_error "no $top_builddir/tools/mvlink (build first; make check sets top_builddir)"
[ -x "$top_builddir/tests/test-sriov-vm" ] ||
	vm_hard_error "no $top_builddir/tests/test-sriov-vm (make check builds it)"

[ "$(id -u)" -eq 0 ] || vm_skip "needs root (the guest's initramfs holds device nodes)"
for c in qemu-system-x86_64 busybox dash devlink ip modprobe modinfo depmod ldd gzip timeout; do
	command -v "$c" >/dev/null 2>&1 ||
		vm_skip "'$c' not found (packages: tests/vm/host-packages.txt, .ci/packages.txt)"
done
vm_harness_kernel

status=0
"$VMDIR/sriov.sh" --build "$top_builddir" ${part[@]+"${part[@]}"} "$VM_CACHE" || status=$?
case $status in
0 | 1 | "$VM_NO_RESULT") exit "$status" ;;
*) exit 1 ;; # the guest test's status, or sriov.sh could not build the guest
esac
