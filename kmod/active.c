// SPDX-License-Identifier: GPL-2.0
/*
 * The active layer (DS side): the handoff itself, the GC-pending
 * half-pipes of each handed-off connection, and the PRE_ROUTING hook that
 * splits every client acknowledgment between the DS's own stack and the
 * optimal servers that sent data (DESIGN 3.5).
 *
 * Locking: sst_act_net.lock (BH) protects the connection hash and list;
 * sst_conn.lock (BH) protects its half-pipes. Connections are found under
 * RCU in the hook and freed with kfree_rcu. The DS socket is only changed
 * under lock_sock() from the handoff caller.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jhash.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/refcount.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/tcp.h>
#include "active.h"
#include "compat.h"
#include "ctrl.h"
#include "halfpipe.h"
#include "netlink.h"
#include "netns.h"
#include "peer.h"
#include "proto.h"
#include "trace.h"

#define SST_ACT_HASH_BITS	8
#define SST_ACT_GC_PERIOD	HZ

/**
 * struct sst_act_hp - a half-pipe handed to an OS (the dump's view first)
 * @hp:       what `sstctl show halfpipes` lists; first, see halfpipe.c
 * @link:     entry in sst_conn.hps
 * @ref:      one for the lists, one for the handoff call while it runs
 * @conn:     the connection
 * @err:      why the handoff failed, 0 otherwise
 * @unlinked: off sst_conn.hps and the dump's list (under sst_conn.lock)
 * @gone:     the OS holds nothing of it (refused, or never answered and
 *            RESET): it holds back no later handoff
 * @setup_pending: the control plane still has the SETUP (and @ah)
 * @reset_pending: the control plane still has a RESET (and @ah)
 * @unlink_wanted: to be unlinked once nothing is pending
 * @acked_past: the client acknowledged bytes past @hp.seq_start
 * @done_ns:  ktime_get_ns() when DATA_DONE arrived
 * @done:     DATA_DONE as received
 */
struct sst_act_hp {
	struct sst_halfpipe hp;
	struct list_head link;
	refcount_t ref;
	struct sst_conn *conn;
	int err;
	bool unlinked;
	bool gone;
	bool setup_pending;
	bool reset_pending;
	bool unlink_wanted;
	bool acked_past;
	u64 done_ns;
	struct sst_wire_data_done done;
};

/**
 * struct sst_conn - a client connection of this DS with handoffs
 * @node:      entry in the namespace's hash, by 4-tuple
 * @id_node:   entry in the namespace's hash, by @id
 * @all:       entry in the namespace's list
 * @rcu:       deferred free
 * @lock:      protects @hps
 * @hps:       its half-pipes, oldest first
 * @wq:        the handoff caller waits here
 * @sk:        the DS socket, with a reference
 * @id:        connection id, unique in the namespace
 * @client_addr: the client's address
 * @vip_addr:  the service address the client connected to
 * @client_port: the client's port
 * @vip_port:  the service port
 * @snd_wscale: the shift of the client's advertised window
 * @users:     handoff calls holding it (under sst_act_net.lock): the GC
 *             frees only connections nobody holds
 * @busy:      a handoff is in progress (set under the socket lock)
 * @broken:    a handoff failed after SETUP: the byte stream is lost
 * @acks_stolen: a pure ACK of ours became an ACK_NOW, or was dropped as
 *             behind the client, since the last adoption: acknowledge
 *             again once our sequence is current
 * @ds_sent:   a segment of ours reached the client since the last SETUP
 *             (its TSval is our clock's, not the OS's)
 * @resetting: a handoff failed after its SETUP: the client is being reset
 *             (sst_act_reset_client)
 * @last_ack:  the client's highest acknowledgment seen by the hook
 * @right:     the right edge of the client's window in its newest segment
 * @max_right: the highest @right: no sender of ours can have sent past it
 * @done_end:  with @unadopted: the end of a half-pipe whose DATA_DONE came
 *             but that the DS has not adopted yet (under @lock)
 * @unadopted: set at DATA_DONE, cleared at adoption: the half-pipe may be
 *             RESET and gone from @hps before then, and the client's next
 *             request acknowledges @done_end, past our snd_nxt
 * @progress:  jiffies when @last_ack last moved (the handoff's liveness)
 */
struct sst_conn {
	struct hlist_node node;
	struct hlist_node id_node;
	struct list_head all;
	struct rcu_head rcu;
	spinlock_t lock;		/* hps */
	struct list_head hps;
	wait_queue_head_t wq;
	struct sock *sk;
	u64 id;
	__be32 client_addr;
	__be32 vip_addr;
	__be16 client_port;
	__be16 vip_port;
	u8 snd_wscale;
	unsigned int users;
	bool busy;
	bool broken;
	bool acks_stolen;
	bool ds_sent;
	bool resetting;
	bool unadopted;
	u32 last_ack;
	u32 right;
	u32 max_right;
	u32 done_end;
	unsigned long progress;
};

struct sst_act_net {
	spinlock_t lock;		/* hash, list, next_id, dying */
	struct hlist_head hash[1 << SST_ACT_HASH_BITS];
	struct hlist_head by_id[1 << SST_ACT_HASH_BITS];
	struct list_head list;
	u64 next_id;
	u32 seed;
	bool dying;
	bool stopped;
	struct net *net;
	struct delayed_work gc;
};

static unsigned int sst_act_net_id __read_mostly;

static struct sst_act_net *sst_act_net(const struct net *net)
{
	return net_generic(net, sst_act_net_id);
}

static u32 sst_act_hash(const struct sst_act_net *an, __be32 vip, __be16 vport,
			__be32 client, __be16 cport)
{
	return jhash_3words((__force u32)vip, (__force u32)client,
			    ((__force u32)vport << 16) | (__force u32)cport,
			    an->seed) & ((1 << SST_ACT_HASH_BITS) - 1);
}

static struct hlist_head *sst_act_id_bucket(struct sst_act_net *an, u64 id)
{
	return &an->by_id[jhash_2words((u32)id, (u32)(id >> 32), an->seed) &
			  ((1 << SST_ACT_HASH_BITS) - 1)];
}

static struct sst_conn *sst_conn_find_rcu(struct sst_act_net *an, __be32 vip,
					  __be16 vport, __be32 client,
					  __be16 cport)
{
	struct sst_conn *c;

	hlist_for_each_entry_rcu(c, &an->hash[sst_act_hash(an, vip, vport,
							   client, cport)],
				 node)
		if (c->vip_addr == vip && c->vip_port == vport &&
		    c->client_addr == client && c->client_port == cport)
			return c;
	return NULL;
}

/* ------------------------------------------------------- half-pipes */

/*
 * Lifetime of a struct sst_act_hp: on sst_conn.hps from SETUP until its
 * RESET is acknowledged or given up (sst_act_reset_done): until then the
 * OS may still hold the 4-tuple, and the next handoff to that OS waits. A
 * handoff that failed leaves its entry on sst_conn.hps until the GC frees
 * it or it is dropped. Whatever drops an entry, it stays linked while the
 * control plane still holds its SETUP or RESET (whose callbacks use it):
 * the callback unlinks it then (@unlink_wanted). Being linked also keeps
 * its connection alive. The handoff call holds a reference of its own: a
 * RESET may complete (and unlink the entry) before the call is done
 * reading it.
 */

static void sst_act_hp_put(struct sst_act_hp *ah)
{
	if (refcount_dec_and_test(&ah->ref))
		kfree(ah);
}

/*
 * Takes @ah off its connection and the dump's list, once, and drops the
 * lists' reference; later if a SETUP or RESET of it is still pending.
 * Context: c->lock held (BH off).
 */
static void sst_act_hp_unlink(struct net *net, struct sst_act_hp *ah)
{
	struct sst_net *sn = sst_net(net);

	if (ah->unlinked)
		return;
	if (ah->setup_pending || ah->reset_pending) {
		ah->unlink_wanted = true;
		return;
	}
	ah->unlinked = true;
	list_del(&ah->link);
	spin_lock(&sn->hp_lock);
	list_del(&ah->hp.node);
	spin_unlock(&sn->hp_lock);
	sst_act_hp_put(ah);
}

