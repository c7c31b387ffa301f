// SPDX-License-Identifier: GPL-2.0
/*
 * The passive layer (OS side).
 *
 * SETUP (softirq) is checked and recorded, then a work item builds an
 * ESTABLISHED socket for the client's 4-tuple with TCP_REPAIR (process
 * context, CAP_NET_ADMIN of a kworker, no memcg), attaches the
 * "splitstack" ULP (ulp.c) and queues it to the listener on VIP:os_port
 * through a request_sock of our own, so a plain accept() returns it.
 *
 * Once the application has closed the socket (or shut its sending side
 * down) and everything it wrote is sent (snd_nxt == write_seq), DATA_DONE
 * goes to the DS. For now this is polled every SST_PV_POLL_MS from a
 * delayed work, not driven by the send path.
 *
 * RESET (or garbage collection: the DS unheard for SST_PV_GC_KEEPALIVES
 * keepalive intervals) destroys the socket silently with tcp_done(). The
 * entry then lingers SST_PV_LINGER_MS so that the LOCAL_OUT filter still
 * drops the RSTs late client segments would draw.
 *
 * All state changes of a half-pipe happen on one ordered workqueue, so its
 * works never run concurrently; softirq handlers, the ULP and the filter
 * only set flag bits, queue work, or read.
 *
 * Lifetime: a passive socket holds a reference on its namespace (it was
 * created with kern=0: the application gets it) and, through its ULP, on
 * the module. So a namespace with live passive sockets cannot exit and the
 * module cannot be unloaded: both wait for RESET or garbage collection.
 * What namespace exit and module exit tear down is the rest: entries whose
 * socket is gone, entries not built yet, lingering entries.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jhash.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/uio.h>
#include <net/inet_connection_sock.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/request_sock.h>
#include <net/tcp.h>
#include "compat.h"
#include "ctrl.h"
#include "netlink.h"
#include "netns.h"
#include "passive.h"
#include "peer.h"
#include "proto.h"
#include "trace.h"
#include "ulp.h"

#define SST_PV_HASH_BITS	8
#define SST_PV_MAX		65536	/* half-pipes per namespace */
#define SST_PV_POLL_MS		4	/* DATA_DONE polling */
#define SST_PV_GC_KEEPALIVES	10	/* DS unheard that long: GC */
#define SST_PV_GC_CHECK_MS	500
#define SST_PV_LINGER_MS	10000	/* filter after teardown */

#define SST_SETUP_OPT_ALL	(SST_SETUP_OPT_SACK | SST_SETUP_OPT_TIMESTAMP | \
				 SST_SETUP_OPT_WSCALE)
#define SST_SETUP_F_ALL		SST_SETUP_F_FRESH_CWND

/**
 * struct sst_pv_net - the passive layer's state in one namespace
 * @lock:   protects the hashes, @list, @count and @dying
 * @tuple:  half-pipes by 4-tuple (RCU readers: the filter)
 * @id:     half-pipes by connection id (RCU readers: RESET)
 * @list:   every half-pipe
 * @count:  entries in @list
 * @dying:  the namespace is going away: accept no SETUP
 * @seed:   hash seed
 * @net:    the namespace
 */
struct sst_pv_net {
	spinlock_t lock;	/* tuple, id, list, count, dying */
	struct hlist_head tuple[1 << SST_PV_HASH_BITS];
	struct hlist_head id[1 << SST_PV_HASH_BITS];
	struct list_head list;
	unsigned int count;
	bool dying;
	u32 seed;
	struct net *net;
};

static unsigned int sst_pv_net_id __read_mostly;
static struct workqueue_struct *sst_pv_wq;
static struct kmem_cache *sst_rsk_slab;

static struct sst_pv_net *sst_pv_net(const struct net *net)
{
	return net_generic(net, sst_pv_net_id);
}

static u32 sst_pv_tuple_hash(const struct sst_pv_net *pn, __be32 vip,
			     __be16 vport, __be32 client, __be16 cport)
{
	return jhash_3words((__force u32)vip, (__force u32)client,
			    ((__force u32)vport << 16) | (__force u32)cport,
			    pn->seed) & ((1 << SST_PV_HASH_BITS) - 1);
}

static u32 sst_pv_id_hash(const struct sst_pv_net *pn, u64 id)
{
	return jhash_2words((u32)id, (u32)(id >> 32), pn->seed) &
	       ((1 << SST_PV_HASH_BITS) - 1);
}

void sst_passive_put(struct sst_passive *pv)
{
	if (refcount_dec_and_test(&pv->ref)) {
		kfree(pv->setup);
		kfree_rcu(pv, rcu);
	}
}

static void sst_pv_queue_tick(struct sst_passive *pv, unsigned long delay)
{
	mod_delayed_work(sst_pv_wq, &pv->tick, delay);
}

/**
 * sst_passive_closed - the application is done sending on the socket
 * @pv:  the half-pipe
 * @bit: SST_PV_F_CLOSED or SST_PV_F_WRSHUT
 *
 * Context: any (the ULP: process, or softirq from its release).
 */
void sst_passive_closed(struct sst_passive *pv, int bit)
{
	set_bit(bit, &pv->flags);
	sst_pv_queue_tick(pv, 0);
}

/* ------------------------------------------------------ request socks */

static int sst_rsk_rtx_syn_ack(const struct sock *sk, struct request_sock *req)
{
	return 0;
}

static void sst_rsk_send_ack(const struct sock *sk, struct sk_buff *skb,
			     struct request_sock *req)
{
}

static void sst_rsk_destructor(struct request_sock *req)
{
}

static void sst_rsk_syn_ack_timeout(const struct request_sock *req)
{
}

/* The request_sock that carries a passive socket to accept(): it only
 * ever sits in an accept queue, never in the SYN table, so none of these
 * is expected to be called; they are there because the kernel calls some
 * unconditionally (__reqsk_free() calls .destructor).
 */
static struct request_sock_ops sst_rsk_ops __read_mostly = {
	.family		= AF_INET,
	.obj_size	= sizeof(struct tcp_request_sock),
	.rtx_syn_ack	= sst_rsk_rtx_syn_ack,
	.send_ack	= sst_rsk_send_ack,
	.send_reset	= sst_rsk_send_reset,
	.destructor	= sst_rsk_destructor,
	.syn_ack_timeout = sst_rsk_syn_ack_timeout,
};

