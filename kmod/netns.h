/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per network namespace state of Split-Stack.
 */
#ifndef _SST_NETNS_H
#define _SST_NETNS_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <uapi/linux/splitstack.h>
#include "ctrl.h"

struct sst_config {
	u16 ctrl_port;
	u32 keepalive_ms;
	u8 mode;			/* enum sst_mode */
	bool key_set;
	u8 key[SST_AUTH_KEY_LEN];
};

struct sst_stats {
	u64 cnt[__SST_STAT_MAX];
};

/**
 * struct sst_net - everything Split-Stack keeps for one network namespace
 * @lock:      serialises changes to @peers, @npeers and @config
 * @peers:     trusted peer nodes, RCU list of struct sst_peer
 * @npeers:    number of entries in @peers
 * @config:    control-plane configuration
 * @hp_lock:   protects @halfpipes
 * @halfpipes: GC-pending half-pipes, list of struct sst_halfpipe
 * @stats:     per-CPU counters, indexed by enum sst_stat
 * @ctrl:      the control plane (socket, key, reliable messages)
 *
 * config.keepalive_ms and config.ctrl_port are also read without @lock
 * (READ_ONCE) by the control plane.
 */
struct sst_net {
	struct mutex lock;		/* peers, npeers, config */
	struct list_head peers;
	unsigned int npeers;
	struct sst_config config;
	spinlock_t hp_lock;		/* halfpipes */
	struct list_head halfpipes;
	struct sst_stats __percpu *stats;
	struct sst_ctrl ctrl;
};

extern unsigned int sst_net_id;

static inline struct sst_net *sst_net(const struct net *net)
{
	return net_generic(net, sst_net_id);
}

static inline void sst_stat_inc(struct sst_net *sn, enum sst_stat idx)
{
	this_cpu_inc(sn->stats->cnt[idx]);
}

void sst_stats_read(struct sst_net *sn, struct sst_stats *out);

#endif /* _SST_NETNS_H */
