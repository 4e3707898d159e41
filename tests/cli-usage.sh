#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cli-usage.sh - the command line itself: usage errors (exit 1, specific
# messages that quote the bad value, no full help), --help and --version,
# JSON error documents, and that --help and mvlink(8) list every option.
# Needs no privileges; as root it runs in private namespaces anyway, so a
# bug can never reach the host's interfaces.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
try_netns "$@"

TAP="create --mode tap --vm test1 --name vm-test1"
COMMANDS="create delete list show exec sriov recover gc"

# ---------------------------------------------------------------- global
run 1 "$MVLINK"
err_has "mvlink: no command given (commands: create, delete, list, show, exec, sriov, recover, gc)"
err_has "Try 'mvlink --help'."
out_empty

run 1 "$MVLINK" cre # no prefix matching of commands
err_has "mvlink: unknown command 'cre' (commands: create, delete, list, show, exec, sriov, recover, gc)"

run 1 "$MVLINK" --bogus list
err_has "unknown option '--bogus'"

run 0 "$MVLINK" --version
grep -qE '^mvlink [0-9]+\.[0-9]+' "$OUT" || fail "--version: '$(cat "$OUT")'"
run 0 "$MVLINK" --json --version
py_true 'd["version"].count(".") >= 1'

run 0 "$MVLINK" --help
out_has "Usage: mvlink [GLOBAL OPTIONS] COMMAND [OPTIONS]"
for cmd in $COMMANDS; do
	grep -qE "^  $cmd " "$OUT" || fail "--help does not list command $cmd"
done
for line in "0  success" "1  usage error" "2  the operation failed; whatever it had changed was undone" \
	"3  the operation failed and could not undo everything" "MVLINK_LOG" "MVLINK_STATE_DIR"; do
	out_has "$line"
done
run 0 "$MVLINK" -h
out_has "Exit status:"

# every command's help: exit 0, on stdout, starts with its usage
for cmd in $COMMANDS; do
	run 0 "$MVLINK" "$cmd" --help
	head -n 1 "$OUT" | grep -q "^Usage: mvlink $cmd" || fail "$cmd --help: $(head -n 1 "$OUT")"
	out_has "Exit status"
	err_empty
	run 0 "$MVLINK" "$cmd" -h
done

# ---------------------------------------------------------------- options
# shellcheck disable=SC2086 # $TAP is a list of arguments
{
run 1 "$MVLINK" $TAP --bogus
err_has "mvlink: unknown option '--bogus'"
usage_shape create

run 1 "$MVLINK" $TAP --bogus=1
err_has "unknown option '--bogus'"

run 1 "$MVLINK" create --mod tap --vm test1 --name vm-test1 # no abbreviations
err_has "unknown option '--mod' (did you mean '--mode'?)"
usage_shape create

run 1 "$MVLINK" $TAP -x
err_has "unknown option '-x'"

run 1 "$MVLINK" $TAP --no-vnet-hdr=yes
err_has "option '--no-vnet-hdr' takes no argument"

run 1 "$MVLINK" $TAP --mac
err_has "option '--mac' needs an argument"

run 1 "$MVLINK" $TAP extra
err_has "unexpected argument 'extra'"

run 1 "$MVLINK" $TAP --mac zz:00:00:00:00:01
err_has "invalid MAC address 'zz:00:00:00:00:01' for --mac"
err_has "02:00:00:00:00:01"
usage_shape create

run 1 "$MVLINK" $TAP --mac 01:00:5e:00:00:01
err_has "MAC address '01:00:5e:00:00:01' for --mac is a multicast address"

run 1 "$MVLINK" $TAP --mac 00:00:00:00:00:00
err_has "MAC address '00:00:00:00:00:00' for --mac is all zero"

run 1 "$MVLINK" $TAP --mtu 67
err_has "invalid MTU '67' for --mtu: a number from 68 to 65535"
run 1 "$MVLINK" $TAP --mtu 1500x
err_has "invalid MTU '1500x'"
run 1 "$MVLINK" $TAP --queues 0
err_has "invalid queue count '0' for --queues: a number from 1 to 256"
run 1 "$MVLINK" $TAP --queues 257
err_has "invalid queue count '257'"

run 1 "$MVLINK" $TAP --owner no-such-user-mvlink
err_has "unknown user 'no-such-user-mvlink' for --owner: not in the user database and not a number"
usage_shape create
run 1 "$MVLINK" $TAP --group no-such-group-mvlink
err_has "unknown group 'no-such-group-mvlink' for --group"
run 1 "$MVLINK" $TAP --owner 4294967295 # (uid_t)-1 means "no owner"
err_has "unknown user '4294967295'"

run 1 "$MVLINK" $TAP --bridge 'has space'
err_has "invalid interface name 'has space' for --bridge"
run 1 "$MVLINK" $TAP --bridge 0123456789abcdef
err_has "invalid interface name '0123456789abcdef' for --bridge: 1-15 bytes"
}

