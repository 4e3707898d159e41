#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cli-macvtap.sh - `mvlink create --mode macvtap` on a real kernel in a
# private network namespace (veth eno1 <-> peer0 as the uplink): JSON and
# text output, the macvtap modes, the device node and its owner, adoption,
# precondition errors (exit 2, nothing left behind), list, show, delete.
# Checked against `ip -j -d link` and sysfs.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
enter_netns "$@"
make_uplink
# our /dev/tapN must not be another namespace's (the --owner case needs it)
spread_ifindex
J=$T/link.json

CREATE_KEYS='["adopted", "devnode", "guest_mac", "ifindex", "iommu_group", "link", "mac", "mode", "mtu", "name", "queues", "vm"]'

# ---------------------------------------------------------------- the guide's macvtap
run 0 "$MVLINK" --json create --mode macvtap --vm test1 --link eno1 --name vm-test1 \
	--mac 02:00:00:00:00:01
err_empty
py_true "sorted(d) == $CREATE_KEYS"
py_true 'd["name"] == "vm-test1" and d["mode"] == "macvtap" and d["vm"] == "test1"'
py_true 'd["link"] == "eno1" and d["mtu"] == 1500 and d["queues"] == 1 and d["adopted"] is False'
py_true 'd["mac"] == "02:00:00:00:00:01" and d["guest_mac"] == "02:00:00:00:00:01"'
ifindex=$(py 'd["ifindex"]')
devnode=$(py 'd["devnode"]')
[ "$devnode" = "/dev/tap$ifindex" ] || fail "devnode $devnode, expected /dev/tap$ifindex"
[ -c "$devnode" ] || fail "$devnode is not a character device"
# the node is the macvtap's: its major:minor is what sysfs reports
want=$(cat "/sys/class/net/vm-test1/macvtap/tap$ifindex/dev")
have=$(stat -c '%t:%T' "$devnode")
[ "$(printf '%d:%d' "0x${have%:*}" "0x${have#*:}")" = "$want" ] || fail "$devnode is $have, sysfs says $want"

ip_link vm-test1
py_true "d[0]['ifindex'] == $ifindex and d[0]['link'] == 'eno1'" "$J"
py_true 'd[0]["linkinfo"]["info_kind"] == "macvtap"' "$J"
# the default mode is bridge, never the kernel's default (vepa)
py_true 'd[0]["linkinfo"]["info_data"]["mode"] == "bridge"' "$J"
py_true 'd[0]["address"] == "02:00:00:00:00:01" and "UP" in d[0]["flags"]' "$J"
py_true 'd[0]["ifalias"] == "mvlink:vm=test1;mode=macvtap"' "$J"

# again: adopted
run 0 "$MVLINK" create --mode macvtap --vm test1 --link eno1 --name vm-test1 --mac 02:00:00:00:00:01
grep -qE '^adopted +yes$' "$OUT" || fail "second create not adopted"
grep -qE "^devnode +/dev/tap$ifindex\$" "$OUT" || fail "text create: devnode"
# another VM's: refused, untouched
run 2 "$MVLINK" create --mode macvtap --vm other --link eno1 --name vm-test1
err_has "vm-test1"
ip_link vm-test1
py_true "d[0]['ifindex'] == $ifindex and d[0]['ifalias'] == 'mvlink:vm=test1;mode=macvtap'" "$J"

run 0 "$MVLINK" list
grep -qE "^vm-test1 +macvtap +test1 +eno1 +1500 +02:00:00:00:00:01 +/dev/tap$ifindex\$" "$OUT" ||
	fail "list row of the macvtap"
run 0 "$MVLINK" show vm-test1 --json
py_true "d['devnode'] == '/dev/tap$ifindex' and d['mode'] == 'macvtap' and d['link'] == 'eno1'"

# ---------------------------------------------------------------- modes
for mode in bridge vepa private; do
	run 0 "$MVLINK" create --mode macvtap --vm test2 --link eno1 --name "mv-$mode" \
		--macvtap-mode "$mode"
	ip_link "mv-$mode"
	py_true "d[0]['linkinfo']['info_data']['mode'] == '$mode'" "$J"
done
run 0 "$MVLINK" create --mode macvtap --vm test2 --link eno1 --name mv-source \
	--macvtap-mode source --source-mac 02:00:00:00:00:05 --source-mac 02:00:00:00:00:06
ip_link mv-source
py_true 'd[0]["linkinfo"]["info_data"]["mode"] == "source"' "$J"
ip link add eno3 type veth peer name peer3
ip link set eno3 up
run 0 "$MVLINK" create --mode macvtap --vm test2 --link eno3 --name mv-passthru \
	--macvtap-mode passthru
ip_link mv-passthru
py_true 'd[0]["linkinfo"]["info_data"]["mode"] == "passthru"' "$J"

# ---------------------------------------------------------------- queues, MTU, owner of the node
run 0 "$MVLINK" --json create --mode macvtap --vm test3 --link eno1 --name mv-own \
	--owner nobody --group 65534 --queues 2 --mtu 1400
py_true 'd["queues"] == 2 and d["mtu"] == 1400'
node=$(py 'd["devnode"]')
[ "$(stat -c '%u:%g' "$node")" = "65534:65534" ] || fail "$node is owned by $(stat -c '%u:%g' "$node")"
ip_link mv-own
py_true 'd[0]["mtu"] == 1400' "$J"

# ---------------------------------------------------------------- preconditions: exit 2, nothing created
run 2 "$MVLINK" --json create --mode macvtap --vm test4 --link nosuch0 --name mv-bad
err_has "nosuch0"
py_true 'd["error"]["exit_code"] == 2 and d["error"]["undo_failed"] is False'
! link_exists mv-bad || fail "mv-bad exists after a failed create"

ip link add br9 type bridge
ip link add eno4 type veth peer name peer4
ip link set eno4 master br9
run 2 "$MVLINK" create --mode macvtap --vm test4 --link eno4 --name mv-bad
err_has "eno4"
err_has "br9"
! link_exists mv-bad || fail "mv-bad exists after a failed create"

ip link add eno5 type veth peer name peer5 # down
run 2 "$MVLINK" create --mode macvtap --vm test4 --link eno5 --name mv-bad
err_has "eno5"
err_has "down"
! link_exists mv-bad || fail "mv-bad exists after a failed create"
ip_link eno5
py_true '"UP" not in d[0]["flags"]' "$J"
run 0 "$MVLINK" create --mode macvtap --vm test4 --link eno5 --name mv-up --link-up
ip_link eno5
py_true '"UP" in d[0]["flags"]' "$J"

# ---------------------------------------------------------------- delete
run 0 "$MVLINK" delete vm-test1
out_has "deleted vm-test1"
! link_exists vm-test1 || fail "vm-test1 still exists"
run 0 "$MVLINK" delete vm-test1
err_has "vm-test1 does not exist; nothing to delete"
run 0 "$MVLINK" --json delete --vm test2
py_true 'd == {"vm": "test2", "removed": 5, "kept_bridges": []}'
for n in mv-bridge mv-vepa mv-private mv-source mv-passthru; do
	! link_exists "$n" || fail "$n survived delete --vm test2"
done
link_exists mv-own || fail "delete --vm test2 removed test3's macvtap"
run 2 "$MVLINK" delete eno1
err_has "eno1 was not created by mvlink"
link_exists eno1 || fail "eno1 was deleted"

exit 0
