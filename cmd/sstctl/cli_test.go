package main

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/split-stack/splitstack/pkg/nl"
	"golang.org/x/sys/unix"
)

// fakeClient records the calls of a command and answers from its fields.
type fakeClient struct {
	peers     []nl.Peer
	halfPipes []nl.HalfPipe
	stats     nl.Stats
	config    nl.Config
	events    []nl.Event // Monitor delivers them, then ends as if interrupted
	monErr    error      // Monitor's error after the events, if set
	err       error      // returned by every call

	calls  []string
	closed bool
}

func (f *fakeClient) record(format string, a ...any) error {
	f.calls = append(f.calls, fmt.Sprintf(format, a...))
	return f.err
}

func (f *fakeClient) AddPeer(p nl.Peer) error           { return f.record("AddPeer %v %d", p.Addr, p.Port) }
func (f *fakeClient) DeletePeer(a netip.Addr) error     { return f.record("DeletePeer %v", a) }
func (f *fakeClient) Peers() ([]nl.Peer, error)         { return f.peers, f.record("Peers") }
func (f *fakeClient) HalfPipes() ([]nl.HalfPipe, error) { return f.halfPipes, f.record("HalfPipes") }
func (f *fakeClient) Stats() (nl.Stats, error)          { return f.stats, f.record("Stats") }
func (f *fakeClient) Config() (nl.Config, error)        { return f.config, f.record("Config") }
func (f *fakeClient) Close() error                      { f.closed = true; return nil }

func (f *fakeClient) Monitor(_ context.Context, fn func(nl.Event) error) error {
	if err := f.record("Monitor"); err != nil {
		return err
	}
	for _, ev := range f.events {
		if err := fn(ev); err != nil {
			return err
		}
	}
	if f.monErr != nil {
		return f.monErr
	}
	return context.Canceled
}

func (f *fakeClient) SetConfig(ch nl.ConfigChange) error {
	var parts []string
	if ch.CtrlPort != nil {
		parts = append(parts, fmt.Sprintf("port=%d", *ch.CtrlPort))
	}
	if ch.Keepalive != nil {
		parts = append(parts, fmt.Sprintf("keepalive=%v", *ch.Keepalive))
	}
	if ch.Mode != nil {
		parts = append(parts, fmt.Sprintf("mode=%v", *ch.Mode))
	}
	if ch.AuthKey != nil {
		parts = append(parts, fmt.Sprintf("key=%x", ch.AuthKey))
	}
	return f.record("SetConfig %s", strings.Join(parts, " "))
}

var (
	testPeers = []nl.Peer{
		{Addr: netip.MustParseAddr("10.0.1.2"), Port: 4795},
		{Addr: netip.MustParseAddr("10.0.1.3"), Port: 9000, Heard: true, LastHeard: 1250 * time.Millisecond},
	}
	testHalfPipes = []nl.HalfPipe{
		{
			ID:       42,
			Client:   netip.MustParseAddrPort("198.51.100.7:40000"),
			VIP:      netip.MustParseAddrPort("192.0.2.1:80"),
			OS:       netip.MustParseAddr("10.0.1.2"),
			SeqStart: 1000,
			SeqEnd:   4294967280,
			State:    nl.HalfPipeDone,
			Unacked:  1460,
			Age:      1234 * time.Millisecond,
		},
		{
			ID:       7,
			Client:   netip.MustParseAddrPort("203.0.113.9:5555"),
			VIP:      netip.MustParseAddrPort("192.0.2.1:443"),
			OS:       netip.MustParseAddr("10.0.1.3"),
			SeqStart: 1,
			SeqEnd:   2,
			State:    nl.HalfPipeSetup,
			Age:      90 * time.Millisecond,
		},
	}
	testStats = nl.Stats{
		Setups: 12, DataDones: 11, Credits: 300, GCs: 40, Piggybacked: 5,
		Resets: 1, Retransmits: 2, AuthFailures: 0, Timeouts: 3, Drops: 4,
		HandoffErrors: 1 << 40, CtrlRx: 21, CtrlTx: 22, CtrlTxErrors: 23,
		UnknownPeer: 24, Replays: 25, Duplicates: 26, Keepalives: 27, Aborts: 28, AckNows: 29, SegsRefused: 30,
	}
	testConfig = nl.Config{CtrlPort: 4795, Keepalive: time.Second, Mode: nl.ModeSplit}
	testEvents = []nl.Event{
		{Type: nl.EventHandoff, ConnID: 7, Peer: netip.MustParseAddr("10.0.1.3"), SeqStart: 100, SeqEnd: 6430,
			Sent: 6330, Duration: 19680 * time.Microsecond},
		{Type: nl.EventHandoff, ConnID: 9, Peer: netip.MustParseAddr("10.0.1.4"), Err: syscall.ETIMEDOUT,
			Duration: 4012 * time.Millisecond},
		{Type: nl.EventReset, ConnID: 7, Peer: netip.MustParseAddr("10.0.1.3"), SeqStart: 100, SeqEnd: 6430},
		{Type: nl.EventAbort, ConnID: 12, Peer: netip.MustParseAddr("10.0.1.2"), SeqStart: 90, SeqEnd: 90},
		{Type: nl.EventGCTimeout, ConnID: 13, Peer: netip.MustParseAddr("10.0.1.2"), SeqStart: 4000},
	}

	// key32 is a key whose hex form must never be printed.
	key32    = bytes.Repeat([]byte{0x5a}, 32)
	key32Hex = strings.Repeat("5a", 32)
)

