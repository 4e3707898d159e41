// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mvlink-bench - how fast libmvlink provisions and tears down the network
 * interfaces of VMs, against what people do without it, measured the same
 * way (wall clock, CLOCK_MONOTONIC, around the whole operation) in the same
 * run:
 *
 *   provision  N VMs: bridge + tap (persistent taps on br0, as `mvlink
 *              create`) and macvtap (on a veth uplink); vs `ip -batch` at
 *              its best and a shell loop running one `ip` per step
 *   teardown   the N VMs' interfaces: mvl_vm_delete_many(), and one
 *              mvl_vm_delete() per VM; vs `ip -batch` of one `link del`
 *              per link
 *   per-op     create + delete of one VM with 0, 1000, 5000 unrelated
 *              links present, and the netlink requests each op sends; vs
 *              the kernel alone (ip's requests from this process)
 *   fds        macvtap time-to-fds: create + open the queue fds
 *
 * It prints a table and writes one JSON document.  It asserts no time (it
 * is not a test) and exits 0 whenever it could measure.
 *
 * It changes links, so it refuses to run anywhere but in a network
 * namespace of its own: any link besides "lo" at start is an error.
 * bench/run.sh creates the namespace.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <json-c/json.h>

#include "mvlink.h"
#include "nlcount.h"

#define BRIDGE "br0"
#define UPLINK "up0"
#define UPLINK_PEER "up0p"
#define PURGE_GROUP 4242 /* untimed cleanup of links the baselines made */

static const char *tmpdir;
static int verbose;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mvlink-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);

	if (!p)
		die("out of memory");
	return p;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile (0 < q <= 1) of @n samples; sorts them. */