run 1 "$MVLINK" create --mode bad --vm test1 --name vm-test1
err_has "mvlink: invalid mode 'bad' for --mode (allowed: tap, macvtap, ipvtap, sriov, pci)"
usage_shape create

run 1 "$MVLINK" create --vm test1 --name vm-test1
err_has "missing --mode (allowed: tap, macvtap, ipvtap, sriov, pci)"

run 1 "$MVLINK" create --mode tap --name vm-test1
err_has "mvlink: missing --vm ID"
usage_shape create

run 1 "$MVLINK" create --mode tap --vm 'bad vm' --name vm-test1
err_has "invalid VM id 'bad vm' for --vm"
run 1 "$MVLINK" create --mode tap --vm -lead --name vm-test1
err_has "invalid VM id '-lead'"

run 1 "$MVLINK" create --mode tap --vm test1
err_has "--mode tap needs --name"
run 1 "$MVLINK" create --mode tap --vm test1 --name 'a/b'
err_has "invalid interface name 'a/b' for --name"
run 1 "$MVLINK" create --mode tap --vm test1 --name 'vm-%d-%d'
err_has "invalid interface name 'vm-%d-%d'"

run 1 "$MVLINK" create --mode macvtap --vm test1 --name mv0
err_has "--mode macvtap needs --link"
run 1 "$MVLINK" create --mode tap --vm test1 --name vm-test1 --link eno1
err_has "--link does not apply to --mode tap"
run 1 "$MVLINK" create --mode macvtap --vm test1 --name mv0 --link eno1 --bridge br0
err_has "--bridge does not apply to --mode macvtap"
run 1 "$MVLINK" create --mode tap --vm test1 --name vm-test1 --uplink eno1
err_has "--uplink eno1 needs --bridge"
run 1 "$MVLINK" create --mode tap --vm test1 --name vm-test1 --bridge br0 --force-uplink
err_has "--force-uplink needs --uplink"
run 1 "$MVLINK" create --mode macvtap --vm test1 --name mv0 --link eno1 --macvtap-mode bogus
err_has "invalid macvtap mode 'bogus' for --macvtap-mode (allowed: bridge, vepa, private, passthru, source)"
run 1 "$MVLINK" create --mode macvtap --vm test1 --name mv0 --link eno1 --source-mac 02:00:00:00:00:09
err_has "--source-mac needs --macvtap-mode source"

# delete / list / show
run 1 "$MVLINK" delete
err_has "missing NAME or --vm ID"
usage_shape delete
run 1 "$MVLINK" delete vm-test1 --vm test1
err_has "give either NAME or --vm ID, not both"
run 1 "$MVLINK" delete a b
err_has "unexpected argument 'b'"
run 1 "$MVLINK" delete --vm 'x y'
err_has "invalid VM id 'x y' for --vm"
run 1 "$MVLINK" delete 'a/b'
err_has "invalid interface name 'a/b'"
run 1 "$MVLINK" list extra
err_has "unexpected argument 'extra'"
usage_shape list
run 1 "$MVLINK" list --vm ''
err_has "invalid VM id '' for --vm"
run 1 "$MVLINK" show
err_has "missing NAME"
usage_shape show
run 1 "$MVLINK" show a b
err_has "unexpected argument 'b'"

# sriov and recover: their own arguments
run 1 "$MVLINK" sriov
err_has "mvlink: missing the subcommand (list, enable or disable)"
usage_shape sriov
run 1 "$MVLINK" sriov lst # no prefix matching of subcommands either
err_has "unknown subcommand 'lst' (allowed: list, enable, disable)"
run 1 "$MVLINK" sriov list eno1 eno2
err_has "unexpected argument 'eno2': sriov list takes at most one PF"
run 1 "$MVLINK" sriov enable
err_has "missing the PF: sriov enable PF N"
run 1 "$MVLINK" sriov enable eno1
err_has "missing the number of VFs: sriov enable PF N"
usage_shape sriov
run 1 "$MVLINK" sriov enable eno1 0
err_has "invalid number of VFs '0' for sriov enable: to remove the VFs, use 'mvlink sriov disable eno1'"
run 1 "$MVLINK" sriov enable eno1 4x
err_has "invalid number of VFs '4x' for sriov enable: a number from 1 to 65535"
run 1 "$MVLINK" sriov enable 'a b' 2
err_has "invalid PF 'a b' for sriov enable"
run 1 "$MVLINK" sriov disable
err_has "missing the PF: sriov disable PF"
run 1 "$MVLINK" sriov disable eno1 2
err_has "unexpected argument '2': sriov disable takes one PF"
run 1 "$MVLINK" sriov --bogus list
err_has "unknown option '--bogus'"
run 1 "$MVLINK" recover now
err_has "unexpected argument 'now': recover takes no arguments"
usage_shape recover
run 1 "$MVLINK" recover --dry-run=yes
err_has "option '--dry-run' takes no argument"
run 1 "$MVLINK" recover --dry
err_has "unknown option '--dry' (did you mean '--dry-run'?)"