/* RESET acknowledged or given up: the half-pipe is gone either way (the
 * OS also garbage-collects on its own). Context: softirq or process.
 */
static void sst_act_reset_done(struct net *net, void *ctx, int err)
{
	struct sst_act_hp *ah = ctx;
	struct sst_conn *c = ah->conn;

	if (err == -ETIMEDOUT)
		sst_stat_inc(sst_net(net), SST_STAT_TIMEOUTS);
	spin_lock_bh(&c->lock);
	ah->reset_pending = false;
	sst_act_hp_unlink(net, ah);
	spin_unlock_bh(&c->lock);
	wake_up(&c->wq);
}

/* Context: conn->lock held (BH off). */
static void sst_act_send_reset(struct net *net, struct sst_act_hp *ah)
{
	struct sst_wire_reset r = { .seq_start = cpu_to_be32(ah->hp.seq_start) };

	ah->hp.state = SST_HP_RESET;
	if (ah->reset_pending)
		return;
	/* Before sending: the callback may run before we return. */
	ah->reset_pending = true;
	trace_sst_reset_send(ah->hp.id, ah->hp.os_addr, ah->hp.seq_start);
	sst_nl_event(net, &(struct sst_nl_event){
		.type = SST_EV_RESET, .conn_id = ah->hp.id,
		.peer = ah->hp.os_addr, .seq_start = ah->hp.seq_start,
		.seq_end = ah->hp.seq_end,
	});
	if (sst_ctrl_send(net, ah->hp.os_addr, SST_MSG_RESET,
			  SST_WIRE_F_RELIABLE, ah->hp.id, &r, sizeof(r),
			  sst_act_reset_done, ah)) {
		/* Not sent: the OS's garbage collection will do. */
		ah->reset_pending = false;
		sst_stat_inc(sst_net(net), SST_STAT_TIMEOUTS);
		sst_act_hp_unlink(net, ah);
		return;
	}
	sst_stat_inc(sst_net(net), SST_STAT_RESETS);
}

/* SETUP acknowledged (the OS is sending) or given up. */
static void sst_act_setup_done(struct net *net, void *ctx, int err)
{
	struct sst_act_hp *ah = ctx;
	struct sst_conn *c = ah->conn;

	spin_lock_bh(&c->lock);
	ah->setup_pending = false;
	if (ah->unlink_wanted) {
		/* Dropped while the SETUP was out. */
		sst_act_hp_unlink(net, ah);
	} else if (err) {
		if (!ah->err)
			ah->err = err == -ETIMEDOUT ? -EHOSTUNREACH : err;
	} else if (ah->hp.state == SST_HP_SETUP) {
		ah->hp.state = SST_HP_SENDING;
	}
	spin_unlock_bh(&c->lock);
	wake_up(&c->wq);
}

/* What a control message does to its half-pipe; true to wake the caller. */
typedef bool (*sst_act_hp_fn)(struct net *net, struct sst_act_hp *ah,
			      const void *msg);

/*
 * Runs @fn on the half-pipe of connection @id that @peer serves from
 * @start, under the connection's lock. Return: false if no connection has
 * that id. Context: softirq, under RCU.
 */
static bool sst_act_hp_visit(struct net *net, u64 id, __be32 peer, u32 start,
			     sst_act_hp_fn fn, const void *msg)
{
	struct sst_act_net *an = sst_act_net(net);
	bool known = false, wake = false;
	struct sst_act_hp *ah;
	struct sst_conn *c;

	spin_lock(&an->lock);
	hlist_for_each_entry(c, sst_act_id_bucket(an, id), id_node) {
		if (c->id != id)
			continue;
		known = true;
		spin_lock(&c->lock);
		list_for_each_entry(ah, &c->hps, link) {
			if (ah->hp.os_addr == peer &&
			    ah->hp.seq_start == start) {
				wake = fn(net, ah, msg);
				break;	/* @fn may have unlinked @ah */
			}
		}
		spin_unlock(&c->lock);
		if (wake)
			wake_up(&c->wq);
		break;
	}
	spin_unlock(&an->lock);
	return known;
}

/* DATA_DONE for @ah: the OS has sent everything up to its seq_end. */
static bool sst_act_take_done(struct net *net, struct sst_act_hp *ah,
			      const void *msg)
{
	const struct sst_wire_data_done *d = msg;
	u32 end = be32_to_cpu(d->seq_end);

	if (ah->hp.state > SST_HP_SENDING || before(end, ah->hp.seq_start))
		return false;	/* a copy, or nonsense */
	if (!sst_wire_cc_valid(d->cwnd, d->ssthresh, d->srtt_us, d->mdev_us)) {
		sst_stat_inc(sst_net(net), SST_STAT_DROPS);
		return false;
	}
	ah->done = *d;
	ah->done_ns = ktime_get_ns();
	ah->hp.seq_end = end;
	ah->conn->done_end = end;
	ah->conn->unadopted = true;
	trace_sst_data_done_recv(ah->hp.id, ah->hp.os_addr, ah->hp.seq_start,
				 end);
	ah->hp.state = SST_HP_DONE;
	sst_stat_inc(sst_net(net), SST_STAT_DATA_DONES);
	/* The client may have acknowledged it all already, and send nothing
	 * more until the next response: RESET now.
	 */
	if (!before(ah->hp.snd_una, end))
		sst_act_send_reset(net, ah);
	return true;
}

/* ABORT for @ah: the OS refused it or lost it before DATA_DONE. */
static bool sst_act_take_abort(struct net *net, struct sst_act_hp *ah,
			       const void *msg)
{
	const struct sst_wire_abort *ab = msg;
	bool clean;

	if (ah->hp.state > SST_HP_SENDING || ah->err)
		return false;
	trace_sst_abort_recv(ah->hp.id, ah->hp.os_addr, ah->hp.seq_start,
			     be32_to_cpu(ab->seq_end));
	clean = ab->seq_end == ab->seq_start && !ah->acked_past;
	ah->err = clean ? -ECONNREFUSED : -ECONNRESET;
	ah->gone = true;
	ah->hp.state = SST_HP_RESET;
	sst_stat_inc(sst_net(net), SST_STAT_ABORTS);
	return true;
}

/*
 * Context: softirq, under RCU (sst_ctrl_handler_t). A DATA_DONE of a known
 * connection is taken even when its half-pipe is already done or gone (a
 * copy whose ACK was lost).
 */
static int sst_act_rx_data_done(struct net *net, struct sst_peer *peer,
				const struct sst_wire_hdr *hdr,
				const u8 *body)
{
	const struct sst_wire_data_done *d = (const void *)body;

	if (be32_to_cpu(hdr->len) == sizeof(*d) &&
	    sst_act_hp_visit(net, be64_to_cpu(hdr->conn_id), peer->addr,
			     be32_to_cpu(d->seq_start), sst_act_take_done, d))
		return 0;
	sst_stat_inc(sst_net(net), SST_STAT_DROPS);
	return -ENOENT;
}

/*
 * Context: softirq, under RCU. The OS refused a SETUP or lost its
 * half-pipe before DATA_DONE: the waiting handoff fails, with the
 * connection still usable if nothing of the OS's can have reached the
 * client. Taken (and acknowledged) for any half-pipe of a known
 * connection, even one already finished.
 */
static int sst_act_rx_abort(struct net *net, struct sst_peer *peer,
			    const struct sst_wire_hdr *hdr, const u8 *body)
{
	const struct sst_wire_abort *ab = (const void *)body;

	if (be32_to_cpu(hdr->len) == sizeof(*ab) &&
	    sst_act_hp_visit(net, be64_to_cpu(hdr->conn_id), peer->addr,
			     be32_to_cpu(ab->seq_start), sst_act_take_abort,
			     ab))
		return 0;
	sst_stat_inc(sst_net(net), SST_STAT_DROPS);
	return -ENOENT;
}

