// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * owner.c - who wrote a journal, and whether it still runs: the process
 * (pid and start time, so that a reused pid is told apart), the boot (so
 * that a journal from before a reboot is), and the network namespace.
 */
#include <signal.h>
#include <sys/stat.h>

#include "store.h"

static int read_boot_id(char *buf, size_t len)
{
	int r = mvl_read_file("/proc/sys/kernel/random/boot_id", buf, len);

	if (r < 0)
		buf[0] = '\0';
	return r < 0 ? r : 0;
}

/* Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
static int pid_start_time(long long pid, unsigned long long *ret)
{
	char path[64], buf[1024], *p;
	unsigned long long v;
	int r;

	snprintf(path, sizeof(path), "/proc/%lld/stat", pid);
	r = mvl_read_file(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	p = strrchr(buf, ')'); /* the command may contain spaces and ')' */
	if (!p)
		return -EBADMSG;
	/* after ") " come fields 3..: state is 3, starttime is 22; each
	 * strchr() moves to the space before the next field */
	for (int field = 3; field <= 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EBADMSG;
	}
	if (sscanf(p + 1, "%llu", &v) != 1)
		return -EBADMSG;
	*ret = v;
	return 0;
}

bool mvl_owner_alive(long long pid, unsigned long long pid_start, const char *boot_id)
{
	char boot[40];
	unsigned long long start;

	if (pid <= 0)
		return false;
	if (boot_id[0] && read_boot_id(boot, sizeof(boot)) == 0 && strcmp(boot, boot_id))
		return false; /* written before a reboot */
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return false;
	if (pid_start_time(pid, &start) == 0 && pid_start && start != pid_start)
		return false; /* the pid was reused */
	return true;
}

void mvl_owner_stamp(long long *pid, unsigned long long *pid_start, char boot_id[40])
{
	unsigned long long start = 0;

	*pid = getpid();
	*pid_start = pid_start_time(*pid, &start) == 0 ? start : 0;
	read_boot_id(boot_id, 40);
}

/* This process's stamp, read once per context (its MVL_CTX_OWNER part;
 * without memory for it, read each time). */
struct owner_known {
	bool known;
	unsigned long long start;
	char boot_id[40];
};

void mvl_owner_stamp_ctx(struct mvl_ctx *ctx, long long *pid, unsigned long long *pid_start,
			 char boot_id[40])
{
	struct owner_known *k = mvl_ctx_part(ctx, MVL_CTX_OWNER), none = { 0 };

	if (!k) {
		k = calloc(1, sizeof(*k));
		if (k)
			mvl_ctx_set_part(ctx, MVL_CTX_OWNER, k, free);
		else
			k = &none;
	}
	if (!k->known) {
		long long p;

		mvl_owner_stamp(&p, &k->start, k->boot_id);
		/* what could not be read is tried again next time */
		k->known = p == mvl_ctx_pid(ctx) && k->start && k->boot_id[0];
	}
	*pid = mvl_ctx_pid(ctx);
	*pid_start = k->start;
	memcpy(boot_id, k->boot_id, sizeof(k->boot_id));
}

int mvl_netns_id(unsigned long long *ret)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) < 0)
		return -errno;
	*ret = (unsigned long long)st.st_ino;
	return 0;
}
