/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control wire format: header checks, HMAC-SHA256 authentication and
 * the per-peer replay window. No socket here; see ctrl.c.
 */
#ifndef _SST_PROTO_H
#define _SST_PROTO_H

#include <linux/bitmap.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <asm/byteorder.h>
#include <uapi/linux/splitstack.h>

#define SST_WIRE_HDR_LEN	sizeof(struct sst_wire_hdr)
#define SST_WIRE_F_ALL		(SST_WIRE_F_RELIABLE | SST_WIRE_F_PIGGYBACK)

struct crypto_shash;

/**
 * struct sst_key - an HMAC-SHA256 transform keyed with the namespace key
 * @rcu: deferred free; readers use the key under RCU (any flavour)
 * @tfm: keyed once at creation, never re-keyed: a new key is a new
 *       struct sst_key, so concurrent users always see a consistent key
 */
struct sst_key {
	struct rcu_head rcu;
	struct crypto_shash *tfm;
};

struct sst_key *sst_key_new(const u8 *raw, unsigned int len);
void sst_key_free(struct sst_key *key);

/**
 * struct sst_wire_pseudo - the addresses a message is bound to
 * @saddr: IPv4 source address of the datagram
 * @daddr: IPv4 destination address
 * @sport: UDP source port
 * @dport: UDP destination port
 *
 * Covered by the MAC (ahead of header and body) but not sent: a message
 * only verifies on the node and port it was sent to, and only as coming
 * from the address and port that sent it. All in network byte order.
 */
struct sst_wire_pseudo {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
};

void sst_proto_hdr_init(struct sst_wire_hdr *h, u8 type, u16 flags, u32 len,
			u32 epoch, u32 seq, u64 conn_id);
int sst_proto_check_hdr(const struct sst_wire_hdr *h, unsigned int dlen);
int sst_proto_mac(const struct sst_key *key, const struct sst_wire_pseudo *ph,
		  const void *msg, unsigned int len, u8 *mac);
int sst_proto_verify(const struct sst_key *key,
		     const struct sst_wire_pseudo *ph, const void *msg,
		     unsigned int len, const u8 *mac);

/**
 * struct sst_replay - what a receiver remembers of one sender
 * @lock:   serialises the CPUs receiving from the sender
 * @valid:  an (epoch, seq) has been accepted
 * @epoch:  newest accepted epoch
 * @top:    highest seq seen within @epoch
 * @seen:   bit (seq % SST_WIRE_REPLAY_WINDOW) set: seq, within the window
 *          below @top, was seen (a ring: moving @top clears the bits of
 *          the seqs it passes)
 * @taken:  the same for seqs also taken by their handler (and, if
 *          reliable, acknowledged): a copy of one is acknowledged again
 */
struct sst_replay {
	spinlock_t lock;	/* valid, epoch, top, seen, taken */
	bool valid;
	u32 epoch;
	u32 top;
	DECLARE_BITMAP(seen, SST_WIRE_REPLAY_WINDOW);
	DECLARE_BITMAP(taken, SST_WIRE_REPLAY_WINDOW);
};

enum sst_replay_verdict {
	SST_REPLAY_FRESH,	/* first time seen: recorded */
	SST_REPLAY_DUP,		/* inside the window, seen and taken before */
	SST_REPLAY_OLD,		/* older epoch, below the window, or seen
				 * before but not taken (refused, or still
				 * being handled on another CPU)
				 */
};

/* What became of a FRESH message, see sst_replay_settle(). */
enum sst_replay_outcome {
	SST_REPLAY_TAKEN,	/* delivered: copies are DUPs */
	SST_REPLAY_REFUSED,	/* refused for good: copies are OLD */
	SST_REPLAY_RETRY,	/* refused for now: a copy is FRESH again */
};

void sst_replay_init(struct sst_replay *r);
enum sst_replay_verdict sst_replay_check(struct sst_replay *r, u32 epoch,
					 u32 seq);
void sst_replay_settle(struct sst_replay *r, u32 epoch, u32 seq,
		       enum sst_replay_outcome outcome);

/* The congestion state of a SETUP or DATA_DONE is in the range the
 * kernel's TCP accepts (uapi: SST_WIRE_MAX_*).
 */
static inline bool sst_wire_cc_valid(__be32 cwnd, __be32 ssthresh,
				     __be32 srtt_us, __be32 mdev_us)
{
	return be32_to_cpu(cwnd) <= SST_WIRE_MAX_CWND &&
	       be32_to_cpu(ssthresh) <= SST_WIRE_MAX_SSTHRESH &&
	       be32_to_cpu(srtt_us) <= SST_WIRE_MAX_SRTT &&
	       be32_to_cpu(mdev_us) <= SST_WIRE_MAX_MDEV;
}

#endif /* _SST_PROTO_H */
