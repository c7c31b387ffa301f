/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The passive layer (OS side): SETUP -> an established socket in the
 * accept queue of the application, DATA_DONE when its data is sent, RESET
 * and garbage collection, and the LOCAL_OUT filter that keeps the
 * half-pipes' FINs and RSTs off the wire.
 */
#ifndef _SST_PASSIVE_H
#define _SST_PASSIVE_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <uapi/linux/splitstack.h>

struct net;
struct proto;
struct sock;

/* enum sst_pv_state: only the passive workqueue changes it */
enum sst_pv_state {
	SST_PV_NEW,	/* SETUP accepted, socket not built yet */
	SST_PV_LIVE,	/* socket built and handed to the listener */
	SST_PV_DEAD,	/* torn down; kept a while for the filter */
};

/* sst_passive.flags bits, set from any context */
enum {
	SST_PV_F_CLOSED,	/* the application closed the socket */
	SST_PV_F_WRSHUT,	/* ... or shut its sending side down */
	SST_PV_F_DONE,		/* DATA_DONE sent */
	SST_PV_F_RESET,		/* RESET received */
	SST_PV_F_PUSHED,	/* pending data pushed after SHUT_WR */
	SST_PV_F_ACK_NOW,	/* an ACK_NOW wants a pure ACK sent */
	SST_PV_F_RESET_ACK,	/* a RESET waits for its ACK: @reset_id */
	SST_PV_F_ABORTED,	/* died on its own: ABORT sent, torn down as
				 * if RESET (a RESET for it is not counted)
				 */
};

/* sst_passive.ack_now: SST_PV_ACK_NOW_SET | window field << 32 | ack */
#define SST_PV_ACK_NOW_SET	BIT_ULL(48)

/**
 * struct sst_passive - one half-pipe handed to this node (OS side)
 * @tuple_node: entry in the namespace's 4-tuple hash (the filter's)
 * @id_node:    entry in the namespace's connection id hash (RESET's)
 * @all:        entry in the namespace's list of half-pipes
 * @rcu:        deferred free
 * @ref:        the namespace's list holds one, the ULP one while attached
 * @pn:         the namespace's passive state
 * @peer:       the DS that sent SETUP
 * @conn_id:    the DS's connection id
 * @seq_start:  first sequence number this node sends
 * @client_addr, @vip_addr, @client_port, @vip_port: the 4-tuple
 * @state:      enum sst_pv_state
 * @unlinked:   out of the namespace's tables (under its lock)
 * @flags:      SST_PV_F_* bits
 * @dead_at:    jiffies when torn down
 * @rx_ns:      ktime_get_ns() when its SETUP arrived (its TSval ages until
 *              built)
 * @ack_now:    acknowledgment and window the DS asked for (ACK_NOW), or 0
 * @reset_epoch, @reset_seq: the last RESET message not yet acknowledged
 * @sk:         the socket, with a reference, from SST_PV_LIVE on
 * @base_prot:  the sk_prot the ULP replaced
 * @setup:      the SETUP body, until the socket is built
 * @setup_len:  its length
 * @setup_work: builds the socket
 * @tick:       DATA_DONE polling, RESET, garbage collection, linger
 */
struct sst_passive {
	struct hlist_node tuple_node;
	struct hlist_node id_node;
	struct list_head all;
	struct rcu_head rcu;
	refcount_t ref;
	struct sst_pv_net *pn;
	__be32 peer;
	u64 conn_id;
	u32 seq_start;
	__be32 client_addr;
	__be32 vip_addr;
	__be16 client_port;
	__be16 vip_port;
	u8 state;
	bool unlinked;
	unsigned long flags;
	unsigned long dead_at;
	u64 rx_ns;
	atomic64_t ack_now;
	__be32 reset_epoch;
	__be32 reset_seq;
	struct sock *sk;
	struct proto *base_prot;
	struct sst_wire_setup *setup;
	u32 setup_len;
	struct work_struct setup_work;
	struct delayed_work tick;
};

int sst_passive_init(void);
void sst_passive_exit(void);

void sst_passive_put(struct sst_passive *pv);
struct sock *sst_passive_sock_get(struct net *net, __be32 peer, u64 id,
				  u32 seq);
void sst_passive_closed(struct sst_passive *pv, int bit);

#endif /* _SST_PASSIVE_H */