# each mode takes its own options
run 1 "$MVLINK" create --mode sriov --vm test1
err_has "--mode sriov needs --pf"
run 1 "$MVLINK" create --mode pci --vm test1
err_has "--mode pci needs --device"
run 1 "$MVLINK" create --mode sriov --vm test1 --pf eno1 --name vf0
err_has "--name does not apply to --mode sriov"
run 1 "$MVLINK" create --mode sriov --vm test1 --pf eno1 --mtu 1500
err_has "--mtu does not apply to --mode sriov"
run 1 "$MVLINK" create --mode tap --vm test1 --name vm-test1 --vlan 10
err_has "--vlan does not apply to --mode tap"
run 1 "$MVLINK" create --mode macvtap --vm test1 --name mv0 --link eno1 --no-vfio
err_has "--no-vfio does not apply to --mode macvtap"
run 1 "$MVLINK" create --mode pci --vm test1 --device 00:03.0 --mac 02:00:00:00:00:01
err_has "--mac does not apply to --mode pci"
run 1 "$MVLINK" create --mode pci --vm test1 --device 00:03.0 --pf eno1
err_has "--pf does not apply to --mode pci"
run 1 "$MVLINK" create --mode sriov --vm test1 --pf eno1 --no-vfio --owner 0
err_has "--owner applies to /dev/vfio/N, which --no-vfio does not use"
run 1 "$MVLINK" create --mode sriov --vm test1 --pf eno1 --no-vfio --force
err_has "--force applies to the vfio-pci binding, which --no-vfio does not do"
# exec hands queue fds to a VMM: a VF or PCI device has none
run 1 "$MVLINK" exec --mode sriov --vm test1 --pf eno1 -- true
err_has "--mode sriov does not work with exec: it has no queue fds to hand over"
usage_shape exec
run 1 "$MVLINK" exec --mode tap --vm test1 --name vm-test1 --iface --mode pci --device 00:03.0 -- true
err_has "interface 1: --mode pci does not work with exec"
# show and delete take a PCI address, normalised
run 1 "$MVLINK" show 0000:00:1f.8
err_has "invalid interface name '0000:00:1f.8'"
err_has "or a PCI address such as 0000:af:06.0"

# exec: everything is checked before anything is created
EXEC="exec --mode tap --vm test1 --name vm-test1"
# shellcheck disable=SC2086
{
run 1 "$MVLINK" $EXEC
err_has "missing '-- VMM [ARG]...'"
usage_shape exec
run 1 "$MVLINK" $EXEC true
err_has "expected '--' before the VMM command, got 'true'"
run 1 "$MVLINK" $EXEC --
err_has "missing the VMM command after '--'"
run 1 "$MVLINK" $EXEC -- true 'tap,fds={fds1}'
err_has "placeholder '{fds1}' in VMM argument 'tap,fds={fds1}': there is no interface 1"
run 1 "$MVLINK" $EXEC -- true '{name2}'
err_has "placeholder '{name2}'"
run 1 "$MVLINK" $EXEC -- true '{fd1}'
err_has "placeholder '{fd1}'"
run 1 "$MVLINK" $EXEC -- true 'fd=[{fds1,}]'
err_has "placeholder '{fds1,}'"
run 1 "$MVLINK" $EXEC -- true 'mac={mac}'
err_has "placeholder '{mac}' in VMM argument 'mac={mac}': interface 0 is a tap without --mac"
run 1 "$MVLINK" $EXEC --iface -- true
err_has "--iface at the end starts interface 1 without options"
run 1 "$MVLINK" $EXEC --iface --name vm-test2 -- true
err_has "interface 1: missing --mode"
run 1 "$MVLINK" $EXEC --iface --mode macvtap --name mv0 -- true
err_has "interface 1: --mode macvtap needs --link"
run 1 "$MVLINK" exec --mode tap --name vm-test1 -- true
err_has "missing --vm ID"
run 1 "$MVLINK" $EXEC --mac bad -- true
err_has "invalid MAC address 'bad' for --mac"
}
# a VMM that does not exist: refused before anything is created
run 2 "$MVLINK" exec --mode tap --vm test1 --name vm-test1 -- /nonexistent/vmm
err_has "mvlink: cannot run VMM '/nonexistent/vmm': No such file or directory"
run 2 "$MVLINK" exec --mode tap --vm test1 --name vm-test1 -- no-such-vmm-mvlink
err_has "cannot run VMM 'no-such-vmm-mvlink': No such file or directory (searched PATH)"

