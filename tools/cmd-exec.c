// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-exec.c - `mvlink exec [INTERFACE OPTIONS] [--iface ...]... -- VMM ARGS...`
 *
 * Creates the VM's interfaces, hands their queue fds to the VMM as fds 3, 4,
 * ... (placeholders such as {fds} in its arguments say which), runs it and
 * removes the interfaces when it exits: microvm.nix's runner as one command.
 *
 * Why the VMM runs in a child rather than in this process (execvp without
 * fork): a non-persistent tap disappears by itself when its last fd closes,
 * but a macvtap does not - someone must delete it after the VMM exits.  All
 * modes take the same fork+wait path, so cleanup is uniform: after the VMM
 * exits, every interface exec created is deleted if it still exists (for a
 * tap that is normally a no-op; it still catches a tap kept alive by a
 * process the VMM left behind).  The parent holds no queue fd while the VMM
 * runs, so a tap's lifetime is exactly the VMM's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mvlink.h"

#define FIRST_FD 3

struct exec_iface {
	struct iface_spec spec;
	struct mvl_iface *iface;
	bool created;         /* not adopted: deleted after the VMM exits */
	int ifindex;
	int *fds;             /* the queue fds, taken from the library */
	int *vmm_fds;         /* their numbers in the VMM: FIRST_FD, ... */
	unsigned n_fds;
	char *fds_colon;      /* "3:4" */
	char *fds_comma;      /* "3,4" */
	char fd_first[16];    /* "3" */
	char mac[18];         /* the guest's MAC, "" when unknown */
};

struct exec_state {
	struct exec_iface *ifs;
	size_t n;
	char **vmm_argv; /* the command line's, after "--" */
	int vmm_argc;
	unsigned total_fds; /* of all interfaces: the VMM gets FIRST_FD... */
};

/* ---------------------------------------------------------------- placeholders */

enum ph_kind { PH_FDS, PH_FDS_COMMA, PH_FD, PH_NAME, PH_MAC };

struct placeholder {
	enum ph_kind kind;
	unsigned index;
	size_t len; /* of the text "{...}" */
};

/* Parse the placeholder at @p: "{" (fds|fd|name|mac) [index] ["," for fds] "}".
 * Returns false when @p does not start one (the text is then literal). */
static bool parse_placeholder(const char *p, struct placeholder *ph)
{
	static const struct {
		const char *word;
		enum ph_kind kind;
	} words[] = {
		/* "fds" before "fd" */
		{ "fds", PH_FDS }, { "fd", PH_FD }, { "name", PH_NAME }, { "mac", PH_MAC },
	};
	const char *q;

	if (*p != '{')
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		size_t len = strlen(words[i].word);
		unsigned index = 0, digits = 0;
		enum ph_kind kind = words[i].kind;

		if (strncmp(p + 1, words[i].word, len) != 0)
			continue;
		q = p + 1 + len;
		for (; *q >= '0' && *q <= '9' && digits < 4; q++, digits++)
			index = index * 10 + (unsigned)(*q - '0');
		if (kind == PH_FDS && *q == ',') {
			kind = PH_FDS_COMMA;
			q++;
		}
		if (*q != '}')
			continue;
		ph->kind = kind;
		ph->index = index;
		ph->len = (size_t)(q + 1 - p);
		return true;
	}
	return false;
}

/* Before anything is created: every placeholder names a given interface,
 * and {mac} one whose guest MAC will be known. */
static int check_placeholders(struct tool *t, const struct exec_state *st, char **vmm_argv)
{
	for (char **a = vmm_argv; *a; a++) {
		struct placeholder ph;

		for (const char *p = *a; *p; p++) {
			if (!parse_placeholder(p, &ph))
				continue;
			if (ph.index >= st->n)
				return tool_usage(t, "placeholder '%.*s' in VMM argument '%s': there "
						  "is no interface %u (%zu given; --iface starts "
						  "another)", (int)ph.len, p, *a, ph.index, st->n);
			if (ph.kind == PH_MAC && !iface_spec_guest_mac_known(&st->ifs[ph.index].spec))
				return tool_usage(t, "placeholder '%.*s' in VMM argument '%s': "
						  "interface %u is a tap without --mac, so the "
						  "guest's MAC is not known; give it with --mac",
						  (int)ph.len, p, *a, ph.index);
			p += ph.len - 1;
		}
	}
	return 0;
}

