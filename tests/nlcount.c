// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nlcount.c - a sendmsg() that counts netlink requests and passes each
 * call on to libc's.  The test program defines it and exports it
 * (--export-dynamic), so the dynamic linker binds libnl's calls to it.
 */
#include <dlfcn.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "nlcount.h"

static struct nlcount counts;

struct nlcount nlcount_get(void)
{
	return counts;
}

/* Does the RTM_GETLINK request carry IFLA_LINKINFO (a kind filter)? */
static bool has_linkinfo(const struct nlmsghdr *h)
{
	const struct rtattr *a;
	int len;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return false;
	a = (const struct rtattr *)((const char *)NLMSG_DATA(h) +
				    NLMSG_ALIGN(sizeof(struct ifinfomsg)));
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(struct ifinfomsg)));
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		if ((a->rta_type & NLA_TYPE_MASK) == IFLA_LINKINFO) /* libnl sets NLA_F_NESTED */
			return true;
	return false;
}

static void count(const struct msghdr *msg)
{
	const struct sockaddr *sa = msg->msg_name;

	if (!sa || sa->sa_family != AF_NETLINK)
		return;
	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		const struct nlmsghdr *h = msg->msg_iov[i].iov_base;
		int len = (int)msg->msg_iov[i].iov_len;

		for (; NLMSG_OK(h, (unsigned)len); h = NLMSG_NEXT(h, len)) {
			counts.requests++;
			if (!(h->nlmsg_flags & NLM_F_DUMP) || h->nlmsg_type == RTM_NEWLINK)
				continue; /* NLM_F_DUMP's bits mean other things there */
			if (h->nlmsg_type != RTM_GETLINK)
				counts.dumps_other++;
			else if (has_linkinfo(h))
				counts.dumps_kind++;
			else
				counts.dumps_all++;
		}
	}
}

__attribute__((visibility("default"))) ssize_t sendmsg(int fd, const struct msghdr *msg,
							  int flags)
{
	static ssize_t (*real)(int, const struct msghdr *, int);

	if (!real) {
		real = (ssize_t (*)(int, const struct msghdr *, int))dlsym(RTLD_NEXT, "sendmsg");
		if (!real)
			abort();
	}
	count(msg);
	return real(fd, msg, flags);
}
