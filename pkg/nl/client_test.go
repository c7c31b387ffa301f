package nl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"github.com/mdlayher/netlink/nltest"
	"golang.org/x/sys/unix"
)

// familyID is the generic netlink family ID the fake kernel assigns.
const familyID = 0x1d

// testClient returns a Client whose kernel is fn, behind a fake generic
// netlink controller that knows the "splitstack" family.
func testClient(t *testing.T, fn genltest.Func) *Client {
	t.Helper()
	family := genetlink.Family{ID: familyID, Version: GenlVersion, Name: GenlName}
	c, err := newClient(genltest.Dial(genltest.ServeFamily(family, fn)))
	if err != nil {
		t.Fatalf("newClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// noKernel is a kernel that fails the test when it gets a request.
func noKernel(t *testing.T) genltest.Func {
	return func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
		t.Errorf("unexpected request to the kernel: command %d", greq.Header.Command)
		return nil, io.EOF
	}
}

// attrs encodes the attributes added by fn, as the kernel would.
func attrs(t *testing.T, fn func(ae *netlink.AttributeEncoder)) []byte {
	t.Helper()
	ae := netlink.NewAttributeEncoder()
	fn(ae)
	b, err := ae.Encode()
	if err != nil {
		t.Fatalf("encode attributes: %v", err)
	}
	return b
}

// reply is a kernel message holding the attributes added by fn.
func reply(t *testing.T, cmd uint8, fn func(ae *netlink.AttributeEncoder)) genetlink.Message {
	t.Helper()
	return genetlink.Message{
		Header: genetlink.Header{Command: cmd, Version: GenlVersion},
		Data:   attrs(t, fn),
	}
}

// Native-endian integer bytes, as genetlink carries them.
func u16(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

func ptr[T any](v T) *T { return &v }

// TestRequests checks the exact request every method sends. Command and
// attribute numbers are spelled as literals copied from splitstack.h so
// that a mistake in uapi.go shows up here.
func TestRequests(t *testing.T) {
	key := bytes.Repeat([]byte{0xab}, 32)

	tests := []struct {
		name  string
		call  func(c *Client) error
		cmd   uint8
		flags netlink.HeaderFlags
		want  []netlink.Attribute // nil: no attributes
	}{
		{
			name: "add peer with port",
			call: func(c *Client) error {
				return c.AddPeer(Peer{Addr: netip.MustParseAddr("10.0.1.2"), Port: 5000})
			},
			cmd:   1, // SST_CMD_PEER_ADD
			flags: netlink.Request | netlink.Acknowledge,
			want: []netlink.Attribute{
				{Type: 2, Data: u16(2)},              // SST_A_FAMILY: AF_INET
				{Type: 3, Data: []byte{10, 0, 1, 2}}, // SST_A_ADDR
				{Type: 4, Data: u16(5000)},           // SST_A_PORT
			},
		},
		{
			name: "add peer default port omits SST_A_PORT",
			call: func(c *Client) error {
				return c.AddPeer(Peer{Addr: netip.MustParseAddr("192.168.7.1")})
			},
			cmd:   1,
			flags: netlink.Request | netlink.Acknowledge,
			want: []netlink.Attribute{
				{Type: 2, Data: u16(2)},
				{Type: 3, Data: []byte{192, 168, 7, 1}},
			},
		},
		{
			name: "add peer IPv4-mapped IPv6 is sent as IPv4",
			call: func(c *Client) error {
				return c.AddPeer(Peer{Addr: netip.MustParseAddr("::ffff:10.0.1.3")})
			},
			cmd:   1,
			flags: netlink.Request | netlink.Acknowledge,
			want: []netlink.Attribute{
				{Type: 2, Data: u16(2)},
				{Type: 3, Data: []byte{10, 0, 1, 3}},
			},
		},
		{
			name:  "delete peer",
			call:  func(c *Client) error { return c.DeletePeer(netip.MustParseAddr("10.0.1.2")) },
			cmd:   2, // SST_CMD_PEER_DEL
			flags: netlink.Request | netlink.Acknowledge,
			want: []netlink.Attribute{
				{Type: 2, Data: u16(2)},
				{Type: 3, Data: []byte{10, 0, 1, 2}},
			},
		},
		{
			name: "list peers",
			call: func(c *Client) error {
				_, err := c.Peers()
				return err
			},
			cmd:   3, // SST_CMD_PEER_GET
			flags: netlink.Request | netlink.Dump,
		},
		{
			name: "list half-pipes",
			call: func(c *Client) error {
				_, err := c.HalfPipes()
				return err
			},
			cmd:   4, // SST_CMD_HALFPIPE_GET
			flags: netlink.Request | netlink.Dump,
		},
		{
			name: "stats",
			call: func(c *Client) error {
				_, err := c.Stats()
				return err
			},
			cmd:   5, // SST_CMD_STATS_GET
			flags: netlink.Request,
		},
		{
			name: "config",
			call: func(c *Client) error {
				_, err := c.Config()
				return err
			},
			cmd:   6, // SST_CMD_CONFIG_GET
			flags: netlink.Request,
		},
		{
			name: "set every config value",
			call: func(c *Client) error {
				return c.SetConfig(ConfigChange{
					CtrlPort:  ptr(uint16(4800)),
					Keepalive: ptr(2500 * time.Millisecond),
					AuthKey:   key,
					Mode:      ptr(ModeDrain),
				})
			},
			cmd:   7, // SST_CMD_CONFIG_SET
			flags: netlink.Request | netlink.Acknowledge,
			want: []netlink.Attribute{
				{Type: 7, Data: u16(4800)},  // SST_A_CTRL_PORT
				{Type: 8, Data: u32(2500)},  // SST_A_KEEPALIVE_MS
				{Type: 9, Data: key},        // SST_A_AUTH_KEY
				{Type: 11, Data: []byte{1}}, // SST_A_MODE: SST_MODE_DRAIN
			},
		},
		{
			name:  "set keepalive only",
			call:  func(c *Client) error { return c.SetConfig(ConfigChange{Keepalive: ptr(MinKeepalive)}) },
			cmd:   7,
			flags: netlink.Request | netlink.Acknowledge,
			want:  []netlink.Attribute{{Type: 8, Data: u32(100)}},
		},
		{
			name:  "set mode split",
			call:  func(c *Client) error { return c.SetConfig(ConfigChange{Mode: ptr(ModeSplit)}) },
			cmd:   7,
			flags: netlink.Request | netlink.Acknowledge,
			want:  []netlink.Attribute{{Type: 11, Data: []byte{0}}},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			kernel := func(greq genetlink.Message, nreq netlink.Message) ([]genetlink.Message, error) {
				calls++
				if greq.Header.Version != 1 {
					t.Errorf("genetlink version = %d, want 1", greq.Header.Version)
				}
				var want []byte
				if tt.want != nil {
					want = nltest.MustMarshalAttributes(tt.want)
				}
				if !bytes.Equal(greq.Data, want) {
					t.Errorf("attributes:\n got %x\nwant %x", greq.Data, want)
				}
				// Minimal valid replies, so that decoding succeeds.
				switch greq.Header.Command {
				case cmdStatsGet:
					return []genetlink.Message{reply(t, cmdStatsGet, func(ae *netlink.AttributeEncoder) {
						ae.Nested(attrStats, func(*netlink.AttributeEncoder) error { return nil })
					})}, nil
				case cmdConfigGet:
					return []genetlink.Message{reply(t, cmdConfigGet, func(ae *netlink.AttributeEncoder) {
						ae.Uint16(attrCtrlPort, DefaultCtrlPort)
					})}, nil
				}
				return nil, io.EOF
			}
			c := testClient(t, genltest.CheckRequest(familyID, tt.cmd, tt.flags, kernel))
			if err := tt.call(c); err != nil {
				t.Fatalf("call: %v", err)
			}
			if calls != 1 {
				t.Fatalf("kernel saw %d requests, want 1", calls)
			}
		})
	}
}

func TestPeers(t *testing.T) {
	tests := []struct {
		name    string
		replies func(t *testing.T) []genetlink.Message
		want    []Peer
		wantErr string
	}{
		{
			name:    "empty",
			replies: func(*testing.T) []genetlink.Message { return nil },
			want:    []Peer{},
		},
		{
			name: "two peers, family after address, unknown attribute",
			replies: func(t *testing.T) []genetlink.Message {
				return []genetlink.Message{
					reply(t, cmdPeerGet, func(ae *netlink.AttributeEncoder) {
						ae.Uint16(attrFamily, afInet)
						ae.Bytes(attrAddr, []byte{10, 0, 1, 2})
						ae.Uint16(attrPort, 4795)
					}),
					reply(t, cmdPeerGet, func(ae *netlink.AttributeEncoder) {
						ae.Bytes(attrAddr, []byte{10, 0, 1, 3})
						ae.Uint16(attrPort, 9000)
						ae.Uint16(attrFamily, afInet)
						ae.Uint32(200, 7) // from a newer kernel
						ae.Uint64(attrLastHeardMS, 1250)
					}),
				}
			},
			want: []Peer{
				{Addr: netip.MustParseAddr("10.0.1.2"), Port: 4795},
				{Addr: netip.MustParseAddr("10.0.1.3"), Port: 9000, Heard: true, LastHeard: 1250 * time.Millisecond},
			},
		},
		{
			name: "address of the wrong length",
			replies: func(t *testing.T) []genetlink.Message {
				return []genetlink.Message{reply(t, cmdPeerGet, func(ae *netlink.AttributeEncoder) {
					ae.Uint16(attrFamily, afInet)
					ae.Bytes(attrAddr, []byte{10, 0, 1})
				})}
			},
			wantErr: "bad address: family 2 with 3 bytes",
		},
		{
			name: "port of the wrong length",
			replies: func(t *testing.T) []genetlink.Message {
				return []genetlink.Message{reply(t, cmdPeerGet, func(ae *netlink.AttributeEncoder) {
					ae.Uint16(attrFamily, afInet)
					ae.Bytes(attrAddr, []byte{10, 0, 1, 2})
					ae.Uint32(attrPort, 4795)
				})}
			},
			wantErr: "list peers: decode reply",
		},
		{
			name: "no address",
			replies: func(t *testing.T) []genetlink.Message {
				return []genetlink.Message{reply(t, cmdPeerGet, func(ae *netlink.AttributeEncoder) {
					ae.Uint16(attrPort, 4795)
				})}
			},
			wantErr: "peer without address",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
				msgs := tt.replies(t)
				if len(msgs) == 0 {
					return nil, io.EOF
				}
				return msgs, nil
			})
			got, err := c.Peers()
			checkErr(t, err, tt.wantErr)
			if tt.wantErr != "" {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("peers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHalfPipes(t *testing.T) {
	hp := func(t *testing.T, id uint64, state uint8, extra func(ae *netlink.AttributeEncoder)) genetlink.Message {
		return reply(t, cmdHalfPipeGet, func(ae *netlink.AttributeEncoder) {
			ae.Nested(attrHalfPipe, func(nae *netlink.AttributeEncoder) error {
				nae.Uint64(hpAttrID, id)
				nae.Uint16(hpAttrFamily, afInet)
				nae.Bytes(hpAttrClientAddr, []byte{198, 51, 100, 7})
				nae.Uint16(hpAttrClientPort, 40000)
				nae.Bytes(hpAttrVIPAddr, []byte{192, 0, 2, 1})
				nae.Uint16(hpAttrVIPPort, 80)
				nae.Bytes(hpAttrOSAddr, []byte{10, 0, 1, 2})
				nae.Uint32(hpAttrSeqStart, 1000)
				nae.Uint32(hpAttrSeqEnd, 0xfffffff0)
				nae.Uint8(hpAttrState, state)
				nae.Uint32(hpAttrUnacked, 1460)
				nae.Uint64(hpAttrAgeMS, 1234)
				if extra != nil {
					extra(nae)
				}
				return nil
			})
		})
	}
	tests := []struct {
		name    string
		replies func(t *testing.T) []genetlink.Message
		want    []HalfPipe
		wantErr string
	}{
		{
			name:    "empty",
			replies: func(*testing.T) []genetlink.Message { return nil },
			want:    []HalfPipe{},
		},
		{
			name: "two half-pipes",
			replies: func(t *testing.T) []genetlink.Message {
				return []genetlink.Message{
					hp(t, 1<<40|7, 2, nil),
					hp(t, 8, 9, func(ae *netlink.AttributeEncoder) { ae.Uint64(250, 1) }),
				}
			},
			want: []HalfPipe{
				{
					ID:       1<<40 | 7,
					Client:   netip.MustParseAddrPort("198.51.100.7:40000"),
					VIP:      netip.MustParseAddrPort("192.0.2.1:80"),
					OS:       netip.MustParseAddr("10.0.1.2"),
					SeqStart: 1000,
					SeqEnd:   0xfffffff0,
					State:    HalfPipeDone,
					Unacked:  1460,
					Age:      1234 * time.Millisecond,
				},
				{
					ID:       8,
					Client:   netip.MustParseAddrPort("198.51.100.7:40000"),
					VIP:      netip.MustParseAddrPort("192.0.2.1:80"),
					OS:       netip.MustParseAddr("10.0.1.2"),
					SeqStart: 1000,
					SeqEnd:   0xfffffff0,
					State:    HalfPipeState(9),
					Unacked:  1460,
					Age:      1234 * time.Millisecond,
				},
			},
		},
		{
			name: "short id",
			replies: func(t *testing.T) []genetlink.Message {
				return []genetlink.Message{reply(t, cmdHalfPipeGet, func(ae *netlink.AttributeEncoder) {
					ae.Nested(attrHalfPipe, func(nae *netlink.AttributeEncoder) error {
						nae.Uint32(hpAttrID, 1)
						return nil
					})
				})}
			},
			wantErr: "list half-pipes: decode reply",
		},
		{
			name: "IPv4 family with IPv6-sized address",
			replies: func(t *testing.T) []genetlink.Message {
				return []genetlink.Message{hp(t, 1, 0, func(ae *netlink.AttributeEncoder) {
					ae.Bytes(hpAttrOSAddr, make([]byte, 16))
				})}
			},
			wantErr: "OS: bad address: family 2 with 16 bytes",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
				msgs := tt.replies(t)
				if len(msgs) == 0 {
					return nil, io.EOF
				}
				return msgs, nil
			})
			got, err := c.HalfPipes()
			checkErr(t, err, tt.wantErr)
			if tt.wantErr != "" {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
				cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
				t.Errorf("half-pipes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStats(t *testing.T) {
	tests := []struct {
		name    string
		reply   func(ae *netlink.AttributeEncoder)
		want    Stats
		wantErr string
	}{
		{
			name: "every counter, pad and an unknown counter",
			reply: func(ae *netlink.AttributeEncoder) {
				ae.Nested(attrStats, func(nae *netlink.AttributeEncoder) error {
					nae.Bytes(statPad, nil)
					for typ := uint16(statSetups); typ <= statSegsRefused; typ++ {
						nae.Uint64(typ, uint64(typ)*100)
					}
					nae.Uint64(statSegsRefused+1, 99) // a counter of a newer kernel
					return nil
				})
			},
			want: Stats{
				Setups: 200, DataDones: 300, Credits: 400, GCs: 500,
				Piggybacked: 600, Resets: 700, Retransmits: 800,
				AuthFailures: 900, Timeouts: 1000, Drops: 1100,
				HandoffErrors: 1200, CtrlRx: 1300, CtrlTx: 1400,
				CtrlTxErrors: 1500, UnknownPeer: 1600, Replays: 1700,
				Duplicates: 1800, Keepalives: 1900, Aborts: 2000, AckNows: 2100,
				SegsRefused: 2200,
			},
		},
		{
			name: "missing counters are zero",
			reply: func(ae *netlink.AttributeEncoder) {
				ae.Nested(attrStats, func(nae *netlink.AttributeEncoder) error {
					nae.Uint64(statDrops, 5)
					return nil
				})
			},
			want: Stats{Drops: 5},
		},
		{
			name:    "no SST_A_STATS",
			reply:   func(ae *netlink.AttributeEncoder) { ae.Uint16(attrCtrlPort, 1) },
			wantErr: "no statistics in reply",
		},
		{
			name: "32-bit counter",
			reply: func(ae *netlink.AttributeEncoder) {
				ae.Nested(attrStats, func(nae *netlink.AttributeEncoder) error {
					nae.Uint32(statSetups, 5)
					return nil
				})
			},
			wantErr: "get statistics: decode reply",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
				return []genetlink.Message{reply(t, cmdStatsGet, tt.reply)}, nil
			})
			got, err := c.Stats()
			checkErr(t, err, tt.wantErr)
			if diff := cmp.Diff(tt.want, got); tt.wantErr == "" && diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name  string
		reply func(ae *netlink.AttributeEncoder)
		want  Config
	}{
		{
			name: "defaults, no key",
			reply: func(ae *netlink.AttributeEncoder) {
				ae.Uint16(attrCtrlPort, 4795)
				ae.Uint32(attrKeepaliveMS, 1000)
				ae.Uint8(attrMode, 0)
				ae.Uint8(attrAuthKeySet, 0)
			},
			want: Config{CtrlPort: 4795, Keepalive: time.Second, Mode: ModeSplit},
		},
		{
			name: "drain with key and unknown attribute",
			reply: func(ae *netlink.AttributeEncoder) {
				ae.Uint8(attrAuthKeySet, 1)
				ae.Uint8(attrMode, 1)
				ae.Uint32(attrKeepaliveMS, 60000)
				ae.Uint16(attrCtrlPort, 9999)
				ae.Uint64(300, 1)
			},
			want: Config{CtrlPort: 9999, Keepalive: time.Minute, Mode: ModeDrain, AuthKeySet: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
				return []genetlink.Message{reply(t, cmdConfigGet, tt.reply)}, nil
			})
			got, err := c.Config()
			if err != nil {
				t.Fatalf("Config: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

// TestValidation checks the client-side checks: nothing reaches the
// kernel and the errors match ErrInvalid.
func TestValidation(t *testing.T) {
	tests := []struct {
		name    string
		call    func(c *Client) error
		wantErr string
	}{
		{
			name:    "IPv6 peer",
			call:    func(c *Client) error { return c.AddPeer(Peer{Addr: netip.MustParseAddr("2001:db8::1")}) },
			wantErr: `"2001:db8::1" is not an IPv4 address (splitstack supports IPv4 peers only)`,
		},
		{
			name:    "IPv6 peer delete",
			call:    func(c *Client) error { return c.DeletePeer(netip.MustParseAddr("fe80::1")) },
			wantErr: `"fe80::1" is not an IPv4 address`,
		},
		{
			name:    "zero peer address",
			call:    func(c *Client) error { return c.AddPeer(Peer{Port: 1}) },
			wantErr: "no peer address given",
		},
		{
			name:    "keepalive too short",
			call:    func(c *Client) error { return c.SetConfig(ConfigChange{Keepalive: ptr(99 * time.Millisecond)}) },
			wantErr: "keepalive 99ms out of range (100ms..1m0s)",
		},
		{
			name:    "keepalive too long",
			call:    func(c *Client) error { return c.SetConfig(ConfigChange{Keepalive: ptr(60001 * time.Millisecond)}) },
			wantErr: "keepalive 1m0.001s out of range (100ms..1m0s)",
		},
		{
			name: "keepalive fraction of a millisecond",
			call: func(c *Client) error {
				return c.SetConfig(ConfigChange{Keepalive: ptr(time.Second + time.Microsecond)})
			},
			wantErr: "keepalive 1.000001s is not a whole number of milliseconds",
		},
		{
			name:    "key too short",
			call:    func(c *Client) error { return c.SetConfig(ConfigChange{AuthKey: make([]byte, 31)}) },
			wantErr: "authentication key is 31 bytes long, want exactly 32",
		},
		{
			name:    "key too long",
			call:    func(c *Client) error { return c.SetConfig(ConfigChange{AuthKey: make([]byte, 33)}) },
			wantErr: "authentication key is 33 bytes long, want exactly 32",
		},
		{
			name:    "empty non-nil key",
			call:    func(c *Client) error { return c.SetConfig(ConfigChange{AuthKey: []byte{}}) },
			wantErr: "authentication key is 0 bytes long, want exactly 32",
		},
		{
			name:    "unknown mode",
			call:    func(c *Client) error { return c.SetConfig(ConfigChange{Mode: ptr(Mode(2))}) },
			wantErr: "unknown mode 2 (want split or drain)",
		},
		{
			name:    "port 0",
			call:    func(c *Client) error { return c.SetConfig(ConfigChange{CtrlPort: ptr(uint16(0))}) },
			wantErr: "control port 0 out of range (1..65535)",
		},
		{
			name:    "nothing to set",
			call:    func(c *Client) error { return c.SetConfig(ConfigChange{}) },
			wantErr: "no configuration value to set",
		},
		{
			name: "one bad value among good ones",
			call: func(c *Client) error {
				return c.SetConfig(ConfigChange{CtrlPort: ptr(uint16(1)), Mode: ptr(Mode(7))})
			},
			wantErr: "unknown mode 7",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(t, noKernel(t))
			err := tt.call(c)
			checkErr(t, err, tt.wantErr)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
		})
	}
}

// TestKernelErrors checks how errnos from the kernel are reported.
func TestKernelErrors(t *testing.T) {
	addPeer := func(c *Client) error { return c.AddPeer(Peer{Addr: netip.MustParseAddr("10.0.1.2")}) }
	tests := []struct {
		name    string
		errno   unix.Errno
		call    func(c *Client) error
		wantErr string
		is      []error
	}{
		{
			name:    "EPERM",
			errno:   unix.EPERM,
			call:    addPeer,
			wantErr: "add peer 10.0.1.2: permission denied (needs CAP_NET_ADMIN)",
			is:      []error{unix.EPERM, os.ErrPermission},
		},
		{
			name:    "EEXIST",
			errno:   unix.EEXIST,
			call:    addPeer,
			wantErr: "add peer 10.0.1.2: peer already exists",
			is:      []error{unix.EEXIST, os.ErrExist},
		},
		{
			name:    "ENOSPC",
			errno:   unix.ENOSPC,
			call:    addPeer,
			wantErr: "add peer 10.0.1.2: too many peers (at most 1024)",
			is:      []error{unix.ENOSPC},
		},
		{
			name:    "ENOENT on delete",
			errno:   unix.ENOENT,
			call:    func(c *Client) error { return c.DeletePeer(netip.MustParseAddr("10.0.1.9")) },
			wantErr: "delete peer 10.0.1.9: no such peer",
			is:      []error{unix.ENOENT, os.ErrNotExist},
		},
		{
			name:  "EPERM on set",
			errno: unix.EPERM,
			call: func(c *Client) error {
				return c.SetConfig(ConfigChange{Mode: ptr(ModeDrain)})
			},
			wantErr: "set configuration: permission denied (needs CAP_NET_ADMIN)",
			is:      []error{os.ErrPermission},
		},
		{
			name:  "EBUSY on stats keeps the errno text",
			errno: unix.EBUSY,
			call: func(c *Client) error {
				_, err := c.Stats()
				return err
			},
			wantErr: "get statistics: device or resource busy",
			is:      []error{unix.EBUSY},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
				return nil, genltest.Error(int(tt.errno))
			})
			err := tt.call(c)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(err, %v) = false", target)
				}
			}
			var oerr *OpError
			if !errors.As(err, &oerr) {
				t.Errorf("error is not an *OpError")
			}
			var nerr *netlink.OpError
			if !errors.As(err, &nerr) {
				t.Errorf("error does not wrap a *netlink.OpError")
			}
		})
	}
}

// extackClient returns a Client whose kernel refuses every request with
// errno and the extended ACK message msg, in the kernel's wire format.
func extackClient(t *testing.T, errno unix.Errno, msg string) *Client {
	t.Helper()
	kernel := func(reqs []netlink.Message) ([]netlink.Message, error) {
		req := reqs[0]
		hdr := netlink.Header{Sequence: req.Header.Sequence, PID: req.Header.PID}
		if req.Header.Type == unix.GENL_ID_CTRL {
			fam := reply(t, unix.CTRL_CMD_NEWFAMILY, func(ae *netlink.AttributeEncoder) {
				ae.Uint16(unix.CTRL_ATTR_FAMILY_ID, familyID)
				ae.String(unix.CTRL_ATTR_FAMILY_NAME, GenlName)
				ae.Uint32(unix.CTRL_ATTR_VERSION, GenlVersion)
			})
			b, err := fam.MarshalBinary()
			return []netlink.Message{{Header: hdr, Data: b}}, err
		}
		// struct nlmsgerr with the request header (payload capped),
		// followed by the NLMSGERR_ATTR_MSG TLV.
		orig := netlink.Message{Header: req.Header}
		orig.Header.Length = 16
		ob, err := orig.MarshalBinary()
		if err != nil {
			return nil, err
		}
		data := binary.NativeEndian.AppendUint32(nil, uint32(-int32(errno)))
		data = append(data, ob...)
		data = append(data, attrs(t, func(ae *netlink.AttributeEncoder) {
			ae.String(unix.NLMSGERR_ATTR_MSG, msg)
		})...)
		hdr.Type = netlink.Error
		hdr.Flags = netlink.Capped | netlink.AcknowledgeTLVs
		return []netlink.Message{{Header: hdr, Data: data}}, nil
	}
	c, err := newClient(genetlink.NewConn(nltest.Dial(kernel)))
	if err != nil {
		t.Fatalf("newClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestExtendedAck(t *testing.T) {
	tests := []struct {
		name    string
		errno   unix.Errno
		msg     string
		call    func(c *Client) error
		wantErr string
		is      error
	}{
		{
			name:    "ENOENT",
			errno:   unix.ENOENT,
			msg:     "no peer with this address",
			call:    func(c *Client) error { return c.DeletePeer(netip.MustParseAddr("10.0.1.9")) },
			wantErr: "delete peer 10.0.1.9: no such peer: no peer with this address",
			is:      os.ErrNotExist,
		},
		{
			name:    "kernel message repeating the description",
			errno:   unix.EEXIST,
			msg:     "peer already exists",
			call:    func(c *Client) error { return c.AddPeer(Peer{Addr: netip.MustParseAddr("10.0.1.9")}) },
			wantErr: "add peer 10.0.1.9: peer already exists",
			is:      os.ErrExist,
		},
		{
			name:  "ERANGE",
			errno: unix.ERANGE,
			msg:   "ctrl port is in use",
			call: func(c *Client) error {
				return c.SetConfig(ConfigChange{CtrlPort: ptr(uint16(22))})
			},
			wantErr: "set configuration: value out of range: ctrl port is in use",
			is:      unix.ERANGE,
		},
		{
			name:    "EAFNOSUPPORT",
			errno:   unix.EAFNOSUPPORT,
			msg:     "only AF_INET is supported",
			call:    func(c *Client) error { return c.AddPeer(Peer{Addr: netip.MustParseAddr("10.0.1.9")}) },
			wantErr: "add peer 10.0.1.9: address family not supported (IPv4 only): only AF_INET is supported",
			is:      unix.EAFNOSUPPORT,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(extackClient(t, tt.errno, tt.msg))
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(err, %v) = false", tt.is)
			}
			var oerr *OpError
			if !errors.As(err, &oerr) || oerr.Message != tt.msg {
				t.Errorf("OpError.Message = %q, want %q", oerr.Message, tt.msg)
			}
		})
	}
}

func TestNotLoaded(t *testing.T) {
	tests := []struct {
		name     string
		errno    unix.Errno
		notLoad  bool
		wantText string
	}{
		{
			name:     "family missing",
			errno:    unix.ENOENT,
			notLoad:  true,
			wantText: "splitstack module not loaded (run: modprobe splitstack or insmod splitstack.ko)",
		},
		{
			name:     "other controller error",
			errno:    unix.ENOBUFS,
			wantText: "look up generic netlink family splitstack: no buffer space available",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := genltest.Dial(func(greq genetlink.Message, nreq netlink.Message) ([]genetlink.Message, error) {
				if nreq.Header.Type != unix.GENL_ID_CTRL || greq.Header.Command != unix.CTRL_CMD_GETFAMILY {
					t.Errorf("unexpected request before the family lookup")
				}
				return nil, genltest.Error(int(tt.errno))
			})
			c, err := newClient(conn)
			if err == nil {
				_ = c.Close()
				t.Fatal("newClient succeeded")
			}
			if got := errors.Is(err, ErrNotLoaded); got != tt.notLoad {
				t.Errorf("errors.Is(err, ErrNotLoaded) = %v, want %v", got, tt.notLoad)
			}
			if err.Error() != tt.wantText {
				t.Errorf("error = %q, want %q", err, tt.wantText)
			}
		})
	}
}

func TestOldFamilyVersion(t *testing.T) {
	family := genetlink.Family{ID: familyID, Version: 0, Name: GenlName}
	_, err := newClient(genltest.Dial(genltest.ServeFamily(family, noKernel(t))))
	checkErr(t, err, "speaks netlink version 0, need 1")
}

func TestStrings(t *testing.T) {
	tests := []struct {
		v    interface{ String() string }
		want string
	}{
		{HalfPipeSetup, "setup"},
		{HalfPipeSending, "sending"},
		{HalfPipeDone, "done"},
		{HalfPipeReset, "reset"},
		{HalfPipeState(4), "state(4)"},
		{ModeSplit, "split"},
		{ModeDrain, "drain"},
		{Mode(9), "mode(9)"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    Mode
		wantErr string
	}{
		{in: "split", want: ModeSplit},
		{in: "drain", want: ModeDrain},
		{in: "Drain", wantErr: `unknown mode "Drain" (want split or drain)`},
		{in: "", wantErr: `unknown mode ""`},
		{in: "1", wantErr: `unknown mode "1"`},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		checkErr(t, err, tt.wantErr)
		if err == nil && got != tt.want {
			t.Errorf("ParseMode(%q) = %v, want %v", tt.in, got, tt.want)
		}
		var m Mode
		if err := m.UnmarshalText([]byte(tt.in)); (err == nil) != (tt.wantErr == "") || m != tt.want {
			t.Errorf("UnmarshalText(%q) = %v, %v", tt.in, m, err)
		}
	}
}

// checkErr fails t unless err contains want, or is nil when want is "".
func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error = %q, want it to contain %q", err, want)
	}
}
