// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * options.c - command line options as table rows, and the one getopt loop
 * that every command runs over the groups of rows it composes.
 *
 * A row is a long option: its name, whether it takes an argument and the
 * function that reads the argument into a field of the command's arguments,
 * with an error that names the option, the value and the reason.  An option
 * that several commands take (--vm, --dry-run) is one row, or one row
 * macro, written once here; the interface options that create and exec
 * share are the rows of cmd-create.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mvlink.h"

/* getopt values of the rows: group << 8 | row, above the common options' */
#define OPT_ROW_BASE 0x1000
#define MAX_ROWS 64 /* of one command, all groups */

int tool_opt_vm(struct tool *t, const struct tool_opt *o, const char *arg, void *dst)
{
	if (mvl_vm_id_check(arg) < 0)
		return tool_usage(t, "invalid VM id '%s' for --%s: " TOOL_VM_ID_RULE, arg, o->name);
	*(const char **)tool_opt_field(o, dst) = arg;
	return 0;
}

int tool_opt_true(struct tool *t, const struct tool_opt *o, const char *arg, void *dst)
{
	(void)t;
	(void)arg;
	*(bool *)tool_opt_field(o, dst) = true;
	return 0;
}

int tool_opt_flag(struct tool *t, const struct tool_opt *o, const char *arg, void *dst)
{
	(void)t;
	(void)arg;
	*(unsigned *)tool_opt_field(o, dst) |= (unsigned)o->param;
	return 0;
}

/* The getopt table of @groups and the common options, into @longopts
 * (MAX_ROWS + 4 entries). */
static void build_longopts(const struct tool_opt_group *groups, size_t n_groups,
			   struct option *longopts)
{
	static const struct option common[] = { TOOL_COMMON_LONGOPTS, {} };
	size_t n = 0;

	for (size_t g = 0; g < n_groups; g++)
		for (size_t i = 0; groups[g].opts[i].name; i++) {
			const struct tool_opt *o = &groups[g].opts[i];

			if (n >= MAX_ROWS)
				abort(); /* a programming error: raise MAX_ROWS */
			longopts[n++] = (struct option){ o->name, o->has_arg, NULL,
							 OPT_ROW_BASE + (int)(g << 8 | i) };
		}
	for (size_t i = 0; i < ARRAY_SIZE(common); i++)
		longopts[n++] = common[i];
}

/* Apply row @opt (a getopt value of build_longopts()) to @args. */
static int apply(struct tool *t, const struct tool_opt_group *groups, int opt, const char *arg,
		 void *args)
{
	const struct tool_opt_group *g = &groups[(opt - OPT_ROW_BASE) >> 8];
	size_t i = (size_t)(opt - OPT_ROW_BASE) & 0xff;
	void *dst = g->target ? g->target(args) : args;

	if (g->seen)
		g->seen(dst, i);
	return g->opts[i].parse(t, &g->opts[i], arg, dst);
}

int tool_parse_opts(struct tool *t, int argc, char **argv, const char *shortopts,
		    const struct tool_opt_group *groups, size_t n_groups, void *args,
		    void (*help)(void))
{
	struct option longopts[MAX_ROWS + 4];
	int opt, r;

	build_longopts(groups, n_groups, longopts);
	while ((opt = tool_getopt(argc, argv, shortopts, longopts)) != -1) {
		if (opt < OPT_ROW_BASE) {
			r = tool_common_opt(t, opt, argv, help);
			if (r >= 0)
				return r;
		} else if ((r = apply(t, groups, opt, optarg, args))) {
			return r;
		}
	}
	return TOOL_RUN;
}
