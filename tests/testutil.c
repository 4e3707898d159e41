// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#include "testutil.h"
#include "operations.h"
#include "testhooks.h"

bool mvt_can_netns(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "kernel tests: not root\n");
		return false;
	}
	/* Try it on this process itself (a child's exit status is not
	 * reliable under valgrind): the test runner then lives in empty
	 * namespaces of its own, which is only safer. */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
		fprintf(stderr, "kernel tests: unshare(CLONE_NEWNET|CLONE_NEWNS): %s\n",
			strerror(errno));
		return false;
	}
	return true;
}

void mvt_enter_netns(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET | CLONE_NEWNS) == 0, "unshare: %s", strerror(errno));
	ck_assert_msg(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0,
		      "make / private: %s", strerror(errno));
	umount2("/sys", MNT_DETACH);
	ck_assert_msg(mount("sysfs", "/sys", "sysfs", 0, NULL) == 0, "mount sysfs: %s",
		      strerror(errno));
	/* the library's default state directory (/run/mvlink: locks,
	 * journals) of this test alone: the host's is not touched, and tests
	 * running side by side do not share locks or see each other's
	 * journals */
	ck_assert_msg(mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") == 0, "mount /run: %s",
		      strerror(errno));
	ck_assert_int_eq(mvt_sh("ip link set lo up"), 0);
	/* no IPv6 autoconfiguration: link-local addresses appear (and pass
	 * DAD) asynchronously and would make before/after snapshots racy */
	ck_assert_int_eq(mvt_sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
				"net.ipv6.conf.default.disable_ipv6=1"), 0);
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	ck_assert_int_ge(vasprintf(&s, fmt, ap), 0);
	return s;
}

int mvt_sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int st;

	va_start(ap, fmt);
	cmd = vformat(fmt, ap);
	va_end(ap);
	fflush(stdout);
	st = system(cmd);
	free(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

char *mvt_sh_out(const char *fmt, ...)
{
	va_list ap;
	char *cmd, *buf = NULL;
	size_t len = 0;
	FILE *p, *mem;
	char chunk[4096];
	size_t n;

	va_start(ap, fmt);
	cmd = vformat(fmt, ap);
	va_end(ap);
	p = popen(cmd, "re");
	ck_assert_msg(p != NULL, "popen %s", cmd);
	mem = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(mem);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		fwrite(chunk, 1, n, mem);
	pclose(p);
	fclose(mem);
	free(cmd);
	return buf;
}

struct json_object *mvt_ip_link(const char *name)
{
	char *out = mvt_sh_out("ip -j -d link show dev '%s' 2>/dev/null", name);
	struct json_object *arr = json_tokener_parse(out), *o = NULL;

	free(out);
	if (arr && json_object_is_type(arr, json_type_array) && json_object_array_length(arr) > 0)
		o = json_object_get(json_object_array_get_idx(arr, 0));
	json_object_put(arr);
	return o;
}

static struct json_object *jpath(struct json_object *o, const char *path)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save)) {
		struct json_object *next = NULL;

		if (!json_object_object_get_ex(o, tok, &next))
			return NULL;
		o = next;
	}
	return o;
}

const char *mvt_jstr(struct json_object *o, const char *path)
{
	struct json_object *v = jpath(o, path);

	return v ? json_object_get_string(v) : NULL;
}

long long mvt_jint(struct json_object *o, const char *path)
{
	struct json_object *v = jpath(o, path);

	return v ? json_object_get_int64(v) : -1;
}

bool mvt_link_exists(const char *name)
{
	return mvt_sh("ip link show dev '%s' >/dev/null 2>&1", name) == 0;
}

struct mvl_ctx *mvt_ctx(void)
{
	struct mvl_ctx *ctx = NULL;

	ck_assert_int_eq(mvl_ctx_new(&ctx), 0);
	if (getenv("MVLINK_TEST_DEBUG"))
		mvl_ctx_set_log_priority(ctx, 7);
	return ctx;
}

struct mvl_ctx *mvt_ctx_at(const char *state)
{
	struct mvl_ctx *ctx = NULL;

	if (mvl_ctx_new(&ctx) < 0)
		return NULL;
	if (mvl_ctx_set_state_dir(ctx, state) < 0)
		return mvl_ctx_unref(ctx);
	if (getenv("MVLINK_TEST_DEBUG"))
		mvl_ctx_set_log_priority(ctx, 7);
	return ctx;
}

void mvt_child_exit(int status)
{
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "exit %d", status & 0xff);
	fflush(NULL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(status);
}

void mvt_veth(const char *a, const char *b)
{
	ck_assert_int_eq(mvt_sh("ip link add '%s' type veth peer name '%s' && ip link set '%s' up "
				"&& ip link set '%s' up", a, b, a, b), 0);
}

