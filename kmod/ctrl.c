// SPDX-License-Identifier: GPL-2.0
/*
 * The control plane of a namespace: a kernel UDP socket bound to the
 * control port (an encapsulation socket: datagrams reach
 * sst_ctrl_encap_rcv() in softirq, as WireGuard's and VXLAN's do),
 * authenticated messages to and from the configured peers, retransmission
 * of reliable messages and KEEPALIVEs.
 *
 * The socket is made with the core kernel's API only (sock_create_kern(),
 * the encap_rcv hook of struct udp_sock, iptunnel_xmit()), not with the
 * udp_tunnel module's helpers: splitstack.ko depends on no other module,
 * so a plain insmod loads it.
 *
 * Locking: the socket and the key are published under RCU and replaced
 * under sst_net.lock (a mutex, process context only). Senders and the
 * receive path only read them under RCU, so sending works in process and
 * softirq context. @pend_lock (BH-safe spinlock) protects the reliable
 * messages waiting for their ACK.
 *
 * Every datagram sent has its own (epoch, seq) and its MAC covers the
 * addresses and ports it is sent from and to: a retransmission is a new
 * message (a receiver's replay window may have moved past the first one
 * long ago), made from the header and body kept for it, with the key of
 * the moment; the ACK of any of its transmissions completes it.
 *
 * Teardown (sst_ctrl_exit): unpublish the socket, release it (which waits
 * for an RCU grace period: no sender still uses it), wait for receivers
 * that found it before it was unhashed, cancel both works (they re-arm
 * themselves; cancel_delayed_work_sync() copes), then complete what is
 * still pending and free the key.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/refcount.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/udp.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/netlink.h>
#include <net/route.h>
#include <net/ip_tunnels.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>	/* its inline helpers only */
#include "ctrl.h"
#include "netns.h"
#include "peer.h"
#include "trace.h"

/* The (epoch, seq) of one transmission. */
struct sst_ctrl_id {
	u32 epoch;
	u32 seq;
};

/**
 * struct sst_ctrl_pending - a reliable message waiting for its ACK
 * @node:   entry in sst_ctrl.pending while @listed
 * @ref:    one for the list, one for each transmission under way
 * @listed: on sst_ctrl.pending (under pend_lock): not yet acknowledged,
 *          timed out or torn down
 * @daddr:  the peer it is sent to
 * @ntx:    transmissions so far, counting those that could not be made
 * @nids:   entries used in @ids
 * @ids:    the (epoch, seq) of every transmission: an ACK of any of them
 *          acknowledges the message
 * @rto:    current retransmission timeout, jiffies
 * @due:    when to retransmit next, jiffies
 * @first:  when it was first sent, jiffies (a SETUP's TSval ages)
 * @err:    completion status once off the list
 * @done:   completion callback, or NULL
 * @ctx:    its argument
 * @len:    bytes in @msg
 * @msg:    header and body; each transmission gets its own epoch, seq and
 *          MAC (with the key of the moment)
 */
struct sst_ctrl_pending {
	struct list_head node;
	refcount_t ref;
	bool listed;
	__be32 daddr;
	unsigned int ntx;
	unsigned int nids;
	struct sst_ctrl_id ids[SST_CTRL_MAX_TX];
	unsigned long rto;
	unsigned long due;
	unsigned long first;
	int err;
	sst_ctrl_done_t done;
	void *ctx;
	unsigned int len;
	u8 msg[];
};

/* A retransmission between building and sending: its message. */
struct sst_ctrl_cb {
	struct sst_ctrl_pending *p;
};

#define SST_CTRL_CB(skb) ((struct sst_ctrl_cb *)(skb)->cb)

/* Test knobs: let the tests drive retransmissions before the data path
 * sends reliable messages of its own, and the seq wrap.
 */
static bool reliable_keepalives;
module_param(reliable_keepalives, bool, 0644);
MODULE_PARM_DESC(reliable_keepalives,
		 "send KEEPALIVEs as reliable messages, numbered in conn_id (for tests)");
static uint initial_seq;
module_param(initial_seq, uint, 0644);
MODULE_PARM_DESC(initial_seq,
		 "seq a namespace's control plane starts after (for tests)");

/* Handlers of the data path, by message type; see sst_ctrl_register(). */
static sst_ctrl_handler_t sst_handlers[__SST_MSG_MAX];

/* The newest epoch handed out since the module was loaded. */
static u32 sst_last_epoch;

/* How long module exit waits at most for the clock to pass it, seconds. */
#define SST_CTRL_EXIT_WAIT	10

static struct sst_net *sst_ctrl_sn(struct sst_ctrl *c)
{
	return container_of(c, struct sst_net, ctrl);
}

/*
 * A new epoch: the wall clock in seconds, but always newer than every
 * epoch handed out before, by this module load (max(now, last + 1)) and,
 * as sst_ctrl_module_exit() waits for the clock to pass the newest one,
 * by earlier loads. Context: any.
 */
