// SPDX-License-Identifier: GPL-2.0
/*
 * The control plane of a namespace: a kernel UDP socket bound to the
 * control port (a UDP tunnel socket: datagrams reach sst_ctrl_encap_rcv()
 * in softirq, as WireGuard's and VXLAN's do), authenticated messages to
 * and from the configured peers, retransmission of reliable messages and
 * KEEPALIVEs.
 *
 * Locking: the socket and the key are published under RCU and replaced
 * under sst_net.lock (a mutex, process context only). Senders and the
 * receive path only read them under RCU, so sending works in any context.
 * @pend_lock (BH-safe spinlock) protects the reliable messages waiting
 * for their ACK.
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
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/udp.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/netlink.h>
#include <net/route.h>
#include <net/udp_tunnel.h>
#include "ctrl.h"
#include "netns.h"
#include "peer.h"

/**
 * struct sst_ctrl_pending - a reliable message waiting for its ACK
 * @node:  entry in sst_ctrl.pending
 * @daddr: the peer it was sent to
 * @seq:   its sequence number (the epoch is sst_ctrl.epoch)
 * @ntx:   transmissions so far
 * @rto:   current retransmission timeout, jiffies
 * @due:   when to retransmit next, jiffies
 * @err:   completion status once off the list
 * @done:  completion callback, or NULL
 * @ctx:   its argument
 * @len:   bytes in @msg
 * @msg:   the datagram payload as first sent (header, body, MAC)
 */
struct sst_ctrl_pending {
	struct list_head node;
	__be32 daddr;
	u32 seq;
	unsigned int ntx;
	unsigned long rto;
	unsigned long due;
	int err;
	sst_ctrl_done_t done;
	void *ctx;
	unsigned int len;
	u8 msg[];
};

/* A test knob: lets the tests drive retransmissions before the data path
 * sends reliable messages of its own.
 */
static bool reliable_keepalives;
module_param(reliable_keepalives, bool, 0644);
MODULE_PARM_DESC(reliable_keepalives,
		 "send KEEPALIVEs as reliable messages (for tests)");

/* Handlers of the data path, by message type; see sst_ctrl_register(). */
static sst_ctrl_handler_t sst_handlers[__SST_MSG_MAX];

/* The newest epoch handed out since the module was loaded. */
static DEFINE_SPINLOCK(sst_epoch_lock);
static u32 sst_last_epoch;

static struct sst_net *sst_ctrl_sn(struct sst_ctrl *c)
{
	return container_of(c, struct sst_net, ctrl);
}

/*
 * The epoch of a new instance is the wall clock in seconds. Two instances
 * of the same namespace can only share an epoch if the module is reloaded
 * within one second: sst_ctrl_module_exit() waits for the second to pass.
 */
static u32 sst_new_epoch(void)
{
	u32 e = (u32)ktime_get_real_seconds();

	spin_lock(&sst_epoch_lock);
	if (e > sst_last_epoch)
		sst_last_epoch = e;
	spin_unlock(&sst_epoch_lock);
	return e;
}

void sst_ctrl_module_exit(void)
{
	int i;

	/* At most a second (and a bit, should the clock be stepped). */
	for (i = 0; i < 60 && (u32)ktime_get_real_seconds() <=
	     READ_ONCE(sst_last_epoch); i++)
		msleep(20);
}

/**
 * sst_ctrl_register - receive the messages of @type
 * @type:    an SST_MSG_* other than KEEPALIVE and ACK (handled here)
 * @handler: called for every accepted message of @type
 *
 * Call from module init, before any namespace can receive; unregister in
 * module exit. Messages of a type without a handler count as drops.
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

/*
 * Routes and sends the datagram payload in @skb to @daddr:@dport from the
 * socket's port. Consumes @skb.
 * Context: any, rcu_read_lock_bh() held (it keeps @sock alive).
 */
static int sst_ctrl_xmit(struct sst_net *sn, struct socket *sock,
			 struct sk_buff *skb, __be32 daddr, u16 dport)
{
	__be16 sport = inet_sk(sock->sk)->inet_sport;
	struct flowi4 fl4 = {
		.daddr = daddr,
		.flowi4_proto = IPPROTO_UDP,
		.fl4_sport = sport,
		.fl4_dport = htons(dport),
	};
	struct rtable *rt;

