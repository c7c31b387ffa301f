package main

import (
	"bytes"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/split-stack/splitstack/pkg/nl"
)

// TestRender renders each view as text and as JSON from the same model.
func TestRender(t *testing.T) {
	tests := []struct {
		name     string
		view     *view
		wantText string
		wantJSON string
	}{
		{
			name: "table",
			view: &view{
				fields: []field{{"NAME", "name"}, {"SIZE", "size_bytes"}, {"ON", "on"}},
				rows:   [][]any{{"a", uint64(1), true}, {"longer name", uint32(12345), false}},
				layout: layoutTable,
			},
			wantText: "NAME         SIZE   ON\na            1      true\nlonger name  12345  false\n",
			wantJSON: `[{"name":"a","size_bytes":1,"on":true},{"name":"longer name","size_bytes":12345,"on":false}]` + "\n",
		},
		{
			name: "empty table",
			view: &view{
				fields: []field{{"NAME", "name"}, {"SIZE", "size_bytes"}},
				layout: layoutTable,
			},
			wantText: "NAME  SIZE\n",
			wantJSON: "[]\n",
		},
		{
			name:     "peers",
			view:     peersView([]nl.Peer{{Addr: netip.MustParseAddr("10.0.1.2"), Port: 4795}, {Addr: netip.MustParseAddr("10.0.1.3"), Port: 1, Heard: true, LastHeard: 20 * time.Millisecond}}),
			wantText: "10.0.1.2 port 4795  # never heard\n10.0.1.3 port 1  # heard 20ms ago\n",
			wantJSON: `[{"addr":"10.0.1.2","port":4795,"last_heard_ms":null},{"addr":"10.0.1.3","port":1,"last_heard_ms":20}]` + "\n",
		},
		{
			name:     "no peers",
			view:     peersView(nil),
			wantText: "",
			wantJSON: "[]\n",
		},
		{
			name: "half-pipe",
			view: halfPipesView([]nl.HalfPipe{{
				ID:     1,
				Client: netip.MustParseAddrPort("198.51.100.7:40000"),
				VIP:    netip.MustParseAddrPort("192.0.2.1:80"),
				OS:     netip.MustParseAddr("10.0.1.2"),
				State:  nl.HalfPipeReset,
				Age:    2*time.Minute + 3500*time.Millisecond,
			}}),
			wantText: "ID  CLIENT              VIP           OS        SEQ START  SEQ END  STATE  UNACKED  AGE\n" +
				"1   198.51.100.7:40000  192.0.2.1:80  10.0.1.2  0          0        reset  0        2m3.5s\n",
			wantJSON: `[{"id":1,"client":"198.51.100.7:40000","vip":"192.0.2.1:80","os":"10.0.1.2","seq_start":0,` +
				`"seq_end":0,"state":"reset","unacked":0,"age_ms":123500}]` + "\n",
		},
		{
			name:     "config pairs",
			view:     configView(nl.Config{CtrlPort: 1, Keepalive: 100 * time.Millisecond, Mode: nl.ModeDrain, AuthKeySet: true}),
			wantText: "port 1\nkeepalive 100ms\nmode drain\nkey set\n",
			wantJSON: `{"port":1,"keepalive_ms":100,"mode":"drain","key_set":true}` + "\n",
		},
		{
			name: "column with the default header",
			view: &view{
				fields: []field{{"a", "a"}, {"bb", "b_b"}},
				rows:   [][]any{{1, "x"}},
				single: true,
				layout: layoutColumn,
			},
			wantText: "NAME  VALUE\na     1\nbb    x\n",
			wantJSON: `{"a":1,"b_b":"x"}` + "\n",
		},
		{
			name: "stats",
			view: statsView(nl.Stats{Setups: 1, HandoffErrors: 2, Keepalives: 3}),
			wantText: `COUNTER         VALUE
setups          1
data_dones      0
credits         0
gcs             0
piggybacked     0
resets          0
retransmits     0
auth_failures   0
timeouts        0
drops           0
handoff_errors  2
ctrl_rx         0
ctrl_tx         0
ctrl_tx_errors  0
unknown_peer    0
replays         0
duplicates      0
keepalives      3
aborts          0
ack_nows        0
segs_refused    0
`,
			wantJSON: `{"setups":1,"data_dones":0,"credits":0,"gcs":0,"piggybacked":0,"resets":0,` +
				`"retransmits":0,"auth_failures":0,"timeouts":0,"drops":0,"handoff_errors":2,` +
				`"ctrl_rx":0,"ctrl_tx":0,"ctrl_tx_errors":0,"unknown_peer":0,"replays":0,"duplicates":0,"keepalives":3,"aborts":0,"ack_nows":0,"segs_refused":0}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, asJSON := range []bool{false, true} {
				var b bytes.Buffer
				if err := tt.view.render(&b, asJSON); err != nil {
					t.Fatalf("render(json=%v): %v", asJSON, err)
				}
				want := tt.wantText
				if asJSON {
					want = tt.wantJSON
				}
				if b.String() != want {
					t.Errorf("render(json=%v):\n%s\nwant:\n%s", asJSON, b.String(), want)
				}
			}
		})
	}
}

func TestRenderSingleNeedsOneRow(t *testing.T) {
	v := &view{fields: []field{{"a", "a"}}, single: true, layout: layoutPairs}
	if err := v.render(&bytes.Buffer{}, true); err == nil {
		t.Fatal("no error for a single-record view without records")
	}
}

func TestValueForms(t *testing.T) {
	tests := []struct {
		v        any
		wantText string
		wantJSON string
	}{
		{millis(0), "0ms", "0"},
		{millis(999 * time.Millisecond), "999ms", "999"},
		{millis(time.Second), "1s", "1000"},
		{millis(1234 * time.Millisecond), "1.234s", "1234"},
		{millis(time.Minute), "60s", "60000"},
		{millis(time.Hour + time.Millisecond), "1h0m0.001s", "3600001"},
		{keyState(true), "set", "true"},
		{keyState(false), "unset", "false"},
		{nl.ModeSplit, "split", `"split"`},
		{nl.HalfPipeSending, "sending", `"sending"`},
		{netip.MustParseAddr("10.0.0.1"), "10.0.0.1", `"10.0.0.1"`},
		{uint64(1) << 63, "9223372036854775808", "9223372036854775808"},
	}
	for _, tt := range tests {
		v := &view{fields: []field{{"v", "v"}}, rows: [][]any{{tt.v}}, single: true, layout: layoutPairs}
		var text, js bytes.Buffer
		if err := v.render(&text, false); err != nil {
			t.Fatal(err)
		}
		if err := v.render(&js, true); err != nil {
			t.Fatal(err)
		}
		if got := text.String(); got != "v "+tt.wantText+"\n" {
			t.Errorf("%#v: text %q, want %q", tt.v, got, "v "+tt.wantText+"\n")
		}
		if got := js.String(); got != `{"v":`+tt.wantJSON+"}\n" {
			t.Errorf("%#v: JSON %q, want %q", tt.v, got, tt.wantJSON)
		}
	}
}

// Every counter of nl.Stats has a row, a JSON key and a line of help, in
// the struct's order: a counter added to the kernel and pkg/nl and not
// here fails.
func TestStatCountersComplete(t *testing.T) {
	typ := reflect.TypeOf(nl.Stats{})
	if typ.NumField() != len(statCounters) {
		t.Fatalf("nl.Stats has %d counters, statCounters %d", typ.NumField(), len(statCounters))
	}
	var s nl.Stats
	v := reflect.ValueOf(&s).Elem()
	help := statsHelp()
	for i, c := range statCounters {
		v.Field(i).SetUint(uint64(i + 1))
		if got := c.get(s); got != uint64(i+1) {
			t.Errorf("%s reads field %d, not %s", c.name, i, typ.Field(i).Name)
		}
		if c.meaning == "" || !strings.Contains(help, "  "+c.name+"  ") {
			t.Errorf("%s: no help line", c.name)
		}
	}
}
