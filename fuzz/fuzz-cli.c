// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the command line of the mvlink tool - its global
 * options, every command's options and their checks (the files of tools/).  The input
 * is the arguments after "mvlink", separated by NUL or newline bytes
 * (fuzz/corpus/cli/ has a command line per file).
 *
 * Only the parse phase runs (tool_parse(): struct tool_cmd.parse), which
 * touches nothing on the host - no library context, no kernel, no file,
 * nothing executed - so the fuzzer may run as root.  User and group names
 * come from a table here, never from the host's databases (NSS may ask the
 * network).  The tool's stdout and stderr are captured, and checked:
 *   - the result is "run it", --help/--version (exit 0) or a usage error
 *     (exit 1); no library context was created;
 *   - a usage error says "mvlink: MESSAGE" and "Try 'mvlink ... --help'." on
 *     stderr and prints nothing on stdout - with --json, exactly one
 *     {"error": ...} document with the same message and exit code 1;
 *   - a command line to run printed nothing, and for create its interface
 *     passes the library's own checks;
 *   - parsing the same command line again gives the same result and output
 *     (nothing is left over from one parse to the next).
 * Set MVLINK_FUZZ_OUTPUT=1 to see what the tool printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "../tools/mvlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 256

/* The users and groups the fuzzer knows; names from the seed corpus. */
static const struct {
	const char *name;
	bool group;
	unsigned id;
} ids[] = {
	{ "root", false, 0 }, { "microvm", false, 1000 }, { "nobody", false, 65534 },
	{ "root", true, 0 },  { "kvm", true, 104 },	  { "microvm", true, 1000 },
};

static int lookup_id(const char *name, bool group, unsigned *ret_id)
{
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
		if (ids[i].group == group && strcmp(ids[i].name, name) == 0) {
			*ret_id = ids[i].id;
			return 0;
		}
	return -ENOENT;
}

/* One parse of a command line, and what it printed. */
struct parse {
	int r;
	bool json;
	const char *cmd; /* the command's name, when one was found */
	char *out, *err;
	size_t out_len, err_len;
};

/* The command line being parsed: "mvlink" and the input's fields. */
static int line_argc;
static char *line_argv[MAX_ARGS + 2];

__attribute__((noreturn)) static void fail(const struct parse *p, const char *why)
{
	fprintf(stderr, "fuzz-cli: %s\ncommand line:", why);
	for (int i = 0; i < line_argc; i++)
		fprintf(stderr, " '%s'", line_argv[i]);
	fprintf(stderr, "\nresult %d\nstdout:\n%s\nstderr:\n%s\n", p->r, p->out, p->err);
	abort();
}

/* The interface of a create passes what the library checks itself. */
static void check_create(const struct parse *p, const struct iface_spec *s)
{
	char addr[MVL_PCI_ADDR_LEN];

	if (!s->vm || mvl_vm_id_check(s->vm) < 0)
		fail(p, "create: no valid --vm");
	if (s->has_mac && mvl_mac_check(s->mac) < 0)
		fail(p, "create: a MAC no NIC may use");
	if ((s->mtu && s->mtu < 68) || s->mtu > 65535 || s->queues > 256)
		fail(p, "create: --mtu or --queues out of range");
	if (s->n_source_macs && s->macvtap_mode != MVL_MACVTAP_SOURCE)
		fail(p, "create: --source-mac without --macvtap-mode source");
	if ((s->bridge && mvl_ifname_check(s->bridge) < 0) ||
	    (s->uplink && mvl_ifname_check(s->uplink) < 0) ||
	    (s->link && mvl_ifname_check(s->link) < 0))
		fail(p, "create: an invalid interface name");
	switch (s->mode) {
	case MVL_MODE_TAP:
		if (!s->name || mvl_ifname_template_check(s->name) < 0 || s->link || s->pf[0] ||
		    (s->uplink && !s->bridge))
			fail(p,
			     "create: a tap without a valid --name, or with other modes' options");
		break;
	case MVL_MODE_MACVTAP:
		if (!s->name || mvl_ifname_template_check(s->name) < 0 || !s->link || s->bridge)
			fail(p, "create: a macvtap without --name or --link, or with --bridge");
		break;
	case MVL_MODE_IPVTAP:
		if (!s->name || mvl_ifname_template_check(s->name) < 0 || !s->link || s->bridge ||
		    s->has_mac)
			fail(p, "create: an ipvtap without --name or --link, or with --bridge or --mac");
		if (s->n_addrs && !s->addrs)
			fail(p, "create: ipvtap addresses counted but not kept");
		if (s->ipvlan_mode != -1 && !mvl_ipvlan_mode_to_string(s->ipvlan_mode))
			fail(p, "create: an ipvlan mode the library does not name");
		if (s->ipvlan_flag != -1 && !mvl_ipvlan_flag_to_string(s->ipvlan_flag))
			fail(p, "create: an ipvlan flag the library does not name");
		break;
	case MVL_MODE_SRIOV:
		if (!s->pf[0] || s->name || s->queues ||
		    (mvl_pci_addr_parse(s->pf, addr) < 0 && mvl_ifname_check(s->pf) < 0))
			fail(p, "create: sriov without a valid --pf, or with tap options");
		if (s->has_qos && !s->has_vlan)
			fail(p, "create: --qos without --vlan");
		break;
	case MVL_MODE_PCI:
		if (mvl_pci_addr_parse(s->device, addr) < 0 || strcmp(addr, s->device) != 0 ||
		    s->name || s->has_mac)
			fail(p, "create: pci without a normalised --device, or with other options");
		break;
	default:
		fail(p, "create: no mode");
	}
}

