#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cli-badinput.sh - the bad-input table of the command line (issue 5; the C
# API's is tests/test-badinput.c).  Each row is a command line that must
# fail, with the exact exit status mvlink(8) documents (1: usage error,
# nothing done; 2: failed, nothing left behind), a specific message on
# stderr that quotes the bad value, nothing on stdout - and with --json
# exactly one {"error": ...} document on stdout carrying the same message
# and exit status.  Around the whole table, the namespace's links and
# addresses (`ip -j -d link` + `ip -j addr`, without operstate, qdisc and
# timers) and the state directory must not change at all.
#
# Runs in private namespaces: an uplink eno1 (veth), a foreign device
# taken0, an eno2 carrying an IP address, and a bridge brfull at the
# kernel's maximum of 1023 ports.  PCI addresses in the rows do not exist
# (domain ffff), so no real device is ever touched.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
enter_netns "$@"
make_uplink
spread_ifindex
ip link add taken0 type veth peer name taken0-p || fail "veth taken0"
ip link set taken0 alias "someone else's"
ip link add eno2 type veth peer name peer2 || fail "veth eno2"
ip addr add 192.0.2.1/24 dev eno2
ip link set eno2 up
# 1023 ports: the most a bridge takes (BR_MAX_PORTS 1024, port 0 unused)
{
	echo "link add brfull type bridge"
	i=0
	while [ "$i" -lt 1023 ]; do
		echo "tuntap add p$i mode tap"
		echo "link set p$i master brfull"
		i=$((i + 1))
	done
} >"$T/ports.batch"
ip -batch "$T/ports.batch" >/dev/null || fail "cannot build bridge brfull with 1023 ports"
[ "$(ip -o link show master brfull | wc -l)" = 1023 ] || fail "brfull does not have 1023 ports"

# snapshot FILE: the namespace's links and addresses, normalised
snapshot() {
	ip -j -d link show >"$T/links.raw" || fail "ip -j -d link"
	ip -j addr show >"$T/addrs.raw" || fail "ip -j addr"
	python3 - "$T/links.raw" "$T/addrs.raw" >"$1" <<'EOF' || fail "snapshot"
import json, sys

# Left out: what the kernel changes on its own after a link comes up or
# goes down (carrier, operstate, IPv6 link-local addresses and their
# duplicate address detection, timers).
ASYNC_KEYS = ("operstate", "qdisc", "tentative", "dadfailed", "carrier_changes",
              "carrier_up_count", "carrier_down_count")
ASYNC_FLAGS = ("LOWER_UP", "NO-CARRIER", "M-DOWN")

def clean(v, key=None):
    if isinstance(v, dict):
        return {k: clean(x, k) for k, x in v.items()
                if k not in ASYNC_KEYS and not k.endswith("_timer")}
    if isinstance(v, list):
        if key == "flags":
            v = [f for f in v if f not in ASYNC_FLAGS]
        if key == "addr_info":
            # the kernel adds an IPv6 link-local address when a link gets
            # its carrier, whenever that happens
            v = [a for a in v if not (a.get("family") == "inet6" and a.get("scope") == "link")]
        return [clean(x) for x in v]
    return v

doc = [clean(json.load(open(p))) for p in sys.argv[1:]]
print(json.dumps(doc, indent=1, sort_keys=True))
EOF
}
snapshot "$T/before.json"

