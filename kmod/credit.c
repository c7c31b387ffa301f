// SPDX-License-Identifier: GPL-2.0
/*
 * Credits on the OS: a SEND_PACKET from the DS carries a client
 * acknowledgment translated for one half-pipe. It becomes a pure ACK from
 * the client to the passive socket, injected on the device that routes to
 * the client, so the socket frees acknowledged data, opens its window and
 * sends more, exactly as if the client's segment had come here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ip.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/tcp.h>
#include "credit.h"
#include "ctrl.h"
#include "netns.h"
#include "passive.h"
#include "peer.h"
#include "trace.h"

/* Builds the ACK @cr describes for @sk. Context: softirq. */
static struct sk_buff *sst_credit_skb(struct sock *sk,
				      const struct sst_wire_credit *cr)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	const struct inet_sock *inet = inet_sk(sk);
	bool ts = tp->rx_opt.tstamp_ok;
	/* 40 bytes of options: 4 blocks, 3 next to a timestamp. */
	unsigned int nsack = !tp->rx_opt.sack_ok ? 0 :
			     min_t(unsigned int, cr->nsack, ts ? 3 : 4);
	unsigned int thlen = sizeof(struct tcphdr) +
			     (ts ? TCPOLEN_TSTAMP_ALIGNED : 0) +
			     (nsack ? TCPOLEN_SACK_BASE_ALIGNED +
				      nsack * TCPOLEN_SACK_PERBLOCK : 0);
	struct sk_buff *skb;
	struct tcphdr *th;
	struct iphdr *iph;
	__be32 *opt;

	skb = alloc_skb(MAX_TCP_HEADER, GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reserve(skb, MAX_TCP_HEADER);

	th = skb_push(skb, thlen);
	skb_reset_transport_header(skb);
	memset(th, 0, thlen);
	th->source = inet->inet_dport;		/* from the client */
	th->dest = inet->inet_sport;
	th->seq = htonl(READ_ONCE(tp->rcv_nxt));
	th->ack_seq = cr->ack;
	th->doff = thlen / 4;
	th->ack = 1;
	th->window = htons((u16)be32_to_cpu(cr->win));
	opt = (__be32 *)(th + 1);
	if (ts) {
		*opt++ = htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
			       (TCPOPT_TIMESTAMP << 8) | TCPOLEN_TIMESTAMP);
		*opt++ = cr->tsval;
		*opt++ = cr->tsecr;
	}
	if (nsack) {
		unsigned int i;

		*opt++ = htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
			       (TCPOPT_SACK << 8) |
			       (TCPOLEN_SACK_BASE +
				nsack * TCPOLEN_SACK_PERBLOCK));
		for (i = 0; i < 2 * nsack; i++)
			*opt++ = cr->sack[i];
	}

	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	/*
	 * alloc_skb() does not clear the data: a stale frag_off made the ACK
	 * a fragment that reassembly held until it expired (with slub_debug's
	 * poison, every credit; without it, now and then: an OS stalled
	 * after its first flight).
	 */
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons(skb->len);
	iph->ttl = 64;
	iph->protocol = IPPROTO_TCP;
	iph->saddr = inet->inet_daddr;
	iph->daddr = inet->inet_saddr;
	ip_send_check(iph);

	th->check = tcp_v4_check(thlen, iph->saddr, iph->daddr,
				 csum_partial(th, thlen, 0));
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->protocol = htons(ETH_P_IP);
	skb->pkt_type = PACKET_HOST;
	return skb;
}

/* Context: softirq, under RCU (sst_ctrl_handler_t). Credits are not
 * reliable: a lost one is made up by the next.
 */
static int sst_rx_credit(struct net *net, struct sst_peer *peer,
			 const struct sst_wire_hdr *hdr, const u8 *body)
{
	const struct sst_wire_credit *cr = (const void *)body;
	struct sst_net *sn = sst_net(net);
	struct net_device *dev = NULL;
	struct sk_buff *skb = NULL;
	int why = SST_CREDIT_NO_SOCKET;
	struct flowi4 fl4 = {};
	struct rtable *rt;
	struct sock *sk;

	if (be32_to_cpu(hdr->len) < sizeof(*cr) ||
	    be32_to_cpu(hdr->len) != sizeof(*cr) + 8 * cr->nsack ||
	    cr->nsack > 4) {
		trace_sst_credit_drop(be64_to_cpu(hdr->conn_id), peer->addr, 0,
				      SST_CREDIT_MALFORMED);
		sst_stat_inc(sn, SST_STAT_DROPS);
		return -EINVAL;
	}
	sk = sst_passive_sock_get(net, peer->addr, be64_to_cpu(hdr->conn_id),
				  be32_to_cpu(cr->seq_start));
	if (!sk)
		goto drop;
	/*
	 * The device that routes to the client, so reverse-path filtering
	 * accepts the ACK. Not the socket's cached route: a retransmission
	 * timeout resets it, and every credit until the next transmission
	 * would be lost, the one that opens a zero window among them.
	 */
	fl4.daddr = inet_sk(sk)->inet_daddr;
	fl4.saddr = inet_sk(sk)->inet_saddr;
	rt = ip_route_output_key(net, &fl4);
	if (!IS_ERR(rt)) {
		dev = rt->dst.dev;	/* stays valid under RCU */
		ip_rt_put(rt);
		why = SST_CREDIT_NO_MEMORY;
		skb = sst_credit_skb(sk, cr);
	} else {
		why = SST_CREDIT_NO_ROUTE;
	}
	sock_put(sk);
	if (!skb)
		goto drop;
	skb->dev = dev;
	skb_reset_mac_header(skb);
	netif_rx(skb);
	return 0;
drop:
	trace_sst_credit_drop(be64_to_cpu(hdr->conn_id), peer->addr,
			      be32_to_cpu(cr->seq_start), why);
	sst_stat_inc(sn, SST_STAT_DROPS);
	return -ENOENT;
}

int sst_credit_init(void)
{
	return sst_ctrl_register(SST_MSG_SEND_PACKET, sst_rx_credit);
}

void sst_credit_exit(void)
{
	sst_ctrl_unregister(SST_MSG_SEND_PACKET);
}