	rt = ip_route_output_key(sn->ctrl.net, &fl4);
	if (IS_ERR(rt)) {
		kfree_skb(skb);
		sst_stat_inc(sn, SST_STAT_CTRL_TX_ERRORS);
		return PTR_ERR(rt);
	}
	udp_tunnel_xmit_skb(rt, sock->sk, skb, fl4.saddr, fl4.daddr, 0,
			    ip4_dst_hoplimit(&rt->dst), 0, sport, htons(dport),
			    false, false);
	sst_stat_inc(sn, SST_STAT_CTRL_TX);
	return 0;
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

static void sst_ctrl_rtx_arm(struct sst_ctrl *c, unsigned long due)
{
	lockdep_assert_held(&c->pend_lock);
	if (!delayed_work_pending(&c->rtx_work) ||
	    time_before(due, c->rtx_work.timer.expires))
		mod_delayed_work(system_wq, &c->rtx_work,
				 time_after(due, jiffies) ? due - jiffies : 0);
}

/*
 * Builds, authenticates and sends one message to @peer; keeps a copy of a
 * reliable one. Context: any, rcu_read_lock_bh() held.
 */
static int sst_ctrl_send_peer(struct sst_net *sn, struct socket *sock,
			      const struct sst_key *key,
			      const struct sst_peer *peer, u8 type, u16 flags,
			      u64 conn_id, const void *body, u32 len,
			      sst_ctrl_done_t done, void *ctx)
{
	unsigned int total = SST_WIRE_HDR_LEN + len + SST_WIRE_MAC_LEN;
	struct sst_ctrl *c = &sn->ctrl;
	struct sst_ctrl_pending *p = NULL;
	struct sst_wire_hdr *h;
	struct sk_buff *skb;
	u32 seq;

	skb = sst_ctrl_alloc_skb(total);
	if (!skb)
		goto nomem;
	h = skb_put(skb, total);
	seq = (u32)atomic_inc_return(&c->seq);
	sst_proto_hdr_init(h, type, flags, len, c->epoch, seq, conn_id);
	if (len)
		memcpy(h + 1, body, len);
	if (sst_proto_mac(key, h, SST_WIRE_HDR_LEN + len,
			  (u8 *)(h + 1) + len)) {
		kfree_skb(skb);
		sst_stat_inc(sn, SST_STAT_CTRL_TX_ERRORS);
		return -EIO;
	}

	if (flags & SST_WIRE_F_RELIABLE) {
		p = kmalloc(struct_size(p, msg, total), GFP_ATOMIC);
		if (!p) {
			kfree_skb(skb);
			goto nomem;
		}
		p->daddr = peer->addr;
		p->seq = seq;
		p->ntx = 1;
		p->rto = msecs_to_jiffies(SST_CTRL_RTO_MS);
		p->due = jiffies + p->rto;
		p->err = 0;
		p->done = done;
		p->ctx = ctx;
		p->len = total;
		memcpy(p->msg, h, total);
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
	/* A reliable message that cannot be routed now is retried later. */
	sst_ctrl_xmit(sn, sock, skb, peer->addr, peer->port);
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
 * @body:    @len bytes of body
 * @len:     at most SST_WIRE_MAX_BODY
 * @done:    for a reliable message, called once with the outcome (may be
 *           NULL); never called when this returns an error
 * @ctx:     argument of @done
 *
 * Context: any (process, softirq, netfilter hooks); does not sleep.
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

static void sst_ctrl_complete(struct sst_ctrl *c, struct list_head *list)
{
	struct sst_ctrl_pending *p, *tmp;

	list_for_each_entry_safe(p, tmp, list, node) {
		list_del(&p->node);
		if (p->done)
			p->done(c->net, p->ctx, p->err);
		kfree(p);
	}
}

static void sst_ctrl_rtx_work(struct work_struct *work)
{
	struct sst_ctrl *c = container_of(to_delayed_work(work),
					  struct sst_ctrl, rtx_work);
	struct sst_net *sn = sst_ctrl_sn(c);
	unsigned long now = jiffies, next = 0;
	struct sst_ctrl_pending *p, *tmp;
	const struct sst_peer *peer;
	struct socket *sock;
	struct sk_buff *skb;
	bool armed = false;
	LIST_HEAD(dead);

	rcu_read_lock_bh();
	sock = rcu_dereference_bh(c->sock);
	if (!sock)	/* being torn down: sst_ctrl_exit() completes */
		goto out;
	spin_lock(&c->pend_lock);
	list_for_each_entry_safe(p, tmp, &c->pending, node) {
		if (time_before(now, p->due))
			goto arm;
		peer = sst_peer_lookup_rcu(sn, p->daddr);
		if (!peer || p->ntx >= SST_CTRL_MAX_TX) {
			p->err = peer ? -ETIMEDOUT : -EHOSTUNREACH;
			list_move_tail(&p->node, &dead);
			c->npending--;
			if (peer)
				sst_stat_inc(sn, SST_STAT_TIMEOUTS);
			continue;
		}
		skb = sst_ctrl_alloc_skb(p->len);
		if (skb) {
			skb_put_data(skb, p->msg, p->len);
			sst_ctrl_xmit(sn, sock, skb, peer->addr, peer->port);
			sst_stat_inc(sn, SST_STAT_RETRANSMITS);
		}
		p->ntx++;
		p->rto *= 2;
		p->due = now + p->rto;
arm:
		if (!armed || time_before(p->due, next))
			next = p->due;
		armed = true;
	}
	if (armed)
		mod_delayed_work(system_wq, &c->rtx_work,
				 time_after(next, now) ? next - now : 0);
	spin_unlock(&c->pend_lock);
out:
	rcu_read_unlock_bh();
	sst_ctrl_complete(c, &dead);
}

/* An ACK from @peer for our (@epoch, @seq). Context: softirq. */
static void sst_ctrl_acked(struct sst_net *sn, const struct sst_peer *peer,
			   const struct sst_wire_ack *ack)
{
	struct sst_ctrl *c = &sn->ctrl;
	struct sst_ctrl_pending *p;
	u32 seq = be32_to_cpu(ack->seq);
	LIST_HEAD(done);

	if (be32_to_cpu(ack->epoch) != c->epoch)
		return;
	spin_lock_bh(&c->pend_lock);
	list_for_each_entry(p, &c->pending, node) {
		if (p->seq == seq && p->daddr == peer->addr) {
			list_move(&p->node, &done);
			c->npending--;
			break;
		}
	}
	spin_unlock_bh(&c->pend_lock);
	sst_ctrl_complete(c, &done);
}

static void sst_ctrl_dispatch(struct sst_net *sn, struct sst_peer *peer,
			      const struct sst_wire_hdr *h, const u8 *body)
{
	sst_ctrl_handler_t handler;

	switch (h->type) {
	case SST_MSG_KEEPALIVE:
		sst_stat_inc(sn, SST_STAT_KEEPALIVES);
		return;
	case SST_MSG_ACK:
		sst_ctrl_acked(sn, peer, (const struct sst_wire_ack *)body);
		return;
	}
	handler = READ_ONCE(sst_handlers[h->type]);
	if (handler)
		handler(sn->ctrl.net, peer, h, body);
	else
		sst_stat_inc(sn, SST_STAT_DROPS);
}

/*
 * Checks one datagram and acts on it. Return: true if it was accepted (a
 * duplicate of a reliable message included).
 * Context: softirq, under RCU.
 */
static bool sst_ctrl_rcv(struct sst_net *sn, struct sk_buff *skb)
{
	__be32 saddr = ip_hdr(skb)->saddr;
	__be16 sport = udp_hdr(skb)->source;
	unsigned int off = skb_transport_offset(skb) + sizeof(struct udphdr);
	const struct sst_wire_hdr *h;
	const struct sst_key *key;
	struct sst_wire_ack ack;
	enum sst_replay_verdict v;
	struct sst_peer *peer;
	unsigned int dlen;
	const u8 *body;
	bool reliable;
	u32 len;

	peer = sst_peer_lookup_rcu(sn, saddr);
	if (!peer || htons(peer->port) != sport) {
		sst_stat_inc(sn, SST_STAT_UNKNOWN_PEER);
		return false;
	}
	if (skb->len < off + SST_WIRE_HDR_LEN + SST_WIRE_MAC_LEN ||
	    skb_linearize(skb)) {
		sst_stat_inc(sn, SST_STAT_DROPS);
		return false;
	}
	dlen = skb->len - off;
	h = (const struct sst_wire_hdr *)(skb->data + off);
	if (sst_proto_check_hdr(h, dlen)) {
		sst_stat_inc(sn, SST_STAT_DROPS);
		return false;
	}
	len = be32_to_cpu(h->len);
	body = (const u8 *)(h + 1);

	key = rcu_dereference(sn->ctrl.key);
	if (!key || sst_proto_verify(key, h, SST_WIRE_HDR_LEN + len,
				     body + len)) {
		sst_stat_inc(sn, SST_STAT_AUTH_FAILURES);
		return false;
	}

	reliable = be16_to_cpu(h->flags) & SST_WIRE_F_RELIABLE;
	v = sst_replay_check(&peer->replay, be32_to_cpu(h->epoch),
			     be32_to_cpu(h->seq));
	if (v == SST_REPLAY_OLD || (v == SST_REPLAY_DUP && !reliable)) {
		sst_stat_inc(sn, SST_STAT_REPLAYS);
		return false;
	}
	if (reliable) {
		/* Again for a duplicate: our first ACK may have been lost. */
		ack.epoch = h->epoch;
		ack.seq = h->seq;
		sst_ctrl_send(sn->ctrl.net, peer->addr, SST_MSG_ACK, 0,
			      be64_to_cpu(h->conn_id), &ack, sizeof(ack),
			      NULL, NULL);
	}
	if (v == SST_REPLAY_DUP) {
		sst_stat_inc(sn, SST_STAT_DUPLICATES);
		return true;
	}
	WRITE_ONCE(peer->last_rx_ns, ktime_get_ns());
	sst_stat_inc(sn, SST_STAT_CTRL_RX);
	sst_ctrl_dispatch(sn, peer, h, body);
	return true;
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
					   SST_MSG_KEEPALIVE, flags, 0, NULL, 0,
					   NULL, NULL);
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
	c->epoch = sst_new_epoch();
	atomic_set(&c->seq, 0);
	spin_lock_init(&c->pend_lock);
	INIT_LIST_HEAD(&c->pending);
	c->npending = 0;
	INIT_DELAYED_WORK(&c->ka_work, sst_ctrl_ka_work);
	INIT_DELAYED_WORK(&c->rtx_work, sst_ctrl_rtx_work);
}

static int sst_ctrl_sock_create(struct sst_net *sn, u16 port,
				struct socket **sockp,
				struct netlink_ext_ack *extack)
{
	struct udp_tunnel_sock_cfg tcfg = {
		.sk_user_data = sn,
		.encap_type = 1,
		.encap_rcv = sst_ctrl_encap_rcv,
	};
	struct udp_port_cfg cfg = {
		.family = AF_INET,
		.local_ip.s_addr = htonl(INADDR_ANY),
		.local_udp_port = htons(port),
		.use_udp_checksums = true,
	};
	struct socket *sock;
	int ret;

	ret = udp_sock_create(sn->ctrl.net, &cfg, &sock);
	if (ret) {
		if (ret == -EADDRINUSE)
			NL_SET_ERR_MSG(extack,
				       "control UDP port already in use in this namespace");
		else
			NL_SET_ERR_MSG(extack,
				       "cannot open the control UDP socket");
		return ret;
	}
	setup_udp_tunnel_sock(sn->ctrl.net, sock, &tcfg);
	*sockp = sock;
	return 0;
}

/**
 * sst_ctrl_open - make sure the control socket exists
 * @sn:     namespace state
 * @extack: where to say why it failed
 *
 * Binds config.ctrl_port and starts the KEEPALIVEs.
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
	udp_tunnel_sock_release(old);
}

void sst_ctrl_abort_port(struct socket *sock)
{
	if (sock)
		udp_tunnel_sock_release(sock);
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
		udp_tunnel_sock_release(sock);
	/* Receivers that found the socket before it was unhashed, and
	 * senders that saw it or the key.
	 */
	synchronize_net();
	cancel_delayed_work_sync(&c->ka_work);
	cancel_delayed_work_sync(&c->rtx_work);

	spin_lock_bh(&c->pend_lock);
	list_splice_init(&c->pending, &dead);
	c->npending = 0;
	spin_unlock_bh(&c->pend_lock);
	list_for_each_entry(p, &dead, node)
		p->err = -ESHUTDOWN;
	sst_ctrl_complete(c, &dead);
	sst_key_free(key);
}
