// SPDX-License-Identifier: GPL-2.0
/*
 * The "splitstack" generic netlink family: peers, half-pipes, stats and
 * configuration of the caller's network namespace. See the uapi header for
 * the commands and their attributes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/socket.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include "ctrl.h"
#include "halfpipe.h"
#include "netlink.h"
#include "netns.h"
#include "peer.h"

/* Not const: 6.1 takes a plain pointer. */
static struct netlink_range_validation sst_keepalive_range = {
	.min = SST_MIN_KEEPALIVE_MS,
	.max = SST_MAX_KEEPALIVE_MS,
};

static const struct nla_policy sst_policy[SST_A_MAX + 1] = {
	[SST_A_FAMILY]		= { .type = NLA_U16 },
	[SST_A_ADDR]		= { .type = NLA_BINARY, .len = 16 },
	[SST_A_PORT]		= NLA_POLICY_MIN(NLA_U16, 1),
	[SST_A_HALFPIPE]	= { .type = NLA_REJECT },
	[SST_A_STATS]		= { .type = NLA_REJECT },
	[SST_A_CTRL_PORT]	= NLA_POLICY_MIN(NLA_U16, 1),
	[SST_A_KEEPALIVE_MS]	= NLA_POLICY_FULL_RANGE(NLA_U32,
							&sst_keepalive_range),
	[SST_A_AUTH_KEY]	= NLA_POLICY_EXACT_LEN(SST_AUTH_KEY_LEN),
	[SST_A_AUTH_KEY_SET]	= { .type = NLA_REJECT },
	[SST_A_MODE]		= NLA_POLICY_MAX(NLA_U8, SST_MODE_MAX),
	[SST_A_LAST_HEARD_MS]	= { .type = NLA_REJECT },
	[SST_A_EVENT]		= { .type = NLA_REJECT },
};

enum { SST_MCGRP_EVENTS };

/*
 * As the state dumps: events carry client connection ids and sequences.
 * (A group's flags are GENL_MCAST_CAP_*: GENL_UNS_ADMIN_PERM there is
 * silently ignored, and anyone could join.)
 */
static const struct genl_multicast_group sst_mcgrps[] = {
	[SST_MCGRP_EVENTS] = { .name = SST_GENL_MCGRP_EVENTS,
			       .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family sst_genl_family;

static struct sst_net *sst_info_net(struct genl_info *info)
{
	return sst_net(genl_info_net(info));
}

/* Parses SST_A_FAMILY + SST_A_ADDR into an IPv4 address. */
static int sst_parse_addr(struct genl_info *info, __be32 *addr)
{
	struct nlattr *a = info->attrs[SST_A_ADDR];
	struct nlattr *f = info->attrs[SST_A_FAMILY];

	if (!f) {
		NL_SET_ERR_MSG(info->extack,
			       "missing address family (SST_A_FAMILY)");
		return -EINVAL;
	}
	if (!a) {
		NL_SET_ERR_MSG(info->extack, "missing address (SST_A_ADDR)");
		return -EINVAL;
	}
	switch (nla_get_u16(f)) {
	case AF_INET:
		break;
	case AF_INET6:
		NL_SET_ERR_MSG_ATTR(info->extack, f,
				    "IPv6 peers are not supported yet");
		return -EAFNOSUPPORT;
	default:
		NL_SET_ERR_MSG_ATTR(info->extack, f,
				    "unknown address family");
		return -EINVAL;
	}
	if (nla_len(a) != sizeof(*addr)) {
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "an IPv4 address is 4 bytes");
		return -EINVAL;
	}
	*addr = nla_get_in_addr(a);
	if (ipv4_is_zeronet(*addr) || ipv4_is_multicast(*addr) ||
	    ipv4_is_lbcast(*addr)) {
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "not a unicast IPv4 address");
		return -EINVAL;
	}
	return 0;
}