/* ------------------------------------------------------ client reset */

/* Sends the client an RST with sequence number @seq, from the VIP.
 * Context: any but hardirq.
 */
static void sst_act_send_rst(struct net *net, const struct sst_conn *c,
			     u32 seq)
{
	struct flowi4 fl4 = {
		.daddr = c->client_addr,
		.saddr = c->vip_addr,
		.flowi4_proto = IPPROTO_TCP,
	};
	struct sk_buff *skb;
	struct tcphdr *th;
	struct iphdr *iph;
	struct rtable *rt;

	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return;
	skb = alloc_skb(MAX_TCP_HEADER, GFP_ATOMIC);
	if (!skb) {
		ip_rt_put(rt);
		return;
	}
	skb_reserve(skb, MAX_TCP_HEADER);
	th = skb_push(skb, sizeof(*th));
	skb_reset_transport_header(skb);
	memset(th, 0, sizeof(*th));
	th->source = c->vip_port;
	th->dest = c->client_port;
	th->seq = htonl(seq);
	th->doff = sizeof(*th) / 4;
	th->rst = 1;
	th->check = tcp_v4_check(sizeof(*th), c->vip_addr, c->client_addr,
				 csum_partial(th, sizeof(*th), 0));
	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->frag_off = htons(IP_DF);
	iph->protocol = IPPROTO_TCP;
	iph->saddr = c->vip_addr;
	iph->daddr = c->client_addr;
	skb->protocol = htons(ETH_P_IP);
	skb_dst_set(skb, &rt->dst);
	ip_local_out(net, NULL, skb);	/* sets tot_len and the checksum */
}

/*
 * A handoff failed after its SETUP: the client's byte stream stands where
 * the OS left it, which we do not know, and our socket's sequence numbers
 * are behind it, so neither its FIN nor its RST would be accepted. End the
 * connection visibly instead of leaving the client waiting: an RST inside
 * the client's window (its right edge less one) draws a challenge ACK
 * (RFC 5961) that carries its rcv_nxt exactly, and the hook answers that
 * (or any later segment, such as the dup ACK our own stale FIN draws) with
 * an RST at that sequence number, which the client accepts.
 * Context: c->lock held (BH off).
 */
static void sst_act_reset_client(struct net *net, struct sst_conn *c)
{
	WRITE_ONCE(c->resetting, true);
	sst_act_send_rst(net, c, c->right - 1);
}

/* ------------------------------------------------------------- hook */

/* Offsets of the timestamp and SACK options of @th, 0 if absent. */
static void sst_tcp_opts(const struct tcphdr *th, unsigned int *ts,
			 unsigned int *sack, unsigned int *sack_len)
{
	const u8 *p = (const u8 *)(th + 1);
	unsigned int len = th->doff * 4 - sizeof(*th), i = 0;

	*ts = 0;
	*sack = 0;
	*sack_len = 0;
	while (i < len) {
		u8 kind = p[i], olen;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			break;
		olen = p[i + 1];
		if (olen < 2 || i + olen > len)
			break;
		if (kind == TCPOPT_TIMESTAMP && olen == TCPOLEN_TIMESTAMP)
			*ts = sizeof(*th) + i;
		else if (kind == TCPOPT_SACK)
			*sack = sizeof(*th) + i, *sack_len = olen;
		i += olen;
	}
}

static void sst_csum_set16(struct sk_buff *skb, struct tcphdr *th,
			   __be16 *field, __be16 val)
{
	inet_proto_csum_replace2(&th->check, skb, *field, val, false);
	*field = val;
}

static void sst_csum_set32(struct sk_buff *skb, struct tcphdr *th,
			   __be32 *field, __be32 val)
{
	inet_proto_csum_replace4(&th->check, skb, *field, val, false);
	*field = val;
}

/* Up to 4 SACK blocks fit in a header, 3 next to a timestamp. */
#define SST_MAX_SACK	4

/**
 * struct sst_credit_buf - a credit with room for its SACK blocks
 * @cr:   the credit
 * @sack: @cr.nsack (start, end) pairs
 */
struct sst_credit_buf {
	struct sst_wire_credit cr;
	__be32 sack[2 * SST_MAX_SACK];
};

/*
 * Clips the client's SACK blocks at @opt (@olen bytes of option) to the
 * half-pipe (@ack, @end] (@end unbounded if @open) and stores the non-empty
 * ones in @buf, at most @max. Blocks below @ack would read as DSACKs on
 * the OS, blocks past its snd_nxt are discarded whole (DESIGN 3.5).
 */
static void sst_sack_clip(struct sst_credit_buf *buf, const u8 *opt,
			  unsigned int olen, u32 ack, u32 end, bool open,
			  unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 2; i + 8 <= olen && n < max; i += 8) {
		__be32 blk[2];
		u32 s, e;

		memcpy(blk, opt + i, sizeof(blk));
		s = ntohl(blk[0]);
		e = ntohl(blk[1]);

		/*
		 * A block that reaches down to @ack or below spans a hole
		 * in an earlier sender's data: the OS would discard it
		 * (tcp_is_sackblock_valid wants start > snd_una), and
		 * advancing its ack instead would free data the client may
		 * still renege on. Leave it out.
		 */
		if (!after(s, ack))
			continue;
		if (!open && after(e, end))
			e = end;
		if (!after(e, s))
			continue;
		buf->sack[2 * n] = htonl(s);
		buf->sack[2 * n + 1] = htonl(e);
		n++;
	}
	buf->cr.nsack = n;
}

/* The window field that keeps the client's right edge @right for @ack. */
static u16 sst_win_field(u32 right, u32 ack, u8 ws)
{
	s32 w = (s32)(right - ack);

	if (w <= 0)
		return 0;
	return min_t(u32, (u32)w >> ws, 0xffff);
}

/*
 * Would the DS's TCP act on this client segment? Only then may it become
 * credits, a RESET or liveness (issue 8: two spoofed ACKs freed an OS's
 * unacknowledged data and RESET it). As tcp_v4_rcv() and
 * tcp_validate_incoming() check, against the DS's socket read without its
 * lock (as benign as TCP's own lockless readers): the checksum, the
 * sequence window (tcp_sequence()), and the acknowledgment, which may not
 * cover data no sender of ours can have sent (tcp_ack()'s "ack after
 * snd_nxt", with the OSes' data counted: up to the highest right edge of
 * the client's window while an OS sends, its DATA_DONE's end once done).
 * Context: softirq, under RCU; the TCP header is in the linear part.
 */
static bool sst_seg_acceptable(struct sk_buff *skb,
			       const struct nf_hook_state *state,
			       unsigned int ihl, const struct tcphdr *th,
			       struct sst_conn *c)
{
	const struct tcp_sock *tp = tcp_sk(c->sk);
	const struct iphdr *iph = ip_hdr(skb);
	u32 seq = ntohl(th->seq), ack = ntohl(th->ack_seq);
	u32 rcv_nxt, edge, hi, end_seq;
	struct sst_act_hp *ah;
	int len;

	if (!skb_csum_unnecessary(skb) &&
	    nf_ip_checksum(skb, state->hook, ihl, IPPROTO_TCP))
		return false;
	len = (int)ntohs(iph->tot_len) - (int)ihl - th->doff * 4;
	if (len < 0)
		return false;
	end_seq = seq + len + th->fin;
	rcv_nxt = READ_ONCE(tp->rcv_nxt);
	edge = READ_ONCE(tp->rcv_wup) + READ_ONCE(tp->rcv_wnd);
	if (before(edge, rcv_nxt))
		edge = rcv_nxt;
	if (before(end_seq, READ_ONCE(tp->rcv_wup)) || after(seq, edge))
		return false;