static double percentile(double *v, size_t n, double q)
{
	size_t k;

	qsort(v, n, sizeof(*v), cmp_double);
	k = (size_t)ceil(q * (double)n);
	return v[k ? k - 1 : 0];
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------ counting netlink requests */

/* The library's requests are counted as they are sent: tests/nlcount.c
 * defines sendmsg(), which the dynamic linker prefers for libnl's calls
 * (exported: the program is linked with --export-dynamic). */
#define nlc nlcount_get()

/* ---------------------------------------------------------- running tools */

static int run_argv(const char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "mvlink-bench: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Time one run of a command; it must succeed. */
static double timed(const char *const argv[])
{
	double t0 = now();
	int r = run_argv(argv);
	double t = now() - t0;

	if (r != 0)
		die("%s %s failed (exit status %d)", argv[0], argv[1] ? argv[1] : "", r);
	return t;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int r;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	r = run_argv((const char *const[]){ "sh", "-c", cmd, NULL });
	if (r != 0)
		die("'%s' failed (exit status %d)", cmd, r);
	free(cmd);
}

static char *sh_out(const char *cmd)
{
	char buf[512] = "";
	FILE *f = popen(cmd, "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		pclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

static FILE *script(const char *name, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f)
		die("cannot write %s: %s", path, strerror(errno));
	return f;
}

static void script_close(FILE *f, const char *path)
{
	if (fclose(f) != 0)
		die("cannot write %s", path);
}

static double ip_batch(const char *path)
{
	return timed((const char *const[]){ "ip", "-batch", path, NULL });
}

static double shell(const char *path)
{
	return timed((const char *const[]){ "sh", "-e", path, NULL });
}

/* Links of this namespace, from sysfs. */
static unsigned count_links(void)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		die("cannot list /sys/class/net: %s", strerror(errno));
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void expect_links(unsigned want, const char *after)
{
	unsigned n = count_links();

	if (n != want)
		die("after %s: %u links, expected %u", after, n, want);
}

/* --------------------------------------------------------------- workload */

enum mode { TAP, MACVTAP };
static const char *const mode_name[] = { "tap", "macvtap" };
static const char *const mode_title[] = { "bridge + tap", "macvtap" };

static char **vm_ids, **ifnames;

static void names_init(unsigned max)
{
	vm_ids = xcalloc(max, sizeof(*vm_ids));
	ifnames = xcalloc(max, sizeof(*ifnames));
	for (unsigned i = 0; i < max; i++)
		if (asprintf(&vm_ids[i], "bench-%u", i) < 0 || asprintf(&ifnames[i], "vm%u", i) < 0)
			die("out of memory");
}

static struct mvl_ctx *ctx_new(void)
{
	struct mvl_ctx *ctx;

	/* the default state dir (/run/mvlink): run.sh mounts a tmpfs on /run,
	 * as hosts have */
	if (mvl_ctx_new(&ctx) < 0)
		die("mvl_ctx_new failed");
	return ctx;
}

static struct mvl_iface *create_one(struct mvl_ctx *ctx, enum mode m, const char *vm,
				    const char *name, unsigned queues)
{
	struct mvl_iface *iface = NULL;
	int r;

	if (m == TAP) {
		/* as `mvlink create --mode tap --bridge br0` */
		struct mvl_tap_opts o = { .sz = sizeof(o), .vm_id = vm, .name = name,
					  .bridge = BRIDGE, .flags = MVL_TAP_PERSIST };

		r = mvl_tap_create(ctx, &o, &iface);
	} else {
		/* as `mvlink create --mode macvtap --link up0` (no fds) unless
		 * queues are asked for */
		struct mvl_macvtap_opts o = { .sz = sizeof(o), .vm_id = vm, .name = name,
					      .link = UPLINK, .mode = MVL_MACVTAP_BRIDGE,
					      .queues = queues,
					      .flags = queues ? 0 : MVL_MACVTAP_NO_FDS };

		r = mvl_macvtap_create(ctx, &o, &iface);
	}
	if (r < 0)
		die("creating %s %s for VM %s: %s", mode_name[m], name, vm, mvl_ctx_get_error(ctx));
	return iface;
}

/* mvlink: create N VMs with a fresh context, as a launcher would (one
 * context, one netlink socket for all N, as `ip -batch` has one process). */
static double mvl_create_n(enum mode m, unsigned n)
{
	double t0 = now();
	struct mvl_ctx *ctx = ctx_new();

	for (unsigned i = 0; i < n; i++)
		mvl_iface_unref(create_one(ctx, m, vm_ids[i], ifnames[i], 0));
	mvl_ctx_unref(ctx);
	return now() - t0;
}

/* The same with a fresh context per VM, as N launchers would each make. */
static double mvl_create_n_ctx_each(enum mode m, unsigned n)
{
	double t0 = now();

	for (unsigned i = 0; i < n; i++) {
		struct mvl_ctx *ctx = ctx_new();

		mvl_iface_unref(create_one(ctx, m, vm_ids[i], ifnames[i], 0));
		mvl_ctx_unref(ctx);
	}
	return now() - t0;
}

static double mvl_delete_many_n(unsigned n)
{
	double t0 = now();
	struct mvl_ctx *ctx = ctx_new();
	int r = mvl_vm_delete_many(ctx, (const char *const *)vm_ids, n);

	if (r != (int)n)
		die("mvl_vm_delete_many of %u VMs: %d %s", n, r, mvl_ctx_get_error(ctx));
	mvl_ctx_unref(ctx);
	return now() - t0;
}

static double mvl_delete_each_n(unsigned n)
{
	double t0 = now();
	struct mvl_ctx *ctx = ctx_new();

	for (unsigned i = 0; i < n; i++) {
		int r = mvl_vm_delete(ctx, vm_ids[i]);

		if (r != 1)
			die("mvl_vm_delete %s: %d %s", vm_ids[i], r, mvl_ctx_get_error(ctx));
	}
	mvl_ctx_unref(ctx);
	return now() - t0;
}

/* ip -batch at its best: one line per step that cannot be merged. */
static void write_ip_create(enum mode m, unsigned n, char *path, size_t len)
{
	FILE *f = script("ip-create.batch", path, len);

	for (unsigned i = 0; i < n; i++)
		if (m == TAP)
			fprintf(f, "tuntap add name %s mode tap vnet_hdr\n"
				"link set %s master " BRIDGE " up\n", ifnames[i], ifnames[i]);
		else
			fprintf(f, "link add link " UPLINK " name %s up type macvtap mode bridge\n",
				ifnames[i]);
	script_close(f, path);
}

/* microvm.nix's way: a shell running one `ip` per step. */
static void write_shell_create(enum mode m, unsigned n, char *path, size_t len)
{
	FILE *f = script("shell-create.sh", path, len);

	for (unsigned i = 0; i < n; i++)
		if (m == TAP)
			fprintf(f, "ip tuntap add name %s mode tap vnet_hdr\n"
				"ip link set %s master " BRIDGE "\n"
				"ip link set %s up\n", ifnames[i], ifnames[i], ifnames[i]);
		else
			fprintf(f, "ip link add link " UPLINK " name %s type macvtap mode bridge\n"
				"ip link set %s up\n", ifnames[i], ifnames[i]);
	script_close(f, path);
}

static void write_ip_delete(unsigned n, char *path, size_t len)
{
	FILE *f = script("ip-delete.batch", path, len);

	for (unsigned i = 0; i < n; i++)
		fprintf(f, "link del %s\n", ifnames[i]);
	script_close(f, path);
}

/* Untimed: remove links the baselines made, through one link group. */
static void purge(unsigned n)
{
	char path[512];
	FILE *f = script("purge.batch", path, sizeof(path));

	for (unsigned i = 0; i < n; i++)
		fprintf(f, "link set %s group %d\n", ifnames[i], PURGE_GROUP);
	fprintf(f, "link del group %d\n", PURGE_GROUP);
	script_close(f, path);
	ip_batch(path);
}

/* ------------------------------------------------------------- the phases */

/* One measured quantity over the repetitions of a point. */
#define MAX_REPS 64
struct series {
	double v[MAX_REPS];
	unsigned n;
};

static void add(struct series *s, double x)
{
	if (s->n < MAX_REPS)
		s->v[s->n++] = x;
}

static double med(const struct series *s)
{
	double v[MAX_REPS];

	if (!s->n)
		return NAN;
	memcpy(v, s->v, s->n * sizeof(*v));
	return median(v, s->n);
}

static double cpu_time(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct provision {
	enum mode m;
	unsigned n, reps, slow_reps;
	/* seconds for N VMs; CPU seconds of the process(es) doing it */
	struct series mvl, ip, loop, many, each, del_ip, ctx_each;
	struct series cpu_mvl, cpu_ip, cpu_loop;
	/* ratios within a repetition (the variants run back to back, so a
	 * change of the machine's load hits both sides of a ratio alike) */
	struct series mvl_vs_ip, loop_vs_mvl, ip_vs_many, ip_vs_each, ctx_each_vs_ip;
};

static unsigned base_links; /* lo, br0, up0, up0p */

/*
 * One repetition: each variant creates the N VMs' interfaces and deletes
 * them, back to back.  The shell loop and one-delete-per-VM are slow at
 * N=1000 (~20 ms per `ip` or per link): they run in the last @slow_reps
 * repetitions only (the first repetition of a point runs cold: slower for
 * every variant).
 */
static void phase_provision(enum mode m, unsigned n, unsigned reps, unsigned slow_reps,
			    bool each, struct provision *p)
{
	char ipc[512], shc[512], ipd[512];

	memset(p, 0, sizeof(*p));
	p->m = m;
	p->n = n;
	p->reps = reps;
	p->slow_reps = slow_reps;
	write_ip_create(m, n, ipc, sizeof(ipc));
	write_shell_create(m, n, shc, sizeof(shc));
	write_ip_delete(n, ipd, sizeof(ipd));
	for (unsigned r = 0; r < reps; r++) {
		double c0, mvl, many, ip, del_ip, ctx_each, loop = NAN, each_t = NAN;
		bool slow = r >= reps - slow_reps;

		c0 = cpu_time(RUSAGE_SELF);
		mvl = mvl_create_n(m, n);
		add(&p->cpu_mvl, cpu_time(RUSAGE_SELF) - c0);
		expect_links(base_links + n, "mvlink create");
		many = mvl_delete_many_n(n);
		expect_links(base_links, "mvl_vm_delete_many");

		c0 = cpu_time(RUSAGE_CHILDREN);
		ip = ip_batch(ipc);
		add(&p->cpu_ip, cpu_time(RUSAGE_CHILDREN) - c0);
		expect_links(base_links + n, "ip -batch create");
		del_ip = ip_batch(ipd);
		expect_links(base_links, "ip -batch delete");

		/* a context per VM (after the baseline: the order of the
		 * first three is that of earlier runs) */
		ctx_each = mvl_create_n_ctx_each(m, n);
		expect_links(base_links + n, "mvlink create, a context per VM");
		mvl_delete_many_n(n);
		expect_links(base_links, "mvl_vm_delete_many");

		if (slow) {
			c0 = cpu_time(RUSAGE_CHILDREN);
			loop = shell(shc);
			add(&p->cpu_loop, cpu_time(RUSAGE_CHILDREN) - c0);
			expect_links(base_links + n, "shell loop create");
			purge(n);
			expect_links(base_links, "purge");
			add(&p->loop, loop);
			add(&p->loop_vs_mvl, loop / mvl);
		}
		if (each && slow) {
			mvl_create_n(m, n);
			each_t = mvl_delete_each_n(n);
			expect_links(base_links, "mvl_vm_delete per VM");
			add(&p->each, each_t);
			add(&p->ip_vs_each, del_ip / each_t);
		}
		add(&p->mvl, mvl);
		add(&p->ip, ip);
		add(&p->many, many);
		add(&p->del_ip, del_ip);
		add(&p->mvl_vs_ip, mvl / ip);
		add(&p->ctx_each, ctx_each);
		add(&p->ctx_each_vs_ip, ctx_each / ip);
		add(&p->ip_vs_many, del_ip / many);
		if (verbose)
			fprintf(stderr,
				"%s N=%u rep %u: create mvlink %.4f (context per VM %.4f) "
				"ip %.4f loop %.4f | delete many %.4f each %.4f ip %.4f\n",
				mode_name[m], n, r, mvl, ctx_each, ip, loop, many, each_t, del_ip);
	}
}

/* ----------------------------------------- the kernel alone (per-op baseline) */

/*
 * What the kernel itself costs for one VM's link, and how that grows with
 * the links present: the requests `ip -batch` sends (a tap: TUNSETIFF,
 * TUNSETPERSIST, then master and up in one request; a macvtap: one
 * RTM_NEWLINK with up), then RTM_DELLINK, sent by this process over a plain
 * rtnetlink socket (send(), not counted as the library's), so that no
 * process start-up and no library is in the time.
 */
struct rtnl_req {
	struct nlmsghdr h;
	struct ifinfomsg i;
	char attrs[512];
};

static int rtnl_fd = -1;
static unsigned rtnl_seq;

static struct rtattr *req_attr(struct rtnl_req *r, int type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len));

	if (NLMSG_ALIGN(r->h.nlmsg_len) + RTA_SPACE(len) > sizeof(*r))
		die("netlink request too long");
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + (unsigned)RTA_SPACE(len);
	return a;
}

static void req_nest_end(struct rtnl_req *r, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)&r->h + r->h.nlmsg_len - (char *)nest);
}

