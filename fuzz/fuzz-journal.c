// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: every journal parser.  Journals are files under the
 * state directory that mvlink acts on after a crash (restoring drivers and
 * VF settings, deleting links): a truncated, edited or garbage one must be
 * refused with a reason, never crash, and what is accepted must be exactly
 * what encoding it again gives back (so no field is half read). */
#include <stdlib.h>
#include <string.h>

#include "libmvlink-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	if (mvl_journal_decode(out, strlen(out), &j2, why, sizeof(why)) < 0 ||
	    mvl_journal_encode(&j2, &out2) < 0 || strcmp(out, out2) != 0)
		abort();
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
	if (mvl_link_journal_decode(out, strlen(out), &j2, why, sizeof(why)) < 0 ||
	    mvl_link_journal_encode(&j2, &out2) < 0 || strcmp(out, out2) != 0)
		abort();
	free(out);
	free(out2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the decoders take a length: no NUL needed, none added */
	char *text = malloc(size ? size : 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	sriov(text, size);
	link_journal(text, size);
	free(text);
	return 0;
}
