/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SST_NETLINK_H
#define _SST_NETLINK_H

int sst_genl_init(void);
void sst_genl_exit(void);

#endif /* _SST_NETLINK_H */
