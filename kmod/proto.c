// SPDX-License-Identifier: GPL-2.0
/*
 * The control wire format: header encoding and checks, HMAC-SHA256 over
 * a pseudo-header (addresses and ports), header and body, and the sliding
 * replay window.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <linux/err.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include "proto.h"

static_assert(sizeof(struct sst_wire_hdr) == 32);
static_assert(sizeof(struct sst_wire_ack) == 8);
static_assert(sizeof(struct sst_wire_pseudo) == 12);
/* A ring indexed by seq % window: a power of two keeps it consistent
 * across the wrap of seq.
 */
static_assert((SST_WIRE_REPLAY_WINDOW & (SST_WIRE_REPLAY_WINDOW - 1)) == 0);

/**
 * sst_key_new - an HMAC-SHA256 transform keyed with @raw
 * @raw: key bytes
 * @len: key length
 *
 * Context: process context, may sleep (and load the hmac module).
 * Return: the key or an ERR_PTR.
 */
struct sst_key *sst_key_new(const u8 *raw, unsigned int len)
{
	struct sst_key *key;
	int ret;

	key = kzalloc(sizeof(*key), GFP_KERNEL);
	if (!key)
		return ERR_PTR(-ENOMEM);
	key->tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(key->tfm)) {
		ret = PTR_ERR(key->tfm);
		goto err_free;
	}
	if (crypto_shash_digestsize(key->tfm) != SST_WIRE_MAC_LEN) {
		ret = -EINVAL;
		goto err_tfm;
	}
	ret = crypto_shash_setkey(key->tfm, raw, len);
	if (ret)
		goto err_tfm;
	return key;

err_tfm:
	crypto_free_shash(key->tfm);
err_free:
	kfree(key);
	return ERR_PTR(ret);
}

/**
 * sst_key_free - free a key no reader can see any more
 * @key: the key, or NULL
 *
 * Context: process context; the caller waited for an RCU grace period
 * after unpublishing @key.
 */
void sst_key_free(struct sst_key *key)
{
	if (!key)
		return;
	crypto_free_shash(key->tfm);
	kfree(key);
}

void sst_proto_hdr_init(struct sst_wire_hdr *h, u8 type, u16 flags, u32 len,
			u32 epoch, u32 seq, u64 conn_id)
{
	h->magic = cpu_to_be32(SST_WIRE_MAGIC);
	h->version = SST_WIRE_VERSION;
	h->type = type;
	h->flags = cpu_to_be16(flags);
	h->len = cpu_to_be32(len);
	h->epoch = cpu_to_be32(epoch);
	h->seq = cpu_to_be32(seq);
	h->reserved = 0;
	h->conn_id = cpu_to_be64(conn_id);
}

/**
 * sst_proto_check_hdr - structural checks of a received header
 * @h:    the header
 * @dlen: the whole UDP payload length (header, body and MAC)
 *
 * Return: 0 if well formed, -EBADMSG otherwise. The MAC is not checked.
 */
int sst_proto_check_hdr(const struct sst_wire_hdr *h, unsigned int dlen)
{
	u32 len = be32_to_cpu(h->len);

	if (dlen < SST_WIRE_HDR_LEN + SST_WIRE_MAC_LEN)
		return -EBADMSG;
	if (be32_to_cpu(h->magic) != SST_WIRE_MAGIC ||
	    h->version != SST_WIRE_VERSION || h->reserved)
		return -EBADMSG;
	if (!h->type || h->type >= __SST_MSG_MAX)
		return -EBADMSG;
	if (be16_to_cpu(h->flags) & ~SST_WIRE_F_ALL)
		return -EBADMSG;
	if (len > SST_WIRE_MAX_BODY ||
	    len != dlen - SST_WIRE_HDR_LEN - SST_WIRE_MAC_LEN)
		return -EBADMSG;
	if (!h->seq)
		return -EBADMSG;
	switch (h->type) {
	case SST_MSG_KEEPALIVE:
		if (len)
			return -EBADMSG;
		break;
	case SST_MSG_ACK:
		/* An ACK is never acknowledged itself. */
		if (len != sizeof(struct sst_wire_ack) ||
		    (be16_to_cpu(h->flags) & SST_WIRE_F_RELIABLE))
			return -EBADMSG;
		break;
	}
	return 0;
}

/**
 * sst_proto_mac - HMAC-SHA256 of a pseudo-header and @len bytes at @msg
 * @key: the key
 * @ph:  the datagram's addresses and ports
 * @msg: header and body
 * @len: their length
 * @mac: output, SST_WIRE_MAC_LEN bytes
 *
 * Context: any; the caller holds the RCU read lock that keeps @key alive.
 */
int sst_proto_mac(const struct sst_key *key, const struct sst_wire_pseudo *ph,
		  const void *msg, unsigned int len, u8 *mac)
{
	SHASH_DESC_ON_STACK(desc, key->tfm);
	int ret;

	desc->tfm = key->tfm;
	ret = crypto_shash_init(desc);
	if (!ret)
		ret = crypto_shash_update(desc, (const u8 *)ph, sizeof(*ph));
	if (!ret)
		ret = crypto_shash_finup(desc, msg, len, mac);
	shash_desc_zero(desc);
	return ret;
}

