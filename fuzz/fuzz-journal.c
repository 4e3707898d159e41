// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: every journal parser.  Journals are files under the
 * state directory that mvlink acts on after a crash (restoring drivers and
 * VF settings, deleting links): a truncated, edited or garbage one must be
 * refused with a reason, never crash, and what is accepted must be exactly
 * what the text holds.
 *
 * The oracle: the text is parsed again here with json-c, and every field of
 * the decoded struct is compared with the value the text holds for it (or
 * its default when the text has none), by a table of {JSON path, kind,
 * offset} per struct below; so a decoder that drops or mangles a field
 * fails.  Then what is accepted is encoded, decoded again and must give an
 * equal struct (and the same text once more).  The tables must name every
 * byte of the structs but their padding (checked once): a new field of a
 * journal needs its line here. */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>

#include <json-c/json.h>

#include "operations.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ------------------------------------------------------------ the oracle */

/* How a field is written in the text and held in the struct. */
enum kind {
	K_STR, /* a string: a NUL-terminated char[] */
	K_INT, /* an integer: int or long long */
	K_UINT, /* an integer: unsigned or unsigned long long */
	K_BOOL, /* true or false: a bool */
	K_TRI, /* true, false or null: an int 1, 0 or -1 */
	K_MAC, /* "xx:xx:xx:xx:xx:xx" (':' or '-'): uint8_t[6] */
	K_ENUM, /* one string of .names: an int or uint16_t of its value */
	K_BITS, /* an array of strings of .names: the OR of their values */
	K_PRESENT, /* a bool: whether the key is there */
	K_HAVE, /* an object: the OR of the values of .names whose key it has */
	K_NONE, /* not in the text: always the default */
};

struct name {
	const char *name;
	long long value;
};

struct field {
	const char *member; /* for messages */
	const char *path; /* dotted, from the top object; NULL: K_NONE */
	enum kind kind;
	size_t off, size, align;
	long long def; /* the value when absent (a string: "") */
	const struct name *names; /* K_ENUM, K_BITS, K_HAVE; NULL-terminated */
	/* read only when .gate holds one of the strings of .gate_is
	 * ("macvtap|ipvtap") ... */
	const char *gate, *gate_is;
	/* ... and the key .with is there (its part is read only with it) */
	const char *with;
};

/* FIELD(T, member, alignment, path, kind[, .designator = value...]) */
#define FIELD(T, m, align_, path_, ...)                                                            \
	{                                                                                          \
		.member = #m, .off = offsetof(T, m), .size = sizeof(((T *)0)->m), .align = align_, \
		.path = path_, .kind = __VA_ARGS__                                                 \
	}
#define ALIGN(T, m) _Alignof(__typeof__(((T *)0)->m))

static const struct name modes[] = { { "sriov", MVL_MODE_SRIOV },
				     { "pci", MVL_MODE_PCI },
				     { NULL, 0 } };
static const struct name states[] = { { "attaching", MVL_J_ATTACHING },
				      { "attached", MVL_J_ATTACHED },
				      { "releasing", MVL_J_RELEASING },
				      { NULL, 0 } };
static const struct name change_names[] = { { "mac", MVL_VF_A_MAC },
					    { "vlan", MVL_VF_A_VLAN },
					    { "spoofchk", MVL_VF_A_SPOOFCHK },
					    { "trust", MVL_VF_A_TRUST },
					    { "link-state", MVL_VF_A_LINK_STATE },
					    { "rate", MVL_VF_A_RATE },
					    { "query-rss", MVL_VF_A_QUERY_RSS },
					    { NULL, 0 } };
/* the keys of "sriov.orig" that say an original value is known */
static const struct name vf_have[] = { { "mac", MVL_VF_A_MAC },
				       { "vlan", MVL_VF_A_VLAN },
				       { "spoofchk", MVL_VF_A_SPOOFCHK },
				       { "trust", MVL_VF_A_TRUST },
				       { "link_state", MVL_VF_A_LINK_STATE },
				       { "min_tx_rate", MVL_VF_A_RATE },
				       { "query_rss", MVL_VF_A_QUERY_RSS },
				       { NULL, 0 } };
