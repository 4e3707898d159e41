// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mvlink.h - what the files of the mvlink tool share: the command table,
 * the tool state, exit codes, error reporting, option parsing helpers, the
 * output layer (one print path for text and JSON) and the interface specs
 * that `create` and `exec` parse.
 *
 * The tool uses only the public API of libmvlink (<mvlink.h>).
 */
#ifndef MVLINK_TOOL_H
#define MVLINK_TOOL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <mvlink.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

/* Exit codes: documented in --help, mvlink(8) and tested by tests/cli-*.sh */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,     /* bad command line: nothing was done */
	EXIT_FAILED = 2,    /* the operation failed; everything was undone */
	EXIT_UNDO_FAILED = 3, /* the operation failed and could not fully undo */
};

struct tool_cmd;

/* The state of one invocation. */
struct tool {
	struct mvl_ctx *ctx; /* created on first use by tool_ctx() */
	const char *cmd;     /* the command being run, for "Try 'mvlink CMD --help'" */
	int verbose;         /* number of -v */
	bool json;           /* --json */
	const struct tool_cmd *command; /* set by tool_parse() once it is known */
	void *args;          /* the command's parsed arguments (command->args_size bytes) */
	/* Looks up user (@group false) or group @name: 0 and the id, or
	 * -errno (-ENOENT: unknown).  NULL: the host's user and group
	 * databases; the fuzzer (fuzz/fuzz-cli.c) sets a table of its own. */
	int (*lookup_id)(const char *name, bool group, unsigned *ret_id);
};

/* Returns the library context (created and configured on first use), or
 * NULL after printing an error. */
struct mvl_ctx *tool_ctx(struct tool *t);

/* What a parse phase returns when the command line is good and the command
 * is to run; anything else is an exit code. */
#define TOOL_RUN (-1)

/*
 * A command of the table in mvlink.c.  To add one: write cmd-NAME.c with a
 * `const struct tool_cmd tool_cmd_NAME`, declare it below, add it to the
 * table in mvlink.c and the file to tools_mvlink_SOURCES.
 *
 * A command runs in two phases.  parse() reads and checks the command line
 * into the command's own struct, and touches nothing: no library context,
 * no kernel, no file but stdout/stderr (--help, usage errors), nothing
 * executed - fuzz/fuzz-cli.c runs it on any input.  run() does the work.
 */
struct tool_cmd {
	const char *name;
	const char *synopsis; /* "NAME [--all] ..." lines for mvlink --help */
	const char *summary;  /* one line */
	size_t args_size;     /* of the struct that parse() fills and run() reads */
	/* argv[0] is the command name; @args are args_size zeroed bytes.
	 * Returns TOOL_RUN, or an exit code (0 after --help, 1 usage error). */
	int (*parse)(struct tool *t, int argc, char **argv, void *args);
	/* returns an exit code */
	int (*run)(struct tool *t, void *args);
	/* frees what parse() and run() left in @args (NULL: nothing to free);
	 * called once parse() was, whatever it returned */
	void (*clear)(void *args);
};

/*
 * The parse phase of a whole command line (argv[0] is the program):
 * global options, the command, its parse().  Resets getopt, so it can be
 * called again.  Returns TOOL_RUN with t->command and t->args set, or an
 * exit code; t->command is NULL when the global options ended it (--help,
 * --version, no or unknown command).  tool_clear() frees in every case.
 */
int tool_parse(struct tool *t, int argc, char **argv);
/* Frees the command's arguments and the library context. */
void tool_clear(struct tool *t);

extern const struct tool_cmd tool_cmd_create;
extern const struct tool_cmd tool_cmd_delete;
extern const struct tool_cmd tool_cmd_list;
extern const struct tool_cmd tool_cmd_show;
extern const struct tool_cmd tool_cmd_exec;
extern const struct tool_cmd tool_cmd_sriov;
extern const struct tool_cmd tool_cmd_recover;
extern const struct tool_cmd tool_cmd_gc;

/*
 * Errors.  Each prints "mvlink: MESSAGE" on stderr (and, with --json, an
 * {"error": {...}} document on stdout) and returns the exit code.
 */