static u32 sst_new_epoch(void)
{
	u32 now = (u32)ktime_get_real_seconds();
	u32 last = READ_ONCE(sst_last_epoch), e;

	do {
		e = max(now, last + 1);
	} while (!try_cmpxchg(&sst_last_epoch, &last, e));
	return e;
}

void sst_ctrl_module_exit(void)
{
	u32 last = READ_ONCE(sst_last_epoch);
	time64_t end = ktime_get_seconds() + SST_CTRL_EXIT_WAIT;

	/* Normally a second at most: epochs run ahead of the clock only
	 * when namespaces open their control socket faster than one a
	 * second, or after a seq wrap.
	 */
	while ((u32)ktime_get_real_seconds() <= last) {
		if (ktime_get_seconds() > end) {
			pr_warn("clock still before epoch %u: peers may take messages of the next load for replays\n",
				last);
			break;
		}
		msleep(20);
	}
}

/*
 * The (epoch, seq) of the next message. seq never is 0: when it would
 * wrap, or once the epoch is SST_WIRE_EPOCH_ROLL seconds old (receivers
 * refuse stale epochs), the namespace takes a new epoch and starts again
 * at 1, which its peers see as a restart of their window.
 * Context: any.
 */
static struct sst_ctrl_id sst_ctrl_next_id(struct sst_ctrl *c)
{
	s64 old = atomic64_read(&c->id), new;
	u32 now = (u32)ktime_get_real_seconds();

	do {
		if ((u32)old == U32_MAX ||
		    (s32)(now - (u32)((u64)old >> 32)) >= SST_WIRE_EPOCH_ROLL)
			new = (s64)((u64)sst_new_epoch() << 32 | 1);
		else
			new = old + 1;
	} while (!atomic64_try_cmpxchg(&c->id, &old, new));
	return (struct sst_ctrl_id){ .epoch = (u64)new >> 32, .seq = (u32)new };
}

/**
 * sst_ctrl_register - receive the messages of @type
 * @type:    an SST_MSG_* other than KEEPALIVE and ACK (handled here)
 * @handler: called for every accepted message of @type
 *
 * Call from module init, before any namespace can receive; unregister in
 * module exit. Messages of a type without a handler count as drops and
 * are not acknowledged.
 */
int sst_ctrl_register(u8 type, sst_ctrl_handler_t handler)
{
	if (!type || type >= __SST_MSG_MAX || type == SST_MSG_KEEPALIVE ||
	    type == SST_MSG_ACK)
		return -EINVAL;
	if (cmpxchg(&sst_handlers[type], NULL, handler))
		return -EBUSY;
	return 0;
}

void sst_ctrl_unregister(u8 type)
{
	if (type < __SST_MSG_MAX)
		WRITE_ONCE(sst_handlers[type], NULL);
	synchronize_net();
}

static void sst_ctrl_put(struct sst_ctrl_pending *p)
{
	if (refcount_dec_and_test(&p->ref))
		kfree(p);
}

/*
 * What udp_tunnel_xmit_skb() does, with the core kernel's API: a UDP
 * header with its checksum, then the IP header (DF clear: large SETUPs
 * may be fragmented) and out through @rt, whose reference it takes.
 */
static void sst_ctrl_udp_xmit(struct rtable *rt, struct sock *sk,
			      struct sk_buff *skb, __be32 saddr,
			      __be32 daddr, __be16 sport, __be16 dport)
{
	struct udphdr *uh;

	__skb_push(skb, sizeof(*uh));
	skb_reset_transport_header(skb);
	uh = udp_hdr(skb);
	uh->source = sport;
	uh->dest = dport;
	uh->len = htons(skb->len);
	memset(&IPCB(skb)->opt, 0, sizeof(IPCB(skb)->opt));
	udp_set_csum(false, skb, saddr, daddr, skb->len);
	iptunnel_xmit(sk, rt, skb, saddr, daddr, IPPROTO_UDP, 0,
		      ip4_dst_hoplimit(&rt->dst), 0, false);
}

/*
 * Routes the message in @skb (header, body, room for the MAC) to @peer,
 * gives it a fresh (epoch, seq), recorded in @p for a reliable message,
 * authenticates it with the addresses of the route and sends it. Consumes
 * @skb.
 * Context: rcu_read_lock_bh() held (keeps @sock, @key and @peer alive).
 * Return: 0 if sent, -EALREADY if @p was acknowledged meanwhile, another
 * error if it could not be sent.
 */