static void req_init(struct rtnl_req *r, int type, int flags, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(sizeof(r->i));
	r->h.nlmsg_type = (unsigned short)type;
	r->h.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | NLM_F_ACK | flags);
	r->h.nlmsg_seq = ++rtnl_seq;
	r->i.ifi_family = AF_UNSPEC;
	req_attr(r, IFLA_IFNAME, name, strlen(name) + 1);
}

/* Send @r and wait for its acknowledgement; it must succeed. */
static void req_talk(struct rtnl_req *r, const char *what)
{
	char buf[4096];
	ssize_t n;

	if (rtnl_fd < 0) {
		rtnl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		if (rtnl_fd < 0)
			die("rtnetlink socket: %s", strerror(errno));
	}
	if (send(rtnl_fd, r, r->h.nlmsg_len, 0) < 0)
		die("%s: send: %s", what, strerror(errno));
	for (;;) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;

		n = recv(rtnl_fd, buf, sizeof(buf), 0);
		if (n < 0)
			die("%s: recv: %s", what, strerror(errno));
		for (; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_seq != rtnl_seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (e->error)
				die("%s: %s", what, strerror(-e->error));
			return;
		}
	}
}

static void kernel_create(enum mode m, const char *name)
{
	struct rtnl_req r;

	if (m == TAP) {
		struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
		unsigned master = if_nametoindex(BRIDGE);

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0)
			die("tap %s: %s", name, strerror(errno));
		close(fd);
		req_init(&r, RTM_NEWLINK, 0, name);
		r.i.ifi_flags = r.i.ifi_change = IFF_UP;
		req_attr(&r, IFLA_MASTER, &master, sizeof(master));
		req_talk(&r, "link set master up");
	} else {
		unsigned lower = if_nametoindex(UPLINK), mode = MACVLAN_MODE_BRIDGE;
		struct rtattr *info, *data;

		req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, name);
		r.i.ifi_flags = r.i.ifi_change = IFF_UP;
		req_attr(&r, IFLA_LINK, &lower, sizeof(lower));
		info = req_attr(&r, IFLA_LINKINFO, NULL, 0);
		req_attr(&r, IFLA_INFO_KIND, "macvtap", sizeof("macvtap"));
		data = req_attr(&r, IFLA_INFO_DATA, NULL, 0);
		req_attr(&r, IFLA_MACVLAN_MODE, &mode, sizeof(mode));
		req_nest_end(&r, data);
		req_nest_end(&r, info);
		req_talk(&r, "link add macvtap");
	}
}

