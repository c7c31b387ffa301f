/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SST_HALFPIPE_H
#define _SST_HALFPIPE_H

#include <linux/list.h>
#include <linux/types.h>

struct sst_net;

/**
 * struct sst_halfpipe - one cluster->client half-pipe the DS has handed off
 *	and that the client has not fully acknowledged yet (GC-pending)
 * @node:        entry in sst_net.halfpipes
 * @id:          connection id, shared by every half-pipe of one connection
 * @client_addr: client address, network byte order
 * @vip_addr:    service address the client connected to
 * @os_addr:     optimal server sending this half-pipe
 * @client_port: client port, network byte order
 * @vip_port:    service port, network byte order
 * @seq_start:   first sequence number the OS sends
 * @seq_end:     next sequence number after its data, valid from DATA_DONE
 * @snd_una:     highest cumulative client acknowledgment seen
 * @state:       enum sst_hp_state
 * @created:     jiffies at SETUP
 */
struct sst_halfpipe {
	struct list_head node;
	u64 id;
	__be32 client_addr;
	__be32 vip_addr;
	__be32 os_addr;
	__be16 client_port;
	__be16 vip_port;
	u32 seq_start;
	u32 seq_end;
	u32 snd_una;
	u8 state;
	unsigned long created;
};

u32 sst_halfpipe_unacked(const struct sst_halfpipe *hp);

#endif /* _SST_HALFPIPE_H */