static int sst_ctrl_xmit(struct sst_net *sn, struct socket *sock,
			 const struct sst_key *key, const struct sst_peer *peer,
			 struct sk_buff *skb, struct sst_ctrl_pending *p)
{
	struct sst_wire_hdr *h = (struct sst_wire_hdr *)skb->data;
	unsigned int len = skb->len - SST_WIRE_MAC_LEN;
	__be16 sport = inet_sk(sock->sk)->inet_sport;
	__be16 dport = htons(peer->port);
	struct sst_ctrl *c = &sn->ctrl;
	struct flowi4 fl4 = {
		.daddr = peer->addr,
		.flowi4_proto = IPPROTO_UDP,
		.fl4_sport = sport,
		.fl4_dport = dport,
	};
	struct sst_wire_pseudo ph;
	struct sst_ctrl_id id;
	struct rtable *rt;
	int ret;

	rt = ip_route_output_key(c->net, &fl4);
	if (IS_ERR(rt)) {
		ret = PTR_ERR(rt);
		goto err;
	}
	id = sst_ctrl_next_id(c);
	if (p) {
		/* Before sending: the ACK may be quicker than we are. */
		spin_lock(&c->pend_lock);
		if (!p->listed) {
			spin_unlock(&c->pend_lock);
			ip_rt_put(rt);
			consume_skb(skb);
			return -EALREADY;
		}
		if (p->nids < ARRAY_SIZE(p->ids))
			p->ids[p->nids++] = id;
		spin_unlock(&c->pend_lock);
	}
	h->epoch = cpu_to_be32(id.epoch);
	h->seq = cpu_to_be32(id.seq);
	ph.saddr = fl4.saddr;
	ph.daddr = fl4.daddr;
	ph.sport = sport;
	ph.dport = dport;
	ret = sst_proto_mac(key, &ph, h, len, skb->data + len);
	if (ret) {
		ip_rt_put(rt);
		goto err;
	}
	sst_ctrl_udp_xmit(rt, sock->sk, skb, fl4.saddr, fl4.daddr, sport,
			  dport);
	sst_stat_inc(sn, SST_STAT_CTRL_TX);
	return 0;

err:
	kfree_skb(skb);
	sst_stat_inc(sn, SST_STAT_CTRL_TX_ERRORS);
	return ret;
}

/* An skb with room for the IP and UDP headers and @len payload bytes. */
static struct sk_buff *sst_ctrl_alloc_skb(unsigned int len)
{
	unsigned int hr = MAX_HEADER + sizeof(struct iphdr) +
			  sizeof(struct udphdr);
	struct sk_buff *skb;

	skb = alloc_skb(hr + len, GFP_ATOMIC);
	if (skb)
		skb_reserve(skb, hr);
	return skb;
}

/* Makes sure rtx_work runs by @due. Context: pend_lock held. */
static void sst_ctrl_rtx_arm(struct sst_ctrl *c, unsigned long due)
{
	unsigned long now = jiffies;

	lockdep_assert_held(&c->pend_lock);
	if (c->rtx_armed && !time_before(due, c->rtx_next))
		return;
	c->rtx_armed = true;
	c->rtx_next = due;
	mod_delayed_work(system_wq, &c->rtx_work,
			 time_after(due, now) ? due - now : 0);
}

/*
 * Builds, authenticates and sends one message to @peer; keeps a reliable
 * one for retransmission. Context: any, rcu_read_lock_bh() held.
 */
static int sst_ctrl_send_peer(struct sst_net *sn, struct socket *sock,
			      const struct sst_key *key,
			      const struct sst_peer *peer, u8 type, u16 flags,
			      u64 conn_id, const void *body, u32 len,
			      sst_ctrl_done_t done, void *ctx)
{
	unsigned int mlen = SST_WIRE_HDR_LEN + len;
	struct sst_ctrl *c = &sn->ctrl;
	struct sst_ctrl_pending *p = NULL;
	struct sst_wire_hdr *h;
	struct sk_buff *skb;

	skb = sst_ctrl_alloc_skb(mlen + SST_WIRE_MAC_LEN);
	if (!skb)
		goto nomem;
	h = skb_put(skb, SST_WIRE_HDR_LEN);
	/* epoch and seq: sst_ctrl_xmit() */
	sst_proto_hdr_init(h, type, flags, len, 0, 0, conn_id);
	if (len)
		skb_put_data(skb, body, len);
	skb_put(skb, SST_WIRE_MAC_LEN);

	if (flags & SST_WIRE_F_RELIABLE) {
		p = kmalloc(struct_size(p, msg, mlen), GFP_ATOMIC);
		if (!p) {
			kfree_skb(skb);
			goto nomem;
		}
		refcount_set(&p->ref, 2);	/* the list's and ours */
		p->listed = true;
		p->daddr = peer->addr;
		p->ntx = 1;
		p->nids = 0;
		p->rto = msecs_to_jiffies(SST_CTRL_RTO_MS);
		p->first = jiffies;
		p->due = p->first + p->rto;
		p->err = 0;
		p->done = done;
		p->ctx = ctx;
		p->len = mlen;
		memcpy(p->msg, skb->data, mlen);
		spin_lock(&c->pend_lock);
		if (c->npending >= SST_CTRL_MAX_PENDING) {
			spin_unlock(&c->pend_lock);
			kfree(p);
			kfree_skb(skb);
			sst_stat_inc(sn, SST_STAT_CTRL_TX_ERRORS);
			return -ENOBUFS;
		}
		list_add_tail(&p->node, &c->pending);
		c->npending++;
		sst_ctrl_rtx_arm(c, p->due);
		spin_unlock(&c->pend_lock);
	}
	/* A reliable message that cannot be sent now is retried later;
	 * from here on, done() may run at any time.
	 */
	sst_ctrl_xmit(sn, sock, key, peer, skb, p);
	if (p)
		sst_ctrl_put(p);
	return 0;

nomem:
	sst_stat_inc(sn, SST_STAT_CTRL_TX_ERRORS);
	return -ENOMEM;
}

