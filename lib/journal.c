// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * journal.c - the intent journals and their JSON codec.
 *
 *   <state_dir>/vf/<addr>.json      an SR-IOV VF given to a VM
 *   <state_dir>/pci/<addr>.json     a whole PCI device given to a VM
 *   <state_dir>/links/<op>-<16 hex>.json
 *                                   the intent journal of a tap, bridge,
 *                                   macvtap or ipvtap create at work (or
 *                                   crashed)
 *
 * A journal holds the original state of what an operation changes and is
 * written before the first change, atomically (statedir.c).  Decoding
 * validates every field, so a truncated or edited file gives a clear
 * error and never a wrong restore.
 *
 * One codec serves both kinds of journal: a table of field descriptors
 * (struct mvl_jfield: key, type, member, bounds, when it is there) per
 * journal, which encoding and decoding both walk in order; what a table
 * cannot say (a field checked against another) is a check function on the
 * field or the journal's finish() run after the last field.
 */
#include <stdarg.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>

#include <json-c/json.h>

#include "store.h"

#define JOURNAL_MAX_SIZE (64 * 1024)

/* ================================================================ codec */

struct dec {
	char *why;
	size_t len;
};

/* A kind of journal: its header and its fields. */
struct jformat {
	const char *format; /* the value of "format" */
	const char *what; /* "not <what> (\"format\")" */
	long long version;
	const struct mvl_jfield *fields;
	bool (*encodable)(const void *j);
	/* run after the last field: what no table can say */
	int (*finish)(struct dec *d, void *j);
};

static void *at(const void *base, size_t off)
{
	return (char *)base + off;
}

/* ------------------------------------------------------------- encoding */

static int add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* json-c's null is a NULL object */
static int add_tristate(struct json_object *o, const char *key, int v)
{
	if (v < 0)
		return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
	return add(o, key, json_object_new_boolean(v));
}

/* Whether @f is in the text of @base (the struct of @f's table). */
static bool cond_holds(const struct mvl_jfield *f, const void *base)
{
	switch (f->cond) {
	case MVL_JC_BOOL:
		return *(const bool *)at(base, f->cond_off);
	case MVL_JC_BIT:
		return *(const unsigned *)at(base, f->cond_off) & f->cond_val;
	case MVL_JC_IF:
		return *(const int *)at(base, f->cond_off) == (int)f->cond_val;
	case MVL_JC_FN:
		return f->cond_fn(base);
	case MVL_JC_ALWAYS:
		break;
	}
	return true;
}

/* A decoded field that was optional is there. */
static void cond_set(const struct mvl_jfield *f, void *base)
{
	if (f->cond == MVL_JC_BOOL)
		*(bool *)at(base, f->cond_off) = true;
	else if (f->cond == MVL_JC_BIT)
		*(unsigned *)at(base, f->cond_off) |= f->cond_val;
}

static long long get_member(const struct mvl_jfield *f, const void *base)
{
	const void *p = at(base, f->off);

	switch (f->size) {
	case sizeof(uint16_t):
		return *(const uint16_t *)p;
	case sizeof(int):
		return f->type == MVL_JT_UINT ? (long long)*(const unsigned *)p : *(const int *)p;
	default:
		return *(const long long *)p;
	}
}

static void set_member(const struct mvl_jfield *f, void *base, long long v)
{
	void *p = at(base, f->off);

	switch (f->size) {
	case sizeof(uint16_t):
		*(uint16_t *)p = (uint16_t)v;
		break;
	case sizeof(int):
		if (f->type == MVL_JT_UINT)
			*(unsigned *)p = (unsigned)v;
		else
			*(int *)p = (int)v;
		break;
	default:
		*(long long *)p = v;
	}
}

static const char *enum_name(const struct mvl_jfield *f, long long v)
{
	for (const struct mvl_jname *n = f->names; n->name; n++)
		if (n->value == v)
			return n->name;
	return f->names[0].name; /* vlan_proto: all but 802.1ad is 802.1Q */
}

static int encode_fields(struct json_object *o, const struct mvl_jfield *fields, const void *base);

static int encode_bits(struct json_object *o, const struct mvl_jfield *f, const void *base)
{
	struct json_object *a = json_object_new_array();
	unsigned v = *(const unsigned *)at(base, f->off);
	int r = add(o, f->key, a);

	for (unsigned bit = 1; r == 0 && bit && bit <= f->bits; bit <<= 1)
		if ((f->bits & bit) && (v & bit))
			r = json_object_array_add(a, json_object_new_string(f->bit_name(bit)));
	return r < 0 ? -ENOMEM : 0;
}

static int encode_field(struct json_object *o, const struct mvl_jfield *f, const void *base)
{
	struct json_object *sub;
	char mac[18];
	int r;

	if (!cond_holds(f, base))
		return 0;
	switch (f->type) {
	case MVL_JT_STR:
		return add(o, f->key, json_object_new_string(at(base, f->off)));
	case MVL_JT_INT:
	case MVL_JT_UINT:
		return add(o, f->key, json_object_new_int64(get_member(f, base)));
	case MVL_JT_BOOL:
		return add(o, f->key, json_object_new_boolean(*(const bool *)at(base, f->off)));
	case MVL_JT_TRI:
		return add_tristate(o, f->key, *(const int *)at(base, f->off));
	case MVL_JT_MAC:
		return add(o, f->key,
			   json_object_new_string(mvl_mac_format(at(base, f->off), mac)));
	case MVL_JT_ENUM:
		return add(o, f->key, json_object_new_string(enum_name(f, get_member(f, base))));
	case MVL_JT_BITS:
		return encode_bits(o, f, base);
	case MVL_JT_OBJECT:
		sub = json_object_new_object();
		r = add(o, f->key, sub);
		return r ?: encode_fields(sub, f->sub, at(base, f->off));
	case MVL_JT_GROUP:
		return encode_fields(o, f->sub, at(base, f->off));
	}
	return -EINVAL;
}

