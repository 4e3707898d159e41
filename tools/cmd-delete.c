// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-delete.c - `mvlink delete NAME|ADDR` and `mvlink delete --vm ID`.
 *
 * Idempotent: what is already gone is success (exit 0, with a note on
 * stderr).  The library never touches a device mvlink did not create.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvlink.h"

static void help(void)
{
	printf("Usage: mvlink delete NAME\n"
	       "       mvlink delete ADDR\n"
	       "       mvlink delete --vm ID\n"
	       "\n"
	       "Delete the mvlink interface NAME, release the VF or PCI device ADDR (a PCI\n"
	       "address, or PF:vfN for a VF of a PF that is no PCI device, as create\n"
	       "printed it: its original driver and VF settings come back), or do both\n"
	       "for everything of VM ID.  Bridges stay: a bridge is shared\n"
	       "by VMs, so delete --vm keeps even one mvlink created for that VM; delete an\n"
	       "empty one by NAME.  What no longer exists counts as deleted (exit 0, with a\n"
	       "note on stderr).  A device that mvlink did not create is never touched:\n"
	       "deleting it fails (exit 2); one that a create in another process is still\n"
	       "making is waited for, then deleted.\n"
	       "\n"
	       "Options:\n"
	       "  --vm ID        delete every interface tagged with VM ID and release its\n"
	       "                 VFs and PCI devices\n"
	       "  --json         print {\"name\": NAME, \"removed\": N} or\n"
	       "                 {\"vm\": ID, \"removed\": N, \"kept_bridges\": [...]} (N:\n"
	       "                 objects removed, 0 when there was nothing to do)\n"
	       "  -v, --verbose  show the library's log (-vv: debug)\n"
	       "  -h, --help     show this help\n"
	       "\n"
	       "Exit status: 0 deleted or already gone, 1 usage error, 2 failed (e.g. not an\n"
	       "mvlink interface), 3 failed and could not undo everything.\n");
}

/* The bridges tagged with @vm that stay after delete --vm, for the note;
 * @names gets at most @max of them. */
static size_t kept_bridges(struct tool *t, const char *vm, char **names, size_t max)
{
	struct mvl_iface_list *list = NULL;
	size_t n = 0;

	if (mvl_iface_list_new(t->ctx, vm, 0, &list) < 0)
		return 0;
	for (size_t i = 0; i < mvl_iface_list_count(list); i++) {
		struct mvl_iface *iface = mvl_iface_list_get(list, i);

		if (mvl_iface_get_mode(iface) == MVL_MODE_BRIDGE && n < max) {
			names[n] = strdup(mvl_iface_get_name(iface));
			if (names[n])
				n++;
		}
	}
	mvl_iface_list_free(list);
	return n;
}

struct delete_args {
	const char *vm, *name; /* one of them */
	char addr[MVL_VF_NAME_LEN]; /* name, when it is a device's: PCI address, PF:vfN */
	bool pci;
};

static int parse(struct tool *t, int argc, char **argv, void *args)
{
	static const struct tool_opt opts[] = { TOOL_OPT_VM(struct delete_args, vm), {} };
	static const struct tool_opt_group groups[] = { { opts } };
	struct delete_args *a = args;
	int r;

	r = tool_parse_opts(t, argc, argv, ":vh", groups, ARRAY_SIZE(groups), a, help);
	if (r != TOOL_RUN)
		return r;
	if (optind < argc)
		a->name = argv[optind++];
	if (optind < argc)
		return tool_usage(t, "unexpected argument '%s': delete takes one NAME",
				  argv[optind]);
	if (a->name && a->vm)
		return tool_usage(t, "give either NAME or --vm ID, not both");
	if (!a->name && !a->vm)
		return tool_usage(t, "missing NAME or --vm ID");
	if (a->name) {
		r = tool_parse_iface_name(t, a->name, "delete", a->addr);
		if (r)
			return r;
		a->pci = a->addr[0] != '\0';
		if (a->pci)
			a->name = a->addr;
	}
	return TOOL_RUN;
}

static int run(struct tool *t, void *args)
{
	const struct delete_args *a = args;
	const char *vm = a->vm, *name = a->name;
	char *bridges[8];
	size_t n_bridges = 0;
	bool pci = a->pci;
	int r;

	if (!tool_ctx(t))
		return EXIT_FAILED;

	r = name ? mvl_iface_delete(t->ctx, name) : mvl_vm_delete(t->ctx, vm);
	if (r < 0)
		return tool_fail(t, r);
	if (vm)
		n_bridges = kept_bridges(t, vm, bridges, ARRAY_SIZE(bridges));
	out_object_open(NULL);
	out_str(PRINT_JSON, name ? "name" : "vm", name ? name : vm);
	out_int(PRINT_JSON, "removed", r);
	if (vm)
		out_str_array(PRINT_JSON, "kept_bridges", bridges, n_bridges);
	out_object_close();
	if (name && r == 0 && pci)
		tool_note(t, "%s is not attached to a VM (no mvlink journal); nothing to release",
			  name);
	else if (name && r == 0)
		tool_note(t, "%s does not exist; nothing to delete", name);
	else if (name)
		out_text("%s %s\n", pci ? "released" : "deleted", name);
	else if (r == 0 && !n_bridges)
		tool_note(t, "VM %s has no interfaces; nothing to delete", vm);
	else if (r > 0)
		out_text("deleted %d object%s of VM %s\n", r, r == 1 ? "" : "s", vm);
	if (n_bridges) {
		char list[256] = "";
		size_t len = 0;
		const char *s = n_bridges > 1 ? "s" : "";

		for (size_t i = 0; i < n_bridges && len < sizeof(list); i++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
						i ? ", " : "", bridges[i]);
		if (r == 0)
			tool_note(t, "VM %s has no interfaces to delete; its bridge%s %s %s kept: "
				  "bridges are shared by VMs and never deleted with one; once a "
				  "bridge has no ports, delete it with `mvlink delete %s`", vm, s,
				  list, n_bridges > 1 ? "are" : "is",
				  n_bridges > 1 ? "BRIDGE" : bridges[0]);
		else
			tool_note(t, "the bridge%s %s of VM %s %s kept: bridges are shared by VMs "
				  "and never deleted with one; once a bridge has no ports, delete "
				  "it with `mvlink delete %s`", s, list, vm,
				  n_bridges > 1 ? "are" : "is", n_bridges > 1 ? "BRIDGE" : bridges[0]);
	}
	for (size_t i = 0; i < n_bridges; i++)
		free(bridges[i]);
	return EXIT_OK;
}

const struct tool_cmd tool_cmd_delete = {
	.name = "delete",
	.synopsis = "delete NAME | ADDR\n"
		    "delete --vm ID",
	.summary = "delete an interface or release a device, or all of a VM's",
	.args_size = sizeof(struct delete_args),
	.parse = parse,
	.run = run,
};