static int sst_nl_peer_add(struct sk_buff *skb, struct genl_info *info)
{
	u16 port = SST_DEFAULT_CTRL_PORT;
	struct sst_net *sn;
	__be32 addr;
	int ret;

	ret = sst_parse_addr(info, &addr);
	if (ret)
		return ret;
	if (info->attrs[SST_A_PORT])
		port = nla_get_u16(info->attrs[SST_A_PORT]);

	sn = sst_info_net(info);
	mutex_lock(&sn->lock);
	/* The first peer needs the control socket. */
	ret = sst_ctrl_open(sn, info->extack);
	if (!ret)
		ret = sst_peer_add_locked(sn, addr, port);
	mutex_unlock(&sn->lock);
	if (ret == -EEXIST)
		NL_SET_ERR_MSG(info->extack, "peer already exists");
	else if (ret == -ENOSPC)
		NL_SET_ERR_MSG(info->extack, "peer table is full");
	return ret;
}

static int sst_nl_peer_del(struct sk_buff *skb, struct genl_info *info)
{
	__be32 addr;
	int ret;

	ret = sst_parse_addr(info, &addr);
	if (ret)
		return ret;
	ret = sst_peer_del(sst_info_net(info), addr);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "no such peer");
	return ret;
}

static int sst_nl_peer_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct sst_net *sn = sst_net(sock_net(skb->sk));
	long idx = 0, start = cb->args[0];
	u64 now = ktime_get_ns(), last;
	struct sst_peer *p;
	void *hdr;
	int ret = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(p, &sn->peers, node) {
		if (idx++ < start)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &sst_genl_family,
				  NLM_F_MULTI, SST_CMD_PEER_GET);
		if (!hdr) {
			ret = -EMSGSIZE;
			break;
		}
		last = READ_ONCE(p->last_rx_ns);
		if (nla_put_u16(skb, SST_A_FAMILY, AF_INET) ||
		    nla_put_in_addr(skb, SST_A_ADDR, p->addr) ||
		    nla_put_u16(skb, SST_A_PORT, p->port) ||
		    (last && nla_put_u64_64bit(skb, SST_A_LAST_HEARD_MS,
					       div_u64(now > last ? now - last : 0,
						       NSEC_PER_MSEC),
					       SST_A_PAD))) {
			genlmsg_cancel(skb, hdr);
			ret = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = idx;
	}
	rcu_read_unlock();

	/* A full skb ends this round; the next one resumes at args[0]. */
	if (ret && !skb->len)
		return ret;
	return skb->len;
}

static int sst_fill_halfpipe(struct sk_buff *skb, const struct sst_halfpipe *hp)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, SST_A_HALFPIPE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, SST_HP_A_ID, hp->id, SST_HP_A_PAD) ||
	    nla_put_u16(skb, SST_HP_A_FAMILY, AF_INET) ||
	    nla_put_in_addr(skb, SST_HP_A_CLIENT_ADDR, hp->client_addr) ||
	    nla_put_u16(skb, SST_HP_A_CLIENT_PORT, ntohs(hp->client_port)) ||
	    nla_put_in_addr(skb, SST_HP_A_VIP_ADDR, hp->vip_addr) ||
	    nla_put_u16(skb, SST_HP_A_VIP_PORT, ntohs(hp->vip_port)) ||
	    nla_put_in_addr(skb, SST_HP_A_OS_ADDR, hp->os_addr) ||
	    nla_put_u32(skb, SST_HP_A_SEQ_START, hp->seq_start) ||
	    nla_put_u32(skb, SST_HP_A_SEQ_END, hp->seq_end) ||
	    nla_put_u8(skb, SST_HP_A_STATE, hp->state) ||
	    nla_put_u32(skb, SST_HP_A_UNACKED, sst_halfpipe_unacked(hp)) ||
	    nla_put_u64_64bit(skb, SST_HP_A_AGE_MS,
			      jiffies_to_msecs(jiffies - hp->created),
			      SST_HP_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int sst_nl_halfpipe_dump(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct sst_net *sn = sst_net(sock_net(skb->sk));
	long idx = 0, start = cb->args[0];
	struct sst_halfpipe *hp;
	void *hdr;
	int ret = 0;

	spin_lock_bh(&sn->hp_lock);
	list_for_each_entry(hp, &sn->halfpipes, node) {
		if (idx++ < start)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &sst_genl_family,
				  NLM_F_MULTI, SST_CMD_HALFPIPE_GET);
		if (!hdr || sst_fill_halfpipe(skb, hp)) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			ret = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = idx;
	}
	spin_unlock_bh(&sn->hp_lock);

	if (ret && !skb->len)
		return ret;
	return skb->len;
}

