// Command nlcheck runs inside a test guest and sends the "splitstack"
// generic netlink family requests that are malformed, out of range or not
// allowed, byte by byte, bypassing sstctl's own checks. For each case it
// checks the errno and that the peer table and the configuration are the
// same afterwards. With -unprivileged it expects to run without
// CAP_NET_ADMIN and checks that every change is refused and reads work.
//
// It expects the module loaded, 10.9.0.1 configured as a peer, and
// nothing else configured.
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Mirrors of kmod/include/uapi/linux/splitstack.h.
const (
	cmdPeerAdd     = 1
	cmdPeerDel     = 2
	cmdPeerGet     = 3
	cmdHalfpipeGet = 4
	cmdStatsGet    = 5
	cmdConfigGet   = 6
	cmdConfigSet   = 7

	aFamily      = 2
	aAddr        = 3
	aPort        = 4
	aStats       = 6
	aCtrlPort    = 7
	aKeepaliveMS = 8
	aAuthKey     = 9
	aAuthKeySet  = 10
	aMode        = 11
)

type attr struct {
	typ  uint16
	data []byte
}

func u8(t uint16, v uint8) attr { return attr{t, []byte{v}} }
func u16(t uint16, v uint16) attr {
	b := make([]byte, 2)
	binary.NativeEndian.PutUint16(b, v)
	return attr{t, b}
}
func u32(t uint16, v uint32) attr {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint32(b, v)
	return attr{t, b}
}
func raw(t uint16, b ...byte) attr { return attr{t, b} }

func encode(as []attr) []byte {
	var out []byte
	for _, a := range as {
		l := 4 + len(a.data)
		h := make([]byte, 4)
		binary.NativeEndian.PutUint16(h[0:2], uint16(l))
		binary.NativeEndian.PutUint16(h[2:4], a.typ)
		out = append(out, h...)
		out = append(out, a.data...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out
}

type client struct {
	c   *netlink.Conn
	fam uint16
}

// do sends one request with the generic netlink header cmd, version 1 and
// the given reserved bytes.
func (c *client) do(cmd uint8, reserved uint16, flags netlink.HeaderFlags, as []attr) ([]netlink.Message, error) {
	body := []byte{cmd, 1, 0, 0}
	binary.NativeEndian.PutUint16(body[2:], reserved)
	body = append(body, encode(as)...)
	return c.c.Execute(netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(c.fam), Flags: netlink.Request | flags},
		Data:   body,
	})
}

// state is what every refused request must leave as it was.
type state struct {
	Peers  []string
	Config map[uint16]string
}

func (c *client) state() state {
	var s state
	msgs, err := c.do(cmdPeerGet, 0, netlink.Dump, nil)
	if err != nil {
		fatal("peer dump: %v", err)
	}
	for _, m := range msgs {
		s.Peers = append(s.Peers, fmt.Sprintf("%x", m.Data[4:]))
	}
	msgs, err = c.do(cmdConfigGet, 0, 0, nil)
	if err != nil || len(msgs) != 1 {
		fatal("config get: %v", err)
	}
	ad, err := netlink.NewAttributeDecoder(msgs[0].Data[4:])
	if err != nil {
		fatal("config decode: %v", err)
	}
	s.Config = map[uint16]string{}
	for ad.Next() {
		s.Config[ad.Type()] = fmt.Sprintf("%x", ad.Bytes())
	}
	return s
}

func fatal(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "nlcheck: "+format+"\n", a...)
	os.Exit(2)
}

type tcase struct {
	name  string
	cmd   uint8
	resv  uint16
	flags netlink.HeaderFlags
	attrs []attr
	want  unix.Errno
}

var ipv4 = []byte{10, 9, 0, 2}