/* The text that replaces placeholder @ph. */
static const char *placeholder_value(const struct exec_state *st, const struct placeholder *ph)
{
	const struct exec_iface *e = &st->ifs[ph->index];

	switch (ph->kind) {
	case PH_FDS:
		return e->fds_colon;
	case PH_FDS_COMMA:
		return e->fds_comma;
	case PH_FD:
		return e->fd_first;
	case PH_NAME:
		return mvl_iface_get_name(e->iface);
	default:
		return e->mac;
	}
}

/* @arg with its placeholders replaced, in a new string (NULL: no memory). */
static char *substitute(const struct exec_state *st, const char *arg)
{
	size_t cap = strlen(arg) + 1, len = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	for (const char *p = arg; *p;) {
		struct placeholder ph;
		const char *val = p;
		size_t vlen = 1;

		if (parse_placeholder(p, &ph)) {
			val = placeholder_value(st, &ph);
			vlen = strlen(val);
			p += ph.len;
		} else {
			p++;
		}
		if (len + vlen + 1 > cap) {
			char *n;

			cap = (len + vlen + 1) * 2;
			n = realloc(out, cap);
			if (!n) {
				free(out);
				return NULL;
			}
			out = n;
		}
		memcpy(out + len, val, vlen);
		len += vlen;
	}
	out[len] = '\0';
	return out;
}

/* ---------------------------------------------------------------- helpers */

/* execvp's search, done before anything is created. */
static int find_program(const char *name, char **ret)
{
	const char *path = getenv("PATH");
	struct stat sb;

	if (!*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		if (access(name, X_OK) < 0)
			return -errno;
		*ret = strdup(name);
		return *ret ? 0 : -ENOMEM;
	}
	if (!path)
		path = "/bin:/usr/bin";
	for (const char *p = path;; p += strcspn(p, ":") + 1) {
		size_t dlen = strcspn(p, ":");
		char *cand;

		if (asprintf(&cand, "%.*s%s%s", (int)dlen, dlen ? p : ".", "/", name) < 0)
			return -ENOMEM;
		if (stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) && access(cand, X_OK) == 0) {
			*ret = cand;
			return 0;
		}
		free(cand);
		if (!p[dlen])
			break;
	}
	return -ENOENT;
}

static char *join_fds(const int *v, unsigned n, char sep)
{
	size_t cap = (size_t)n * 12 + 1, len = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	s[0] = '\0';
	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s%d", i ? (char[]){ sep, 0 } : "",
					v[i]);
	return s;
}

static void close_fds(struct exec_iface *e)
{
	for (unsigned i = 0; i < e->n_fds; i++)
		if (e->fds[i] >= 0) {
			close(e->fds[i]);
			e->fds[i] = -1;
		}
}

/*
 * Delete the interfaces exec created, in reverse order, when they still
 * exist and are still the same device (same ifindex: a name can be reused).
 * Returns 0, or the first error (the context holds its message).
 */
static int remove_created(struct tool *t, struct exec_state *st, size_t n)
{
	int first = 0;

	for (size_t i = n; i-- > 0;) {
		struct exec_iface *e = &st->ifs[i];
		struct mvl_iface *now = NULL;
		const char *name;
		int r;

		close_fds(e);
		if (!e->iface || !e->created)
			continue;
		name = mvl_iface_get_name(e->iface);
		r = mvl_iface_get(t->ctx, name, &now);
		if (r == -ENODEV)
			continue; /* gone with its last fd */
		if (r == 0) {
			bool same = mvl_iface_get_ifindex(now) == e->ifindex;

			mvl_iface_unref(now);
			if (!same)
				continue;
			r = mvl_iface_delete(t->ctx, name);
		}
		if (r < 0 && !first) {
			first = r;
			fprintf(stderr, "mvlink: %s\n", mvl_ctx_get_error(t->ctx));
		}
	}
	return first;
}