/**
 * sst_ctrl_send - send a control message to a configured peer
 * @net:     the namespace to send from
 * @daddr:   the peer's address
 * @type:    SST_MSG_*
 * @flags:   SST_WIRE_F_*; with SST_WIRE_F_RELIABLE the message is
 *           retransmitted until acknowledged or given up
 * @conn_id: connection id, 0 if none
 * @body:    @len bytes of body, copied before this returns
 * @len:     at most SST_WIRE_MAX_BODY
 * @done:    for a reliable message, called once with the outcome (may be
 *           NULL); never called when this returns an error, but may be
 *           called, on another CPU, before this returns 0
 * @ctx:     argument of @done
 *
 * Context: process or softirq (netfilter hooks and timers included) with
 * hard interrupts enabled: not from a hardirq handler nor with interrupts
 * disabled (spin_lock_irqsave() held), as it enables BHs again on its
 * way out. Does not sleep.
 * Return: 0 when sent (or queued for retransmission), -ENOTCONN without a
 * control socket, -ENOKEY without a key, -EHOSTUNREACH if @daddr is not a
 * peer, -EINVAL, -ENOMEM or -ENOBUFS.
 */
int sst_ctrl_send(struct net *net, __be32 daddr, u8 type, u16 flags,
		  u64 conn_id, const void *body, u32 len,
		  sst_ctrl_done_t done, void *ctx)
{
	struct sst_net *sn = sst_net(net);
	const struct sst_peer *peer;
	const struct sst_key *key;
	struct socket *sock;
	int ret;

	lockdep_assert_irqs_enabled();
	if (!type || type >= __SST_MSG_MAX || (flags & ~SST_WIRE_F_ALL) ||
	    len > SST_WIRE_MAX_BODY ||
	    (type == SST_MSG_ACK && (flags & SST_WIRE_F_RELIABLE)))
		return -EINVAL;

	rcu_read_lock_bh();
	sock = rcu_dereference_bh(sn->ctrl.sock);
	key = rcu_dereference_bh(sn->ctrl.key);
	peer = sst_peer_lookup_rcu(sn, daddr);
	if (!sock)
		ret = -ENOTCONN;
	else if (!key)
		ret = -ENOKEY;
	else if (!peer)
		ret = -EHOSTUNREACH;
	else
		ret = sst_ctrl_send_peer(sn, sock, key, peer, type, flags,
					 conn_id, body, len, done, ctx);
	rcu_read_unlock_bh();
	return ret;
}

/* Calls done() of the entries of @list, taken off sst_ctrl.pending. */
static void sst_ctrl_complete(struct sst_ctrl *c, struct list_head *list)
{
	struct sst_ctrl_pending *p, *tmp;

	list_for_each_entry_safe(p, tmp, list, node) {
		list_del(&p->node);
		if (p->done)
			p->done(c->net, p->ctx, p->err);
		sst_ctrl_put(p);
	}
}

/*
 * A SETUP's TSval is the first the OS may send: one tick past the DS's
 * clock when it was stamped. A retransmission adds the time since (the
 * timestamp clock ticks in ms: usec-timestamp connections are never
 * handed off), or the OS's clock would start behind segments the client
 * may have seen meanwhile, and the client's PAWS check would drop the
 * OS's segments until it caught up.
 */
static void sst_ctrl_refresh(u8 *msg, unsigned int len, unsigned long age)
{
	struct sst_wire_hdr *h = (struct sst_wire_hdr *)msg;
	struct sst_wire_setup *s = (struct sst_wire_setup *)(h + 1);

	if (h->type != SST_MSG_SETUP || len < sizeof(*h) + sizeof(*s))
		return;
	s->tsval = htonl(ntohl(s->tsval) + jiffies_to_msecs(age));
}

/*
 * Retransmits what is due and gives up what has had all its chances. The
 * copies are made under pend_lock, each with a reference to its entry;
 * they get their (epoch, seq) and MAC and are sent after it is dropped.
 */
