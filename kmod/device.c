// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/splitstack: the handoff ioctl. This file checks the argument and
 * resolves the socket and the peer; the errno of every refusal is
 * documented in the uapi header.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include "active.h"
#include "device.h"
#include "netns.h"
#include "peer.h"

/* Checks the fields of @h that do not need the socket. */
static int sst_handoff_check(const struct sst_handoff *h)
{
	int i;

	if (h->flags & ~SST_HANDOFF_F_ALL || h->reserved0)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(h->reserved); i++)
		if (h->reserved[i])
			return -EINVAL;
	if (!h->req_len || h->req_len > SST_HANDOFF_MAX_REQ || !h->os_port ||
	    h->timeout_ms > SST_HANDOFF_MAX_TIMEOUT_MS)
		return -EINVAL;
	if (h->os_family != AF_INET)
		return -EAFNOSUPPORT;
	if (memchr_inv(h->os_addr + sizeof(__be32), 0,
		       sizeof(h->os_addr) - sizeof(__be32)))
		return -EINVAL;
	return 0;
}

/* Checks that @sock is a connected IPv4 TCP socket whose OS is a peer. */
static int sst_handoff_check_sock(struct socket *sock, __be32 os_addr)
{
	struct sock *sk = sock->sk;
	struct sst_net *sn;
	bool known;

	if (!sk || sk->sk_type != SOCK_STREAM ||
	    sk->sk_protocol != IPPROTO_TCP)
		return -EPROTONOSUPPORT;
	if (sk->sk_family != AF_INET)
		return -EAFNOSUPPORT;
	if ((1 << READ_ONCE(sk->sk_state)) & ~(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT))
		return -ENOTCONN;

	sn = sst_net(sock_net(sk));
	rcu_read_lock();
	known = sst_peer_lookup_rcu(sn, os_addr);
	rcu_read_unlock();
	if (!known)
		return -EHOSTUNREACH;
	return 0;
}

static long sst_ioctl_handoff(struct sst_handoff __user *uarg)
{
	struct sst_handoff h;
	struct socket *sock;
	__be32 os_addr;
	void *req;
	int ret;

	if (copy_from_user(&h, uarg, sizeof(h)))
		return -EFAULT;
	ret = sst_handoff_check(&h);
	if (ret)
		return ret;

	req = kvmalloc(h.req_len, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	if (copy_from_user(req, u64_to_user_ptr(h.req), h.req_len)) {
		ret = -EFAULT;
		goto out_req;
	}

	sock = sockfd_lookup(h.fd, &ret);
	if (!sock)
		goto out_req;
	memcpy(&os_addr, h.os_addr, sizeof(os_addr));
	ret = sst_handoff_check_sock(sock, os_addr);
	if (!ret) {
		ret = sst_active_handoff(sock, &h, req);
		if (!ret && put_user(h.sent, &uarg->sent))
			ret = -EFAULT;
	}
	if (ret && sock->sk)
		sst_stat_inc(sst_net(sock_net(sock->sk)),
			     SST_STAT_HANDOFF_ERRORS);
	sockfd_put(sock);
out_req:
	kvfree(req);
	return ret;
}

static long sst_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	switch (cmd) {
	case SST_IOC_HANDOFF:
		return sst_ioctl_handoff((struct sst_handoff __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations sst_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = sst_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice sst_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = SST_DEVICE_NAME,
	.fops = &sst_dev_fops,
	.mode = 0600,
};

int __init sst_device_init(void)
{
	return misc_register(&sst_miscdev);
}

void sst_device_exit(void)
{
	misc_deregister(&sst_miscdev);
}
