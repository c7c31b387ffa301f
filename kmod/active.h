/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The active layer (DS side): handoff, GC-pending half-pipes, ACK split.
 */
#ifndef _SST_ACTIVE_H
#define _SST_ACTIVE_H

#include <uapi/linux/splitstack.h>

struct net;
struct socket;

int sst_active_handoff(struct socket *sock, struct sst_handoff *h,
		       const void *req);
void sst_active_net_stop(struct net *net);
void sst_active_net_cleanup(struct net *net);
int sst_active_init(void);
void sst_active_exit(void);

#endif /* _SST_ACTIVE_H */
