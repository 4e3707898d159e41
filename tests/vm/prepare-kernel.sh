#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: prepare-kernel.sh [CACHE_DIR]
#
# Fetch Debian's stock kernel (the package linux-image-amd64 currently depends
# on) and build netdevsim.ko for it out of tree, so tests can boot a guest with
# SR-IOV, VFIO and netdevsim.  Everything lands in CACHE_DIR/<kver>/ (default
# CACHE_DIR: $MVLINK_VM_CACHE, else /var/cache/mvlink-vm); a second run for
# the same kernel version only prints the paths.  Progress goes to stderr,
# the result to stdout:
#
#   KVER=6.1.0-56-amd64
#   VMLINUZ=CACHE_DIR/6.1.0-56-amd64/root/boot/vmlinuz-6.1.0-56-amd64
#   MODDIR=CACHE_DIR/6.1.0-56-amd64/root/lib/modules/6.1.0-56-amd64
#   NETDEVSIM=CACHE_DIR/6.1.0-56-amd64/netdevsim/netdevsim.ko
#
# Needs root only for writing the default cache dir.  Host packages: see
# host-packages.txt next to this script.  Downloads ~240 MB from the Debian
# archive on the first run (~1 min).
#
# Layout of CACHE_DIR/<kver>/:
#   debs/       the downloaded .deb files
#   root/       image + headers + kbuild unpacked with dpkg -x (depmod run)
#   netdevsim/  netdevsim sources extracted from linux-source, and the .ko
#   ready       stamp written last; its presence makes the next run a no-op

set -eu

# shellcheck source-path=SCRIPTDIR source=vm-lib.sh
. "$(dirname -- "$0")/vm-lib.sh"

vm_help_option "${1-}"
case ${1-} in
-*) vm_die "unknown option '$1' (see --help)" ;;
esac
[ $# -le 1 ] || vm_die "too many arguments (see --help)"

cache=$(vm_cache_dir "${1-}")
vm_need apt-cache apt-get dpkg dpkg-deb depmod make tar xz flock

# --- which kernel -----------------------------------------------------------
# "linux-image-amd64 Depends: linux-image-6.1.0-56-amd64" -> ABI name.
img_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1)
[ -n "$img_pkg" ] ||
	vm_die "cannot resolve linux-image-amd64 (run apt-get update?)"
