#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: mkinitramfs.sh --moddir DIR --script PATH -o OUT [options]
#
# Build a gzip'd newc initramfs whose /init mounts the usual filesystems,
# loads kernel modules, runs one test script under a timeout, prints
#     MVLINK-VM-RESULT: <exit status>
# on the console and powers the guest off (run-guest.sh parses that line).
#
# The image holds busybox (static) with its applet links, Debian's dash as
# /bin/sh (busybox's own shell would run its applets before $PATH, so `ip`
# would silently be busybox's), the host's iproute2 `ip` and `bridge` at their
# usual paths (/sbin/ip works), and whatever the options below add.  Every
# ELF added brings the shared libraries ldd lists.
#
# Options:
#   --moddir DIR      unpacked lib/modules/<kver> of the guest kernel (as
#                     printed by prepare-kernel.sh as MODDIR=); required
#   --kver VER        kernel version (default: the last component of --moddir)
#   --modules 'A B'   modules to install with their dependencies and load at
#                     boot, in order (repeatable; names as for modprobe)
#   --ko PATH         an out-of-tree module (e.g. netdevsim.ko) to install, with
#                     its dependencies, under extra/ so `modprobe NAME` works in
#                     the guest; not loaded at boot (repeatable)
#   --bin SRC[:DEST]  a host program to add, at DEST (default
#                     /usr/bin/<basename>), with its libraries.  A libtool
#                     wrapper script is replaced by the real ELF from .libs/,
#                     and the library dirs the wrapper names are searched
#                     (repeatable)
#   --lib-path DIR    also search DIR for libraries of --bin programs; libraries
#                     found outside the system dirs go to /usr/lib (repeatable)
#   --file SRC:DEST   copy a host file or directory to DEST in the guest; a
#                     DEST ending in / is a directory to copy into (repeatable)
#   --script PATH     the test script (run by /bin/sh, stdin /dev/null, cwd /)
#   --timeout SECS    guest-side limit for the test script (default 240); when
#                     it expires the result is 124
#   -o, --output OUT  the initramfs to write (gzip'd newc cpio)
#   -h, --help        this text
#
# The guest's /init loads modules in the given order; a module that fails to
# load prints "MVLINK-VM-ERROR: ..." and no result line (run-guest.sh then
# reports an infrastructure failure).  Needs root (device nodes), busybox
# (busybox-static), kmod, iproute2, dash, gzip.

set -eu

# shellcheck source-path=SCRIPTDIR source=vm-lib.sh
. "$(dirname -- "$0")/vm-lib.sh"

usage() {
	sed -n '4,/^$/s/^# \{0,1\}//p' "$0"
}

moddir='' kver='' modules='' script='' out='' timeout=240
kos=() bins=() files=() libpaths=()
while [ $# -gt 0 ]; do
	case $1 in
	--moddir | --kver | --modules | --ko | --bin | --lib-path | --file | \
		--script | --timeout | -o | --output)
		[ $# -ge 2 ] || vm_die "option $1 needs a value"
		case $1 in
		--moddir) moddir=$2 ;;
		--kver) kver=$2 ;;
		--modules) modules="$modules $2" ;;
		--ko) kos+=("$2") ;;
		--bin) bins+=("$2") ;;
		--lib-path) libpaths+=("$2") ;;
		--file) files+=("$2") ;;
		--script) script=$2 ;;
		--timeout) timeout=$2 ;;
		-o | --output) out=$2 ;;
		esac
		shift 2
		;;
	-h | --help)
		usage
		exit 0
		;;
	*) vm_die "unknown argument '$1' (see --help)" ;;
	esac
