// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-teardown.c - mvl_vm_delete_many() and mvl_vm_delete() against the
 * real kernel, in private namespaces: every link of the VMs goes (those of
 * two VMs or more through one link group when that is safe, one VM's one
 * by one), every other link stays as it was
 * (foreign links, other VMs' links, a foreign link already in a group, a
 * foreign link in the very group the deletion picks), and a repeat is a
 * no-op.  `ip -j -d link` is the oracle; nlcount.c counts exactly the
 * requests and dumps each deletion and listing sends.
 */
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "nlcount.h"
#include "operations.h"
#include "testhooks.h"

/* Persistent taps of VM @vm on br0, named after it: @vm0 ... @vm<n-1>. */
static void taps(struct mvl_ctx *ctx, const char *vm, int n)
{
	for (int i = 0; i < n; i++) {
		char name[16];
		struct mvl_tap_opts o = { .sz = sizeof(o), .vm_id = vm, .name = name, .bridge = "br0",
					  .flags = MVL_TAP_PERSIST };

		snprintf(name, sizeof(name), "%s%d", vm, i);
		mvl_iface_unref(mvt_tap_create_ok(ctx, &o));
	}
}

static void macvtap(struct mvl_ctx *ctx, const char *vm, const char *name, const char *link,
		    enum mvl_macvtap_mode mode, const uint8_t *mac)
{
	struct mvl_macvtap_opts o = { .sz = sizeof(o), .vm_id = vm, .name = name, .link = link,
				      .mode = mode, .mac = mac, .flags = MVL_MACVTAP_NO_FDS };

	mvl_iface_unref(mvt_macvtap_create_ok(ctx, &o));
}

/* The link's group as ip shows it ("default" or a number). */
static char *group_of(const char *name)
{
	struct json_object *j = mvt_ip_link(name);
	char *g;

	ck_assert_msg(j != NULL, "%s is gone", name);
	g = strdup(mvt_jstr(j, "group") ? mvt_jstr(j, "group") : "?");
	json_object_put(j);
	return g;
}

static void assert_group(const char *name, const char *want)
{
	char *g = group_of(name);

	ck_assert_msg(strcmp(g, want) == 0, "%s is in group %s, expected %s", name, g, want);
	free(g);
}

static void assert_gone(const char *name)
{
	ck_assert_msg(!mvt_link_exists(name), "%s still exists", name);
}

/* The taps of taps(@vm, @n) are gone. */
static void assert_taps_gone(const char *vm, int n)
{
	for (int i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "%s%d", vm, i);
		assert_gone(name);
	}
}

static size_t vm_count(struct mvl_ctx *ctx, const char *vm)
{
	struct mvl_iface_list *list = NULL;
	size_t n;

	ck_assert_int_eq(mvl_iface_list_new(ctx, vm, 0, &list), 0);
	n = mvl_iface_list_count(list);
	mvl_iface_list_free(list);
	return n;
}

/* Exactly what the library sent since @before: @requests netlink requests,
 * of which @all dumps of every link and @kind dumps filtered by kind in the
 * kernel, and no other dump.  Every step asserted here lists the kinds at
 * most once, and @kind counts the kinds this host's kernel always has (tun,
 * macvtap, bridge); a kernel with ipvtap (<sysfs>/class/ipvtap, which no
 * test loads or unloads) gets one dump more, and one request more, in it. */
static void assert_sent(const char *what, struct nlcount before, unsigned long requests,
			unsigned long all, unsigned long kind)
{
	struct nlcount now = nlcount_get();

	if (kind && access("/sys/class/ipvtap", F_OK) == 0) {
		kind++;
		requests++;
	}

	ck_assert_msg(now.requests - before.requests == requests &&
			      now.dumps_all - before.dumps_all == all &&
			      now.dumps_kind - before.dumps_kind == kind &&
			      now.dumps_other == before.dumps_other,
		      "%s sent %lu requests, %lu dumps of every link, %lu by kind, %lu other; "
		      "expected %lu, %lu, %lu, 0",
		      what, now.requests - before.requests, now.dumps_all - before.dumps_all,
		      now.dumps_kind - before.dumps_kind, now.dumps_other - before.dumps_other,
		      requests, all, kind);
}

