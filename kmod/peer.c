// SPDX-License-Identifier: GPL-2.0
/*
 * The peer table: the nodes a namespace trusts for control messages.
 * Writers hold sst_net.lock; readers walk the list under RCU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include "netns.h"
#include "peer.h"

static struct sst_peer *sst_peer_find(struct sst_net *sn, __be32 addr)
{
	struct sst_peer *p;

	list_for_each_entry_rcu(p, &sn->peers, node,
				lockdep_is_held(&sn->lock))
		if (p->addr == addr)
			return p;
	return NULL;
}

/**
 * sst_peer_lookup_rcu - find a peer by address
 * @sn:   namespace state
 * @addr: IPv4 address, network byte order
 *
 * Context: rcu_read_lock() held; the result is valid until it is dropped.
 */
struct sst_peer *sst_peer_lookup_rcu(struct sst_net *sn, __be32 addr)
{
	return sst_peer_find(sn, addr);
}

/**
 * sst_peer_add_locked - trust a new peer
 * @sn:   namespace state
 * @addr: IPv4 address, network byte order
 * @port: its control UDP port, host byte order
 *
 * Context: sst_net.lock held.
 */
int sst_peer_add_locked(struct sst_net *sn, __be32 addr, u16 port)
{
	struct sst_peer *p;

	lockdep_assert_held(&sn->lock);
	if (sst_peer_find(sn, addr))
		return -EEXIST;
	if (sn->npeers >= SST_MAX_PEERS)
		return -ENOSPC;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->addr = addr;
	p->port = port;
	sst_replay_init(&p->replay);
	list_add_tail_rcu(&p->node, &sn->peers);
	sn->npeers++;
	return 0;
}

int sst_peer_add(struct sst_net *sn, __be32 addr, u16 port)
{
	int ret;

	mutex_lock(&sn->lock);
	ret = sst_peer_add_locked(sn, addr, port);
	mutex_unlock(&sn->lock);
	return ret;
}

int sst_peer_del(struct sst_net *sn, __be32 addr)
{
	struct sst_peer *p;
	int ret = -ENOENT;

	mutex_lock(&sn->lock);
	p = sst_peer_find(sn, addr);
	if (p) {
		list_del_rcu(&p->node);
		sn->npeers--;
		kfree_rcu(p, rcu);
		ret = 0;
	}
	mutex_unlock(&sn->lock);
	return ret;
}

/* Called when the namespace goes away: nobody can look peers up any more. */
void sst_peers_flush(struct sst_net *sn)
{
	struct sst_peer *p, *tmp;

	mutex_lock(&sn->lock);
	list_for_each_entry_safe(p, tmp, &sn->peers, node) {
		list_del_rcu(&p->node);
		kfree_rcu(p, rcu);
	}
	sn->npeers = 0;
	mutex_unlock(&sn->lock);
}