func privilegedCases() []tcase {
	return []tcase{
		{name: "peer add: no family", cmd: cmdPeerAdd, attrs: []attr{raw(aAddr, ipv4...)}, want: unix.EINVAL},
		{name: "peer add: no address", cmd: cmdPeerAdd, attrs: []attr{u16(aFamily, unix.AF_INET)}, want: unix.EINVAL},
		{name: "peer add: 5-byte address", cmd: cmdPeerAdd, attrs: []attr{u16(aFamily, unix.AF_INET), raw(aAddr, 10, 9, 0, 2, 0)}, want: unix.EINVAL},
		{name: "peer add: 3-byte address", cmd: cmdPeerAdd, attrs: []attr{u16(aFamily, unix.AF_INET), raw(aAddr, 10, 9, 0)}, want: unix.EINVAL},
		{name: "peer add: over-long address", cmd: cmdPeerAdd, attrs: []attr{u16(aFamily, unix.AF_INET), raw(aAddr, make([]byte, 17)...)}, want: unix.ERANGE},
		{name: "peer add: family 99", cmd: cmdPeerAdd, attrs: []attr{u16(aFamily, 99), raw(aAddr, ipv4...)}, want: unix.EINVAL},
		{name: "peer add: family inet6", cmd: cmdPeerAdd, attrs: []attr{u16(aFamily, unix.AF_INET6), raw(aAddr, make([]byte, 16)...)}, want: unix.EAFNOSUPPORT},
		{name: "peer add: 0.0.0.0", cmd: cmdPeerAdd, attrs: []attr{u16(aFamily, unix.AF_INET), raw(aAddr, 0, 0, 0, 0)}, want: unix.EINVAL},
		{name: "peer add: multicast", cmd: cmdPeerAdd, attrs: []attr{u16(aFamily, unix.AF_INET), raw(aAddr, 224, 0, 0, 1)}, want: unix.EINVAL},
		{name: "peer add: broadcast", cmd: cmdPeerAdd, attrs: []attr{u16(aFamily, unix.AF_INET), raw(aAddr, 255, 255, 255, 255)}, want: unix.EINVAL},
		{name: "peer add: port 0", cmd: cmdPeerAdd, attrs: []attr{u16(aFamily, unix.AF_INET), raw(aAddr, ipv4...), u16(aPort, 0)}, want: unix.ERANGE},
		{name: "peer add: family attr 1 byte", cmd: cmdPeerAdd, attrs: []attr{raw(aFamily, 2), raw(aAddr, ipv4...)}, want: unix.EINVAL},
		{name: "peer add: unknown attribute", cmd: cmdPeerAdd, attrs: []attr{u16(aFamily, unix.AF_INET), raw(aAddr, ipv4...), u32(200, 1)}, want: unix.EINVAL},
		{name: "peer add: output-only attr", cmd: cmdPeerAdd, attrs: []attr{u16(aFamily, unix.AF_INET), raw(aAddr, ipv4...), raw(aStats)}, want: unix.EINVAL},
		{name: "peer add: duplicate", cmd: cmdPeerAdd, attrs: []attr{u16(aFamily, unix.AF_INET), raw(aAddr, 10, 9, 0, 1)}, want: unix.EEXIST},
		{name: "peer add: reserved hdr", cmd: cmdPeerAdd, resv: 1, attrs: []attr{u16(aFamily, unix.AF_INET), raw(aAddr, ipv4...)}, want: unix.EINVAL},
		{name: "peer del: unknown peer", cmd: cmdPeerDel, attrs: []attr{u16(aFamily, unix.AF_INET), raw(aAddr, ipv4...)}, want: unix.ENOENT},
		{name: "peer del: no address", cmd: cmdPeerDel, attrs: []attr{u16(aFamily, unix.AF_INET)}, want: unix.EINVAL},
		{name: "peer get: not a dump", cmd: cmdPeerGet, want: unix.EOPNOTSUPP},
		{name: "peer add: as a dump", cmd: cmdPeerAdd, flags: netlink.Dump, attrs: []attr{u16(aFamily, unix.AF_INET), raw(aAddr, ipv4...)}, want: unix.EOPNOTSUPP},
		{name: "config set: nothing", cmd: cmdConfigSet, want: unix.EINVAL},
		{name: "config set: keepalive 99", cmd: cmdConfigSet, attrs: []attr{u32(aKeepaliveMS, 99)}, want: unix.ERANGE},
		{name: "config set: keepalive 60001", cmd: cmdConfigSet, attrs: []attr{u32(aKeepaliveMS, 60001)}, want: unix.ERANGE},
		{name: "config set: key 31 bytes", cmd: cmdConfigSet, attrs: []attr{raw(aAuthKey, make([]byte, 31)...)}, want: unix.ERANGE},
		{name: "config set: key 33 bytes", cmd: cmdConfigSet, attrs: []attr{raw(aAuthKey, make([]byte, 33)...)}, want: unix.ERANGE},
		{name: "config set: mode 2", cmd: cmdConfigSet, attrs: []attr{u8(aMode, 2)}, want: unix.ERANGE},
		{name: "config set: ctrl port 0", cmd: cmdConfigSet, attrs: []attr{u16(aCtrlPort, 0)}, want: unix.ERANGE},
		{name: "config set: key_set attr", cmd: cmdConfigSet, attrs: []attr{u8(aAuthKeySet, 1)}, want: unix.EINVAL},
		{name: "config set: good+bad value", cmd: cmdConfigSet, attrs: []attr{u32(aKeepaliveMS, 5000), u8(aMode, 7)}, want: unix.ERANGE},
		{name: "unknown command", cmd: 99, want: unix.EOPNOTSUPP},
		{name: "command 0", cmd: 0, want: unix.EOPNOTSUPP},
	}
}