kver=${img_pkg#linux-image-}
# Pin every package to the image's version so headers, kbuild and source agree.
pkgver=$(apt-cache policy "$img_pkg" | sed -n 's/^ *Candidate: //p')
if [ -z "$pkgver" ] || [ "$pkgver" = "(none)" ]; then
	vm_die "no installable version of $img_pkg"
fi

kdir=$cache/$kver
root=$kdir/root
vmlinuz=$root/boot/vmlinuz-$kver
moddir=$root/lib/modules/$kver
ko=$kdir/netdevsim/netdevsim.ko

print_result() {
	printf 'KVER=%s\nVMLINUZ=%s\nMODDIR=%s\nNETDEVSIM=%s\n' \
		"$kver" "$vmlinuz" "$moddir" "$ko"
}

# Fast path: cached and complete.
if [ -f "$kdir/ready" ] && [ -f "$vmlinuz" ] && [ -f "$ko" ]; then
	print_result
	exit 0
fi

mkdir -p "$kdir" || vm_die "cannot create $kdir"
# Serialise concurrent runs (parallel test jobs) on the same kernel version.
exec 9>"$kdir/.lock"
flock 9
if [ -f "$kdir/ready" ] && [ -f "$vmlinuz" ] && [ -f "$ko" ]; then
	print_result
	exit 0
fi

vm_msg "preparing $kver ($pkgver) in $kdir"

# --- resolve the build dependencies ---------------------------------------------
hdr_pkg=linux-headers-$kver
common_pkg=$(apt-cache depends "$hdr_pkg" 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-headers-.*-common\)$/\1/p' | head -n 1)
kbuild_pkg=$(apt-cache depends "$hdr_pkg" 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-kbuild-.*\)$/\1/p' | head -n 1)
if [ -z "$common_pkg" ] || [ -z "$kbuild_pkg" ]; then
	vm_die "cannot resolve the dependencies of $hdr_pkg"
fi
src_pkg=linux-source-${kbuild_pkg#linux-kbuild-}	# e.g. linux-source-6.1

# --- download -----------------------------------------------------------------
# Into a temporary directory first, so an interrupted download never leaves a
# truncated .deb that a later run would trust.
mkdir -p "$kdir/debs"
vm_tmpdir "$kdir/.tmp.XXXXXX"
for p in "$img_pkg" "$hdr_pkg" "$common_pkg" "$kbuild_pkg" "$src_pkg"; do
	if ls "$kdir/debs/${p}_"*.deb >/dev/null 2>&1; then
		continue
	fi
	vm_msg "downloading $p=$pkgver"
	# Root's downloads are done as _apt, which cannot write a 0700 tmp dir;
	# this setting keeps apt from warning about it.
	(cd "$VM_TMP" && apt-get download -q=2 -o APT::Sandbox::User=root "$p=$pkgver") ||
		vm_die "apt-get download $p=$pkgver failed"
	mv -- "$VM_TMP/${p}_"*.deb "$kdir/debs/"
done
deb() {
	# The (only) .deb of package $1 in the download dir.
	set -- "$kdir/debs/${1}_"*.deb
	[ -f "$1" ] || vm_die "missing download $1"
	printf '%s\n' "$1"
}

# --- unpack image, headers, kbuild --------------------------------------------
rm -rf -- "$root" "$kdir/netdevsim"
mkdir -p "$root"
for p in "$img_pkg" "$hdr_pkg" "$common_pkg" "$kbuild_pkg"; do
	vm_msg "unpacking $p"
	dpkg -x "$(deb "$p")" "$root"
done
if [ ! -f "$vmlinuz" ] || [ ! -d "$moddir" ]; then
	vm_die "$img_pkg has an unexpected layout"
fi
# The package ships no modules.dep (its postinst runs depmod); make one so
# `modprobe -d "$root"` can resolve dependencies.
depmod -b "$root" "$kver"

# The arch headers' Makefile includes the common headers by absolute path
# (include /usr/src/linux-headers-<kver>-common/Makefile); point it here.
hdr=$root/usr/src/linux-headers-$kver
[ -f "$hdr/Makefile" ] || vm_die "$hdr_pkg has an unexpected layout"
sed -i "s|^include /usr/src/|include $root/usr/src/|" "$hdr/Makefile"
# Its scripts/ and tools/ links into linux-kbuild are absolute as well.
for l in "$hdr"/* "$root/usr/src/linux-headers-${common_pkg#linux-headers-}"/*; do
	if [ -L "$l" ]; then
		t=$(readlink -- "$l")
		case $t in
		/*) ln -sfn -- "$root$t" "$l" ;;
		esac
	fi
done

# --- netdevsim sources --------------------------------------------------------
# Stream the source tarball out of the .deb and keep only drivers/net/netdevsim.
srcname=${src_pkg#linux-}	# source-6.1
vm_msg "extracting drivers/net/netdevsim from $src_pkg"
mkdir -p "$VM_TMP/src"
dpkg-deb --fsys-tarfile "$(deb "$src_pkg")" |
	tar -xO -f - "./usr/src/linux-$srcname.tar.xz" |
	tar -xJ -f - -C "$VM_TMP/src" "linux-$srcname/drivers/net/netdevsim"
mv -- "$VM_TMP/src/linux-$srcname/drivers/net/netdevsim" "$kdir/netdevsim"

# --- build ----------------------------------------------------------------------
vm_msg "building netdevsim.ko"
make -s -C "$hdr" M="$kdir/netdevsim" CONFIG_NETDEVSIM=m modules >&2 ||
	vm_die "building netdevsim failed"
[ -f "$ko" ] || vm_die "the build did not produce $ko"
# Debian's config has debug info on; the guest needs none of it.
strip --strip-debug -- "$ko" 2>/dev/null || :

printf 'KVER=%s\nPKGVER=%s\n' "$kver" "$pkgver" >"$kdir/ready"
vm_msg "done"
print_result
