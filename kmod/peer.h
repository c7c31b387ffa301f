/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SST_PEER_H
#define _SST_PEER_H

#include <linux/rcupdate.h>
#include <linux/types.h>
#include "proto.h"

struct sst_net;

/**
 * struct sst_peer - a node this namespace exchanges control messages with
 * @node: entry in sst_net.peers
 * @rcu:  deferred free
 * @addr: IPv4 address, network byte order
 * @port: control UDP port, host byte order
 * @replay: (epoch, seq) window of the messages received from the peer
 * @last_rx_ns: ktime_get_ns() of the last accepted message, 0 if none
 */
struct sst_peer {
	struct list_head node;
	struct rcu_head rcu;
	__be32 addr;
	u16 port;
	struct sst_replay replay;
	u64 last_rx_ns;
};

int sst_peer_add(struct sst_net *sn, __be32 addr, u16 port);
int sst_peer_add_locked(struct sst_net *sn, __be32 addr, u16 port);
int sst_peer_del(struct sst_net *sn, __be32 addr);
struct sst_peer *sst_peer_lookup_rcu(struct sst_net *sn, __be32 addr);
void sst_peers_flush(struct sst_net *sn);

#endif /* _SST_PEER_H */
