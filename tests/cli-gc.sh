#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cli-gc.sh - `mvlink gc --keep VM1,VM2,...` on a real kernel in a private
# network namespace (issue 5's GC contract): everything tagged for a VM not
# in the list goes - taps, macvtaps, a bridge created for such a VM once it
# has no ports - and nothing else: the kept VMs' interfaces, untagged
# devices, a bridge that still holds an uplink.  --dry-run changes nothing;
# a second run removes nothing; --keep '' keeps no VM.  Checked against
# `ip link` as well as mvlink's output.

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

# links NAME...: exactly these of our test links exist
links() {
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	have=$(for n in vm-a vm-a2 bra vm-b brb mv-c vm-d brd eno1 eno2 other0; do
		link_exists "$n" && echo "$n"
	done | sort | tr '\n' ' ')
	[ "$have" = "$want" ] || fail "links: have '$have', want '$want'"
}
links vm-a vm-a2 bra vm-b brb mv-c vm-d brd eno1 eno2 other0

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

# --dry-run counts and changes nothing
ip -o link show | sed 's/state [A-Z]* //' | sort >"$T/before"
run 0 "$MVLINK" --json gc --keep a,d --dry-run
py_true 'd["keep"] == ["a", "d"] and d["dry_run"] is True and d["removed"] >= 2'
ip -o link show | sed 's/state [A-Z]* //' | sort >"$T/after"
diff -u "$T/before" "$T/after" >&2 || fail "gc --dry-run changed links"

# keep a and d: b's tap and its bridge (empty now) and c's macvtap go
run 0 "$MVLINK" gc --keep a --keep d
out_has "removed "
links vm-a vm-a2 bra vm-d brd eno1 eno2 other0
run 0 "$MVLINK" --json list
py_true 'sorted(e["vm"] for e in d) == ["a", "a", "a", "d", "d"]'
# idempotent
run 0 "$MVLINK" gc --keep a,d
out_empty
err_has "mvlink: nothing to remove"
run 0 "$MVLINK" --json gc --keep d,a,a
py_true 'd == {"keep": ["d", "a", "a"], "removed": 0, "dry_run": False}'

# keep none: a's and d's interfaces go; brd still holds the uplink eno2
run 0 "$MVLINK" --json gc --keep ''
py_true 'd["keep"] == [] and d["removed"] >= 4 and d["dry_run"] is False'
links brd eno1 eno2 other0
[ "$(ip -o link show dev eno2 | grep -o 'master [^ ]*')" = "master brd" ] ||
	fail "eno2 left bridge brd"
run 0 "$MVLINK" gc --keep ''
err_has "nothing to remove"
links brd eno1 eno2 other0

exit 0
