// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-sriov.c - `mvlink sriov list [PF]`, `mvlink sriov enable PF N` and
 * `mvlink sriov disable PF`: SR-IOV PFs and their VFs.  Giving a VF to a VM
 * is `mvlink create --mode sriov`.
 */
#include <stdio.h>
#include <string.h>

#include "mvlink.h"

#define MAX_VFS 65535 /* sriov_totalvfs is 16 bits */

static void help(void)
{
	printf("Usage: mvlink sriov list [PF]\n"
	       "       mvlink sriov enable PF N\n"
	       "       mvlink sriov disable PF\n"
	       "\n"
	       "SR-IOV: a physical function (PF) of a NIC offers virtual functions (VFs),\n"
	       "PCI functions of their own that can be given to VMs (`mvlink create --mode\n"
	       "sriov`).  PF is the PF's network interface (eno1) or its PCI address\n"
	       "(0000:af:00.0).\n"
	       "\n"
	       "  list [PF]     show every SR-IOV capable PF (or only PF): its PCI address,\n"
	       "                network interface, driver, vendor and device, NUMA node,\n"
	       "                the number of VFs it supports (total_vfs) and has enabled\n"
	       "                (num_vfs); then a table of its VFs: index, PCI address,\n"
	       "                driver, MAC, VLAN (with /802.1ad for that protocol), QoS,\n"
	       "                spoof checking, trust, link state, IOMMU group and the VM\n"
	       "                it is given to (\"-\" where unknown or none)\n"
	       "  enable PF N   create N VFs on PF.  VF autoprobe is turned off first, so\n"
	       "                the new VFs stay off host drivers until given to a VM.  The\n"
	       "                kernel changes the number of VFs only from 0: disable first\n"
	       "                to change it.  Enabling the number PF already has does\n"
	       "                nothing\n"
	       "  disable PF    remove every VF of PF; refused while one of them is given to\n"
	       "                a VM or bound to vfio-pci\n"
	       "\n"
	       "Options:\n"
	       "  --json         list: a JSON array of PFs, each with the keys address,\n"
	       "                 netdev, driver, vendor_id, device_id, vendor, device,\n"
	       "                 numa_node, total_vfs, num_vfs and vfs, an array of VFs with\n"
	       "                 the keys vf, address, driver, mac, vlan, qos, vlan_proto,\n"
	       "                 spoofchk, trust, link_state, min_tx_rate, max_tx_rate,\n"
	       "                 query_rss, iommu_group and vm (null where unknown);\n"
	       "                 enable, disable: {\"pf\": PF, \"num_vfs\": N, \"changed\": B}\n"
	       "  -v, --verbose  show the library's log (-vv: debug)\n"
	       "  -h, --help     show this help\n"
	       "\n"
	       "Exit status: 0 done (also when there was nothing to change), 1 usage error,\n"
	       "2 failed and undone, 3 failed and could not undo everything.\n"
	       "\n"
	       "Example:\n"
	       "  mvlink sriov enable eno1 4\n"
	       "  mvlink sriov list eno1\n");
}

/* ---------------------------------------------------------------- list */

static const char *const vf_columns[] = {
	"vf", "address", "driver", "mac", "vlan", "qos", "spoofchk", "trust", "link_state",
	"iommu_group", "vm", NULL,
};