done
[ -n "$moddir" ] || vm_die "--moddir is required"
[ -n "$script" ] || vm_die "--script is required"
[ -n "$out" ] || vm_die "-o OUT is required"
[ -d "$moddir" ] || vm_die "no module directory $moddir"
[ -f "$script" ] || vm_die "no test script $script"
case $timeout in
'' | *[!0-9]*) vm_die "--timeout needs a number of seconds" ;;
esac
moddir=$(cd -- "$moddir" && pwd)
[ -n "$kver" ] || kver=${moddir##*/}
# modprobe -d wants the root that holds lib/modules/<kver>.
modroot=${moddir%/lib/modules/"$kver"}
[ "$modroot/lib/modules/$kver" = "$moddir" ] ||
	vm_die "--moddir must end in lib/modules/$kver"
[ -f "$moddir/modules.dep" ] ||
	vm_die "$moddir has no modules.dep (run prepare-kernel.sh, or depmod -b)"

[ "$(id -u)" -eq 0 ] || vm_die "must run as root (the image holds device nodes)"
vm_need busybox dash ldd modprobe modinfo depmod gzip
busybox=$(command -v busybox)
case $(ldd -- "$busybox" 2>&1) in
*'not a dynamic executable'* | *'statically linked'*) ;;
*) vm_die "$busybox is not static; install busybox-static" ;;
esac

stage='' outtmp=''
cleanup() {
	[ -z "$stage" ] || rm -rf -- "$stage"
	[ -z "$outtmp" ] || rm -f -- "$outtmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
stage=$(mktemp -d "${TMPDIR:-/tmp}/mvlink-initramfs.XXXXXX")

# --- skeleton: merged /usr, like the host --------------------------------------
mkdir -p "$stage"/usr/bin "$stage"/usr/sbin "$stage"/usr/lib "$stage"/usr/lib64 \
	"$stage"/dev "$stage"/proc "$stage"/sys "$stage"/run "$stage"/tmp \
	"$stage"/etc "$stage"/root "$stage"/mnt
for d in bin sbin lib lib64; do
	ln -s "usr/$d" "$stage/$d"
done
chmod 1777 "$stage/tmp"
# The kernel opens /dev/console for init before anything is mounted.
mknod -m 600 "$stage/dev/console" c 5 1
mknod -m 666 "$stage/dev/null" c 1 3
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
printf 'root:x:0:\n' >"$stage/etc/group"

# --- ELF programs and their libraries ------------------------------------------
is_elf() {
	[ "$(head -c 4 -- "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]
}

# Library dirs the dynamic loader searches without ld.so.cache.
is_system_libdir() {
	case $1 in
	/lib | /lib64 | /usr/lib | /usr/lib64 | /lib/*-linux-gnu | /usr/lib/*-linux-gnu) return 0 ;;
	esac
	return 1
}

# add_libs ELF [LIBDIR...]: copy the libraries ldd lists for ELF.
add_libs() {
	local elf=$1 line name path dest lp='' ldd_out
	shift
	for path in "$@"; do lp=$lp${lp:+:}$path; done
	ldd_out=$(LD_LIBRARY_PATH=$lp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ldd -- "$elf" 2>&1) || {
		case $ldd_out in
		*'not a dynamic executable'* | *'statically linked'*) return 0 ;;
		esac
		vm_die "ldd $elf failed: $ldd_out"
	}
	while IFS= read -r line; do
		case $line in
		*'=> not found'*) vm_die "$elf: library ${line%% =>*} not found (try --lib-path)" ;;
		*' => /'*)
			name=${line%% =>*}
			name=${name##*[[:space:]]}
			path=${line#*=> }
			path=${path%% (*}
			;;
		*[[:space:]]/*)	# the loader itself: "	/lib64/ld-linux-x86-64.so.2 (0x...)"
			path=${line#"${line%%/*}"}
			path=${path%% (*}
			name=${path##*/}
			;;
		*) continue ;;
		esac
		if is_system_libdir "$(dirname -- "$path")"; then
			dest=$path
		else
			dest=/usr/lib/$name
		fi
		if [ ! -e "$stage$dest" ]; then
			mkdir -p "$stage$(dirname -- "$dest")"
			cp -L -- "$path" "$stage$dest"
		fi
	done <<EOF