static void free_state(struct exec_state *st)
{
	for (size_t i = 0; i < st->n; i++) {
		struct exec_iface *e = &st->ifs[i];

		close_fds(e);
		mvl_iface_unref(e->iface);
		iface_spec_clear(&e->spec);
		free(e->fds);
		free(e->vmm_fds);
		free(e->fds_colon);
		free(e->fds_comma);
	}
	free(st->ifs);
}

static struct exec_iface *add_iface(struct exec_state *st)
{
	struct exec_iface *ifs = realloc(st->ifs, (st->n + 1) * sizeof(*ifs));

	if (!ifs)
		return NULL;
	st->ifs = ifs;
	memset(&ifs[st->n], 0, sizeof(ifs[st->n]));
	iface_spec_init(&ifs[st->n].spec);
	if (st->n > 0) /* --vm carries over */
		ifs[st->n].spec.vm = ifs[st->n - 1].spec.vm;
	return &ifs[st->n++];
}

/* Create interface @e and take its queue fds. */
static int create_one(struct tool *t, struct exec_iface *e)
{
	const uint8_t *guest_mac;
	unsigned n;
	int r;

	r = iface_spec_create(t, &e->spec, 0, &e->iface);
	if (r < 0)
		return r;
	e->created = !mvl_iface_get_adopted(e->iface);
	e->ifindex = mvl_iface_get_ifindex(e->iface);
	n = mvl_iface_get_queue_count(e->iface);
	e->fds = calloc(n ? n : 1, sizeof(int));
	e->vmm_fds = calloc(n ? n : 1, sizeof(int));
	if (!e->fds || !e->vmm_fds)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		r = mvl_iface_take_queue_fd(e->iface, i);
		if (r < 0)
			return r;
		e->fds[e->n_fds++] = r;
	}
	if (!e->n_fds)
		return -EBADF;
	guest_mac = iface_spec_guest_mac(&e->spec, e->iface);
	if (guest_mac)
		mvl_mac_format(guest_mac, e->mac);
	return 0;
}

/* ---------------------------------------------------------------- the child */

/*
 * In the child: move the queue fds to FIRST_FD, FIRST_FD + 1, ... without
 * O_CLOEXEC.  First every fd is copied above the target range (with
 * O_CLOEXEC, so the copies vanish at exec), then dup2() puts the copies in
 * place: no source can be overwritten before it was copied, whatever
 * numbers the library's fds had.
 */
static int place_fds(const struct exec_state *st, unsigned total)
{
	int *tmp = calloc(total ? total : 1, sizeof(int));
	unsigned k = 0;

	if (!tmp)
		return -ENOMEM;
	for (size_t i = 0; i < st->n; i++)
		for (unsigned q = 0; q < st->ifs[i].n_fds; q++) {
			tmp[k] = fcntl(st->ifs[i].fds[q], F_DUPFD_CLOEXEC, FIRST_FD + (int)total);
			if (tmp[k] < 0)
				return -errno;
			k++;
		}
	for (k = 0; k < total; k++)
		if (dup2(tmp[k], FIRST_FD + (int)k) < 0) /* the new fd has no FD_CLOEXEC */
			return -errno;
	for (k = 0; k < total; k++)
		close(tmp[k]);
	free(tmp);
	return 0;
}

static int set_env(const struct exec_state *st)
{
	char key[64], *names = NULL;
	size_t len = 0;

	for (size_t i = 0; i < st->n; i++) {
		const struct exec_iface *e = &st->ifs[i];
		const char *name = mvl_iface_get_name(e->iface);
		char *n = realloc(names, len + strlen(name) + 2);

		if (!n)
			return -ENOMEM;
		names = n;
		len += (size_t)sprintf(names + len, "%s%s", i ? "," : "", name);
		snprintf(key, sizeof(key), "MVLINK_FDS_%zu", i);
		if (setenv(key, e->fds_colon, 1) < 0)
			return -errno;
		snprintf(key, sizeof(key), "MVLINK_NAME_%zu", i);
		if (setenv(key, name, 1) < 0)
			return -errno;
		snprintf(key, sizeof(key), "MVLINK_MAC_%zu", i);
		if (e->mac[0] && setenv(key, e->mac, 1) < 0)
			return -errno;
	}
	if (setenv("MVLINK_IFACES", names ? names : "", 1) < 0)
		return -errno;
	free(names);
	return 0;
}

