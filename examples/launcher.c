// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * launcher.c - a minimal VMM launcher on libmvlink: create a macvtap for a
 * VM on an uplink, then exec QEMU with the queue fds inherited.
 *
 *   cc launcher.c $(pkg-config --cflags --libs libmvlink) -o launcher
 *   ./launcher VM-ID UPLINK NAME GUEST-MAC QUEUES -- qemu-system-x86_64 \
 *       -netdev tap,id=n0,fds={fds},vhost=off -device virtio-net-pci,netdev=n0,mac={mac} ...
 *
 * "{fds}" in the QEMU arguments becomes the colon-separated fd numbers and
 * "{mac}" the guest MAC.  The macvtap outlives this process (it is not a
 * non-persistent tap): delete it with `mvlink delete --vm VM-ID`.
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mvlink.h>

/* @arg with every @key replaced by @value (malloc'd), or NULL */
static char *replace(const char *arg, const char *key, const char *value)
{
	const char *p = strstr(arg, key);
	char *head, *out;

	if (!p)
		return strdup(arg);
	if (asprintf(&head, "%.*s%s", (int)(p - arg), arg, value) < 0)
		return NULL;
	out = replace(p + strlen(key), key, value);
	if (out) {
		char *joined;

		if (asprintf(&joined, "%s%s", head, out) < 0)
			joined = NULL;
		free(out);
		out = joined;
	}
	free(head);
	return out;
}

int main(int argc, char **argv)
{
	struct mvl_macvtap_opts o = { .sz = sizeof(o) };
	struct mvl_ctx *ctx = NULL;
	struct mvl_iface *iface = NULL;
	uint8_t mac[6];
	char fds[256] = "", macs[18];
	int r;

	if (argc < 8 || strcmp(argv[6], "--") != 0) {
		fprintf(stderr, "usage: %s VM-ID UPLINK NAME GUEST-MAC QUEUES -- VMM ARGS...\n",
			argv[0]);
		return 1;
	}
	if (mvl_mac_parse(argv[4], mac) < 0 || mvl_mac_check(mac) < 0) {
		fprintf(stderr, "launcher: invalid guest MAC '%s'\n", argv[4]);
		return 1;
	}
	o.vm_id = argv[1];
	o.link = argv[2];
	o.name = argv[3];
	o.mac = mac;
	o.queues = (unsigned)atoi(argv[5]);
	o.mode = MVL_MACVTAP_BRIDGE;

	r = mvl_ctx_new(&ctx);
	if (r < 0)
		return 2;
	r = mvl_macvtap_create(ctx, &o, &iface);
	if (r < 0) {
		fprintf(stderr, "launcher: %s\n", mvl_ctx_get_error(ctx));
		return 2;
	}
	/* hand the queue fds to the VMM: they must survive exec */
	for (unsigned i = 0; i < mvl_iface_get_queue_count(iface); i++) {
		int fd = mvl_iface_take_queue_fd(iface, i);

		fcntl(fd, F_SETFD, 0);
		snprintf(fds + strlen(fds), sizeof(fds) - strlen(fds), "%s%d", i ? ":" : "", fd);
	}
	mvl_mac_format(mvl_iface_get_mac(iface), macs);
	fprintf(stderr, "launcher: %s on %s (%s), queue fds %s\n", mvl_iface_get_name(iface),
		mvl_iface_get_link(iface), macs, fds);
	mvl_iface_unref(iface);
	mvl_ctx_unref(ctx);

	for (int i = 7; i < argc; i++) {
		char *a = replace(argv[i], "{fds}", fds), *b = a ? replace(a, "{mac}", macs) : NULL;

		if (!b)
			return 2;
		free(a);
		argv[i] = b;
	}
	execvp(argv[7], argv + 7);
	fprintf(stderr, "launcher: cannot run %s: %s\n", argv[7], strerror(errno));
	return 2;
}
