/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SST_DEVICE_H
#define _SST_DEVICE_H

int sst_device_init(void);
void sst_device_exit(void);

#endif /* _SST_DEVICE_H */