static const struct name vlan_protos[] = { { "802.1Q", ETH_P_8021Q },
					   { "802.1ad", ETH_P_8021AD },
					   { NULL, 0 } };
static const struct name link_states[] = { { "auto", IFLA_VF_LINK_STATE_AUTO },
					   { "enable", IFLA_VF_LINK_STATE_ENABLE },
					   { "disable", IFLA_VF_LINK_STATE_DISABLE },
					   { NULL, 0 } };
static const struct name lj_ops[] = { { "tap", MVL_LJ_TAP },
				      { "bridge", MVL_LJ_BRIDGE },
				      { "macvtap", MVL_LJ_MACVTAP },
				      { "ipvtap", MVL_LJ_IPVTAP },
				      { NULL, 0 } };

/* VF and PCI journals (mvl_journal_decode()): "sriov" is read in sriov mode
 * only, "qos" and "vlan_proto" with "vlan", "max_tx_rate" with "min_tx_rate" */
#define J(m, ...) FIELD(struct mvl_journal, m, ALIGN(struct mvl_journal, m), __VA_ARGS__)
#define SRIOV .gate = "mode", .gate_is = "sriov"
static const struct field journal_fields[] = {
	J(mode, "mode", K_ENUM, .names = modes),
	J(state, "state", K_ENUM, .names = states),
	J(addr, "device", K_STR),
	J(vm_id, "vm", K_STR),
	J(pid, "owner.pid", K_INT),
	J(pid_start, "owner.start", K_UINT),
	J(boot_id, "owner.boot_id", K_STR),
	J(vfio, "vfio", K_BOOL),
	J(driver, "orig.driver", K_STR),
	J(driver_override, "orig.driver_override", K_STR),
	J(iommu_group, "iommu_group", K_INT, .def = -1),
	J(has_devnode, "orig.devnode", K_PRESENT),
	J(dev_uid, "orig.devnode.uid", K_INT),
	J(dev_gid, "orig.devnode.gid", K_INT),
	J(pf_addr, "sriov.pf", K_STR, SRIOV),
	J(pf_ifname, "sriov.pf_ifname", K_STR, SRIOV),
	J(vf, "sriov.vf", K_INT, SRIOV, .def = -1),
	J(vf_changes, "sriov.changes", K_BITS, SRIOV, .names = change_names),
	J(vf_orig.vf, "sriov.vf", K_INT, SRIOV),
	J(vf_orig.have, "sriov.orig", K_HAVE, SRIOV, .names = vf_have),
	J(vf_orig.mac, "sriov.orig.mac", K_MAC, SRIOV),
	J(vf_orig.vlan, "sriov.orig.vlan", K_UINT, SRIOV),
	J(vf_orig.qos, "sriov.orig.qos", K_UINT, SRIOV, .with = "sriov.orig.vlan"),
	J(vf_orig.vlan_proto, "sriov.orig.vlan_proto", K_ENUM, SRIOV, .names = vlan_protos,
	  .with = "sriov.orig.vlan"),
	J(vf_orig.spoofchk, "sriov.orig.spoofchk", K_TRI, SRIOV),
	J(vf_orig.trust, "sriov.orig.trust", K_TRI, SRIOV),
	J(vf_orig.query_rss, "sriov.orig.query_rss", K_TRI, SRIOV),
	J(vf_orig.link_state, "sriov.orig.link_state", K_ENUM, SRIOV, .names = link_states),
	J(vf_orig.min_tx_rate, "sriov.orig.min_tx_rate", K_UINT, SRIOV),
	J(vf_orig.max_tx_rate, "sriov.orig.max_tx_rate", K_UINT, SRIOV,
	  .with = "sriov.orig.min_tx_rate"),
};