/* Foreign links around the VMs: a veth pair, an untagged tap on the
 * bridge, a veth already in link group 7, one with a look-alike alias. */
static void foreign_links(void)
{
	ck_assert_int_eq(mvt_sh("ip link add br0 type bridge && ip link set br0 up"), 0);
	mvt_veth("fx0", "fx1");
	mvt_veth("fg0", "fg1");
	ck_assert_int_eq(mvt_sh("ip link set fg0 group 7"), 0);
	ck_assert_int_eq(mvt_sh("ip tuntap add name ftap mode tap && ip link set ftap master br0 "
				"up"), 0);
	mvt_veth("fal0", "fal1");
	ck_assert_int_eq(mvt_sh("ip link set fal0 alias 'mvlink-ish:vm=a;mode=tap'"), 0);
}

/* Fresh namespaces holding the foreign links. */
static void enter(void)
{
	mvt_enter_netns();
	foreign_links();
}

static void assert_foreign_intact(void)
{
	const char *const names[] = { "br0", "fx0", "fx1", "fg1", "ftap", "fal0", "fal1" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		assert_group(names[i], "default");
	assert_group("fg0", "7");
}

START_TEST(many_deletes_exactly_the_vms)
{
	const char *const ids[] = { "a", "b", "nosuch" };
	struct mvl_ctx *ctx;
	struct nlcount before;

	enter();
	ctx = mvt_ctx();
	taps(ctx, "a", 3);
	taps(ctx, "b", 2);
	taps(ctx, "c", 2);

	/* the index is not complete yet: the taps and macvtaps are listed
	 * (2 dumps by kind), the 5 entries of a and b checked (5 lookups);
	 * the 5 taps move into the group (5), the dump of every link checks
	 * it (1) and it is deleted (1): 14 requests */
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete_many(ctx, ids, 3), 5);
	assert_sent("deleting VMs a, b, nosuch (index being built)", before, 14, 1, 2);
	assert_taps_gone("a", 3);
	assert_taps_gone("b", 2);
	assert_group("c0", "default");
	assert_group("c1", "default");
	assert_foreign_intact();
	ck_assert_uint_eq(vm_count(ctx, "a"), 0);
	ck_assert_uint_eq(vm_count(ctx, "c"), 2);

	/* idempotent: the index now names no link of theirs, nothing is sent */
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete_many(ctx, ids, 3), 0);
	assert_sent("deleting VMs a, b, nosuch again", before, 0, 0, 0);
	ck_assert_str_eq(mvl_ctx_get_error(ctx), "");
	assert_foreign_intact();
	assert_group("c0", "default");
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(many_with_macvtaps)
{
	static const uint8_t guest[6] = { 0x02, 0, 0, 0, 0, 0x42 };
	const char *const ids[] = { "a", "c" };
	struct mvl_ctx *ctx;
	struct nlcount before;
	char *mac_before;

	enter();
	mvt_veth("up0", "up0p");
	mvt_veth("up1", "up1p");
	mac_before = mvt_sh_out("cat /sys/class/net/up1/address");
	ctx = mvt_ctx();
	taps(ctx, "a", 1);
	macvtap(ctx, "a", "am0", "up0", MVL_MACVTAP_BRIDGE, NULL);
	macvtap(ctx, "a", "am1", "up0", MVL_MACVTAP_VEPA, NULL);
	/* passthru changes its lower: deleted on its own, the lower restored */
	macvtap(ctx, "a", "amp", "up1", MVL_MACVTAP_PASSTHRU, guest);
	macvtap(ctx, "b", "bm0", "up0", MVL_MACVTAP_BRIDGE, NULL);
	macvtap(ctx, "c", "cm0", "up0", MVL_MACVTAP_BRIDGE, NULL);

	/* the taps and macvtaps listed (2 dumps by kind; the index is not
	 * complete yet) and the 5 entries of a and c checked (5); a0, am0,
	 * am1 and cm0 moved into the group (4), checked (1 dump of every
	 * link) and deleted (1); amp: its lower looked up for its lock (1),
	 * amp looked up again under it (1), deleted (1), its lower checked
	 * (1, the kernel gave the MAC back): 17 requests */
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete_many(ctx, ids, 2), 5);
	assert_sent("deleting VMs a and c", before, 17, 1, 2);
	assert_gone("a0");
	assert_gone("am0");
	assert_gone("am1");
	assert_gone("amp");
	assert_gone("cm0");
	{
		char *mac_after = mvt_sh_out("cat /sys/class/net/up1/address");

		ck_assert_str_eq(mac_after, mac_before);
		free(mac_after);
	}
	assert_group("bm0", "default");
	assert_group("up0", "default");
	assert_group("up1", "default");
	assert_foreign_intact();
	ck_assert_int_eq(mvl_vm_delete_many(ctx, ids, 2), 0);
	free(mac_before);
	mvl_ctx_unref(ctx);
}
END_TEST