	/* write_seq, not snd_nxt: a veth peer's ACK can be here before
	 * tcp_event_new_data_sent() has counted what it acknowledges.
	 */
	hi = READ_ONCE(tp->write_seq);
	spin_lock(&c->lock);
	if (c->unadopted && after(c->done_end, hi))
		hi = c->done_end;
	list_for_each_entry(ah, &c->hps, link) {
		/* Done: its end. Any other (sending, failed, lost with its
		 * OS): it may have sent up to the window's right edge.
		 */
		if (ah->hp.state == SST_HP_DONE && !ah->gone) {
			if (after(ah->hp.seq_end, hi))
				hi = ah->hp.seq_end;
		} else if (after(c->max_right, hi)) {
			hi = c->max_right;
		}
	}
	spin_unlock(&c->lock);
	return !after(ack, hi);
}

/*
 * A closed connection whose OS may still retransmit: credits are not
 * reliable, and until it takes its RESET an OS whose last acknowledgment
 * was lost sends its tail again. The client, in TIME_WAIT, answers with an
 * ACK of our FIN, and our TCP, with no socket left, would reset it. Absorb
 * exactly that ACK, as a TIME_WAIT socket would, while a half-pipe is
 * listed (a new connection on a reused port has other numbers).
 * Context: softirq, under RCU.
 */
static bool sst_conn_lingers(struct sst_conn *c, const struct tcphdr *th)
{
	const struct tcp_sock *tp = tcp_sk(c->sk);
	bool listed;

	if (ntohl(th->ack_seq) != READ_ONCE(tp->snd_nxt) ||
	    ntohl(th->seq) != READ_ONCE(tp->rcv_nxt))
		return false;
	spin_lock(&c->lock);
	listed = !list_empty(&c->hps);
	spin_unlock(&c->lock);
	return listed;
}

/*
 * Splits the acknowledgment of a client segment: a credit (SEND_PACKET)
 * for every half-pipe still owed acknowledgments, a RESET for those now
 * fully acknowledged, and the segment itself clamped to the DS's own
 * sequence range so that tcp_ack() never drops it (and the request bytes
 * it may carry). SACK blocks become NOPs while half-pipes are pending: a
 * block of another sender's data would read as a DSACK or be discarded.
 */
static unsigned int sst_act_pre_routing(void *priv, struct sk_buff *skb,
					const struct nf_hook_state *state)
{
	struct sst_act_net *an = sst_act_net(state->net);
	unsigned int ihl, thlen, ts, sack, sack_len, i;
	u32 a, right, ds_una, ds_nxt, ack;
	struct sst_act_hp *ah, *tmp;
	struct sst_credit_buf buf;
	const struct iphdr *iph;
	struct tcphdr *th;
	struct sst_conn *c;
	bool pending, ahead;
	u16 win;

	iph = ip_hdr(skb);
	if (iph->protocol != IPPROTO_TCP || ip_is_fragment(iph))
		return NF_ACCEPT;
	ihl = iph->ihl * 4;
	if (!pskb_may_pull(skb, ihl + sizeof(*th)))
		return NF_ACCEPT;
	iph = ip_hdr(skb);
	th = (struct tcphdr *)(skb_network_header(skb) + ihl);
	if (!th->ack || th->syn || th->rst)
		return NF_ACCEPT;

	rcu_read_lock();
	c = sst_conn_find_rcu(an, iph->daddr, th->dest, iph->saddr,
			      th->source);
	if (!c)
		goto out;
	/*
	 * A closed socket's connection waits for the GC: a client that
	 * reuses the port (a new handshake) must not get its numbers.
	 */
	if (READ_ONCE(c->sk->sk_state) == TCP_CLOSE) {
		if (!sst_conn_lingers(c, th))
			goto out;
		rcu_read_unlock();
		return NF_DROP;
	}
	/*
	 * Being reset (a handoff failed after its SETUP): whatever comes,
	 * the client's challenge ACK to our first RST above all, gets an RST
	 * at its acknowledgment, which the client takes. Before validation:
	 * that ACK may acknowledge data of an OS that is gone (and a forged
	 * segment only hastens the end of a connection already ending).
	 */
	if (READ_ONCE(c->resetting)) {
		sst_act_send_rst(state->net, c, ntohl(th->ack_seq));
		rcu_read_unlock();
		return NF_DROP;
	}
	thlen = th->doff * 4;
	if (thlen < sizeof(*th) || skb_ensure_writable(skb, ihl + thlen))
		goto out;
	iph = ip_hdr(skb);
	th = (struct tcphdr *)(skb_network_header(skb) + ihl);
	if (!sst_seg_acceptable(skb, state, ihl, th, c)) {
		/* Left to TCP untouched: it drops it, or challenges. */
		sst_stat_inc(sst_net(state->net), SST_STAT_SEGS_REFUSED);
		goto out;
	}
	sst_tcp_opts(th, &ts, &sack, &sack_len);

	a = ntohl(th->ack_seq);
	right = a + ((u32)ntohs(th->window) << c->snd_wscale);
	memset(&buf, 0, sizeof(buf));
	if (ts) {
		const __be32 *tsp = (const __be32 *)((u8 *)th + ts + 2);

		buf.cr.tsval = tsp[0];
		buf.cr.tsecr = tsp[1];
	}

	pending = false;
	spin_lock(&c->lock);
	/* Done but not adopted (RESET and unlinked, perhaps), or sending. */
	ahead = c->unadopted;
	/*
	 * Liveness: new data acknowledged, or a closed window (a client
	 * that is alive but not reading, answering the OS's zero-window
	 * probes: TCP itself keeps such a connection).
	 */
	if (after(a, c->last_ack)) {
		WRITE_ONCE(c->last_ack, a);
		WRITE_ONCE(c->progress, jiffies);
	} else if (right == a) {
		WRITE_ONCE(c->progress, jiffies);
	}
	c->right = right;
	if (after(right, c->max_right))
		c->max_right = right;
	list_for_each_entry_safe(ah, tmp, &c->hps, link) {
		if (ah->gone)
			continue;
		pending = true;
		if (after(a, ah->hp.seq_start))
			ah->acked_past = true;
		/*
		 * From SETUP on: the OS acknowledges SETUP before it builds
		 * the socket, but the ACK may reach us after the client's
		 * first acknowledgments of its data (credits for a half-pipe
		 * the OS does not know yet are dropped there).
		 */
		if (ah->hp.state > SST_HP_DONE)
			continue;
		ahead |= ah->hp.state != SST_HP_DONE;
		ack = after(a, ah->hp.seq_start) ? a : ah->hp.seq_start;
		if (ah->hp.state == SST_HP_DONE && after(ack, ah->hp.seq_end))
			ack = ah->hp.seq_end;
		win = sst_win_field(right, ack, c->snd_wscale);
		if (after(ack, ah->hp.snd_una))
			ah->hp.snd_una = ack;
		/*
		 * Every acknowledgment is forwarded, repeats included:
		 * credits are not reliable, and the answer to a zero-window
		 * probe repeats the lost credit that would have opened the
		 * window.
		 */
		buf.cr.seq_start = cpu_to_be32(ah->hp.seq_start);
		buf.cr.ack = cpu_to_be32(ack);
		buf.cr.win = cpu_to_be32(win);
		buf.cr.nsack = 0;
		if (sack)
			sst_sack_clip(&buf, (u8 *)th + sack, sack_len, ack,
				      ah->hp.seq_end,
				      ah->hp.state == SST_HP_SENDING,
				      ts ? SST_MAX_SACK - 1 : SST_MAX_SACK);
		if (!sst_ctrl_send(state->net, ah->hp.os_addr,
				   SST_MSG_SEND_PACKET, 0, c->id, &buf,
				   sizeof(buf.cr) + 8 * buf.cr.nsack, NULL,
				   NULL))
			sst_stat_inc(sst_net(state->net), SST_STAT_CREDITS);
		if (ah->hp.state == SST_HP_DONE && !before(a, ah->hp.seq_end))
			sst_act_send_reset(state->net, ah);
	}
	spin_unlock(&c->lock);

	/*
	 * The DS's own range is [snd_una, snd_nxt]. Past snd_nxt only while
	 * an OS's data is ahead of it (not adopted yet): otherwise an ACK
	 * past snd_nxt is our own data's, sent but not yet counted (a veth
	 * peer's softirq can answer inside tcp_transmit_skb(), before
	 * tcp_event_new_data_sent()), and TCP sorts it out from its backlog.
	 * Clamping that one took the client's immediate ACK of our FIN away:
	 * the FIN was retransmitted on every such close.
	 */
	ds_una = READ_ONCE(tcp_sk(c->sk)->snd_una);
	ds_nxt = READ_ONCE(tcp_sk(c->sk)->snd_nxt);
	ack = after(a, ds_una) ? a : ds_una;
	if (ahead && after(ack, ds_nxt))
		ack = ds_nxt;
	if (ack != a) {
		sst_csum_set32(skb, th, &th->ack_seq, htonl(ack));
		sst_csum_set16(skb, th, &th->window,
			       htons(sst_win_field(right, ack,
						   c->snd_wscale)));
	}
	if (pending && sack) {
		u8 *o = (u8 *)th + sack;

		/* Whole 16-bit words: the option starts after NOPs. */
		for (i = 0; i < sack_len; i++) {
			unsigned int off = sack + i;
			__be16 *w = (__be16 *)((u8 *)th + (off & ~1U));
			__be16 old = *w;

			o[i] = TCPOPT_NOP;
			inet_proto_csum_replace2(&th->check, skb, old, *w,
						 false);
		}
	}
out:
	rcu_read_unlock();
	return NF_ACCEPT;
}

