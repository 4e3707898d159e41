#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cli-undo.sh - exit status 3: the operation failed and could not undo
# everything.  A healthy kernel never refuses the undo steps, so this needs
# the library's fault injection (configure --enable-fault-injection, which
# honours MVLINK_FAULT_STEP); other builds skip it.  The failing step is
# found by tracing a first run (MVLINK_FAULT_TRACE=1), so the test does not
# depend on how many steps come before it.  Also checks exit status 2 with
# a complete undo when a kernel step fails.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
grep -q '^#define MVL_FAULT_INJECTION 1' "$top_builddir/config.h" 2>/dev/null || {
	echo "SKIP: cli-undo: needs a build configured with --enable-fault-injection" >&2
	exit 77
}
enter_netns "$@"
make_uplink

# last_step NAME: the number of the last traced step NAME of the last run
last_step() {
	sed -n "s/^mvlink: notice: step \([0-9]*\): $1\$/\1/p" "$ERR" | tail -n 1
}

# ---------------------------------------------------------------- create: exit 2, everything undone
# a failing kernel step after the bridge was created: the bridge goes again
run 0 env MVLINK_FAULT_TRACE=1 "$MVLINK" create --mode tap --vm test0 --name vm-test0 --bridge br0
step=$(last_step TUNSETIFF)
[ -n "$step" ] || fail "no TUNSETIFF step traced"
run 0 "$MVLINK" delete vm-test0
ip link del br0
run 2 env MVLINK_FAULT_STEP="$step" "$MVLINK" --json create --mode tap --vm test0 --name vm-test0 --bridge br0
py_true 'd["error"]["undo_failed"] is False and d["error"]["exit_code"] == 2'
py_true 'd["error"]["code"] == "EIO" and "vm-test0" in d["error"]["message"]'
! link_exists br0 || fail "br0 was not undone"
! link_exists vm-test0 || fail "vm-test0 was not undone"

# ---------------------------------------------------------------- create: exit 3
# the tap name is taken by a foreign device: the bridge created on the way
# is deleted again - unless that delete fails
ip link add taken0 type veth peer name taken0-p
run 2 env MVLINK_FAULT_TRACE=1 "$MVLINK" create --mode tap --vm test1 --name taken0 --bridge br1
step=$(last_step RTM_DELLINK)
[ -n "$step" ] || fail "no RTM_DELLINK step traced"
! link_exists br1 || fail "br1 was not undone"
run 3 env MVLINK_FAULT_STEP="$step" "$MVLINK" --json create --mode tap --vm test1 --name taken0 --bridge br1
err_has "mvlink: warning: could not undo: delete bridge br1"
err_has "mvlink: taken0 exists and is a veth device"
err_has "could not be undone"
py_true 'd["error"]["undo_failed"] is True and d["error"]["exit_code"] == 3'
py_true 'd["error"]["code"] == "EEXIST"'
link_exists br1 || fail "br1 should have been left behind by the failed undo"
ip link del br1

# ---------------------------------------------------------------- exec: undo of an earlier interface fails
run 2 env MVLINK_FAULT_TRACE=1 "$MVLINK" exec --mode macvtap --vm test2 --link eno1 --name mv-a \
	--iface --mode tap --name taken0 -- true
step=$(last_step RTM_DELLINK)
[ -n "$step" ] || fail "no RTM_DELLINK step traced for exec"
! link_exists mv-a || fail "mv-a was not undone"
run 3 env MVLINK_FAULT_STEP="$step" "$MVLINK" exec --mode macvtap --vm test2 --link eno1 --name mv-a \
	--iface --mode tap --name taken0 -- true
err_has "taken0 exists"
link_exists mv-a || fail "mv-a should have been left behind by the failed undo"
run 0 "$MVLINK" delete --vm test2

# ---------------------------------------------------------------- exec: removal after the VMM exits fails
run 5 env MVLINK_FAULT_TRACE=1 "$MVLINK" exec --mode macvtap --vm test3 --link eno1 --name mv-b \
	-- sh -c 'exit 5'
step=$(last_step RTM_DELLINK)
[ -n "$step" ] || fail "no RTM_DELLINK step traced after the VMM"
! link_exists mv-b || fail "mv-b outlived the VMM"
run 3 env MVLINK_FAULT_STEP="$step" "$MVLINK" exec --mode macvtap --vm test3 --link eno1 --name mv-b \
	-- sh -c 'exit 5'
err_has "the VMM exited but its interfaces could not all be removed"
err_has "mvlink delete --vm test3"
link_exists mv-b || fail "mv-b should have been left behind"
run 0 "$MVLINK" delete --vm test3
! link_exists mv-b || fail "delete --vm test3"

exit 0