/* A foreign link sits in the group the deletion picks: it must survive;
 * the VMs' links go one by one. */
START_TEST(many_group_clash_falls_back)
{
	const char *const ids[] = { "a", "b" };
	struct mvl_ctx *ctx;
	struct nlcount before;

	enter();
	ck_assert_int_eq(mvt_sh("ip link set fx0 group 77"), 0);
	ctx = mvt_ctx();
	taps(ctx, "a", 2);
	taps(ctx, "b", 1);
	mvl_ctx_test(ctx)->delete_group = 77;
	/* listed (2 dumps by kind), 3 entries checked (3), moved into group
	 * 77 (3), the group checked (1 dump of every link: fx0 is in it),
	 * then each looked up again under its lock and deleted (6) */
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete_many(ctx, ids, 2), 3);
	assert_sent("deleting VMs a and b, group 77 taken", before, 15, 1, 2);
	mvl_ctx_test(ctx)->delete_group = 0;
	assert_taps_gone("a", 2);
	assert_taps_gone("b", 1);
	assert_group("fx0", "77");
	ck_assert_str_eq(mvl_ctx_get_error(ctx), "");
	mvl_ctx_unref(ctx);
}
END_TEST

/* mvl_vm_delete: a VM's links one by one by ifindex, never through a
 * group (whose check would be a dump of every link). */
START_TEST(single_vm)
{
	struct mvl_ctx *ctx;
	struct nlcount before;

	enter();
	ctx = mvt_ctx();
	taps(ctx, "a", 1);
	taps(ctx, "b", 2);
	taps(ctx, "c", 1);
	/* the first deletion in the namespace builds the index: the taps and
	 * macvtaps listed (2 dumps by kind), a0's entry checked (1), a0
	 * looked up under its lock (1) and deleted (1) */
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete(ctx, "a"), 1);
	assert_sent("deleting VM a (index being built)", before, 5, 0, 2);
	assert_gone("a0");
	/* per tap: its entry checked, looked up under its lock, deleted */
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete(ctx, "b"), 2);
	assert_sent("deleting VM b (2 taps)", before, 6, 0, 0);
	assert_taps_gone("b", 2);
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete(ctx, "b"), 0);
	assert_sent("deleting VM b again", before, 0, 0, 0);
	assert_group("c0", "default");
	assert_foreign_intact();
	mvl_ctx_unref(ctx);
}
END_TEST

/* Listing mvlink's links, or one VM's, and deleting a VM do not dump every
 * link of the host (that would grow with unrelated links): the kernel
 * filters the dumps by kind, and a deletion once the index is complete
 * sends none.  A listing with MVL_LIST_ALL dumps every link. */
