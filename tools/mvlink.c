// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mvlink.c - the mvlink tool: global options, the command table, the log
 * function, error reporting and exit codes.
 *
 *   mvlink [-v]... [--json] COMMAND [OPTIONS]
 *
 * Command names are matched exactly (no abbreviations), and so are long
 * option names: getopt_long's prefix matching is turned into an error, so
 * that a new option can never change what an old command line means.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "mvlink.h"

/* The commands, in the order of `mvlink --help`. */
static const struct tool_cmd *const commands[] = {
	&tool_cmd_create, &tool_cmd_delete,  &tool_cmd_list, &tool_cmd_show,
	&tool_cmd_exec,   &tool_cmd_sriov,   &tool_cmd_recover, &tool_cmd_gc,
};

__attribute__((format(printf, 6, 0))) static void
log_fn(struct mvl_ctx *ctx, int priority, const char *file, int line, const char *fn,
       const char *format, va_list args)
{
	static const char *const names[] = { "emergency", "alert", "critical", "error",
					     "warning",   "notice", "info",     "debug" };

	fprintf(stderr, "mvlink: %s: ", names[priority & 7]);
	if (priority >= LOG_DEBUG)
		fprintf(stderr, "%s:%d %s(): ", file, line, fn);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

struct mvl_ctx *tool_ctx(struct tool *t)
{
	int r, prio;

	if (t->ctx)
		return t->ctx;
	r = mvl_ctx_new(&t->ctx);
	if (r < 0) {
		t->ctx = NULL;
		tool_fail_msg(t, r, false, "cannot create the mvlink library context: %s",
			      strerror(-r));
		return NULL;
	}
	mvl_ctx_set_log_fn(t->ctx, log_fn, t);
	/* The library's default is LOG_ERR; the tool also shows warnings
	 * (what an undo left behind) unless MVLINK_LOG says otherwise. */
	prio = mvl_ctx_get_log_priority(t->ctx);
	if (!getenv("MVLINK_LOG") && prio < LOG_WARNING)
		prio = LOG_WARNING;
	if (t->verbose >= 1 && prio < LOG_INFO)
		prio = LOG_INFO;
	if (t->verbose >= 2)
		prio = LOG_DEBUG;
	mvl_ctx_set_log_priority(t->ctx, prio);
	return t->ctx;
}

_printf_(2, 0) static void vmessage(const char *prefix, const char *fmt, va_list ap, char *buf,
				    size_t len)
{
	vsnprintf(buf, len, fmt, ap);
	fprintf(stderr, "mvlink: %s%s\n", prefix, buf);
}

int tool_usage(struct tool *t, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vmessage("", fmt, ap, msg, sizeof(msg));
	va_end(ap);
	if (t->cmd)
		fprintf(stderr, "Try 'mvlink %s --help'.\n", t->cmd);
	else
		fprintf(stderr, "Try 'mvlink --help'.\n");
	out_error(msg, EINVAL, false, EXIT_USAGE);
	return EXIT_USAGE;
}

static int fail_exit(const char *msg, int r, bool undo_failed)
{
	int code = undo_failed ? EXIT_UNDO_FAILED : EXIT_FAILED;

	if (undo_failed)
		fprintf(stderr, "mvlink: some of the changes could not be undone; the warnings "
				"above say what was left behind\n");
	out_error(msg, r < 0 ? -r : r, undo_failed, code);
	return code;
}

int tool_fail(struct tool *t, int r)
{
	const char *msg = t->ctx ? mvl_ctx_get_error(t->ctx) : "";
	bool undo_failed = t->ctx && mvl_ctx_get_undo_failed(t->ctx);

	if (!msg[0])
		msg = strerror(r < 0 ? -r : r);
	fprintf(stderr, "mvlink: %s\n", msg);
	return fail_exit(msg, r, undo_failed);
}

int tool_fail_msg(struct tool *t, int r, bool undo_failed, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vmessage("", fmt, ap, msg, sizeof(msg));
	va_end(ap);
	return fail_exit(msg, r, undo_failed);
}

void tool_note(struct tool *t, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vmessage("", fmt, ap, msg, sizeof(msg));
	va_end(ap);
}

/* What tool_getopt() saw last, for tool_common_opt()'s messages. */
static const char *abbrev_arg, *abbrev_name;
static const struct option *last_longopts;

int tool_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	int longindex = -1, opt;
	const char *elem;
	size_t len;

	last_longopts = longopts;
	opt = getopt_long(argc, argv, shortopts, longopts, &longindex);
	if (opt < 0 || opt == '?' || opt == ':' || longindex < 0)
		return opt;
	/* the element that held the option: before its argument, when the
	 * argument was a separate element */
	elem = argv[optind - 1];
	if (optarg && optarg == argv[optind - 1] && optind >= 2)
		elem = argv[optind - 2];
	if (strncmp(elem, "--", 2) != 0)
		return opt;
	len = strcspn(elem + 2, "=");
	if (strlen(longopts[longindex].name) == len &&
	    strncmp(elem + 2, longopts[longindex].name, len) == 0)
		return opt;
	abbrev_arg = elem;
	abbrev_name = longopts[longindex].name;
	return OPT_ABBREV;
}