static void print_vf(const struct mvl_sriov_vf *vf)
{
	const uint8_t *mac = mvl_sriov_vf_get_mac(vf);
	int vlan = mvl_sriov_vf_get_vlan(vf), qos = mvl_sriov_vf_get_qos(vf);
	int group = mvl_sriov_vf_get_iommu_group(vf);
	enum mvl_vlan_proto proto = mvl_sriov_vf_get_vlan_proto(vf);
	long min = mvl_sriov_vf_get_min_tx_rate(vf), max = mvl_sriov_vf_get_max_tx_rate(vf);
	char buf[18], vlan_text[32];

	out_object_open(NULL);
	out_uint(PRINT_ANY, "vf", mvl_sriov_vf_get_index(vf));
	out_str(PRINT_ANY, "address", mvl_sriov_vf_get_addr(vf));
	out_str(PRINT_ANY, "driver", mvl_sriov_vf_get_driver(vf));
	out_str(PRINT_ANY, "mac", mac ? mvl_mac_format(mac, buf) : NULL);
	out_int_opt(PRINT_JSON, "vlan", vlan, vlan >= 0);
	snprintf(vlan_text, sizeof(vlan_text), "%d%s", vlan,
		 vlan > 0 && proto == MVL_VLAN_PROTO_8021AD ? "/802.1ad" : "");
	out_str(PRINT_TEXT, "vlan", vlan >= 0 ? vlan_text : NULL);
	out_int_opt(PRINT_ANY, "qos", qos, qos >= 0);
	out_str(PRINT_JSON, "vlan_proto", vlan >= 0 ? mvl_vlan_proto_to_string(proto) : NULL);
	out_tristate(PRINT_ANY, "spoofchk", mvl_sriov_vf_get_spoofchk(vf));
	out_tristate(PRINT_ANY, "trust", mvl_sriov_vf_get_trust(vf));
	out_str(PRINT_ANY, "link_state",
		mvl_vf_link_state_to_string(mvl_sriov_vf_get_link_state(vf)));
	out_int_opt(PRINT_JSON, "min_tx_rate", min, min >= 0);
	out_int_opt(PRINT_JSON, "max_tx_rate", max, max >= 0);
	out_tristate(PRINT_JSON, "query_rss", mvl_sriov_vf_get_query_rss(vf));
	out_int_opt(PRINT_ANY, "iommu_group", group, group >= 0);
	out_str(PRINT_ANY, "vm", mvl_sriov_vf_get_vm_id(vf));
	out_object_close();
}

static void print_pf(const struct mvl_sriov_pf *pf)
{
	const char *vendor = mvl_sriov_pf_get_vendor_name(pf);
	const char *device = mvl_sriov_pf_get_device_name(pf);
	unsigned vid = mvl_sriov_pf_get_vendor_id(pf), did = mvl_sriov_pf_get_device_id(pf);
	unsigned num = mvl_sriov_pf_get_num_vfs(pf);
	int node = mvl_sriov_pf_get_numa_node(pf);
	char id[8], text[160];

	out_object_open(NULL);
	out_str(PRINT_ANY, "address", mvl_sriov_pf_get_addr(pf));
	out_str(PRINT_ANY, "netdev", mvl_sriov_pf_get_ifname(pf));
	out_str(PRINT_ANY, "driver", mvl_sriov_pf_get_driver(pf));
	snprintf(id, sizeof(id), "%04x", vid);
	out_str(PRINT_JSON, "vendor_id", id);
	snprintf(text, sizeof(text), "%s%s%s", id, vendor ? " " : "", vendor ? vendor : "");
	out_str(PRINT_TEXT, "vendor", text);
	snprintf(id, sizeof(id), "%04x", did);
	out_str(PRINT_JSON, "device_id", id);
	snprintf(text, sizeof(text), "%s%s%s", id, device ? " " : "", device ? device : "");
	out_str(PRINT_TEXT, "device", text);
	out_str(PRINT_JSON, "vendor", vendor);
	out_str(PRINT_JSON, "device", device);
	out_int_opt(PRINT_ANY, "numa_node", node, node >= 0);
	out_uint(PRINT_ANY, "total_vfs", mvl_sriov_pf_get_total_vfs(pf));
	out_uint(PRINT_ANY, "num_vfs", num);
	/* text: no table at all for a PF without VFs */
	out_table_open("vfs", num ? vf_columns : NULL);
	for (unsigned i = 0; i < num; i++) {
		const struct mvl_sriov_vf *vf = mvl_sriov_pf_get_vf(pf, i);

		if (vf)
			print_vf(vf);
	}
	out_array_close();
	out_object_close();
}