/* ------------------------------------------------------- socket build */

static int sst_setopt(struct socket *sock, int level, int opt, int val)
{
	return sock->ops->setsockopt(sock, level, opt, KERNEL_SOCKPTR(&val),
				     sizeof(val));
}

/*
 * DESIGN 3.3 steps 1-7: an ESTABLISHED socket in repair mode, request
 * bytes in its receive queue, out of repair without a window probe, with
 * the DS's congestion state.
 */
static int sst_pv_build_sock(struct net *net, const struct sst_wire_setup *s,
			     u32 age_ms, struct socket **sockp)
{
	u32 req_len = be32_to_cpu(s->req_len);
	u32 rcv_nxt = be32_to_cpu(s->rcv_nxt);
	struct tcp_repair_opt opts[4];
	struct tcp_repair_window win;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct socket *sock;
	struct tcp_sock *tp;
	struct sock *sk;
	u32 off, v;
	int n = 0, ret;

	ret = __sock_create(net, AF_INET, SOCK_STREAM, IPPROTO_TCP, &sock, 0);
	if (ret)
		return ret;
	*sockp = sock;
	sk = sock->sk;
	tp = tcp_sk(sk);

	ret = sst_setopt(sock, SOL_TCP, TCP_REPAIR, TCP_REPAIR_ON);
	if (ret)
		return ret;
	/* Before connect, or mss_cache stays at its default. */
	ret = sst_setopt(sock, SOL_TCP, TCP_MAXSEG, be16_to_cpu(s->mss));
	if (ret)
		return ret;
	sin.sin_addr.s_addr = s->vip_addr;
	sin.sin_port = s->vip_port;
	ret = kernel_bind(sock, (struct sockaddr *)&sin, sizeof(sin));
	if (ret)
		return ret;
	ret = sst_setopt(sock, SOL_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE);
	if (!ret)
		ret = sst_setopt(sock, SOL_TCP, TCP_QUEUE_SEQ,
				 be32_to_cpu(s->seq));
	if (!ret)
		ret = sst_setopt(sock, SOL_TCP, TCP_REPAIR_QUEUE,
				 TCP_RECV_QUEUE);
	if (!ret)	/* the request ends at rcv_nxt (DESIGN 3.5) */
		ret = sst_setopt(sock, SOL_TCP, TCP_QUEUE_SEQ,
				 rcv_nxt - req_len);
	if (ret)
		return ret;
	sin.sin_addr.s_addr = s->client_addr;
	sin.sin_port = s->client_port;
	/* Repair mode: ESTABLISHED at once, no SYN. -EADDRNOTAVAIL if the
	 * 4-tuple exists on this node.
	 */
	ret = kernel_connect(sock, (struct sockaddr *)&sin, sizeof(sin), 0);
	if (ret)
		return ret;

	opts[n].opt_code = TCPOPT_MSS;
	opts[n++].opt_val = be16_to_cpu(s->mss);
	if (s->opts & SST_SETUP_OPT_WSCALE) {
		opts[n].opt_code = TCPOPT_WINDOW;
		opts[n++].opt_val = s->snd_wscale | (s->rcv_wscale << 16);
	}
	if (s->opts & SST_SETUP_OPT_SACK) {
		opts[n].opt_code = TCPOPT_SACK_PERM;
		opts[n++].opt_val = 0;
	}
	if (s->opts & SST_SETUP_OPT_TIMESTAMP) {
		opts[n].opt_code = TCPOPT_TIMESTAMP;
		opts[n++].opt_val = 0;
	}
	ret = sock->ops->setsockopt(sock, SOL_TCP, TCP_REPAIR_OPTIONS,
				    KERNEL_SOCKPTR(opts), n * sizeof(opts[0]));
	if (ret)
		return ret;
	if (s->opts & SST_SETUP_OPT_TIMESTAMP) {
		/* The DS's clock went on while the SETUP waited here. */
		ret = sst_setopt(sock, SOL_TCP, TCP_TIMESTAMP,
				 sst_repair_tsval(be32_to_cpu(s->tsval) +
						  age_ms));
		if (ret)
			return ret;
	}

	/* The receive queue is still selected: the request goes there. */
	for (off = 0; off < req_len; off += ret) {
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
		struct kvec iov = {
			.iov_base = (void *)s->req + off,
			.iov_len = req_len - off,
		};

		ret = kernel_sendmsg(sock, &msg, &iov, 1, iov.iov_len);
		if (ret <= 0)
			return ret ? ret : -ENOMEM;
	}

	/* After the request is queued: before, rcv_wup would be ahead of
	 * rcv_nxt and the kernel refuses it.
	 */
	win.snd_wl1 = rcv_nxt;
	win.snd_wnd = be32_to_cpu(s->snd_wnd);
	win.max_window = max(be32_to_cpu(s->max_window), win.snd_wnd);
	win.rcv_wnd = be32_to_cpu(s->rcv_wnd);
	win.rcv_wup = rcv_nxt;
	ret = sock->ops->setsockopt(sock, SOL_TCP, TCP_REPAIR_WINDOW,
				    KERNEL_SOCKPTR(&win), sizeof(win));
	if (ret)
		return ret;
	/* Plain TCP_REPAIR_OFF sends a window probe; its answer would go to
	 * the DS.
	 */
	ret = sst_setopt(sock, SOL_TCP, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP);
	if (ret)
		return ret;

	lock_sock(sk);
	if (!(s->flags & SST_SETUP_F_FRESH_CWND)) {
		v = be32_to_cpu(s->cwnd);
		if (v)
			tcp_snd_cwnd_set(tp, min(v, tp->snd_cwnd_clamp));
		v = be32_to_cpu(s->ssthresh);
		if (v)
			tp->snd_ssthresh = v;
		tp->snd_cwnd_stamp = tcp_jiffies32;
	}
	v = be32_to_cpu(s->srtt_us);
	if (v) {
		tp->srtt_us = v;
		tp->mdev_us = be32_to_cpu(s->mdev_us);
		tp->mdev_max_us = max(tp->mdev_us, tcp_rto_min_us(sk));
		tp->rttvar_us = tp->mdev_max_us;
	}
	v = be32_to_cpu(s->rto_ms);
	if (v)
		inet_csk(sk)->icsk_rto = clamp_t(unsigned long,
						 msecs_to_jiffies(v),
						 TCP_RTO_MIN, TCP_RTO_MAX);
	/* tcp_init_buffer_space() sized the send buffer for the initial
	 * cwnd at connect time: let the application queue a full restored
	 * window (2 x cwnd segments, as tcp_sndbuf_expand() would).
	 */
	if (!(sk->sk_userlocks & SOCK_SNDBUF_LOCK)) {
		u32 seg = SKB_TRUESIZE(tp->mss_cache + MAX_TCP_HEADER);
		u64 want = 2ULL * max(tcp_snd_cwnd(tp), TCP_INIT_CWND) * seg;

		want = min_t(u64, want,
			     READ_ONCE(net->ipv4.sysctl_tcp_wmem[2]));
		if (want > READ_ONCE(sk->sk_sndbuf))
			WRITE_ONCE(sk->sk_sndbuf, want);
	}
	release_sock(sk);
	return 0;
}