const halfPipesText = `ID  CLIENT              VIP            OS        SEQ START  SEQ END     STATE  UNACKED  AGE
42  198.51.100.7:40000  192.0.2.1:80   10.0.1.2  1000       4294967280  done   1460     1.234s
7   203.0.113.9:5555    192.0.2.1:443  10.0.1.3  1          2           setup  0        90ms
`

// kernelError is an error like those of package nl: a message of its own
// wrapping an errno.
type kernelError struct {
	msg   string
	errno unix.Errno
}

func (e *kernelError) Error() string { return e.msg }
func (e *kernelError) Unwrap() error { return e.errno }

func TestRun(t *testing.T) {
	keyDir := t.TempDir()
	rawKey := filepath.Join(keyDir, "raw")
	hexKey := filepath.Join(keyDir, "hex")
	badKey := filepath.Join(keyDir, "bad")
	for path, data := range map[string][]byte{
		rawKey: key32,
		hexKey: []byte(key32Hex + "\n"),
		badKey: []byte(key32Hex[:40] + "\n"),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name       string
		args       []string
		stdin      string
		fake       fakeClient
		dialErr    error
		wantCode   int
		wantOut    string   // exact stdout, unless wantOutHas
		wantOutHas []string // substrings of stdout
		wantErr    string   // prefix of stderr
		wantCalls  []string // nil: the kernel must not be contacted
	}{
		// peers
		{
			name:      "peers",
			args:      []string{"peers"},
			fake:      fakeClient{peers: testPeers},
			wantOut:   "10.0.1.2 port 4795  # never heard\n10.0.1.3 port 9000  # heard 1.25s ago\n",
			wantCalls: []string{"Peers"},
		},
		{
			name:      "peers list json",
			args:      []string{"peers", "list", "-j"},
			fake:      fakeClient{peers: testPeers},
			wantOut:   `[{"addr":"10.0.1.2","port":4795,"last_heard_ms":null},{"addr":"10.0.1.3","port":9000,"last_heard_ms":1250}]` + "\n",
			wantCalls: []string{"Peers"},
		},
		{
			name:      "no peers",
			args:      []string{"peers"},
			wantOut:   "",
			wantCalls: []string{"Peers"},
		},
		{
			name:      "no peers json",
			args:      []string{"--json", "peers"},
			wantOut:   "[]\n",
			wantCalls: []string{"Peers"},
		},
		{
			name:      "peers add",
			args:      []string{"peers", "add", "10.0.1.2"},
			wantCalls: []string{"AddPeer 10.0.1.2 0"},
		},
		{
			name:      "peers add with port, as printed by peers",
			args:      []string{"peers", "add", "10.0.1.2", "port", "4795"},
			wantCalls: []string{"AddPeer 10.0.1.2 4795"},
		},
		{
			name:      "peers add with the comment printed by peers",
			args:      []string{"peers", "add", "10.0.1.2", "port", "4795", "#", "heard", "1.25s", "ago"},
			wantCalls: []string{"AddPeer 10.0.1.2 4795"},
		},
		{
			name:     "peers add bad address",
			args:     []string{"peers", "add", "10.0.1.x"},
			wantCode: 2,
			wantErr:  "sstctl: \"10.0.1.x\" is not an IPv4 address\nUsage: sstctl peers add ADDR [port N]\n",
		},
		{
			name:     "peers add IPv6",
			args:     []string{"peers", "add", "2001:db8::1"},
			wantCode: 2,
			wantErr:  "sstctl: \"2001:db8::1\" is not an IPv4 address (splitstack supports IPv4 peers only)\n",
		},
		{
			name:     "peers add port out of range",
			args:     []string{"peers", "add", "10.0.1.2", "port", "65536"},
			wantCode: 2,
			wantErr:  "sstctl: port 65536 out of range (1..65535)\n",
		},
		{
			name:     "peers add unknown argument",
			args:     []string{"peers", "add", "10.0.1.2", "prot", "1"},
			wantCode: 2,
			wantErr:  "sstctl: unknown argument \"prot\"\n",
		},
		{
			name:     "peers add missing address",
			args:     []string{"peers", "add"},
			wantCode: 2,
			wantErr:  "sstctl: missing peer address\n",
		},
		{
			name:      "peers add exists",
			args:      []string{"peers", "add", "10.0.1.2"},
			fake:      fakeClient{err: &kernelError{"add peer 10.0.1.2: peer already exists", unix.EEXIST}},
			wantCode:  1,
			wantErr:   "sstctl: add peer 10.0.1.2: peer already exists\n",
			wantCalls: []string{"AddPeer 10.0.1.2 0"},
		},
		{
			name:      "peers del",
			args:      []string{"peers", "del", "10.0.1.2"},
			wantCalls: []string{"DeletePeer 10.0.1.2"},
		},
		{
			name:      "peer delete alias",
			args:      []string{"peer", "delete", "10.0.1.2"},
			wantCalls: []string{"DeletePeer 10.0.1.2"},
		},
		{
			name:     "peers del extra argument",
			args:     []string{"peers", "del", "10.0.1.2", "port", "1"},
			wantCode: 2,
			wantErr:  "sstctl: unexpected argument \"port\"\n",
		},
		{
			name:      "peers del no such peer",
			args:      []string{"peers", "del", "10.0.1.9"},
			fake:      fakeClient{err: &kernelError{"delete peer 10.0.1.9: no such peer", unix.ENOENT}},
			wantCode:  1,
			wantErr:   "sstctl: delete peer 10.0.1.9: no such peer\n",
			wantCalls: []string{"DeletePeer 10.0.1.9"},
		},
		{
			name:     "peers unknown subcommand",
			args:     []string{"peers", "10.0.1.2"},
			wantCode: 2,
			wantErr:  "sstctl: unknown command \"10.0.1.2\" for \"sstctl peers\"\nUsage: sstctl peers [list]\n       sstctl peers add ADDR [port N]\n       sstctl peers del ADDR\nRun 'sstctl peers --help' for more information.\n",
		},
		{
			name:     "peers list extra argument",
			args:     []string{"peers", "list", "all"},
			wantCode: 2,
			wantErr:  "sstctl: unexpected argument \"all\"\n",
		},

		// show
		{
			name:      "show halfpipes",
			args:      []string{"show", "halfpipes"},
			fake:      fakeClient{halfPipes: testHalfPipes},
			wantOut:   halfPipesText,
			wantCalls: []string{"HalfPipes"},
		},
		{
			name:      "show halfpipes empty prints the header",
			args:      []string{"show", "halfpipes"},
			wantOut:   "ID  CLIENT  VIP  OS  SEQ START  SEQ END  STATE  UNACKED  AGE\n",
			wantCalls: []string{"HalfPipes"},
		},
		{
			name:      "show halfpipes empty json",
			args:      []string{"show", "halfpipes", "-j"},
			wantOut:   "[]\n",
			wantCalls: []string{"HalfPipes"},
		},
		{
			name: "show halfpipes json",
			args: []string{"-j", "show", "hp"},
			fake: fakeClient{halfPipes: testHalfPipes[:1]},
			wantOut: `[{"id":42,"client":"198.51.100.7:40000","vip":"192.0.2.1:80","os":"10.0.1.2",` +
				`"seq_start":1000,"seq_end":4294967280,"state":"done","unacked":1460,"age_ms":1234}]` + "\n",
			wantCalls: []string{"HalfPipes"},
		},
		{
			name: "show stats",
			args: []string{"show", "stats"},
			fake: fakeClient{stats: testStats},
			wantOut: `COUNTER         VALUE
setups          12
data_dones      11
credits         300
gcs             40
piggybacked     5
resets          1
retransmits     2
auth_failures   0
timeouts        3
drops           4
handoff_errors  1099511627776
ctrl_rx         21
ctrl_tx         22
ctrl_tx_errors  23
unknown_peer    24
replays         25
duplicates      26
keepalives      27
aborts          28
ack_nows        29
segs_refused    30
`,
			wantCalls: []string{"Stats"},
		},
		{
			name: "show stats json",
			args: []string{"show", "stats", "--json"},
			fake: fakeClient{stats: testStats},
			wantOut: `{"setups":12,"data_dones":11,"credits":300,"gcs":40,"piggybacked":5,"resets":1,` +
				`"retransmits":2,"auth_failures":0,"timeouts":3,"drops":4,"handoff_errors":1099511627776,` +
				`"ctrl_rx":21,"ctrl_tx":22,"ctrl_tx_errors":23,"unknown_peer":24,"replays":25,"duplicates":26,"keepalives":27,"aborts":28,"ack_nows":29,"segs_refused":30}` + "\n",
			wantCalls: []string{"Stats"},
		},
		{
			name:     "show without what",
			args:     []string{"show"},
			wantCode: 2,
			wantErr:  "sstctl: \"sstctl show\" needs a command\nUsage: sstctl show halfpipes\n       sstctl show stats\n",
		},
		{
			name:     "show unknown",
			args:     []string{"show", "peers"},
			wantCode: 2,
			wantErr:  "sstctl: unknown command \"peers\" for \"sstctl show\"\n",
		},

		// config
		{
			name:      "config",
			args:      []string{"config"},
			fake:      fakeClient{config: testConfig},
			wantOut:   "port 4795\nkeepalive 1s\nmode split\nkey unset\n",
			wantCalls: []string{"Config"},
		},
		{
			name:      "config show with key",
			args:      []string{"config", "show"},
			fake:      fakeClient{config: nl.Config{CtrlPort: 5000, Keepalive: 1500 * time.Millisecond, Mode: nl.ModeDrain, AuthKeySet: true}},
			wantOut:   "port 5000\nkeepalive 1.5s\nmode drain\nkey set\n",
			wantCalls: []string{"Config"},
		},
		{
			name:      "config json",
			args:      []string{"config", "-j"},
			fake:      fakeClient{config: testConfig},
			wantOut:   `{"port":4795,"keepalive_ms":1000,"mode":"split","key_set":false}` + "\n",
			wantCalls: []string{"Config"},
		},
		{
			name:      "config set everything",
			args:      []string{"config", "set", "port", "5000", "keepalive", "250", "mode", "drain", "key", key32Hex},
			wantCalls: []string{"SetConfig port=5000 keepalive=250ms mode=drain key=" + key32Hex},
		},
		{
			name:      "config set keepalive duration",
			args:      []string{"config", "set", "keepalive", "2s"},
			wantCalls: []string{"SetConfig keepalive=2s"},
		},
		{
			name:      "config set raw key file",
			args:      []string{"config", "set", "key-file", rawKey},
			wantCalls: []string{"SetConfig key=" + key32Hex},
		},
		{
			name:      "config set hex key file",
			args:      []string{"config", "set", "mode", "split", "key-file", hexKey},
			wantCalls: []string{"SetConfig mode=split key=" + key32Hex},
		},
		{
			name:      "config set key from stdin",
			args:      []string{"config", "set", "key-file", "-"},
			stdin:     key32Hex,
			wantCalls: []string{"SetConfig key=" + key32Hex},
		},
		{
			name:     "config set bad key file",
			args:     []string{"config", "set", "key-file", badKey},
			wantCode: 1,
			wantErr:  "sstctl: key file " + badKey + " must hold 32 raw bytes or 64 hexadecimal characters (it has 40 bytes)\n",
		},
		{
			name:     "config set missing key file",
			args:     []string{"config", "set", "key-file", filepath.Join(keyDir, "nope")},
			wantCode: 1,
			wantErr:  "sstctl: read key file: open " + filepath.Join(keyDir, "nope") + ": no such file or directory\n",
		},
		{
			name:     "config set short hex key",
			args:     []string{"config", "set", "key", key32Hex[:62]},
			wantCode: 2,
			wantErr:  "sstctl: key must be 64 hexadecimal characters (32 bytes), got 62 characters\n",
		},
		{
			name:     "config set key and key file",
			args:     []string{"config", "set", "key", key32Hex, "key-file", rawKey},
			wantCode: 2,
			wantErr:  "sstctl: give either key or key-file, not both\n",
		},
		{
			name:     "config set keepalive out of range",
			args:     []string{"config", "set", "keepalive", "61s"},
			wantCode: 2,
			wantErr:  "sstctl: keepalive 61s out of range (100ms..60s)\n",
		},
		{
			name:     "config set bad mode",
			args:     []string{"config", "set", "mode", "fast"},
			wantCode: 2,
			wantErr:  "sstctl: unknown mode \"fast\" (want split or drain)\n",
		},
		{
			name:     "config set nothing",
			args:     []string{"config", "set"},
			wantCode: 2,
			wantErr:  "sstctl: nothing to set: give at least one of port, keepalive, mode, key or key-file\n",
		},
		{
			name:     "config set value missing",
			args:     []string{"config", "set", "port"},
			wantCode: 2,
			wantErr:  "sstctl: \"port\" needs a value\n",
		},
		{
			name:      "config set permission denied",
			args:      []string{"config", "set", "mode", "drain"},
			fake:      fakeClient{err: &kernelError{"set configuration: permission denied (needs CAP_NET_ADMIN)", unix.EPERM}},
			wantCode:  1,
			wantErr:   "sstctl: set configuration: permission denied (needs CAP_NET_ADMIN)\n",
			wantCalls: []string{"SetConfig mode=drain"},
		},

		// global errors and help
		{
			name:     "module not loaded",
			args:     []string{"peers"},
			dialErr:  nl.ErrNotLoaded,
			wantCode: 1,
			wantErr:  "sstctl: splitstack module not loaded (run: modprobe splitstack or insmod splitstack.ko)\n",
		},
		{
			name:     "no command",
			args:     nil,
			wantCode: 2,
			wantErr:  "sstctl: missing command\nUsage: sstctl peers [list]\n",
		},
		{
			name:     "unknown command",
			args:     []string{"route"},
			wantCode: 2,
			wantErr:  "sstctl: unknown command \"route\"\n",
		},
		{
			name:     "unknown flag",
			args:     []string{"peers", "--bogus"},
			wantCode: 2,
			wantErr:  "sstctl: unknown flag: --bogus\n",
		},
		{
			name:       "help",
			args:       []string{"--help"},
			wantOutHas: []string{"Usage: sstctl [OPTIONS] COMMAND [ARGUMENTS]\n", "  sstctl peers add ADDR [port N]\n      Trust a peer node.\n", "  -j, --json    print JSON instead of text\n", "Exit status"},
		},
		{
			name:       "help command",
			args:       []string{"help"},
			wantOutHas: []string{"Usage: sstctl [OPTIONS] COMMAND [ARGUMENTS]\n"},
		},
		{
			name:       "peers add --help",
			args:       []string{"peers", "add", "--help"},
			wantOutHas: []string{"Usage: sstctl peers add ADDR [port N]\n", "(default 4795)", "Example:\n  sstctl peers add 10.0.1.2 port 4795\n"},
		},
		{
			name:       "peers add -h with arguments",
			args:       []string{"peers", "add", "10.0.1.x", "-h"},
			wantOutHas: []string{"Usage: sstctl peers add ADDR [port N]\n"},
		},
		{
			name:       "help peers",
			args:       []string{"help", "peers"},
			wantOutHas: []string{"Usage: sstctl peers [COMMAND]\n", "  sstctl peers [list]\n      List the trusted peers.\n", "  sstctl peers del ADDR\n"},
		},
		{
			name:       "help config set",
			args:       []string{"help", "config", "set"},
			wantOutHas: []string{"keepalive DURATION|MS", "100ms..60s (default 1s)", "Examples:\n"},
		},
		{
			name:     "help unknown",
			args:     []string{"help", "route"},
			wantCode: 2,
			wantErr:  "sstctl: unknown command \"route\"\n",
		},
		{
			name:       "help ignores the arguments of a leaf",
			args:       []string{"help", "peers", "add", "10.0.1.2"},
			wantOutHas: []string{"Usage: sstctl peers add ADDR [port N]\n"},
		},
		{
			name: "monitor",
			args: []string{"monitor"},
			fake: fakeClient{events: testEvents},
			wantOut: "handoff conn 7 os 10.0.1.3 seq 100..6430 sent 6330 in 19.7ms\n" +
				"handoff conn 9 os 10.0.1.4 failed after 4s: connection timed out\n" +
				"reset conn 7 os 10.0.1.3 seq 100..6430\n" +
				"abort conn 12 ds 10.0.1.2 seq 90..90\n" +
				"gc-timeout conn 13 ds 10.0.1.2 seq 4000\n",
			wantCalls: []string{"Monitor"},
		},
		{
			name: "monitor json count",
			args: []string{"-j", "monitor", "count", "2"},
			fake: fakeClient{events: testEvents},
			wantOut: `{"type":"handoff","conn_id":7,"peer":"10.0.1.3","seq_start":100,"seq_end":6430,"error":null,"errno":0,"sent":6330,"duration_us":19680}` + "\n" +
				`{"type":"handoff","conn_id":9,"peer":"10.0.1.4","seq_start":0,"seq_end":0,"error":"connection timed out","errno":110,"sent":0,"duration_us":4012000}` + "\n",
			wantCalls: []string{"Monitor"},
		},
		{
			name:     "monitor bad count",
			args:     []string{"monitor", "count", "0"},
			wantCode: 2,
			wantErr:  "sstctl: count \"0\" is not a positive number\nUsage: sstctl monitor [count N]\n",
		},
		{
			name:      "monitor events lost",
			args:      []string{"monitor"},
			fake:      fakeClient{events: testEvents[:1], monErr: &kernelError{"receive events: no buffer space available", unix.ENOBUFS}},
			wantCode:  1,
			wantOut:   "handoff conn 7 os 10.0.1.3 seq 100..6430 sent 6330 in 19.7ms\n",
			wantErr:   "sstctl: events lost: the socket buffer overflowed (receive events: no buffer space available)\n",
			wantCalls: []string{"Monitor"},
		},
		{
			name:     "help unknown subcommand",
			args:     []string{"help", "peers", "flush"},
			wantCode: 2,
			wantErr:  "sstctl: unknown command \"flush\" for \"sstctl peers\"\n",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := tt.fake
			dialed := false
			dial := func() (client, error) {
				dialed = true
				if tt.dialErr != nil {
					return nil, tt.dialErr
				}
				return &fake, nil
			}
			var stdout, stderr bytes.Buffer
			code := run(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr, dial)

			if code != tt.wantCode {
				t.Errorf("exit status %d, want %d (stderr %q)", code, tt.wantCode, stderr.String())
			}
			if tt.wantOutHas != nil {
				for _, s := range tt.wantOutHas {
					if !strings.Contains(stdout.String(), s) {
						t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
					}
				}
			} else if got := stdout.String(); got != tt.wantOut {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, tt.wantOut)
			}
			if !strings.HasPrefix(stderr.String(), tt.wantErr) || (tt.wantErr == "") != (stderr.Len() == 0) {
				t.Errorf("stderr:\n%s\nwant prefix:\n%s", stderr.String(), tt.wantErr)
			}
			if strings.Contains(stdout.String()+stderr.String(), key32Hex[:16]) {
				t.Errorf("output shows the key")
			}
			if tt.wantCalls == nil {
				if dialed && tt.dialErr == nil {
					t.Errorf("kernel contacted: %q", fake.calls)
				}
				return
			}
			if fmt.Sprint(fake.calls) != fmt.Sprint(tt.wantCalls) {
				t.Errorf("calls %q, want %q", fake.calls, tt.wantCalls)
			}
			if !fake.closed {
				t.Errorf("client not closed")
			}
		})
	}
}
