/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SST_NETLINK_H
#define _SST_NETLINK_H

#include <linux/types.h>

struct net;

/* One event for the "events" multicast group (SST_CMD_EVENT). */
struct sst_nl_event {
	u8 type;		/* enum sst_event */
	u64 conn_id;
	__be32 peer;
	u32 seq_start;
	u32 seq_end;
	int err;
	u32 sent;
	u64 dur_ns;
};

void sst_nl_event(struct net *net, const struct sst_nl_event *ev);
int sst_genl_init(void);
void sst_genl_exit(void);

#endif /* _SST_NETLINK_H */
