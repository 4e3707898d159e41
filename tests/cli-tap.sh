#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cli-tap.sh - `mvlink create --mode tap`, list, show and delete on a real
# kernel, in a private network namespace (a veth eno1 <-> peer0 stands in
# for the uplink), checked against `ip -j -d link` as well as mvlink's own
# output.  Covers exit codes 0 and 2, JSON documents, adoption, refusals
# that leave foreign devices untouched, rollback, idempotent delete and -v.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
enter_netns "$@"
make_uplink

CREATE_KEYS='["adopted", "devnode", "guest_mac", "ifindex", "iommu_group", "link", "mac", "mode", "mtu", "name", "queues", "vm"]'
SHOW_KEYS='["devnode", "ifindex", "iommu_group", "link", "mac", "mode", "mtu", "name", "vm"]'

# ---------------------------------------------------------------- create: the microvm.nix setup
run 0 "$MVLINK" --json create --mode tap --vm test1 --name vm-test1 --bridge br0 --uplink eno1 \
	--mac 02:00:00:00:00:01
err_empty
py_true "sorted(d) == $CREATE_KEYS"
py_true 'd["name"] == "vm-test1" and d["mode"] == "tap" and d["vm"] == "test1"'
py_true 'd["link"] == "br0" and d["mtu"] == 1500 and d["devnode"] is None'
py_true 'd["mac"] == "fe:00:00:00:00:01" and d["guest_mac"] == "02:00:00:00:00:01"'
py_true 'd["adopted"] is False and d["queues"] == 1 and d["iommu_group"] is None'
ifindex=$(py 'd["ifindex"]')

# the oracle: a persistent vnet_hdr tap on br0, host MAC fe:..., tagged, up
ip_link vm-test1
J=$T/link.json
py_true "d[0]['ifindex'] == $ifindex" "$J"
py_true 'd[0]["linkinfo"]["info_kind"] == "tun" and d[0]["linkinfo"]["info_data"]["type"] == "tap"' "$J"
py_true 'd[0]["linkinfo"]["info_data"]["persist"] is True' "$J"
py_true 'd[0]["linkinfo"]["info_data"]["vnet_hdr"] is True' "$J"
py_true 'd[0]["linkinfo"]["info_data"]["pi"] is False' "$J"
py_true 'd[0]["linkinfo"]["info_data"]["multi_queue"] is False' "$J"
py_true 'd[0]["master"] == "br0" and d[0]["address"] == "fe:00:00:00:00:01"' "$J"
py_true 'd[0]["ifalias"] == "mvlink:vm=test1;mode=tap" and "UP" in d[0]["flags"]' "$J"
py_true 'd[0]["linkinfo"]["info_data"].get("user") is None' "$J"
ip_link br0
py_true 'd[0]["linkinfo"]["info_kind"] == "bridge" and "UP" in d[0]["flags"]' "$J"
py_true 'd[0]["ifalias"] == "mvlink:vm=test1;mode=bridge"' "$J"
ip_link eno1
py_true 'd[0]["master"] == "br0" and "ifalias" not in d[0]' "$J"

# the same create again: adopted, text output
run 0 "$MVLINK" create --mode tap --vm test1 --name vm-test1 --bridge br0 --uplink eno1 \
	--mac 02:00:00:00:00:01
err_empty
grep -qE '^name +vm-test1$' "$OUT" || fail "text create: no name line"
grep -qE '^adopted +yes$' "$OUT" || fail "text create: not adopted"
grep -qE '^mac +fe:00:00:00:00:01$' "$OUT" || fail "text create: host MAC"
grep -qE '^devnode +-$' "$OUT" || fail "text create: devnode '-'"
ip_link vm-test1
py_true "d[0]['ifindex'] == $ifindex" "$J"

# the same name with another configuration, or for another VM: exit 2, untouched
run 2 "$MVLINK" create --mode tap --vm test1 --name vm-test1 --bridge br0 --mtu 1400
err_has "mvlink: tap vm-test1 of VM test1 exists with MTU 1500; requested 1400"
out_empty
run 2 "$MVLINK" --json create --mode tap --vm other --name vm-test1 --bridge br0
err_has "vm-test1"
err_has "belongs to VM test1"
py_true 'd["error"]["code"] == "EEXIST" and d["error"]["exit_code"] == 2'
py_true 'd["error"]["undo_failed"] is False'
ip_link vm-test1
py_true "d[0]['ifindex'] == $ifindex and d[0]['mtu'] == 1500" "$J"
py_true 'd[0]["ifalias"] == "mvlink:vm=test1;mode=tap" and d[0]["master"] == "br0"' "$J"

# ---------------------------------------------------------------- more taps
run 0 "$MVLINK" --json create --mode tap --vm test2 --name 'vm-%d' --queues 4 --no-vnet-hdr \
	--owner nobody --group 0 --mtu 1400