# The table: RC|VALUE|MESSAGE|ARGUMENTS
#   RC        the exit status
#   VALUE     the bad value, which MESSAGE must quote
#   MESSAGE   what stderr says after "mvlink: " (a substring)
#   ARGUMENTS mvlink's arguments, shell-quoted
C='create --mode tap --vm test1'
M='create --mode macvtap --vm test1 --link eno1'
S='create --mode sriov --vm test1 --pf eno1'
P='create --mode pci --vm test1'
I='create --mode ipvtap --vm test1 --link eno1'
cat >"$T/table" <<EOF
1|0123456789abcdef|invalid interface name '0123456789abcdef' for --name: 1-15 bytes|$C --name 0123456789abcdef
1|a/b|invalid interface name 'a/b' for --name|$C --name a/b
1|..|invalid interface name '..' for --name|$C --name ..
1|has space|invalid interface name 'has space' for --name|$C --name 'has space'
1||invalid interface name '' for --name|$C --name ''
1|vm-%d-%d|invalid interface name 'vm-%d-%d' for --name|$C --name 'vm-%d-%d'
1|vm-%s|invalid interface name 'vm-%s' for --name|$C --name 'vm-%s'
1|br/0|invalid interface name 'br/0' for --bridge|$C --name vm-test1 --bridge br/0
1|eno 1|invalid interface name 'eno 1' for --uplink|$C --name vm-test1 --bridge br0 --uplink 'eno 1'
1|.|invalid interface name '.' for --link|create --mode macvtap --vm test1 --name mv0 --link .
1|br%d|invalid interface name 'br%d' for --bridge: 1-15 bytes without '/', ':', '%'|$C --name vm-test1 --bridge 'br%d'
1|eno%d|invalid interface name 'eno%d' for --uplink|$C --name vm-test1 --bridge br0 --uplink 'eno%d'
1|eno%d|invalid interface name 'eno%d' for --link|create --mode macvtap --vm test1 --name mv0 --link 'eno%d'
1|br%d|invalid interface name 'br%d'|delete 'br%d'
1|a b|invalid interface name 'a b'|delete 'a b'
1|../x|invalid VM id '../x' for --vm|create --mode tap --vm ../x --name vm-test1
1||invalid VM id '' for --vm|delete --vm ''
1|01:00:5e:00:00:01|MAC address '01:00:5e:00:00:01' for --mac is a multicast address|$C --name vm-test1 --mac 01:00:5e:00:00:01
1|ff:ff:ff:ff:ff:ff|MAC address 'ff:ff:ff:ff:ff:ff' for --mac is a multicast address|$M --name mv0 --mac ff:ff:ff:ff:ff:ff
1|00:00:00:00:00:00|MAC address '00:00:00:00:00:00' for --mac is all zero|$S --mac 00:00:00:00:00:00
1|02:00:00:00:00|invalid MAC address '02:00:00:00:00' for --mac|$C --name vm-test1 --mac 02:00:00:00:00
1|02:00:00:00:00:0g|invalid MAC address '02:00:00:00:00:0g' for --mac|$S --mac 02:00:00:00:00:0g
1|33:33:00:00:00:01|MAC address '33:33:00:00:00:01' for --source-mac is a multicast address|$M --name mv0 --macvtap-mode source --source-mac 33:33:00:00:00:01
1|4095|invalid VLAN id '4095' for --vlan: a number from 0 to 4094|$S --vlan 4095
1|-1|invalid VLAN id '-1' for --vlan|$S --vlan -1
1|8|invalid QoS '8' for --qos: a priority from 0 to 7|$S --vlan 10 --qos 8
1|3|--qos 3 needs --vlan|$S --qos 3
1|3|--qos 3 needs a VLAN id: --vlan 0 clears the VLAN|$S --vlan 0 --qos 3
1|802.1x|invalid VLAN protocol '802.1x' for --vlan-proto (allowed: 802.1Q, 802.1ad)|$S --vlan 10 --vlan-proto 802.1x
1|802.1ad|--vlan-proto 802.1ad needs --vlan|$S --vlan-proto 802.1ad
1|yes|invalid value 'yes' for --spoofchk (allowed: on, off)|$S --spoofchk yes
1|1|invalid value '1' for --trust (allowed: on, off)|$S --trust 1
1|up|invalid link state 'up' for --link-state (allowed: auto, enable, disable)|$S --link-state up
1|200|--min-rate 200 is above --max-rate 100|$S --min-rate 200 --max-rate 100
1|4294967296|invalid rate '4294967296' for --max-rate|$S --max-rate 4294967296
1|-1|invalid VF index '-1' for --vf|$S --vf -1
1|0000:00:1f|invalid PCI address '0000:00:1f' for --device|$P --device 0000:00:1f
1|../../x|invalid PCI address '../../x' for --device|$P --device ../../x
1|0000:00:1f.8|invalid PCI address '0000:00:1f.8' for --device|$P --device 0000:00:1f.8
1|0000:00:20.0|invalid PCI address '0000:00:20.0' for --device|$P --device 0000:00:20.0
1|0000:00:1f.0/..|invalid PCI address '0000:00:1f.0/..' for --device|$P --device 0000:00:1f.0/..
1|../../sys|invalid PF '../../sys' for --pf|create --mode sriov --vm test1 --pf ../../sys
1|0000:00:1f.8|invalid PF '0000:00:1f.8' for sriov list|sriov list 0000:00:1f.8
1|../../x|invalid interface name '../../x'|delete ../../x
1|eno1:vf01|invalid interface name 'eno1:vf01' for delete|delete eno1:vf01
1|eno1:vf|invalid interface name 'eno1:vf' for show|show eno1:vf
1|no-such-user-mvlink|unknown user 'no-such-user-mvlink' for --owner|$C --name vm-test1 --owner no-such-user-mvlink
1|no-such-group-mvlink|unknown group 'no-such-group-mvlink' for --group|$P --device ffff:ff:1f.7 --group no-such-group-mvlink
1|4294967295|unknown user '4294967295' for --owner|$S --owner 4294967295
1|0|invalid queue count '0' for --queues: a number from 1 to 256|$C --name vm-test1 --queues 0
1|257|invalid queue count '257' for --queues|$M --name mv0 --queues 257
1|67|invalid MTU '67' for --mtu: a number from 68 to 65535|$C --name vm-test1 --mtu 67
1|65536|invalid MTU '65536' for --mtu|$M --name mv0 --mtu 65536
1|70000|invalid number of VFs '70000' for sriov enable|sriov enable eno1 70000
1|../x|invalid VM id '../x' in --keep 'test1,../x'|gc --keep test1,../x
1|bogus|invalid mode 'bogus' for --mode (allowed: tap, macvtap, ipvtap, sriov, pci)|create --mode bogus --vm test1
1|ipvtap|--mode ipvtap needs --link|create --mode ipvtap --vm test1 --name ipvt0
1|l4|invalid ipvlan mode 'l4' for --ipvlan-mode (allowed: l2, l3, l3s)|$I --name ipvt0 --ipvlan-mode l4
1|L2|invalid ipvlan mode 'L2' for --ipvlan-mode|$I --name ipvt0 --ipvlan-mode L2
1|passthru|invalid ipvlan flag 'passthru' for --ipvlan-flag (allowed: bridge, private, vepa)|$I --name ipvt0 --ipvlan-flag passthru
1|192.0.2.300|invalid address '192.0.2.300' for --ip: expected an IPv4 or IPv6 address|$I --name ipvt0 --ip 192.0.2.300
1|2001:db8::g|invalid address '2001:db8::g' for --ip|$I --name ipvt0 --ip 2001:db8::g
1|fe80::1%eno1|invalid address 'fe80::1%eno1' for --ip|$I --name ipvt0 --ip 'fe80::1%eno1'
1||invalid address '' for --ip|$I --name ipvt0 --ip ''
1|192.0.2.10/24|--ip 192.0.2.10/24: the ipvtap gets the guest's address alone (/32)|$I --name ipvt0 --ip 192.0.2.10/24
1|2001:db8::10/64|--ip 2001:db8::10/64: the ipvtap gets the guest's address alone (/128)|$I --name ipvt0 --ip 2001:db8::10/64
1|192.0.2.10/x|--ip 192.0.2.10/x: the ipvtap gets the guest's address alone|$I --name ipvt0 --ip 192.0.2.10/x
1|192.0.2.10|--ip 192.0.2.10 is given twice|$I --name ipvt0 --ip 192.0.2.10 --ip 192.0.2.10/32
1|ipvtap|--mac does not apply to --mode ipvtap: an ipvtap has the MAC of its lower device|$I --name ipvt0 --mac 02:00:00:00:00:01
1|ipvtap|--source-mac does not apply to --mode ipvtap|$I --name ipvt0 --source-mac 02:00:00:00:00:01
1|ipvtap|--macvtap-mode does not apply to --mode ipvtap|$I --name ipvt0 --macvtap-mode bridge
1|macvtap|--ip does not apply to --mode macvtap|$M --name mv0 --ip 192.0.2.10
1|ipvtap|--mode ipvtap needs --link|exec --mode ipvtap --vm test1 --name ipvt0 -- true
1|test1,,test2|invalid --keep 'test1,,test2': an empty VM id|gc --keep test1,,test2
2|9000|MTU 9000 is larger than the MTU 1500 of lower device eno1|$M --name mv0 --mtu 9000
2|nosuch0|uplink nosuch0 does not exist|$C --name vm-test1 --bridge br0 --uplink nosuch0
2|nosuch0|lower device nosuch0 does not exist|create --mode macvtap --vm test1 --link nosuch0 --name mv0
2|nosuch0|lower device nosuch0 does not exist|create --mode ipvtap --vm test1 --link nosuch0 --name ipvt0
2|224.0.0.1|invalid guest address 224.0.0.1: multicast or reserved|$I --name ipvt0 --ip 224.0.0.1
2|fe80::1|invalid guest address fe80::1: link-local|$I --name ipvt0 --ip fe80::1
2|9000|MTU 9000 is larger than the MTU 1500 of lower device eno1|$I --name ipvt0 --mtu 9000
2|taken0|taken0 exists and is a veth device, not an mvlink ipvtap; left untouched|$I --name taken0
2|nosuch0|no network interface nosuch0|create --mode sriov --vm test1 --pf nosuch0
2|ffff:ff:1f.7|no PCI device ffff:ff:1f.7|create --mode sriov --vm test1 --pf ffff:ff:1f.7
2|eno1|eno1 is not a PCI device|$S --vf 0
2|eno1|eno1 is not a PCI device|sriov enable eno1 2
2|nosuch0|no network interface nosuch0|sriov disable nosuch0
2|ff:1F.7|0000:ff:1f.7 is not attached to a VM|show ff:1F.7
2|ffff:ff:1f.7|no PCI device ffff:ff:1f.7|$P --device ffff:ff:1f.7
2|ffff:ff:1f.7|ffff:ff:1f.7 is not attached to a VM|show ffff:ff:1f.7
2|nosuch0|nosuch0 does not exist|show nosuch0
2|192.0.2.1|192.0.2.1|$C --name vm-test1 --bridge br1 --uplink eno2
2|taken0|taken0 exists and is a veth device, not an mvlink tap; left untouched|$C --name taken0 --bridge br1
2|taken0|taken0 exists and is a veth device, not an mvlink macvtap; left untouched|$M --name taken0
2|taken0|taken0 exists and is a veth device, not a bridge; left untouched|$C --name vm-test1 --bridge taken0
2|taken0|taken0 was not created by mvlink|delete taken0
2|eno1|eno1 was not created by mvlink|delete eno1
2|brfull|cannot attach tap vm-full to bridge brfull: the bridge already has the maximum of 1023 ports|$C --name vm-full --bridge brfull
2|/nonexistent/vmm|cannot run VMM '/nonexistent/vmm': No such file or directory|exec --mode tap --vm test1 --name vm-test1 -- /nonexistent/vmm
EOF