/* Link journals (mvl_link_journal_decode()): "link.lower" is read for a
 * macvtap or an ipvtap only; a part's "set" (the first member of its
 * struct, aligned as the struct) is whether the part is there. */
#define L(m, ...) FIELD(struct mvl_link_journal, m, ALIGN(struct mvl_link_journal, m), __VA_ARGS__)
#define LJ_DEV(part)                                                                             \
	FIELD(struct mvl_link_journal, part.set, _Alignof(struct mvl_lj_dev), #part, K_PRESENT), \
		L(part.name, #part ".name", K_STR), L(part.ifindex, #part ".ifindex", K_INT),    \
		L(part.kind, #part ".kind", K_STR)
static const struct field link_journal_fields[] = {
	L(op, "op", K_ENUM, .names = lj_ops),
	L(vm_id, "vm", K_STR),
	L(name, "name", K_STR),
	L(netns, "netns", K_UINT),
	L(pid, "owner.pid", K_INT),
	L(pid_start, "owner.start", K_UINT),
	L(boot_id, "owner.boot_id", K_STR),
	LJ_DEV(bridge),
	L(bridge_created, "bridge.created", K_BOOL),
	L(bridge_brought_up, "bridge.brought_up", K_BOOL),
	LJ_DEV(uplink),
	L(uplink_was_down, "uplink.was_down", K_BOOL),
	LJ_DEV(link),
	L(link_lower, "link.lower", K_INT, .gate = "op", .gate_is = "macvtap|ipvtap"),
	LJ_DEV(lower),
	L(lower_mac, "lower.mac", K_MAC),
	L(lower_set_mac, "lower.new_mac", K_PRESENT),
	L(lower_new_mac, "lower.new_mac", K_MAC),
	L(lower_was_down, "lower.was_down", K_BOOL),
	L(has_node, "node", K_PRESENT),
	L(node, "node.path", K_STR),
	L(node_major, "node.major", K_UINT),
	L(node_minor, "node.minor", K_UINT),
	L(node_uid, "node.uid", K_INT),
	L(node_gid, "node.gid", K_INT),
	L(node_mode, "node.mode", K_UINT),
	L(file, NULL, K_NONE),
};

static void fail(const char *what, const struct field *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
static void fail(const char *what, const struct field *f, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz-journal: %s: ", what);
	if (f) /* NULL: of the whole text */
		fprintf(stderr, "%s (\"%s\"): ", f->member, f->path ? f->path : "not in the text");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/*
 * Every byte of a struct of @size (alignment @align) is in a field of
 * @fields but for padding: sorted by offset, each field starts where the
 * one before ends, rounded up to its alignment, and the struct ends there
 * after the last.  So a field the table does not name is found.
 */
static void check_table(const char *what, const struct field *fields, size_t n, size_t size,
			size_t align)
{
	size_t end = 0;

	for (size_t done = 0; done < n; done++) {
		const struct field *next = NULL;

		/* the first field at or after @end (two lines of one member
		 * would leave one unvisited: then none is found at the end) */
		for (size_t i = 0; i < n; i++)
			if (fields[i].off >= end && (!next || fields[i].off < next->off))
				next = &fields[i];
		if (!next || next->off != (end + next->align - 1) / next->align * next->align)
			fail(what, NULL,
			     "the table has no line for the member at offset %zu (of %zu bytes): "
			     "add one",
			     end, size);
		end = next->off + next->size;
	}
	if ((end + align - 1) / align * align != size)
		fail(what, NULL,
		     "the table has no line for the member after offset %zu (of %zu bytes): "
		     "add one",
		     end, size);
}

/* @path (dotted) in @o: false when a key on the way is not there; *ret is
 * NULL for a JSON null. */
static bool lookup(struct json_object *o, const char *path, struct json_object **ret)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, key, &o))
			return false;
		path = dot + 1;
	}
	return json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, path, ret);
}