/* A bad command line: names the argument; adds "Try 'mvlink CMD --help'." */
int tool_usage(struct tool *t, const char *fmt, ...) _printf_(2, 3);
/* A failed library call @r (negative errno): the context's message; exit 2,
 * or 3 when mvl_ctx_get_undo_failed(). */
int tool_fail(struct tool *t, int r);
/* A failure outside the library (fork, exec...), with its own message. */
int tool_fail_msg(struct tool *t, int r, bool undo_failed, const char *fmt, ...) _printf_(4, 5);
/* A note for the user on stderr ("mvlink: vm-1 does not exist; nothing to delete"). */
void tool_note(struct tool *t, const char *fmt, ...) _printf_(2, 3);

/*
 * Options every command accepts besides its own: --json, -v/--verbose,
 * -h/--help.  Commands append TOOL_COMMON_LONGOPTS to their option table and
 * "vh" to their short options, and pass unknown results to tool_common_opt().
 */
enum {
	OPT_JSON = 0x100,
	OPT_VERSION,
	OPT_ABBREV, /* tool_getopt(): an abbreviated long option */
	OPT_IFACE_BASE = 0x200, /* the interface options below */
	OPT_CMD_BASE = 0x300,   /* commands number their own long-only options from here */
};
#define TOOL_COMMON_LONGOPTS                                   \
	{ "json", no_argument, NULL, OPT_JSON },               \
	{ "verbose", no_argument, NULL, 'v' },                 \
	{ "help", no_argument, NULL, 'h' }
/*
 * getopt_long() that refuses abbreviated long options (returns OPT_ABBREV
 * for tool_common_opt() to report).  Call with opterr = 0 and a short
 * option string starting with ':' (after an optional '+').
 */
int tool_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);
/*
 * Handles a common option or a getopt error for command @t->cmd whose help
 * is printed by @help.  Returns -1 when the option was consumed and parsing
 * goes on, or an exit code (0 after --help, 1 for an error).
 */
int tool_common_opt(struct tool *t, int opt, char **argv, void (*help)(void));

/* Number parsing for options: the whole string, decimal, in [min, max]. */
int tool_parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret);

/* A PF as the user gave it: a netdev name, or a PCI address that is
 * normalised; into @buf (16 bytes).  Returns 0, or the exit code of a usage
 * error naming @what ("--pf", "PF"). */
int tool_parse_pf(struct tool *t, const char *arg, const char *what, char buf[16]);
/* What delete and show take: a netdev name (@buf ""), or the name of a
 * device given to a VM into @buf: a PCI address (normalised) or
 * "<pf>:vf<N>".  0, or the exit code of a usage error naming @cmd. */
int tool_parse_iface_name(struct tool *t, const char *arg, const char *cmd,
			  char buf[MVL_VF_NAME_LEN]);
/* A PCI address, normalised into @buf; 0 or the exit code of a usage error. */
int tool_parse_pci_addr(struct tool *t, const char *arg, const char *what,
			char buf[MVL_PCI_ADDR_LEN]);

/* ------------------------------------------------------------------------
 * Output (output.c): one print path for text and JSON, as in iproute2.
 * In JSON mode the calls build one document that out_finish() prints; in
 * text mode they print at once: objects as "key: value" lines, objects in
 * a table as rows under a header made of the upper-cased keys.
 */
enum out_kind {
	PRINT_ANY,  /* text and JSON */
	PRINT_JSON, /* JSON only */
	PRINT_TEXT, /* text only */
};
/* Start the output of a command line (again: forgets an earlier one's). */
void out_init(bool json);
/* Open an object/array as member @key of the current object (key NULL: in
 * an array, or the document itself). */
void out_object_open(const char *key);
void out_object_close(void);
void out_array_open(const char *key);
/* An array whose objects print as the rows of a table in text mode;
 * @columns (NULL-terminated keys) make the header when there is no row. */
