/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control plane: one kernel UDP socket per namespace, authenticated
 * messages to and from the configured peers, reliable delivery for the
 * messages that need it, and KEEPALIVEs.
 */
#ifndef _SST_CTRL_H
#define _SST_CTRL_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include "proto.h"

struct net;
struct netlink_ext_ack;
struct socket;
struct sst_net;
struct sst_peer;

/* Reliable messages: first retransmit after SST_CTRL_RTO_MS, doubling,
 * at most SST_CTRL_MAX_TX transmissions in all, then a timeout.
 */
#define SST_CTRL_RTO_MS		200
#define SST_CTRL_MAX_TX		6
/* Unacknowledged reliable messages a namespace keeps at most. */
#define SST_CTRL_MAX_PENDING	4096

/**
 * struct sst_ctrl - the control plane of one namespace
 * @sock:      the UDP socket, NULL until needed and after teardown
 * @key:       the HMAC key, NULL until configured
 * @epoch:     this instance's epoch (see sst_ctrl_init())
 * @seq:       last sequence number used in @epoch
 * @pend_lock: protects @pending and @npending
 * @pending:   unacknowledged reliable messages, struct sst_ctrl_pending
 * @npending:  entries in @pending
 * @ka_work:   sends the KEEPALIVEs
 * @rtx_work:  retransmits and times out reliable messages
 * @net:       the namespace
 */
struct sst_ctrl {
	struct socket __rcu *sock;
	struct sst_key __rcu *key;
	u32 epoch;
	atomic_t seq;
	spinlock_t pend_lock;		/* pending, npending */
	struct list_head pending;
	unsigned int npending;
	struct delayed_work ka_work;
	struct delayed_work rtx_work;
	struct net *net;
};

/**
 * typedef sst_ctrl_handler_t - receives one accepted message of a type
 * @net:  the namespace it arrived in
 * @peer: its sender, valid until the handler returns
 * @hdr:  its header (big-endian fields)
 * @body: be32_to_cpu(@hdr->len) bytes
 *
 * Context: softirq, under RCU. Must not sleep. A reliable message has been
 * acknowledged already and is delivered once.
 */
typedef void (*sst_ctrl_handler_t)(struct net *net, struct sst_peer *peer,
				   const struct sst_wire_hdr *hdr,
				   const u8 *body);

/**
 * typedef sst_ctrl_done_t - a reliable message was acknowledged or given up
 * @net: the namespace it was sent from
 * @ctx: the sender's context
 * @err: 0 when acknowledged, -ETIMEDOUT after SST_CTRL_MAX_TX
 *       transmissions, -ESHUTDOWN when the namespace goes away
 *
 * Context: softirq (ACK), process (timeout, teardown). Must not sleep.
 */
typedef void (*sst_ctrl_done_t)(struct net *net, void *ctx, int err);

int sst_ctrl_register(u8 type, sst_ctrl_handler_t handler);
void sst_ctrl_unregister(u8 type);

int sst_ctrl_send(struct net *net, __be32 daddr, u8 type, u16 flags,
		  u64 conn_id, const void *body, u32 len,
		  sst_ctrl_done_t done, void *ctx);

void sst_ctrl_init(struct sst_net *sn, struct net *net);
void sst_ctrl_exit(struct sst_net *sn);
void sst_ctrl_module_exit(void);

/* Configuration, all under sst_net.lock from process context. */
int sst_ctrl_open(struct sst_net *sn, struct netlink_ext_ack *extack);
int sst_ctrl_prepare_port(struct sst_net *sn, u16 port, struct socket **sockp,
			  struct netlink_ext_ack *extack);
void sst_ctrl_commit_port(struct sst_net *sn, struct socket *sock);
void sst_ctrl_abort_port(struct socket *sock);
void sst_ctrl_commit_key(struct sst_net *sn, struct sst_key *key);
void sst_ctrl_keepalive_changed(struct sst_net *sn);

#endif /* _SST_CTRL_H */