START_TEST(no_dump_of_every_link)
{
	struct mvl_iface_list *list = NULL;
	struct mvl_ctx *ctx;
	struct nlcount before;
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0x0d, 1 };

	enter();
	mvt_veth("up0", "up0p");
	ctx = mvt_ctx();
	taps(ctx, "d", 1);
	macvtap(ctx, "m", "mm", "up0", MVL_MACVTAP_BRIDGE, mac);
	taps(ctx, "e", 1);
	/* a dump by kind per tagged kind (bridge, tun, macvtap), and d0's
	 * bridge br0 (untagged, so not listed) looked up by ifindex */
	before = nlcount_get();
	ck_assert_int_eq(mvl_iface_list_new(ctx, "d", 0, &list), 0);
	assert_sent("listing VM d", before, 4, 0, 3);
	ck_assert_uint_eq(mvl_iface_list_count(list), 1);
	/* the bridge it names is found without the dump */
	ck_assert_str_eq(mvl_iface_get_link(mvl_iface_list_get(list, 0)), "br0");
	list = mvl_iface_list_free(list);
	/* the same, br0 and up0 looked up once each */
	before = nlcount_get();
	ck_assert_int_eq(mvl_iface_list_new(ctx, NULL, 0, &list), 0);
	assert_sent("listing every VM", before, 5, 0, 3);
	ck_assert_uint_eq(mvl_iface_list_count(list), 3);
	for (size_t i = 0; i < 3; i++) {
		struct mvl_iface *f = mvl_iface_list_get(list, i);
		bool tap = mvl_iface_get_mode(f) == MVL_MODE_TAP;

		ck_assert_str_eq(mvl_iface_get_link(f), tap ? "br0" : "up0");
	}
	list = mvl_iface_list_free(list);
	/* the first deletion builds the index: taps and macvtaps listed */
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete(ctx, "d"), 1);
	assert_sent("deleting VM d (index being built)", before, 5, 0, 2);
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete(ctx, "m"), 1);
	assert_sent("deleting VM m", before, 3, 0, 0);
	/* the count sees a dump of every link when there is one */
	before = nlcount_get();
	ck_assert_int_eq(mvl_iface_list_new(ctx, NULL, MVL_LIST_ALL, &list), 0);
	assert_sent("listing every link", before, 1, 1, 0);
	list = mvl_iface_list_free(list);
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete(ctx, "e"), 1);
	assert_sent("deleting VM e", before, 3, 0, 0);
	assert_foreign_intact();
	mvl_ctx_unref(ctx);
}
END_TEST

/* <state>/index/<this netns>[/<vm>] (lib/index.c) */
static char *index_path(struct mvl_ctx *ctx, const char *vm)
{
	struct stat st;
	char *p;

	ck_assert_int_eq(stat("/proc/self/ns/net", &st), 0);
	ck_assert_int_ge(asprintf(&p, "%s/index/%llu%s%s", mvl_ctx_get_state_dir(ctx),
				  (unsigned long long)st.st_ino, vm ? "/" : "", vm ? vm : ""),
			 0);
	return p;
}

/* The entries of VM @vm's index, "<ifindex>-><name>" sorted, one a line
 * ("" for none). */
static char *index_of(struct mvl_ctx *ctx, const char *vm)
{
	char *dir = index_path(ctx, vm);
	char *out = mvt_sh_out("cd '%s' 2>/dev/null && for f in *; do [ -L \"$f\" ] && "
			       "echo \"$f->$(readlink \"$f\")\"; done | LC_ALL=C sort", dir);

	free(dir);
	return out;
}

static void assert_index(struct mvl_ctx *ctx, const char *vm, const char *want)
{
	char *got = index_of(ctx, vm);

	ck_assert_msg(strcmp(got, want) == 0, "index of VM %s: '%s', expected '%s'", vm, got,
		      want);
	free(got);
}