static int encode_fields(struct json_object *o, const struct mvl_jfield *fields, const void *base)
{
	int r = 0;

	for (const struct mvl_jfield *f = fields; r == 0 && f->key; f++)
		r = encode_field(o, f, base);
	return r;
}

static int encode(const struct jformat *fmt, const void *j, char **ret_text)
{
	struct json_object *o;
	const char *text;
	char *copy;
	int r;

	if (!fmt->encodable(j))
		return -EINVAL;
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	r = add(o, "format", json_object_new_string(fmt->format));
	r = r ?: add(o, "version", json_object_new_int64(fmt->version));
	r = r ?: encode_fields(o, fmt->fields, j);
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	copy = text ? strdup(text) : NULL;
	json_object_put(o);
	if (!copy)
		return -ENOMEM;
	*ret_text = copy;
	return 0;
}

/* ------------------------------------------------------------- decoding */

static int bad(struct dec *d, const char *fmt, ...) _printf_(2, 3);
static int bad(struct dec *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, d->len, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static struct json_object *field(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static int get_str(struct dec *d, struct json_object *o, const char *key, char *buf, size_t len)
{
	struct json_object *v = field(o, key, json_type_string);

	if (!v)
		return bad(d, "\"%s\" missing or not a string", key);
	if ((size_t)json_object_get_string_len(v) >= len ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return bad(d, "\"%s\" is too long or holds a NUL", key);
	strcpy(buf, json_object_get_string(v));
	return 0;
}

static int get_int(struct dec *d, struct json_object *o, const char *key, long long min,
		   long long max, long long *ret)
{
	struct json_object *v = field(o, key, json_type_int);
	int64_t x;

	if (!v)
		return bad(d, "\"%s\" missing or not an integer", key);
	errno = 0;
	x = json_object_get_int64(v);
	/* json-c clamps a number above INT64_MAX to it, without errno */
	if (errno || x < min || x > max ||
	    (x == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX))
		return bad(d, "\"%s\" out of range (%lld..%lld)", key, min, max);
	*ret = x;
	return 0;
}

static int get_bool(struct dec *d, struct json_object *o, const char *key, bool *ret)
{
	struct json_object *v = field(o, key, json_type_boolean);

	if (!v)
		return bad(d, "\"%s\" missing or not a boolean", key);
	*ret = json_object_get_boolean(v);
	return 0;
}

static int get_tristate(struct dec *d, struct json_object *o, const char *key, int *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return bad(d, "\"%s\" missing", key);
	if (!v) {
		*ret = -1;
		return 0;
	}
	if (!json_object_is_type(v, json_type_boolean))
		return bad(d, "\"%s\" is not true, false or null", key);
	*ret = json_object_get_boolean(v);
	return 0;
}

/* The separator before the @i-th of @n names in a message. */
static const char *enum_sep(size_t i, size_t n)
{
	if (i == 0)
		return "";
	if (i + 1 < n)
		return ", ";
	return n == 2 ? " nor " : " or ";
}

/* "\"mode\" is neither sriov nor pci", "\"op\" is not tap, bridge or macvtap" */
static int bad_enum(struct dec *d, const struct mvl_jfield *f)
{
	char list[128] = "";
	size_t n = 0, len = 0;

	while (f->names[n].name)
		n++;
	for (size_t i = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", enum_sep(i, n),
					f->names[i].name);
	return bad(d, "\"%s\" is %s %s", f->key, n == 2 ? "neither" : "not", list);
}

static int decode_fields(struct dec *d, struct json_object *o, const struct mvl_jfield *fields,
			 void *base);

static int decode_enum(struct dec *d, struct json_object *o, const struct mvl_jfield *f, void *base)
{
	char buf[80];
	int r = get_str(d, o, f->key, buf, f->len ?: sizeof(buf));

	if (r < 0)
		return r;
	for (const struct mvl_jname *n = f->names; n->name; n++)
		if (strcmp(n->name, buf) == 0) {
			set_member(f, base, n->value);
			return 0;
		}
	return bad_enum(d, f);
}

static int decode_bits(struct dec *d, struct json_object *o, const struct mvl_jfield *f, void *base)
{
	struct json_object *a = field(o, f->key, json_type_array);
	unsigned *v = at(base, f->off);

	if (!a)
		return bad(d, "\"%s\" missing or not an array", f->key);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *c = json_object_array_get_idx(a, i);
		unsigned found = 0;

		for (unsigned bit = 1; bit && bit <= f->bits; bit <<= 1)
			if ((f->bits & bit) && c && json_object_is_type(c, json_type_string) &&
			    strcmp(json_object_get_string(c), f->bit_name(bit)) == 0)
				found = bit;
		if (!found)
			return bad(d, "\"%s\" holds an unknown attribute", f->key);
		*v |= found;
	}
	return 0;
}

static int decode_object(struct dec *d, struct json_object *o, const struct mvl_jfield *f,
			 void *base)
{
	struct json_object *sub = field(o, f->key, json_type_object);
	const char *name = f->name ?: f->key;

	if (!sub)
		return f->cond == MVL_JC_ALWAYS || f->cond == MVL_JC_IF || f->cond == MVL_JC_FN ?
			       bad(d, "\"%s\" missing", name) :
			       bad(d, "\"%s\" is not an object", name);
	return decode_fields(d, sub, f->sub, at(base, f->off));
}

/* The value of @f from @o into @base; a string is checked before it is
 * copied, in a buffer of f->len, which may be longer than the member. */
static int decode_value(struct dec *d, struct json_object *o, const struct mvl_jfield *f,
			void *base)
{
	char buf[PATH_MAX];
	const void *val = at(base, f->off);
	long long v;
	int r;

	switch (f->type) {
	case MVL_JT_STR:
		r = get_str(d, o, f->key, buf, f->len ?: f->size);
		val = buf;
		break;
	case MVL_JT_INT:
	case MVL_JT_UINT:
		r = get_int(d, o, f->key, f->min, f->max, &v);
		if (r == 0)
			set_member(f, base, v);
		break;
	case MVL_JT_BOOL:
		r = get_bool(d, o, f->key, at(base, f->off));
		break;
	case MVL_JT_TRI:
		r = get_tristate(d, o, f->key, at(base, f->off));
		break;
	case MVL_JT_MAC:
		r = get_str(d, o, f->key, buf, 32);
		if (r == 0 && mvl_mac_parse(buf, at(base, f->off)) < 0)
			r = bad(d, "\"%s\" is not a MAC address", f->key);
		break;
	case MVL_JT_ENUM:
		r = decode_enum(d, o, f, base);
		break;
	case MVL_JT_BITS:
		r = decode_bits(d, o, f, base);
		break;
	case MVL_JT_OBJECT:
		r = decode_object(d, o, f, base);
		break;
	case MVL_JT_GROUP:
		r = decode_fields(d, o, f->sub, at(base, f->off));
		break;
	default:
		r = -EINVAL;
	}
	if (r < 0)
		return r;
	if (f->check) {
		const char *why = f->check(base, f, val);

		if (why)
			return bad(d, "%s", why);
	}
	if (f->type == MVL_JT_STR) {
		if (strlen(buf) >= f->size) /* the check makes sure it fits */
			return bad(d, "\"%s\" is too long or holds a NUL", f->key);
		strcpy(at(base, f->off), buf);
	}
	return 0;
}

static int decode_field(struct dec *d, struct json_object *o, const struct mvl_jfield *f,
			void *base)
{
	/* an optional field or group is there when its (first) key is */
	const char *key = f->type == MVL_JT_GROUP ? f->sub[0].key : f->key;
	bool optional = f->cond == MVL_JC_BOOL || f->cond == MVL_JC_BIT;
	int r;

	if ((f->cond == MVL_JC_IF || f->cond == MVL_JC_FN) && !cond_holds(f, base))
		return 0; /* not read */
	if (optional && !json_object_object_get_ex(o, key, NULL))
		return 0;
	r = decode_value(d, o, f, base);
	if (r == 0)
		cond_set(f, base);
	return r;
}

static int decode_fields(struct dec *d, struct json_object *o, const struct mvl_jfield *fields,
			 void *base)
{
	int r = 0;

	for (const struct mvl_jfield *f = fields; r == 0 && f->key; f++)
		r = decode_field(d, o, f, base);
	return r;
}

/* The object, "format" and "version" that every journal starts with. */
static int check_header(struct dec *d, struct json_object *o, const struct jformat *fmt)
{
	char buf[80];
	long long v;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return bad(d, "not a JSON object");
	r = get_str(d, o, "format", buf, sizeof(buf));
	if (r < 0 || strcmp(buf, fmt->format) != 0)
		return bad(d, "not %s (\"format\")", fmt->what);
	r = get_int(d, o, "version", 1, INT_MAX, &v);
	if (r < 0)
		return r;
	if (v != fmt->version)
		return bad(d, "version %lld, written by a newer mvlink", v);
	return 0;
}

/* Parse @text as one strict JSON document (and nothing else). */
static int parse_json(struct dec *d, const char *text, size_t len, struct json_object **ret)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error e;
	size_t end;

	if (len == 0)
		return bad(d, "empty file");
	if (len > JOURNAL_MAX_SIZE)
		return bad(d, "larger than %d bytes", JOURNAL_MAX_SIZE);
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (e == json_tokener_continue) {
		json_object_put(o);
		return bad(d, "truncated (the JSON text ends early)");
	}
	if (e != json_tokener_success) {
		json_object_put(o);
		return bad(d, "not valid JSON: %s", json_tokener_error_desc(e));
	}
	for (; end < len; end++)
		if (text[end] == '\0' || !strchr(" \t\r\n", text[end])) {
			json_object_put(o);
			return bad(d, "trailing data after the JSON text");
		}
	*ret = o;
	return 0;
}

/* Decode @text into @j (its defaults set by the caller); -EBADMSG with the
 * reason in @why. */
static int decode(const struct jformat *fmt, const char *text, size_t len, void *j, char *why,
		  size_t whylen)
{
	struct dec d = { .why = why, .len = whylen };
	struct json_object *o = NULL;
	int r;

	r = parse_json(&d, text, len, &o);
	if (r < 0)
		return r;
	r = check_header(&d, o, fmt);
	r = r ?: decode_fields(&d, o, fmt->fields, j);
	r = r ?: fmt->finish(&d, j);
	json_object_put(o);
	return r;
}

/* ------------------------------------------------------ field descriptors */

/* clang-format off */
/* F(struct, "key", member, type[, .designator = value...]) */
#define F(T, k, m, t, ...) \
	{ .key = k, .type = t, .off = offsetof(T, m), .size = sizeof(((T *)0)->m), __VA_ARGS__ }
/* an object whose fields' offsets are of the same struct */
#define OBJ(k, fields, ...) { .key = k, .type = MVL_JT_OBJECT, .sub = fields, __VA_ARGS__ }
#define END { .key = NULL }
#define IF_BOOL(T, m) .cond = MVL_JC_BOOL, .cond_off = offsetof(T, m)
#define IF_IS(T, m, v) .cond = MVL_JC_IF, .cond_off = offsetof(T, m), .cond_val = v
#define IF_FN(fn) .cond = MVL_JC_FN, .cond_fn = fn
#define RANGE(a, b) .min = a, .max = b
#define CHECK(fn, msg) .check = fn, .why = msg
/* clang-format on */

/* A check that returns f->why when @pred of the string is false. */
#define STR_CHECK(name, pred)                                                                  \
	static const char *name(const void *base, const struct mvl_jfield *f, const void *val) \
	{                                                                                      \
		const char *s = val;                                                           \
		return (pred) ? NULL : f->why;                                                 \
	}

STR_CHECK(check_ifname, mvl_ifname_check(s) == 0)
STR_CHECK(check_ifname_or_empty, !s[0] || mvl_ifname_check(s) == 0)
STR_CHECK(check_vm_id, mvl_vm_id_check(s) == 0)

/* IFLA_INFO_KIND as the kernel names kinds: [a-z0-9_-], may be empty. */
static bool kind_valid(const char *kind)
{
	for (const char *p = kind; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '-'))
			return false;
	return true;
}

