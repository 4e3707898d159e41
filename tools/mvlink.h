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
#include <stddef.h>
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
 * -h/--help.  tool_parse_opts() adds them to a command's rows.
 */
enum {
	OPT_JSON = 0x100,
	OPT_VERSION,
	OPT_ABBREV, /* tool_getopt(): an abbreviated long option */
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

/* ------------------------------------------------------------------------
 * Options as rows (options.c).  A command lists its long options as rows
 * in groups; tool_parse_opts() runs getopt over them and the common
 * options, and each row's parse() reads its argument into a field.
 */
struct tool_opt {
	const char *name; /* the long option, without "--"; NULL ends a table */
	int has_arg;      /* no_argument, required_argument */
	/* Reads @arg (NULL without argument) into @dst, the struct the group
	 * writes into.  0, or an exit code after an error that names the
	 * option, the value and the reason. */
	int (*parse)(struct tool *t, const struct tool_opt *o, const char *arg, void *dst);
	size_t off;          /* the field in @dst, for the generic parse functions */
	unsigned long param; /* the row's own number: tool_opt_flag's flag, or an offset */
	const void *rule;    /* the row's own rule, for its parse function */
};

static inline void *tool_opt_field(const struct tool_opt *o, void *dst)
{
	return (char *)dst + o->off;
}

/* A command's rows and where they write. */
struct tool_opt_group {
	const struct tool_opt *opts; /* ended by a row without name */
	/* the struct the rows write into, from the command's arguments
	 * (NULL: the arguments themselves) */
	void *(*target)(void *args);
	/* told of each row given, before its parse() (NULL: nobody) */
	void (*seen)(void *dst, size_t row);
};

/*
 * Reads the options of a command line (argv[0] the command) until the
 * first operand (or "--" or, with '+' in @shortopts, the first non-option):
 * @shortopts as for tool_getopt() ("vh" are the common ones).  Returns
 * TOOL_RUN with optind at the operands, or an exit code (0 after --help).
 */
int tool_parse_opts(struct tool *t, int argc, char **argv, const char *shortopts,
		    const struct tool_opt_group *groups, size_t n_groups, void *args,
		    void (*help)(void));

/* The rule of a VM id, for the messages that refuse one. */
#define TOOL_VM_ID_RULE "1-64 characters of A-Z a-z 0-9 . _ -, not starting with '.' or '-'"

/* Rows of options that more than one command takes. */
int tool_opt_vm(struct tool *t, const struct tool_opt *o, const char *arg, void *dst);
int tool_opt_true(struct tool *t, const struct tool_opt *o, const char *arg, void *dst);
int tool_opt_flag(struct tool *t, const struct tool_opt *o, const char *arg, void *dst);
/* --vm ID: a valid VM id into the const char * @field of @type */
#define TOOL_OPT_VM(type, field) { "vm", required_argument, tool_opt_vm, offsetof(type, field), 0 }
/* an option without argument that sets the bool @field */
#define TOOL_OPT_TRUE(name, type, field) \
	{ name, no_argument, tool_opt_true, offsetof(type, field), 0 }
/* an option without argument that sets @flag in the unsigned @field */
#define TOOL_OPT_FLAG(name, type, field, flag) \
	{ name, no_argument, tool_opt_flag, offsetof(type, field), flag }
/* --dry-run, as gc and recover take it */
#define TOOL_OPT_DRY_RUN(type, field, flag) TOOL_OPT_FLAG("dry-run", type, field, flag)

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
	const char *link;     /* macvtap, ipvtap */
	uint8_t mac[6];
	bool has_mac;
	unsigned mtu;
	unsigned queues;      /* 0: one */
	uid_t owner;
	gid_t group;
	bool has_owner, has_group;
	bool force_uplink;    /* tap */
	bool no_vnet_hdr;
	bool link_up;         /* macvtap, ipvtap */
	int macvtap_mode;     /* -1: unset (the library's default, bridge) */
	uint8_t (*source_macs)[6];
	unsigned n_source_macs;
	int ipvlan_mode;      /* ipvtap; -1: unset (l2) */
	int ipvlan_flag;      /* ipvtap; -1: unset (bridge) */
	struct mvl_ip_addr *addrs; /* ipvtap: --ip */
	unsigned n_addrs;
	/* sriov */
	char pf[16];          /* netdev name or normalised PCI address; "" unset */
	int vf;               /* -1: the first free one */
	bool has_vlan;
	unsigned vlan, qos;
	bool has_qos;
	int vlan_proto;       /* enum mvl_vlan_proto; 0: unset */
	enum mvl_tristate spoofchk, trust, query_rss;
	enum mvl_vf_link_state link_state;
	bool has_min_rate, has_max_rate;
	unsigned min_rate, max_rate;
	bool no_vfio;
	bool force;           /* sriov, pci */
	/* pci */
	char device[MVL_PCI_ADDR_LEN]; /* normalised PCI address; "" unset */
	unsigned n_opts;      /* options given for this interface */
	unsigned long long seen; /* bit N: row N of iface_opts[] was given */
};

/*
 * The interface options: rows that write into a struct iface_spec (the
 * seen member of their group is iface_spec_seen()).
 */
extern const struct tool_opt iface_opts[];
void iface_spec_seen(void *spec, size_t row);
#define IFACE_OPT_GROUP(target) { iface_opts, target, iface_spec_seen }

void iface_spec_init(struct iface_spec *s);
void iface_spec_clear(struct iface_spec *s);
/* Check the required options and their combinations.  @which is "" for
 * create, or "interface N: " for exec. */
int iface_spec_check(struct tool *t, const struct iface_spec *s, const char *which);
/* Whether exec can run a VMM on the mode's interfaces (they have queue
 * fds: tap, macvtap). */
bool iface_mode_has_fds(enum mvl_mode mode);
/* The interface options of --help: every mode's (create), or only those of
 * the modes with queue fds (exec). */
void iface_options_help(bool all_modes);
/* The modes' names joined by ", " and @last_sep before the last: every
 * mode's, or only those with queue fds ("tap, macvtap, sriov or pci"). */
const char *iface_mode_names(bool fds_only, const char *last_sep);
/* Whether the guest's MAC is known before the interface exists. */
bool iface_spec_guest_mac_known(const struct iface_spec *s);
/* The guest's MAC of @iface, created from @s; NULL when not known. */
const uint8_t *iface_spec_guest_mac(const struct iface_spec *s, struct mvl_iface *iface);

enum {
	IFACE_CREATE_PERSIST = 1u << 0, /* taps persist; no fds are kept */
};
/* Create the interface; on failure the error is in the context. */
int iface_spec_create(struct tool *t, const struct iface_spec *s, unsigned flags,
		      struct mvl_iface **ret_iface);
/* Number of queues the spec asks for (at least 1). */
unsigned iface_spec_queues(const struct iface_spec *s);

#endif