/* A failed socket: back into repair mode so that closing it is silent. */
static void sst_pv_discard_sock(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (sk) {
		lock_sock(sk);
		tcp_sk(sk)->repair = 1;
		release_sock(sk);
	}
	sock_release(sock);
}

/*
 * DESIGN 3.3 step 9: queue @sock's sk to the listener on VIP:os_port as
 * if it had just completed a handshake. Consumes @sock on success.
 */
static int sst_pv_hand_off(struct net *net, struct sst_passive *pv,
			   struct socket *sock)
{
	const struct sst_wire_setup *s = pv->setup;
	struct sock *sk = sock->sk, *lsk, *child;
	struct request_sock *req;
	struct inet_request_sock *ireq;

	rcu_read_lock();
	lsk = __inet_lookup_listener(net, net->ipv4.tcp_death_row.hashinfo,
				     NULL, 0, s->client_addr, s->client_port,
				     s->vip_addr, be16_to_cpu(s->os_port),
				     0, 0);
	if (IS_ERR_OR_NULL(lsk) || !refcount_inc_not_zero(&lsk->sk_refcnt))
		lsk = NULL;
	rcu_read_unlock();
	if (!lsk)
		return -ECONNREFUSED;
	if (lsk->sk_state != TCP_LISTEN || sk_acceptq_is_full(lsk)) {
		sock_put(lsk);
		return -ENOBUFS;
	}
	req = inet_reqsk_alloc(&sst_rsk_ops, lsk, true);
	if (!req) {
		sock_put(lsk);
		return -ENOMEM;
	}
	refcount_set(&req->rsk_refcnt, 1);
	tcp_rsk(req)->tfo_listener = false;
	ireq = inet_rsk(req);
	ireq->ir_loc_addr = s->vip_addr;
	ireq->ir_rmt_addr = s->client_addr;
	ireq->ir_num = be16_to_cpu(s->vip_port);
	ireq->ir_rmt_port = s->client_port;

