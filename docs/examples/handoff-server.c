// SPDX-License-Identifier: GPL-2.0
/*
 * handoff-server: a minimal Split-Stack designated server (DS).
 *
 * It accepts HTTP/1.1 connections on PORT and hands every request to the
 * application listening on OS_ADDR:OS_PORT, an optimal server (OS) that is
 * a configured peer (sstctl peers add OS_ADDR). The OS sends the response
 * straight to the client; when the ioctl returns, the connection is the
 * DS's again and the next request is read from it. When the OS cannot take
 * a request and the connection is unchanged (EHOSTUNREACH, ECONNREFUSED),
 * the DS answers 503 itself; after any other error it closes the
 * connection, whose byte stream may be lost.
 *
 * One connection at a time, requests without a body, no pipelining.
 *
 *   cd docs/examples
 *   gcc -Wall -Wextra -I ../../kmod/include/uapi -o handoff-server \
 *	handoff-server.c
 *   ./handoff-server 8080 10.0.1.3 80
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/splitstack.h>

static const char unavailable[] =
	"HTTP/1.1 503 Service Unavailable\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

/*
 * Reads one request head, up to and including its blank line, into @buf.
 * Returns its length, 0 when the client closed the connection, or -1 on
 * an error or when more was read: the ioctl must get exactly the bytes
 * read since the last response, and they must be one request.
 */
static ssize_t read_request(int fd, char *buf, size_t size)
{
	size_t len = 0;
	char *end;
	ssize_t n;

	for (;;) {
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 && len == 0 ? 0 : -1;
		len += n;
		end = memmem(buf, len, "\r\n\r\n", 4);
		if (end)
			return end + 4 == buf + len ? (ssize_t)len : -1;
		if (len == size)
			return -1;
	}
}

/*
 * Hands the connection @fd with the request @req to @os. Returns 0 and the
 * number of bytes the OS sent in @sent, or a negative errno (see
 * linux/splitstack.h).
 */
static int handoff(int dev, int fd, const char *req, size_t len,
		   const struct sockaddr_in *os, unsigned long long *sent)
{
	struct sst_handoff h;

	memset(&h, 0, sizeof(h));
	h.fd = fd;
	h.req = (__u64)(uintptr_t)req;
	h.req_len = len;
	h.os_family = AF_INET;
	h.os_port = ntohs(os->sin_port);
	memcpy(h.os_addr, &os->sin_addr, sizeof(os->sin_addr));
	h.timeout_ms = 0;	/* the module's default */

	/* EINTR comes before the SETUP is sent: nothing happened yet. */
	while (ioctl(dev, SST_IOC_HANDOFF, &h) < 0)
		if (errno != EINTR)
			return -errno;
	*sent = h.sent;
	return 0;
}

static void serve(int dev, int fd, const struct sockaddr_in *os)
{
	char req[SST_HANDOFF_MAX_REQ];
	unsigned long long sent;
	ssize_t len;
	int err;

	while ((len = read_request(fd, req, sizeof(req))) > 0) {
		err = handoff(dev, fd, req, len, os, &sent);
		if (!err) {
			printf("sent %llu bytes\n", sent);
			continue;
		}
		fprintf(stderr, "handoff to %s:%u: %s\n",
			inet_ntoa(os->sin_addr), ntohs(os->sin_port),
			strerror(-err));
		if (err != -EHOSTUNREACH && err != -ECONNREFUSED)
			return;
		/* Nothing was sent: the request is still ours to answer. */
		if (send(fd, unavailable, sizeof(unavailable) - 1,
			 MSG_NOSIGNAL) < 0)
			return;
	}
}

static int parse_port(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v == 0 || v > 65535)
		return -1;
	return v;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct sockaddr_in os = { .sin_family = AF_INET };
	int port, os_port, dev, ln, fd, one = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: %s PORT OS_ADDR OS_PORT\n", argv[0]);
		return 2;
	}
	port = parse_port(argv[1]);
	os_port = parse_port(argv[3]);
	if (port < 0 || os_port < 0 ||
	    inet_pton(AF_INET, argv[2], &os.sin_addr) != 1) {
		fprintf(stderr, "%s: bad port or IPv4 address\n", argv[0]);
		return 2;
	}
	os.sin_port = htons(os_port);
	setvbuf(stdout, NULL, _IOLBF, 0);	/* one line per handoff */

	dev = open("/dev/" SST_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		fprintf(stderr, "open /dev/%s: %s (is splitstack.ko loaded?)\n",
			SST_DEVICE_NAME, strerror(errno));
		return 1;
	}

	ln = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ln < 0) {
		perror("socket");
		return 1;
	}
	setsockopt(ln, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	addr.sin_addr.s_addr = htonl(INADDR_ANY);
	addr.sin_port = htons(port);
	if (bind(ln, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(ln, 16) < 0) {
		perror("bind/listen");
		return 1;
	}

	for (;;) {
		fd = accept4(ln, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("accept");
			return 1;
		}
		serve(dev, fd, &os);
		close(fd);
	}
}