/* Whether @arg is "--NAME=VALUE" for a long option NAME that has no
 * argument and the value @val (getopt's '?' with optopt = val). */
static bool takes_no_argument(const char *arg, int val)
{
	size_t len;

	if (strncmp(arg, "--", 2) != 0 || !strchr(arg, '=') || !last_longopts)
		return false;
	len = strcspn(arg + 2, "=");
	for (const struct option *o = last_longopts; o->name; o++)
		if (o->val == val && o->has_arg == no_argument && strlen(o->name) == len &&
		    strncmp(o->name, arg + 2, len) == 0)
			return true;
	return false;
}

int tool_common_opt(struct tool *t, int opt, char **argv, void (*help)(void))
{
	const char *arg = argv[optind - 1];

	switch (opt) {
	case OPT_JSON:
		/* usually known from the first look at the command line; not
		 * when an option took "--" as its argument and --json came
		 * after it: from here on, then (nothing is printed yet) */
		if (!t->json)
			out_init(true);
		t->json = true;
		return -1;
	case 'v':
		t->verbose++;
		return -1;
	case 'h':
		help();
		return EXIT_OK;
	case OPT_ABBREV:
		return tool_usage(t, "unknown option '%.*s' (did you mean '--%s'?)",
				  (int)strcspn(abbrev_arg, "="), abbrev_arg, abbrev_name);
	case ':':
		if (optopt && optopt < 0x100)
			return tool_usage(t, "option '-%c' needs an argument", optopt);
		return tool_usage(t, "option '%s' needs an argument", arg);
	case '?':
		if (optopt && takes_no_argument(arg, optopt))
			return tool_usage(t, "option '%.*s' takes no argument",
					  (int)strcspn(arg, "="), arg);
		if (optopt)
			return tool_usage(t, "unknown option '-%c'", optopt);
		return tool_usage(t, "unknown option '%.*s'", (int)strcspn(arg, "="), arg);
	}
	return tool_usage(t, "unhandled option '%s'", arg);
}

int tool_parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

int tool_parse_pci_addr(struct tool *t, const char *arg, const char *what,
			char buf[MVL_PCI_ADDR_LEN])
{
	if (mvl_pci_addr_parse(arg, buf) < 0)
		return tool_usage(t, "invalid PCI address '%s' for %s: expected "
				  "[DOMAIN:]BUS:DEVICE.FUNCTION in hex such as 0000:af:06.0 or "
				  "af:06.0 (device 00-1f, function 0-7)", arg, what);
	return 0;
}

int tool_parse_iface_name(struct tool *t, const char *arg, const char *cmd,
			  char buf[MVL_VF_NAME_LEN])
{
	char addr[MVL_PCI_ADDR_LEN];

	buf[0] = '\0';
	if (mvl_pci_addr_parse(arg, addr) == 0)
		snprintf(buf, MVL_VF_NAME_LEN, "%s", addr);
	else if (mvl_vf_name_parse(arg, NULL, NULL) == 0)
		snprintf(buf, MVL_VF_NAME_LEN, "%s", arg);
	else if (mvl_ifname_check(arg) < 0)
		return tool_usage(t, "invalid interface name '%s' for %s: 1-15 bytes without '/', "
				  "':' or whitespace, not '.' or '..' (or a PCI address such as "
				  "0000:af:06.0, or PF:vfN such as eni1np1:vf0)", arg, cmd);
	return 0;
}

int tool_parse_pf(struct tool *t, const char *arg, const char *what, char buf[16])
{
	char addr[MVL_PCI_ADDR_LEN];

	if (mvl_pci_addr_parse(arg, addr) == 0) {
		snprintf(buf, 16, "%s", addr);
		return 0;
	}
	/* a netdev name has no ':'; anything with one meant an address */
	if (!strchr(arg, ':') && mvl_ifname_check(arg) == 0) {
		snprintf(buf, 16, "%s", arg);
		return 0;
	}
	return tool_usage(t, "invalid PF '%s' for %s: give its network interface (eno1) or "
			  "its PCI address (0000:af:00.0)", arg, what);
}

