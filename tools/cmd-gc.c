// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-gc.c - `mvlink gc --keep VM1,VM2,... [--dry-run]`: remove what mvlink
 * made for every VM not in the list (mvl_gc(), the CNI GC contract).
 *
 * The list is required: a forgotten option must never mean "remove
 * everything"; that is `--keep ''`, written out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvlink.h"

static void help(void)
{
	printf("Usage: mvlink gc --keep VM1,VM2,... [--dry-run]\n"
	       "\n"
	       "Garbage collection for VM managers (the CNI GC contract): remove everything\n"
	       "mvlink made for a VM that is not in the --keep list - its taps and macvtaps\n"
	       "(a passthru lower device gets its MAC back), its VFs and PCI devices\n"
	       "(released to their original drivers and settings), what crashed creates\n"
	       "left for it, and bridges created for it once they have no ports (an uplink\n"
	       "counts as a port).  Nothing untagged is ever touched.  Running it again\n"
	       "removes nothing.\n"
	       "\n"
	       "Options:\n"
	       "  --keep VM1,VM2,...  the VMs that still exist, comma separated (repeatable);\n"
	       "                      required: --keep '' keeps none, i.e. removes what\n"
	       "                      mvlink made for every VM\n"
	       "  --dry-run           change nothing; only count what would be removed\n"
	       "  --json              print {\"keep\": [...], \"removed\": N, \"dry_run\": B}\n"
	       "  -v, --verbose       show the library's log, e.g. what is removed\n"
	       "                      (-vv: debug)\n"
	       "  -h, --help          show this help\n"
	       "\n"
	       "Exit status: 0 done (also when there was nothing to remove), 1 usage error,\n"
	       "2 something could not be removed (the rest was; the message says what),\n"
	       "3 likewise, and an undo failed.\n"
	       "\n"
	       "Example:\n"
	       "  mvlink gc --keep test1,test2\n");
}

struct keep {
	char **ids;
	size_t n;
	bool given;
};

/* Append the VM ids of one --keep value; 0 or the exit code of a usage error. */
static int add_keep(struct tool *t, const struct tool_opt *o, const char *arg, void *dst)
{
	struct keep *k = tool_opt_field(o, dst);
	const char *p = arg;

	k->given = true;
	if (!*arg)
		return 0; /* --keep '': none */
	for (;;) {
		size_t len = strcspn(p, ",");
		char **ids, *id;

		if (len == 0)
			return tool_usage(t, "invalid --keep '%s': an empty VM id (separate the ids "
					  "by single commas; --keep '' keeps no VM)", arg);
		id = strndup(p, len);
		if (!id)
			return tool_fail_msg(t, -ENOMEM, false, "out of memory");
		if (mvl_vm_id_check(id) < 0) {
			int r = tool_usage(t, "invalid VM id '%s' in --%s '%s': " TOOL_VM_ID_RULE,
					   id, o->name, arg);

			free(id);
			return r;
		}
		ids = realloc(k->ids, (k->n + 1) * sizeof(*ids));
		if (!ids) {
			free(id);
			return tool_fail_msg(t, -ENOMEM, false, "out of memory");
		}
		k->ids = ids;
		k->ids[k->n++] = id;
		p += len;
		if (!*p)
			return 0;
		p++; /* the ',' */
	}
}

struct gc_args {
	struct keep k;
	unsigned flags;
};

static int parse(struct tool *t, int argc, char **argv, void *args)
{
	static const struct tool_opt opts[] = {
		{ "keep", required_argument, add_keep, offsetof(struct gc_args, k) },
		TOOL_OPT_DRY_RUN(struct gc_args, flags, MVL_GC_DRY_RUN),
		{},
	};
	static const struct tool_opt_group groups[] = { { opts } };
	struct gc_args *a = args;
	int r;

	r = tool_parse_opts(t, argc, argv, ":vh", groups, ARRAY_SIZE(groups), a, help);
	if (r != TOOL_RUN)
		return r;
	if (optind < argc)
		return tool_usage(t, "unexpected argument '%s': give the VMs to keep with --keep "
				  "VM1,VM2,...", argv[optind]);
	if (!a->k.given)
		return tool_usage(t, "missing --keep VM1,VM2,...: the VMs whose interfaces stay "
				  "(--keep '' removes what mvlink made for every VM)");
	return TOOL_RUN;
}

static int run(struct tool *t, void *args)
{
	const struct gc_args *a = args;
	unsigned flags = a->flags;
	int r;

	if (!tool_ctx(t))
		return EXIT_FAILED;
	r = mvl_gc(t->ctx, (const char *const *)a->k.ids, a->k.n, flags);
	if (r < 0)
		return tool_fail(t, r);
	out_object_open(NULL);
	out_str_array(PRINT_JSON, "keep", a->k.ids, a->k.n);
	out_int(PRINT_JSON, "removed", r);
	out_bool(PRINT_JSON, "dry_run", flags & MVL_GC_DRY_RUN);
	out_object_close();
	if (r == 0)
		tool_note(t, "nothing to remove");
	else if (flags & MVL_GC_DRY_RUN)
		out_text("%d object%s would be removed\n", r, r == 1 ? "" : "s");
	else
		out_text("removed %d object%s\n", r, r == 1 ? "" : "s");
	return EXIT_OK;
}

static void clear(void *args)
{
	struct gc_args *a = args;

	for (size_t i = 0; i < a->k.n; i++)
		free(a->k.ids[i]);
	free(a->k.ids);
}

const struct tool_cmd tool_cmd_gc = {
	.name = "gc",
	.synopsis = "gc --keep VM1,VM2,... [--dry-run]",
	.summary = "remove what mvlink made for VMs not in a list",
	.args_size = sizeof(struct gc_args),
	.parse = parse,
	.run = run,
	.clear = clear,
};