/*
 * The DS's own pure ACKs while OSes are sending (DESIGN 3.5): their
 * sequence number is behind what the client has received, and the client
 * would discard them (tcp_sequence), retransmitting the bytes they
 * acknowledge. Each OS whose half-pipe the DS has not caught up with gets
 * an ACK_NOW with the acknowledgment and window instead, and acknowledges
 * in its own sequence space; the DS's segment is dropped. A lost ACK_NOW
 * costs a client retransmission, as a lost ACK would.
 */
static unsigned int sst_act_local_out(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	struct sst_act_net *an = sst_act_net(state->net);
	const struct iphdr *iph = ip_hdr(skb);
	struct sst_wire_credit cr = {};
	const struct tcphdr *th;
	struct sst_act_hp *ah;
	struct tcphdr _th;
	struct sst_conn *c;
	bool steal = false, stale = false;
	bool pure;
	u32 seq;

	if (iph->protocol != IPPROTO_TCP || ip_is_fragment(iph))
		return NF_ACCEPT;
	th = skb_header_pointer(skb, ip_hdrlen(skb), sizeof(_th), &_th);
	if (!th || th->syn)
		return NF_ACCEPT;
	pure = th->ack && !th->fin && !th->rst &&
	       ntohs(iph->tot_len) == ip_hdrlen(skb) + th->doff * 4;

	rcu_read_lock();
	c = sst_conn_find_rcu(an, iph->saddr, th->source, iph->daddr,
			      th->dest);
	if (!c)
		goto out;
	/* Once the client has sent its FIN it has no request left to
	 * acknowledge: the end of the connection is left to our stack.
	 */
	if (!pure || READ_ONCE(c->sk->sk_state) != TCP_ESTABLISHED)
		goto sent;
	seq = ntohl(th->seq);
	cr.rcv_nxt = th->ack_seq;
	cr.win = htonl(ntohs(th->window));
	spin_lock_bh(&c->lock);
	list_for_each_entry(ah, &c->hps, link) {
		if (ah->gone || ah->hp.state > SST_HP_DONE ||
		    (ah->hp.state == SST_HP_DONE &&
		     !before(seq, ah->hp.seq_end)))
			continue;
		cr.seq_start = htonl(ah->hp.seq_start);
		sst_ctrl_send(state->net, ah->hp.os_addr, SST_MSG_ACK_NOW, 0,
			      c->id, &cr, sizeof(cr), NULL, NULL);
		steal = true;
	}
	/*
	 * Behind a half-pipe the client has in full (RESET: no OS to
	 * acknowledge for us) that we have not adopted yet: the client would
	 * discard it. Dropped; the adoption acknowledges again at once.
	 */
	stale = !steal && c->unadopted && before(seq, c->done_end);
	spin_unlock_bh(&c->lock);
	if (steal || stale) {
		WRITE_ONCE(c->acks_stolen, true);
		if (steal)
			sst_stat_inc(sst_net(state->net), SST_STAT_ACK_NOWS);
		goto out;
	}
sent:
	/* Its TSval is our clock's: sst_adopt() must not go below it. */
	WRITE_ONCE(c->ds_sent, true);
out:
	rcu_read_unlock();
	return steal || stale ? NF_DROP : NF_ACCEPT;
}

static const struct nf_hook_ops sst_act_nf_ops[] = {
	{
		.hook		= sst_act_pre_routing,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP_PRI_RAW,	/* before conntrack */
	},
	{
		.hook		= sst_act_local_out,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP_PRI_FIRST,
	},
};

/* ---------------------------------------------------------- handoff */

/*
 * Finds or creates the connection of @sk and holds it (@users) against
 * the GC, which would otherwise free it under the caller once a client
 * RST closes the socket. Release with sst_conn_put(). Context: process.
 */
static struct sst_conn *sst_conn_get(struct sst_act_net *an, struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	struct sst_conn *c, *found;
	u32 h;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->hps);
	init_waitqueue_head(&c->wq);
	c->vip_addr = inet->inet_saddr;
	c->vip_port = inet->inet_sport;
	c->client_addr = inet->inet_daddr;
	c->client_port = inet->inet_dport;
	c->snd_wscale = tcp_sk(sk)->rx_opt.snd_wscale;
	c->last_ack = tcp_sk(sk)->snd_una;
	c->right = tcp_sk(sk)->snd_una + tcp_sk(sk)->snd_wnd;
	if (after(tcp_sk(sk)->snd_nxt, c->right))
		c->max_right = tcp_sk(sk)->snd_nxt;
	else
		c->max_right = c->right;
	c->progress = jiffies;
	c->users = 1;

	h = sst_act_hash(an, c->vip_addr, c->vip_port, c->client_addr,
			 c->client_port);
	spin_lock_bh(&an->lock);
	found = an->dying ? ERR_PTR(-ENETDOWN) :
		sst_conn_find_rcu(an, c->vip_addr, c->vip_port,
				  c->client_addr, c->client_port);
	if (!IS_ERR_OR_NULL(found) && found->sk != sk &&
	    READ_ONCE(found->sk->sk_state) == TCP_CLOSE) {
		/* The client reused the port of a closed connection that the
		 * GC has not freed yet: out of the hash, left to the GC.
		 */
		hlist_del_init_rcu(&found->node);
		found = NULL;
	}
	if (!IS_ERR_OR_NULL(found)) {
		if (found->sk == sk)
			found->users++;
		else
			found = ERR_PTR(-EBUSY);
	}
	if (!found) {
		sock_hold(sk);
		c->sk = sk;
		c->id = ++an->next_id;
		hlist_add_head_rcu(&c->node, &an->hash[h]);
		hlist_add_head(&c->id_node, sst_act_id_bucket(an, c->id));
		list_add_tail(&c->all, &an->list);
	}
	spin_unlock_bh(&an->lock);
	if (found) {
		kfree(c);
		return found;
	}
	return c;
}

static void sst_conn_put(struct sst_act_net *an, struct sst_conn *c)
{
	spin_lock_bh(&an->lock);
	c->users--;
	spin_unlock_bh(&an->lock);
}

/* Unhashes and frees @c. Context: process; no half-pipe left. */
static void sst_conn_free(struct sst_act_net *an, struct sst_conn *c)
{
	spin_lock_bh(&an->lock);
	hlist_del_init_rcu(&c->node);	/* sst_conn_get() may have done it */
	hlist_del(&c->id_node);
	list_del(&c->all);
	spin_unlock_bh(&an->lock);
	sock_put(c->sk);
	kfree_rcu(c, rcu);
}