rows=0
mkdir "$T/json"
while IFS='|' read -r rc value msg args; do
	rows=$((rows + 1))
	eval "set -- $args"
	what="row $rows (mvlink $args)"
	# (a PCI address is quoted normalised)
	case $msg in
	*"$value"* | *"$(printf '%s' "$value" | tr 'A-F' 'a-f')"*) ;;
	*) fail "$what: the table's message does not quote the value '$value'" ;;
	esac
	# text: the exit status, the message quoting the value, nothing on stdout
	run "$rc" "$MVLINK" "$@" </dev/null
	grep -qF -- "mvlink: " "$ERR" || fail "$what: no 'mvlink: ' message"
	grep -F -- "$msg" "$ERR" | grep -q '^mvlink: ' || fail "$what: stderr lacks 'mvlink: ...$msg'"
	out_empty
	if [ "$rc" = 1 ]; then
		usage_shape "${1}"
	else
		! grep -q "^Try 'mvlink" "$ERR" || fail "$what: a failure (not usage) points to --help"
	fi
	grep -F -- "$msg" "$ERR" | head -n 1 >"$T/json/$rows.line"
	# JSON: one error document with the same message and status (checked
	# below, all rows in one python run: its start-up is slow on a busy host)
	run "$rc" "$MVLINK" --json "$@" </dev/null
	grep -qF -- "$msg" "$ERR" || fail "$what --json: stderr lacks '$msg'"
	cp "$OUT" "$T/json/$rows.json"
	printf '%s\n%s\n' "$rc" "$what" >"$T/json/$rows.info"
