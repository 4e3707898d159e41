// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * output.c - one print path for text and JSON (iproute2's print_*() idea).
 *
 * Commands describe their result once, with out_object_open()/out_str()/...
 * With --json the calls build a json-c document that out_finish() prints
 * (exactly one document per run: the result, or {"error": ...} instead).
 * Without it they print text at once:
 *   - an object prints as "key: value" lines (blocks separated by a blank
 *     line);
 *   - an array opened with out_table_open() prints its objects as the rows
 *     of a table, under a header made of the upper-cased keys, with the
 *     column widths of the widest cell.
 * PRINT_JSON values are left out of the text, PRINT_TEXT out of the JSON.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "mvlink.h"

#define OUT_MAX_DEPTH 8

enum layout {
	LAYOUT_LINES, /* text: "key: value" */
	LAYOUT_LIST,  /* text: an array of blocks */
	LAYOUT_TABLE, /* text: an array of rows */
	LAYOUT_ROW,   /* text: cells of a table row */
};

struct row {
	char **cells;
	size_t n;
};

static struct {
	bool json;
	bool printed;          /* the JSON document went out */
	bool blocks;           /* a text block was printed (blank line before the next) */
	struct json_object *root;
	struct json_object *stack[OUT_MAX_DEPTH];
	enum layout layout[OUT_MAX_DEPTH];
	unsigned depth;
	/* the table being collected (text) */
	const char *const *columns; /* the header of an empty table */
	char **header;
	size_t n_cols;
	struct row *rows;
	size_t n_rows;
} out;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "mvlink: out of memory\n");
		exit(EXIT_FAILED);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	return strcpy(xrealloc(NULL, strlen(s) + 1), s);
}

void out_init(bool json)
{
	out.json = json;
	/* a fresh document: fuzz/fuzz-cli.c parses many command lines */
	out.printed = false;
	out.blocks = false;
}

static bool wants(enum out_kind kind)
{
	return out.json ? kind != PRINT_TEXT : kind != PRINT_JSON;
}

static enum layout cur_layout(void)
{
	return out.depth ? out.layout[out.depth - 1] : LAYOUT_LINES;
}

/* JSON: attach @val as @key of the current object, or append it to the
 * current array, or make it the document. */
static void json_add(const char *key, struct json_object *val)
{
	struct json_object *cur = out.depth ? out.stack[out.depth - 1] : NULL;

	if (!cur) {
		json_object_put(out.root);
		out.root = val;
	} else if (json_object_is_type(cur, json_type_array)) {
		json_object_array_add(cur, val);
	} else {
		json_object_object_add(cur, key, val);
	}
}

static void push(const char *key, struct json_object *obj, enum layout layout)
{
	if (out.depth >= OUT_MAX_DEPTH) {
		fprintf(stderr, "mvlink: output nested too deeply\n");
		exit(EXIT_FAILED);
	}
	if (out.json)
		json_add(key, json_object_get(obj));
	out.stack[out.depth] = obj;
	out.layout[out.depth] = layout;
	out.depth++;
}

static void pop(void)
{
	if (!out.depth)
		return;
	out.depth--;
	json_object_put(out.stack[out.depth]);
	out.stack[out.depth] = NULL;
}

void out_object_open(const char *key)
{
	enum layout l = cur_layout() == LAYOUT_TABLE ? LAYOUT_ROW : LAYOUT_LINES;

	if (!out.json && l == LAYOUT_ROW) {
		out.rows = xrealloc(out.rows, (out.n_rows + 1) * sizeof(*out.rows));
		out.rows[out.n_rows++] = (struct row){ NULL, 0 };
	} else if (!out.json && out.blocks) {
		putchar('\n');
	}
	push(key, out.json ? json_object_new_object() : NULL, l);
}

void out_object_close(void)
{
	if (!out.json && cur_layout() == LAYOUT_LINES)
		out.blocks = true;
	pop();
}

void out_array_open(const char *key)
{
	push(key, out.json ? json_object_new_array() : NULL, LAYOUT_LIST);
}

void out_table_open(const char *key, const char *const *columns)
{
	push(key, out.json ? json_object_new_array() : NULL, LAYOUT_TABLE);
	out.columns = columns;
}

/* "iommu_group" -> "IOMMU GROUP" */
static char *header_of(const char *key)
{
	char *h = xstrdup(key);

	for (char *p = h; *p; p++)
		*p = *p == '_' ? ' ' : (char)toupper((unsigned char)*p);
	return h;
}