/*
 * Liveness of a handoff (no deadline: a response takes as long as it
 * takes). A wait fails with -ETIMEDOUT once the client has acknowledged
 * nothing new on the connection for @idle (the hook records every
 * advance), and with -EHOSTUNREACH once the OS @os has been unheard for
 * SST_ACT_SILENT_KEEPALIVES keepalive intervals (its KEEPALIVEs stopped:
 * the node or its module is gone), as the OS's own GC gives up on a
 * silent DS.
 */
#define SST_ACT_SILENT_KEEPALIVES	10

static int sst_liveness(struct net *net, struct sst_conn *c, __be32 os,
			unsigned long idle)
{
	struct sst_net *sn = sst_net(net);
	u64 limit = (u64)READ_ONCE(sn->config.keepalive_ms) *
		    SST_ACT_SILENT_KEEPALIVES * NSEC_PER_MSEC;
	struct sst_peer *peer;
	u64 heard = 0;

	if (time_after(jiffies, READ_ONCE(c->progress) + idle))
		return -ETIMEDOUT;
	if (!os)
		return 0;
	rcu_read_lock();
	peer = sst_peer_lookup_rcu(sn, os);
	if (peer)
		heard = READ_ONCE(peer->last_rx_ns);
	rcu_read_unlock();
	if (!peer)
		return -EHOSTUNREACH;
	/* Never heard: the SETUP's own retransmissions bound that case. */
	if (heard && (s64)(ktime_get_ns() - heard) > (s64)limit)
		return -EHOSTUNREACH;
	return 0;
}

/*
 * One step of a wait for a condition of the locked socket @sk that no
 * event of ours signals (its write or retransmit queue emptying): sleeps
 * a tick with the socket unlocked. Returns 0 to check again, the
 * client-progress error (no OS is involved in these waits), or -EINTR on
 * a signal if @intr.
 */
static int sst_wait_step(struct sock *sk, struct sst_conn *c,
			 unsigned long idle, bool intr)
{
	int err;

	if (intr && signal_pending(current))
		return -EINTR;
	err = sst_liveness(sock_net(sk), c, 0, idle);
	if (err)
		return err;
	release_sock(sk);
	if (intr)
		schedule_timeout_interruptible(1);
	else
		schedule_timeout_uninterruptible(1);
	lock_sock(sk);
	return 0;
}

static bool sst_hp_on_os(struct sst_conn *c, __be32 os)
{
	struct sst_act_hp *ah;
	bool ret = false;

	spin_lock_bh(&c->lock);
	list_for_each_entry(ah, &c->hps, link)
		ret |= !ah->gone && ah->hp.os_addr == os;
	spin_unlock_bh(&c->lock);
	return ret;
}

static bool sst_hp_none(struct sst_conn *c)
{
	struct sst_act_hp *ah;
	bool ret = true;

	spin_lock_bh(&c->lock);
	list_for_each_entry(ah, &c->hps, link)
		ret &= ah->gone;
	spin_unlock_bh(&c->lock);
	return ret;
}

static bool sst_hp_settled(const struct sst_act_hp *ah)
{
	return READ_ONCE(ah->err) || READ_ONCE(ah->hp.state) >= SST_HP_DONE;
}

/*
 * Waits for DATA_DONE (or ABORT, or the SETUP given up) on the locked
 * socket @sk, sleeping on the connection's wait queue: the control plane
 * wakes it. It cannot be interrupted (the OS may own the sequence space),
 * only fail: a client RST (validated by our stack), no client progress
 * for @idle, or the OS silent (sst_liveness); the liveness is checked
 * every SST_ACT_LIVENESS_TICK.
 */
#define SST_ACT_LIVENESS_TICK	(HZ / 4)

static int sst_wait_data_done(struct sock *sk, struct sst_conn *c,
			      struct sst_act_hp *ah, unsigned long idle)
{
	int err;

	while (!sst_hp_settled(ah)) {
		if (sk->sk_state == TCP_CLOSE)
			return sk->sk_err ? -sk->sk_err : -ECONNRESET;
		err = sst_liveness(sock_net(sk), c,
				   READ_ONCE(ah->setup_pending) ? 0 :
				   ah->hp.os_addr, idle);
		if (err)
			return err;
		release_sock(sk);
		wait_event_timeout(c->wq, sst_hp_settled(ah),
				   SST_ACT_LIVENESS_TICK);
		lock_sock(sk);
	}
	return 0;
}

/*
 * The handoff of @ah failed after its SETUP was sent: returns what the
 * caller is told. The connection stays usable when the OS refused the
 * half-pipe without sending, or never answered the SETUP while the client
 * acknowledged nothing past the DS's data (then a RESET makes sure a
 * merely silent OS lets go); otherwise the byte stream is lost and the OS
 * is RESET. The entry is dropped once the control plane is done with it
 * (the caller still holds its reference). Context: process, socket
 * locked.
 */
static int sst_handoff_fail(struct net *net, struct sst_conn *c,
			    struct sst_act_hp *ah, int werr)
{
	int err;

	spin_lock_bh(&c->lock);
	err = ah->err ? : werr;
	if (err == -EHOSTUNREACH && !ah->setup_pending && !ah->acked_past &&
	    ah->hp.state == SST_HP_SETUP) {
		ah->gone = true;
		sst_act_send_reset(net, ah);
	} else if (err == -ECONNREFUSED) {
		/* @ah->gone: set with the error by the ABORT. */
		sst_act_hp_unlink(net, ah);
	} else {
		/* The OS may still be sending: tell it to stop. */
		if (ah->hp.state <= SST_HP_DONE && !ah->gone)
			sst_act_send_reset(net, ah);
		ah->hp.state = SST_HP_RESET;
		ah->gone = true;
		sst_act_hp_unlink(net, ah);
		c->broken = true;
		sst_act_reset_client(net, c);
		if (err == -EHOSTUNREACH)
			err = -ECONNRESET;
	}
	spin_unlock_bh(&c->lock);
	return err;
}

/* Fills the SETUP body from the DS socket. Context: socket locked. */
static void sst_setup_fill(struct sock *sk, struct sst_wire_setup *s,
			   u16 os_port, u32 req_len, bool fresh)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	s32 left = (s32)(tp->snd_una + tp->snd_wnd - tp->snd_nxt);
	u32 ssthresh = min_t(u32, tp->snd_ssthresh, 0x7fffffff);

	s->client_addr = inet->inet_daddr;
	s->client_port = inet->inet_dport;
	s->vip_addr = inet->inet_saddr;
	s->vip_port = inet->inet_sport;
	s->os_port = htons(os_port);
	s->mss = htons(tp->mss_cache);
	if (tp->rx_opt.wscale_ok) {
		s->opts |= SST_SETUP_OPT_WSCALE;
		s->snd_wscale = tp->rx_opt.snd_wscale;
		s->rcv_wscale = tp->rx_opt.rcv_wscale;
	}
	if (tp->rx_opt.sack_ok)
		s->opts |= SST_SETUP_OPT_SACK;
	if (tp->rx_opt.tstamp_ok)
		s->opts |= SST_SETUP_OPT_TIMESTAMP;
	if (fresh)
		s->flags |= SST_SETUP_F_FRESH_CWND;
	s->seq = htonl(tp->snd_nxt);
	s->snd_wnd = htonl(left > 0 ? left : 0);
	s->max_window = htonl(max_t(u32, tp->max_window, left > 0 ? left : 0));
	s->rcv_nxt = htonl(tp->rcv_nxt);
	s->rcv_wnd = htonl(tp->rcv_wnd);
	/* One tick past what the DS stamped last: PAWS allows no less. */
	s->tsval = htonl(sst_tcp_tsval_now(tp) + 1);
	s->ts_recent = htonl(tp->rx_opt.ts_recent);
	s->cwnd = htonl(tcp_snd_cwnd(tp));
	s->ssthresh = htonl(ssthresh);
	s->srtt_us = htonl(tp->srtt_us);
	s->mdev_us = htonl(tp->mdev_us);
	s->rto_ms = htonl(jiffies_to_msecs(icsk->icsk_rto));
	s->req_len = htonl(req_len);
}