void out_table_open(const char *key, const char *const *columns);
void out_array_close(void);
/* Values; a NULL string is JSON null and "-" in text. */
void out_str(enum out_kind kind, const char *key, const char *value);
void out_uint(enum out_kind kind, const char *key, unsigned long long value);
void out_int(enum out_kind kind, const char *key, long long value);
/* JSON null and "-" in text when !present */
void out_int_opt(enum out_kind kind, const char *key, long long value, bool present);
void out_bool(enum out_kind kind, const char *key, bool value);
/* A setting that may be unknown: JSON true/false/null, text on/off/-. */
void out_tristate(enum out_kind kind, const char *key, enum mvl_tristate value);
void out_int_array(enum out_kind kind, const char *key, const int *v, size_t n);
void out_str_array(enum out_kind kind, const char *key, char *const *v, size_t n);
/* Text-only prose on stdout. */
void out_text(const char *fmt, ...) _printf_(1, 2);
/* Print the JSON document now (at most once per run). */
void out_finish(void);
/* Replace the document by {"error": {...}} (JSON mode; no-op once printed). */
void out_error(const char *message, int err, bool undo_failed, int exit_code);

/* An interface as create/show/list print it. */
enum {
	IFACE_ROW = 1u << 0,    /* a row of `list`: a few columns in text */
	IFACE_CREATE = 1u << 1, /* what a create reports: guest_mac, adopted, queues */
	IFACE_OPEN = 1u << 2,   /* leave the object open for more members */
};
void out_iface(struct mvl_iface *iface, unsigned what, const uint8_t *guest_mac,
	       unsigned queues);
/* The text columns of IFACE_ROW, for out_table_open(). */
extern const char *const out_iface_columns[];

/* ------------------------------------------------------------------------
 * Interface specs (cmd-create.c): the options of one interface, shared by
 * `create` and `exec`.
 */
struct iface_spec {
	enum mvl_mode mode;
	const char *vm;
	const char *name;
	const char *bridge;   /* tap */
	const char *uplink;   /* tap, with bridge */
	const char *link;     /* macvtap */
	uint8_t mac[6];
	bool has_mac;
	unsigned mtu;
	unsigned queues;      /* 0: one */
	uid_t owner;
	gid_t group;
	bool has_owner, has_group;
	bool force_uplink;    /* tap */
	bool no_vnet_hdr;
	bool link_up;         /* macvtap */
	int macvtap_mode;     /* -1: unset (the library's default, bridge) */
	uint8_t (*source_macs)[6];
	unsigned n_source_macs;
	/* sriov */
	char pf[16];          /* netdev name or normalised PCI address; "" unset */
	int vf;               /* -1: the first free one */
	bool has_vlan;
	unsigned vlan, qos;
	bool has_qos;
	int vlan_proto;       /* enum mvl_vlan_proto; 0: unset */
	enum mvl_tristate spoofchk, trust;
	enum mvl_vf_link_state link_state;
	bool has_min_rate, has_max_rate;
	unsigned min_rate, max_rate;
	bool no_vfio;
	bool force;           /* sriov, pci */
	/* pci */
	char device[MVL_PCI_ADDR_LEN]; /* normalised PCI address; "" unset */
	unsigned n_opts;      /* options given for this interface */
	unsigned long long seen; /* bit (OPT_x - OPT_IFACE_BASE) per option given */
};