/* Allocates a reply to @info for command @cmd. */
static struct sk_buff *sst_reply_new(struct genl_info *info, u8 cmd,
				     size_t size, void **hdr)
{
	struct sk_buff *msg;

	msg = genlmsg_new(size, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put_reply(msg, info, &sst_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int sst_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct sst_stats st;
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;
	int i;

	sst_stats_read(sst_info_net(info), &st);

	msg = sst_reply_new(info, SST_CMD_STATS_GET,
			    nla_total_size(0) +
			    __SST_STAT_MAX * nla_total_size_64bit(sizeof(u64)),
			    &hdr);
	if (!msg)
		return -ENOMEM;
	nest = nla_nest_start(msg, SST_A_STATS);
	if (!nest)
		goto nospace;
	for (i = SST_STAT_SETUPS; i < __SST_STAT_MAX; i++)
		if (nla_put_u64_64bit(msg, i, st.cnt[i], SST_STAT_PAD))
			goto nospace;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int sst_nl_config_get(struct sk_buff *skb, struct genl_info *info)
{
	struct sst_net *sn = sst_info_net(info);
	struct sst_config cfg;
	struct sk_buff *msg;
	void *hdr;

	mutex_lock(&sn->lock);
	cfg = sn->config;
	mutex_unlock(&sn->lock);

	msg = sst_reply_new(info, SST_CMD_CONFIG_GET, NLMSG_GOODSIZE, &hdr);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u16(msg, SST_A_CTRL_PORT, cfg.ctrl_port) ||
	    nla_put_u32(msg, SST_A_KEEPALIVE_MS, cfg.keepalive_ms) ||
	    nla_put_u8(msg, SST_A_MODE, cfg.mode) ||
	    nla_put_u8(msg, SST_A_AUTH_KEY_SET, cfg.key_set)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	memzero_explicit(&cfg, sizeof(cfg));
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int sst_nl_config_set(struct sk_buff *skb, struct genl_info *info)
{
	struct sst_net *sn = sst_info_net(info);
	struct nlattr **a = info->attrs;
	struct socket *sock = NULL;
	struct sst_key *key = NULL;
	int ret;

	/* The policy has checked every value: apply them all or none. */
	if (!a[SST_A_CTRL_PORT] && !a[SST_A_KEEPALIVE_MS] &&
	    !a[SST_A_AUTH_KEY] && !a[SST_A_MODE]) {
		NL_SET_ERR_MSG(info->extack, "nothing to set");
		return -EINVAL;
	}

	mutex_lock(&sn->lock);
	/* What can fail comes first: binding the new port, the new key. */
	if (a[SST_A_CTRL_PORT]) {
		ret = sst_ctrl_prepare_port(sn, nla_get_u16(a[SST_A_CTRL_PORT]),
					    &sock, info->extack);
		if (ret) {
			NL_SET_BAD_ATTR(info->extack, a[SST_A_CTRL_PORT]);
			goto out;
		}
	}
	if (a[SST_A_AUTH_KEY]) {
		key = sst_key_new(nla_data(a[SST_A_AUTH_KEY]),
				  SST_AUTH_KEY_LEN);
		if (IS_ERR(key)) {
			ret = PTR_ERR(key);
			NL_SET_ERR_MSG(info->extack,
				       "cannot set up HMAC-SHA256 with the key");
			sst_ctrl_abort_port(sock);
			goto out;
		}
	}

	if (a[SST_A_CTRL_PORT]) {
		sst_ctrl_commit_port(sn, sock);
		WRITE_ONCE(sn->config.ctrl_port,
			   nla_get_u16(a[SST_A_CTRL_PORT]));
	}
	if (a[SST_A_KEEPALIVE_MS]) {
		WRITE_ONCE(sn->config.keepalive_ms,
			   nla_get_u32(a[SST_A_KEEPALIVE_MS]));
		sst_ctrl_keepalive_changed(sn);
	}
	if (a[SST_A_MODE])
		WRITE_ONCE(sn->config.mode, nla_get_u8(a[SST_A_MODE]));
	if (key) {
		nla_memcpy(sn->config.key, a[SST_A_AUTH_KEY],
			   sizeof(sn->config.key));
		sn->config.key_set = true;
		sst_ctrl_commit_key(sn, key);
	}
	ret = 0;
out:
	mutex_unlock(&sn->lock);
	return ret;
}

static const struct genl_ops sst_genl_ops[] = {
	{
		.cmd = SST_CMD_PEER_ADD,
		.doit = sst_nl_peer_add,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = SST_CMD_PEER_DEL,
		.doit = sst_nl_peer_del,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = SST_CMD_PEER_GET,
		.dumpit = sst_nl_peer_dump,
		/* State dumps, as WireGuard's: addresses, sequence numbers. */
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = SST_CMD_HALFPIPE_GET,
		.dumpit = sst_nl_halfpipe_dump,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = SST_CMD_STATS_GET,
		.doit = sst_nl_stats_get,
	}, {
		.cmd = SST_CMD_CONFIG_GET,
		.doit = sst_nl_config_get,
	}, {
		.cmd = SST_CMD_CONFIG_SET,
		.doit = sst_nl_config_set,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family sst_genl_family __ro_after_init = {
	.name = SST_GENL_NAME,
	.version = SST_GENL_VERSION,
	.maxattr = SST_A_MAX,
	.policy = sst_policy,
	.netnsok = true,
	.resv_start_op = 0,	/* strict validation for every command */
	.ops = sst_genl_ops,
	.n_ops = ARRAY_SIZE(sst_genl_ops),
	.mcgrps = sst_mcgrps,
	.n_mcgrps = ARRAY_SIZE(sst_mcgrps),
	.module = THIS_MODULE,
};

/**
 * sst_nl_event - tell the namespace's "events" listeners about @ev
 * @net: the namespace
 * @ev:  the event; fields its type does not have are left out if zero
 *
 * Costs nothing without listeners. A listener whose buffer is full loses
 * the event. Context: any but hardirq (GFP_ATOMIC).
 */
void sst_nl_event(struct net *net, const struct sst_nl_event *ev)
{
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;

	if (!genl_has_listeners(&sst_genl_family, net, SST_MCGRP_EVENTS))
		return;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &sst_genl_family, 0, SST_CMD_EVENT);
	if (!hdr)
		goto fail;
	nest = nla_nest_start(msg, SST_A_EVENT);
	if (!nest ||
	    nla_put_u8(msg, SST_EV_A_TYPE, ev->type) ||
	    nla_put_u64_64bit(msg, SST_EV_A_CONN_ID, ev->conn_id,
			      SST_EV_A_PAD) ||
	    nla_put_u16(msg, SST_EV_A_FAMILY, AF_INET) ||
	    nla_put_in_addr(msg, SST_EV_A_PEER, ev->peer) ||
	    nla_put_u32(msg, SST_EV_A_SEQ_START, ev->seq_start) ||
	    nla_put_u32(msg, SST_EV_A_SEQ_END, ev->seq_end))
		goto fail;
	if (ev->type == SST_EV_HANDOFF &&
	    (nla_put_s32(msg, SST_EV_A_ERR, ev->err) ||
	     nla_put_u32(msg, SST_EV_A_SENT, ev->sent) ||
	     nla_put_u64_64bit(msg, SST_EV_A_DURATION_US,
			       div_u64(ev->dur_ns, NSEC_PER_USEC),
			       SST_EV_A_PAD)))
		goto fail;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&sst_genl_family, net, msg, 0,
				SST_MCGRP_EVENTS, GFP_ATOMIC);
	return;
fail:
	nlmsg_free(msg);
}

int __init sst_genl_init(void)
{
	return genl_register_family(&sst_genl_family);
}

void sst_genl_exit(void)
{
	genl_unregister_family(&sst_genl_family);
}