func unprivilegedCases() []tcase {
	peer := []attr{u16(aFamily, unix.AF_INET), raw(aAddr, ipv4...)}
	return []tcase{
		{name: "unprivileged peer add", cmd: cmdPeerAdd, attrs: peer, want: unix.EPERM},
		{name: "unprivileged peer del", cmd: cmdPeerDel, attrs: []attr{u16(aFamily, unix.AF_INET), raw(aAddr, 10, 9, 0, 1)}, want: unix.EPERM},
		{name: "unprivileged config set", cmd: cmdConfigSet, attrs: []attr{u8(aMode, 1)}, want: unix.EPERM},
	}
}

func main() {
	unpriv := flag.Bool("unprivileged", false, "expect no CAP_NET_ADMIN: changes refused, reads allowed")
	flag.Parse()

	gc, err := genetlink.Dial(nil)
	if err != nil {
		fatal("dial: %v", err)
	}
	fam, err := gc.GetFamily("splitstack")
	if err != nil {
		fatal("family splitstack: %v", err)
	}
	gc.Close()
	nc, err := netlink.Dial(unix.NETLINK_GENERIC, &netlink.Config{Strict: true})
	if err != nil {
		fatal("dial: %v", err)
	}
	c := &client{c: nc, fam: fam.ID}

	cases := privilegedCases()
	if *unpriv {
		cases = unprivilegedCases()
	}
	before := c.state()
	failed := 0
	for _, tc := range cases {
		_, err := c.do(tc.cmd, tc.resv, netlink.Acknowledge|tc.flags, tc.attrs)
		var got unix.Errno
		errors.As(err, &got)
		msg := ""
		var oe *netlink.OpError
		if errors.As(err, &oe) && oe.Message != "" {
			msg = " (" + oe.Message + ")"
		}
		after := c.state()
		switch {
		case got != tc.want:
			failed++
			fmt.Printf("FAIL %-30s got %v%s, want %v\n", tc.name, err, msg, tc.want)
		case !reflect.DeepEqual(before, after):
			failed++
			fmt.Printf("FAIL %-30s state changed: %+v -> %+v\n", tc.name, before, after)
		default:
			fmt.Printf("ok   %-30s %v%s\n", tc.name, got, msg)
		}
	}
	if *unpriv {
		// Reads stay open to everyone.
		for _, r := range []struct {
			name  string
			cmd   uint8
			flags netlink.HeaderFlags
		}{{"unprivileged peer dump", cmdPeerGet, netlink.Dump}, {"unprivileged halfpipe dump", cmdHalfpipeGet, netlink.Dump}, {"unprivileged stats", cmdStatsGet, 0}, {"unprivileged config get", cmdConfigGet, 0}} {
			if _, err := c.do(r.cmd, 0, r.flags, nil); err != nil {
				failed++
				fmt.Printf("FAIL %-30s %v\n", r.name, err)
			} else {
				fmt.Printf("ok   %-30s allowed\n", r.name)
			}
		}
	}
	if failed > 0 {
		fmt.Printf("nlcheck: %d case(s) failed\n", failed)
		os.Exit(1)
	}
	fmt.Println("nlcheck: all cases passed")
}
