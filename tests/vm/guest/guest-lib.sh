# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# guest-lib.sh - helpers for the test scripts that run INSIDE the guests
# (POSIX sh: the guest has dash + busybox).  The host scripts put it at
# /mvlink-guest-lib.sh in the initramfs (mkinitramfs.sh --file); a guest
# script sources it from there.
#
#   pass TEXT...          report a check that held
#   fail TEXT...          report a check that did not; counted in $failures
#   wait_for TEST-ARGS... poll up to 5 s until `test TEST-ARGS` holds
#   guest_done NAME       print NAME's count of failures; true when there
#                         were none (a script's last command: its status)

failures=0

pass() { echo "PASS: $*"; }

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

wait_for() {
	i=0
	while ! test "$@"; do
		i=$((i + 1))
		[ "$i" -le 50 ] || return 1
		sleep 0.1
	done
}

guest_done() {
	echo "$1: $failures failure(s)"
	[ "$failures" -eq 0 ]
}