py_true 'd["name"] == "vm-0" and d["queues"] == 4 and d["link"] is None and d["mtu"] == 1400'
py_true 'd["guest_mac"] is None and d["mac"].startswith("fe:")'
ip_link vm-0
py_true 'd[0]["linkinfo"]["info_data"]["multi_queue"] is True' "$J"
py_true 'd[0]["linkinfo"]["info_data"]["vnet_hdr"] is False' "$J"
py_true 'd[0]["linkinfo"]["info_data"]["user"] == "nobody"' "$J"
py_true 'd[0]["linkinfo"]["info_data"]["group"] == "root"' "$J"
py_true 'd[0]["mtu"] == 1400 and "master" not in d[0]' "$J"
run 0 "$MVLINK" --json create --mode tap --vm test2 --name 'vm-%d' --owner 65534
py_true 'd["name"] == "vm-1"'
ip_link vm-1
py_true 'd[0]["linkinfo"]["info_data"]["user"] == "nobody"' "$J"

# ---------------------------------------------------------------- list
run 0 "$MVLINK" list
err_empty
head -n 1 "$OUT" | grep -qE '^NAME +MODE +VM +LINK +MTU +MAC +DEVNODE$' || fail "list header"
grep -qE '^vm-test1 +tap +test1 +br0 +1500 +fe:00:00:00:00:01 +-$' "$OUT" || fail "list row vm-test1"
grep -qE '^br0 +bridge +test1 +- +1500 ' "$OUT" || fail "list row br0"
grep -qE '^vm-0 +tap +test2 +- +1400 ' "$OUT" || fail "list row vm-0"
! grep -qE '^(eno1|peer0|lo) ' "$OUT" || fail "list shows untagged links without --all"
[ "$(wc -l <"$OUT")" = 5 ] || fail "list: expected a header and 4 rows"

run 0 "$MVLINK" list --all
grep -qE '^eno1 +- +- +br0 +1500 ' "$OUT" || fail "list --all: eno1 with mode -"
grep -qE '^lo +- +- ' "$OUT" || fail "list --all: lo"

run 0 "$MVLINK" list --vm test2
[ "$(wc -l <"$OUT")" = 3 ] || fail "list --vm test2: expected 2 rows"
! grep -q vm-test1 "$OUT" || fail "list --vm test2 shows test1's tap"

run 0 "$MVLINK" list --json
py_true "all(sorted(e) == $SHOW_KEYS for e in d)"
py_true 'sorted(e["name"] for e in d) == ["br0", "vm-0", "vm-1", "vm-test1"]'
py_true "[e['ifindex'] for e in d if e['name'] == 'vm-test1'] == [$ifindex]"
# the oracle: exactly the links carrying an mvlink tag
ip -j -d link show >"$T/all.json"
tagged=$(py 'sorted(l["ifname"] for l in d if l.get("ifalias", "").startswith("mvlink:"))' "$T/all.json")
[ "$(py 'sorted(e["name"] for e in d)')" = "$tagged" ] || fail "list --json != tagged links ($tagged)"
run 0 "$MVLINK" list --all --json
py_true '[e["mode"] for e in d if e["name"] == "eno1"] == [None]'
py_true '[e["vm"] for e in d if e["name"] == "eno1"] == [None]'
run 0 "$MVLINK" list --vm nosuchvm --json
py_true 'd == []'
run 0 "$MVLINK" list --vm nosuchvm
[ "$(cat "$OUT")" = "NAME  MODE  VM  LINK  MTU  MAC  DEVNODE" ] || fail "empty list: header only"

# ---------------------------------------------------------------- show
run 0 "$MVLINK" show vm-test1
for l in 'name +vm-test1' 'mode +tap' 'vm +test1' "ifindex +$ifindex" 'link +br0' 'mtu +1500' \
	'mac +fe:00:00:00:00:01' 'devnode +-' 'iommu_group +-'; do
	grep -qE "^$l\$" "$OUT" || fail "show: no line '$l'"
done
run 0 "$MVLINK" show vm-test1 --json
py_true "sorted(d) == $SHOW_KEYS"
py_true "d['ifindex'] == $ifindex and d['link'] == 'br0' and d['mode'] == 'tap'"
run 0 "$MVLINK" --json show eno1
py_true 'd["mode"] is None and d["vm"] is None and d["link"] == "br0"'
run 2 "$MVLINK" show nosuch0
err_has "mvlink: nosuch0 does not exist"
out_empty
run 2 "$MVLINK" show nosuch0 --json
py_true 'd["error"]["code"] == "ENODEV" and d["error"]["errno"] == 19'
py_true '"nosuch0" in d["error"]["message"] and d["error"]["exit_code"] == 2'

# ---------------------------------------------------------------- refusals and rollback
# an uplink with an IP address is refused; the bridge created on the way is undone
ip link add eno2 type veth peer name peer2
ip addr add 192.0.2.1/24 dev eno2
ip link set eno2 up
run 2 "$MVLINK" --json create --mode tap --vm test3 --name vm-test3 --bridge br1 --uplink eno2
err_has "eno2"
err_has "192.0.2.1"
py_true 'd["error"]["undo_failed"] is False and d["error"]["exit_code"] == 2'
! link_exists br1 || fail "bridge br1 was not undone"
! link_exists vm-test3 || fail "tap vm-test3 exists after a failed create"
ip_link eno2
py_true '"master" not in d[0]' "$J"
# ...unless forced
run 0 "$MVLINK" create --mode tap --vm test3 --name vm-test3 --bridge br1 --uplink eno2 --force-uplink
ip_link eno2
py_true 'd[0]["master"] == "br1"' "$J"

