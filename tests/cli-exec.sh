#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cli-exec.sh - `mvlink exec` on a real kernel, in a private network
# namespace, with a stand-in VMM (a shell script) that records what it got:
# its arguments (placeholders substituted), its MVLINK_* environment, its
# open fds (3 and 4 must be the queues, as the kernel's fdinfo confirms, and
# no other tun/tap/socket fd may leak) and the links while it runs.  Then:
# the interfaces are gone after it exits, its exit status (and death by a
# signal) comes back, SIGTERM is passed on, a failed create undoes the
# interfaces created before it, and --json prints one document.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
enter_netns "$@"
make_uplink
spread_ifindex # our macvtaps' /dev/tapN are not another namespace's

VMM=$T/vmm
R=$T/vmm-run # what the VMM recorded
cat >"$VMM" <<'EOF'
#!/bin/sh
# the stand-in VMM: records into $R, then exits with $VMM_EXIT
mkdir -p "$R"
printf '%s\n' "$@" >"$R/args"
env | grep -E '^MVLINK_(IFACES|FDS_|NAME_|MAC_)' | sort >"$R/env"
for f in /proc/$$/fd/*; do
	printf '%s %s\n' "${f##*/}" "$(readlink "$f")"
done >"$R/fds"
for n in 3 4 5; do
	cat "/proc/$$/fdinfo/$n" >"$R/fdinfo$n" 2>/dev/null
done
ip -j -d link show >"$R/links.json"
if [ -n "${VMM_WAIT:-}" ]; then
	trap 'echo TERM >"$R/signal"; exit 42' TERM
	echo $$ >"$R/pid"
	: >"$R/ready"
	while :; do sleep 0.05; done
fi
exit "${VMM_EXIT:-0}"
EOF
chmod +x "$VMM"
export R

# ---------------------------------------------------------------- a 2-queue tap on a bridge
ip link add eno2 type veth peer name peer2 # the bridge's uplink; eno1 feeds macvtaps
rm -rf "$R"
run 0 "$MVLINK" exec --mode tap --vm test1 --name vm-test1 --bridge br0 --uplink eno2 \
	--mac 02:00:00:00:00:01 --queues 2 -- "$VMM" \
	'tap,id=n0,fds={fds},vhost=off,queues=2' 'fd=[{fds,}]' '{fd}' '{name}' 'mac={mac}' \
	'{fds0}/{fds0,}/{fd0}/{name0}/{mac0}' '{other}' '{fds' 'fds}' '{fds2x}' 'x{fds}y{fd}z'
out_empty # stdout belongs to the VMM
err_empty
[ -f "$R/args" ] || fail "the VMM did not run"
cat >"$T/want" <<'EOF'
tap,id=n0,fds=3:4,vhost=off,queues=2
fd=[3,4]
3
vm-test1
mac=02:00:00:00:00:01
3:4/3,4/3/vm-test1/02:00:00:00:00:01
{other}
{fds
fds}
{fds2x}
x3:4y3z
EOF
diff -u "$T/want" "$R/args" >&2 || fail "VMM arguments"
cat >"$T/want" <<'EOF'
MVLINK_FDS_0=3:4
MVLINK_IFACES=vm-test1
MVLINK_MAC_0=02:00:00:00:00:01
MVLINK_NAME_0=vm-test1
EOF
diff -u "$T/want" "$R/env" >&2 || fail "VMM environment"
# fds 3 and 4 are queues of vm-test1 (the kernel says so), without O_CLOEXEC
grep -qx '3 /dev/net/tun' "$R/fds" || fail "fd 3 is not /dev/net/tun: $(cat "$R/fds")"
grep -qx '4 /dev/net/tun' "$R/fds" || fail "fd 4 is not /dev/net/tun: $(cat "$R/fds")"
for n in 3 4; do
	grep -qE '^iff:[[:space:]]+vm-test1$' "$R/fdinfo$n" || fail "fd $n is not attached to vm-test1"
	flags=$(sed -n 's/^flags:[[:space:]]*//p' "$R/fdinfo$n")
	[ $((0$flags & 02000000)) = 0 ] || fail "fd $n has O_CLOEXEC ($flags)"
