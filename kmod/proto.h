/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control wire format: header checks, HMAC-SHA256 authentication and
 * the per-peer replay window. No socket here; see ctrl.c.
 */
#ifndef _SST_PROTO_H
#define _SST_PROTO_H

#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
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

void sst_proto_hdr_init(struct sst_wire_hdr *h, u8 type, u16 flags, u32 len,
			u32 epoch, u32 seq, u64 conn_id);
int sst_proto_check_hdr(const struct sst_wire_hdr *h, unsigned int dlen);
int sst_proto_mac(const struct sst_key *key, const void *msg,
		  unsigned int len, u8 *mac);
int sst_proto_verify(const struct sst_key *key, const void *msg,
		     unsigned int len, const u8 *mac);

/**
 * struct sst_replay - what a receiver remembers of one sender
 * @lock:   serialises the CPUs receiving from the sender
 * @valid:  an (epoch, seq) has been accepted
 * @epoch:  newest accepted epoch
 * @top:    highest accepted seq within @epoch
 * @bitmap: bit i set: seq @top - i was accepted (SST_WIRE_REPLAY_WINDOW bits)
 */
struct sst_replay {
	spinlock_t lock;	/* valid, epoch, top, bitmap */
	bool valid;
	u32 epoch;
	u32 top;
	u64 bitmap;
};

enum sst_replay_verdict {
	SST_REPLAY_FRESH,	/* first time seen: accepted and recorded */
	SST_REPLAY_DUP,		/* inside the window and already accepted */
	SST_REPLAY_OLD,		/* older epoch, or below the window */
};

void sst_replay_init(struct sst_replay *r);
enum sst_replay_verdict sst_replay_check(struct sst_replay *r, u32 epoch,
					 u32 seq);

#endif /* _SST_PROTO_H */