/**
 * sst_proto_verify - check the MAC of a message in constant time
 * @key: the key
 * @ph:  the received datagram's addresses and ports
 * @msg: header and body
 * @len: their length
 * @mac: the received MAC, SST_WIRE_MAC_LEN bytes
 *
 * Return: 0 if it matches, -EBADMSG if not, another error if the hash
 * failed.
 */
int sst_proto_verify(const struct sst_key *key,
		     const struct sst_wire_pseudo *ph, const void *msg,
		     unsigned int len, const u8 *mac)
{
	u8 want[SST_WIRE_MAC_LEN];
	int ret;

	ret = sst_proto_mac(key, ph, msg, len, want);
	if (!ret && crypto_memneq(want, mac, SST_WIRE_MAC_LEN))
		ret = -EBADMSG;
	memzero_explicit(want, sizeof(want));
	return ret;
}

void sst_replay_init(struct sst_replay *r)
{
	spin_lock_init(&r->lock);
	r->valid = false;
}

/**
 * sst_replay_check - record (@epoch, @seq) of an authenticated message
 * @r:     the sender's window
 * @epoch: the message's epoch
 * @seq:   the message's sequence number, not 0
 *
 * An epoch too old or too far ahead of our clock is refused whatever the
 * window holds (SST_WIRE_EPOCH_MAX_AGE: a window forgotten by a restart
 * must not take old traffic again). A newer epoch restarts the window; an
 * older one is refused. Within the
 * epoch, the last SST_WIRE_REPLAY_WINDOW sequence numbers up to the
 * highest one seen are remembered; anything below is refused. A FRESH
 * message must be settled with sst_replay_settle() once its handler is
 * done with it.
 *
 * Context: any (softirq included).
 */
enum sst_replay_verdict sst_replay_check(struct sst_replay *r, u32 epoch,
					 u32 seq)
{
	enum sst_replay_verdict v = SST_REPLAY_FRESH;
	unsigned int bit = seq % SST_WIRE_REPLAY_WINDOW;
	s32 age = (s32)((u32)ktime_get_real_seconds() - epoch);
	u32 diff, s;

	if (age > SST_WIRE_EPOCH_MAX_AGE || age < -SST_WIRE_EPOCH_MAX_AHEAD)
		return SST_REPLAY_OLD;
	spin_lock_bh(&r->lock);
	if (!r->valid || epoch > r->epoch) {
		r->valid = true;
		r->epoch = epoch;
		r->top = seq;
		bitmap_zero(r->seen, SST_WIRE_REPLAY_WINDOW);
		bitmap_zero(r->taken, SST_WIRE_REPLAY_WINDOW);
		__set_bit(bit, r->seen);
	} else if (epoch < r->epoch) {
		v = SST_REPLAY_OLD;
	} else if (seq > r->top) {
		diff = seq - r->top;
		if (diff >= SST_WIRE_REPLAY_WINDOW) {
			bitmap_zero(r->seen, SST_WIRE_REPLAY_WINDOW);
			bitmap_zero(r->taken, SST_WIRE_REPLAY_WINDOW);
		} else {
			/* Forget the seqs a window below the ones we pass. */
			for (s = r->top + 1; s != seq + 1; s++) {
				__clear_bit(s % SST_WIRE_REPLAY_WINDOW, r->seen);
				__clear_bit(s % SST_WIRE_REPLAY_WINDOW, r->taken);
			}
		}
		__set_bit(bit, r->seen);
		r->top = seq;
	} else {
		diff = r->top - seq;
		if (diff >= SST_WIRE_REPLAY_WINDOW)
			v = SST_REPLAY_OLD;
		else if (test_bit(bit, r->taken))
			v = SST_REPLAY_DUP;
		else if (test_bit(bit, r->seen))
			v = SST_REPLAY_OLD;
		else
			__set_bit(bit, r->seen);
	}
	spin_unlock_bh(&r->lock);
	return v;
}

/**
 * sst_replay_settle - say what became of a FRESH (@epoch, @seq)
 * @r:       the sender's window
 * @epoch:   the message's epoch
 * @seq:     its sequence number
 * @outcome: TAKEN (a copy is a DUP: acknowledged again, not delivered
 *           again), REFUSED (a copy is OLD) or RETRY (forgotten: a copy
 *           is FRESH and goes to the handler again)
 *
 * Nothing happens if the window has moved past @seq meanwhile.
 * Context: any (softirq included).
 */
void sst_replay_settle(struct sst_replay *r, u32 epoch, u32 seq,
		       enum sst_replay_outcome outcome)
{
	u32 diff;

	spin_lock_bh(&r->lock);
	diff = r->top - seq;
	if (r->valid && epoch == r->epoch && seq <= r->top &&
	    diff < SST_WIRE_REPLAY_WINDOW) {
		if (outcome == SST_REPLAY_TAKEN)
			__set_bit(seq % SST_WIRE_REPLAY_WINDOW, r->taken);
		else if (outcome == SST_REPLAY_RETRY)
			__clear_bit(seq % SST_WIRE_REPLAY_WINDOW, r->seen);
	}
	spin_unlock_bh(&r->lock);
}