/* The options of an interface (long only), for getopt tables. */
enum {
	OPT_MODE = OPT_IFACE_BASE,
	OPT_VM,
	OPT_NAME,
	OPT_BRIDGE,
	OPT_UPLINK,
	OPT_FORCE_UPLINK,
	OPT_LINK,
	OPT_MAC,
	OPT_MTU,
	OPT_QUEUES,
	OPT_OWNER,
	OPT_GROUP,
	OPT_NO_VNET_HDR,
	OPT_MACVTAP_MODE,
	OPT_SOURCE_MAC,
	OPT_LINK_UP,
	OPT_PF,
	OPT_VF,
	OPT_VLAN,
	OPT_QOS,
	OPT_VLAN_PROTO,
	OPT_SPOOFCHK,
	OPT_TRUST,
	OPT_LINK_STATE,
	OPT_MIN_RATE,
	OPT_MAX_RATE,
	OPT_NO_VFIO,
	OPT_FORCE,
	OPT_DEVICE,
	OPT_IFACE_END, /* one past the last: at most 64 (bits of .seen) */
};
_Static_assert(OPT_IFACE_END - OPT_IFACE_BASE <= 64, "too many interface options for .seen");
#define IFACE_LONGOPTS                                                      \
	{ "mode", required_argument, NULL, OPT_MODE },                      \
	{ "vm", required_argument, NULL, OPT_VM },                          \
	{ "name", required_argument, NULL, OPT_NAME },                      \
	{ "bridge", required_argument, NULL, OPT_BRIDGE },                  \
	{ "uplink", required_argument, NULL, OPT_UPLINK },                  \
	{ "force-uplink", no_argument, NULL, OPT_FORCE_UPLINK },            \
	{ "link", required_argument, NULL, OPT_LINK },                      \
	{ "mac", required_argument, NULL, OPT_MAC },                        \
	{ "mtu", required_argument, NULL, OPT_MTU },                        \
	{ "queues", required_argument, NULL, OPT_QUEUES },                  \
	{ "owner", required_argument, NULL, OPT_OWNER },                    \
	{ "group", required_argument, NULL, OPT_GROUP },                    \
	{ "no-vnet-hdr", no_argument, NULL, OPT_NO_VNET_HDR },              \
	{ "macvtap-mode", required_argument, NULL, OPT_MACVTAP_MODE },      \
	{ "source-mac", required_argument, NULL, OPT_SOURCE_MAC },          \
	{ "link-up", no_argument, NULL, OPT_LINK_UP },                      \
	{ "pf", required_argument, NULL, OPT_PF },                          \
	{ "vf", required_argument, NULL, OPT_VF },                          \
	{ "vlan", required_argument, NULL, OPT_VLAN },                      \
	{ "qos", required_argument, NULL, OPT_QOS },                        \
	{ "vlan-proto", required_argument, NULL, OPT_VLAN_PROTO },          \
	{ "spoofchk", required_argument, NULL, OPT_SPOOFCHK },              \
	{ "trust", required_argument, NULL, OPT_TRUST },                    \
	{ "link-state", required_argument, NULL, OPT_LINK_STATE },          \
	{ "min-rate", required_argument, NULL, OPT_MIN_RATE },              \
	{ "max-rate", required_argument, NULL, OPT_MAX_RATE },              \
	{ "no-vfio", no_argument, NULL, OPT_NO_VFIO },                      \
	{ "force", no_argument, NULL, OPT_FORCE },                          \
	{ "device", required_argument, NULL, OPT_DEVICE }

void iface_spec_init(struct iface_spec *s);
void iface_spec_clear(struct iface_spec *s);
/* Apply one interface option; returns -1 when @opt is not an interface
 * option, 0 when applied, or an exit code (1) after a usage error. */
int iface_spec_opt(struct tool *t, struct iface_spec *s, int opt, const char *arg);
/* Check the required options and their combinations.  @which is "" for
 * create, or "interface N: " for exec. */
int iface_spec_check(struct tool *t, const struct iface_spec *s, const char *which);
/* Whether exec can run a VMM on the mode's interfaces (they have queue
 * fds: tap, macvtap). */
bool iface_mode_has_fds(enum mvl_mode mode);
/* The interface options of --help: every mode's (create), or only those of
 * the modes with queue fds (exec). */
void iface_options_help(bool all_modes);
/* Whether the guest's MAC is known before the interface exists. */
bool iface_spec_guest_mac_known(const struct iface_spec *s);

enum {
	IFACE_CREATE_PERSIST = 1u << 0, /* taps persist; no fds are kept */
};
/* Create the interface; on failure the error is in the context. */
int iface_spec_create(struct tool *t, const struct iface_spec *s, unsigned flags,
		      struct mvl_iface **ret_iface);
/* Number of queues the spec asks for (at least 1). */
unsigned iface_spec_queues(const struct iface_spec *s);

#endif
