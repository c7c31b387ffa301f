/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Split-Stack: TCP connection handoff by half-pipe anchoring.
 *
 * This header is the whole user-visible ABI of splitstack.ko:
 *
 *   1. the /dev/splitstack handoff ioctl,
 *   2. the "splitstack" generic netlink family (peers, half-pipes, stats,
 *      configuration),
 *   3. the wire format of the control protocol spoken between the active
 *      layer (designated server, DS) and the passive layer (optimal server,
 *      OS) over UDP.
 *
 * All state is per network namespace: a request acts on the namespace of
 * the netlink socket (or, for the ioctl, of the TCP socket it names).
 *
 * Handoff ioctl
 * -------------
 *
 *   int dev = open("/dev/splitstack", O_RDWR);
 *   struct sst_handoff h = { .fd = client_fd, ... };
 *   ioctl(dev, SST_IOC_HANDOFF, &h);
 *
 * hands the cluster->client half-pipe of the connected TCP socket @fd to
 * the application listening on @os_port at the peer @os_addr, together
 * with the @req_len request bytes at @req. Every field not described as an
 * output must be set; reserved fields must be zero. Errors:
 *
 *   EFAULT          @req or the argument itself cannot be read
 *   EINVAL          unknown @flags bit, non-zero reserved field, @req_len
 *                   of 0 or above SST_HANDOFF_MAX_REQ, @os_port of 0, or
 *                   @timeout_ms above SST_HANDOFF_MAX_TIMEOUT_MS
 *   EBADF           @fd is not an open file descriptor
 *   ENOTSOCK        @fd is not a socket
 *   EPROTONOSUPPORT @fd is not a TCP socket (SOCK_STREAM, IPPROTO_TCP)
 *   EAFNOSUPPORT    @os_family or the socket's family is not AF_INET
 *   ENOTCONN        the socket is not ESTABLISHED or CLOSE_WAIT
 *   EHOSTUNREACH    @os_addr is not a configured peer of this namespace,
 *                   or it did not acknowledge the SETUP and the client
 *                   acknowledged nothing past the DS's data meanwhile
 *                   (a RESET is sent in case the OS is only silent): the
 *                   connection is unchanged and still the caller's. An
 *                   OS that goes silent later (no message, KEEPALIVEs
 *                   included, for 10 keepalive intervals) fails the
 *                   handoff with ECONNRESET
 *   ECONNREFUSED    the OS refused the half-pipe before sending anything
 *                   (no listener on @os_port, the 4-tuple still live
 *                   there, no memory): the connection is unchanged and
 *                   still the caller's, who may serve the request itself
 *                   or try another OS
 *   ENOKEY          no auth key is configured (sstctl config set key)
 *   ENETDOWN        the namespace's control socket is not open (or the
 *                   namespace is going away)
 *   ENOMEM, ENOBUFS no memory for the SETUP, or the control plane has
 *                   too many messages waiting for their ACK
 *   EOPNOTSUPP      the connection uses microsecond TCP timestamps
 *   EBUSY           a handoff is already in progress on this socket, or
 *                   the socket belongs to another connection's handoff
 *   ECONNRESET      the connection died, the OS's half-pipe died after
 *                   sending (its ABORT), or an earlier handoff on it
 *                   failed after its SETUP (the byte stream is lost: close
 *                   the connection)
 *   ETIMEDOUT       the client made no progress for @timeout_ms: it
 *                   acknowledged nothing new while the handoff waited
 *                   (for the DS's own data to drain before the SETUP, or
 *                   for DATA_DONE after it): the client is gone or stuck;
 *                   close the connection. There is no deadline: a
 *                   response that keeps the client acknowledging takes
 *                   as long as it takes
 *   EINTR           interrupted by a signal before the SETUP was sent
 *
 * On success the ioctl returns 0 and @sent holds the number of response
 * bytes the OS sent.
 *
 * Generic netlink
 * ---------------
 *
 * Family SST_GENL_NAME, version SST_GENL_VERSION, described for tools by
 * kmod/splitstack.yaml (a YNL spec). Every command that changes state,
 * the peer and half-pipe dumps and the events group need CAP_NET_ADMIN in
 * the user namespace owning the network namespace (GENL_UNS_ADMIN_PERM);
 * the counters and the configuration are open to everyone.
 * Attributes are validated strictly: unknown attributes, wrong lengths and
 * out-of-range values are refused with an extended ACK message and leave
 * the state unchanged.
 *
 * Integer attributes are in host byte order, addresses in network byte
 * order. Refusals common to every command: EINVAL for an unknown
 * attribute, a wrong attribute length or a non-zero reserved genetlink
 * header byte; ERANGE for a value outside its range; EPERM without
 * CAP_NET_ADMIN; EOPNOTSUPP for an unknown command.
 *
 * SST_CMD_PEER_ADD: trust a peer node. Needs
 *     SST_A_FAMILY:  u16, AF_INET (AF_INET6 is reserved, EAFNOSUPPORT)
 *     SST_A_ADDR:    binary, 4 bytes for AF_INET; a unicast address
 *   and takes
 *     SST_A_PORT:    u16, 1..65535, the peer's control UDP port, default
 *                    SST_DEFAULT_CTRL_PORT (the same default as the local
 *                    SST_A_CTRL_PORT)
 *   EINVAL for a missing attribute, an unknown family or a 0.0.0.0/8,
 *   multicast or broadcast address; EEXIST if the address is already a
 *   peer; ENOSPC past SST_MAX_PEERS.
 *
 * SST_CMD_PEER_DEL: forget a peer. Needs SST_A_FAMILY and SST_A_ADDR;
 *   ENOENT if no such peer.
 *
 * SST_CMD_PEER_GET (dump only): one message per peer with SST_A_FAMILY,
 *   SST_A_ADDR and SST_A_PORT, and SST_A_LAST_HEARD_MS (u64) once a valid
 *   control message (authenticated, not a replay) came from the peer.
 *
 * SST_CMD_HALFPIPE_GET (dump only): one message per GC-pending half-pipe,
 *   each holding one nested SST_A_HALFPIPE with SST_HP_A_* attributes.
 *
 * SST_CMD_STATS_GET (doit): replies with one nested SST_A_STATS holding
 *   one u64 SST_STAT_* attribute per counter.
 *
 * SST_CMD_CONFIG_GET (doit): replies with SST_A_CTRL_PORT,
 *   SST_A_KEEPALIVE_MS, SST_A_MODE and SST_A_AUTH_KEY_SET (the key itself
 *   is never returned).
 *
 * SST_CMD_CONFIG_SET: sets any of
 *     SST_A_CTRL_PORT:    u16, 1..65535, the local control UDP port
 *     SST_A_KEEPALIVE_MS: u32, SST_MIN_KEEPALIVE_MS..SST_MAX_KEEPALIVE_MS
 *     SST_A_AUTH_KEY:     binary, exactly SST_AUTH_KEY_LEN bytes
 *     SST_A_MODE:         u8, enum sst_mode
 *   All given values are checked before any is applied; EINVAL if none
 *   is given. A key, once set, can be replaced but not removed.
 *
 * SST_CMD_EVENT (notification only): one per event of the namespace, to
 *   the multicast group SST_GENL_MCGRP_EVENTS (joining it needs
 *   CAP_NET_ADMIN), holding one nested SST_A_EVENT with SST_EV_A_TYPE
 *   (enum sst_event), SST_EV_A_CONN_ID, SST_EV_A_FAMILY and SST_EV_A_PEER
 *   (the other node), and as the type has them SST_EV_A_SEQ_START,
 *   SST_EV_A_SEQ_END, SST_EV_A_ERR (a negative errno, as the handoff ioctl
 *   returns it), SST_EV_A_SENT and SST_EV_A_DURATION_US. Events are not
 *   queued for slow listeners: a full socket buffer loses them (ENOBUFS on
 *   the listener's next read).
 */
#ifndef _UAPI_LINUX_SPLITSTACK_H
#define _UAPI_LINUX_SPLITSTACK_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* ---------------------------------------------------------------- ioctl */

#define SST_DEVICE_NAME			"splitstack"

/*
 * A request travels in one SETUP datagram: 16 KiB keeps it within a UDP
 * datagram with room to spare and within a dozen IP fragments on a LAN.
 */
#define SST_HANDOFF_MAX_REQ		(16 * 1024)
#define SST_HANDOFF_DEFAULT_TIMEOUT_MS	60000
#define SST_HANDOFF_MAX_TIMEOUT_MS	600000

/* No flags are defined yet; every bit is reserved. */
#define SST_HANDOFF_F_ALL		0

/**
 * struct sst_handoff - argument of SST_IOC_HANDOFF (128 bytes)
 * @fd:         the connected client TCP socket, in the caller's fd table
 * @flags:      SST_HANDOFF_F_* bits, currently none
 * @req:        user pointer to the request bytes
 * @req_len:    number of request bytes, 1..SST_HANDOFF_MAX_REQ
 * @os_family:  address family of @os_addr (AF_INET)
 * @os_port:    TCP port the OS application listens on, host byte order
 * @os_addr:    OS address, network byte order; AF_INET uses the first 4
 *              bytes, the rest must be zero
 * @timeout_ms: progress bound: the handoff fails (ETIMEDOUT) once the
 *              client has acknowledged nothing new for this long; 0 for
 *              SST_HANDOFF_DEFAULT_TIMEOUT_MS. Not a deadline
 * @reserved0:  must be zero
 * @sent:       output: response bytes the OS sent
 * @reserved:   must be zero
 */
struct sst_handoff {
	__s32 fd;
	__u32 flags;
	__u64 req;
	__u32 req_len;
	__u16 os_family;
	__u16 os_port;
	__u8  os_addr[16];
	__u32 timeout_ms;
	__u32 reserved0;
	__u64 sent;
	__u64 reserved[9];
};

#define SST_IOC_MAGIC			0xB5
#define SST_IOC_HANDOFF			_IOWR(SST_IOC_MAGIC, 1, struct sst_handoff)

/* ------------------------------------------------------ generic netlink */

#define SST_GENL_NAME			"splitstack"
#define SST_GENL_VERSION		1
#define SST_GENL_MCGRP_EVENTS		"events"

#define SST_DEFAULT_CTRL_PORT		4795
#define SST_DEFAULT_KEEPALIVE_MS	1000
#define SST_MIN_KEEPALIVE_MS		100
#define SST_MAX_KEEPALIVE_MS		60000
#define SST_AUTH_KEY_LEN		32
#define SST_MAX_PEERS			1024

enum sst_cmd {
	SST_CMD_UNSPEC,
	SST_CMD_PEER_ADD,
	SST_CMD_PEER_DEL,
	SST_CMD_PEER_GET,
	SST_CMD_HALFPIPE_GET,
	SST_CMD_STATS_GET,
	SST_CMD_CONFIG_GET,
	SST_CMD_CONFIG_SET,
	SST_CMD_EVENT,
	__SST_CMD_MAX
};

#define SST_CMD_MAX (__SST_CMD_MAX - 1)

enum sst_mode {
	SST_MODE_SPLIT,	/* next handoff may start while data is in flight */
	SST_MODE_DRAIN,	/* next handoff waits until everything is acked */
	__SST_MODE_MAX
};

#define SST_MODE_MAX (__SST_MODE_MAX - 1)

enum sst_attr {
	SST_A_UNSPEC,
	SST_A_PAD,
	SST_A_FAMILY,		/* u16 */
	SST_A_ADDR,		/* binary, 4 bytes (AF_INET) */
	SST_A_PORT,		/* u16 */
	SST_A_HALFPIPE,		/* nested, SST_HP_A_* */
	SST_A_STATS,		/* nested, SST_STAT_* */
	SST_A_CTRL_PORT,	/* u16 */
	SST_A_KEEPALIVE_MS,	/* u32 */
	SST_A_AUTH_KEY,		/* binary, SST_AUTH_KEY_LEN bytes, set only */
	SST_A_AUTH_KEY_SET,	/* u8, get only: 1 if a key is configured */
	SST_A_MODE,		/* u8, enum sst_mode */
	SST_A_LAST_HEARD_MS,	/* u64, get only: ms since the peer's last
				 * valid control message; absent if never
				 */
	SST_A_EVENT,		/* nested, SST_EV_A_*, notifications only */
	__SST_A_MAX
};

#define SST_A_MAX (__SST_A_MAX - 1)

enum sst_hp_state {
	SST_HP_SETUP,		/* SETUP sent, not yet acknowledged */
	SST_HP_SENDING,		/* OS is sending the response */
	SST_HP_DONE,		/* DATA_DONE received, waiting for client ACKs */
	SST_HP_RESET,		/* RESET sent, waiting for its acknowledgment */
	__SST_HP_STATE_MAX
};

#define SST_HP_STATE_MAX (__SST_HP_STATE_MAX - 1)

enum sst_hp_attr {
	SST_HP_A_UNSPEC,
	SST_HP_A_PAD,
	SST_HP_A_ID,		/* u64, connection id */
	SST_HP_A_FAMILY,	/* u16, family of every address below */
	SST_HP_A_CLIENT_ADDR,	/* binary */
	SST_HP_A_CLIENT_PORT,	/* u16, host byte order */
	SST_HP_A_VIP_ADDR,	/* binary */
	SST_HP_A_VIP_PORT,	/* u16, host byte order */
	SST_HP_A_OS_ADDR,	/* binary */
	SST_HP_A_SEQ_START,	/* u32, first sequence number of the half-pipe */
	SST_HP_A_SEQ_END,	/* u32, next sequence number after it */
	SST_HP_A_STATE,		/* u8, enum sst_hp_state */
	SST_HP_A_UNACKED,	/* u32, bytes the client has not acknowledged */
	SST_HP_A_AGE_MS,	/* u64, milliseconds since SETUP */
	__SST_HP_A_MAX
};

#define SST_HP_A_MAX (__SST_HP_A_MAX - 1)

enum sst_event {
	SST_EV_UNSPEC,
	SST_EV_HANDOFF,		/* DS: a handoff ended (SST_EV_A_ERR 0: done) */
	SST_EV_RESET,		/* DS: a half-pipe fully acknowledged, RESET */
	SST_EV_ABORT,		/* OS: a half-pipe refused or lost, ABORT */
	SST_EV_GC_TIMEOUT,	/* OS: a half-pipe collected, its DS silent */
	__SST_EV_MAX
};

#define SST_EV_MAX (__SST_EV_MAX - 1)

enum sst_ev_attr {
	SST_EV_A_UNSPEC,
	SST_EV_A_PAD,
	SST_EV_A_TYPE,		/* u8, enum sst_event */
	SST_EV_A_CONN_ID,	/* u64, the DS's connection id */
	SST_EV_A_FAMILY,	/* u16, family of SST_EV_A_PEER */
	SST_EV_A_PEER,		/* binary, the other node */
	SST_EV_A_SEQ_START,	/* u32, the half-pipe's first sequence number */
	SST_EV_A_SEQ_END,	/* u32, next sequence number after it */
	SST_EV_A_ERR,		/* s32, negative errno (HANDOFF) */
	SST_EV_A_SENT,		/* u32, bytes the OS sent (HANDOFF) */
	SST_EV_A_DURATION_US,	/* u64, the handoff call's duration (HANDOFF) */
	__SST_EV_A_MAX
};

#define SST_EV_A_MAX (__SST_EV_A_MAX - 1)

enum sst_stat {
	SST_STAT_UNSPEC,
	SST_STAT_PAD,
	SST_STAT_SETUPS,	/* SETUPs sent (DS) or accepted (OS) */
	SST_STAT_DATA_DONES,
	SST_STAT_CREDITS,	/* SEND_PACKETs */
	SST_STAT_GCS,		/* GC_PACKETs */
	SST_STAT_PIGGYBACKED,	/* credit and GC sent in one message */
	SST_STAT_RESETS,
	SST_STAT_RETRANSMITS,	/* control messages sent again */
	SST_STAT_AUTH_FAILURES,
	SST_STAT_TIMEOUTS,
	SST_STAT_DROPS,		/* malformed or unexpected control messages */
	SST_STAT_HANDOFF_ERRORS,/* handoff ioctls that failed */
	SST_STAT_CTRL_RX,	/* control messages accepted (fresh) */
	SST_STAT_CTRL_TX,	/* control datagrams sent, retransmits included */
	SST_STAT_CTRL_TX_ERRORS,/* control messages that could not be sent */
	SST_STAT_UNKNOWN_PEER,	/* from an address or source port that is not
				 * a configured peer's
				 */
	SST_STAT_REPLAYS,	/* authentic but replayed or too old */
	SST_STAT_DUPLICATES,	/* duplicates of accepted reliable messages:
				 * acknowledged again, not delivered again
				 */
	SST_STAT_KEEPALIVES,	/* KEEPALIVEs accepted */
	SST_STAT_ABORTS,	/* half-pipes refused or lost by the OS: ABORTs
				 * sent (OS) or taken (DS)
				 */
	SST_STAT_ACK_NOWS,	/* DS pure ACKs turned into ACK_NOWs (DS),
				 * ACK_NOWs taken (OS)
				 */
	SST_STAT_SEGS_REFUSED,	/* client segments of a connection with
				 * half-pipes that the DS did not act on (bad
				 * checksum, outside the receive window, an
				 * ACK of data never sent): left to TCP
				 */
	__SST_STAT_MAX
};

#define SST_STAT_MAX (__SST_STAT_MAX - 1)

/* ------------------------------------------------ control wire protocol */

/*
 * Every control message is one UDP datagram:
 *
 *   struct sst_wire_hdr | body (hdr.len bytes) | MAC (SST_WIRE_MAC_LEN)
 *
 * All integers are big-endian. The MAC is HMAC-SHA256 with the namespace's
 * auth key over a 12-byte pseudo-header that is not sent, then the header
 * and the body:
 *
 *   IPv4 source address | IPv4 destination address | UDP source port |
 *   UDP destination port    (network byte order, as in the IP/UDP headers)
 *
 * The sender fills it in from its route to the peer (the source address
 * the route chooses), the receiver from the datagram it got: a message
 * only verifies at the address and port it was sent to, and only as coming
 * from the address and port that sent it, so it can be neither replayed to
 * another node nor relabelled as another peer's (nor reflected to its
 * sender). Address translation between nodes is therefore not supported.
 * Without a key nothing is sent and everything received is dropped.
 * Messages from addresses that are not configured peers, with a bad MAC, a
 * wrong magic or version, a length that disagrees with the datagram, or an
 * (epoch, seq) already seen or older than the replay window, are dropped
 * and counted.
 *
 * @epoch identifies one sender instance (its namespace's state since it
 * first opened its control socket): a receiver accepts a peer's epoch if
 * it is not older than the last one it accepted, and restarts its replay
 * window when it grows. An epoch is the wall clock in seconds when taken,
 * or the previous epoch handed out plus one if that is larger. @seq counts
 * the sender's messages (of every type, to every peer) within the epoch,
 * starting at 1; it is never 0: instead of wrapping, the sender takes a
 * new epoch and starts again at 1. A sender never sends the same (@epoch,
 * @seq) twice.
 *
 * A datagram is accepted only from a configured peer's address with the
 * source port configured for that peer (SST_A_PORT). The receiver checks,
 * in this order and counting each refusal once: the source
 * (SST_STAT_UNKNOWN_PEER); the structure (SST_STAT_DROPS: datagram shorter
 * than header + MAC, magic, version, non-zero @reserved, unknown @type or
 * flag, @len above SST_WIRE_MAX_BODY or not the datagram length minus 64,
 * @seq 0, a KEEPALIVE with a body, an ACK whose body is not struct
 * sst_wire_ack or that asks for an ACK); the MAC (SST_STAT_AUTH_FAILURES,
 * also when no key is configured); then the epoch's freshness and (epoch,
 * seq) against a sliding window of SST_WIRE_REPLAY_WINDOW sequence numbers
 * (both SST_STAT_REPLAYS). A
 * copy of an SST_WIRE_F_RELIABLE message that was taken is acknowledged
 * again but not delivered again (SST_STAT_DUPLICATES); a copy of one that
 * was refused counts as a replay. Only authenticated messages that are not
 * replays count in SST_STAT_CTRL_RX and refresh the peer's
 * SST_A_LAST_HEARD_MS.
 *
 * An SST_WIRE_F_RELIABLE message is acknowledged by an SST_MSG_ACK (never
 * reliable itself) carrying its (epoch, seq), once the receiver has taken
 * it: not when it is refused, whether for good (malformed body, no
 * handler for its type: the sender gives up after its retransmissions) or
 * for now (no memory, table full: the message is forgotten, so that even a
 * copy of it is taken later). The sender retransmits it until one of its
 * transmissions is acknowledged or it gives up (SST_STAT_TIMEOUTS), each
 * time as a new message: same type, flags, conn_id and body, but a new
 * (epoch, seq) and MAC, so that a receiver whose replay window has moved
 * on since the first copy takes it all the same. A receiver may thus get
 * the same reliable message more than once and recognises it by its
 * content (SETUP and RESET by conn_id and seq_start, DATA_DONE and ABORT
 * likewise). Every configured peer gets an SST_MSG_KEEPALIVE every
 * SST_A_KEEPALIVE_MS milliseconds.
 */
#define SST_WIRE_MAGIC			0x53535431	/* "SST1" */
#define SST_WIRE_VERSION		2	/* 2: pseudo-header MAC, ABORT
						 * carries seq_end
						 */
#define SST_WIRE_MAC_LEN		32
#define SST_WIRE_MAX_BODY		(SST_HANDOFF_MAX_REQ + 256)
#define SST_WIRE_REPLAY_WINDOW		1024

/*
 * Epoch freshness. An epoch is its sender's CLOCK_REALTIME second when it
 * began (or one past the previous epoch of that host, if later); a sender
 * begins a new one, at seq 1, at least every SST_WIRE_EPOCH_ROLL seconds.
 * A receiver refuses an epoch more than SST_WIRE_EPOCH_MAX_AGE seconds
 * older or SST_WIRE_EPOCH_MAX_AHEAD seconds newer than its own clock, so a
 * message captured before the receiver restarted (its replay window
 * forgotten) is refused once that long has passed. The nodes' clocks must
 * agree within SST_WIRE_EPOCH_MAX_AGE - SST_WIRE_EPOCH_ROLL seconds (NTP).
 */
#define SST_WIRE_EPOCH_ROLL		600
#define SST_WIRE_EPOCH_MAX_AGE		1200
#define SST_WIRE_EPOCH_MAX_AHEAD	600

enum sst_msg_type {
	SST_MSG_SETUP = 1,	/* DS -> OS, reliable */
	SST_MSG_SETUP_ACK,	/* OS -> DS */
	SST_MSG_SEND_PACKET,	/* DS -> OS, credit: client ack and window */
	SST_MSG_GC_PACKET,	/* DS -> OS, client ack for garbage collection */
	SST_MSG_DATA_DONE,	/* OS -> DS, reliable */
	SST_MSG_RESET,		/* DS -> OS, reliable */
	SST_MSG_KEEPALIVE,	/* both ways, empty body */
	SST_MSG_ACK_NOW,	/* DS -> OS, acknowledge new client bytes */
	SST_MSG_ABORT,		/* OS -> DS, reliable: half-pipe died */
	SST_MSG_ACK,		/* acknowledges a reliable message: body is
				 * struct sst_wire_ack
				 */
	__SST_MSG_MAX
};

/* Header flag: the sender wants an SST_MSG_ACK for this message. */
#define SST_WIRE_F_RELIABLE		0x0001
/* Header flag: this message also carries a GC directive (piggybacked). */
#define SST_WIRE_F_PIGGYBACK		0x0002

/* 32 bytes */
struct sst_wire_hdr {
	__be32 magic;
	__u8   version;
	__u8   type;		/* enum sst_msg_type */
	__be16 flags;		/* SST_WIRE_F_* */
	__be32 len;		/* body length */
	__be32 epoch;		/* sender instance */
	__be32 seq;		/* sender message sequence within @epoch */
	__be32 reserved;	/* zero */
	__be64 conn_id;		/* connection id chosen by the DS, 0 if none */
};

/* Body of SST_MSG_ACK: the (epoch, seq) of the message it acknowledges. */
struct sst_wire_ack {
	__be32 epoch;
	__be32 seq;
};

/* struct sst_wire_setup.opts */
#define SST_SETUP_OPT_SACK		0x01	/* SACK permitted */
#define SST_SETUP_OPT_TIMESTAMP		0x02	/* timestamps negotiated */
#define SST_SETUP_OPT_WSCALE		0x04	/* window scaling negotiated */

/* struct sst_wire_setup.flags */
#define SST_SETUP_F_FRESH_CWND		0x01	/* drain mode: restart slow start */

/**
 * struct sst_wire_setup - body of SST_MSG_SETUP (DS -> OS, reliable)
 * @client_addr: the client's address; with @client_port, @vip_addr and
 *               @vip_port the connection's 4-tuple as the client sees it
 * @vip_addr:    the service address (local on the OS, e.g. on lo)
 * @client_port: the client's port
 * @vip_port:    the service port
 * @os_port:     the port of the OS application's listener
 * @mss:         the client's MSS (the MSS option of its SYN, i.e. the
 *               DS's mss_clamp: TCP_MAXSEG of a socket in repair mode);
 *               the OS derives its segment size from it as the DS did
 * @snd_wscale:  shift applied to the client's advertised window
 * @rcv_wscale:  shift the client applies to our advertised window
 * @opts:        SST_SETUP_OPT_*
 * @flags:       SST_SETUP_F_*
 * @seq:         first sequence number the OS sends (the DS's snd_nxt)
 * @snd_wnd:     send window left beyond @seq:
 *               max(0, snd_una + snd_wnd - snd_nxt) of the DS
 * @max_window:  largest window the client advertised
 * @rcv_nxt:     next sequence number expected from the client; the
 *               request occupies [@rcv_nxt - @req_len, @rcv_nxt)
 * @rcv_wnd:     receive window to advertise
 * @tsval:       first TSval the OS may send (already past the DS's last)
 * @ts_recent:   last TSval received from the client (informative: repair
 *               cannot restore it, the OS's segments echo TSecr 0)
 * @cwnd:        congestion window, segments
 * @ssthresh:    slow start threshold, segments
 * @srtt_us:     smoothed RTT << 3, as struct tcp_sock.srtt_us
 * @mdev_us:     RTT deviation << 2, as struct tcp_sock.mdev_us
 * @rto_ms:      retransmission timeout
 * @req_len:     request bytes following this struct
 *
 * The OS drops (SST_STAT_DROPS) a SETUP whose length is not sizeof() +
 * @req_len, with @req_len 0 or above SST_HANDOFF_MAX_REQ, an unknown
 * @opts or @flags bit, @mss outside 88..65480, a window scale above 14 (or
 * non-zero without SST_SETUP_OPT_WSCALE), a zero port, a client address
 * that is not unicast, or congestion state out of range: @cwnd above
 * SST_WIRE_MAX_CWND, @ssthresh above SST_WIRE_MAX_SSTHRESH, @srtt_us
 * above SST_WIRE_MAX_SRTT, @mdev_us above SST_WIRE_MAX_MDEV, @rto_ms
 * above SST_WIRE_MAX_RTO_MS (0 means "not carried" for each; the same
 * limits apply to DATA_DONE on the DS). A copy of a SETUP it already has (same peer,
 * @conn_id and @seq) is acknowledged but not acted on again. A SETUP for
 * a 4-tuple that already has a live half-pipe on the OS is refused with
 * an SST_MSG_ABORT for its @seq (and counted in SST_STAT_DROPS) but
 * acknowledged, the ABORT being the answer, as is one whose socket cannot
 * be built or handed to a listener on @vip_addr:@os_port. A dropped SETUP
 * is not acknowledged.
 */
/* Congestion state a peer may carry: what a kernel's own TCP can reach
 * (srtt and mdev as stored, shifted; the RTO cap is TCP_RTO_MAX, 120 s).
 */
#define SST_WIRE_MAX_CWND	0x100000U	/* 2^20 segments */
#define SST_WIRE_MAX_SSTHRESH	0x7fffffffU
#define SST_WIRE_MAX_SRTT	(120000000U << 3)
#define SST_WIRE_MAX_MDEV	(120000000U << 2)
#define SST_WIRE_MAX_RTO_MS	120000U

struct sst_wire_setup {
	__be32 client_addr;
	__be32 vip_addr;
	__be16 client_port;
	__be16 vip_port;
	__be16 os_port;
	__be16 mss;
	__u8   snd_wscale;
	__u8   rcv_wscale;
	__u8   opts;
	__u8   flags;
	__be32 seq;
	__be32 snd_wnd;
	__be32 max_window;
	__be32 rcv_nxt;
	__be32 rcv_wnd;
	__be32 tsval;
	__be32 ts_recent;
	__be32 cwnd;
	__be32 ssthresh;
	__be32 srtt_us;
	__be32 mdev_us;
	__be32 rto_ms;
	__be32 req_len;
	__u8   req[];
};

/**
 * struct sst_wire_data_done - body of SST_MSG_DATA_DONE (OS -> DS, reliable)
 * @seq_start: the half-pipe's first sequence number (SETUP's @seq)
 * @seq_end:   next sequence number after the response (the OS's snd_nxt)
 * @tsval:     the last TSval the OS sent
 * @cwnd:      congestion state at the end, as in struct sst_wire_setup
 * @ssthresh:  see @cwnd
 * @srtt_us:   see @cwnd
 * @mdev_us:   see @cwnd
 */
struct sst_wire_data_done {
	__be32 seq_start;
	__be32 seq_end;
	__be32 tsval;
	__be32 cwnd;
	__be32 ssthresh;
	__be32 srtt_us;
	__be32 mdev_us;
};

/**
 * struct sst_wire_reset - body of SST_MSG_RESET (DS -> OS, reliable)
 * @seq_start: the half-pipe to tear down, by its first sequence number
 */
struct sst_wire_reset {
	__be32 seq_start;
};

/**
 * struct sst_wire_abort - body of SST_MSG_ABORT (OS -> DS, reliable): the
 *	half-pipe was refused or died before its DATA_DONE
 * @seq_start: the half-pipe, by its first sequence number
 * @seq_end:   the OS's snd_nxt when it gave up: equal to @seq_start when
 *             the OS sent nothing (a refused SETUP: no listener, 4-tuple
 *             still live, no memory), in which case the DS takes the
 *             connection back unchanged; beyond it the client may hold
 *             bytes the DS cannot know, and the connection is lost
 *
 * The OS needs no RESET for an aborted half-pipe: it has torn it down.
 */
struct sst_wire_abort {
	__be32 seq_start;
	__be32 seq_end;
};

/**
 * struct sst_wire_credit - body of SST_MSG_SEND_PACKET, SST_MSG_GC_PACKET
 *	and SST_MSG_ACK_NOW (DS -> OS): a client acknowledgment translated for
 *	the half-pipe starting at @seq_start
 * @seq_start: the half-pipe
 * @ack:       cumulative acknowledgment, clamped to the half-pipe
 *             (ACK_NOW: zero)
 * @win:       the 16-bit window field, already shifted by the window
 *             scale, keeping the client's right edge (ACK_NOW: the
 *             DS's own advertised window field)
 * @rcv_nxt:   the DS's rcv_nxt (ACK_NOW: what the OS must acknowledge)
 * @tsval:     the client's TSval (for ts_recent)
 * @tsecr:     the client's TSecr (RTT samples on the OS)
 * @nsack:     SACK blocks that follow, clipped to the half-pipe
 * @reserved:  zero
 * @sack:      @nsack pairs of (start, end)
 */
/*
 * SST_MSG_ACK_NOW: while OSes are sending, the DS's own pure ACKs would
 * carry a sequence number the client has left behind and be discarded
 * (tcp_sequence). The DS drops them and sends each OS whose half-pipe is
 * not finished an ACK_NOW instead; from then on every segment of that
 * half-pipe carries @rcv_nxt and @win as its acknowledgment and window,
 * and the OS sends a pure ACK at once. Stale ones (an @rcv_nxt behind
 * one already taken) are ignored.
 */
struct sst_wire_credit {
	__be32 seq_start;
	__be32 ack;
	__be32 win;
	__be32 rcv_nxt;
	__be32 tsval;
	__be32 tsecr;
	__u8   nsack;
	__u8   reserved[3];
	__be32 sack[];
};

#endif /* _UAPI_LINUX_SPLITSTACK_H */