static void sst_ctrl_rtx_work(struct work_struct *work)
{
	struct sst_ctrl *c = container_of(to_delayed_work(work),
					  struct sst_ctrl, rtx_work);
	struct sst_net *sn = sst_ctrl_sn(c);
	unsigned long now = jiffies, next = 0;
	struct sst_ctrl_pending *p, *tmp;
	const struct sst_peer *peer;
	const struct sst_key *key;
	struct sk_buff_head q;
	struct socket *sock;
	struct sk_buff *skb;
	bool armed = false;
	LIST_HEAD(dead);

	if (!rcu_access_pointer(c->sock))
		return;	/* being torn down: sst_ctrl_exit() completes */
	__skb_queue_head_init(&q);
	spin_lock_bh(&c->pend_lock);
	c->rtx_armed = false;
	rcu_read_lock();
	list_for_each_entry_safe(p, tmp, &c->pending, node) {
		if (time_before(now, p->due))
			goto arm;
		peer = sst_peer_lookup_rcu(sn, p->daddr);
		if (!peer || p->ntx >= SST_CTRL_MAX_TX) {
			p->err = peer ? -ETIMEDOUT : -EHOSTUNREACH;
			list_move_tail(&p->node, &dead);
			p->listed = false;
			c->npending--;
			if (peer)
				sst_stat_inc(sn, SST_STAT_TIMEOUTS);
			continue;
		}
		skb = sst_ctrl_alloc_skb(p->len + SST_WIRE_MAC_LEN);
		if (skb) {
			skb_put_data(skb, p->msg, p->len);
			sst_ctrl_refresh(skb->data, p->len, now - p->first);
			skb_put(skb, SST_WIRE_MAC_LEN);
			refcount_inc(&p->ref);
			SST_CTRL_CB(skb)->p = p;
			__skb_queue_tail(&q, skb);
		} else {
			sst_stat_inc(sn, SST_STAT_CTRL_TX_ERRORS);
		}
		p->ntx++;
		p->rto *= 2;
		p->due = now + p->rto;
arm:
		if (!armed || time_before(p->due, next))
			next = p->due;
		armed = true;
	}
	rcu_read_unlock();
	if (armed)
		sst_ctrl_rtx_arm(c, next);
	spin_unlock_bh(&c->pend_lock);

	while ((skb = __skb_dequeue(&q))) {
		p = SST_CTRL_CB(skb)->p;
		rcu_read_lock_bh();
		sock = rcu_dereference_bh(c->sock);
		key = rcu_dereference_bh(c->key);
		peer = sst_peer_lookup_rcu(sn, p->daddr);
		if (sock && key && peer) {
			if (!sst_ctrl_xmit(sn, sock, key, peer, skb, p))
				sst_stat_inc(sn, SST_STAT_RETRANSMITS);
		} else {
			kfree_skb(skb);
		}
		rcu_read_unlock_bh();
		sst_ctrl_put(p);
		cond_resched();
	}
	sst_ctrl_complete(c, &dead);
}

static bool sst_ctrl_pending_has(const struct sst_ctrl_pending *p,
				 u32 epoch, u32 seq)
{
	unsigned int i;

	for (i = 0; i < p->nids; i++)
		if (p->ids[i].seq == seq && p->ids[i].epoch == epoch)
			return true;
	return false;
}

/*
 * An ACK from @peer for one of our (@epoch, @seq): whichever transmission
 * of a message it names, the message is delivered. Context: softirq.
 */
static void sst_ctrl_acked(struct sst_net *sn, const struct sst_peer *peer,
			   const struct sst_wire_ack *ack)
{
	u32 epoch = be32_to_cpu(ack->epoch), seq = be32_to_cpu(ack->seq);
	struct sst_ctrl_pending *p, *found = NULL;
	struct sst_ctrl *c = &sn->ctrl;

	spin_lock_bh(&c->pend_lock);
	list_for_each_entry(p, &c->pending, node) {
		if (p->daddr == peer->addr &&
		    sst_ctrl_pending_has(p, epoch, seq)) {
			found = p;
			list_del(&p->node);
			p->listed = false;
			c->npending--;
			break;
		}
	}
	spin_unlock_bh(&c->pend_lock);
	if (found) {
		if (found->done)
			found->done(c->net, found->ctx, 0);
		sst_ctrl_put(found);
	}
}

/* Return: what the handler said; see sst_ctrl_handler_t. */
static int sst_ctrl_dispatch(struct sst_net *sn, struct sst_peer *peer,
			     const struct sst_wire_hdr *h, const u8 *body)
{
	sst_ctrl_handler_t handler;

	switch (h->type) {
	case SST_MSG_KEEPALIVE:
		sst_stat_inc(sn, SST_STAT_KEEPALIVES);
		return 0;
	case SST_MSG_ACK:
		sst_ctrl_acked(sn, peer, (const struct sst_wire_ack *)body);
		return 0;
	}
	handler = READ_ONCE(sst_handlers[h->type]);
	if (!handler) {
		sst_stat_inc(sn, SST_STAT_DROPS);
		return -EOPNOTSUPP;
	}
	return handler(sn->ctrl.net, peer, h, body);
}