	/* Detach the struct socket: accept() grafts the application's. */
	write_lock_bh(&sk->sk_callback_lock);
	sk_set_socket(sk, NULL);
	RCU_INIT_POINTER(sk->sk_wq, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	sock->sk = NULL;
	sock_release(sock);
	/*
	 * Live from here, before the accept queue: the application may
	 * accept, write and draw the client's first ACKs at once on another
	 * CPU, and credits are taken only for live half-pipes. (Not before:
	 * a credit's softirq could still find the struct socket just
	 * released.)
	 */
	WRITE_ONCE(pv->state, SST_PV_LIVE);

	/* As the softirq path (tcp_child_process()) does. */
	local_bh_disable();
	sock_hold(sk);
	bh_lock_sock(sk);
	child = inet_csk_reqsk_queue_add(lsk, req, sk);
	bh_unlock_sock(sk);
	sock_put(sk);
	local_bh_enable();
	if (!child) {
		/* The listener stopped listening: the kernel disconnected
		 * (silently, through the ULP) and destroyed the child.
		 */
		reqsk_put(req);
		sock_put(lsk);
		return -ECONNREFUSED;
	}
	lsk->sk_data_ready(lsk);
	sock_put(lsk);
	return 0;
}

/*
 * Tells the DS the half-pipe is gone before its DATA_DONE; @seq_end is
 * the socket's snd_nxt, @pv->seq_start if nothing was sent.
 */
static void sst_pv_abort(struct sst_passive *pv, u32 seq_end)
{
	struct sst_wire_abort body = {
		.seq_start = cpu_to_be32(pv->seq_start),
		.seq_end = cpu_to_be32(seq_end),
	};

	sst_stat_inc(sst_net(pv->pn->net), SST_STAT_ABORTS);
	trace_sst_abort_send(pv->conn_id, pv->peer, pv->seq_start, seq_end);
	sst_nl_event(pv->pn->net, &(struct sst_nl_event){
		.type = SST_EV_ABORT, .conn_id = pv->conn_id, .peer = pv->peer,
		.seq_start = pv->seq_start, .seq_end = seq_end,
	});
	sst_ctrl_send(pv->pn->net, pv->peer, SST_MSG_ABORT,
		      SST_WIRE_F_RELIABLE, pv->conn_id, &body, sizeof(body),
		      NULL, NULL);
}

static void sst_pv_setup_work(struct work_struct *work)
{
	struct sst_passive *pv = container_of(work, struct sst_passive,
					      setup_work);
	struct sst_net *sn = sst_net(pv->pn->net);
	struct net *net = pv->pn->net;
	struct socket *sock = NULL;
	struct sock *sk;
	int ret;

	/* The namespace may already be on its way out. */
	net = maybe_get_net(net);
	if (!net) {
		ret = -ENETDOWN;
		goto fail;
	}
	/* In milliseconds, rounded down, as TCP's clock counts: jiffies
	 * (4 ms at HZ=250) put the OS up to 4 ticks ahead of the DS, whose
	 * pure ACKs before adoption then failed the client's PAWS check.
	 */
	ret = sst_pv_build_sock(net, pv->setup,
				(u32)div_u64(ktime_get_ns() - pv->rx_ns,
					     NSEC_PER_MSEC), &sock);
	if (ret)
		goto fail_sock;
	sk = sock->sk;
	ret = sst_ulp_attach(sock, pv);
	if (ret)
		goto fail_sock;
	sock_hold(sk);
	pv->sk = sk;
	ret = sst_pv_hand_off(net, pv, sock);
	if (ret) {
		/* Destroyed by the kernel if the listener went away after
		 * the queueing, else still ours to discard.
		 */
		sock = sk->sk_socket ? sock : NULL;
		goto fail_live;
	}
	put_net(net);
	kfree(pv->setup);
	pv->setup = NULL;
	WRITE_ONCE(pv->state, SST_PV_LIVE);
	sst_stat_inc(sn, SST_STAT_SETUPS);
	trace_sst_sock_built(pv->conn_id, pv->peer, pv->seq_start, 0,
			     ktime_get_ns() - pv->rx_ns);
	sst_pv_queue_tick(pv, test_bit(SST_PV_F_RESET, &pv->flags) ? 0 :
			  msecs_to_jiffies(SST_PV_GC_CHECK_MS));
	return;

fail_live:
	trace_sst_sock_built(pv->conn_id, pv->peer, pv->seq_start, ret,
			     ktime_get_ns() - pv->rx_ns);
	WRITE_ONCE(pv->state, SST_PV_LIVE);
	if (sock)
		sst_pv_discard_sock(sock);
	put_net(net);
	pr_debug("SETUP %llx: hand-off failed: %d\n", pv->conn_id, ret);
	sst_stat_inc(sn, SST_STAT_DROPS);
	sst_pv_abort(pv, pv->seq_start);
	set_bit(SST_PV_F_RESET, &pv->flags);	/* tear down from tick */
	sst_pv_queue_tick(pv, 0);
	return;
fail_sock:
	if (sock)
		sst_pv_discard_sock(sock);
	put_net(net);
fail:
	trace_sst_sock_built(pv->conn_id, pv->peer, pv->seq_start, ret,
			     ktime_get_ns() - pv->rx_ns);
	pr_debug("SETUP %llx: cannot build the socket: %d\n", pv->conn_id,
		 ret);
	sst_stat_inc(sn, SST_STAT_DROPS);
	sst_pv_abort(pv, pv->seq_start);
	WRITE_ONCE(pv->state, SST_PV_DEAD);
	pv->dead_at = jiffies;
	sst_pv_queue_tick(pv, 0);
}

/* -------------------------------------------------------- tear down */

/*
 * Destroys the socket silently and marks @pv dead. Context: the passive
 * workqueue or namespace exit (process).
 */
static void sst_pv_kill(struct sst_passive *pv)
{
	struct sock *sk = pv->sk;

	/* Dead first: tcp_done() may destroy the socket, and the ULP's
	 * release must not take that for a death of its own (an ABORT).
	 */
	pv->dead_at = jiffies;
	WRITE_ONCE(pv->state, SST_PV_DEAD);
	if (sk) {
		lock_sock(sk);
		local_bh_disable();
		bh_lock_sock(sk);
		/* A client RST or a timeout may have run it already. */
		if (sk->sk_state != TCP_CLOSE)
			tcp_done(sk);
		bh_unlock_sock(sk);
		local_bh_enable();
		release_sock(sk);
		WRITE_ONCE(pv->sk, NULL);
		sock_put(sk);
	}
}

/*
 * Takes @pv out of the namespace's tables and drops their reference; only
 * the first caller (its tick, or namespace exit) does.
 */
static void sst_pv_unlink(struct sst_passive *pv)
{
	struct sst_pv_net *pn = pv->pn;
	bool first;

	spin_lock_bh(&pn->lock);
	first = !pv->unlinked;
	if (first) {
		pv->unlinked = true;
		hlist_del_rcu(&pv->tuple_node);
		hlist_del_rcu(&pv->id_node);
		list_del_init(&pv->all);
		pn->count--;
	}
	spin_unlock_bh(&pn->lock);
	if (first)
		sst_passive_put(pv);
}

static bool sst_pv_peer_gone(struct sst_passive *pv)
{
	struct sst_net *sn = sst_net(pv->pn->net);
	u64 limit = (u64)READ_ONCE(sn->config.keepalive_ms) *
		    SST_PV_GC_KEEPALIVES * NSEC_PER_MSEC;
	struct sst_peer *peer;
	bool gone;

	u64 last = 0;

	rcu_read_lock();
	peer = sst_peer_lookup_rcu(sn, pv->peer);
	if (peer)
		last = READ_ONCE(peer->last_rx_ns);
	rcu_read_unlock();
	/*
	 * The time last, then now, and a signed difference: another CPU
	 * taking a message may store a last_rx_ns later than a "now" read
	 * before it, and the unsigned difference would be ~584 years (on
	 * 2-vCPU guests: half-pipes garbage-collected mid-response while the
	 * DS was talking).
	 */
	gone = !peer || (s64)(ktime_get_ns() - last) > (s64)limit;
	return gone;
}

/* Returns true once DATA_DONE is sent (or cannot be any more). */
static bool sst_pv_try_done(struct sst_passive *pv)
{
	struct sst_net *sn = sst_net(pv->pn->net);
	struct sock *sk = pv->sk;
	struct sst_wire_data_done dd;
	struct tcp_sock *tp;
	bool ready;

	if (!sk)
		return true;
	tp = tcp_sk(sk);
	if (!test_bit(SST_PV_F_CLOSED, &pv->flags) &&
	    !test_and_set_bit(SST_PV_F_PUSHED, &pv->flags))
		tcp_sock_set_nodelay(sk);	/* SHUT_WR: push */
	lock_sock(sk);
	ready = sk->sk_state != TCP_ESTABLISHED ||
		tp->snd_nxt == tp->write_seq;
	dd.seq_start = cpu_to_be32(pv->seq_start);
	dd.seq_end = cpu_to_be32(tp->snd_nxt);
	dd.tsval = cpu_to_be32(sst_tcp_tsval_now(tp));
	dd.cwnd = cpu_to_be32(tcp_snd_cwnd(tp));
	dd.ssthresh = cpu_to_be32(tp->snd_ssthresh);
	dd.srtt_us = cpu_to_be32(tp->srtt_us);
	dd.mdev_us = cpu_to_be32(tp->mdev_us);
	if (ready && sk->sk_state != TCP_ESTABLISHED) {
		release_sock(sk);
		/* Died before its data was out (client RST, timeout, a
		 * listener closed with it queued): tell the DS, and tear the
		 * entry down (the DS sends no RESET after an ABORT).
		 */
		sst_pv_abort(pv, be32_to_cpu(dd.seq_end));
		set_bit(SST_PV_F_ABORTED, &pv->flags);
		set_bit(SST_PV_F_RESET, &pv->flags);
		sst_pv_queue_tick(pv, 0);
		return true;
	}
	release_sock(sk);
	if (!ready)
		return false;
	/* Before (again if not sent now): the DS may take it inside. */
	trace_sst_data_done_send(pv->conn_id, pv->peer, pv->seq_start,
				 be32_to_cpu(dd.seq_end));
	if (sst_ctrl_send(pv->pn->net, pv->peer, SST_MSG_DATA_DONE,
			  SST_WIRE_F_RELIABLE, pv->conn_id, &dd, sizeof(dd),
			  NULL, NULL))
		return false;	/* no socket or key right now: retry */
	sst_stat_inc(sn, SST_STAT_DATA_DONES);
	return true;
}

/*
 * A pure ACK for the ACK_NOW taken: the LOCAL_OUT hook gives it the DS's
 * acknowledgment and window. Context: the passive workqueue.
 */
static void sst_pv_send_ack(struct sst_passive *pv)
{
	struct sock *sk = pv->sk;

	if (!sk)
		return;
	lock_sock(sk);
	if ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT))
		sst_tcp_send_ack(sk, tcp_sk(sk)->rcv_nxt);
	release_sock(sk);
}