static void print_json(const struct exec_state *st, char **vmm_argv, int vmm_argc)
{
	out_object_open(NULL);
	out_array_open("interfaces");
	for (size_t i = 0; i < st->n; i++) {
		const struct exec_iface *e = &st->ifs[i];
		out_iface(e->iface, IFACE_CREATE | IFACE_OPEN,
			  iface_spec_guest_mac(&e->spec, e->iface), e->n_fds);
		out_int_array(PRINT_JSON, "fds", e->vmm_fds, e->n_fds);
		out_object_close();
	}
	out_array_close();
	out_str_array(PRINT_JSON, "command", vmm_argv, (size_t)vmm_argc);
	out_object_close();
	out_finish();
}

/* ---------------------------------------------------------------- creating */

/*
 * Interface @i failed to be created (@r): remove the ones created before
 * it (and @i itself when it exists but could not hand over its fds) and
 * report the library's message.  Returns the exit code.
 */
static int fail_create(struct tool *t, struct exec_state *st, size_t i, int r)
{
	const struct exec_iface *e = &st->ifs[i];
	bool undo_failed = mvl_ctx_get_undo_failed(t->ctx);
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s", mvl_ctx_get_error(t->ctx));
	if (!msg[0])
		snprintf(msg, sizeof(msg), "interface %s: %s",
			 e->iface ? mvl_iface_get_name(e->iface) : e->spec.name, strerror(-r));
	if (remove_created(t, st, e->iface ? i + 1 : i) < 0)
		undo_failed = true;
	return tool_fail_msg(t, r, undo_failed, "%s", msg);
}

/* Something failed (@r) after the interfaces were created and before the
 * VMM started: remove them all.  Returns the exit code. */
static int fail_start(struct tool *t, struct exec_state *st, int r)
{
	const char *why = strerror(-r);
	bool undo_failed = remove_created(t, st, st->n) < 0;

	return tool_fail_msg(t, r, undo_failed, "cannot start the VMM: %s", why);
}

/* Give @e's fds their numbers in the VMM, from @total on (counted up). */
static int number_fds(struct exec_iface *e, unsigned *total)
{
	for (unsigned q = 0; q < e->n_fds; q++)
		e->vmm_fds[q] = FIRST_FD + (int)(*total)++;
	e->fds_colon = join_fds(e->vmm_fds, e->n_fds, ':');
	e->fds_comma = join_fds(e->vmm_fds, e->n_fds, ',');
	snprintf(e->fd_first, sizeof(e->fd_first), "%d", e->vmm_fds[0]);
	return e->fds_colon && e->fds_comma ? 0 : -ENOMEM;
}

/* Create the interfaces in order; on a failure remove the ones created
 * before.  Returns 0, or the exit code. */
static int create_all(struct tool *t, struct exec_state *st)
{
	int r;

	st->total_fds = 0;
	for (size_t i = 0; i < st->n; i++) {
		r = create_one(t, &st->ifs[i]);
		if (r < 0)
			return fail_create(t, st, i, r);
		r = number_fds(&st->ifs[i], &st->total_fds);
		if (r < 0)
			return fail_start(t, st, r);
	}
	return 0;
}

/* Replace the placeholders in the VMM's arguments.  0, or the exit code. */
static int rewrite_args(struct tool *t, struct exec_state *st)
{
	for (int i = 0; i < st->vmm_argc; i++) {
		st->vmm_argv[i] = substitute(st, st->vmm_argv[i]);
		/* on a failure the arguments substituted so far leak: exiting anyway */
		if (!st->vmm_argv[i])
			return fail_start(t, st, -ENOMEM);
	}
	return 0;
}

/* What exec made, before the VMM starts: JSON on stdout, or with -v on
 * stderr.  Text mode prints nothing: stdout belongs to the VMM (a serial
 * console). */
static void report(const struct tool *t, const struct exec_state *st)
{
	if (t->json)
		print_json(st, st->vmm_argv, st->vmm_argc);
	if (!t->verbose)
		return;
	for (size_t i = 0; i < st->n; i++)
		fprintf(stderr, "mvlink: %s %s: fds %s\n",
			mvl_mode_to_string(mvl_iface_get_mode(st->ifs[i].iface)),
			mvl_iface_get_name(st->ifs[i].iface), st->ifs[i].fds_colon);
	fprintf(stderr, "mvlink: running");
	for (int i = 0; i < st->vmm_argc; i++)
		fprintf(stderr, " %s", st->vmm_argv[i]);
	fputc('\n', stderr);
}