STR_CHECK(check_kind, kind_valid(s))

/* ============================================== VF and PCI device journals */

#define JOURNAL_VERSION 1
#define J(k, m, t, ...) F(struct mvl_journal, k, m, t, __VA_ARGS__)

static const struct mvl_jname jmode_names[] = {
	{ "sriov", MVL_MODE_SRIOV },
	{ "pci", MVL_MODE_PCI },
	{ NULL, 0 },
};

static const struct mvl_jname jstate_names[] = {
	{ "attaching", MVL_J_ATTACHING },
	{ "attached", MVL_J_ATTACHED },
	{ "releasing", MVL_J_RELEASING },
	{ NULL, 0 },
};

/* ---- the VF attributes' original values ("sriov.orig") ----------------
 * One row per MVL_VF_A_* attribute, at the index of its bit, listing its
 * JSON keys: the row is there when the attribute's bit is in .have (and
 * the row's first key in the text).  The order of the rows is the order
 * of the keys in the text. */
#define VF_A_INDEX(bit) __builtin_ctz(bit)
#define VF_ORIG(bit, ...)                                                      \
	[VF_A_INDEX(bit)] = { .key = "" /* (a group has none) */,              \
			      .type = MVL_JT_GROUP,                            \
			      .cond = MVL_JC_BIT,                              \
			      .cond_off = offsetof(struct mvl_vf_state, have), \
			      .cond_val = bit,                                 \
			      .sub = (const struct mvl_jfield[]){ __VA_ARGS__, END } }