# ---------------------------------------------------------------- JSON errors
for args in "--json create --mode bad --vm test1 --name vm-test1" \
	"create --mode bad --vm test1 --name vm-test1 --json"; do
	# shellcheck disable=SC2086
	run 1 "$MVLINK" $args
	err_has "invalid mode 'bad'"
	py_true 'list(d) == ["error"]'
	py_true 'sorted(d["error"]) == ["code", "errno", "exit_code", "message", "undo_failed"]'
	py_true 'd["error"]["message"] == "invalid mode '"'bad'"' for --mode (allowed: tap, macvtap, ipvtap, sriov, pci)"'
	py_true 'd["error"]["errno"] == 22 and d["error"]["code"] == "EINVAL"'
	py_true 'd["error"]["undo_failed"] is False and d["error"]["exit_code"] == 1'
done
# the error message on stderr is the JSON message
msg=$(py 'd["error"]["message"]')
err_has "mvlink: $msg"
run 1 "$MVLINK" --json
py_true '"no command given" in d["error"]["message"]'
run 2 "$MVLINK" --json exec --mode tap --vm test1 --name vm-test1 -- /nonexistent/vmm
py_true 'd["error"]["code"] == "ENOENT" and d["error"]["exit_code"] == 2'
# --json after "--" belongs to the VMM
run 1 "$MVLINK" exec --mode tap --name vm-test1 -- true --json
out_empty

# ---------------------------------------------------------------- help and man page list every option
man=$top_srcdir/man/mvlink.8
[ -s "$man" ] || fail "man/mvlink.8 is missing or empty"
if command -v man >/dev/null 2>&1; then
	# the roff is clean: no warnings from groff
	MANWIDTH=80 man --warnings -l -E UTF-8 "$man" >"$T/man.txt" 2>"$T/man.err" ||
		fail "man cannot format mvlink.8: $(cat "$T/man.err")"
	[ ! -s "$T/man.err" ] || fail "mvlink.8 has warnings: $(cat "$T/man.err")"
	for section in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" ENVIRONMENT FILES \
		EXAMPLES "SEE ALSO"; do
		grep -qx "$section" "$T/man.txt" || fail "mvlink.8 has no section $section"
	done
else
	echo "note: man(1) is missing; mvlink.8 not formatted" >&2
fi
for cmd in $COMMANDS; do
	"$MVLINK" "$cmd" --help >"$T/help" || fail "$cmd --help"
	# the option lists: "  --name ..." or "  -v, --verbose ..."
	opts=$(sed -nE 's/^ +(-[a-z], )?(--[a-z][a-z-]+).*/\2/p' "$T/help" | sort -u)
	[ -n "$opts" ] || fail "$cmd --help lists no options"
	for opt in $opts; do
		# the parser knows it (an option may want an argument)...
		"$MVLINK" "$cmd" "$opt" >/dev/null 2>"$T/err"
		if grep -qE "unknown option|did you mean" "$T/err"; then
			fail "$cmd --help lists $opt, which $cmd does not accept"
		fi
		# ...and the man page documents it (roff writes '-' as '\-')
		roff=$(printf '%s\n' "$opt" | sed 's/-/\\-/g')
		grep -qF -- "$roff" "$man" || fail "mvlink.8 does not mention $opt"
	done
done
# QEMU 7.2 refuses queues= beside fds= (it counts the fds): no example has it
"$MVLINK" exec --help >"$T/exec-help" || fail "exec --help"
for doc in "$man" "$T/exec-help"; do
	! grep -E 'netdev tap,[^ ]*fds=[^ ]*queues=' "$doc" >&2 || fail "$doc: -netdev tap with fds= and queues="
	grep -qE 'mq=on,vectors=6' "$doc" || fail "$doc: no mq=on,vectors=6 in the multi-queue example"
done
for f in '{fds}' '{fds,}' '{fd}' '{name}' '{mac}' 'MVLINK_IFACES' 'MVLINK_FDS_' 'MVLINK_NAME_' \
	'MVLINK_LOG' 'MVLINK_STATE_DIR'; do
	grep -qF -- "$f" "$man" || fail "mvlink.8 does not mention $f"
	"$MVLINK" exec --help | grep -qF -- "$f" || "$MVLINK" --help | grep -qF -- "$f" ||
		fail "no --help mentions $f"
done

exit 0