/* What a create that must succeed (@r, @iface) returned. */
static struct mvl_iface *created(struct mvl_ctx *ctx, const char *fn, const char *name, int r,
				 struct mvl_iface *iface)
{
	ck_assert_msg(r == 0, "%s %s: %d %s", fn, name ? name : "(no name)", r,
		      mvl_ctx_get_error(ctx));
	ck_assert_ptr_nonnull(iface);
	return iface;
}

/* What a create that must fail (@r, @iface) returned. */
static int refused(struct mvl_ctx *ctx, const char *fn, int r, struct mvl_iface *iface)
{
	ck_assert_msg(r < 0, "%s unexpectedly succeeded", fn);
	ck_assert_ptr_null(iface);
	ck_assert_str_ne(mvl_ctx_get_error(ctx), "");
	return r;
}

struct mvl_iface *mvt_tap_create_ok(struct mvl_ctx *ctx, const struct mvl_tap_opts *o)
{
	struct mvl_iface *iface = NULL;
	int r = mvl_tap_create(ctx, o, &iface);

	return created(ctx, "mvl_tap_create", o->name, r, iface);
}

struct mvl_iface *mvt_macvtap_create_ok(struct mvl_ctx *ctx, const struct mvl_macvtap_opts *o)
{
	struct mvl_iface *iface = NULL;
	int r = mvl_macvtap_create(ctx, o, &iface);

	return created(ctx, "mvl_macvtap_create", o->name, r, iface);
}

int mvt_tap_create_err(struct mvl_ctx *ctx, const struct mvl_tap_opts *o)
{
	struct mvl_iface *iface = NULL;
	int r = mvl_tap_create(ctx, o, &iface);

	return refused(ctx, "mvl_tap_create", r, iface);
}

int mvt_macvtap_create_err(struct mvl_ctx *ctx, const struct mvl_macvtap_opts *o)
{
	struct mvl_iface *iface = NULL;
	int r = mvl_macvtap_create(ctx, o, &iface);

	return refused(ctx, "mvl_macvtap_create", r, iface);
}

void mvt_delete_twice(struct mvl_ctx *ctx, const char *name)
{
	ck_assert_int_eq(mvl_iface_delete(ctx, name), 1);
	ck_assert_msg(!mvt_link_exists(name), "%s still exists", name);
	ck_assert_int_eq(mvl_iface_delete(ctx, name), 0);
}

void mvt_fail_at(struct mvl_ctx *ctx, unsigned long k)
{
	mvl_fault(ctx)->step = k;
	mvl_fault(ctx)->count = 0;
}

bool mvt_failed_at(struct mvl_ctx *ctx, unsigned long k, int r)
{
	if (r == 0)
		return false;
	ck_assert_msg(r == -EIO, "step %lu: %d %s", k, r, mvl_ctx_get_error(ctx));
	ck_assert_msg(!mvl_ctx_get_undo_failed(ctx), "step %lu: undo failed", k);
	return true;
}

bool mvt_run_killed(const char *state, unsigned long k, const char *what,
		    int (*run)(struct mvl_ctx *ctx, const void *arg), const void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct mvl_ctx *ctx;
		int r;

		mvt_child_init();
		ctx = mvt_ctx_at(state);
		if (!ctx)
			mvt_child_exit(3);
		mvl_fault(ctx)->step = k;
		mvl_fault(ctx)->kill = true;
		r = run(ctx, arg);
		mvl_ctx_unref(ctx);
		mvt_child_exit(r == 0 ? 0 : 2);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status)) {
		ck_assert_msg(WEXITSTATUS(status) == 0, "%s, step %lu: the child failed (%d)", what,
			      k, WEXITSTATUS(status));
		return false;
	}
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "%s: status %d", what,
		      status);
	return true;
}

static int ensure_bridge(struct mvl_ctx *ctx, const void *o)
{
	int r = mvl_bridge_ensure(ctx, o);

	return r < 0 ? r : 0;
}

void mvt_crashed_bridge(const char *state, const struct mvl_bridge_opts *o)
{
	for (unsigned long k = 1; k < 20; k++) {
		ck_assert(mvt_run_killed(state, k, "bridge ensure", ensure_bridge, o));
		if (mvt_link_exists(o->name))
			return;
	}
	ck_abort_msg("bridge %s never appeared", o->name);
}

TCase *mvt_tcase_list(Suite *s, const char *name, int timeout, const TTest *const *tests)
{
	TCase *tc = tcase_create(name);

	if (timeout)
		tcase_set_timeout(tc, timeout);
	for (; *tests; tests++)
		tcase_add_test(tc, *tests);
	suite_add_tcase(s, tc);
	return tc;
}