$ldd_out
EOF
}

# add_prog SRC DEST [LIBDIR...]: copy the program SRC to DEST with its libraries.
add_prog() {
	local src=$1 dest=$2 twin
	shift 2
	[ -f "$src" ] || vm_die "no such program $src"
	is_elf "$src" || vm_die "$src is not an ELF binary"
	mkdir -p "$stage$(dirname -- "$dest")"
	rm -f -- "$stage$dest"
	cp -L -- "$src" "$stage$dest"
	chmod 755 "$stage$dest"
	# $PATH has sbin first: a busybox applet link of the same name in the
	# other bin dir would shadow the real program; point it here instead.
	case $dest in
	/usr/bin/* | /bin/*) twin=/usr/sbin/${dest##*/} ;;
	/usr/sbin/* | /sbin/*) twin=/usr/bin/${dest##*/} ;;
	*) twin='' ;;
	esac
	if [ -n "$twin" ] && [ -L "$stage$twin" ]; then
		ln -sfn "$dest" "$stage$twin"
	fi
	add_libs "$src" "$@"
}

# add_bin SPEC: --bin SRC[:DEST], resolving libtool wrappers.
add_bin() {
	local src=${1%%:*} dest='' real dir base libdirs=() d
	case $1 in *:*) dest=${1#*:} ;; esac
	[ -f "$src" ] || vm_die "--bin: no such file $src"
	base=${src##*/}
	real=$src
	if ! is_elf "$src"; then
		grep -q 'temporary wrapper script for' -- "$src" 2>/dev/null ||
			vm_die "--bin: $src is neither ELF nor a libtool wrapper"
		dir=$(dirname -- "$src")/.libs
		if [ -f "$dir/$base" ] && is_elf "$dir/$base"; then
			real=$dir/$base
		elif [ -f "$dir/lt-$base" ] && is_elf "$dir/lt-$base"; then
			real=$dir/lt-$base
		else
			vm_die "--bin: $src is a libtool wrapper but $dir/$base is missing (build it first)"
		fi
		# The wrapper exports LD_LIBRARY_PATH="dir1:dir2:$LD_LIBRARY_PATH".
		# shellcheck disable=SC2016 # a literal $LD_LIBRARY_PATH
		d=$(sed -n 's/^[[:space:]]*LD_LIBRARY_PATH="\(.*\):\$LD_LIBRARY_PATH"$/\1/p' "$src" | head -n 1)
		if [ -n "$d" ]; then
			IFS=: read -r -a libdirs <<EOF
$d
EOF
		fi
	fi
	[ -n "$dest" ] || dest=/usr/bin/$base
	add_prog "$real" "$dest" ${libdirs[@]+"${libdirs[@]}"} ${libpaths[@]+"${libpaths[@]}"}
}

# busybox first, with a symlink per applet (one process: busybox installs
# them itself, chrooted into the stage); real programs added later replace
# applet links of the same name.
cp -- "$busybox" "$stage/usr/bin/busybox"
chroot "$stage" /usr/bin/busybox --install -s ||
	vm_die "busybox --install failed"

add_prog "$(command -v dash)" /usr/bin/dash
ln -sfn dash "$stage/usr/bin/sh"
# iproute2's real programs (add_prog links /sbin/ip to /bin/ip and v.v.).
for p in ip bridge; do
	path=$(command -v "$p") || vm_die "'$p' not found; install iproute2"
	add_prog "$(readlink -f -- "$path")" "$(readlink -f -- "$path")"
done
for b in ${bins[@]+"${bins[@]}"}; do
	add_bin "$b"
done

# --- kernel modules ------------------------------------------------------------
smoddir=$stage/usr/lib/modules/$kver
mkdir -p "$smoddir"
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ ! -f "$moddir/$f" ] || cp -- "$moddir/$f" "$smoddir/"
done

