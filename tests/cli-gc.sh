#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cli-gc.sh - `mvlink gc --keep VM1,VM2,...` on a real kernel in a private
# network namespace (issue 5's GC contract): everything tagged for a VM not
# in the list goes - taps, macvtaps, a bridge created for such a VM once it
# has no ports - and nothing else: the kept VMs' interfaces, untagged
# devices, a bridge that still holds an uplink (tagged for a VM gc removes:
# it stays with the uplink enslaved, as delete --vm leaves it).  --dry-run
# counts exactly what the run removes and changes nothing; a second run
# removes nothing; --keep '' keeps no VM.  Checked against every link of
# the namespace (`ip link`) and the index in the state directory as well as
# mvlink's output.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
enter_netns "$@"
make_uplink
spread_ifindex
ip link add eno2 type veth peer name peer2 || fail "veth eno2"
ip link add other0 type veth peer name other0-p || fail "veth other0" # untagged

run 0 "$MVLINK" create --mode tap --vm a --name vm-a --bridge bra
run 0 "$MVLINK" create --mode tap --vm a --name vm-a2
run 0 "$MVLINK" create --mode tap --vm b --name vm-b --bridge brb
run 0 "$MVLINK" create --mode macvtap --vm c --name mv-c --link eno1
run 0 "$MVLINK" create --mode tap --vm d --name vm-d --bridge brd --uplink eno2

# links NAME...: the namespace holds exactly these links, besides lo and the
# veth peers peer0, peer2 and other0-p
links() {
	want=$(printf '%s\n' lo peer0 peer2 other0-p "$@" | sort | tr '\n' ' ')
	have=$(ip -o link show | sed 's/^[0-9]*: \([^:@]*\).*/\1/' | sort | tr '\n' ' ')
	[ "$have" = "$want" ] || fail "links: have '$have', want '$want'"
}
# indexed VM...: the index names links of exactly these VMs; no journal
indexed() {
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort | tr '\n' ' ')
	have=$(ls "$MVLINK_STATE_DIR"/index/*/ 2>/dev/null | sort | tr '\n' ' ')
	[ "$have" = "$want" ] || fail "index: VMs '$have', want '$want'"
	[ -z "$(ls -A "$MVLINK_STATE_DIR/links" 2>/dev/null)" ] || fail "journals left"
}
links vm-a vm-a2 bra vm-b brb mv-c vm-d brd eno1 eno2 other0
indexed a b c d

# the list is required, and checked before anything is done
run 1 "$MVLINK" gc
err_has "missing --keep VM1,VM2,...: the VMs whose interfaces stay (--keep '' removes what mvlink made for every VM)"
run 1 "$MVLINK" gc --keep 'a,,d'
err_has "invalid --keep 'a,,d': an empty VM id"
run 1 "$MVLINK" gc --keep 'a,../x'
err_has "invalid VM id '../x' in --keep 'a,../x'"
run 1 "$MVLINK" gc --keep a extra
err_has "unexpected argument 'extra'"
links vm-a vm-a2 bra vm-b brb mv-c vm-d brd eno1 eno2 other0

# --dry-run counts what the run removes (vm-b, brb, mv-c) and changes nothing
# (the carrier, and the operational state that follows it, are the kernel's:
# its linkwatch work updates them a while after the taps came up)
link_snapshot() {
	ip -o link show | sed -e 's/state [A-Z]* //' -e 's/NO-CARRIER,//' -e 's/,LOWER_UP//' |
		sort >"$1"
}
link_snapshot "$T/before"
run 0 "$MVLINK" --json gc --keep a,d --dry-run
py_true 'd == {"keep": ["a", "d"], "removed": 3, "dry_run": True}'
link_snapshot "$T/after"
diff -u "$T/before" "$T/after" >&2 || fail "gc --dry-run changed links"
indexed a b c d

# keep a and d: b's tap and its bridge (empty now) and c's macvtap go
run 0 "$MVLINK" gc --keep a --keep d
[ "$(cat "$OUT")" = "removed 3 objects" ] || fail "gc --keep a --keep d: '$(cat "$OUT")'"
links vm-a vm-a2 bra vm-d brd eno1 eno2 other0
indexed a d
run 0 "$MVLINK" --json list
py_true 'sorted(e["vm"] for e in d) == ["a", "a", "a", "d", "d"]'
# idempotent
run 0 "$MVLINK" gc --keep a,d
out_empty
err_has "mvlink: nothing to remove"
run 0 "$MVLINK" --json gc --keep d,a,a
py_true 'd == {"keep": ["d", "a", "a"], "removed": 0, "dry_run": False}'

# keep none: a's and d's taps and bra (empty now) go, 4 objects; brd, tagged
# for d, still holds the uplink eno2: it stays, and eno2 in it
run 0 "$MVLINK" --json gc --keep '' --dry-run
py_true 'd == {"keep": [], "removed": 4, "dry_run": True}'
links vm-a vm-a2 bra vm-d brd eno1 eno2 other0
run 0 "$MVLINK" --json gc --keep ''
py_true 'd == {"keep": [], "removed": 4, "dry_run": False}'
links brd eno1 eno2 other0
indexed
[ "$(ip -o link show dev eno2 | grep -o 'master [^ ]*')" = "master brd" ] ||
	fail "eno2 left bridge brd"
[ "$(cat /sys/class/net/brd/ifalias)" = "mvlink:vm=d;mode=bridge" ] || fail "brd lost its tag"
run 0 "$MVLINK" gc --keep ''
err_has "nothing to remove"
links brd eno1 eno2 other0

exit 0
