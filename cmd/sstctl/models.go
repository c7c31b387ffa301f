package main

import (
	"fmt"
	"strings"

	"github.com/split-stack/splitstack/pkg/nl"
)

// peersView lists peers as lines such as
// "10.0.1.2 port 4795  # heard 250ms ago", which "sstctl peers add" accepts
// back (it ignores the comment). JSON has "last_heard_ms", null if never.
func peersView(peers []nl.Peer) *view {
	v := &view{
		fields: []field{{"addr", "addr"}, {"port", "port"}, {"", "last_heard_ms"}},
		layout: layoutLines,
		rows:   make([][]any, 0, len(peers)),
		comment: func(row []any) string {
			if h := row[2].(lastHeard); h.heard {
				return "heard " + h.String()
			}
			return "never heard"
		},
	}
	for _, p := range peers {
		v.rows = append(v.rows, []any{p.Addr, p.Port, lastHeard{p.Heard, p.LastHeard}})
	}
	return v
}

// halfPipesView lists half-pipes as a table.
func halfPipesView(hps []nl.HalfPipe) *view {
	v := &view{
		fields: []field{
			{"ID", "id"},
			{"CLIENT", "client"},
			{"VIP", "vip"},
			{"OS", "os"},
			{"SEQ START", "seq_start"},
			{"SEQ END", "seq_end"},
			{"STATE", "state"},
			{"UNACKED", "unacked"},
			{"AGE", "age_ms"},
		},
		layout: layoutTable,
		rows:   make([][]any, 0, len(hps)),
	}
	for _, hp := range hps {
		v.rows = append(v.rows, []any{
			hp.ID, hp.Client, hp.VIP, hp.OS, hp.SeqStart, hp.SeqEnd,
			hp.State, hp.Unacked, millis(hp.Age),
		})
	}
	return v
}

// pad indents the continuation of a counter's help line.
const pad = "                  "

// statCounters lists every counter of nl.Stats, in the kernel's order,
// with its name (the text row and the JSON key) and what it counts: "sstctl
// show stats --help" and statsView are both made from it.
var statCounters = []struct {
	name, meaning string
	get           func(nl.Stats) uint64
}{
	{"setups", "SETUPs sent (DS); SETUPs turned into a socket (OS)", func(s nl.Stats) uint64 { return s.Setups }},
	{"data_dones", "DATA_DONEs taken (DS) or sent (OS)", func(s nl.Stats) uint64 { return s.DataDones }},
	{"credits", "SEND_PACKETs: client ACKs forwarded to an OS (DS)", func(s nl.Stats) uint64 { return s.Credits }},
	{"gcs", "GC_PACKETs (0 in this version: GC rides on RESET)", func(s nl.Stats) uint64 { return s.GCs }},
	{"piggybacked", "a credit and a GC in one message (0 in this version)", func(s nl.Stats) uint64 { return s.Piggybacked }},
	{"resets", "RESETs sent (DS) or taken (OS): half-pipes ended", func(s nl.Stats) uint64 { return s.Resets }},
	{"retransmits", "reliable control messages sent again", func(s nl.Stats) uint64 { return s.Retransmits }},
	{"auth_failures", "control datagrams with a bad MAC (refused)", func(s nl.Stats) uint64 { return s.AuthFailures }},
	{"timeouts", "messages never acknowledged, handoffs past the progress\n" + pad + "bound, half-pipes collected (peer silent)", func(s nl.Stats) uint64 { return s.Timeouts }},
	{"drops", "malformed, out-of-range or unexpected messages, SETUPs\n" + pad + "that built no socket (refused)", func(s nl.Stats) uint64 { return s.Drops }},
	{"handoff_errors", "handoff ioctls that failed", func(s nl.Stats) uint64 { return s.HandoffErrors }},
	{"ctrl_rx", "control messages accepted", func(s nl.Stats) uint64 { return s.CtrlRx }},
	{"ctrl_tx", "control datagrams sent, retransmissions included", func(s nl.Stats) uint64 { return s.CtrlTx }},
	{"ctrl_tx_errors", "control messages not sent (no route, no memory)", func(s nl.Stats) uint64 { return s.CtrlTxErrors }},
	{"unknown_peer", "datagrams from no peer's address and port (refused)", func(s nl.Stats) uint64 { return s.UnknownPeer }},
	{"replays", "authentic messages replayed or too old (refused)", func(s nl.Stats) uint64 { return s.Replays }},
	{"duplicates", "copies of messages already taken (acknowledged again)", func(s nl.Stats) uint64 { return s.Duplicates }},
	{"keepalives", "KEEPALIVEs taken", func(s nl.Stats) uint64 { return s.Keepalives }},
	{"aborts", "half-pipes an OS refused or lost: ABORTs sent (OS) or\n" + pad + "taken (DS)", func(s nl.Stats) uint64 { return s.Aborts }},
	{"ack_nows", "DS pure ACKs sent as ACK_NOWs (DS); ACK_NOWs answered (OS)", func(s nl.Stats) uint64 { return s.AckNows }},
	{"segs_refused", "client segments the DS did not act on: bad checksum,\n" + pad + "out of window, ACK of data never sent (left to TCP,\n" + pad + "which refuses them too: reordered ones count)", func(s nl.Stats) uint64 { return s.SegsRefused }},
}

// statsHelp is the help text of "sstctl show stats": every counter.
func statsHelp() string {
	var b strings.Builder
	b.WriteString("Counters of this network namespace, since the module was loaded (a node\n")
	b.WriteString("counts as a DS and as an OS in the same counters):\n\n")
	for _, c := range statCounters {
		fmt.Fprintf(&b, "  %-*s  %s\n", len(pad)-4, c.name, c.meaning)
	}
	b.WriteString("\nWith --json, prints one object with these keys.\n\nExample:\n  sstctl -j show stats\n")
	return b.String()
}

// statsView shows the counters as a two-column table, or a JSON object.
func statsView(s nl.Stats) *view {
	v := &view{
		single:       true,
		layout:       layoutColumn,
		columnHeader: []string{"COUNTER", "VALUE"},
	}
	row := make([]any, 0, len(statCounters))
	for _, c := range statCounters {
		v.fields = append(v.fields, field{c.name, c.name})
		row = append(row, c.get(s))
	}
	v.rows = [][]any{row}
	return v
}

// configView shows the configuration as "keyword value" lines using the
// keywords of "sstctl config set", or a JSON object. The key itself is
// never known, only whether one is set.
func configView(c nl.Config) *view {
	return &view{
		fields: []field{
			{"port", "port"},
			{"keepalive", "keepalive_ms"},
			{"mode", "mode"},
			{"key", "key_set"},
		},
		rows:   [][]any{{c.CtrlPort, millis(c.Keepalive), c.Mode, keyState(c.AuthKeySet)}},
		single: true,
		layout: layoutPairs,
	}
}
