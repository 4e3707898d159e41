// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-delete.c - `mvlink delete NAME` and `mvlink delete --vm ID`.
 *
 * Idempotent: what is already gone is success (exit 0, with a note on
 * stderr).  The library never touches a device mvlink did not create.
 */
#include <stdio.h>
#include <string.h>

#include "mvlink.h"

enum {
	OPT_DEL_VM = OPT_CMD_BASE,
};

static void help(void)
{
	printf("Usage: mvlink delete NAME\n"
	       "       mvlink delete --vm ID\n"
	       "\n"
	       "Delete the mvlink interface NAME, or every interface of VM ID (and the\n"
	       "bridges mvlink created for it once they have no other ports).  What no\n"
	       "longer exists counts as deleted (exit 0, with a note on stderr).  A device\n"
	       "that mvlink did not create is never touched: deleting it fails (exit 2).\n"
	       "\n"
	       "Options:\n"
	       "  --vm ID        delete every interface tagged with VM ID\n"
	       "  --json         print {\"name\": NAME, \"removed\": N} or\n"
	       "                 {\"vm\": ID, \"removed\": N} (N: objects removed, 0 when there\n"
	       "                 was nothing to do)\n"
	       "  -v, --verbose  show the library's log (-vv: debug)\n"
	       "  -h, --help     show this help\n"
	       "\n"
	       "Exit status: 0 deleted or already gone, 1 usage error, 2 failed (e.g. not an\n"
	       "mvlink interface), 3 failed and could not undo everything.\n");
}

static int run(struct tool *t, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vm", required_argument, NULL, OPT_DEL_VM },
		TOOL_COMMON_LONGOPTS,
		{},
	};
	const char *vm = NULL, *name = NULL;
	int opt, r;

	while ((opt = tool_getopt(argc, argv, ":vh", longopts)) != -1) {
		switch (opt) {
		case OPT_DEL_VM:
			if (mvl_vm_id_check(optarg) < 0)
				return tool_usage(t, "invalid VM id '%s' for --vm: 1-64 characters "
						  "of A-Z a-z 0-9 . _ -, not starting with '.' or "
						  "'-'", optarg);
			vm = optarg;
			break;
		default:
			r = tool_common_opt(t, opt, argv, help);
			if (r >= 0)
				return r;
		}
	}
	if (optind < argc)
		name = argv[optind++];
	if (optind < argc)
		return tool_usage(t, "unexpected argument '%s': delete takes one NAME",
				  argv[optind]);
	if (name && vm)
		return tool_usage(t, "give either NAME or --vm ID, not both");
	if (!name && !vm)
		return tool_usage(t, "missing NAME or --vm ID");
	if (name && mvl_ifname_check(name) < 0)
		return tool_usage(t, "invalid interface name '%s': 1-15 bytes without '/', ':' or "
				  "whitespace, not '.' or '..'", name);
	if (!tool_ctx(t))
		return EXIT_FAILED;

	r = name ? mvl_iface_delete(t->ctx, name) : mvl_vm_delete(t->ctx, vm);
	if (r < 0)
		return tool_fail(t, r);
	out_object_open(NULL);
	out_str(PRINT_JSON, name ? "name" : "vm", name ? name : vm);
	out_int(PRINT_JSON, "removed", r);
	out_object_close();
	if (name && r == 0)
		tool_note(t, "%s does not exist; nothing to delete", name);
	else if (name)
		out_text("deleted %s\n", name);
	else if (r == 0)
		tool_note(t, "VM %s has no interfaces; nothing to delete", vm);
	else
		out_text("deleted %d object%s of VM %s\n", r, r == 1 ? "" : "s", vm);
	return EXIT_OK;
}

const struct tool_cmd tool_cmd_delete = {
	.name = "delete",
	.synopsis = "delete NAME\n"
		    "delete --vm ID",
	.summary = "delete an interface, or all interfaces of a VM",
	.run = run,
};