done <"$T/table"
[ "$rows" -ge 40 ] || fail "only $rows rows"
python3 - "$T/json" "$rows" <<'EOF' || fail "JSON error documents (above)"
import json, sys

d, rows, bad = sys.argv[1], int(sys.argv[2]), 0
for n in range(1, rows + 1):
    rc, what = open("%s/%d.info" % (d, n)).read().splitlines()
    line = open("%s/%d.line" % (d, n)).read().rstrip("\n")
    try:
        doc = json.load(open("%s/%d.json" % (d, n)))  # exactly one document
        e = doc["error"]
        ok = (list(doc) == ["error"] and e["exit_code"] == int(rc) and
              e["undo_failed"] is False and e["errno"] > 0 and
              "mvlink: " + e["message"] == line)
    except (ValueError, KeyError, TypeError) as ex:
        ok, e = False, ex
    if not ok:
        print("FAIL: %s --json: %r (stderr: %r)" % (what, e, line), file=sys.stderr)
        bad = 1
sys.exit(bad)
EOF

# A kernel without ipvtap (this host's, usually): the create fails cleanly,
# saying what is missing, and leaves nothing: no link or address (the
# snapshot below), no journal (below), no index entry (here)
if [ -d /sys/module/ipvtap ] || modinfo ipvtap >/dev/null 2>&1; then
	echo "cli-badinput: this kernel has ipvtap: a create without it is not tried" >&2
else
	run 2 "$MVLINK" create --mode ipvtap --vm test1 --link eno1 --name ipvt0 --ip 192.0.2.10
	err_has "mvlink: cannot create ipvtap ipvt0: the kernel has no ipvtap (CONFIG_IPVTAP; is the module ipvtap there?)"
	out_empty
	! ip link show ipvt0 >/dev/null 2>&1 || fail "ipvt0 exists after a failed create"
	[ -z "$(find "$MVLINK_STATE_DIR" -path '*/index/*' -type l 2>/dev/null)" ] ||
		fail "index entries left: $(find "$MVLINK_STATE_DIR" -path '*/index/*' -type l)"
fi

# Nothing changed: links, addresses; no journal left
snapshot "$T/after.json"
diff -u "$T/before.json" "$T/after.json" >&2 || fail "the table changed the namespace (diff above)"
if [ -d "$MVLINK_STATE_DIR" ] && [ -n "$(find "$MVLINK_STATE_DIR" -type f -name '*.json')" ]; then
	fail "journals left behind: $(find "$MVLINK_STATE_DIR" -type f -name '*.json')"
fi
echo "cli-badinput: $rows bad inputs, each refused as documented; nothing changed" >&2
exit 0
