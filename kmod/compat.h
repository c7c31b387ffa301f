/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels Split-Stack builds for (Debian's 6.1 and
 * 6.12), kept in one place. Features are detected by Kbuild from the
 * kernel headers (SST_HAVE_*), not by version number, so backports work.
 */
#ifndef _SST_COMPAT_H
#define _SST_COMPAT_H

#include <net/request_sock.h>
#include <net/tcp.h>

/*
 * request_sock_ops.send_reset of a request_sock that is never in the SYN
 * table: nothing to do. 6.10 added an enum sk_rst_reason argument.
 */
#ifdef SST_HAVE_RST_REASON
static inline void sst_rsk_send_reset(const struct sock *sk,
				      struct sk_buff *skb,
				      enum sk_rst_reason reason)
{
}
#else
static inline void sst_rsk_send_reset(const struct sock *sk,
				      struct sk_buff *skb)
{
}
#endif

/*
 * TCP_TIMESTAMP under repair: 6.7 made bit 0 of the value the "usec
 * timestamps" flag. We only ever restore millisecond timestamps, so on
 * those kernels the value is rounded up to an even one (never below the
 * DS's TSval: the client's PAWS check tolerates only one tick backwards).
 */
static inline u32 sst_repair_tsval(u32 tsval)
{
#ifdef SST_HAVE_USEC_TS
	return (tsval + 1) & ~1U;
#else
	return tsval;
#endif
}

/* The connection negotiated microsecond timestamps (6.7+, BPF only). */
static inline bool compat_tcp_usec_ts(const struct tcp_sock *tp)
{
#ifdef SST_HAVE_USEC_TS
	return tp->tcp_usec_ts;
#else
	return false;
#endif
}

/* The TSval a millisecond-timestamp socket would stamp now. */
static inline u32 sst_tcp_tsval_now(const struct tcp_sock *tp)
{
#ifdef SST_HAVE_USEC_TS
	return tcp_clock_ts(false) + READ_ONCE(tp->tsoffset);
#else
	return tcp_time_stamp_raw() + READ_ONCE(tp->tsoffset);
#endif
}

/* A pure ACK for @rcv_nxt now. 6.11 added the flags of its segment. */
static inline void sst_tcp_send_ack(struct sock *sk, u32 rcv_nxt)
{
#ifdef SST_HAVE_SEND_ACK_FLAGS
	__tcp_send_ack(sk, rcv_nxt, 0);
#else
	__tcp_send_ack(sk, rcv_nxt);
#endif
}

#endif /* _SST_COMPAT_H */