/* ---------------------------------------------------------------- signals */

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

/* The signal state exec changes while the VMM runs, to put back. */
struct signals {
	sigset_t mask; /* the forwarded signals and SIGCHLD */
	sigset_t old_mask;
	struct sigaction old_chld;
};

/* Signals to forward are blocked and taken with sigwaitinfo(); SIGCHLD
 * must not be ignored (an inherited SIG_IGN would reap the child). */
static void signals_take(struct signals *sig)
{
	struct sigaction sa_dfl = { .sa_handler = SIG_DFL };

	sigemptyset(&sig->mask);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&sig->mask, forwarded[i]);
	sigaddset(&sig->mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &sig->mask, &sig->old_mask);
	sigaction(SIGCHLD, &sa_dfl, &sig->old_chld);
}

static void signals_restore(const struct signals *sig)
{
	sigaction(SIGCHLD, &sig->old_chld, NULL);
	sigprocmask(SIG_SETMASK, &sig->old_mask, NULL);
}

/* Wait for the VMM @pid, passing on the forwarded signals; its status. */
static int wait_vmm(pid_t pid, const struct signals *sig)
{
	int status;

	for (;;) {
		siginfo_t si;
		int signo = sigwaitinfo(&sig->mask, &si);

		if (signo < 0)
			continue; /* EINTR */
		if (signo == SIGCHLD) {
			pid_t w = waitpid(pid, &status, WNOHANG);

			if (w == pid)
				return status;
			if (w < 0 && errno == ECHILD)
				return 127 << 8; /* cannot happen: the child was ours */
			continue;
		}
		/* a terminal signals the whole foreground group (the VMM too):
		 * pass on only what a process sent to mvlink */
		if (si.si_code != SI_KERNEL)
			kill(pid, signo);
	}
}

/* ---------------------------------------------------------------- fork and wait */

/* In the child: the fds in place, the environment, the signal state of
 * mvlink's caller, then the VMM. */
