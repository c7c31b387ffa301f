// SPDX-License-Identifier: GPL-2.0
/*
 * The "splitstack" TCP ULP, attached to every passive socket right before
 * it is handed to the application. While attached, the socket's sk_prot is
 * a copy of tcp_prot (built like kTLS builds its copies) whose
 *
 *  - .close pushes what is queued, then orphans the socket without a FIN
 *    and without the RST that unread data or SO_LINGER{1,0} would cause
 *    (tcp_close() is not called at all while the socket is ESTABLISHED);
 *    SO_LINGER with a timeout does not wait either. The orphan keeps
 *    (re)transmitting until the DS sends RESET or the passive layer
 *    garbage-collects it;
 *  - .shutdown turns SHUT_WR into "no more data" (no FIN): the passive
 *    layer pushes the queue and sends DATA_DONE as after close();
 *  - .disconnect (connect(AF_UNSPEC), and the kernel when a listener
 *    closes with the socket still in its accept queue) runs in repair
 *    mode, in which tcp_disconnect() sends no RST.
 *
 * Keepalive probes and zero-window probes are left alone (they carry
 * neither FIN nor RST). Everything else that could still send a FIN or an
 * RST (tcp_out_of_resources(), a late segment after teardown) is dropped
 * by the passive layer's LOCAL_OUT filter.
 *
 * The ULP slot holds a module reference (taken by tcp_set_ulp(), dropped
 * by tcp_cleanup_ulp() when the socket is destroyed) and a reference to
 * the struct sst_passive in icsk_ulp_data, dropped in .release.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/net.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>
#include <net/tcp.h>
#include "passive.h"
#include "ulp.h"

#define SST_ULP_NAME "splitstack"

static struct proto sst_ulp_prot __read_mostly;

/* As kTLS: __rcu only for sock_diag, the data path needs no RCU. */
static struct sst_passive *sst_ulp_pv(const struct sock *sk)
{
	return (__force struct sst_passive *)inet_csk(sk)->icsk_ulp_data;
}

static void sst_ulp_close(struct sock *sk, long timeout)
{
	struct sst_passive *pv = sst_ulp_pv(sk);
	struct proto *base = pv->base_prot;
	struct sk_buff *skb;

	/* tcp_push() is not exported: setting TCP_NODELAY pushes. */
	tcp_sock_set_nodelay(sk);
	lock_sock(sk);
	WRITE_ONCE(sk->sk_prot, base);
	if (sk->sk_state != TCP_ESTABLISHED || tcp_sk(sk)->repair) {
		/* Reset by the client, torn down by RESET, or discarded in
		 * repair mode by the passive layer: nothing left to
		 * protect, close as usual (silently: a TCP_CLOSE socket
		 * sends nothing, nor does tcp_close() in repair mode).
		 */
		release_sock(sk);
		base->close(sk, timeout);
		return;
	}
	refcount_inc(&pv->ref);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	/* Unread data (the request if the application did not read it):
	 * free it, as __tcp_close() does, but send no RST for it.
	 */
	while ((skb = __skb_dequeue(&sk->sk_receive_queue)) != NULL)
		__kfree_skb(skb);
	/* As __tcp_close() does for an orphan it keeps: the socket's own
	 * reference now belongs to the orphan and is dropped by
	 * inet_csk_destroy_sock() when tcp_done() destroys it.
	 */
	sock_orphan(sk);
	this_cpu_inc(*sk->sk_prot->orphan_count);
	release_sock(sk);
	sst_passive_closed(pv, SST_PV_F_CLOSED);
	sst_passive_put(pv);
}

/* Context: process, socket locked (inet_shutdown()). */
static void sst_ulp_shutdown(struct sock *sk, int how)
{
	struct sst_passive *pv = sst_ulp_pv(sk);

	if (sk->sk_state != TCP_ESTABLISHED) {
		pv->base_prot->shutdown(sk, how);
		return;
	}
	if (how & SEND_SHUTDOWN)
		sst_passive_closed(pv, SST_PV_F_WRSHUT);
}

