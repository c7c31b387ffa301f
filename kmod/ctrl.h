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
 * at most SST_CTRL_MAX_TX transmissions in all, then a timeout. Every
 * transmission has its own (epoch, seq) and MAC.
 */
#define SST_CTRL_RTO_MS		200
#define SST_CTRL_MAX_TX		6
/* Unacknowledged reliable messages a namespace keeps at most. */
#define SST_CTRL_MAX_PENDING	4096

/**
 * struct sst_ctrl - the control plane of one namespace
 * @sock:      the UDP socket, NULL until needed and after teardown
 * @key:       the HMAC key, NULL until configured
 * @id:        (epoch << 32) | seq of the last message sent; the epoch is
 *             taken when the socket is first opened, and a new one when
 *             seq would wrap (see sst_ctrl_next_id())
 * @pend_lock: protects @pending, @npending, @rtx_armed and @rtx_next
 * @pending:   unacknowledged reliable messages, struct sst_ctrl_pending
 * @npending:  entries in @pending
 * @rtx_armed: @rtx_work is queued for @rtx_next, or running
 * @rtx_next:  when @rtx_work is due, jiffies
 * @ka_tag:    numbers reliable KEEPALIVEs (test knob reliable_keepalives)
 * @ka_work:   sends the KEEPALIVEs
 * @rtx_work:  retransmits and times out reliable messages
 * @net:       the namespace
 */
struct sst_ctrl {
	struct socket __rcu *sock;
	struct sst_key __rcu *key;
	atomic64_t id;
	spinlock_t pend_lock;		/* pending, npending, rtx_* */
	struct list_head pending;
	unsigned int npending;
	bool rtx_armed;
	unsigned long rtx_next;
	atomic64_t ka_tag;
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
 * Context: softirq, under RCU. Must not sleep.
 *
 * A reliable message is acknowledged only after its handler returned 0,
 * and retransmitted by its sender until then: each transmission is a new
 * message (fresh epoch and seq), so a handler sees the same reliable
 * message again whenever an ACK was lost or late. Handlers of reliable
 * types must therefore be idempotent: SETUP and RESET are recognised by
 * (peer, conn_id, seq_start), DATA_DONE and ABORT must be too, and a copy
 * of a message already taken returns 0 without acting twice.
 *
 * Return: 0 if the message was taken (acted on, already known, or
 * answered in another way such as an ABORT): the sender need not send it
 * again, and a reliable message is acknowledged. -EAGAIN or -ENOMEM if it
 * could not be taken for now: not acknowledged, and forgotten by the
 * replay window so that even a copy of the same datagram is delivered
 * again. Any other negative errno refuses it for good: not acknowledged
 * either (there is no negative acknowledgment), so the sender retransmits
 * it until SST_CTRL_MAX_TX and its done() gets -ETIMEDOUT; handlers that
 * want the sender to know sooner tell it with a message of their own.
 */
typedef int (*sst_ctrl_handler_t)(struct net *net, struct sst_peer *peer,
				  const struct sst_wire_hdr *hdr,
				  const u8 *body);

/**
 * typedef sst_ctrl_done_t - a reliable message was acknowledged or given up
 * @net: the namespace it was sent from
 * @ctx: the sender's context
 * @err: 0 when acknowledged, -ETIMEDOUT after SST_CTRL_MAX_TX
 *       transmissions, -EHOSTUNREACH when the peer was deleted meanwhile,
 *       -ESHUTDOWN when the namespace goes away
 *
 * Context: softirq (ACK), process (timeout, teardown). Must not sleep.
 * It may run on another CPU before sst_ctrl_send() has returned (the ACK
 * can be quicker than the sender): @ctx must be ready for it before the
 * call, and the sender must not touch the message's state after a
 * successful sst_ctrl_send() without its own synchronisation with done().
 */
typedef void (*sst_ctrl_done_t)(struct net *net, void *ctx, int err);

int sst_ctrl_register(u8 type, sst_ctrl_handler_t handler);
void sst_ctrl_unregister(u8 type);

int sst_ctrl_send(struct net *net, __be32 daddr, u8 type, u16 flags,
		  u64 conn_id, const void *body, u32 len,
		  sst_ctrl_done_t done, void *ctx);
int sst_ctrl_ack(struct net *net, __be32 peer, u64 conn_id, __be32 epoch,
		 __be32 seq);

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
