// SPDX-License-Identifier: GPL-2.0
/*
 * Split-Stack: TCP connection handoff by half-pipe anchoring.
 * Module init/exit and the per network namespace state.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/genetlink.h>
#include <linux/module.h>
#include "ctrl.h"
#include "active.h"
#include "credit.h"
#include "device.h"
#include "halfpipe.h"
#include "netlink.h"
#include "netns.h"
#include "passive.h"
#include "peer.h"

unsigned int sst_net_id __read_mostly;

void sst_stats_read(struct sst_net *sn, struct sst_stats *out)
{
	int cpu, i;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct sst_stats *s = per_cpu_ptr(sn->stats, cpu);

		for (i = 0; i < __SST_STAT_MAX; i++)
			out->cnt[i] += READ_ONCE(s->cnt[i]);
	}
}

static int __net_init sst_net_init(struct net *net)
{
	struct sst_net *sn = sst_net(net);

	mutex_init(&sn->lock);
	INIT_LIST_HEAD(&sn->peers);
	spin_lock_init(&sn->hp_lock);
	INIT_LIST_HEAD(&sn->halfpipes);
	sn->config.ctrl_port = SST_DEFAULT_CTRL_PORT;
	sn->config.keepalive_ms = SST_DEFAULT_KEEPALIVE_MS;
	sn->config.mode = SST_MODE_SPLIT;
	sn->stats = alloc_percpu(struct sst_stats);
	if (!sn->stats)
		return -ENOMEM;
	sst_ctrl_init(sn, net);
	return 0;
}

/* The active layer's hooks and GC use this state: stop them first. */
static void __net_exit sst_net_pre_exit(struct net *net)
{
	sst_active_net_stop(net);
}

static void __net_exit sst_net_exit(struct net *net)
{
	struct sst_net *sn = sst_net(net);

	sst_ctrl_exit(sn);
	/* Every control-plane callback has run; the half-pipe list lives. */
	sst_active_net_cleanup(net);
	sst_peers_flush(sn);
	memzero_explicit(&sn->config, sizeof(sn->config));
	free_percpu(sn->stats);
	mutex_destroy(&sn->lock);
}

static struct pernet_operations sst_net_ops = {
	.init = sst_net_init,
	.pre_exit = sst_net_pre_exit,
	.exit = sst_net_exit,
	.id = &sst_net_id,
	.size = sizeof(struct sst_net),
};

static int __init sst_init(void)
{
	int ret;

	/* First: its namespace state outlives the control plane's. */
	ret = sst_active_init();
	if (ret)
		goto err_active;
	ret = register_pernet_subsys(&sst_net_ops);
	if (ret)
		goto err_pernet;
	ret = sst_genl_init();
	if (ret)
		goto err_genl;
	ret = sst_device_init();
	if (ret)
		goto err_device;
	ret = sst_passive_init();
	if (ret)
		goto err_passive;
	ret = sst_credit_init();
	if (ret)
		goto err_credit;

	pr_info("Split-Stack " SST_VERSION " loaded\n");
	return 0;

err_credit:
	sst_passive_exit();
err_passive:
	sst_device_exit();
err_device:
	sst_genl_exit();
err_genl:
	unregister_pernet_subsys(&sst_net_ops);
err_pernet:
	sst_active_exit();
err_active:
	return ret;
}

static void __exit sst_exit(void)
{
	sst_credit_exit();
	sst_passive_exit();
	sst_device_exit();
	sst_genl_exit();
	unregister_pernet_subsys(&sst_net_ops);
	sst_active_exit();
	/* Peers are freed with kfree_rcu(): let those callbacks finish. */
	rcu_barrier();
	sst_ctrl_module_exit();
}

module_init(sst_init);
module_exit(sst_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Split-Stack TCP connection handoff (half-pipe anchoring)");
MODULE_AUTHOR("The Split-Stack developers");
MODULE_VERSION(SST_VERSION);
MODULE_ALIAS_GENL_FAMILY(SST_GENL_NAME);