/* "<ifindex of @name>-><name>\n" */
static char *entry(const char *name)
{
	char *e;

	ck_assert_int_ge(asprintf(&e, "%lld->%s\n", mvt_link_int(name, "ifindex"), name), 0);
	return e;
}

/* Deleting one VM once the index is complete: its links are looked up and
 * deleted one by one by ifindex, no dump at all, with one link or two;
 * each entry is written by the create (a tap, a macvtap) and removed with
 * its link, the VM's directory with the last. */
START_TEST(delete_by_index)
{
	struct mvl_ctx *ctx;
	struct nlcount before;
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0x0e, 1 };
	char *e, *path;

	enter();
	mvt_veth("up0", "up0p");
	ctx = mvt_ctx();
	/* the first deletion in a namespace walks the links (the taps and
	 * the macvtaps: 2 dumps by kind), and marks the index complete
	 * (nothing to index yet) */
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete(ctx, "nothing"), 0);
	assert_sent("deleting VM nothing (index being built)", before, 2, 0, 2);
	path = index_path(ctx, NULL);
	ck_assert_int_eq(mvt_sh("test -f '%s/.complete'", path), 0);
	free(path);
	taps(ctx, "d", 1);
	macvtap(ctx, "d", "dm", "up0", MVL_MACVTAP_BRIDGE, mac);
	taps(ctx, "e", 1);
	e = entry("d0");
	{
		char *m = entry("dm"), *both;

		ck_assert_int_ge(asprintf(&both, "%s%s", e, m), 0);
		/* sorted by ifindex as text, as ls does */
		if (strcmp(e, m) > 0)
			snprintf(both, strlen(both) + 1, "%s%s", m, e);
		assert_index(ctx, "d", both);
		free(both);
		free(m);
	}
	free(e);
	/* two links: per link its entry checked (1), the link looked up
	 * again under its lock (1) and deleted (1) */
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete(ctx, "d"), 2);
	assert_sent("deleting VM d (a tap and a macvtap)", before, 6, 0, 0);
	assert_gone("d0");
	assert_gone("dm");
	path = index_path(ctx, "d");
	ck_assert_int_ne(mvt_sh("test -e '%s'", path), 0);
	free(path);
	/* one link */
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete(ctx, "e"), 1);
	assert_sent("deleting VM e (a tap)", before, 3, 0, 0);
	assert_gone("e0");
	assert_index(ctx, "e", "");
	/* mvl_iface_delete() takes the entry away too */
	taps(ctx, "f", 1);
	ck_assert_int_eq(mvl_iface_delete(ctx, "f0"), 1);
	assert_index(ctx, "f", "");
	assert_foreign_intact();
	mvl_ctx_unref(ctx);
}
END_TEST

/* Several VMs at once go through a link group, whose check is one dump of
 * every link: up to 16 VMs' links found through the index, more through the
 * kernel's lists of taps and macvtaps (2 dumps by kind). */
START_TEST(many_vms_counted)
{
	const char *ids[17];
	char names[17][8];
	struct mvl_ctx *ctx;
	struct nlcount before;
	char *e;

	enter();
	ctx = mvt_ctx();
	ck_assert_int_eq(mvl_vm_delete(ctx, "nothing"), 0); /* complete */
	taps(ctx, "g", 2);
	taps(ctx, "h", 1);
	taps(ctx, "k", 1); /* kept */
	/* 3 entries checked (3), moved into the group (3), the group checked
	 * (1 dump of every link) and deleted (1) */
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete_many(ctx, (const char *[]){ "h", "g" }, 2), 3);
	assert_sent("deleting VMs g and h", before, 8, 1, 0);
	assert_taps_gone("g", 2);
	assert_taps_gone("h", 1);
	assert_index(ctx, "g", "");
	assert_index(ctx, "h", "");
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		snprintf(names[i], sizeof(names[i]), "v%02zu", i);
		ids[i] = names[i];
		taps(ctx, ids[i], 1);
	}
	/* 17 VMs: taps and macvtaps listed (2 dumps by kind), their 17 taps
	 * moved into the group (17), checked (1 dump of every link) and
	 * deleted (1) */
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete_many(ctx, ids, ARRAY_SIZE(ids)), 17);
	assert_sent("deleting 17 VMs", before, 21, 1, 2);
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		assert_taps_gone(ids[i], 1);
		assert_index(ctx, ids[i], "");
	}
	assert_group("k0", "default");
	e = entry("k0");
	assert_index(ctx, "k", e);
	free(e);
	assert_foreign_intact();
	mvl_ctx_unref(ctx);
}
END_TEST