#define VF(k, m, t, ...) F(struct mvl_vf_state, k, m, t, __VA_ARGS__)

/* IFLA_VF_LINK_STATE_* as the journal names them */
static const struct mvl_jname vf_link_state_json[] = {
	{ "auto", IFLA_VF_LINK_STATE_AUTO },
	{ "enable", IFLA_VF_LINK_STATE_ENABLE },
	{ "disable", IFLA_VF_LINK_STATE_DISABLE },
	{ NULL, 0 },
};

/* ETH_P_* as the journal names them (anything else is written 802.1Q) */
static const struct mvl_jname vf_vlan_proto_json[] = {
	{ "802.1Q", ETH_P_8021Q },
	{ "802.1ad", ETH_P_8021AD },
	{ NULL, 0 },
};

static const struct mvl_jfield vf_orig_fields[] = {
	VF_ORIG(MVL_VF_A_MAC, VF("mac", mac, MVL_JT_MAC)),
	VF_ORIG(MVL_VF_A_VLAN, VF("vlan", vlan, MVL_JT_UINT, RANGE(0, 4095)),
		VF("qos", qos, MVL_JT_UINT, RANGE(0, 7)),
		VF("vlan_proto", vlan_proto, MVL_JT_ENUM, .names = vf_vlan_proto_json, .len = 32)),
	VF_ORIG(MVL_VF_A_SPOOFCHK, VF("spoofchk", spoofchk, MVL_JT_TRI)),
	VF_ORIG(MVL_VF_A_TRUST, VF("trust", trust, MVL_JT_TRI)),
	VF_ORIG(MVL_VF_A_LINK_STATE,
		VF("link_state", link_state, MVL_JT_ENUM, .names = vf_link_state_json, .len = 32)),
	VF_ORIG(MVL_VF_A_RATE, VF("min_tx_rate", min_tx_rate, MVL_JT_UINT, RANGE(0, UINT32_MAX)),
		VF("max_tx_rate", max_tx_rate, MVL_JT_UINT, RANGE(0, UINT32_MAX))),
	VF_ORIG(MVL_VF_A_QUERY_RSS, VF("query_rss", query_rss, MVL_JT_TRI)),
	END,
};
/* ---- end of the VF attributes' rows ---------------------------------- */

/* "device": a normalised PCI address, or (a VF only) "<pf>:vf<N>" */
static const char *check_device(const void *base, const struct mvl_jfield *f, const void *val)
{
	const struct mvl_journal *j = base;

	if (!mvl_dev_name_valid(val) ||
	    (j->mode != MVL_MODE_SRIOV && mvl_dev_lock_kind(val) == MVL_LOCK_VF))
		return "\"device\" is neither a PCI address nor a VF name";
	return NULL;
}

static const char *check_drivers(const void *base, const struct mvl_jfield *f, const void *val)
{
	const struct mvl_journal *j = base;
	const char *override = val;

	if ((j->driver[0] && !mvl_driver_name_valid(j->driver)) ||
	    (override[0] && !mvl_driver_name_valid(override)))
		return "\"driver\" or \"driver_override\" is not a driver name";
	return NULL;
}

static const char *check_devnode(const void *base, const struct mvl_jfield *f, const void *val)
{
	const struct mvl_journal *j = base;

	return j->iommu_group < 0 ? "\"devnode\" without an IOMMU group" : NULL;
}

/* The VF named "<pf>:vf<N>" (no PCI function) of @j, or false. */
static bool netdev_vf(const struct mvl_journal *j, char pf[IFNAMSIZ], unsigned *vf)
{
	return mvl_vf_name_parse(j->addr, pf, vf) == 0;
}

static const char *check_pf(const void *base, const struct mvl_jfield *f, const void *val)
{
	char addr[MVL_PCI_ADDR_LEN], pf[IFNAMSIZ];
	const char *s = val;
	unsigned vf;

	if (netdev_vf(base, pf, &vf))
		return s[0] ? "\"pf\" of a VF without PCI function is not empty" : NULL;
	if (mvl_pci_addr_parse(s, addr) < 0 || strcmp(s, addr) != 0)
		return "\"pf\" is not a PCI address";
	return NULL;
}