done
# nothing else of mvlink's leaked into the VMM (tun, tap, netlink socket)
if grep -vE '^(3|4) ' "$R/fds" | grep -qE ' (/dev/net/tun|/dev/tap[0-9]+|socket:.*)$'; then
	fail "fds leaked into the VMM: $(cat "$R/fds")"
fi
# while the VMM ran: a non-persistent multi-queue tap on br0, tagged
py_true '[l["linkinfo"]["info_data"]["persist"] for l in d if l["ifname"] == "vm-test1"] == [False]' \
	"$R/links.json"
py_true '[l["linkinfo"]["info_data"]["multi_queue"] for l in d if l["ifname"] == "vm-test1"] == [True]' \
	"$R/links.json"
py_true '[(l["master"], l["ifalias"]) for l in d if l["ifname"] == "vm-test1"] == [("br0", "mvlink:vm=test1;mode=tap")]' \
	"$R/links.json"
# ...and gone after it; the bridge (shared) stays
! link_exists vm-test1 || fail "vm-test1 outlived the VMM"
link_exists br0 || fail "br0 was removed"

# ---------------------------------------------------------------- exit status
rm -rf "$R"
export VMM_EXIT=7
run 7 "$MVLINK" exec --mode tap --vm test1 --name vm-test1 -- "$VMM"
unset VMM_EXIT
! link_exists vm-test1 || fail "vm-test1 outlived the VMM"
run 137 "$MVLINK" exec --mode tap --vm test1 --name vm-test1 -- sh -c 'kill -KILL $$'
! link_exists vm-test1 || fail "vm-test1 outlived the killed VMM"

# ---------------------------------------------------------------- SIGTERM to mvlink reaches the VMM
rm -rf "$R"
VMM_WAIT=1 "$MVLINK" exec --mode macvtap --vm test1 --name mv-term --link eno1 -- "$VMM" \
	>"$OUT" 2>"$ERR" &
pid=$!
i=0
while [ ! -f "$R/ready" ]; do
	i=$((i + 1))
	if [ $i -ge 200 ] || ! kill -0 "$pid" 2>/dev/null; then
		fail "the VMM did not start"
	fi
	sleep 0.05
done
link_exists mv-term || fail "mv-term does not exist while the VMM runs"
kill -TERM "$pid"
# bounded: a VMM that never got the signal would run forever.  running:
# the process exists and is not a zombie waiting for `wait`
running() {
	[ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat")" != Z ]
}
i=0
while running "$pid" && [ $i -lt 200 ]; do
	i=$((i + 1))
	sleep 0.05
done
if running "$pid"; then
	kill -KILL "$(cat "$R/pid")" "$pid" 2>/dev/null
	fail "mvlink did not pass SIGTERM on to the VMM (both still running after 10 s)"
fi
rc=0
wait "$pid" || rc=$?
[ "$rc" = 42 ] || fail "mvlink exited with $rc after SIGTERM, expected the VMM's 42"
[ "$(cat "$R/signal" 2>/dev/null)" = TERM ] || fail "the VMM did not get SIGTERM"
# a macvtap does not go away by itself: mvlink deleted it
! link_exists mv-term || fail "mv-term outlived the VMM"

# ---------------------------------------------------------------- macvtap + tap, several queues
rm -rf "$R"
run 0 "$MVLINK" exec --mode macvtap --vm test2 --link eno1 --name mv-a --mac 02:00:00:00:00:0a \
	--queues 2 --iface --mode tap --name vm-b --mac 02:00:00:00:00:0b -- "$VMM" \
	'{fds}' '{fds1}' '{fd1}' '{name1}' '{mac1}' '{mac}' '{fds0,}'