static void kernel_delete(const char *name)
{
	struct rtnl_req r;

	req_init(&r, RTM_DELLINK, 0, name);
	req_talk(&r, "link del");
}

struct per_op {
	enum mode m;
	unsigned existing, ops;
	double create, del, total;   /* median seconds */
	double k_total;              /* the kernel alone: median seconds */
	struct nlcount nl;           /* per op, over all ops */
};

static void phase_per_op(enum mode m, unsigned existing, unsigned ops, struct per_op *p)
{
	double *c = xcalloc(ops, sizeof(double)), *d = xcalloc(ops, sizeof(double));
	double *t = xcalloc(ops, sizeof(double)), *k = xcalloc(ops, sizeof(double));
	struct mvl_ctx *ctx = ctx_new();
	struct nlcount before = nlc;

	/* one untimed cycle first: modules loaded, caches warm */
	mvl_iface_unref(create_one(ctx, m, "op", "vmop", 0));
	if (mvl_vm_delete(ctx, "op") != 1)
		die("mvl_vm_delete op: %s", mvl_ctx_get_error(ctx));
	kernel_create(m, "vmk");
	kernel_delete("vmk");
	before = nlc;
	for (unsigned i = 0; i < ops; i++) {
		double t0 = now(), t1;
		int r;

		/* the kernel alone, right before: the same load for both */
		kernel_create(m, "vmk");
		kernel_delete("vmk");
		k[i] = now() - t0;
		t0 = now();
		mvl_iface_unref(create_one(ctx, m, "op", "vmop", 0));
		t1 = now();
		r = mvl_vm_delete(ctx, "op");
		if (r != 1)
			die("mvl_vm_delete op: %d %s", r, mvl_ctx_get_error(ctx));
		d[i] = now() - t1;
		c[i] = t1 - t0;
		t[i] = c[i] + d[i];
	}
	mvl_ctx_unref(ctx);
	*p = (struct per_op){ .m = m, .existing = existing, .ops = ops, .create = median(c, ops),
			      .del = median(d, ops), .total = median(t, ops),
			      .k_total = median(k, ops) };
	p->nl.requests = nlc.requests - before.requests;
	p->nl.dumps_all = nlc.dumps_all - before.dumps_all;
	p->nl.dumps_kind = nlc.dumps_kind - before.dumps_kind;
	p->nl.dumps_other = nlc.dumps_other - before.dumps_other;
	free(c);
	free(d);
	free(t);
	free(k);
}

/*
 * Between phases: let the kernel finish the work a phase deferred (freeing
 * a thousand deleted devices, link events), so that it is not billed to
 * the next phase.
 */
static void settle(void)
{
	sleep(2);
}