/* The value of the name @v in f->names; fail() when none. */
static long long name_value(const char *what, const struct field *f, struct json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		for (const struct name *n = f->names; n->name; n++)
			if (strcmp(json_object_get_string(v), n->name) == 0)
				return n->value;
	fail(what, f, "accepted %s, which is none of its names", json_object_to_json_string(v));
}

/* An integer of the text: what json-c holds, unless it clamped a number
 * above INT64_MAX to it (no field holds INT64_MIN or UINT64_MAX, the other
 * clamps). */
static long long int_value(const char *what, const struct field *f, struct json_object *v)
{
	if (!json_object_is_type(v, json_type_int))
		fail(what, f, "accepted %s, not an integer", json_object_to_json_string(v));
	if (json_object_get_int64(v) == INT64_MAX && json_object_get_uint64(v) != INT64_MAX)
		fail(what, f, "accepted %s, above INT64_MAX: the value decoded is not the text's",
		     json_object_to_json_string(v));
	return json_object_get_int64(v);
}

/* A MAC address as the text writes it, read here on its own. */
static void mac_value(const char *what, const struct field *f, struct json_object *v,
		      uint8_t mac[6])
{
	const char *s = json_object_get_string(v);

	if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) != 17)
		fail(what, f, "accepted %s, not a MAC address", json_object_to_json_string(v));
	for (int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		char hex[3] = { p[0], p[1], '\0' };

		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
		    (i < 5 && ((p[2] != ':' && p[2] != '-') || p[2] != s[2])))
			fail(what, f, "accepted %s, not a MAC address", s);
		mac[i] = (uint8_t)strtoul(hex, NULL, 16);
	}
}

/* The integer of @f in @s, read by its size (K_INT, K_UINT, K_ENUM). */
static long long member_int(const struct field *f, const void *s)
{
	const char *p = (const char *)s + f->off;
	int i;
	long long ll;
	uint16_t u16;

	switch (f->size) {
	case 2:
		memcpy(&u16, p, 2);
		return u16;
	case 4:
		memcpy(&i, p, 4);
		if (f->kind == K_UINT || f->kind == K_BITS || f->kind == K_HAVE)
			return (unsigned)i;
		return i;
	case 8:
		memcpy(&ll, p, 8); /* an unsigned long long above INT64_MAX differs anyway */
		return ll;
	}
	abort();
}

/* The string of @f in @s: fail() when it has no NUL. */
static const char *member_str(const char *what, const struct field *f, const void *s)
{
	const char *p = (const char *)s + f->off;

	if (!memchr(p, '\0', f->size))
		fail(what, f, "the decoded string has no NUL");
	return p;
}

/* Whether the string @v of the text is @s, NULs and all. */
static bool same_string(const char *s, struct json_object *v)
{
	return strlen(s) == (size_t)json_object_get_string_len(v) &&
	       memcmp(s, json_object_get_string(v), strlen(s)) == 0;
}

/* Whether @f is read from @o: its gate and its companion key are there. */
static bool gated_in(struct json_object *o, const struct field *f)
{
	struct json_object *g;

	if (f->gate) {
		const char *v, *p;
		size_t len;

		if (!lookup(o, f->gate, &g) || !json_object_is_type(g, json_type_string))
			return false;
		v = json_object_get_string(g);
		len = strlen(v);
		for (p = f->gate_is; p; p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL)
			if (strncmp(p, v, len) == 0 && (p[len] == '|' || p[len] == '\0'))
				break;
		if (!p || !len)
			return false;
	}
	return !f->with || lookup(o, f->with, &g);
}

