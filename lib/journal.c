// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * journal.c - the JSON codec of the intent journals (devjournal.c: the
 * VF and PCI device journals; linkjournal.c: the link journals).
 *
 * One codec serves both kinds of journal: a table of field descriptors
 * (struct mvl_jfield: key, type, member, bounds, when it is there) per
 * journal, which encoding and decoding both walk in order; what a table
 * cannot say (a field checked against another) is a check function on the
 * field or the journal's finish() run after the last field.  A journal's
 * struct mvl_jformat names its header ("format", "version"), its table and
 * those functions.
 */
#include <stdarg.h>

#include <json-c/json.h>

#include "store.h"

/* The state of one decode: where the reason of a refusal goes. */
struct mvl_jdec {
	char *why;
	size_t len;
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

int mvl_jcodec_encode(const struct mvl_jformat *fmt, const void *j, char **ret_text)
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

int mvl_jdec_bad(struct mvl_jdec *d, const char *fmt, ...)
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

static int get_str(struct mvl_jdec *d, struct json_object *o, const char *key, char *buf,
		   size_t len)
{
	struct json_object *v = field(o, key, json_type_string);

	if (!v)
		return mvl_jdec_bad(d, "\"%s\" missing or not a string", key);
	if ((size_t)json_object_get_string_len(v) >= len ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return mvl_jdec_bad(d, "\"%s\" is too long or holds a NUL", key);
	strcpy(buf, json_object_get_string(v));
	return 0;
}

static int get_int(struct mvl_jdec *d, struct json_object *o, const char *key, long long min,
		   long long max, long long *ret)
{
	struct json_object *v = field(o, key, json_type_int);
	int64_t x;

	if (!v)
		return mvl_jdec_bad(d, "\"%s\" missing or not an integer", key);
	errno = 0;
	x = json_object_get_int64(v);
	/* json-c clamps a number above INT64_MAX to it, without errno */
	if (errno || x < min || x > max ||
	    (x == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX))
		return mvl_jdec_bad(d, "\"%s\" out of range (%lld..%lld)", key, min, max);
	*ret = x;
	return 0;
}

static int get_bool(struct mvl_jdec *d, struct json_object *o, const char *key, bool *ret)
{
	struct json_object *v = field(o, key, json_type_boolean);

	if (!v)
		return mvl_jdec_bad(d, "\"%s\" missing or not a boolean", key);
	*ret = json_object_get_boolean(v);
	return 0;
}

static int get_tristate(struct mvl_jdec *d, struct json_object *o, const char *key, int *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return mvl_jdec_bad(d, "\"%s\" missing", key);
	if (!v) {
		*ret = -1;
		return 0;
	}
	if (!json_object_is_type(v, json_type_boolean))
		return mvl_jdec_bad(d, "\"%s\" is not true, false or null", key);
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
static int bad_enum(struct mvl_jdec *d, const struct mvl_jfield *f)
{
	char list[128] = "";
	size_t n = 0, len = 0;

	while (f->names[n].name)
		n++;
	for (size_t i = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", enum_sep(i, n),
					f->names[i].name);
	return mvl_jdec_bad(d, "\"%s\" is %s %s", f->key, n == 2 ? "neither" : "not", list);
}

static int decode_fields(struct mvl_jdec *d, struct json_object *o, const struct mvl_jfield *fields,
			 void *base);

static int decode_enum(struct mvl_jdec *d, struct json_object *o, const struct mvl_jfield *f,
		       void *base)
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

static int decode_bits(struct mvl_jdec *d, struct json_object *o, const struct mvl_jfield *f,
		       void *base)
{
	struct json_object *a = field(o, f->key, json_type_array);
	unsigned *v = at(base, f->off);

	if (!a)
		return mvl_jdec_bad(d, "\"%s\" missing or not an array", f->key);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *c = json_object_array_get_idx(a, i);
		unsigned found = 0;

		for (unsigned bit = 1; bit && bit <= f->bits; bit <<= 1)
			if ((f->bits & bit) && c && json_object_is_type(c, json_type_string) &&
			    strcmp(json_object_get_string(c), f->bit_name(bit)) == 0)
				found = bit;
		if (!found)
			return mvl_jdec_bad(d, "\"%s\" holds an unknown attribute", f->key);
		*v |= found;
	}
	return 0;
}

static int decode_object(struct mvl_jdec *d, struct json_object *o, const struct mvl_jfield *f,
			 void *base)
{
	struct json_object *sub = field(o, f->key, json_type_object);
	const char *name = f->name ?: f->key;

	if (!sub)
		return f->cond == MVL_JC_ALWAYS || f->cond == MVL_JC_IF || f->cond == MVL_JC_FN ?
			       mvl_jdec_bad(d, "\"%s\" missing", name) :
			       mvl_jdec_bad(d, "\"%s\" is not an object", name);
	return decode_fields(d, sub, f->sub, at(base, f->off));
}

/* The value of @f from @o into @base; a string is checked before it is
 * copied, in a buffer of f->len, which may be longer than the member. */
static int decode_value(struct mvl_jdec *d, struct json_object *o, const struct mvl_jfield *f,
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
			r = mvl_jdec_bad(d, "\"%s\" is not a MAC address", f->key);
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
			return mvl_jdec_bad(d, "%s", why);
	}
	if (f->type == MVL_JT_STR) {
		if (strlen(buf) >= f->size) /* the check makes sure it fits */
			return mvl_jdec_bad(d, "\"%s\" is too long or holds a NUL", f->key);
		strcpy(at(base, f->off), buf);
	}
	return 0;
}

static int decode_field(struct mvl_jdec *d, struct json_object *o, const struct mvl_jfield *f,
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

static int decode_fields(struct mvl_jdec *d, struct json_object *o, const struct mvl_jfield *fields,
			 void *base)
{
	int r = 0;

	for (const struct mvl_jfield *f = fields; r == 0 && f->key; f++)
		r = decode_field(d, o, f, base);
	return r;
}

/* The object, "format" and "version" that every journal starts with. */
static int check_header(struct mvl_jdec *d, struct json_object *o, const struct mvl_jformat *fmt)
{
	char buf[80];
	long long v;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return mvl_jdec_bad(d, "not a JSON object");
	r = get_str(d, o, "format", buf, sizeof(buf));
	if (r < 0 || strcmp(buf, fmt->format) != 0)
		return mvl_jdec_bad(d, "not %s (\"format\")", fmt->what);
	r = get_int(d, o, "version", 1, INT_MAX, &v);
	if (r < 0)
		return r;
	if (v != fmt->version)
		return mvl_jdec_bad(d, "version %lld, written by a newer mvlink", v);
	return 0;
}

/* Parse @text as one strict JSON document (and nothing else). */
static int parse_json(struct mvl_jdec *d, const char *text, size_t len, struct json_object **ret)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error e;
	size_t end;

	if (len == 0)
		return mvl_jdec_bad(d, "empty file");
	if (len > MVL_JOURNAL_MAX_SIZE)
		return mvl_jdec_bad(d, "larger than %d bytes", MVL_JOURNAL_MAX_SIZE);
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
		return mvl_jdec_bad(d, "truncated (the JSON text ends early)");
	}
	if (e != json_tokener_success) {
		json_object_put(o);
		return mvl_jdec_bad(d, "not valid JSON: %s", json_tokener_error_desc(e));
	}
	for (; end < len; end++)
		if (text[end] == '\0' || !strchr(" \t\r\n", text[end])) {
			json_object_put(o);
			return mvl_jdec_bad(d, "trailing data after the JSON text");
		}
	*ret = o;
	return 0;
}

int mvl_jcodec_decode(const struct mvl_jformat *fmt, const char *text, size_t len, void *j,
		      char *why, size_t whylen)
{
	struct mvl_jdec d = { .why = why, .len = whylen };
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