Suite *mvt_suite_list(const char *name, const char *tcase, int timeout, const TTest *const *tests)
{
	Suite *s = suite_create(name);

	mvt_tcase_list(s, tcase, timeout, tests);
	return s;
}

int mvt_run(Suite *s, bool needs_kernel)
{
	SRunner *sr;
	int failed;

	if (needs_kernel && !mvt_can_netns()) {
		const char *req = getenv("MVLINK_REQUIRE_KERNEL_TESTS");

		if (req && strcmp(req, "1") == 0) {
			fprintf(stderr, "FAIL: kernel tests must run here (MVLINK_REQUIRE_KERNEL_TESTS=1) "
					"but network namespaces are not available (not root?)\n");
			srunner_free(srunner_create(s));
			return 99;
		}
		fprintf(stderr, "SKIP: kernel tests need root and network namespaces\n");
		srunner_free(srunner_create(s)); /* frees the suite */
		return 77;
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

static void save_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Print the diff of @before and @after by the python3 program @diff,
 * which reads them from the files sys.argv[1] and sys.argv[2]: this
 * process's own files (tests run side by side under check-repeat). */
static void print_diff(const char *diff, const char *before, const char *after)
{
	char a[64], b[64];

	snprintf(a, sizeof(a), "/tmp/mvlink-test-before.%d", (int)getpid());
	snprintf(b, sizeof(b), "/tmp/mvlink-test-after.%d", (int)getpid());
	save_text(a, before);
	save_text(b, after);
	mvt_sh("python3 -c '%s' %s %s >&2", diff, a, b);
	unlink(a);
	unlink(b);
}

void mvt_save_diff(const char *before, const char *after)
{
	print_diff("import json,sys,difflib\n"
		   "a=json.dumps(json.load(open(sys.argv[1])),indent=1).splitlines()\n"
		   "b=json.dumps(json.load(open(sys.argv[2])),indent=1).splitlines()\n"
		   "print(\"\\n\".join(list(difflib.unified_diff(a,b,lineterm=\"\"))[:60]))",
		   before, after);
}

bool mvt_same(const char *before, const char *now)
{
	if (strcmp(before, now) == 0)
		return true;
	mvt_show_diff(before, now);
	return false;
}

void mvt_show_diff(const char *before, const char *after)
{
	/* a line that is JSON is unfolded, so that the diff shows the field */
	print_diff("import json,sys,difflib\n"
		   "def lines(p):\n"
		   " out=[]\n"
		   " for l in open(p):\n"
		   "  try: out+=json.dumps(json.loads(l),indent=1).splitlines()\n"
		   "  except ValueError: out.append(l.rstrip())\n"
		   " return out\n"
		   "print(\"\\n\".join(list(difflib.unified_diff(lines(sys.argv[1]),"
		   "lines(sys.argv[2]),lineterm=\"\"))[:80]))",
		   before, after);
}

/* What the kernel changes on its own (the carrier and what follows from
 * it, bridge timers): left out of snapshots. */
void mvt_link_strip(struct json_object *d)
{
	static const char *const timers[] = { "hello_timer", "tcn_timer", "topology_change_timer",
					      "gc_timer", "hold_timer", "message_age_timer",
					      "forward_delay_timer", "state" };
	static const char *const subs[] = { "info_data", "info_slave_data" };
	struct json_object *li, *sub, *flags;

	json_object_object_del(d, "operstate");
	json_object_object_del(d, "qdisc");
	/* the carrier follows other changes asynchronously (linkwatch) */
	if (json_object_object_get_ex(d, "flags", &flags)) {
		struct json_object *kept = json_object_new_array();

		for (size_t i = 0; i < json_object_array_length(flags); i++) {
			struct json_object *f = json_object_array_get_idx(flags, i);
			const char *name = json_object_get_string(f);

			if (strcmp(name, "NO-CARRIER") != 0 && strcmp(name, "LOWER_UP") != 0)
				json_object_array_add(kept, json_object_get(f));
		}
		json_object_object_add(d, "flags", kept);
	}
	if (!json_object_object_get_ex(d, "linkinfo", &li))
		return;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (json_object_object_get_ex(li, subs[i], &sub))
			for (size_t t = 0; t < sizeof(timers) / sizeof(timers[0]); t++)
				json_object_object_del(sub, timers[t]);
}

static int cmp_ifname(const void *a, const void *b)
{
	const char *x = mvt_jstr(*(struct json_object *const *)a, "ifname");
	const char *y = mvt_jstr(*(struct json_object *const *)b, "ifname");

	return strcmp(x ? x : "", y ? y : "");
}

/* `ip -j -d OBJECT show` without what the kernel changes on its own. */
static struct json_object *snapshot_part(const char *object)
{
	char *out = mvt_sh_out("ip -j -d %s show", object);
	struct json_object *arr = json_tokener_parse(out);

	free(out);
	ck_assert_msg(arr && json_object_is_type(arr, json_type_array), "ip -j %s show", object);
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		mvt_link_strip(json_object_array_get_idx(arr, i));
	return arr;
}

char *mvt_snapshot(void)
{
	struct json_object *o = json_object_new_object(), *links = snapshot_part("link");
	char *s;

	/* (C, not a script: a Python start costs more than a second here) */
	json_object_array_sort(links, cmp_ifname);
	json_object_object_add(o, "addrs", snapshot_part("addr"));
	json_object_object_add(o, "links", links);
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	ck_assert_ptr_nonnull(s);
	json_object_put(o);
	return s;
}

char *mvt_snapshot_state(const char *state)
{
	char *links = mvt_snapshot(), *files, *s = NULL;

	/* the files with a hash of their content, the symlinks (index
	 * entries) with their targets */
	files = mvt_sh_out("cd '%s' && { "
			   "find . -path ./locks -prune -o -name .complete -prune -o -type l "
			   "-printf 'link %%p -> %%l\\n'; "
			   "find . -path ./locks -prune -o -name .complete -prune -o -type f "
			   "-print0 | xargs -0r md5sum | sed 's/^/file /'; } | LC_ALL=C sort",
			   state);
	ck_assert_int_ge(asprintf(&s, "%s\n--- state files\n%s", links, files), 0);
	free(links);
	free(files);
	return s;
}

const char *mvt_link_str(const char *name, const char *path)
{
	static char ring[16][256];
	static unsigned next;
	struct json_object *j = mvt_ip_link(name);
	const char *v = j ? mvt_jstr(j, path) : NULL;
	char *slot = NULL;

	if (v) {
		slot = ring[next++ % 16];
		snprintf(slot, 256, "%s", v);
	}
	json_object_put(j);
	return slot;
}

long long mvt_link_int(const char *name, const char *path)
{
	struct json_object *j = mvt_ip_link(name);
	long long v = j ? mvt_jint(j, path) : -1;

	json_object_put(j);
	return v;
}

static int cmp_fd_line(const void *a, const void *b)
{
	return atoi(*(char *const *)a) - atoi(*(char *const *)b);
}

char *mvt_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	char **lines = NULL, *out = NULL, *p;
	size_t n = 0, len = 1;
	struct dirent *de;

	ck_assert_msg(d != NULL, "/proc/self/fd: %s", strerror(errno));
	while ((de = readdir(d))) {
		char target[PATH_MAX] = "";
		ssize_t l;

		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		l = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		target[l > 0 ? l : 0] = '\0';
		lines = realloc(lines, (n + 1) * sizeof(*lines));
		ck_assert_ptr_nonnull(lines);
		ck_assert_int_ge(asprintf(&lines[n], "%s -> %s\n", de->d_name, target), 0);
		len += strlen(lines[n++]);
	}
	closedir(d);
	qsort(lines, n, sizeof(*lines), cmp_fd_line);
	out = p = malloc(len);
	ck_assert_ptr_nonnull(out);
	*p = '\0';
	for (size_t i = 0; i < n; i++) {
		p = stpcpy(p, lines[i]);
		free(lines[i]);
	}
	free(lines);
	return out;
}

unsigned mvt_wait_ms(unsigned ms)
{
	return RUNNING_ON_VALGRIND ? 20 * ms : ms;
}

void mvt_child_init(void)
{
	if (RUNNING_ON_VALGRIND)
		VALGRIND_CLO_CHANGE("--leak-check=no");
}

const char *mvt_state_dir(struct mvl_ctx *ctx)
{
	const char *state = mvl_ctx_get_state_dir(ctx);

	ck_assert_int_eq(mvt_sh("mkdir -p '%s'", state), 0);
	return state;
}

void mvt_assert_indexed(const char *snapshot, const char *state)
{
	ck_assert_msg(strstr(snapshot, "\nlink ./index/") != NULL,
		      "no index entry in the snapshot of %s: not the context's state directory?",
		      state);
}

void mvt_drop_index(const char *state)
{
	ck_assert_int_eq(mvt_sh("if [ -d '%s/index' ]; then find '%s/index' -type l -delete && "
				"find '%s/index' -mindepth 2 -type d -empty -delete; fi",
				state, state, state),
			 0);
}

void mvt_undo_by_hand(const char *state, const char *before, const char *undo)
{
	char *now = mvt_snapshot_state(state);

	mvt_assert_indexed(now, state);
	free(now);
	ck_assert_msg(mvt_sh("%s", undo) == 0, "undo by hand: %s", undo);
	mvt_drop_index(state);
	mvt_assert_unchanged(mvt_snapshot_state(state), before, "the undo by hand is not exact");
}