static int list_run(struct tool *t, const char *pf)
{
	struct mvl_sriov_list *list = NULL;
	int r;

	if (!tool_ctx(t))
		return EXIT_FAILED;
	r = mvl_sriov_list_new(t->ctx, pf, &list);
	if (r < 0)
		return tool_fail(t, r);
	out_array_open(NULL);
	for (size_t i = 0; i < mvl_sriov_list_count(list); i++)
		print_pf(mvl_sriov_list_get(list, i));
	out_array_close();
	if (!mvl_sriov_list_count(list))
		tool_note(t, "no SR-IOV capable PF found");
	mvl_sriov_list_free(list);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- enable, disable */

static void print_change(const char *pf, unsigned num, bool changed)
{
	out_object_open(NULL);
	out_str(PRINT_JSON, "pf", pf);
	out_uint(PRINT_JSON, "num_vfs", num);
	out_bool(PRINT_JSON, "changed", changed);
	out_object_close();
}

static int enable_run(struct tool *t, const char *pf, unsigned num)
{
	int r;

	if (!tool_ctx(t))
		return EXIT_FAILED;
	r = mvl_sriov_enable(t->ctx, pf, num);
	if (r < 0)
		return tool_fail(t, r);
	print_change(pf, num, r > 0);
	if (r > 0)
		out_text("enabled %u VF%s on %s\n", num, num == 1 ? "" : "s", pf);
	else
		tool_note(t, "%s already has %u VF%s; nothing to do", pf, num, num == 1 ? "" : "s");
	return EXIT_OK;
}

static int disable_run(struct tool *t, const char *pf)
{
	int r;

	if (!tool_ctx(t))
		return EXIT_FAILED;
	r = mvl_sriov_disable(t->ctx, pf);
	if (r < 0)
		return tool_fail(t, r);
	print_change(pf, 0, r > 0);
	if (r > 0)
		out_text("disabled the VFs of %s\n", pf);
	else
		tool_note(t, "%s has no VFs; nothing to do", pf);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- the command */

struct sriov_args {
	const char *sub; /* "list", "enable" or "disable" */
	char pf[16];     /* "" for list: every PF */
	unsigned num;    /* enable */
};

static int parse(struct tool *t, int argc, char **argv, void *data)
{
	static const char *const subs[] = { "list", "enable", "disable" };
	struct sriov_args *a = data;
	const char *sub = NULL, *args[3];
	unsigned n_args = 0;
	int r;

	/* options may come before or after the subcommand and its arguments */
	r = tool_parse_opts(t, argc, argv, ":vh", NULL, 0, a, help);
	if (r != TOOL_RUN)
		return r;
	for (; optind < argc; optind++) {
		if (n_args == ARRAY_SIZE(args))
			return tool_usage(t, "unexpected argument '%s'", argv[optind]);
		args[n_args++] = argv[optind];
	}
	if (!n_args)
		return tool_usage(t, "missing the subcommand (list, enable or disable)");
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (strcmp(args[0], subs[i]) == 0)
			sub = subs[i];
	if (!sub)
		return tool_usage(t, "unknown subcommand '%s' (allowed: list, enable, disable)",
				  args[0]);
	a->sub = sub;
	if (strcmp(sub, "list") == 0) {
		if (n_args > 2)
			return tool_usage(t, "unexpected argument '%s': sriov list takes at most "
					  "one PF", args[2]);
		if (n_args == 2 && (r = tool_parse_pf(t, args[1], "sriov list", a->pf)))
			return r;
		return TOOL_RUN;
	}
	if (n_args < 2)
		return tool_usage(t, "missing the PF: sriov %s PF%s", sub,
				  strcmp(sub, "enable") == 0 ? " N" : "");
	r = tool_parse_pf(t, args[1], sub[0] == 'e' ? "sriov enable" : "sriov disable", a->pf);
	if (r)
		return r;
	if (strcmp(sub, "disable") == 0) {
		if (n_args > 2)
			return tool_usage(t, "unexpected argument '%s': sriov disable takes one PF",
					  args[2]);
		return TOOL_RUN;
	}
	if (n_args < 3)
		return tool_usage(t, "missing the number of VFs: sriov enable PF N");
	if (strcmp(args[2], "0") == 0)
		return tool_usage(t, "invalid number of VFs '0' for sriov enable: to remove the "
				  "VFs, use 'mvlink sriov disable %s'", a->pf);
	if (tool_parse_uint(args[2], 1, MAX_VFS, &a->num) < 0)
		return tool_usage(t, "invalid number of VFs '%s' for sriov enable: a number from "
				  "1 to %d (at most the PF's total_vfs)", args[2], MAX_VFS);
	return TOOL_RUN;
}

static int run(struct tool *t, void *data)
{
	const struct sriov_args *a = data;

	if (strcmp(a->sub, "list") == 0)
		return list_run(t, a->pf[0] ? a->pf : NULL);
	if (strcmp(a->sub, "disable") == 0)
		return disable_run(t, a->pf);
	return enable_run(t, a->pf, a->num);
}

const struct tool_cmd tool_cmd_sriov = {
	.name = "sriov",
	.synopsis = "sriov list [PF]\n"
		    "sriov enable PF N\n"
		    "sriov disable PF",
	.summary = "list SR-IOV PFs and their VFs, enable or disable VFs",
	.args_size = sizeof(struct sriov_args),
	.parse = parse,
	.run = run,
};