/* The socket is gone: acknowledge the RESET that asked for it now. */
static void sst_pv_ack_reset(struct sst_passive *pv)
{
	struct sst_pv_net *pn = pv->pn;
	__be32 epoch, seq;

	spin_lock_bh(&pn->lock);
	epoch = pv->reset_epoch;
	seq = pv->reset_seq;
	spin_unlock_bh(&pn->lock);
	if (test_and_clear_bit(SST_PV_F_RESET_ACK, &pv->flags))
		sst_ctrl_ack(pn->net, pv->peer, pv->conn_id, epoch, seq);
}

static void sst_pv_tick(struct work_struct *work)
{
	struct sst_passive *pv = container_of(to_delayed_work(work),
					      struct sst_passive, tick);
	struct sst_net *sn = sst_net(pv->pn->net);
	unsigned long next = msecs_to_jiffies(SST_PV_GC_CHECK_MS);
	unsigned long linger = msecs_to_jiffies(SST_PV_LINGER_MS);

	switch (READ_ONCE(pv->state)) {
	case SST_PV_NEW:	/* the setup work queues us when done */
		return;
	case SST_PV_DEAD:
		if (time_after_eq(jiffies, pv->dead_at + linger))
			sst_pv_unlink(pv);
		else
			sst_pv_queue_tick(pv, pv->dead_at + linger - jiffies);
		return;
	}

	if (test_bit(SST_PV_F_RESET, &pv->flags)) {
		sst_pv_kill(pv);
		sst_pv_ack_reset(pv);
		sst_pv_queue_tick(pv, linger);
		return;
	}
	if (sst_pv_peer_gone(pv)) {
		pr_debug("half-pipe %llx/%u: DS %pI4 gone, collected\n",
			 pv->conn_id, pv->seq_start, &pv->peer);
		sst_stat_inc(sn, SST_STAT_TIMEOUTS);
		trace_sst_gc_timeout(pv->conn_id, pv->peer, pv->seq_start);
		sst_nl_event(pv->pn->net, &(struct sst_nl_event){
			.type = SST_EV_GC_TIMEOUT, .conn_id = pv->conn_id,
			.peer = pv->peer, .seq_start = pv->seq_start,
		});
		/* In case the DS is only slow, or its messages were lost: a
		 * handoff still waiting fails at once (ECONNRESET, the client
		 * reset) instead of on its progress bound.
		 */
		if (!test_bit(SST_PV_F_DONE, &pv->flags) && pv->sk)
			sst_pv_abort(pv, READ_ONCE(tcp_sk(pv->sk)->snd_nxt));
		sst_pv_kill(pv);
		sst_pv_queue_tick(pv, linger);
		return;
	}
	/* Not after DATA_DONE: its TSval is the last one the DS adopts. */
	if (test_and_clear_bit(SST_PV_F_ACK_NOW, &pv->flags) &&
	    !test_bit(SST_PV_F_DONE, &pv->flags))
		sst_pv_send_ack(pv);
	if (!test_bit(SST_PV_F_DONE, &pv->flags) &&
	    (test_bit(SST_PV_F_CLOSED, &pv->flags) ||
	     test_bit(SST_PV_F_WRSHUT, &pv->flags))) {
		if (sst_pv_try_done(pv))
			set_bit(SST_PV_F_DONE, &pv->flags);
		else
			next = max(msecs_to_jiffies(SST_PV_POLL_MS), 1UL);
	}
	sst_pv_queue_tick(pv, next);
}

/* ------------------------------------------------ control messages */

static struct sst_passive *sst_pv_find_id_rcu(struct sst_pv_net *pn,
					      __be32 peer, u64 id, u32 seq)
{
	struct sst_passive *pv;

	hlist_for_each_entry_rcu(pv, &pn->id[sst_pv_id_hash(pn, id)], id_node)
		if (pv->conn_id == id && pv->peer == peer &&
		    pv->seq_start == seq)
			return pv;
	return NULL;
}

/**
 * sst_passive_sock_get - the live socket of a half-pipe, with a reference
 * @net:  the namespace
 * @peer: the DS that sent SETUP
 * @id:   the connection id
 * @seq:  the half-pipe's first sequence number
 *
 * Context: rcu_read_lock() held. Return: the socket (sock_put() it) or NULL.
 */