/**
 * sst_ctrl_ack - acknowledges a reliable message after the fact
 * @net:     the namespace
 * @peer:    the peer that sent it
 * @conn_id: its conn_id
 * @epoch:   its epoch, as received (big-endian)
 * @seq:     its seq, as received
 *
 * For a handler that answered -EAGAIN (not taken yet) and has since done
 * what the message asked: the sender need not wait for its next copy.
 * Context: as sst_ctrl_send(). Return: as sst_ctrl_send().
 */
int sst_ctrl_ack(struct net *net, __be32 peer, u64 conn_id, __be32 epoch,
		 __be32 seq)
{
	struct sst_wire_ack ack = { .epoch = epoch, .seq = seq };

	return sst_ctrl_send(net, peer, SST_MSG_ACK, 0, conn_id, &ack,
			     sizeof(ack), NULL, NULL);
}

/* Context: softirq, under RCU. */
static void sst_ctrl_send_ack(struct sst_net *sn, const struct sst_peer *peer,
			      const struct sst_wire_hdr *h)
{
	sst_ctrl_ack(sn->ctrl.net, peer->addr, be64_to_cpu(h->conn_id),
		     h->epoch, h->seq);
}

/*
 * Checks one datagram and acts on it. Return: true if it was taken (a
 * duplicate of a taken reliable message included).
 * Context: softirq, under RCU.
 */
static bool sst_ctrl_rcv(struct sst_net *sn, struct sk_buff *skb)
{
	unsigned int off = skb_transport_offset(skb) + sizeof(struct udphdr);
	struct sst_wire_pseudo ph = {
		.saddr = ip_hdr(skb)->saddr,
		.daddr = ip_hdr(skb)->daddr,
		.sport = udp_hdr(skb)->source,
		.dport = udp_hdr(skb)->dest,
	};
	const struct sst_wire_hdr *h;
	const struct sst_key *key;
	enum sst_replay_verdict v;
	struct sst_peer *peer;
	unsigned int dlen;
	u32 len, epoch, seq;
	const u8 *body;
	bool reliable;
	int ret;

	peer = sst_peer_lookup_rcu(sn, ph.saddr);
	if (!peer || htons(peer->port) != ph.sport) {
		sst_stat_inc(sn, SST_STAT_UNKNOWN_PEER);
		trace_sst_ctrl_refused(ph.saddr, ph.sport,
				       SST_REFUSED_UNKNOWN_PEER);
		return false;
	}
	if (skb->len < off + SST_WIRE_HDR_LEN + SST_WIRE_MAC_LEN ||
	    skb_linearize(skb)) {
		sst_stat_inc(sn, SST_STAT_DROPS);
		trace_sst_ctrl_refused(ph.saddr, ph.sport,
				       SST_REFUSED_MALFORMED);
		return false;
	}
	dlen = skb->len - off;
	h = (const struct sst_wire_hdr *)(skb->data + off);
	if (sst_proto_check_hdr(h, dlen)) {
		sst_stat_inc(sn, SST_STAT_DROPS);
		trace_sst_ctrl_refused(ph.saddr, ph.sport,
				       SST_REFUSED_MALFORMED);
		return false;
	}
	len = be32_to_cpu(h->len);
	body = (const u8 *)(h + 1);

	key = rcu_dereference(sn->ctrl.key);
	if (!key || sst_proto_verify(key, &ph, h, SST_WIRE_HDR_LEN + len,
				     body + len)) {
		sst_stat_inc(sn, SST_STAT_AUTH_FAILURES);
		trace_sst_ctrl_refused(ph.saddr, ph.sport, SST_REFUSED_BAD_MAC);
		return false;
	}

	reliable = be16_to_cpu(h->flags) & SST_WIRE_F_RELIABLE;
	epoch = be32_to_cpu(h->epoch);
	seq = be32_to_cpu(h->seq);
	v = sst_replay_check(&peer->replay, epoch, seq);
	if (v == SST_REPLAY_OLD || (v == SST_REPLAY_DUP && !reliable)) {
		sst_stat_inc(sn, SST_STAT_REPLAYS);
		trace_sst_ctrl_refused(ph.saddr, ph.sport, SST_REFUSED_REPLAY);
		return false;
	}
	if (v == SST_REPLAY_DUP) {
		/* A copy of a message taken: our ACK may have been lost. */
		sst_ctrl_send_ack(sn, peer, h);
		sst_stat_inc(sn, SST_STAT_DUPLICATES);
		return true;
	}
	WRITE_ONCE(peer->last_rx_ns, ktime_get_ns());
	sst_stat_inc(sn, SST_STAT_CTRL_RX);
	ret = sst_ctrl_dispatch(sn, peer, h, body);
	if (!ret) {
		sst_replay_settle(&peer->replay, epoch, seq, SST_REPLAY_TAKEN);
		/* Only now: the sender counts on it being taken. */
		if (reliable)
			sst_ctrl_send_ack(sn, peer, h);
		return true;
	}
	if (ret == -EAGAIN || ret == -ENOMEM) {
		/* Not now (a RESET is acknowledged once its socket is gone). */
		sst_replay_settle(&peer->replay, epoch, seq, SST_REPLAY_RETRY);
		return false;
	}
	sst_replay_settle(&peer->replay, epoch, seq, SST_REPLAY_REFUSED);
	trace_sst_ctrl_refused(ph.saddr, ph.sport, SST_REFUSED_UNEXPECTED);
	return false;
}