/*
 * Takes over the OS's end point E, with the client's window as it stands
 * (right edge @right: snd_wnd counts from snd_una, which jumps to E) and
 * the clock of a sender that has just sent (lsndtime: else the next write
 * restarts the adopted cwnd as after an idle period).
 * Context: socket locked, queues empty.
 */
static void sst_adopt(struct sock *sk, const struct sst_wire_data_done *d,
		      u64 done_ns, u32 right, bool ds_sent)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 e = be32_to_cpu(d->seq_end), ts = be32_to_cpu(d->tsval);
	u32 now = sst_tcp_tsval_now(tp);
	s32 wnd = (s32)(right - e);
	u32 jump = e - tp->snd_una;

	/*
	 * The OS's clock has gone on since it stamped DATA_DONE: follow it,
	 * rounding down, so that neither clock leads by more than the one
	 * tick PAWS forgives whichever of us sends next (a retransmission of
	 * the OS's, or our next segment).
	 */
	ts += (u32)div_u64(ktime_get_ns() - done_ns, NSEC_PER_MSEC);
	tp->snd_una = e;
	tp->snd_nxt = e;
	WRITE_ONCE(tp->write_seq, e);
	tp->pushed_seq = e;
	tp->snd_up = e;
	tp->snd_sml = e;
	tp->high_seq = e;
	tp->undo_marker = 0;
	tp->tlp_high_seq = 0;
	tp->snd_wl1 = tp->rcv_nxt;
	tp->snd_wnd = wnd > 0 ? wnd : 0;
	/*
	 * A client segment clamped to our old range by the hook may still sit
	 * in the backlog (we hold the socket lock): tcp_ack() drops a segment
	 * acknowledging below snd_una - max_window, its payload (a pipelined
	 * request, a FIN) with it. Widen max_window by the jump (bounded by
	 * the largest window TCP can express) so that it is an old ACK.
	 */
	tp->max_window = min_t(u32, max_t(u32, tp->max_window + jump,
					  tp->snd_wnd), 1U << 30);
	tp->lsndtime = tcp_jiffies32;
	tp->snd_cwnd_stamp = tcp_jiffies32;
	/*
	 * Our TSval never goes below what the client has seen: the OS's, and
	 * ours only if a segment of ours went out since SETUP. With none, we
	 * follow the OS's clock exactly, a tick past it, even back: the OS's
	 * may lag ours by what it cannot count (the SETUP's transit, under
	 * load several ms), and its retransmissions after our next segments
	 * must stay within the tick PAWS forgives.
	 */
	if (!ds_sent || after(ts, now))
		tp->tsoffset += ts - now + 1;
	if (be32_to_cpu(d->cwnd))
		tcp_snd_cwnd_set(tp, be32_to_cpu(d->cwnd));
	tp->snd_ssthresh = be32_to_cpu(d->ssthresh);
	if (be32_to_cpu(d->srtt_us)) {
		tp->srtt_us = be32_to_cpu(d->srtt_us);
		tp->mdev_us = be32_to_cpu(d->mdev_us);
	}
}

/**
 * sst_active_handoff - hand the cluster->client half-pipe of @sock to an OS
 * @sock: the connected client socket (checked by the caller)
 * @h:    the ioctl argument (checked); @h->sent is set on success
 * @req:  @h->req_len request bytes
 *
 * Return: 0 or a negative errno as documented in the uapi header.
 * Context: process, may sleep.
 */
int sst_active_handoff(struct socket *sock, struct sst_handoff *h,
		       const void *req)
{
	struct sock *sk = sock->sk;
	struct net *net = sock_net(sk);
	struct sst_act_net *an = sst_act_net(net);
	struct sst_net *sn = sst_net(net);
	unsigned long idle;
	struct sst_wire_setup *s;
	u32 right;
	struct sst_act_hp *ah;
	struct sst_conn *c;
	bool drain;
	u64 start_ns = ktime_get_ns();
	__be32 os;
	int err = 0;

	idle = msecs_to_jiffies(h->timeout_ms ? :
				SST_HANDOFF_DEFAULT_TIMEOUT_MS);
	memcpy(&os, h->os_addr, sizeof(os));
	s = kzalloc(sizeof(*s) + h->req_len, GFP_KERNEL);
	ah = kzalloc(sizeof(*ah), GFP_KERNEL);
	if (!s || !ah) {
		err = -ENOMEM;
		goto out_free;
	}
	c = sst_conn_get(an, sk);
	if (IS_ERR(c)) {
		err = PTR_ERR(c);
		goto out_free;
	}

	lock_sock(sk);
	if (c->busy || c->broken) {
		err = c->broken ? -ECONNRESET : -EBUSY;
		goto out_unlock;
	}
	if (compat_tcp_usec_ts(tcp_sk(sk))) {
		err = -EOPNOTSUPP;
		goto out_unlock;
	}
	/* Not under sn->lock: the control socket is made under it (lockdep:
	 * sn->lock -> sk_lock there, sk_lock -> sn->lock here).
	 */
	drain = READ_ONCE(sn->config.mode) == SST_MODE_DRAIN;
	c->busy = true;
	/* Liveness is counted from here: the client may have been quiet. */
	WRITE_ONCE(c->progress, jiffies);

	/* One sender at a time: everything the DS wrote is on the wire, and
	 * in drain mode acknowledged, as is every earlier half-pipe. An OS
	 * still holding this 4-tuple must have been RESET first.
	 */
	while (!(tcp_write_queue_empty(sk) &&
		 (!drain || (tcp_rtx_queue_empty(sk) && sst_hp_none(c))) &&
		 !sst_hp_on_os(c, os))) {
		err = sst_wait_step(sk, c, idle, true);
		if (err)
			break;
	}
	if (!err && !((1 << sk->sk_state) & (TCPF_ESTABLISHED |
					     TCPF_CLOSE_WAIT)))
		err = sk->sk_err ? -sk->sk_err : -ECONNRESET;
	if (err)
		goto out_busy;

	sst_setup_fill(sk, s, h->os_port, h->req_len, drain);
	memcpy(s->req, req, h->req_len);
	/* The OS starts one tick past our clock (two on kernels that round
	 * to even); our pure ACKs during the handoff must not lag more than
	 * the one tick PAWS forgives: move our clock a tick forward too.
	 */
	tcp_sk(sk)->tsoffset++;
	WRITE_ONCE(c->ds_sent, false);
	ah->conn = c;
	ah->hp.id = c->id;
	ah->hp.client_addr = c->client_addr;
	ah->hp.client_port = c->client_port;
	ah->hp.vip_addr = c->vip_addr;
	ah->hp.vip_port = c->vip_port;
	ah->hp.os_addr = os;
	ah->hp.seq_start = tcp_sk(sk)->snd_nxt;
	ah->hp.seq_end = ah->hp.seq_start;
	ah->hp.snd_una = ah->hp.seq_start;
	ah->hp.state = SST_HP_SETUP;
	ah->hp.created = jiffies;
	ah->setup_pending = true;
	refcount_set(&ah->ref, 2);	/* the lists, this call */
	spin_lock_bh(&c->lock);
	list_add_tail(&ah->link, &c->hps);
	spin_unlock_bh(&c->lock);
	spin_lock_bh(&sn->hp_lock);
	list_add_tail(&ah->hp.node, &sn->halfpipes);
	spin_unlock_bh(&sn->hp_lock);

	/* Before: on one kernel the OS takes it inside sst_ctrl_send(). */
	trace_sst_setup_send(c->id, os, ah->hp.seq_start, h->req_len);
	err = sst_ctrl_send(net, os, SST_MSG_SETUP, SST_WIRE_F_RELIABLE, c->id,
			    s, sizeof(*s) + h->req_len, sst_act_setup_done,
			    ah);
	if (err) {
		spin_lock_bh(&c->lock);
		ah->setup_pending = false;	/* no callback */
		sst_act_hp_unlink(net, ah);
		spin_unlock_bh(&c->lock);
		if (err == -ENOTCONN)	/* no control socket, not the client's */
			err = -ENETDOWN;
		goto out_busy;
	}
	sst_stat_inc(sn, SST_STAT_SETUPS);

	/*
	 * From here the OS may own the sequence space until DATA_DONE: the
	 * wait cannot be interrupted, only time out. After a failure the
	 * DS does not know where the client's byte stream stands, so the
	 * connection is unusable: the caller must close it.
	 */
	WRITE_ONCE(c->progress, jiffies);
	err = sst_wait_data_done(sk, c, ah, idle);
	if (err) {
		if (err == -ETIMEDOUT)
			sst_stat_inc(sn, SST_STAT_TIMEOUTS);
		err = sst_handoff_fail(net, c, ah, err);
		goto out_busy;
	}
	if (READ_ONCE(ah->err)) {
		err = sst_handoff_fail(net, c, ah, -ETIMEDOUT);
		goto out_busy;
	}

	/* DATA_DONE: the DS's own data must be acknowledged before it can
	 * jump to E (its retransmit queue would lose its anchor).
	 */
	while (!tcp_rtx_queue_empty(sk)) {
		err = sst_wait_step(sk, c, idle, false);
		if (err)
			break;
	}
	if (err)
		c->broken = true;
	if (!err) {
		spin_lock_bh(&c->lock);
		right = c->right;
		spin_unlock_bh(&c->lock);
		sst_adopt(sk, &ah->done, ah->done_ns, right,
			  READ_ONCE(c->ds_sent));
		trace_sst_adopt(c->id, os, ah->hp.seq_end,
				tcp_snd_cwnd(tcp_sk(sk)), tcp_sk(sk)->srtt_us);
		spin_lock_bh(&c->lock);
		c->unadopted = false;
		spin_unlock_bh(&c->lock);
		/* The OSes may not have acknowledged all we received. */
		if (READ_ONCE(c->acks_stolen)) {
			WRITE_ONCE(c->acks_stolen, false);
			sst_tcp_send_ack(sk, tcp_sk(sk)->rcv_nxt);
		}
		h->sent = ah->hp.seq_end - ah->hp.seq_start;
	}
out_busy:
	trace_sst_handoff(c->id, os, err, err ? 0 : h->sent,
			  ktime_get_ns() - start_ns);
	sst_nl_event(net, &(struct sst_nl_event){
		.type = SST_EV_HANDOFF, .conn_id = c->id, .peer = os,
		.seq_start = ah->hp.seq_start, .seq_end = ah->hp.seq_end,
		.err = err, .sent = err ? 0 : h->sent,
		.dur_ns = ktime_get_ns() - start_ns,
	});
	c->busy = false;
out_unlock:
	release_sock(sk);
	sst_conn_put(an, c);
out_free:
	/* Ours alone until it is linked (refcount 0), then shared. */
	if (ah && refcount_read(&ah->ref))
		sst_act_hp_put(ah);
	else
		kfree(ah);
	kfree(s);
	return err;
}