struct sock *sst_passive_sock_get(struct net *net, __be32 peer, u64 id,
				  u32 seq)
{
	struct sst_passive *pv;
	struct sock *sk;

	pv = sst_pv_find_id_rcu(sst_pv_net(net), peer, id, seq);
	if (!pv || READ_ONCE(pv->state) != SST_PV_LIVE)
		return NULL;
	/* TCP sockets are SLAB_TYPESAFE_BY_RCU: take the reference, then
	 * check that it is still this half-pipe's.
	 */
	sk = READ_ONCE(pv->sk);
	if (!sk || !refcount_inc_not_zero(&sk->sk_refcnt))
		return NULL;
	if (READ_ONCE(pv->sk) != sk) {
		sock_put(sk);
		return NULL;
	}
	return sk;
}

static bool sst_setup_valid(const struct sst_wire_setup *s, u32 len)
{
	u32 req_len;

	if (len < sizeof(*s))
		return false;
	req_len = be32_to_cpu(s->req_len);
	if (!req_len || req_len > SST_HANDOFF_MAX_REQ ||
	    len != sizeof(*s) + req_len)
		return false;
	if ((s->opts & ~SST_SETUP_OPT_ALL) || (s->flags & ~SST_SETUP_F_ALL))
		return false;
	if (be16_to_cpu(s->mss) < TCP_MIN_MSS ||
	    be16_to_cpu(s->mss) > IP_MAX_MTU - 40)
		return false;
	if (s->opts & SST_SETUP_OPT_WSCALE) {
		if (s->snd_wscale > TCP_MAX_WSCALE ||
		    s->rcv_wscale > TCP_MAX_WSCALE)
			return false;
	} else if (s->snd_wscale || s->rcv_wscale) {
		return false;
	}
	/* tcp_snd_cwnd_set() WARNs on a cwnd that is negative as an int. */
	if (!sst_wire_cc_valid(s->cwnd, s->ssthresh, s->srtt_us, s->mdev_us) ||
	    be32_to_cpu(s->rto_ms) > SST_WIRE_MAX_RTO_MS)
		return false;
	if (!s->client_port || !s->vip_port || !s->os_port ||
	    ipv4_is_multicast(s->client_addr) ||
	    ipv4_is_zeronet(s->client_addr) ||
	    ipv4_is_lbcast(s->client_addr) || ipv4_is_zeronet(s->vip_addr))
		return false;
	return be32_to_cpu(s->max_window) >= be32_to_cpu(s->snd_wnd) ||
	       !s->max_window;
}

/*
 * A handed-off connection never comes from this host: a SETUP must not
 * make a socket appear to a service (a loopback-only one, say) as from
 * its own machine (issue 8). (Addresses no client can have are malformed:
 * sst_setup_valid().) Context: softirq, under RCU.
 */
static bool sst_client_addr_ok(struct net *net, __be32 addr)
{
	return !ipv4_is_loopback(addr) &&
	       inet_addr_type(net, addr) == RTN_UNICAST;
}

/* Context: softirq, under RCU (sst_ctrl_handler_t). */
static int sst_pv_rx_setup(struct net *net, struct sst_peer *peer,
			   const struct sst_wire_hdr *hdr, const u8 *body)
{
	const struct sst_wire_setup *s = (const struct sst_wire_setup *)body;
	struct sst_pv_net *pn = sst_pv_net(net);
	struct sst_net *sn = sst_net(net);
	u32 len = be32_to_cpu(hdr->len);
	u64 id = be64_to_cpu(hdr->conn_id);
	struct sst_passive *pv, *old;
	int ret = -ENOMEM;
	u32 seq, h;

	if (!sst_setup_valid(s, len)) {
		sst_stat_inc(sn, SST_STAT_DROPS);
		return -EINVAL;
	}
	seq = be32_to_cpu(s->seq);
	if (!sst_client_addr_ok(net, s->client_addr)) {
		struct sst_wire_abort ab = {
			.seq_start = s->seq,
			.seq_end = s->seq,
		};

		/* Refused, as a SETUP for a live 4-tuple is: the DS serves
		 * the request itself.
		 */
		sst_stat_inc(sn, SST_STAT_DROPS);
		sst_stat_inc(sn, SST_STAT_ABORTS);
		trace_sst_abort_send(id, peer->addr, seq, seq);
		sst_nl_event(net, &(struct sst_nl_event){
			.type = SST_EV_ABORT, .conn_id = id, .peer = peer->addr,
			.seq_start = seq, .seq_end = seq,
		});
		sst_ctrl_send(net, peer->addr, SST_MSG_ABORT,
			      SST_WIRE_F_RELIABLE, id, &ab, sizeof(ab),
			      NULL, NULL);
		return 0;
	}
	pv = kzalloc(sizeof(*pv), GFP_ATOMIC);
	if (!pv)
		goto drop;
	pv->setup = kmemdup(s, len, GFP_ATOMIC | __GFP_NOWARN);
	if (!pv->setup) {
		kfree(pv);
		goto drop;
	}
	refcount_set(&pv->ref, 1);
	pv->pn = pn;
	pv->peer = peer->addr;
	pv->conn_id = id;
	pv->seq_start = seq;
	pv->client_addr = s->client_addr;
	pv->client_port = s->client_port;
	pv->vip_addr = s->vip_addr;
	pv->vip_port = s->vip_port;
	pv->state = SST_PV_NEW;
	pv->setup_len = len;
	pv->rx_ns = ktime_get_ns();
	INIT_WORK(&pv->setup_work, sst_pv_setup_work);
	INIT_DELAYED_WORK(&pv->tick, sst_pv_tick);

	h = sst_pv_tuple_hash(pn, s->vip_addr, s->vip_port, s->client_addr,
			      s->client_port);
	spin_lock_bh(&pn->lock);
	if (pn->dying || pn->count >= SST_PV_MAX) {
		ret = pn->dying ? -ESHUTDOWN : -EAGAIN;
		spin_unlock_bh(&pn->lock);
		goto free;
	}
	if (sst_pv_find_id_rcu(pn, peer->addr, id, seq)) {
		/* The same SETUP again (a new message from a DS that
		 * retried): already being handled.
		 */
		spin_unlock_bh(&pn->lock);
		kfree(pv->setup);
		kfree(pv);
		return 0;
	}
	hlist_for_each_entry(old, &pn->tuple[h], tuple_node) {
		if (old->vip_addr == s->vip_addr &&
		    old->vip_port == s->vip_port &&
		    old->client_addr == s->client_addr &&
		    old->client_port == s->client_port &&
		    READ_ONCE(old->state) != SST_PV_DEAD) {
			/* The 4-tuple is live here (an earlier half-pipe
			 * not yet RESET): refuse, the DS must wait.
			 */
			spin_unlock_bh(&pn->lock);
			sst_pv_abort(pv, seq);
			ret = 0;	/* taken: answered by the ABORT */
			goto free;
		}
	}
	hlist_add_head_rcu(&pv->tuple_node, &pn->tuple[h]);
	hlist_add_head_rcu(&pv->id_node, &pn->id[sst_pv_id_hash(pn, id)]);
	list_add_tail(&pv->all, &pn->list);
	pn->count++;
	queue_work(sst_pv_wq, &pv->setup_work);
	spin_unlock_bh(&pn->lock);
	trace_sst_setup_recv(id, peer->addr, seq);
	return 0;

free:
	kfree(pv->setup);
	kfree(pv);
drop:
	sst_stat_inc(sn, SST_STAT_DROPS);
	return ret;
}