/* such a VF is its PF's settings only: named after both, never vfio */
static const char *check_vf(const void *base, const struct mvl_jfield *f, const void *val)
{
	const struct mvl_journal *j = base;
	char pf[IFNAMSIZ];
	unsigned vf;

	if (!netdev_vf(j, pf, &vf))
		return NULL;
	if (strcmp(pf, j->pf_ifname) != 0 || vf != (unsigned)j->vf)
		return "the VF name does not match \"pf_ifname\" and \"vf\"";
	if (j->vfio || j->has_devnode)
		return "a VF without PCI function cannot be on vfio-pci";
	return NULL;
}

#define OWNER(T)                                                            \
	F(T, "pid", pid, MVL_JT_INT, RANGE(0, INT_MAX)),                    \
		F(T, "start", pid_start, MVL_JT_UINT, RANGE(0, INT64_MAX)), \
		F(T, "boot_id", boot_id, MVL_JT_STR), END

static const struct mvl_jfield journal_fields[] = {
	J("mode", mode, MVL_JT_ENUM, .names = jmode_names),
	J("state", state, MVL_JT_ENUM, .names = jstate_names),
	J("device", addr, MVL_JT_STR, .len = 80, .check = check_device),
	J("vm", vm_id, MVL_JT_STR, CHECK(check_vm_id, "\"vm\" is not a VM id")),
	OBJ("owner", ((const struct mvl_jfield[]){ OWNER(struct mvl_journal) })),
	J("vfio", vfio, MVL_JT_BOOL),
	J("iommu_group", iommu_group, MVL_JT_INT, RANGE(-1, INT_MAX)),
	OBJ("orig",
	    ((const struct mvl_jfield[]){
		    J("driver", driver, MVL_JT_STR),
		    J("driver_override", driver_override, MVL_JT_STR, .check = check_drivers),
		    OBJ("devnode",
			((const struct mvl_jfield[]){
				J("uid", dev_uid, MVL_JT_INT, RANGE(0, UINT32_MAX - 1)),
				J("gid", dev_gid, MVL_JT_INT, RANGE(0, UINT32_MAX - 1)), END }),
			IF_BOOL(struct mvl_journal, has_devnode), .check = check_devnode),
		    END })),
	OBJ("sriov",
	    ((const struct mvl_jfield[]){
		    J("pf", pf_addr, MVL_JT_STR, .len = 32, .check = check_pf),
		    J("pf_ifname", pf_ifname, MVL_JT_STR,
		      CHECK(check_ifname_or_empty, "\"pf_ifname\" is not an interface name")),
		    J("vf", vf, MVL_JT_INT, RANGE(0, MVL_VF_INDEX_MAX), .check = check_vf),
		    J("changes", vf_changes, MVL_JT_BITS, .bits = MVL_VF_A_ALL,
		      .bit_name = mvl_vf_attr_name),
		    OBJ("orig", vf_orig_fields, .name = "sriov.orig",
			.off = offsetof(struct mvl_journal, vf_orig)),
		    END }),
	    IF_IS(struct mvl_journal, mode, MVL_MODE_SRIOV)),
	END,
};

static bool journal_encodable(const void *p)
{
	const struct mvl_journal *j = p;

	return (j->mode == MVL_MODE_SRIOV || j->mode == MVL_MODE_PCI) &&
	       j->state >= MVL_J_ATTACHING && j->state <= MVL_J_RELEASING &&
	       !(j->vf_orig.have & MVL_VF_A_LINK_STATE && (unsigned)j->vf_orig.link_state > 2);
}

static int journal_finish(struct dec *d, void *p)
{
	struct mvl_journal *j = p;
	struct mvl_vf_state *s = &j->vf_orig;

	if (j->mode != MVL_MODE_SRIOV)
		return 0;
	s->vf = j->vf;
	/* a change whose original value is unknown could not be undone */
	if (j->vf_changes & ~s->have & ~(unsigned)MVL_VF_A_MAC)
		return bad(d, "\"changes\" names an attribute without its original value");
	if ((j->vf_changes & MVL_VF_A_MAC) && !(s->have & MVL_VF_A_MAC))
		return bad(d, "\"changes\" names the MAC without its original value");
	return 0;
}

static const struct jformat journal_format = {
	.format = "mvlink-journal",
	.what = "an mvlink journal",
	.version = JOURNAL_VERSION,
	.fields = journal_fields,
	.encodable = journal_encodable,
	.finish = journal_finish,
};

int mvl_journal_encode(const struct mvl_journal *j, char **ret_text)
{
	return encode(&journal_format, j, ret_text);
}

int mvl_journal_decode(const char *text, size_t len, struct mvl_journal *ret, char *why,
		       size_t whylen)
{
	struct mvl_journal j = { .iommu_group = -1, .vf = -1 };
	int r = decode(&journal_format, text, len, &j, why, whylen);

	if (r < 0)
		return r;
	*ret = j;
	return 0;
}

bool mvl_journal_owner_alive(const struct mvl_journal *j)
{
	return mvl_owner_alive(j->pid, j->pid_start, j->boot_id);
}

/* ------------------------------------------------------------ the files */

static const char *mode_dir(enum mvl_mode mode)
{
	return mode == MVL_MODE_SRIOV ? "vf" : "pci";
}