/* Every field of the decoded struct @s is what the text @o holds. */
static void check_fields(const char *what, const struct field *fields, size_t n,
			 struct json_object *o, const void *s)
{
	for (size_t i = 0; i < n; i++) {
		const struct field *f = &fields[i];
		const char *p = (const char *)s + f->off;
		struct json_object *v = NULL;
		bool in = f->path && gated_in(o, f) && lookup(o, f->path, &v);
		long long want = f->def, got;
		uint8_t mac[6] = { 0 };
		const char *str;

		switch (f->kind) {
		case K_STR:
		case K_NONE:
			str = member_str(what, f, s);
			if (in && !json_object_is_type(v, json_type_string))
				fail(what, f, "accepted %s, not a string",
				     json_object_to_json_string(v));
			if (in ? !same_string(str, v) : str[0] != '\0')
				fail(what, f, "decoded \"%s\", the text holds %s", str,
				     in ? json_object_to_json_string(v) : "none (\"\")");
			continue;
		case K_MAC:
			if (in)
				mac_value(what, f, v, mac);
			if (memcmp(p, mac, 6) != 0)
				fail(what, f,
				     "decoded %02x:%02x:%02x:%02x:%02x:%02x, the text holds %s",
				     (uint8_t)p[0], (uint8_t)p[1], (uint8_t)p[2], (uint8_t)p[3],
				     (uint8_t)p[4], (uint8_t)p[5],
				     in ? json_object_to_json_string(v) : "none (zeros)");
			continue;
		case K_BOOL:
		case K_PRESENT:
			if (f->kind == K_PRESENT)
				want = in;
			else if (in && !json_object_is_type(v, json_type_boolean))
				fail(what, f, "accepted %s, not a boolean",
				     json_object_to_json_string(v));
			else if (in)
				want = json_object_get_boolean(v);
			got = *(const uint8_t *)p; /* a bool's byte: 0 or 1 */
			break;
		case K_TRI:
			if (in && v && !json_object_is_type(v, json_type_boolean))
				fail(what, f, "accepted %s, not true, false or null",
				     json_object_to_json_string(v));
			if (in)
				want = v ? json_object_get_boolean(v) : -1;
			got = member_int(f, s);
			break;
		case K_INT:
		case K_UINT:
			if (in)
				want = int_value(what, f, v);
			got = member_int(f, s);
			break;
		case K_ENUM:
			if (in)
				want = name_value(what, f, v);
			got = member_int(f, s);
			break;
		case K_BITS:
			if (in && !json_object_is_type(v, json_type_array))
				fail(what, f, "accepted %s, not an array",
				     json_object_to_json_string(v));
			for (size_t k = 0; in && k < json_object_array_length(v); k++)
				want |= name_value(what, f, json_object_array_get_idx(v, k));
			got = member_int(f, s);
			break;
		case K_HAVE:
			for (const struct name *nm = f->names; in && nm->name; nm++)
				if (lookup(v, nm->name, &(struct json_object *){ NULL }))
					want |= nm->value;
			got = member_int(f, s);
			break;
		}
		if (got != want)
			fail(what, f, "decoded %lld, the text holds %lld%s", got, want,
			     in ? "" : " (the default: the text has none)");
	}
}

/* @a and @b, decoded, are equal field by field. */
static void check_equal(const char *what, const struct field *fields, size_t n, const void *a,
			const void *b)
{
	for (size_t i = 0; i < n; i++) {
		const struct field *f = &fields[i];
		const char *pa = (const char *)a + f->off, *pb = (const char *)b + f->off;

		if (f->kind == K_STR || f->kind == K_NONE ?
			    strcmp(member_str(what, f, a), member_str(what, f, b)) != 0 :
			    memcmp(pa, pb, f->size) != 0)
			fail(what, f, "differs once encoded and decoded again");
	}
}

/* @text parsed here, as the decoders must have: one strict JSON text, then
 * only white space.  fail()s when it is not, since it was accepted. */
