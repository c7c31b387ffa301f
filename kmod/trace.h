/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of a handoff, in the order it happens (docs/tracing.md has
 * a one-liner per question):
 *
 *   DS: sst_setup_send    OS: sst_setup_recv, sst_sock_built
 *   OS: sst_data_done_send   DS: sst_data_done_recv, sst_adopt
 *   DS: sst_handoff (the ioctl's result: error, bytes, duration)
 *   DS: sst_reset_send    OS: sst_reset_recv
 *
 * and what goes wrong: sst_abort_send/_recv (the OS refused or lost the
 * half-pipe), sst_gc_timeout (the OS collected it, its DS silent),
 * sst_credit_drop (a client ACK the OS could not use), sst_ctrl_refused
 * (a control datagram refused, with the reason). Connection ids are the
 * DS's ("ID" in sstctl show halfpipes); peer is the other node.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM splitstack

#if !defined(_SST_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _SST_TRACE_H

#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/types.h>

#ifndef _SST_TRACE_ENUMS
#define _SST_TRACE_ENUMS
/* Why sst_credit_drop dropped a credit. */
enum sst_credit_drop {
	SST_CREDIT_MALFORMED,
	SST_CREDIT_NO_SOCKET,
	SST_CREDIT_NO_ROUTE,
	SST_CREDIT_NO_MEMORY,
};

/* Why sst_ctrl_refused refused a control datagram. */
enum sst_refusal {
	SST_REFUSED_UNKNOWN_PEER,
	SST_REFUSED_MALFORMED,
	SST_REFUSED_BAD_MAC,
	SST_REFUSED_REPLAY,
	SST_REFUSED_UNEXPECTED,
};
#endif

/* The enums' values for user space (perf, bpftrace). */
TRACE_DEFINE_ENUM(SST_CREDIT_MALFORMED);
TRACE_DEFINE_ENUM(SST_CREDIT_NO_SOCKET);
TRACE_DEFINE_ENUM(SST_CREDIT_NO_ROUTE);
TRACE_DEFINE_ENUM(SST_CREDIT_NO_MEMORY);
TRACE_DEFINE_ENUM(SST_REFUSED_UNKNOWN_PEER);
TRACE_DEFINE_ENUM(SST_REFUSED_MALFORMED);
TRACE_DEFINE_ENUM(SST_REFUSED_BAD_MAC);
TRACE_DEFINE_ENUM(SST_REFUSED_REPLAY);
TRACE_DEFINE_ENUM(SST_REFUSED_UNEXPECTED);

DECLARE_EVENT_CLASS(sst_hp_class,
		    TP_PROTO(u64 conn_id, __be32 peer, u32 seq_start),
		    TP_ARGS(conn_id, peer, seq_start),
		    TP_STRUCT__entry(__field(u64, conn_id)
				     __array(u8, peer, 4)
				     __field(u32, seq_start)),
		    TP_fast_assign(__entry->conn_id = conn_id;
				   memcpy(__entry->peer, &peer, 4);
				   __entry->seq_start = seq_start;),
		    TP_printk("conn=%llu peer=%pI4 seq_start=%u",
			      __entry->conn_id, __entry->peer, __entry->seq_start)
);

DEFINE_EVENT(sst_hp_class, sst_setup_recv,
	     TP_PROTO(u64 conn_id, __be32 peer, u32 seq_start),
	     TP_ARGS(conn_id, peer, seq_start));

DEFINE_EVENT(sst_hp_class, sst_reset_send,
	     TP_PROTO(u64 conn_id, __be32 peer, u32 seq_start),
	     TP_ARGS(conn_id, peer, seq_start));

DEFINE_EVENT(sst_hp_class, sst_reset_recv,
	     TP_PROTO(u64 conn_id, __be32 peer, u32 seq_start),
	     TP_ARGS(conn_id, peer, seq_start));

DEFINE_EVENT(sst_hp_class, sst_gc_timeout,
	     TP_PROTO(u64 conn_id, __be32 peer, u32 seq_start),
	     TP_ARGS(conn_id, peer, seq_start));

DECLARE_EVENT_CLASS(sst_range_class,
		    TP_PROTO(u64 conn_id, __be32 peer, u32 seq_start,
			     u32 seq_end),
		    TP_ARGS(conn_id, peer, seq_start, seq_end),
		    TP_STRUCT__entry(__field(u64, conn_id)
				     __array(u8, peer, 4)
				     __field(u32, seq_start)
				     __field(u32, seq_end)),
		    TP_fast_assign(__entry->conn_id = conn_id;
				   memcpy(__entry->peer, &peer, 4);
				   __entry->seq_start = seq_start;
				   __entry->seq_end = seq_end;),
		    TP_printk("conn=%llu peer=%pI4 seq_start=%u seq_end=%u bytes=%u",
			      __entry->conn_id, __entry->peer, __entry->seq_start,
			      __entry->seq_end, __entry->seq_end - __entry->seq_start)
);

DEFINE_EVENT(sst_range_class, sst_data_done_send,
	     TP_PROTO(u64 conn_id, __be32 peer, u32 seq_start, u32 seq_end),
	     TP_ARGS(conn_id, peer, seq_start, seq_end));

DEFINE_EVENT(sst_range_class, sst_data_done_recv,
	     TP_PROTO(u64 conn_id, __be32 peer, u32 seq_start, u32 seq_end),
	     TP_ARGS(conn_id, peer, seq_start, seq_end));

DEFINE_EVENT(sst_range_class, sst_abort_send,
	     TP_PROTO(u64 conn_id, __be32 peer, u32 seq_start, u32 seq_end),
	     TP_ARGS(conn_id, peer, seq_start, seq_end));

DEFINE_EVENT(sst_range_class, sst_abort_recv,
	     TP_PROTO(u64 conn_id, __be32 peer, u32 seq_start, u32 seq_end),
	     TP_ARGS(conn_id, peer, seq_start, seq_end));

TRACE_EVENT(sst_setup_send,
	    TP_PROTO(u64 conn_id, __be32 peer, u32 seq_start, u32 req_len),
	    TP_ARGS(conn_id, peer, seq_start, req_len),
	    TP_STRUCT__entry(__field(u64, conn_id)
			     __array(u8, peer, 4)
			     __field(u32, seq_start)
			     __field(u32, req_len)),
	    TP_fast_assign(__entry->conn_id = conn_id;
			   memcpy(__entry->peer, &peer, 4);
			   __entry->seq_start = seq_start;
			   __entry->req_len = req_len;),
	    TP_printk("conn=%llu peer=%pI4 seq_start=%u req_len=%u",
		      __entry->conn_id, __entry->peer, __entry->seq_start,
		      __entry->req_len)
);

TRACE_EVENT(sst_sock_built,
	    TP_PROTO(u64 conn_id, __be32 peer, u32 seq_start, int err,
		     u64 build_ns),
	    TP_ARGS(conn_id, peer, seq_start, err, build_ns),
	    TP_STRUCT__entry(__field(u64, conn_id)
			     __array(u8, peer, 4)
			     __field(u32, seq_start)
			     __field(int, err)
			     __field(u64, build_ns)),
	    TP_fast_assign(__entry->conn_id = conn_id;
			   memcpy(__entry->peer, &peer, 4);
			   __entry->seq_start = seq_start;
			   __entry->err = err;
			   __entry->build_ns = build_ns;),
	    TP_printk("conn=%llu peer=%pI4 seq_start=%u err=%d build_us=%llu",
		      __entry->conn_id, __entry->peer, __entry->seq_start,
		      __entry->err, __entry->build_ns / 1000)
);

TRACE_EVENT(sst_adopt,
	    TP_PROTO(u64 conn_id, __be32 peer, u32 seq_end, u32 cwnd,
		     u32 srtt_us),
	    TP_ARGS(conn_id, peer, seq_end, cwnd, srtt_us),
	    TP_STRUCT__entry(__field(u64, conn_id)
			     __array(u8, peer, 4)
			     __field(u32, seq_end)
			     __field(u32, cwnd)
			     __field(u32, srtt_us)),
	    TP_fast_assign(__entry->conn_id = conn_id;
			   memcpy(__entry->peer, &peer, 4);
			   __entry->seq_end = seq_end;
			   __entry->cwnd = cwnd;
			   __entry->srtt_us = srtt_us;),
	    TP_printk("conn=%llu peer=%pI4 seq_end=%u cwnd=%u srtt_us=%u",
		      __entry->conn_id, __entry->peer, __entry->seq_end,
		      __entry->cwnd, __entry->srtt_us >> 3)
);

TRACE_EVENT(sst_handoff,
	    TP_PROTO(u64 conn_id, __be32 peer, int err, u32 sent, u64 dur_ns),
	    TP_ARGS(conn_id, peer, err, sent, dur_ns),
	    TP_STRUCT__entry(__field(u64, conn_id)
			     __array(u8, peer, 4)
			     __field(int, err)
			     __field(u32, sent)
			     __field(u64, dur_ns)),
	    TP_fast_assign(__entry->conn_id = conn_id;
			   memcpy(__entry->peer, &peer, 4);
			   __entry->err = err;
			   __entry->sent = sent;
			   __entry->dur_ns = dur_ns;),
	    TP_printk("conn=%llu peer=%pI4 err=%d sent=%u dur_us=%llu",
		      __entry->conn_id, __entry->peer, __entry->err,
		      __entry->sent, __entry->dur_ns / 1000)
);

TRACE_EVENT(sst_credit_drop,
	    TP_PROTO(u64 conn_id, __be32 peer, u32 seq_start, int reason),
	    TP_ARGS(conn_id, peer, seq_start, reason),
	    TP_STRUCT__entry(__field(u64, conn_id)
			     __array(u8, peer, 4)
			     __field(u32, seq_start)
			     __field(int, reason)),
	    TP_fast_assign(__entry->conn_id = conn_id;
			   memcpy(__entry->peer, &peer, 4);
			   __entry->seq_start = seq_start;
			   __entry->reason = reason;),
	    TP_printk("conn=%llu peer=%pI4 seq_start=%u reason=%s",
		      __entry->conn_id, __entry->peer, __entry->seq_start,
		      __print_symbolic(__entry->reason,
				       { SST_CREDIT_MALFORMED, "malformed" },
				       { SST_CREDIT_NO_SOCKET, "no_socket" },
				       { SST_CREDIT_NO_ROUTE, "no_route" },
				       { SST_CREDIT_NO_MEMORY, "no_memory" }))
);

TRACE_EVENT(sst_ctrl_refused,
	    TP_PROTO(__be32 peer, __be16 port, int reason),
	    TP_ARGS(peer, port, reason),
	    TP_STRUCT__entry(__array(u8, peer, 4)
			     __field(u16, port)
			     __field(int, reason)),
	    TP_fast_assign(memcpy(__entry->peer, &peer, 4);
			   __entry->port = be16_to_cpu(port);
			   __entry->reason = reason;),
	    TP_printk("from=%pI4:%u reason=%s",
		      __entry->peer, __entry->port,
		      __print_symbolic(__entry->reason,
				       { SST_REFUSED_UNKNOWN_PEER, "unknown_peer" },
				       { SST_REFUSED_MALFORMED, "malformed" },
				       { SST_REFUSED_BAD_MAC, "bad_mac" },
				       { SST_REFUSED_REPLAY, "replay" },
				       { SST_REFUSED_UNEXPECTED, "unexpected" }))
);

#endif /* _SST_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