int mvl_journal_path(struct mvl_ctx *ctx, enum mvl_mode mode, const char *addr, char *buf,
		     size_t len)
{
	int n = snprintf(buf, len, "%s/%s/%s.json", mvl_ctx_get_state_dir(ctx), mode_dir(mode),
			 addr);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int mvl_journal_write(struct mvl_ctx *ctx, struct mvl_journal *j)
{
	_cleanup_free_ char *text = NULL;
	char name[64];
	int r;

	mvl_owner_stamp_ctx(ctx, &j->pid, &j->pid_start, j->boot_id);
	r = mvl_journal_encode(j, &text);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot encode the journal of %s", j->addr);
	snprintf(name, sizeof(name), "%s.json", j->addr);
	return mvl_statedir_write(ctx, mode_dir(j->mode), name, "journal", text);
}

static int read_one(struct mvl_ctx *ctx, const char *path, struct mvl_journal *ret)
{
	_cleanup_free_ char *buf = NULL;
	char why[256] = "";
	size_t len = 0;
	int r;

	r = mvl_statedir_read(path, JOURNAL_MAX_SIZE, &buf, &len, why, sizeof(why));
	if (r == 0)
		r = mvl_journal_decode(buf, len, ret, why, sizeof(why));
	if (r != -EBADMSG)
		return r;
	return mvl_fail(ctx, -EBADMSG,
			"journal %s is corrupt: %s; nothing was done.  Check the device by hand "
			"(driver, VF settings), then remove the file",
			path, why);
}

static const enum mvl_mode journal_modes[] = { MVL_MODE_SRIOV, MVL_MODE_PCI };

int mvl_journal_read(struct mvl_ctx *ctx, const char *addr, struct mvl_journal *ret)
{
	struct mvl_journal j;
	char path[PATH_MAX], found[PATH_MAX] = "";
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(journal_modes); i++) {
		r = mvl_journal_path(ctx, journal_modes[i], addr, path, sizeof(path));
		if (r < 0)
			return r;
		r = read_one(ctx, path, &j);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r == -EBADMSG ? r :
					       mvl_fail(ctx, r, "cannot read journal %s: %s", path,
							MVL_STRERROR(r));
		if (found[0])
			return mvl_fail(
				ctx, -EBADMSG,
				"%s has two journals, %s and %s; remove the wrong one by hand",
				addr, found, path);
		if (j.mode != journal_modes[i] || strcmp(j.addr, addr) != 0)
			return mvl_fail(
				ctx, -EBADMSG,
				"journal %s describes %s device %s; it does not belong there", path,
				mvl_mode_to_string(j.mode), j.addr);
		snprintf(found, sizeof(found), "%s", path);
		*ret = j;
	}
	return found[0] ? 0 : -ENOENT;
}

int mvl_journal_remove(struct mvl_ctx *ctx, const struct mvl_journal *j)
{
	char path[PATH_MAX];
	int r;

	r = mvl_journal_path(ctx, j->mode, j->addr, path, sizeof(path));
	if (r < 0)
		return r;
	return mvl_statedir_unlink(ctx, path, "journal");
}

/* "<device>.json" into @name: false when it is not such a name */
static bool journal_file_dev(const char *file, char name[64])
{
	size_t n = strlen(file);

	if (n <= 5 || n - 5 >= 64 || strcmp(file + n - 5, ".json"))
		return false;
	memcpy(name, file, n - 5);
	name[n - 5] = '\0';
	return mvl_dev_name_valid(name);
}

static bool journal_file_valid(const char *file)
{
	char name[64];

	return journal_file_dev(file, name);
}

struct journal_foreach {
	int (*cb)(struct mvl_ctx *ctx, const char *addr, void *data);
	void *data;
};

static int journal_foreach_one(struct mvl_ctx *ctx, const char *file, void *data)
{
	struct journal_foreach *f = data;
	char name[64];

	journal_file_dev(file, name);
	return f->cb(ctx, name, f->data);
}

int mvl_journal_foreach(struct mvl_ctx *ctx,
			int (*cb)(struct mvl_ctx *ctx, const char *addr, void *data), void *data)
{
	struct journal_foreach f = { .cb = cb, .data = data };
	char dir[PATH_MAX];
	int r = 0;

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(journal_modes); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", mvl_ctx_get_state_dir(ctx),
			 mode_dir(journal_modes[i]));
		r = mvl_statedir_foreach(ctx, dir, journal_file_valid, journal_foreach_one, &f);
	}
	return r;
}

/* ======================================================== link journals */

#define LINK_JOURNAL_VERSION 1
#define L(k, m, t, ...) F(struct mvl_link_journal, k, m, t, __VA_ARGS__)

static const struct mvl_jname lj_op_names[] = {
	{ "tap", MVL_LJ_TAP },
	{ "bridge", MVL_LJ_BRIDGE },
	{ "macvtap", MVL_LJ_MACVTAP },
	{ "ipvtap", MVL_LJ_IPVTAP },
	{ NULL, 0 },
};

/* The parts the journal of each op has, beside its name above. */
static const struct lj_op_parts {
	const char *link;  /* the IFLA kind of its link (NULL: none; a bridge) */
	bool link_always;  /* the link is always there (a tap); else it may be
			    * adopted, with only its lower or node changed */
	bool on_lower;     /* the link sits on a lower device it names */
} lj_op_parts[] = {
	[MVL_LJ_TAP] = { "tun", true, false },
	[MVL_LJ_BRIDGE] = { NULL, false, false },
	[MVL_LJ_MACVTAP] = { "macvtap", false, true },
	[MVL_LJ_IPVTAP] = { "ipvtap", false, true },
};

const char *mvl_lj_op_name(enum mvl_lj_op op)
{
	for (const struct mvl_jname *n = lj_op_names; n->name; n++)
		if (n->value == (int)op)
			return n->name;
	return NULL;
}

static const struct lj_op_parts *lj_parts(enum mvl_lj_op op)
{
	return (unsigned)op < ARRAY_SIZE(lj_op_parts) && mvl_lj_op_name(op) ? &lj_op_parts[op] :
									   NULL;
}

/* Whether the link of the journal at @base names its lower device. */
static bool lj_on_lower(const void *base)
{
	const struct lj_op_parts *p = lj_parts(((const struct mvl_link_journal *)base)->op);

	return p && p->on_lower;
}

static bool lj_op_valid(const char *s)
{
	for (const struct mvl_jname *n = lj_op_names; n->name; n++)
		if (strcmp(n->name, s) == 0)
			return true;
	return false;
}