/* The index lost (the state directory removed, or links made before it
 * existed): the next deletion walks the links, deletes them all, indexes
 * the other VMs' links on the way and marks the index complete; the
 * deletion after that finds a link made before the loss without a dump. */
START_TEST(index_rebuilt)
{
	struct mvl_ctx *ctx;
	struct nlcount before;
	char *path, *e;

	enter();
	ctx = mvt_ctx();
	ck_assert_int_eq(mvl_vm_delete(ctx, "nothing"), 0); /* complete */
	taps(ctx, "r", 2);
	taps(ctx, "s", 1);
	path = index_path(ctx, NULL);
	ck_assert_int_eq(mvt_sh("rm -r '%s'", path), 0);
	/* the taps and macvtaps listed (2 dumps by kind, indexing s0 and
	 * r's taps on the way), r's 2 entries checked (2); per tap: looked
	 * up under its lock (1), deleted (1) */
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete(ctx, "r"), 2);
	assert_sent("deleting VM r (index lost)", before, 8, 0, 2);
	assert_taps_gone("r", 2);
	ck_assert_int_eq(mvt_sh("test -f '%s/.complete'", path), 0);
	e = entry("s0");
	assert_index(ctx, "s", e);
	free(e);
	before = nlcount_get();
	ck_assert_int_eq(mvl_vm_delete(ctx, "s"), 1);
	assert_sent("deleting VM s", before, 3, 0, 0);
	assert_gone("s0");
	assert_foreign_intact();
	free(path);
	mvl_ctx_unref(ctx);
}
END_TEST

/* Entries of links that went without mvlink: a tap deleted by ip (its
 * ifindex then taken by a foreign link), a tap that went with its queue
 * fds.  The deletion leaves the foreign link alone and drops the entries;
 * so does mvl_gc() for any VM. */
START_TEST(stale_entries_dropped)
{
	struct mvl_tap_opts o = { .sz = sizeof(o), .vm_id = "t", .name = "t1", .bridge = "br0" };
	struct mvl_iface *f;
	struct mvl_ctx *ctx;
	long long ifindex;

	enter();
	ctx = mvt_ctx();
	ck_assert_int_eq(mvl_vm_delete(ctx, "nothing"), 0); /* complete */
	taps(ctx, "t", 1);
	ifindex = mvt_link_int("t0", "ifindex");
	ck_assert_int_eq(mvt_sh("ip link del t0 && ip link add tz index %lld type veth peer name "
				"tzp",
				ifindex),
			 0);
	f = mvt_tap_create_ok(ctx, &o); /* not persistent: goes with its fds */
	mvl_iface_unref(f);
	ck_assert(!mvt_link_exists("t1"));
	ck_assert_int_eq(mvl_vm_delete(ctx, "t"), 0);
	ck_assert_int_eq(mvt_link_int("tz", "ifindex"), ifindex);
	assert_index(ctx, "t", "");
	/* mvl_gc() drops the entries of links gone, of kept VMs too */
	o.vm_id = "u";
	o.name = "u1";
	mvl_iface_unref(mvt_tap_create_ok(ctx, &o));
	{
		const char *const keep[] = { "u" };
		char *idx = index_of(ctx, "u");

		ck_assert_str_ne(idx, "");
		free(idx);
		ck_assert_int_eq(mvl_gc(ctx, keep, 1, MVL_GC_DRY_RUN), 0);
		ck_assert_int_eq(mvl_gc(ctx, keep, 1, 0), 0);
	}
	assert_index(ctx, "u", "");
	assert_foreign_intact();
	mvl_ctx_unref(ctx);
}
END_TEST

