/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SST_CREDIT_H
#define _SST_CREDIT_H

int sst_credit_init(void);
void sst_credit_exit(void);

#endif /* _SST_CREDIT_H */
