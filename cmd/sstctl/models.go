package main

import (
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

// statsView shows the counters as a two-column table, or a JSON object.
func statsView(s nl.Stats) *view {
	return &view{
		fields: []field{
			{"setups", "setups"},
			{"data_dones", "data_dones"},
			{"credits", "credits"},
			{"gcs", "gcs"},
			{"piggybacked", "piggybacked"},
			{"resets", "resets"},
			{"retransmits", "retransmits"},
			{"auth_failures", "auth_failures"},
			{"timeouts", "timeouts"},
			{"drops", "drops"},
			{"handoff_errors", "handoff_errors"},
			{"ctrl_rx", "ctrl_rx"},
			{"ctrl_tx", "ctrl_tx"},
			{"ctrl_tx_errors", "ctrl_tx_errors"},
			{"unknown_peer", "unknown_peer"},
			{"replays", "replays"},
			{"duplicates", "duplicates"},
			{"keepalives", "keepalives"},
			{"aborts", "aborts"},
			{"ack_nows", "ack_nows"},
		},
		rows: [][]any{{
			s.Setups, s.DataDones, s.Credits, s.GCs, s.Piggybacked, s.Resets,
			s.Retransmits, s.AuthFailures, s.Timeouts, s.Drops, s.HandoffErrors,
			s.CtrlRx, s.CtrlTx, s.CtrlTxErrors, s.UnknownPeer, s.Replays,
			s.Duplicates, s.Keepalives, s.Aborts, s.AckNows,
		}},
		single:       true,
		layout:       layoutColumn,
		columnHeader: []string{"COUNTER", "VALUE"},
	}
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