__attribute__((noreturn)) static void exec_vmm(const struct exec_state *st,
					       const struct signals *sig, const char *path)
{
	int r = place_fds(st, st->total_fds);

	if (r == 0)
		r = set_env(st);
	if (r < 0) {
		fprintf(stderr, "mvlink: cannot prepare the VMM's fds: %s\n", strerror(-r));
		_exit(127);
	}
	signals_restore(sig);
	execv(path, st->vmm_argv);
	fprintf(stderr, "mvlink: cannot execute %s: %s\n", path, strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* The VMM exited with @status: remove the interfaces; the exit code. */
static int vmm_exited(struct tool *t, struct exec_state *st, int status)
{
	int r = remove_created(t, st, st->n);

	if (r < 0)
		return tool_fail_msg(t, r, true, "the VMM exited but its interfaces could not "
				     "all be removed; remove them with `mvlink delete --vm %s`",
				     st->ifs[0].spec.vm);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Run the VMM at @path in a child with the queue fds, wait for it, remove
 * the interfaces.  Returns the exit code. */
static int run_vmm(struct tool *t, struct exec_state *st, const char *path)
{
	struct signals sig;
	int r, status;
	pid_t pid;

	signals_take(&sig);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = fail_start(t, st, -errno);
		signals_restore(&sig);
		return r;
	}
	if (pid == 0)
		exec_vmm(st, &sig, path);
	/* the VMM holds the queue fds now; ours would keep taps alive */
	for (size_t i = 0; i < st->n; i++)
		close_fds(&st->ifs[i]);
	status = wait_vmm(pid, &sig);
	signals_restore(&sig);
	return vmm_exited(t, st, status);
}

/* ---------------------------------------------------------------- the command */

static void help(void)
{
	printf("Usage: mvlink exec INTERFACE-OPTIONS [--iface INTERFACE-OPTIONS]...\n"
	       "                   -- VMM [ARG]...\n"
	       "\n"
	       "Create a VM's interfaces, run the VM monitor VMM with their queue fds, wait\n"
	       "for it, then remove the interfaces and exit with VMM's exit status.\n"
	       "\n"
	       "Each interface takes the options of `mvlink create` (below); --iface ends one\n"
	       "interface and starts the next, and --vm carries over to it unless given\n"
	       "again.  Unlike create, a tap is not persistent (it lives as long as its fds)\n"
	       "and a macvtap's or ipvtap's device node is opened once per queue.  The fds\n"
	       "reach VMM as fds 3, 4, ... in order: interface 0's queues first, then\n"
	       "interface 1's, and so on.  In VMM's arguments these placeholders are\n"
	       "replaced:\n"
	       "  {fds}    interface 0's fds joined by ':'   QEMU: -netdev tap,id=n0,fds={fds}\n"
	       "  {fds,}   the same joined by ','            Cloud Hypervisor: --net fd=[{fds,}]\n"
	       "  {fd}     interface 0's first fd            -netdev tap,id=n0,fd={fd}\n"
	       "  {name}   interface 0's name\n"
	       "  {mac}    the guest's MAC of interface 0 (a tap needs --mac for it; an\n"
	       "           ipvtap's is its lower device's)\n"
	       "  {fdsN} {fdsN,} {fdN} {nameN} {macN}   the same for interface N (0, 1, ...);\n"
	       "           {fds} is {fds0}, and so on\n"
	       "A placeholder naming an interface that was not given is a usage error;\n"
	       "other text in braces stays as it is (there is no escaping).  VMM's\n"
	       "environment also has MVLINK_IFACES=NAME0,NAME1,... and, for each interface\n"
	       "N, MVLINK_FDS_N (\"3:4\"), MVLINK_NAME_N and MVLINK_MAC_N (when known).\n"
	       "\n"
	       "When VMM exits, every interface exec created is deleted (one it adopted,\n"
	       "i.e. that existed before, stays).  SIGINT, SIGTERM, SIGHUP and SIGQUIT sent\n"
	       "to mvlink by a process are passed on to VMM (a terminal's Ctrl-C reaches\n"
	       "VMM directly).  If mvlink itself is killed with SIGKILL, a macvtap or an\n"
	       "ipvtap stays: remove it with `mvlink delete --vm ID`.\n"
	       "\n");
	iface_options_help(false);
	printf("  --iface              start the next interface's options\n"
	       "Other options:\n"
	       "  --json               before VMM starts, print {\"interfaces\": [...],\n"
	       "                       \"command\": [...]}: each interface as create prints\n"
	       "                       it plus \"fds\" (its fd numbers in VMM), and VMM's\n"
	       "                       arguments after substitution\n"
	       "  -v, --verbose        show the library's log and VMM's command (-vv: debug)\n"
	       "  -h, --help           show this help\n"
	       "\n"
	       "Exit status: 1 usage error; 2 failed before VMM started, everything undone;\n"
	       "3 could not undo everything (before VMM started, or removing an interface\n"
	       "after it exited); otherwise VMM's exit status (128+N when killed by signal\n"
	       "N; 127 when it could not be executed).\n"
	       "\n"
	       "Examples:\n"
	       "  mvlink exec --mode tap --vm test1 --name vm-test1 --bridge br0 \\\n"
	       "      --mac 02:00:00:00:00:01 --queues 2 -- \\\n"
	       "      qemu-system-x86_64 ... -netdev tap,id=n0,fds={fds},vhost=off \\\n"
	       "      -device virtio-net-pci,netdev=n0,mac={mac},mq=on,vectors=6\n"
	       "  (QEMU takes the number of queues from fds=; it refuses queues= with it.\n"
	       "  vectors= is 2N+2 for N queues.)\n"
	       "  mvlink exec --mode macvtap --vm test1 --link eno1 --name vm-test1 \\\n"
	       "      --mac 02:00:00:00:00:01 -- \\\n"
	       "      cloud-hypervisor ... --net fd=[{fds,}],mac={mac}\n"
	       "  mvlink exec --mode ipvtap --vm test1 --link wlan0 --name vm-test1 \\\n"
	       "      --ip 192.0.2.10 -- \\\n"
	       "      qemu-system-x86_64 ... -netdev tap,id=n0,fd={fd},vhost=off \\\n"
	       "      -device virtio-net-pci,netdev=n0,mac={mac}\n");
}

/* The interface whose options are being read: the last one. */
static void *cur_spec(void *args)
{
	struct exec_state *st = args;

	return &st->ifs[st->n - 1].spec;
}

/* --iface: the options that follow are the next interface's. */
static int next_iface(struct tool *t, const struct tool_opt *o, const char *arg, void *dst)
{
	struct exec_state *st = dst;

	(void)o;
	(void)arg;
	if (st->ifs[st->n - 1].spec.n_opts && !add_iface(st))
		return tool_fail_msg(t, -ENOMEM, false, "out of memory");
	return 0;
}

static int parse(struct tool *t, int argc, char **argv, void *args)
{
	static const struct tool_opt opts[] = {
		{ "iface", no_argument, next_iface },
		{},
	};
	static const struct tool_opt_group groups[] = {
		IFACE_OPT_GROUP(cur_spec), /* the options of the interface being read */
		{ opts },
	};
	struct exec_state *st = args;
	char which[48] = "";
	int r;

	if (!add_iface(st))
		return tool_fail_msg(t, -ENOMEM, false, "out of memory");
	/* '+': stop at "--" or at the VMM; its options are not ours */
	r = tool_parse_opts(t, argc, argv, "+:vh", groups, ARRAY_SIZE(groups), st, help);
	if (r != TOOL_RUN)
		return r;
	if (optind < 1 || strcmp(argv[optind - 1], "--") != 0) {
		if (optind < argc)
			return tool_usage(t, "expected '--' before the VMM command, got '%s'",
					  argv[optind]);
		return tool_usage(t, "missing '-- VMM [ARG]...': the command to run");
	}
	if (optind >= argc)
		return tool_usage(t, "missing the VMM command after '--'");
	st->vmm_argv = argv + optind;
	st->vmm_argc = argc - optind;
	if (st->n > 1 && !st->ifs[st->n - 1].spec.n_opts)
		return tool_usage(t, "--iface at the end starts interface %zu without options",
				  st->n - 1);
	for (size_t i = 0; i < st->n; i++) {
		const struct iface_spec *s = &st->ifs[i].spec;

		if (st->n > 1)
			snprintf(which, sizeof(which), "interface %zu: ", i);
		if (s->mode != MVL_MODE_NONE && !iface_mode_has_fds(s->mode))
			return tool_usage(t, "%s--mode %s does not work with exec: it has no "
					  "queue fds to hand over (exec takes %s); use `mvlink "
					  "create --mode %s` and `mvlink delete`", which,
					  mvl_mode_to_string(s->mode), iface_mode_names(true, " and "),
					  mvl_mode_to_string(s->mode));
		r = iface_spec_check(t, s, which);
		if (r)
			return r;
	}
	r = check_placeholders(t, st, st->vmm_argv);
	return r ? r : TOOL_RUN;
}

static int run(struct tool *t, void *args)
{
	struct exec_state *st = args;
	char *vmm_path = NULL;
	int r;

	r = find_program(st->vmm_argv[0], &vmm_path);
	if (r < 0)
		return tool_fail_msg(t, r, false, "cannot run VMM '%s': %s%s", st->vmm_argv[0],
				     strerror(-r),
				     strchr(st->vmm_argv[0], '/') ? "" : " (searched PATH)");
	if (!tool_ctx(t))
		r = EXIT_FAILED;
	else
		r = create_all(t, st);
	if (!r)
		r = rewrite_args(t, st);
	if (!r) {
		report(t, st);
		r = run_vmm(t, st, vmm_path);
	}
	free(vmm_path);
	return r;
}

static void clear(void *args)
{
	free_state(args);
}

const struct tool_cmd tool_cmd_exec = {
	.name = "exec",
	.synopsis = "exec INTERFACE-OPTIONS [--iface INTERFACE-OPTIONS]... -- VMM [ARG]...",
	.summary = "create interfaces, run a VMM with their fds, remove them after",
	.args_size = sizeof(struct exec_state),
	.parse = parse,
	.run = run,
	.clear = clear,
};