/* A create that fails at any step leaves no entry; the one that goes
 * through leaves exactly its own. */
START_TEST(failed_create_leaves_no_entry)
{
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0x0e, 2 };
	struct mvl_tap_opts t = { .sz = sizeof(t), .vm_id = "x", .name = "x0", .bridge = "br0",
				  .flags = MVL_TAP_PERSIST };
	struct mvl_macvtap_opts m = { .sz = sizeof(m), .vm_id = "x", .name = "xm", .link = "up0",
				      .mode = MVL_MACVTAP_BRIDGE, .mac = mac };
	struct mvl_ctx *ctx;
	struct mvl_iface *f = NULL;
	char *e;
	int r;

	enter();
	mvt_veth("up0", "up0p");
	ctx = mvt_ctx();
	for (int mode = 0; mode < 2; mode++) {
		unsigned long k;

		for (k = 1; k < 100; k++) {
			mvt_fail_at(ctx, k);
			r = mode ? mvl_macvtap_create(ctx, &m, &f) : mvl_tap_create(ctx, &t, &f);
			mvt_fail_at(ctx, 0);
			if (r == 0)
				break;
			ck_assert_int_eq(r, -EIO);
			assert_index(ctx, "x", "");
		}
		ck_assert_uint_gt(k, 1);
		e = entry(mode ? "xm" : "x0");
		assert_index(ctx, "x", e);
		free(e);
		f = mvl_iface_unref(f);
		ck_assert_int_eq(mvl_vm_delete(ctx, "x"), 1);
		assert_index(ctx, "x", "");
	}
	mvl_ctx_unref(ctx);
}
END_TEST

/* The ifindex chosen was taken meanwhile: the create chooses another, and
 * its entry names that one, not the first. */
START_TEST(ifindex_taken_indexed_again)
{
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0x0e, 3 };
	struct mvl_tap_opts t = { .sz = sizeof(t), .vm_id = "y", .name = "y0", .bridge = "br0",
				  .flags = MVL_TAP_PERSIST };
	struct mvl_macvtap_opts m = { .sz = sizeof(m), .vm_id = "y", .name = "ym", .link = "up0",
				      .mode = MVL_MACVTAP_BRIDGE, .mac = mac,
				      .flags = MVL_MACVTAP_NO_FDS };
	struct mvl_ctx *ctx;

	enter();
	mvt_veth("up0", "up0p");
	ck_assert_int_eq(mvt_sh("ip link add ya index 500000 type veth peer name yb"), 0);
	ctx = mvt_ctx();
	for (int mode = 0; mode < 2; mode++) {
		mvl_ctx_test(ctx)->next_ifindex = 500000;
		if (mode)
			mvl_iface_unref(mvt_macvtap_create_ok(ctx, &m));
		else
			mvl_iface_unref(mvt_tap_create_ok(ctx, &t));
		ck_assert_int_eq(mvt_link_int(mode ? "ym" : "y0", "ifindex"), 500001);
		assert_index(ctx, "y", mode ? "500001->ym\n" : "500001->y0\n");
		ck_assert_int_eq(mvl_vm_delete(ctx, "y"), 1);
		assert_index(ctx, "y", "");
	}
	ck_assert_int_eq(mvt_link_int("ya", "ifindex"), 500000);
	mvl_ctx_unref(ctx);
}
END_TEST

/* Steps of a group deletion of 3 links of 2 VMs: 1-3 move them into the
 * group, 4 deletes the group (run 0 counts them: exactly 4).  A failure at
 * step k of them falls back to deleting the 3 one by one (steps k+1 to
 * k+3), and everything still goes. */
