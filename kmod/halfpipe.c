// SPDX-License-Identifier: GPL-2.0
/*
 * The GC-pending half-pipe table of a namespace.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <net/tcp.h>
#include "halfpipe.h"
#include "netns.h"

/* Bytes of @hp the client has not acknowledged; 0 before DATA_DONE too. */
u32 sst_halfpipe_unacked(const struct sst_halfpipe *hp)
{
	if (hp->state < SST_HP_DONE || !after(hp->seq_end, hp->snd_una))
		return 0;
	return hp->seq_end - hp->snd_una;
}