static bool lj_dev_valid(const struct mvl_lj_dev *dv)
{
	if (!dv->set)
		return true;
	return dv->ifindex > 0 && kind_valid(dv->kind) && mvl_ifname_check(dv->name) == 0;
}

/* Whether @vm fits @op: a VM id; none only for a bridge. */
static bool lj_vm_valid(enum mvl_lj_op op, const char *vm)
{
	return vm[0] ? mvl_vm_id_check(vm) == 0 : op == MVL_LJ_BRIDGE;
}

/* Whether @name fits @op: an interface name; none for a bridge. */
static bool lj_name_valid(enum mvl_lj_op op, const char *name)
{
	return op == MVL_LJ_BRIDGE ? name[0] == '\0' : mvl_ifname_check(name) == 0;
}

/* What decode() also checks: the parts an operation has, and nothing else. */
static bool lj_consistent(const struct mvl_link_journal *j)
{
	const struct lj_op_parts *parts = lj_parts(j->op);

	if (!parts || !lj_vm_valid(j->op, j->vm_id) || !lj_name_valid(j->op, j->name))
		return false;
	if (j->link.set && strcmp(j->link.name, j->name) != 0)
		return false;
	if (!lj_dev_valid(&j->bridge) || !lj_dev_valid(&j->uplink) || !lj_dev_valid(&j->link) ||
	    !lj_dev_valid(&j->lower))
		return false;
	if ((j->bridge_created || j->bridge_brought_up) && !j->bridge.set)
		return false;
	if (j->bridge.set && strcmp(j->bridge.kind, "bridge") != 0)
		return false;
	if (j->bridge_created && j->bridge_brought_up)
		return false;
	if (j->uplink.set && !j->bridge.set)
		return false;
	if (!parts->link) {
		/* a bridge: created or brought up */
		if (!j->bridge.set || j->link.set || j->lower.set || j->has_node)
			return false;
	} else if (parts->link_always) {
		if (!j->link.set || strcmp(j->link.kind, parts->link) != 0 || j->lower.set ||
		    j->has_node || j->link_lower)
			return false;
	} else {
		/* a link created, or an adopted one's lower or node changed */
		if (j->bridge.set || j->uplink.set ||
		    (!j->link.set && !j->lower.set && !j->has_node))
			return false;
		if (j->link.set ? strcmp(j->link.kind, parts->link) != 0 || j->link_lower <= 0 :
				  j->link_lower != 0)
			return false;
		if (j->lower.set && j->link.set && j->lower.ifindex != j->link_lower)
			return false;
	}
	if ((j->lower_set_mac || j->lower_was_down) && !j->lower.set)
		return false;
	if (j->has_node && (j->node[0] != '/' || strstr(j->node, "/..") || j->node_mode > 07777 ||
			    j->node_uid < 0 || j->node_gid < 0 || j->node_uid > UINT32_MAX - 1 ||
			    j->node_gid > UINT32_MAX - 1))
		return false;
	return true;
}

static const char *check_lj_vm(const void *base, const struct mvl_jfield *f, const void *val)
{
	const struct mvl_link_journal *j = base;

	return lj_vm_valid(j->op, val) ? NULL : "\"vm\" is not a VM id";
}

static const char *check_lj_name(const void *base, const struct mvl_jfield *f, const void *val)
{
	const struct mvl_link_journal *j = base;

	return lj_name_valid(j->op, val) ? NULL : "\"name\" is not an interface name";
}

