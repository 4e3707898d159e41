// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-recover.c - `mvlink recover [--dry-run]`: undo what crashed mvlink
 * processes left half done (mvl_recover()).
 */
#include <stdio.h>

#include "mvlink.h"

static void help(void)
{
	printf("Usage: mvlink recover [--dry-run]\n"
	       "\n"
	       "Put back what mvlink processes that were killed or crashed left half done.\n"
	       "Every create takes host-wide locks and, before a change a crash would leave\n"
	       "behind, writes what it is about to do to a journal in the state directory.\n"
	       "recover undoes every journal whose process is gone (its locks are free) and\n"
	       "that is not a completed attachment of a VF or PCI device: a half-made tap or\n"
	       "macvtap is deleted, a bridge created on the way is deleted, an uplink leaves\n"
	       "the bridge, a passthru macvtap's lower device gets its MAC back; a VF or PCI\n"
	       "device gets its original driver, driver_override, VF settings and\n"
	       "/dev/vfio ownership back.  Completed attachments stay (release them with\n"
	       "`mvlink delete`).  A corrupt journal is reported and never acted on.  Safe\n"
	       "to run any time.\n"
	       "\n"
	       "Options:\n"
	       "  --dry-run      change nothing; only count what would be restored\n"
	       "  --json         print {\"restored\": N, \"dry_run\": B} (N: devices and\n"
	       "                 creates restored)\n"
	       "  -v, --verbose  show the library's log, e.g. what is restored (-vv: debug)\n"
	       "  -h, --help     show this help\n"
	       "\n"
	       "Exit status: 0 done (also when there was nothing to do), 1 usage error,\n"
	       "2 a journal could not be restored (the others were; the message says which),\n"
	       "3 likewise, and an undo failed.\n");
}

struct recover_args {
	unsigned flags;
};

static int parse(struct tool *t, int argc, char **argv, void *args)
{
	static const struct tool_opt opts[] = {
		TOOL_OPT_DRY_RUN(struct recover_args, flags, MVL_RECOVER_DRY_RUN),
		{},
	};
	static const struct tool_opt_group groups[] = { { opts } };
	int r;

	r = tool_parse_opts(t, argc, argv, ":vh", groups, ARRAY_SIZE(groups), args, help);
	if (r != TOOL_RUN)
		return r;
	if (optind < argc)
		return tool_usage(t, "unexpected argument '%s': recover takes no arguments",
				  argv[optind]);
	return TOOL_RUN;
}

static int run(struct tool *t, void *args)
{
	const struct recover_args *a = args;
	unsigned flags = a->flags;
	int r;

	if (!tool_ctx(t))
		return EXIT_FAILED;
	r = mvl_recover(t->ctx, flags);
	if (r < 0)
		return tool_fail(t, r);
	out_object_open(NULL);
	out_int(PRINT_JSON, "restored", r);
	out_bool(PRINT_JSON, "dry_run", flags & MVL_RECOVER_DRY_RUN);
	out_object_close();
	if (r == 0)
		tool_note(t, "nothing to recover");
	else if (flags & MVL_RECOVER_DRY_RUN)
		out_text("%d half-done operation%s would be undone\n", r, r == 1 ? "" : "s");
	else
		out_text("undid %d half-done operation%s\n", r, r == 1 ? "" : "s");
	return EXIT_OK;
}

const struct tool_cmd tool_cmd_recover = {
	.name = "recover",
	.synopsis = "recover [--dry-run]",
	.summary = "restore what crashed mvlink processes left half done",
	.args_size = sizeof(struct recover_args),
	.parse = parse,
	.run = run,
};
