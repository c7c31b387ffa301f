/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "splitstack" TCP ULP: keeps a passive socket's FIN (and its close
 * RSTs) off the wire and tells the passive layer when the application is
 * done with it.
 */
#ifndef _SST_ULP_H
#define _SST_ULP_H

struct socket;
struct sst_passive;

int sst_ulp_attach(struct socket *sock, struct sst_passive *pv);
int sst_ulp_init(void);
void sst_ulp_exit(void);

#endif /* _SST_ULP_H */