static int sst_ctrl_encap_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct sst_net *sn = sst_net(sock_net(sk));

	if (sst_ctrl_rcv(sn, skb))
		consume_skb(skb);
	else
		kfree_skb(skb);
	return 0;	/* consumed */
}

static void sst_ctrl_ka_work(struct work_struct *work)
{
	struct sst_ctrl *c = container_of(to_delayed_work(work),
					  struct sst_ctrl, ka_work);
	struct sst_net *sn = sst_ctrl_sn(c);
	u16 flags = READ_ONCE(reliable_keepalives) ? SST_WIRE_F_RELIABLE : 0;
	const struct sst_key *key;
	struct sst_peer *peer;
	struct socket *sock;

	rcu_read_lock_bh();
	sock = rcu_dereference_bh(c->sock);
	key = rcu_dereference_bh(c->key);
	if (sock && key)
		list_for_each_entry_rcu(peer, &sn->peers, node)
			sst_ctrl_send_peer(sn, sock, key, peer,
					   SST_MSG_KEEPALIVE, flags,
					   flags ? atomic64_inc_return(&c->ka_tag) : 0,
					   NULL, 0, NULL, NULL);
	rcu_read_unlock_bh();
	queue_delayed_work(system_wq, &c->ka_work,
			   msecs_to_jiffies(READ_ONCE(sn->config.keepalive_ms)));
}

void sst_ctrl_init(struct sst_net *sn, struct net *net)
{
	struct sst_ctrl *c = &sn->ctrl;

	c->net = net;
	RCU_INIT_POINTER(c->sock, NULL);
	RCU_INIT_POINTER(c->key, NULL);
	atomic64_set(&c->id, 0);	/* sst_ctrl_open() takes the epoch */
	spin_lock_init(&c->pend_lock);
	INIT_LIST_HEAD(&c->pending);
	c->npending = 0;
	c->rtx_armed = false;
	atomic64_set(&c->ka_tag, 0);
	INIT_DELAYED_WORK(&c->ka_work, sst_ctrl_ka_work);
	INIT_DELAYED_WORK(&c->rtx_work, sst_ctrl_rtx_work);
}

static void sst_ctrl_sock_release(struct socket *sock)
{
	rcu_assign_sk_user_data(sock->sk, NULL);
	synchronize_rcu();
	kernel_sock_shutdown(sock, SHUT_RDWR);
	sock_release(sock);
}

static int sst_ctrl_sock_create(struct sst_net *sn, u16 port,
				struct socket **sockp,
				struct netlink_ext_ack *extack)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_ANY),
		.sin_port = htons(port),
	};
	struct socket *sock;
	struct sock *sk;
	int ret;

	ret = sock_create_kern(sn->ctrl.net, AF_INET, SOCK_DGRAM, 0, &sock);
	if (ret) {
		NL_SET_ERR_MSG(extack, "cannot open the control UDP socket");
		return ret;
	}
	ret = kernel_bind(sock, (struct sockaddr *)&sin, sizeof(sin));
	if (ret) {
		if (ret == -EADDRINUSE)
			NL_SET_ERR_MSG(extack,
				       "control UDP port already in use in this namespace");
		else
			NL_SET_ERR_MSG(extack,
				       "cannot bind the control UDP socket");
		sock_release(sock);
		return ret;
	}
	/* As setup_udp_tunnel_sock(): datagrams go to encap_rcv. */
	sk = sock->sk;
	sk->sk_no_check_tx = 0;
	inet_inc_convert_csum(sk);
	rcu_assign_sk_user_data(sk, sn);
	WRITE_ONCE(udp_sk(sk)->encap_type, 1);
	WRITE_ONCE(udp_sk(sk)->encap_rcv, sst_ctrl_encap_rcv);
	udp_tunnel_encap_enable(sk);
	*sockp = sock;
	return 0;
}