printf '%s\n' 3:4 5 5 vm-b 02:00:00:00:00:0b 02:00:00:00:00:0a 3,4 >"$T/want"
diff -u "$T/want" "$R/args" >&2 || fail "VMM arguments with two interfaces"
grep -qx 'MVLINK_IFACES=mv-a,vm-b' "$R/env" || fail "MVLINK_IFACES: $(cat "$R/env")"
grep -qx 'MVLINK_FDS_1=5' "$R/env" || fail "MVLINK_FDS_1: $(cat "$R/env")"
grep -qx 'MVLINK_NAME_1=vm-b' "$R/env" || fail "MVLINK_NAME_1"
grep -qx 'MVLINK_MAC_0=02:00:00:00:00:0a' "$R/env" || fail "MVLINK_MAC_0"
mvidx=$(py '[l["ifindex"] for l in d if l["ifname"] == "mv-a"][0]' "$R/links.json")
grep -qx "3 /dev/tap$mvidx" "$R/fds" || fail "fd 3 is not /dev/tap$mvidx: $(cat "$R/fds")"
grep -qx "4 /dev/tap$mvidx" "$R/fds" || fail "fd 4 is not /dev/tap$mvidx"
grep -qx '5 /dev/net/tun' "$R/fds" || fail "fd 5 is not /dev/net/tun"
grep -qE '^iff:[[:space:]]+vm-b$' "$R/fdinfo5" || fail "fd 5 is not attached to vm-b"
py_true '[l["linkinfo"]["info_data"]["mode"] for l in d if l["ifname"] == "mv-a"] == ["bridge"]' \
	"$R/links.json"
! link_exists mv-a || fail "mv-a outlived the VMM"
! link_exists vm-b || fail "vm-b outlived the VMM"

# ---------------------------------------------------------------- --json: one document, before the VMM
rm -rf "$R"
run 0 "$MVLINK" exec --json --mode tap --vm test3 --name vm-j --queues 2 -- "$VMM" 'fds={fds}'
py_true 'sorted(d) == ["command", "interfaces"]'
py_true 'd["command"] == ["'"$VMM"'", "fds=3:4"]'
py_true 'len(d["interfaces"]) == 1 and d["interfaces"][0]["fds"] == [3, 4]'
py_true 'd["interfaces"][0]["name"] == "vm-j" and d["interfaces"][0]["queues"] == 2'
py_true 'd["interfaces"][0]["adopted"] is False and d["interfaces"][0]["mode"] == "tap"'
! link_exists vm-j || fail "vm-j outlived the VMM"

# ---------------------------------------------------------------- a failed create undoes the earlier ones
ip link add taken0 type veth peer name taken0-p
rm -rf "$R"
run 2 "$MVLINK" --json exec --mode macvtap --vm test4 --link eno1 --name mv-first \
	--iface --mode tap --name vm-second --iface --mode tap --name taken0 -- "$VMM"
err_has "taken0 exists"
py_true 'd["error"]["exit_code"] == 2 and d["error"]["undo_failed"] is False'
py_true '"taken0" in d["error"]["message"]'
[ ! -e "$R" ] || fail "the VMM ran although a create failed"
! link_exists mv-first || fail "mv-first was not undone"
! link_exists vm-second || fail "vm-second was not undone"
link_exists taken0 || fail "the foreign taken0 was touched"
run 0 "$MVLINK" list --vm test4 --json
py_true 'd == []'

# an interface that existed before (adopted) stays after the VMM exits
run 0 "$MVLINK" create --mode macvtap --vm test5 --link eno1 --name mv-keep --mac 02:00:00:00:00:55
run 0 "$MVLINK" exec --mode macvtap --vm test5 --link eno1 --name mv-keep --mac 02:00:00:00:00:55 \
	-- sh -c 'test -c "/proc/self/fd/3"'
link_exists mv-keep || fail "exec deleted the adopted mv-keep"

exit 0