static struct json_object *parse(const char *what, const char *text, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	size_t end;

	if (!tok)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)size);
	if (json_tokener_get_error(tok) != json_tokener_success)
		fail(what, NULL, "accepted a text that is not one JSON text");
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (; end < size; end++)
		if (!strchr(" \t\r\n", text[end]) || text[end] == '\0')
			fail(what, NULL, "accepted trailing data after the JSON text");
	return o;
}

/* The oracle for one decoded journal @j of @text: its fields are the
 * text's; the encoding of @j (@out) decodes (@j2, by the caller) to the
 * same; the encoding of @j2 (@out2) is @out. */
static void check(const char *what, const struct field *fields, size_t n, const char *text,
		  size_t size, const void *j, const char *out, const void *j2, const char *out2)
{
	struct json_object *o = parse(what, text, size);

	check_fields(what, fields, n, o, j);
	json_object_put(o);
	o = parse(what, out, strlen(out));
	check_fields(what, fields, n, o, j2);
	json_object_put(o);
	check_equal(what, fields, n, j, j2);
	if (strcmp(out, out2) != 0)
		fail(what, NULL, "encodes differently once decoded again");
}

static void sriov(const char *text, size_t size)
{
	struct mvl_journal j, j2;
	char why[256] = "", *out = NULL, *out2 = NULL;
	int r = mvl_journal_decode(text, size, &j, why, sizeof(why));

	if (r < 0) {
		if (r != -EBADMSG && r != -ENOMEM)
			abort();
		if (r == -EBADMSG && !why[0])
			abort(); /* a refusal gives its reason */
		return;
	}
	if (mvl_journal_encode(&j, &out) < 0)
		abort(); /* what was accepted can be written */
	if (mvl_journal_decode(out, strlen(out), &j2, why, sizeof(why)) < 0) {
		fprintf(stderr, "fuzz-journal: journal: its encoding is refused: %s\n", why);
		abort();
	}
	if (mvl_journal_encode(&j2, &out2) < 0)
		abort();
	check("journal", journal_fields, ARRAY_SIZE(journal_fields), text, size, &j, out, &j2,
	      out2);
	free(out);
	free(out2);
}

static void link_journal(const char *text, size_t size)
{
	struct mvl_link_journal j, j2;
	struct mvl_lockset set;
	char why[256] = "", *out = NULL, *out2 = NULL;
	int r = mvl_link_journal_decode(text, size, &j, why, sizeof(why));

	if (r < 0) {
		if (r != -EBADMSG && r != -ENOMEM)
			abort();
		if (r == -EBADMSG && !why[0])
			abort();
		return;
	}
	/* recovery acts only under the journal's locks: there always are some */
	mvl_lockset_init(&set);
	if (mvl_link_journal_locks(&j, &set) < 0 || set.n == 0)
		abort();
	if (mvl_link_journal_encode(&j, &out) < 0)
		abort();
	if (mvl_link_journal_decode(out, strlen(out), &j2, why, sizeof(why)) < 0) {
		fprintf(stderr, "fuzz-journal: link journal: its encoding is refused: %s\n", why);
		abort();
	}
	if (mvl_link_journal_encode(&j2, &out2) < 0)
		abort();
	check("link journal", link_journal_fields, ARRAY_SIZE(link_journal_fields), text, size, &j,
	      out, &j2, out2);
	free(out);
	free(out2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the decoders take a length: no NUL needed, none added */
	char *text = malloc(size ? size : 1);
	static bool tables_checked;

	if (!tables_checked) {
		check_table("journal", journal_fields, ARRAY_SIZE(journal_fields),
			    sizeof(struct mvl_journal), _Alignof(struct mvl_journal));
		check_table("link journal", link_journal_fields, ARRAY_SIZE(link_journal_fields),
			    sizeof(struct mvl_link_journal), _Alignof(struct mvl_link_journal));
		tables_checked = true;
	}
	if (!text)
		return 0;
	memcpy(text, data, size);
	sriov(text, size);
	link_journal(text, size);
	free(text);
	return 0;
}