static void print_table(void)
{
	size_t *w;

	/* no rows: the header of the keys the rows would have had */
	if (!out.n_rows && out.columns) {
		for (; *out.columns; out.columns++) {
			out.header = xrealloc(out.header, (out.n_cols + 1) * sizeof(char *));
			out.header[out.n_cols++] = header_of(*out.columns);
		}
	}
	w = xrealloc(NULL, (out.n_cols ? out.n_cols : 1) * sizeof(*w));

	for (size_t c = 0; c < out.n_cols; c++) {
		w[c] = strlen(out.header[c]);
		for (size_t r = 0; r < out.n_rows; r++)
			if (c < out.rows[r].n && strlen(out.rows[r].cells[c]) > w[c])
				w[c] = strlen(out.rows[r].cells[c]);
	}
	for (size_t c = 0; c < out.n_cols; c++)
		printf("%-*s%s", c + 1 < out.n_cols ? (int)w[c] : 0, out.header[c],
		       c + 1 < out.n_cols ? "  " : "\n");
	for (size_t r = 0; r < out.n_rows; r++) {
		for (size_t c = 0; c < out.n_cols; c++) {
			const char *cell = c < out.rows[r].n ? out.rows[r].cells[c] : "-";

			printf("%-*s%s", c + 1 < out.n_cols ? (int)w[c] : 0, cell,
			       c + 1 < out.n_cols ? "  " : "\n");
			if (c < out.rows[r].n)
				free(out.rows[r].cells[c]);
		}
		free(out.rows[r].cells);
	}
	for (size_t c = 0; c < out.n_cols; c++)
		free(out.header[c]);
	free(out.header);
	free(out.rows);
	free(w);
	out.header = NULL;
	out.columns = NULL;
	out.rows = NULL;
	out.n_cols = out.n_rows = 0;
}

void out_array_close(void)
{
	if (!out.json && cur_layout() == LAYOUT_TABLE) {
		print_table();
		out.blocks = true;
	}
	pop();
}

/* Text: print or collect one value. */
static void text_value(const char *key, const char *value)
{
	if (!value)
		value = "-";
	switch (cur_layout()) {
	case LAYOUT_ROW: {
		struct row *row = &out.rows[out.n_rows - 1];

		if (out.n_rows == 1) {
			out.header = xrealloc(out.header, (out.n_cols + 1) * sizeof(char *));
			out.header[out.n_cols++] = header_of(key);
		}
		row->cells = xrealloc(row->cells, (row->n + 1) * sizeof(char *));
		row->cells[row->n++] = xstrdup(value);
		break;
	}
	default:
		printf("%-12s %s\n", key ? key : "", value);
		break;
	}
}

void out_str(enum out_kind kind, const char *key, const char *value)
{
	if (!wants(kind))
		return;
	if (out.json)
		json_add(key, value ? json_object_new_string(value) : NULL);
	else
		text_value(key, value);
}

void out_uint(enum out_kind kind, const char *key, unsigned long long value)
{
	char buf[32];

	if (!wants(kind))
		return;
	if (out.json) {
		json_add(key, json_object_new_uint64(value));
		return;
	}
	snprintf(buf, sizeof(buf), "%llu", value);
	text_value(key, buf);
}

void out_int_opt(enum out_kind kind, const char *key, long long value, bool present)
{
	char buf[32];

	if (!wants(kind))
		return;
	if (out.json) {
		json_add(key, present ? json_object_new_int64(value) : NULL);
		return;
	}
	snprintf(buf, sizeof(buf), "%lld", value);
	text_value(key, present ? buf : NULL);
}

void out_int(enum out_kind kind, const char *key, long long value)
{
	out_int_opt(kind, key, value, true);
}

void out_bool(enum out_kind kind, const char *key, bool value)
{
	if (!wants(kind))
		return;
	if (out.json)
		json_add(key, json_object_new_boolean(value));
	else
		text_value(key, value ? "yes" : "no");
}