/* Context: socket locked, or bh-locked from inet_child_forget(). */
static int sst_ulp_disconnect(struct sock *sk, int flags)
{
	struct sst_passive *pv = sst_ulp_pv(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	bool repair = tp->repair;
	int ret;

	tp->repair = 1;		/* tcp_disconnect() sends no RST */
	ret = pv->base_prot->disconnect(sk, flags);
	tp->repair = repair;
	/* The half-pipe is dead (a listener closed with it still queued, or
	 * connect(AF_UNSPEC)): the DS must hear it, by ABORT, at once.
	 */
	sst_passive_closed(pv, SST_PV_F_CLOSED);
	return ret;
}

/* Only sst_ulp_attach() arms icsk_ulp_data: a TCP_ULP "splitstack" from
 * user space finds it NULL and is refused.
 * Context: socket locked (tcp_set_ulp()).
 */
static int sst_ulp_init_sk(struct sock *sk)
{
	struct sst_passive *pv = sst_ulp_pv(sk);

	if (!pv)
		return -EINVAL;
	if (sk->sk_prot != &tcp_prot || sk->sk_family != AF_INET)
		return -EOPNOTSUPP;
	refcount_inc(&pv->ref);
	pv->base_prot = sk->sk_prot;
	WRITE_ONCE(sk->sk_prot, &sst_ulp_prot);
	return 0;
}

/* As kTLS: someone (sockmap) installs another base protocol under us. */
static void sst_ulp_update(struct sock *sk, struct proto *p,
			   void (*write_space)(struct sock *sk))
{
	struct sst_passive *pv = sst_ulp_pv(sk);

	if (pv && sk->sk_prot == &sst_ulp_prot)
		pv->base_prot = p;
	else
		WRITE_ONCE(sk->sk_prot, p);
	sk->sk_write_space = write_space;
}

/* Context: tcp_v4_destroy_sock(), any (softirq included). */
static void sst_ulp_release(struct sock *sk)
{
	struct sst_passive *pv = sst_ulp_pv(sk);

	if (!pv)
		return;
	/*
	 * Destroyed before the application closed it: a listener closed
	 * with it still queued (inet_child_forget() disconnects with the
	 * listener's proto, not ours), or a client RST. The tick sends the
	 * DS an ABORT.
	 */
	if (READ_ONCE(pv->state) != SST_PV_DEAD &&
	    !test_bit(SST_PV_F_CLOSED, &pv->flags) &&
	    !test_bit(SST_PV_F_WRSHUT, &pv->flags))
		sst_passive_closed(pv, SST_PV_F_CLOSED);
	/* The module may go away right after tcp_cleanup_ulp(): leave no
	 * pointer to our proto copy behind.
	 */
	if (sk->sk_prot == &sst_ulp_prot)
		WRITE_ONCE(sk->sk_prot, pv->base_prot);
	RCU_INIT_POINTER(inet_csk(sk)->icsk_ulp_data, NULL);
	sst_passive_put(pv);
}

static struct tcp_ulp_ops sst_ulp_ops __read_mostly = {
	.name		= SST_ULP_NAME,
	.owner		= THIS_MODULE,
	.init		= sst_ulp_init_sk,
	.update		= sst_ulp_update,
	.release	= sst_ulp_release,
};

/**
 * sst_ulp_attach - attach the ULP to a passive socket
 * @sock: the socket, still owned by the passive layer
 * @pv:   its half-pipe; the ULP takes a reference
 *
 * Context: process.
 */
int sst_ulp_attach(struct socket *sock, struct sst_passive *pv)
{
	char name[] = SST_ULP_NAME;
	struct sock *sk = sock->sk;
	int ret;

	lock_sock(sk);
	rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, pv);
	release_sock(sk);
	ret = sock->ops->setsockopt(sock, SOL_TCP, TCP_ULP,
				    KERNEL_SOCKPTR(name), sizeof(name) - 1);
	if (ret) {
		lock_sock(sk);
		RCU_INIT_POINTER(inet_csk(sk)->icsk_ulp_data, NULL);
		release_sock(sk);
	}
	return ret;
}

int sst_ulp_init(void)
{
	sst_ulp_prot = tcp_prot;
	sst_ulp_prot.close = sst_ulp_close;
	sst_ulp_prot.shutdown = sst_ulp_shutdown;
	sst_ulp_prot.disconnect = sst_ulp_disconnect;
	return tcp_register_ulp(&sst_ulp_ops);
}

void sst_ulp_exit(void)
{
	tcp_unregister_ulp(&sst_ulp_ops);
}