/* ---------------------------------------------------------------- gc */

/*
 * Frees the connections whose socket is closed and whose half-pipes are
 * gone; RESETs what a dead connection still has.
 */
static void sst_act_gc(struct work_struct *work)
{
	struct sst_act_net *an = container_of(to_delayed_work(work),
					      struct sst_act_net, gc);
	struct sst_conn *c, *tmp;
	struct sst_act_hp *ah, *n;
	LIST_HEAD(dead);

	spin_lock_bh(&an->lock);
	list_for_each_entry_safe(c, tmp, &an->list, all) {
		bool closed = READ_ONCE(c->sk->sk_state) == TCP_CLOSE;

		spin_lock(&c->lock);
		list_for_each_entry_safe(ah, n, &c->hps, link) {
			if (closed && ah->hp.state != SST_HP_RESET)
				sst_act_send_reset(an->net, ah);
		}
		if (closed && !c->users && list_empty(&c->hps))
			list_move(&c->all, &dead);
		spin_unlock(&c->lock);
	}
	spin_unlock_bh(&an->lock);

	list_for_each_entry_safe(c, tmp, &dead, all)
		sst_conn_free(an, c);
	if (!READ_ONCE(an->dying))
		schedule_delayed_work(&an->gc, SST_ACT_GC_PERIOD);
}

/* ------------------------------------------------ namespaces, module */

static int __net_init sst_act_net_init(struct net *net)
{
	struct sst_act_net *an = sst_act_net(net);
	int ret;

	spin_lock_init(&an->lock);
	INIT_LIST_HEAD(&an->list);
	an->net = net;
	an->seed = get_random_u32();
	INIT_DELAYED_WORK(&an->gc, sst_act_gc);
	ret = nf_register_net_hooks(net, sst_act_nf_ops,
				    ARRAY_SIZE(sst_act_nf_ops));
	if (!ret)
		schedule_delayed_work(&an->gc, SST_ACT_GC_PERIOD);
	return ret;
}

/**
 * sst_active_net_stop - no hook, no GC once the namespace's main state goes
 * @net: the namespace
 *
 * Called from the main state's pre_exit, so that it runs first both when a
 * namespace goes and when the module does (unregister_pernet_subsys() of
 * the main state frees it before the active layer's own ops would run).
 * Idempotent.
 */
void sst_active_net_stop(struct net *net)
{
	struct sst_act_net *an = sst_act_net(net);

	if (an->stopped)
		return;
	an->stopped = true;
	nf_unregister_net_hooks(net, sst_act_nf_ops, ARRAY_SIZE(sst_act_nf_ops));
	spin_lock_bh(&an->lock);
	an->dying = true;
	spin_unlock_bh(&an->lock);
	cancel_delayed_work_sync(&an->gc);
}

/**
 * sst_active_net_cleanup - free the connections of a namespace
 * @net: the namespace
 *
 * Called from the main state's exit after the control plane is gone, so
 * every callback of a pending SETUP or RESET has run, and while the main
 * state (its half-pipe list) still exists. Connections are left only when
 * the module goes away under live DS sockets.
 */
void sst_active_net_cleanup(struct net *net)
{
	struct sst_act_net *an = sst_act_net(net);
	struct sst_act_hp *ah, *n;
	struct sst_conn *c, *tmp;

	sst_active_net_stop(net);
	list_for_each_entry_safe(c, tmp, &an->list, all) {
		spin_lock_bh(&c->lock);
		list_for_each_entry_safe(ah, n, &c->hps, link) {
			/* Every callback has run: nothing is pending. */
			ah->setup_pending = false;
			ah->reset_pending = false;
			sst_act_hp_unlink(net, ah);
		}
		spin_unlock_bh(&c->lock);
		sst_conn_free(an, c);
	}
}

/* Only reached without the main state (module init failed after us). */
static void __net_exit sst_act_net_exit(struct net *net)
{
	sst_active_net_stop(net);
	WARN_ON_ONCE(!list_empty(&sst_act_net(net)->list));
}

static struct pernet_operations sst_act_net_ops = {
	.init = sst_act_net_init,
	.exit = sst_act_net_exit,
	.id = &sst_act_net_id,
	.size = sizeof(struct sst_act_net),
};

int sst_active_init(void)
{
	int ret;

	ret = register_pernet_subsys(&sst_act_net_ops);
	if (ret)
		return ret;
	ret = sst_ctrl_register(SST_MSG_DATA_DONE, sst_act_rx_data_done);
	if (ret)
		goto err_pernet;
	ret = sst_ctrl_register(SST_MSG_ABORT, sst_act_rx_abort);
	if (ret)
		goto err_done;
	return 0;

err_done:
	sst_ctrl_unregister(SST_MSG_DATA_DONE);
err_pernet:
	unregister_pernet_subsys(&sst_act_net_ops);
	return ret;
}

void sst_active_exit(void)
{
	sst_ctrl_unregister(SST_MSG_ABORT);
	sst_ctrl_unregister(SST_MSG_DATA_DONE);
	unregister_pernet_subsys(&sst_act_net_ops);
}
