package wire

// A Field is where a field of a wire struct lies: its offset and size in
// bytes.
type Field struct{ Off, Size int }

// Layouts are the wire structs of the uapi header
// (kmod/include/uapi/linux/splitstack.h), field by field under their C
// names, for code that builds or reads message bodies byte by byte (the
// test tools). TestLayoutsMatchHeader compiles the header and compares;
// the header's struct comes first, its size under "".
var Layouts = map[string]map[string]Field{
	"sst_wire_hdr": {
		"": {0, 32}, "magic": {0, 4}, "version": {4, 1}, "type": {5, 1}, "flags": {6, 2},
		"len": {8, 4}, "epoch": {12, 4}, "seq": {16, 4}, "reserved": {20, 4}, "conn_id": {24, 8},
	},
	"sst_wire_ack": {"": {0, 8}, "epoch": {0, 4}, "seq": {4, 4}},
	"sst_wire_setup": {
		"": {0, 72}, "client_addr": {0, 4}, "vip_addr": {4, 4}, "client_port": {8, 2},
		"vip_port": {10, 2}, "os_port": {12, 2}, "mss": {14, 2}, "snd_wscale": {16, 1},
		"rcv_wscale": {17, 1}, "opts": {18, 1}, "flags": {19, 1}, "seq": {20, 4},
		"snd_wnd": {24, 4}, "max_window": {28, 4}, "rcv_nxt": {32, 4}, "rcv_wnd": {36, 4},
		"tsval": {40, 4}, "ts_recent": {44, 4}, "cwnd": {48, 4}, "ssthresh": {52, 4},
		"srtt_us": {56, 4}, "mdev_us": {60, 4}, "rto_ms": {64, 4}, "req_len": {68, 4},
		"req": {72, 0},
	},
	"sst_wire_data_done": {
		"": {0, 28}, "seq_start": {0, 4}, "seq_end": {4, 4}, "tsval": {8, 4}, "cwnd": {12, 4},
		"ssthresh": {16, 4}, "srtt_us": {20, 4}, "mdev_us": {24, 4},
	},
	"sst_wire_reset": {"": {0, 4}, "seq_start": {0, 4}},
	"sst_wire_abort": {"": {0, 8}, "seq_start": {0, 4}, "seq_end": {4, 4}},
	"sst_wire_credit": {
		"": {0, 28}, "seq_start": {0, 4}, "ack": {4, 4}, "win": {8, 4}, "rcv_nxt": {12, 4},
		"tsval": {16, 4}, "tsecr": {20, 4}, "nsack": {24, 1}, "reserved": {25, 3}, "sack": {28, 0},
	},
}