/*
 * Unrelated links: veth pairs (two links each), added in one batch.  Then
 * a wait for the kernel to settle them: a new veth queues a carrier event,
 * which the kernel's linkwatch work handles for about 100 devices a second
 * while the links are down; until the queue is empty, some link changes of
 * the operations measured wait for it (a tap's create took 1.8 ms more at
 * 5000 links 2 s after they were added, as much as at 0 links 100 s
 * after).  The links measured against are "already present", as on a host
 * that made them long ago.
 */
static void grow_unrelated(unsigned *have, unsigned want)
{
	char path[512];
	unsigned added;
	FILE *f;

	if (*have >= want)
		return;
	f = script("veth.batch", path, sizeof(path));
	for (unsigned i = *have / 2; i < want / 2; i++)
		fprintf(f, "link add xa%u type veth peer name xb%u\n", i, i);
	script_close(f, path);
	ip_batch(path);
	added = want / 2 * 2 - *have;
	*have = want / 2 * 2;
	expect_links(base_links + *have, "adding unrelated veths");
	fprintf(stderr, "waiting %u s for the kernel to settle %u new links ...\n",
		added / 100 + 2, added);
	sleep(added / 100 + 2);
}

struct fds {
	unsigned queues, runs;
	double p50, p99, min, max;
};

static void phase_fds(unsigned queues, unsigned runs, struct fds *p)
{
	double *v = xcalloc(runs, sizeof(double));
	struct mvl_ctx *ctx = ctx_new();

	mvl_iface_unref(create_one(ctx, MACVTAP, "fds", "vmfds", queues)); /* untimed */
	if (mvl_vm_delete(ctx, "fds") != 1)
		die("mvl_vm_delete fds: %s", mvl_ctx_get_error(ctx));
	for (unsigned i = 0; i < runs; i++) {
		double t0 = now();
		struct mvl_iface *iface = create_one(ctx, MACVTAP, "fds", "vmfds", queues);
		int r;

		v[i] = now() - t0;
		if (mvl_iface_get_queue_count(iface) != queues)
			die("macvtap with %u queues came with %u fds", queues,
			    mvl_iface_get_queue_count(iface));
		mvl_iface_unref(iface);
		r = mvl_vm_delete(ctx, "fds");
		if (r != 1)
			die("mvl_vm_delete fds: %d %s", r, mvl_ctx_get_error(ctx));
	}
	mvl_ctx_unref(ctx);
	p->queues = queues;
	p->runs = runs;
	p->p50 = percentile(v, runs, 0.5);
	p->p99 = percentile(v, runs, 0.99);
	p->min = v[0];
	p->max = v[runs - 1];
	free(v);
}

/* ------------------------------------------------------------------ output */

static json_object *jnum(double v)
{
	if (isnan(v))
		return NULL;
	/* microseconds and ratios: three decimals are plenty */
	return json_object_new_double(round(v * 1000) / 1000);
}

static void jset(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

struct target {
	const char *what;
	double value, limit;
	bool at_most; /* value <= limit, else value >= limit */
};

static struct target targets[16];
static unsigned n_targets;

static void target(const char *what, double value, double limit, bool at_most)
{
	if (n_targets < sizeof(targets) / sizeof(targets[0]))
		targets[n_targets++] = (struct target){ what, value, limit, at_most };
}

static bool target_met(const struct target *t)
{
	return t->at_most ? t->value <= t->limit : t->value >= t->limit;
}

static char *cpu_model(void)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon) {
			fclose(f);
			colon += 1 + strspn(colon + 1, " \t");
			colon[strcspn(colon, "\n")] = '\0';
			return strdup(colon);
		}
	}
	if (f)
		fclose(f);
	return strdup("unknown");
}

/* The first three fields of /proc/loadavg: how busy the machine was. */
static char *loadavg(void)
{
	char buf[128] = "";
	FILE *f = fopen("/proc/loadavg", "r");
	char *p = buf;

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	for (int field = 0; *p && field < 3; field++)
		p += strcspn(p, " ") + (p[strcspn(p, " ")] ? 1 : 0);
	if (p > buf && p[-1] == ' ')
		p--;
	*p = '\0';
	return strdup(buf);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: mvlink-bench [OPTIONS]\n"
		"Run in a network namespace of its own (bench/run.sh makes one).\n"
		"  --sizes LIST      VM counts to provision and tear down (default 1,100,1000)\n"
		"  --existing LIST   unrelated links for the per-op cost (default 0,1000,5000)\n"
		"  --ops N           create+delete cycles per point (default 30)\n"
		"  --runs N          macvtap time-to-fds runs (default 200)\n"
		"  --no-each         skip one-mvl_vm_delete-per-VM teardown (slow at 1000)\n"
		"  --json FILE       where to write the JSON document (default mvlink-bench.json)\n"
		"  --label TEXT      recorded as the version measured (e.g. git describe)\n"
		"  -v, --verbose     every repetition on stderr (the library's log: MVLINK_LOG)\n");
}