# a bridge name taken by another kind of device
ip link add notbr type veth peer name notbr-p
run 2 "$MVLINK" create --mode tap --vm test4 --name vm-test4 --bridge notbr
err_has "notbr exists and is a veth device, not a bridge"
! link_exists vm-test4 || fail "tap vm-test4 created despite the error"
ip_link notbr
py_true 'd[0]["linkinfo"]["info_kind"] == "veth" and "ifalias" not in d[0]' "$J"

# a tap name taken by a foreign device
ip link add taken0 type veth peer name taken0-p
ip link set taken0 alias "someone else's"
run 2 "$MVLINK" create --mode tap --vm test4 --name taken0 --bridge br4
err_has "taken0 exists and is a veth device"
! link_exists br4 || fail "bridge br4 was not undone"
ip_link taken0
py_true 'd[0]["ifalias"] == "someone else'"'"'s" and "master" not in d[0]' "$J"

# ---------------------------------------------------------------- delete
# foreign devices: refused, untouched
run 2 "$MVLINK" delete eno1
err_has "mvlink: eno1 was not created by mvlink"
out_empty
ip_link eno1
py_true 'd[0]["master"] == "br0"' "$J"
run 2 "$MVLINK" --json delete taken0
err_has "taken0 was not created by mvlink"
py_true 'd["error"]["code"] == "EPERM" and d["error"]["exit_code"] == 2'
link_exists taken0 || fail "delete removed a foreign device"

run 0 "$MVLINK" delete vm-test1
out_has "deleted vm-test1"
err_empty
! link_exists vm-test1 || fail "vm-test1 still exists after delete"
# idempotent
run 0 "$MVLINK" delete vm-test1
out_empty
err_has "mvlink: vm-test1 does not exist; nothing to delete"
run 0 "$MVLINK" delete vm-test1 --json
py_true 'd == {"name": "vm-test1", "removed": 0}'

run 0 "$MVLINK" --json delete --vm test2
py_true 'd == {"vm": "test2", "removed": 2, "kept_bridges": []}'
if link_exists vm-0 || link_exists vm-1; then
	fail "delete --vm left a tap of test2"
fi
link_exists vm-test3 || fail "delete --vm test2 removed test3's tap"
run 0 "$MVLINK" delete --vm test2
err_has "VM test2 has no interfaces; nothing to delete"
run 0 "$MVLINK" delete --vm test3
out_has "deleted 1 object of VM test3"
# the bridge created for test3 stays (shared), and the note says how to delete it
err_has "mvlink: the bridge br1 of VM test3 is kept: bridges are shared by VMs and never deleted with one; once a bridge has no ports, delete it with \`mvlink delete br1\`"
! link_exists vm-test3 || fail "delete --vm test3"
link_exists br1 || fail "delete --vm test3 deleted the bridge br1"

# a VM whose tap is gone but whose bridge remains: not "nothing to delete" alone
run 0 "$MVLINK" delete --vm test1
out_empty
err_has "mvlink: VM test1 has no interfaces to delete; its bridge br0 is kept: bridges are shared by VMs and never deleted with one; once a bridge has no ports, delete it with \`mvlink delete br0\`"
run 0 "$MVLINK" --json delete --vm test1
py_true 'd == {"vm": "test1", "removed": 0, "kept_bridges": ["br0"]}'
run 2 "$MVLINK" delete br0 # eno1 is still its port
err_has "bridge br0 still has 1 port (eno1); not deleting it"
link_exists br0 || fail "br0 with a port was deleted"
ip link set eno1 nomaster
run 0 "$MVLINK" delete br0
out_has "deleted br0"
! link_exists br0 || fail "empty br0 was not deleted"
run 0 "$MVLINK" delete --vm test1
err_has "VM test1 has no interfaces; nothing to delete"

# ---------------------------------------------------------------- -v routes the library's log to stderr
run 0 "$MVLINK" create --mode tap --vm test5 --name vm-test5
! grep -q 'mvlink: info:' "$ERR" || fail "info messages without -v"
run 0 "$MVLINK" -v create --mode tap --vm test5 --name vm-test5
err_has "mvlink: info:"
err_has "vm-test5"
run 0 "$MVLINK" delete vm-test5
run 2 "$MVLINK" show vm-test5 -vv
err_has "mvlink: debug:"
err_has "vm-test5 does not exist"

# ---------------------------------------------------------------- a guest MAC starting with fe
# the host side is never the guest's address: fa then (libvirt's rule)
run 0 "$MVLINK" --json create --mode tap --vm test6 --name vm-test6 --mac fe:00:00:00:00:06
py_true 'd["mac"] == "fa:00:00:00:00:06" and d["guest_mac"] == "fe:00:00:00:00:06"'
ip_link vm-test6
py_true 'd[0]["address"] == "fa:00:00:00:00:06"' "$J"
run 0 "$MVLINK" delete vm-test6

exit 0