/* the fields of a part {"name", "ifindex", "kind"}, then its own */
#define LJ_DEV(part, ...)                                                                  \
	OBJ(#part,                                                                         \
	    ((const struct mvl_jfield[]){                                                  \
		    L("name", part.name, MVL_JT_STR,                                       \
		      CHECK(check_ifname, "\"" #part ".name\" is not an interface name")), \
		    L("ifindex", part.ifindex, MVL_JT_INT, RANGE(1, INT_MAX)),             \
		    L("kind", part.kind, MVL_JT_STR,                                       \
		      CHECK(check_kind, "\"" #part ".kind\" is not a link kind")),         \
		    __VA_ARGS__, END }),                                                   \
	    IF_BOOL(struct mvl_link_journal, part.set))

static const struct mvl_jfield link_journal_fields[] = {
	L("op", op, MVL_JT_ENUM, .names = lj_op_names),
	L("vm", vm_id, MVL_JT_STR, .check = check_lj_vm),
	L("name", name, MVL_JT_STR, .check = check_lj_name),
	L("netns", netns, MVL_JT_UINT, RANGE(1, INT64_MAX)),
	OBJ("owner", ((const struct mvl_jfield[]){ OWNER(struct mvl_link_journal) })),
	LJ_DEV(bridge, L("created", bridge_created, MVL_JT_BOOL),
	       L("brought_up", bridge_brought_up, MVL_JT_BOOL)),
	LJ_DEV(uplink, L("was_down", uplink_was_down, MVL_JT_BOOL)),
	LJ_DEV(link, L("lower", link_lower, MVL_JT_INT, RANGE(1, INT_MAX), IF_FN(lj_on_lower))),
	LJ_DEV(lower, L("mac", lower_mac, MVL_JT_MAC),
	       L("new_mac", lower_new_mac, MVL_JT_MAC,
		 IF_BOOL(struct mvl_link_journal, lower_set_mac)),
	       L("was_down", lower_was_down, MVL_JT_BOOL)),
	OBJ("node",
	    ((const struct mvl_jfield[]){
		    L("path", node, MVL_JT_STR),
		    L("major", node_major, MVL_JT_UINT, RANGE(0, 4095)),
		    L("minor", node_minor, MVL_JT_UINT, RANGE(0, (1 << 20) - 1)),
		    L("uid", node_uid, MVL_JT_INT, RANGE(0, UINT32_MAX - 1)),
		    L("gid", node_gid, MVL_JT_INT, RANGE(0, UINT32_MAX - 1)),
		    L("mode", node_mode, MVL_JT_UINT, RANGE(0, 07777)), END }),
	    IF_BOOL(struct mvl_link_journal, has_node)),
	END,
};

static bool lj_encodable(const void *j)
{
	return lj_consistent(j);
}

static int lj_finish(struct dec *d, void *p)
{
	const struct mvl_link_journal *j = p;

	if (!lj_consistent(j))
		return bad(d, "the parts do not fit a %s operation", mvl_lj_op_name(j->op));
	return 0;
}

static const struct jformat link_journal_format = {
	.format = "mvlink-link-journal",
	.what = "an mvlink link journal",
	.version = LINK_JOURNAL_VERSION,
	.fields = link_journal_fields,
	.encodable = lj_encodable,
	.finish = lj_finish,
};

int mvl_link_journal_encode(const struct mvl_link_journal *j, char **ret_text)
{
	return encode(&link_journal_format, j, ret_text);
}

int mvl_link_journal_decode(const char *text, size_t len, struct mvl_link_journal *ret, char *why,
			    size_t whylen)
{
	struct mvl_link_journal j = { .op = MVL_LJ_TAP };
	int r = decode(&link_journal_format, text, len, &j, why, whylen);

	if (r < 0)
		return r;
	*ret = j;
	return 0;
}

int mvl_link_journal_locks(const struct mvl_link_journal *j, struct mvl_lockset *set)
{
	int r = 0;

	if (j->bridge.set)
		r = mvl_lockset_add(set, MVL_LOCK_BRIDGE, j->bridge.name);
	if (r == 0 && j->uplink.set)
		r = mvl_lockset_add(set, MVL_LOCK_UPLINK, j->uplink.name);
	if (r == 0 && j->lower.set)
		r = mvl_lockset_add(set, MVL_LOCK_UPLINK, j->lower.name);
	if (r == 0 && j->name[0])
		r = mvl_lockset_add(set, MVL_LOCK_NAME, j->name);
	return r;
}

/* "<op>-<16 hex>.json" */
static bool lj_file_valid(const char *file)
{
	const char *dash = strchr(file, '-');
	size_t n = strlen(file);
	char op[16];

	if (!dash || n != (size_t)(dash - file) + 1 + 16 + 5 || strcmp(file + n - 5, ".json"))
		return false;
	if ((size_t)(dash - file) >= sizeof(op))
		return false;
	snprintf(op, sizeof(op), "%.*s", (int)(dash - file), file);
	if (!lj_op_valid(op))
		return false;
	for (const char *p = dash + 1; p < file + n - 5; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

int mvl_link_journal_write(struct mvl_ctx *ctx, struct mvl_link_journal *j)
{
	_cleanup_free_ char *text = NULL;
	int r;

	mvl_owner_stamp_ctx(ctx, &j->pid, &j->pid_start, j->boot_id);
	r = mvl_netns_id(&j->netns);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot identify the network namespace: %s",
				MVL_STRERROR(r));
	r = mvl_link_journal_encode(j, &text);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot encode the journal of a %s create",
				mvl_lj_op_name(j->op) ?: "?");
	if (!j->file[0]) {
		uint8_t rnd[8];

		r = mvl_random_bytes(rnd, sizeof(rnd));
		if (r < 0)
			return mvl_fail(ctx, r, "cannot get random bytes");
		snprintf(j->file, sizeof(j->file), "%s-%02x%02x%02x%02x%02x%02x%02x%02x.json",
			 mvl_lj_op_name(j->op), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
			 rnd[6], rnd[7]);
	}
	return mvl_statedir_write(ctx, "links", j->file, "journal", text);
}

int mvl_link_journal_remove(struct mvl_ctx *ctx, struct mvl_link_journal *j)
{
	char path[PATH_MAX];
	int r, n;

	if (!j->file[0])
		return 0;
	n = snprintf(path, sizeof(path), "%s/links/%s", mvl_ctx_get_state_dir(ctx), j->file);
	if (n < 0 || (size_t)n >= sizeof(path))
		return mvl_fail(ctx, -ENAMETOOLONG, "journal path too long");
	r = mvl_statedir_unlink(ctx, path, "journal");
	if (r == 0)
		j->file[0] = '\0';
	return r;
}

int mvl_link_journal_read(struct mvl_ctx *ctx, const char *file, struct mvl_link_journal *ret)
{
	_cleanup_free_ char *buf = NULL;
	char path[PATH_MAX], why[256] = "";
	size_t len = 0;
	int r, n;

	if (!lj_file_valid(file))
		return -EINVAL;
	n = snprintf(path, sizeof(path), "%s/links/%s", mvl_ctx_get_state_dir(ctx), file);
	if (n < 0 || (size_t)n >= sizeof(path))
		return mvl_fail(ctx, -ENAMETOOLONG, "journal path too long");
	r = mvl_statedir_read(path, JOURNAL_MAX_SIZE, &buf, &len, why, sizeof(why));
	if (r == 0)
		r = mvl_link_journal_decode(buf, len, ret, why, sizeof(why));
	if (r == -EBADMSG)
		return mvl_fail(ctx, r,
				"journal %s is corrupt: %s; nothing was done.  Check the links it "
				"may name by hand (ip -d link), then remove the file",
				path, why);
	if (r == -ENOENT)
		return r;
	if (r < 0)
		return mvl_fail(ctx, r, "cannot read journal %s: %s", path, MVL_STRERROR(r));
	snprintf(ret->file, sizeof(ret->file), "%s", file);
	return 0;
}

int mvl_link_journal_foreach(struct mvl_ctx *ctx,
			     int (*cb)(struct mvl_ctx *ctx, const char *file, void *data),
			     void *data)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/links", mvl_ctx_get_state_dir(ctx));
	/* not temp files ('.'), nor strangers */
	return mvl_statedir_foreach(ctx, dir, lj_file_valid, cb, data);
}