# add_module NAME: stage NAME and what it depends on (builtins need nothing;
# mod_builtin tells whether NAME itself is built in).
add_module() {
	local deps line path
	deps=$(modprobe -d "$modroot" -S "$kver" --show-depends -- "$1" 2>&1) ||
		vm_die "kernel $kver has no module '$1': $deps"
	mod_builtin=0
	while IFS= read -r line; do
		case $line in
		'builtin '*) mod_builtin=1 ;;
		'insmod '*)
			path=${line#insmod }
			path=${path%% *}
			mkdir -p "$smoddir/$(dirname -- "${path#"$moddir"/}")"
			cp -- "$path" "$smoddir/${path#"$moddir"/}"
			;;
		esac
	done <<EOF
$deps
EOF
}

load=''	# what /init loads: --modules minus the built-in ones
for m in $modules; do
	add_module "$m"
	[ "$mod_builtin" -eq 1 ] || load="$load $m"
done
for ko in ${kos[@]+"${kos[@]}"}; do
	[ -f "$ko" ] || vm_die "--ko: no such file $ko"
	mkdir -p "$smoddir/extra"
	cp -- "$ko" "$smoddir/extra/"
	for dep in $(modinfo -F depends -- "$ko" | tr ',' ' '); do
		add_module "$dep"
	done
done
depmod -b "$stage" "$kver"

# --- extra files ---------------------------------------------------------------
for spec in ${files[@]+"${files[@]}"}; do
	case $spec in
	*:/*) ;;
	*) vm_die "--file wants SRC:/ABSOLUTE/DEST, not '$spec'" ;;
	esac
	src=${spec%%:*}
	dest=${spec#*:}
	[ -e "$src" ] || vm_die "--file: no such file $src"
	case $dest in
	*/) mkdir -p "$stage$dest" ;;
	*) mkdir -p "$stage$(dirname -- "$dest")" ;;
	esac
	cp -RL -- "$src" "$stage$dest"
done

# --- the test and /init --------------------------------------------------------
cp -- "$script" "$stage/mvlink-test"
chmod 755 "$stage/mvlink-test"

# Values are baked into /init; quote them for the guest's shell.
q() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}
{
	printf '#!/bin/sh\n# Generated by mvlink tests/vm/mkinitramfs.sh\n'
	printf 'MODULES=%s\nTEST_TIMEOUT=%s\n' "$(q "${load# }")" "$timeout"
	cat <<'EOF'
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb

# Stop the guest; the marker line is the only result the host trusts.
finish() {
	sync
	poweroff -f
	echo o >/proc/sysrq-trigger	# should poweroff ever return
	sleep 30
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null || :
ip link set lo up

for m in $MODULES; do
	if ! modprobe "$m"; then
		printf '\nMVLINK-VM-ERROR: modprobe %s failed\n' "$m"
		finish
	fi
done

echo "mvlink-vm: running the test (limit ${TEST_TIMEOUT}s)"
cd /
# SIGTERM at the limit, SIGKILL 5 s later; busybox timeout execs the script,
# so a timeout shows as death by one of those signals (128+15, 128+9).
timeout -k 5 "$TEST_TIMEOUT" /bin/sh /mvlink-test </dev/null
rc=$?
if [ "$rc" -eq 143 ] || [ "$rc" -eq 137 ]; then
	echo "mvlink-vm: the test script timed out after ${TEST_TIMEOUT}s"
	rc=124
fi
printf '\nMVLINK-VM-RESULT: %d\n' "$rc"
finish
EOF
} >"$stage/init"
chmod 755 "$stage/init"

# --- pack ----------------------------------------------------------------------
mkdir -p "$(dirname -- "$out")"
outtmp=$out.tmp.$$
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	"$busybox" cpio -o -H newc 2>/dev/null) | gzip -1 >"$outtmp"
[ "${PIPESTATUS[0]}" -eq 0 ] || vm_die "packing the initramfs failed"
mv -f -- "$outtmp" "$out"
outtmp=
vm_msg "wrote $out ($(du -h -- "$out" | cut -f1))"