static void check_error_json(const struct parse *p)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *doc, *e, *v;
	const char *msg, *rest;

	if (!tok)
		abort();
	doc = json_tokener_parse_ex(tok, p->out, (int)p->out_len);
	rest = p->out + json_tokener_get_parse_end(tok);
	if (!doc || strspn(rest, " \n") != strlen(rest) || p->out[p->out_len - 1] != '\n')
		fail(p, "--json: stdout is not one JSON document and a newline");
	json_tokener_free(tok);
	if (!json_object_object_get_ex(doc, "error", &e) ||
	    !json_object_object_get_ex(e, "exit_code", &v) ||
	    json_object_get_int(v) != EXIT_USAGE || !json_object_object_get_ex(e, "message", &v))
		fail(p, "--json: a usage error without its {\"error\": ...} document");
	/* the same message as on stderr: "mvlink: MESSAGE\n" */
	msg = json_object_get_string(v);
	if (strncmp(p->err + 8, msg, strlen(msg)) != 0 || p->err[8 + strlen(msg)] != '\n')
		fail(p, "--json: the error document's message differs from stderr's");
	json_object_put(doc);
}

static void check(const struct parse *p, const struct tool *t)
{
	if (t->ctx)
		fail(p, "the parse phase created a library context");
	switch (p->r) {
	case TOOL_RUN:
		if (!t->command || !t->args || p->out_len || p->err_len)
			fail(p, "a command line to run printed something, or has no command");
		if (strcmp(t->command->name, "create") == 0)
			check_create(p, t->args);
		break;
	case EXIT_OK: /* --help, --version */
		if (!p->out_len || p->err_len)
			fail(p, "--help or --version printed nothing on stdout, or on stderr");
		break;
	case EXIT_USAGE:
		if (strncmp(p->err, "mvlink: ", 8) != 0 || !strstr(p->err, "\nTry 'mvlink "))
			fail(p, "a usage error without 'mvlink: MESSAGE' and 'Try ...' on stderr");
		if (p->json)
			check_error_json(p);
		else if (p->out_len)
			fail(p, "a usage error printed on stdout");
		break;
	default:
		fail(p, "an exit code other than 0 or 1 from the parse phase");
	}
}

/* Parse the command line, capturing stdout and stderr into @p. */
static void parse(struct parse *p, bool checked)
{
	FILE *real_out = stdout, *real_err = stderr;
	struct tool t = { .lookup_id = lookup_id };
	char *copy[MAX_ARGS + 2];

	/* getopt permutes argv: each parse gets its own array */
	memcpy(copy, line_argv, sizeof(copy));
	stdout = open_memstream(&p->out, &p->out_len);
	stderr = open_memstream(&p->err, &p->err_len);
	if (!stdout || !stderr)
		abort();
	p->r = tool_parse(&t, line_argc, copy);
	p->json = t.json;
	p->cmd = t.command ? t.command->name : NULL;
	fclose(stdout);
	fclose(stderr);
	stdout = real_out;
	stderr = real_err;
	if (getenv("MVLINK_FUZZ_OUTPUT"))
		fprintf(stderr, "result %d\nstdout:\n%s\nstderr:\n%s\n", p->r, p->out, p->err);
	if (checked)
		check(p, &t);
	tool_clear(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size;
	struct parse a = { 0 }, b = { 0 };

	/* fields separated by NUL or '\n'; a separator at the end ends the
	 * last; each its own allocation, so that ASan sees a read past one */
	line_argc = 0;
	line_argv[line_argc++] = strdup("mvlink");
	while (s < end && line_argc <= MAX_ARGS) {
		size_t n = 0;

		while (s + n < end && s[n] && s[n] != '\n')
			n++;
		line_argv[line_argc++] = strndup(s, n);
		s += n + 1;
	}
	line_argv[line_argc] = NULL;
	for (int i = 0; i < line_argc; i++)
		if (!line_argv[i])
			abort();

	parse(&a, true);
	parse(&b, false);
	if (a.r != b.r || a.json != b.json || a.out_len != b.out_len || a.err_len != b.err_len ||
	    memcmp(a.out, b.out, a.out_len) != 0 || memcmp(a.err, b.err, a.err_len) != 0 ||
	    a.cmd != b.cmd)
		fail(&b, "parsing the same command line again gave another result");
	free(a.out);
	free(a.err);
	free(b.out);
	free(b.err);
	for (int i = 0; i < line_argc; i++)
		free(line_argv[i]);
	return 0;
}