/* Context: softirq, under RCU (sst_ctrl_handler_t). */
static int sst_pv_rx_reset(struct net *net, struct sst_peer *peer,
			   const struct sst_wire_hdr *hdr, const u8 *body)
{
	const struct sst_wire_reset *r = (const struct sst_wire_reset *)body;
	struct sst_pv_net *pn = sst_pv_net(net);
	struct sst_net *sn = sst_net(net);
	struct sst_passive *pv;
	int ret = 0;

	if (be32_to_cpu(hdr->len) != sizeof(*r)) {
		sst_stat_inc(sn, SST_STAT_DROPS);
		return -EINVAL;
	}
	spin_lock_bh(&pn->lock);
	pv = sst_pv_find_id_rcu(pn, peer->addr, be64_to_cpu(hdr->conn_id),
				be32_to_cpu(r->seq_start));
	if (pv && !pn->dying && READ_ONCE(pv->state) != SST_PV_DEAD) {
		if (!test_and_set_bit(SST_PV_F_RESET, &pv->flags) &&
		    !test_bit(SST_PV_F_ABORTED, &pv->flags)) {
			sst_stat_inc(sn, SST_STAT_RESETS);
			trace_sst_reset_recv(pv->conn_id, pv->peer,
					     pv->seq_start);
		}
		/*
		 * Acknowledged once the socket is gone (by the tick that
		 * kills it, or as a later copy): the DS hands the next
		 * request of the connection to this node only after the
		 * ACK, and the 4-tuple must be free by then.
		 */
		pv->reset_epoch = hdr->epoch;
		pv->reset_seq = hdr->seq;
		set_bit(SST_PV_F_RESET_ACK, &pv->flags);
		sst_pv_queue_tick(pv, 0);
		ret = -EAGAIN;
	}
	spin_unlock_bh(&pn->lock);
	if (!pv)
		sst_stat_inc(sn, SST_STAT_DROPS);
	/* Taken even if unknown: no such half-pipe is left to tear down. */
	return ret;
}

/*
 * Context: softirq, under RCU. Not reliable: a lost ACK_NOW is made up by
 * the next, the client retransmitting until one gets through.
 */
static int sst_pv_rx_ack_now(struct net *net, struct sst_peer *peer,
			     const struct sst_wire_hdr *hdr, const u8 *body)
{
	const struct sst_wire_credit *cr = (const void *)body;
	struct sst_net *sn = sst_net(net);
	struct sst_passive *pv;
	u64 old, new;
	u32 ack;

	if (be32_to_cpu(hdr->len) != sizeof(*cr) || cr->nsack)
		goto drop;
	pv = sst_pv_find_id_rcu(sst_pv_net(net), peer->addr,
				be64_to_cpu(hdr->conn_id),
				be32_to_cpu(cr->seq_start));
	if (!pv || READ_ONCE(pv->state) != SST_PV_LIVE ||
	    test_bit(SST_PV_F_RESET, &pv->flags))
		goto drop;
	ack = be32_to_cpu(cr->rcv_nxt);
	new = SST_PV_ACK_NOW_SET | (u64)(u16)be32_to_cpu(cr->win) << 32 | ack;
	old = atomic64_read(&pv->ack_now);
	do {
		if (old && before(ack, (u32)old))
			return 0;	/* overtaken by a later one */
	} while (!atomic64_try_cmpxchg(&pv->ack_now, &old, new));
	sst_stat_inc(sn, SST_STAT_ACK_NOWS);
	set_bit(SST_PV_F_ACK_NOW, &pv->flags);
	sst_pv_queue_tick(pv, 0);
	return 0;
drop:
	sst_stat_inc(sn, SST_STAT_DROPS);
	return -ENOENT;
}

/* ------------------------------------------------------ LOCAL_OUT */

/*
 * Drops FINs and RSTs of the half-pipes this node holds (live, being
 * built, or torn down less than SST_PV_LINGER_MS ago). Everything else,
 * zero-window and keepalive probes included, passes.
 */
/*
 * Gives a segment of @pv the acknowledgment and window of the DS's last
 * ACK_NOW, if it is not behind them: the client then takes the ACK for
 * the bytes it sent to the DS meanwhile. Return: false if the segment
 * could not be made writable.
 */
static bool sst_pv_apply_ack_now(const struct sst_passive *pv,
				 struct sk_buff *skb)
{
	u64 an = atomic64_read(&pv->ack_now);
	unsigned int ihl = ip_hdrlen(skb);
	__be32 ack = htonl((u32)an);
	__be16 win = htons((u16)(an >> 32));
	struct tcphdr *th;

	if (!an)
		return true;
	th = (struct tcphdr *)(skb_network_header(skb) + ihl);
	if (before((u32)an, ntohl(th->ack_seq)) ||
	    (th->ack_seq == ack && th->window == win))
		return true;
	if (skb_ensure_writable(skb, ihl + sizeof(*th)))
		return false;
	th = (struct tcphdr *)(skb_network_header(skb) + ihl);
	inet_proto_csum_replace4(&th->check, skb, th->ack_seq, ack, false);
	th->ack_seq = ack;
	inet_proto_csum_replace2(&th->check, skb, th->window, win, false);
	th->window = win;
	return true;
}

