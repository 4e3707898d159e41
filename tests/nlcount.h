/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nlcount.h - counting the netlink requests the library sends, by kind,
 * for tests that a listing or a deletion does not dump every link, and
 * for the benchmark's count of requests per operation.
 */
#pragma once

struct nlcount {
	unsigned long requests;   /* netlink messages sent */
	unsigned long dumps_all;  /* RTM_GETLINK dumps of every link */
	unsigned long dumps_kind; /* RTM_GETLINK dumps filtered by kind */
	unsigned long dumps_other; /* other dumps (addresses, routes...) */
};

/* The counts since the program started (the program defines sendmsg();
 * it must be linked with --export-dynamic). */
struct nlcount nlcount_get(void);