START_TEST(fault_in_group_path)
{
	const char *const ids[] = { "a", "b" };
	struct mvl_ctx *ctx;
	unsigned long k = (unsigned long)_i, n;

	enter();
	ctx = mvt_ctx();
	taps(ctx, "a", 2);
	taps(ctx, "b", 1);
	mvt_fail_at(ctx, k ? k : ULONG_MAX);
	ck_assert_int_eq(mvl_vm_delete_many(ctx, ids, 2), 3);
	n = mvl_fault(ctx)->count;
	mvt_fail_at(ctx, 0);
	ck_assert_uint_eq(n, (k ? k + 3 : 4));
	assert_taps_gone("a", 2);
	assert_taps_gone("b", 1);
	assert_foreign_intact();
	mvl_ctx_unref(ctx);
}
END_TEST

/* A link that cannot be deleted stays, back in its own group. */
START_TEST(failed_delete_restores_group)
{
	const char *const ids[] = { "a", "b" };
	struct mvl_ctx *ctx;
	int r, left = 0;

	enter();
	ck_assert_int_eq(mvt_sh("ip link set fx0 group 77"), 0);
	ctx = mvt_ctx();
	taps(ctx, "a", 2);
	taps(ctx, "b", 1);
	ck_assert_int_eq(mvt_sh("ip link set a0 group 5 && ip link set a1 group 5 && "
				"ip link set b0 group 5"), 0);
	/* the group clashes (steps 1-3 move the links), then the first of
	 * the one-by-one deletions (step 4) fails */
	mvl_ctx_test(ctx)->delete_group = 77;
	mvt_fail_at(ctx, 4);
	r = mvl_vm_delete_many(ctx, ids, 2);
	mvt_fail_at(ctx, 0);
	mvl_ctx_test(ctx)->delete_group = 0;
	ck_assert_int_eq(r, -EIO);
	ck_assert_str_ne(mvl_ctx_get_error(ctx), "");
	for (const char *const *n = (const char *const[]){ "a0", "a1", "b0", NULL }; *n; n++)
		if (mvt_link_exists(*n)) {
			left++;
			assert_group(*n, "5");
		}
	ck_assert_int_eq(left, 1);
	assert_group("fx0", "77");
	/* and a second try finishes the job */
	ck_assert_int_eq(mvl_vm_delete_many(ctx, ids, 2), 1);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(bad_arguments)
{
	const char *const bad[] = { "a", "no/slash" };
	const char *const null_id[] = { "a", NULL };
	struct mvl_ctx *ctx;

	mvt_enter_netns();
	ctx = mvt_ctx();
	taps(ctx, "a", 1);
	ck_assert_int_eq(mvl_vm_delete_many(ctx, bad, 2), -EINVAL);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "no/slash"));
	ck_assert_int_eq(mvl_vm_delete_many(ctx, null_id, 2), -EINVAL);
	ck_assert_int_eq(mvl_vm_delete_many(ctx, NULL, 1), -EINVAL);
	ck_assert(mvt_link_exists("a0"));
	ck_assert_int_eq(mvl_vm_delete_many(ctx, NULL, 0), 0);
	ck_assert_int_eq(mvl_vm_delete_many(ctx, bad, 0), 0);
	ck_assert(mvt_link_exists("a0"));
	mvl_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("teardown");
	TCase *tc = mvt_tcase(s, "kernel", 60, many_deletes_exactly_the_vms, many_with_macvtaps,
			      many_group_clash_falls_back, single_vm, no_dump_of_every_link,
			      delete_by_index, many_vms_counted, index_rebuilt, stale_entries_dropped,
			      failed_create_leaves_no_entry, ifindex_taken_indexed_again);

	tcase_add_loop_test(tc, fault_in_group_path, 0, 5);
	tcase_add_test(tc, failed_delete_restores_group);
	tcase_add_test(tc, bad_arguments);
	return mvt_run(s, true);
}