static unsigned int sst_pv_local_out(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	struct sst_pv_net *pn = sst_pv_net(state->net);
	const struct iphdr *iph = ip_hdr(skb);
	const struct sst_passive *pv;
	struct tcphdr _th;
	const struct tcphdr *th;
	unsigned int verdict = NF_ACCEPT;
	u32 h;

	if (iph->protocol != IPPROTO_TCP || ip_is_fragment(iph) ||
	    !READ_ONCE(pn->count))
		return NF_ACCEPT;
	th = skb_header_pointer(skb, iph->ihl * 4, sizeof(_th), &_th);
	if (!th)
		return NF_ACCEPT;
	h = sst_pv_tuple_hash(pn, iph->saddr, th->source, iph->daddr,
			      th->dest);
	rcu_read_lock();
	hlist_for_each_entry_rcu(pv, &pn->tuple[h], tuple_node) {
		if (pv->vip_addr != iph->saddr || pv->vip_port != th->source ||
		    pv->client_addr != iph->daddr ||
		    pv->client_port != th->dest)
			continue;
		if (th->fin || th->rst) {
			verdict = NF_DROP;
			net_dbg_ratelimited("splitstack: dropped %s %pI4:%u -> %pI4:%u\n",
					    th->rst ? "RST" : "FIN",
					    &iph->saddr, ntohs(th->source),
					    &iph->daddr, ntohs(th->dest));
		} else if (READ_ONCE(pv->state) == SST_PV_DEAD) {
			continue;	/* lingering: a newer one may follow */
		} else if (th->ack && !sst_pv_apply_ack_now(pv, skb)) {
			verdict = NF_DROP;	/* retransmitted later */
		}
		break;
	}
	rcu_read_unlock();
	return verdict;
}

static const struct nf_hook_ops sst_pv_nf_ops = {
	.hook		= sst_pv_local_out,
	.pf		= NFPROTO_IPV4,
	.hooknum	= NF_INET_LOCAL_OUT,
	.priority	= NF_IP_PRI_FIRST,
};

/* ------------------------------------------------ namespaces, module */

static int __net_init sst_pv_net_init(struct net *net)
{
	struct sst_pv_net *pn = sst_pv_net(net);

	spin_lock_init(&pn->lock);
	INIT_LIST_HEAD(&pn->list);
	pn->net = net;
	pn->seed = get_random_u32();
	return nf_register_net_hook(net, &sst_pv_nf_ops);
}

static void __net_exit sst_pv_net_exit(struct net *net)
{
	struct sst_pv_net *pn = sst_pv_net(net);
	struct sst_passive *pv;

	spin_lock_bh(&pn->lock);
	pn->dying = true;
	spin_unlock_bh(&pn->lock);
	/* Control handlers run under RCU: after this none queues work. */
	synchronize_net();

	for (;;) {
		spin_lock_bh(&pn->lock);
		pv = list_first_entry_or_null(&pn->list, struct sst_passive,
					      all);
		if (pv) {
			list_del_init(&pv->all);
			refcount_inc(&pv->ref);
		}
		spin_unlock_bh(&pn->lock);
		if (!pv)
			break;
		/* The setup work queues the tick: cancel it first. */
		cancel_work_sync(&pv->setup_work);
		cancel_delayed_work_sync(&pv->tick);
		if (READ_ONCE(pv->state) == SST_PV_LIVE)
			sst_pv_kill(pv);
		sst_pv_unlink(pv);
		sst_passive_put(pv);
	}
	nf_unregister_net_hook(net, &sst_pv_nf_ops);
}

static struct pernet_operations sst_pv_net_ops = {
	.init = sst_pv_net_init,
	.exit = sst_pv_net_exit,
	.id = &sst_pv_net_id,
	.size = sizeof(struct sst_pv_net),
};

/* Call after the main pernet state is registered: namespaces then exit
 * the passive layer first, while the control plane still works.
 */
int sst_passive_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(struct sst_wire_setup) != 72);
	BUILD_BUG_ON(sizeof(struct sst_wire_data_done) != 28);
	sst_rsk_slab = kmem_cache_create("sst_request_sock",
					 sst_rsk_ops.obj_size, 0,
					 SLAB_HWCACHE_ALIGN, NULL);
	if (!sst_rsk_slab)
		return -ENOMEM;
	sst_rsk_ops.slab = sst_rsk_slab;
	sst_pv_wq = alloc_ordered_workqueue("splitstack_pv", WQ_MEM_RECLAIM);
	if (!sst_pv_wq) {
		ret = -ENOMEM;
		goto err_wq;
	}
	ret = register_pernet_subsys(&sst_pv_net_ops);
	if (ret)
		goto err_pernet;
	ret = sst_ulp_init();
	if (ret)
		goto err_ulp;
	ret = sst_ctrl_register(SST_MSG_SETUP, sst_pv_rx_setup);
	if (ret)
		goto err_setup;
	ret = sst_ctrl_register(SST_MSG_RESET, sst_pv_rx_reset);
	if (ret)
		goto err_reset;
	ret = sst_ctrl_register(SST_MSG_ACK_NOW, sst_pv_rx_ack_now);
	if (ret)
		goto err_ack_now;
	return 0;

err_ack_now:
	sst_ctrl_unregister(SST_MSG_RESET);
err_reset:
	sst_ctrl_unregister(SST_MSG_SETUP);
err_setup:
	sst_ulp_exit();
err_ulp:
	unregister_pernet_subsys(&sst_pv_net_ops);
err_pernet:
	destroy_workqueue(sst_pv_wq);
err_wq:
	kmem_cache_destroy(sst_rsk_slab);
	return ret;
}

/*
 * Module exit: no passive socket exists any more (each pins the module
 * through its ULP), so what is left are entries; namespace exit of every
 * namespace tears them down.
 */
void sst_passive_exit(void)
{
	sst_ctrl_unregister(SST_MSG_ACK_NOW);
	sst_ctrl_unregister(SST_MSG_RESET);
	sst_ctrl_unregister(SST_MSG_SETUP);
	unregister_pernet_subsys(&sst_pv_net_ops);
	sst_ulp_exit();
	destroy_workqueue(sst_pv_wq);
	/* kfree_rcu() of the entries */
	rcu_barrier();
	kmem_cache_destroy(sst_rsk_slab);
}