/**
 * sst_ctrl_open - make sure the control socket exists
 * @sn:     namespace state
 * @extack: where to say why it failed
 *
 * Binds config.ctrl_port, takes the namespace's epoch (only namespaces
 * that talk to peers use one up) and starts the KEEPALIVEs.
 * Context: process, sst_net.lock held.
 */
int sst_ctrl_open(struct sst_net *sn, struct netlink_ext_ack *extack)
{
	struct sst_ctrl *c = &sn->ctrl;
	struct socket *sock;
	int ret;

	lockdep_assert_held(&sn->lock);
	if (rcu_access_pointer(c->sock))
		return 0;
	ret = sst_ctrl_sock_create(sn, sn->config.ctrl_port, &sock, extack);
	if (ret)
		return ret;
	atomic64_set(&c->id, (s64)((u64)sst_new_epoch() << 32 |
				   READ_ONCE(initial_seq)));
	/* Publishes the id too: senders need the socket. */
	rcu_assign_pointer(c->sock, sock);
	queue_delayed_work(system_wq, &c->ka_work,
			   msecs_to_jiffies(sn->config.keepalive_ms));
	return 0;
}

/**
 * sst_ctrl_prepare_port - first half of a control port change
 * @sn:     namespace state
 * @port:   the new port
 * @sockp:  output: a socket bound to @port, or NULL if none is needed (no
 *          socket yet, or the same port)
 * @extack: where to say why it failed
 *
 * On success, the caller finishes with sst_ctrl_commit_port() or
 * sst_ctrl_abort_port(). Context: process, sst_net.lock held.
 */
int sst_ctrl_prepare_port(struct sst_net *sn, u16 port, struct socket **sockp,
			  struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&sn->lock);
	*sockp = NULL;
	if (!rcu_access_pointer(sn->ctrl.sock) || port == sn->config.ctrl_port)
		return 0;
	return sst_ctrl_sock_create(sn, port, sockp, extack);
}

void sst_ctrl_commit_port(struct sst_net *sn, struct socket *sock)
{
	struct socket *old;

	lockdep_assert_held(&sn->lock);
	if (!sock)
		return;
	old = rcu_replace_pointer(sn->ctrl.sock, sock,
				  lockdep_is_held(&sn->lock));
	/* Waits for an RCU grace period first: no sender still uses it. */
	sst_ctrl_sock_release(old);
}

void sst_ctrl_abort_port(struct socket *sock)
{
	if (sock)
		sst_ctrl_sock_release(sock);
}

/**
 * sst_ctrl_commit_key - use a new key from now on
 * @sn:  namespace state
 * @key: from sst_key_new()
 *
 * Context: process, sst_net.lock held; sleeps for an RCU grace period.
 */
void sst_ctrl_commit_key(struct sst_net *sn, struct sst_key *key)
{
	struct sst_key *old;

	lockdep_assert_held(&sn->lock);
	old = rcu_replace_pointer(sn->ctrl.key, key,
				  lockdep_is_held(&sn->lock));
	if (old) {
		synchronize_rcu();
		sst_key_free(old);
	}
}

/* Context: process, sst_net.lock held, config.keepalive_ms updated. */
void sst_ctrl_keepalive_changed(struct sst_net *sn)
{
	lockdep_assert_held(&sn->lock);
	if (rcu_access_pointer(sn->ctrl.sock))
		mod_delayed_work(system_wq, &sn->ctrl.ka_work,
				 msecs_to_jiffies(sn->config.keepalive_ms));
}

/**
 * sst_ctrl_exit - tear the control plane of a namespace down
 * @sn: namespace state
 *
 * Context: process, from pernet exit.
 */
void sst_ctrl_exit(struct sst_net *sn)
{
	struct sst_ctrl *c = &sn->ctrl;
	struct socket *sock;
	struct sst_ctrl_pending *p;
	struct sst_key *key;
	LIST_HEAD(dead);

	mutex_lock(&sn->lock);
	sock = rcu_replace_pointer(c->sock, NULL, lockdep_is_held(&sn->lock));
	key = rcu_replace_pointer(c->key, NULL, lockdep_is_held(&sn->lock));
	mutex_unlock(&sn->lock);

	if (sock)
		sst_ctrl_sock_release(sock);
	/* Receivers that found the socket before it was unhashed, and
	 * senders that saw it or the key.
	 */
	synchronize_net();
	cancel_delayed_work_sync(&c->ka_work);
	cancel_delayed_work_sync(&c->rtx_work);

	spin_lock_bh(&c->pend_lock);
	list_splice_init(&c->pending, &dead);
	c->npending = 0;
	list_for_each_entry(p, &dead, node) {
		p->listed = false;
		p->err = -ESHUTDOWN;
	}
	spin_unlock_bh(&c->pend_lock);
	sst_ctrl_complete(c, &dead);
	sst_key_free(key);
}