void out_int_array(enum out_kind kind, const char *key, const int *v, size_t n)
{
	char buf[512] = "";
	size_t len = 0;

	if (!wants(kind))
		return;
	if (out.json) {
		struct json_object *a = json_object_new_array();

		for (size_t i = 0; i < n; i++)
			json_object_array_add(a, json_object_new_int(v[i]));
		json_add(key, a);
		return;
	}
	for (size_t i = 0; i < n && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%d", i ? "," : "", v[i]);
	text_value(key, n ? buf : NULL);
}

void out_str_array(enum out_kind kind, const char *key, char *const *v, size_t n)
{
	if (!wants(kind))
		return;
	if (out.json) {
		struct json_object *a = json_object_new_array();

		for (size_t i = 0; i < n; i++)
			json_object_array_add(a, json_object_new_string(v[i]));
		json_add(key, a);
		return;
	}
	for (size_t i = 0; i < n; i++)
		text_value(i ? "" : key, v[i]);
}

void out_text(const char *fmt, ...)
{
	va_list ap;

	if (out.json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static void print_json(struct json_object *doc)
{
	const char *s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE);

	printf("%s\n", s ? s : "null");
	fflush(stdout);
	out.printed = true;
}

void out_finish(void)
{
	if (!out.json || out.printed) {
		fflush(stdout);
		return;
	}
	if (!out.root)
		out.root = json_object_new_object();
	print_json(out.root);
	json_object_put(out.root);
	out.root = NULL;
}

void out_error(const char *message, int err, bool undo_failed, int exit_code)
{
	struct json_object *doc, *e;
	const char *code = err > 0 ? strerrorname_np(err) : NULL;

	if (!out.json || out.printed)
		return;
	while (out.depth)
		pop();
	json_object_put(out.root);
	out.root = NULL;
	e = json_object_new_object();
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(e, "errno", json_object_new_int(err));
	json_object_object_add(e, "code", code ? json_object_new_string(code) : NULL);
	json_object_object_add(e, "undo_failed", json_object_new_boolean(undo_failed));
	json_object_object_add(e, "exit_code", json_object_new_int(exit_code));
	doc = json_object_new_object();
	json_object_object_add(doc, "error", e);
	print_json(doc);
	json_object_put(doc);
}

const char *const out_iface_columns[] = {
	"name", "mode", "vm", "link", "mtu", "mac", "devnode", NULL,
};

static bool mac_known(const uint8_t *mac)
{
	static const uint8_t zero[6];

	return mac && memcmp(mac, zero, 6) != 0;
}

void out_tristate(enum out_kind kind, const char *key, enum mvl_tristate value)
{
	if (!wants(kind))
		return;
	if (out.json)
		json_add(key, value == MVL_UNSET ? NULL : json_object_new_boolean(value == MVL_ON));
	else
		text_value(key, value == MVL_ON ? "on" : value == MVL_OFF ? "off" : NULL);
}

void out_iface(struct mvl_iface *iface, unsigned what, const uint8_t *guest_mac,
	       unsigned queues)
{
	const enum out_kind detail = (what & IFACE_ROW) ? PRINT_JSON : PRINT_ANY;
	const uint8_t *mac = mvl_iface_get_mac(iface);
	int ifindex = mvl_iface_get_ifindex(iface);
	int group = mvl_iface_get_iommu_group(iface);
	unsigned mtu = mvl_iface_get_mtu(iface);
	char buf[18];

	/* a VF or PCI device: no MTU, no queues; a MAC only when known */
	if (!mac_known(mac))
		mac = NULL;
	if (!mac_known(guest_mac))
		guest_mac = NULL;

	out_object_open(NULL);
	out_str(PRINT_ANY, "name", mvl_iface_get_name(iface));
	out_str(PRINT_ANY, "mode", mvl_mode_to_string(mvl_iface_get_mode(iface)));
	out_str(PRINT_ANY, "vm", mvl_iface_get_vm_id(iface));
	out_int_opt(detail, "ifindex", ifindex, ifindex > 0);
	out_str(PRINT_ANY, "link", mvl_iface_get_link(iface));
	out_int_opt(PRINT_ANY, "mtu", mtu, mtu > 0);
	out_str(PRINT_ANY, "mac", mac ? mvl_mac_format(mac, buf) : NULL);
	out_str(PRINT_ANY, "devnode", mvl_iface_get_devnode(iface));
	out_int_opt(detail, "iommu_group", group, group >= 0);
	if (what & IFACE_CREATE) {
		out_str(PRINT_ANY, "guest_mac", guest_mac ? mvl_mac_format(guest_mac, buf) : NULL);
		out_bool(PRINT_ANY, "adopted", mvl_iface_get_adopted(iface));
		out_int_opt(PRINT_ANY, "queues", queues, queues > 0);
	}
	/* the caller may add more members before out_object_close() */
	if (!(what & IFACE_OPEN))
		out_object_close();
}