static unsigned parse_list(const char *s, unsigned *v, unsigned max, const char *opt)
{
	unsigned n = 0;
	char *copy = strdup(s), *save = NULL;

	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long x = strtoul(tok, &end, 10);

		if (*end || end == tok || n == max || x > 100000)
			die("%s: invalid list '%s' (up to %u numbers 0-100000, comma separated)",
			    opt, s, max);
		v[n++] = (unsigned)x;
	}
	free(copy);
	if (!n)
		die("%s: empty list", opt);
	return n;
}

static unsigned reps_for(unsigned n)
{
	return n <= 1 ? 21 : n <= 100 ? 5 : 3;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sizes", required_argument, NULL, 's' },
		{ "existing", required_argument, NULL, 'e' },
		{ "ops", required_argument, NULL, 'o' },
		{ "runs", required_argument, NULL, 'r' },
		{ "no-each", no_argument, NULL, 'E' },
		{ "json", required_argument, NULL, 'j' },
		{ "label", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned sizes[8] = { 1, 100, 1000 }, n_sizes = 3;
	unsigned existing[8] = { 0, 1000, 5000 }, n_existing = 3;
	unsigned ops = 30, runs = 200, max_n = 0, unrelated = 0;
	const char *json_path = "mvlink-bench.json", *label = NULL;
	bool each = true;
	struct provision prov[2][8];
	struct per_op perop[2][8];
	struct fds fds[2];
	char tmpl[] = "/tmp/mvlink-bench.XXXXXX", date[64];
	json_object *doc, *o, *a;
	struct utsname un;
	time_t start = time(NULL);
	char *load_start = loadavg();
	int c;

	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			n_sizes = parse_list(optarg, sizes, 8, "--sizes");
			break;
		case 'e':
			n_existing = parse_list(optarg, existing, 8, "--existing");
			break;
		case 'o':
		case 'r': {
			unsigned v;

			parse_list(optarg, &v, 1, c == 'o' ? "--ops" : "--runs");
			if (!v)
				die("%s must be at least 1", c == 'o' ? "--ops" : "--runs");
			*(c == 'o' ? &ops : &runs) = v;
			break;
		}
		case 'E':
			each = false;
			break;
		case 'j':
			json_path = optarg;
			break;
		case 'l':
			label = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	for (unsigned i = 0; i < n_sizes; i++)
		max_n = sizes[i] > max_n ? sizes[i] : max_n;

	/* a namespace of our own, or nothing */
	if (count_links() != 1 || access("/sys/class/net/lo", F_OK) != 0)
		die("this network namespace has links besides lo: run me through bench/run.sh, "
		    "which makes a private one (unshare -n -m)");
	tmpdir = mkdtemp(tmpl);
	if (!tmpdir)
		die("mkdtemp: %s", strerror(errno));
	names_init(max_n > 1 ? max_n : 1);
	sh("ip link set lo up && ip link add " BRIDGE " type bridge && ip link set " BRIDGE " up && "
	   "ip link add " UPLINK " type veth peer name " UPLINK_PEER " && "
	   "ip link set " UPLINK " up && ip link set " UPLINK_PEER " up");
	base_links = 4;
	expect_links(base_links, "setup");

	for (unsigned i = 0; i < n_sizes; i++)
		for (int m = TAP; m <= MACVTAP; m++) {
			fprintf(stderr, "provision + teardown: %s, N=%u ...\n", mode_name[m], sizes[i]);
			phase_provision(m, sizes[i], reps_for(sizes[i]),
					sizes[i] >= 1000 ? 1 : reps_for(sizes[i]), each,
					&prov[m][i]);
			settle();
		}
	for (unsigned q = 0; q < 2; q++) {
		fprintf(stderr, "macvtap time-to-fds: %u queue%s, %u runs ...\n", q ? 4 : 1,
			q ? "s" : "", runs);
		phase_fds(q ? 4 : 1, runs, &fds[q]);
		settle();
	}
	for (unsigned i = 0; i < n_existing; i++) {
		grow_unrelated(&unrelated, existing[i]);
		settle();
		for (int m = TAP; m <= MACVTAP; m++) {
			fprintf(stderr, "per-op cost: %s with %u unrelated links ...\n", mode_name[m],
				unrelated);
			phase_per_op(m, unrelated, ops, &perop[m][i]);
		}
	}

	/* ------------------------------------------------------ the table */
	uname(&un);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&start));
	doc = json_object_new_object();
	o = json_object_new_object();
	jset(o, "kernel", json_object_new_string(un.release));
	jset(o, "nproc", json_object_new_int((int)sysconf(_SC_NPROCESSORS_ONLN)));
	jset(o, "cpu", json_object_new_string(cpu_model()));
	jset(o, "date", json_object_new_string(date));
	jset(o, "loadavg_start", json_object_new_string(load_start));
	jset(o, "loadavg_end", json_object_new_string(loadavg()));
	jset(o, "duration_s", json_object_new_int((int)(time(NULL) - start)));
	jset(o, "iproute2", json_object_new_string(sh_out("ip -V")));
	jset(o, "mvlink", label ? json_object_new_string(label) : NULL);
	jset(doc, "machine", o);

	printf("mvlink-bench %s  kernel %s  %ld CPUs  %s%s%s\n", date, un.release,
	       sysconf(_SC_NPROCESSORS_ONLN), json_object_get_string(json_object_object_get(o, "cpu")),
	       label ? "  mvlink " : "", label ? label : "");
	printf("load average %s at the start, %s at the end; %s\n", load_start,
	       json_object_get_string(json_object_object_get(o, "loadavg_end")),
	       json_object_get_string(json_object_object_get(o, "iproute2")));

	printf("\nProvisioning, per VM (median of R runs of N VMs; ratios: median of the ratios "
	       "within a run;\nmvlink: one context for the N VMs, as ip -batch is one process; "
	       "ctx/VM: a fresh context per VM)\n");
	printf("%-13s %5s %5s %10s %10s %10s %9s %9s %10s %7s\n", "", "N", "R", "mvlink",
	       "ip -batch", "sh loop", "mvl/ip", "loop/mvl", "ctx/VM", "/ip");
	a = json_object_new_array();
	for (int m = TAP; m <= MACVTAP; m++)
		for (unsigned i = 0; i < n_sizes; i++) {
			const struct provision *p = &prov[m][i];
			double us = 1e6 / p->n, r_ip = med(&p->mvl_vs_ip), r_loop = med(&p->loop_vs_mvl);
			double r_each = med(&p->ctx_each_vs_ip);

			printf("%-13s %5u %2u/%-2u %8.0fus %8.0fus %8.0fus %8.2fx %8.1fx %8.0fus %6.2fx\n",
			       mode_title[m], p->n, p->reps, p->slow_reps, med(&p->mvl) * us,
			       med(&p->ip) * us, med(&p->loop) * us, r_ip, r_loop,
			       med(&p->ctx_each) * us, r_each);
			o = json_object_new_object();
			jset(o, "mode", json_object_new_string(mode_name[m]));
			jset(o, "n", json_object_new_int((int)p->n));
			jset(o, "reps", json_object_new_int((int)p->reps));
			jset(o, "shell_loop_reps", json_object_new_int((int)p->slow_reps));
			jset(o, "mvlink_us_per_vm", jnum(med(&p->mvl) * us));
			jset(o, "ip_batch_us_per_vm", jnum(med(&p->ip) * us));
			jset(o, "shell_loop_us_per_vm", jnum(med(&p->loop) * us));
			jset(o, "mvlink_cpu_us_per_vm", jnum(med(&p->cpu_mvl) * us));
			jset(o, "ip_batch_cpu_us_per_vm", jnum(med(&p->cpu_ip) * us));
			jset(o, "shell_loop_cpu_us_per_vm", jnum(med(&p->cpu_loop) * us));
			jset(o, "mvlink_vs_ip_batch", jnum(r_ip));
			jset(o, "mvlink_context_per_vm_us_per_vm", jnum(med(&p->ctx_each) * us));
			jset(o, "mvlink_context_per_vm_vs_ip_batch", jnum(r_each));
			jset(o, "shell_loop_vs_mvlink", jnum(r_loop));
			json_object_array_add(a, o);
			if (p->n == max_n) {
				char *w;

				if (asprintf(&w, "%s create, N=%u: mvlink / ip -batch",
					     mode_name[m], p->n) >= 0)
					target(w, r_ip, 1.0, true);
				if (asprintf(&w, "%s create, N=%u: shell loop / mvlink",
					     mode_name[m], p->n) >= 0)
					target(w, r_loop, 10.0, false);
			}
		}
	jset(doc, "provision", a);

	printf("\nTeardown of N VMs' interfaces, total (median of R runs)\n");
	printf("%-13s %5s %5s %10s %10s %11s %9s %9s\n", "", "N", "R", "many", "per VM",
	       "ip per-link", "ip/many", "ip/perVM");
	a = json_object_new_array();
	for (int m = TAP; m <= MACVTAP; m++)
		for (unsigned i = 0; i < n_sizes; i++) {
			const struct provision *p = &prov[m][i];
			double r_many = med(&p->ip_vs_many), r_each = med(&p->ip_vs_each);

			printf("%-13s %5u %2u/%-2u %8.1fms %8.1fms %9.1fms %8.1fx %8.1fx\n",
			       mode_title[m], p->n, p->reps, p->each.n, med(&p->many) * 1e3,
			       med(&p->each) * 1e3, med(&p->del_ip) * 1e3, r_many, r_each);
			o = json_object_new_object();
			jset(o, "mode", json_object_new_string(mode_name[m]));
			jset(o, "n", json_object_new_int((int)p->n));
			jset(o, "reps", json_object_new_int((int)p->reps));
			jset(o, "per_vm_reps", json_object_new_int((int)p->each.n));
			jset(o, "mvl_vm_delete_many_ms", jnum(med(&p->many) * 1e3));
			jset(o, "mvl_vm_delete_per_vm_ms", jnum(med(&p->each) * 1e3));
			jset(o, "ip_batch_per_link_ms", jnum(med(&p->del_ip) * 1e3));
			jset(o, "ip_batch_vs_many", jnum(r_many));
			jset(o, "ip_batch_vs_per_vm", jnum(r_each));
			json_object_array_add(a, o);
			if (p->n == max_n && p->n >= 1000) {
				char *w;

				if (asprintf(&w, "%s teardown, N=%u: ip per-link / mvl_vm_delete_many",
					     mode_name[m], p->n) >= 0)
					target(w, r_many, 20.0, false);
			}
		}
	jset(doc, "teardown", a);

	printf("\nPer-operation cost: create + mvl_vm_delete of one VM (median of %u); kernel: the\n"
	       "same link created and deleted with ip's requests, no library, right before each\n", ops);
	printf("%-13s %8s %10s %10s %10s %8s %10s %8s %s\n", "", "existing", "create", "delete",
	       "total", "vs 0", "kernel", "vs 0", "netlink per op: requests, dumps all/by kind/other");
	a = json_object_new_array();
	for (int m = TAP; m <= MACVTAP; m++)
		for (unsigned i = 0; i < n_existing; i++) {
			const struct per_op *p = &perop[m][i];
			double rel = p->total / perop[m][0].total, n = p->ops;
			double k_rel = p->k_total / perop[m][0].k_total;

			printf("%-13s %8u %8.0fus %8.0fus %8.0fus %7.2fx %8.0fus %7.2fx %.1f, "
			       "%.1f/%.1f/%.1f\n",
			       mode_title[m], p->existing, p->create * 1e6, p->del * 1e6,
			       p->total * 1e6, rel, p->k_total * 1e6, k_rel, p->nl.requests / n,
			       p->nl.dumps_all / n, p->nl.dumps_kind / n, p->nl.dumps_other / n);
			o = json_object_new_object();
			jset(o, "mode", json_object_new_string(mode_name[m]));
			jset(o, "existing_links", json_object_new_int((int)p->existing));
			jset(o, "ops", json_object_new_int((int)p->ops));
			jset(o, "create_us", jnum(p->create * 1e6));
			jset(o, "delete_us", jnum(p->del * 1e6));
			jset(o, "total_us", jnum(p->total * 1e6));
			jset(o, "vs_existing_0", jnum(rel));
			jset(o, "kernel_total_us", jnum(p->k_total * 1e6));
			jset(o, "kernel_vs_existing_0", jnum(k_rel));
			jset(o, "netlink_requests_per_op", jnum(p->nl.requests / n));
			jset(o, "link_dumps_all_per_op", jnum(p->nl.dumps_all / n));
			jset(o, "link_dumps_by_kind_per_op", jnum(p->nl.dumps_kind / n));
			jset(o, "other_dumps_per_op", jnum(p->nl.dumps_other / n));
			json_object_array_add(a, o);
			if (i == n_existing - 1 && existing[0] == 0 && i > 0) {
				char *w;

				if (asprintf(&w, "%s per-op cost at %u links / at 0", mode_name[m],
					     p->existing) >= 0)
					target(w, rel, 1.2, true);
			}
		}
	jset(doc, "per_op", a);

	printf("\nmacvtap time-to-fds: create + open the queue fds (%u runs)\n", runs);
	printf("%-13s %8s %10s %10s %10s %10s\n", "", "queues", "p50", "p99", "min", "max");
	a = json_object_new_array();
	for (unsigned q = 0; q < 2; q++) {
		const struct fds *p = &fds[q];

		printf("%-13s %8u %8.0fus %8.0fus %8.0fus %8.0fus\n", "macvtap", p->queues,
		       p->p50 * 1e6, p->p99 * 1e6, p->min * 1e6, p->max * 1e6);
		o = json_object_new_object();
		jset(o, "queues", json_object_new_int((int)p->queues));
		jset(o, "runs", json_object_new_int((int)p->runs));
		jset(o, "p50_us", jnum(p->p50 * 1e6));
		jset(o, "p99_us", jnum(p->p99 * 1e6));
		jset(o, "min_us", jnum(p->min * 1e6));
		jset(o, "max_us", jnum(p->max * 1e6));
		json_object_array_add(a, o);
		{
			char *w;

			if (asprintf(&w, "macvtap time-to-fds p50, %u queue%s (ms)", p->queues,
				     p->queues > 1 ? "s" : "") >= 0)
				target(w, p->p50 * 1e3, 1.0, true);
		}
	}
	jset(doc, "time_to_fds", a);

	printf("\nTargets (reported, not asserted)\n");
	a = json_object_new_array();
	for (unsigned i = 0; i < n_targets; i++) {
		const struct target *t = &targets[i];

		printf("  %-52s %8.2f %s %5.1f  %s\n", t->what, t->value, t->at_most ? "<=" : ">=",
		       t->limit, target_met(t) ? "met" : "MISSED");
		o = json_object_new_object();
		jset(o, "what", json_object_new_string(t->what));
		jset(o, "value", jnum(t->value));
		jset(o, t->at_most ? "at_most" : "at_least", jnum(t->limit));
		jset(o, "met", json_object_new_boolean(target_met(t)));
		json_object_array_add(a, o);
	}
	jset(doc, "targets", a);

	if (json_object_to_file_ext(json_path, doc, JSON_C_TO_STRING_PRETTY) < 0)
		die("cannot write %s: %s", json_path, json_util_get_last_err());
	printf("\nJSON: %s\n", json_path);
	json_object_put(doc);
	sh("rm -rf '%s'", tmpdir);
	return 0;
}