/* "create, delete, ..." */
static const char *command_names(void)
{
	static char buf[256];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(commands) && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? ", " : "",
				      commands[i]->name);
	return buf;
}

static void help(void)
{
	printf("Usage: mvlink [GLOBAL OPTIONS] COMMAND [OPTIONS]\n"
	       "\n"
	       "Give virtual machines their network: a tap on a bridge, a macvtap on an\n"
	       "uplink, an SR-IOV VF or a whole PCI device on vfio-pci; each tagged with\n"
	       "the VM it belongs to.\n"
	       "\n"
	       "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printf("  %-8s %s\n", commands[i]->name, commands[i]->summary);
	printf("\n"
	       "Synopsis:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const char *p = commands[i]->synopsis;

		/* one synopsis line per form, '\n' separated */
		while (*p) {
			size_t n = strcspn(p, "\n");

			printf("  mvlink %.*s\n", (int)n, p);
			p += n;
			if (*p)
				p++;
		}
	}
	printf("\n"
	       "Global options:\n"
	       "  -v, --verbose  show the library's log on stderr (-v info, -vv debug);\n"
	       "                 also accepted after the command\n"
	       "      --json     print the result as one JSON document on stdout (errors\n"
	       "                 too, besides the message on stderr); also accepted after\n"
	       "                 the command\n"
	       "  -h, --help     show this help; 'mvlink COMMAND --help' for a command\n"
	       "      --version  show the version\n"
	       "\n"
	       "Exit status:\n"
	       "  0  success\n"
	       "  1  usage error: bad command line, nothing was done\n"
	       "  2  the operation failed; whatever it had changed was undone\n"
	       "  3  the operation failed and could not undo everything (the warnings on\n"
	       "     stderr say what was left behind)\n"
	       "  exec: once the VM monitor has started, mvlink exits with its status\n"
	       "  (128+N when it was killed by signal N)\n"
	       "\n"
	       "Environment:\n"
	       "  MVLINK_LOG        log priority: err, warning, info, debug or 0-7\n"
	       "  MVLINK_STATE_DIR  state directory (default /run/mvlink)\n"
	       "\n"
	       "See mvlink(8).\n");
}

int tool_parse(struct tool *t, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{},
	};
	const struct tool_cmd *cmd = NULL;
	int opt, r;

	/* --json is known before anything can fail, so that every error is
	 * also a JSON document; the VMM's arguments after "--" are not ours */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			t->json = true;
	out_init(t->json);

	opterr = 0;
	optind = 0; /* full re-initialisation of getopt */
	while ((opt = tool_getopt(argc, argv, "+:vh", longopts)) != -1) {
		switch (opt) {
		case OPT_VERSION:
			out_object_open(NULL);
			out_str(PRINT_JSON, "version", PACKAGE_VERSION);
			out_object_close();
			out_text("mvlink %s\n", PACKAGE_VERSION);
			out_finish();
			return EXIT_OK;
		default:
			r = tool_common_opt(t, opt, argv, help);
			if (r >= 0)
				return r;
		}
	}
	if (optind >= argc)
		return tool_usage(t, "no command given (commands: %s)", command_names());
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[optind], commands[i]->name) == 0)
			cmd = commands[i];
	if (!cmd)
		return tool_usage(t, "unknown command '%s' (commands: %s)", argv[optind],
				  command_names());

	t->cmd = cmd->name;
	t->command = cmd;
	t->args = calloc(1, cmd->args_size);
	if (!t->args)
		return tool_fail_msg(t, -ENOMEM, false, "out of memory");
	argc -= optind;
	argv += optind;
	optind = 0; /* full re-initialisation of getopt for the command */
	return cmd->parse(t, argc, argv, t->args);
}

void tool_clear(struct tool *t)
{
	if (t->args && t->command->clear)
		t->command->clear(t->args);
	free(t->args);
	t->args = NULL;
	mvl_ctx_unref(t->ctx);
	t->ctx = NULL;
}

#ifndef MVLINK_NO_MAIN /* fuzz/run.sh builds the tool's files into fuzz-cli without it */
int main(int argc, char **argv)
{
	struct tool t = { .cmd = NULL };
	int r;

	r = tool_parse(&t, argc, argv);
	if (!t.command)
		return r; /* a global option or a usage error: nothing to run */
	if (r == TOOL_RUN)
		r = t.command->run(&t, t.args);
	if (r == EXIT_OK)
		out_finish();
	tool_clear(&t);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "mvlink: cannot write to stdout: %s\n", strerror(errno));
		if (r == EXIT_OK)
			r = EXIT_FAILED;
	}
	return r;
}
#endif
