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
	"slices"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"github.com/split-stack/splitstack/internal/nlspec"
	"golang.org/x/sys/unix"
)

// Mirrors of kmod/include/uapi/linux/splitstack.h.
// The wire numbers, from the family's YNL spec (kmod/splitstack.yaml).
var (
	spec = nlspec.Default()

	cmdPeerAdd     = cmd("peer-add")
	cmdPeerDel     = cmd("peer-del")
	cmdPeerGet     = cmd("peer-get")
	cmdHalfpipeGet = cmd("halfpipe-get")
	cmdStatsGet    = cmd("stats-get")
	cmdConfigGet   = cmd("config-get")
	cmdConfigSet   = cmd("config-set")

	aFamily      = attrNum("family")
	aAddr        = attrNum("addr")
	aPort        = attrNum("port")
	aStats       = attrNum("stats")
	aCtrlPort    = attrNum("ctrl-port")
	aKeepaliveMS = attrNum("keepalive-ms")
	aAuthKey     = attrNum("auth-key")
	aAuthKeySet  = attrNum("auth-key-set")
	aMode        = attrNum("mode")
)

func cmd(name string) uint8 {
	op := spec.Op(name)
	if op == nil {
		panic("spec: no op " + name)
	}
	return uint8(*op.Value)
}

func attrNum(name string) uint16 {
	for _, a := range spec.Set("attr").Attributes {
		if a.Name == name {
			return uint16(*a.Value)
		}
	}
	panic("spec: no attribute " + name)
}

// checkReplies asks for every reply the spec describes (the dumps and
// gets) and checks each attribute of the module's real answers against
// it: known to the attribute set, listed for that reply, of its type's
// size, nests recursively. Returns the number of problems; with
// wantHalfPipes, an empty half-pipe dump is one.
func checkReplies(c *client, wantHalfPipes bool) int {
	problems := 0
	for _, op := range spec.Operations.List {
		mode, flags := op.Do, netlink.HeaderFlags(0)
		if op.Dump != nil {
			mode, flags = op.Dump, netlink.Dump
		}
		if mode == nil || mode.Reply == nil {
			continue
		}
		msgs, err := c.do(uint8(*op.Value), 0, flags, nil)
		if err != nil {
			fmt.Printf("FAIL spec %-22s %v\n", op.Name, err)
			problems++
			continue
		}
		n := 0
		for _, m := range msgs {
			n += checkAttrs(spec.Set(op.AttributeSet), mode.Reply.Attributes, m.Data[4:], op.Name)
		}
		if op.Name == "halfpipe-get" && wantHalfPipes && len(msgs) == 0 {
			fmt.Printf("FAIL spec %-22s no half-pipe to check\n", op.Name)
			n++
		}
		if n == 0 {
			fmt.Printf("ok   spec %-22s %d message(s) as the spec says\n", op.Name, len(msgs))
		}
		problems += n
	}
	return problems
}

func checkAttrs(set *nlspec.AttrSet, allowed []string, data []byte, where string) int {
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		fmt.Printf("FAIL spec %-22s %v\n", where, err)
		return 1
	}
	problems := 0
	bad := func(format string, a ...any) {
		fmt.Printf("FAIL spec %-22s %s\n", where, fmt.Sprintf(format, a...))
		problems++
	}
	for ad.Next() {
		a := set.ByValue(ad.Type())
		if a == nil {
			bad("attribute %d: not in set %s", ad.Type(), set.Name)
			continue
		}
		if allowed != nil && !slices.Contains(allowed, a.Name) {
			bad("%s: not in the spec's reply", a.Name)
		}
		b := ad.Bytes()
		if size := nlspec.Size(a.Type); size > 0 && len(b) != size {
			bad("%s: %d bytes, its type %s has %d", a.Name, len(b), a.Type, size)
		}
		if max, ok := a.Checks["max-len"].(int); ok && len(b) > max {
			bad("%s: %d bytes, above max-len %d", a.Name, len(b), max)
		}
		if a.Type == "nest" {
			problems += checkAttrs(spec.Set(a.NestedAttributes), nil, b, where+"/"+a.Name)
		}
	}
	return problems
}

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

// state reads the peers (with CAP_NET_ADMIN only: netlink.sh compares
// them around the unprivileged run) and the configuration.
func (c *client) state(peers bool) state {
	var s state
	if peers {
		msgs, err := c.do(cmdPeerGet, 0, netlink.Dump, nil)
		if err != nil {
			fatal("peer dump: %v", err)
		}
		for _, m := range msgs {
			s.Peers = append(s.Peers, fmt.Sprintf("%x", m.Data[4:]))
		}
	}
	msgs, err := c.do(cmdConfigGet, 0, 0, nil)
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
	unpriv := flag.Bool("unprivileged", false, "expect no CAP_NET_ADMIN: changes and state dumps refused, counters and configuration readable")
	replies := flag.Bool("replies", false, "only check the module's replies against the spec")
	halfPipes := flag.Bool("halfpipes", false, "with -replies: there must be a half-pipe to check")
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
	if *replies {
		if n := checkReplies(c, *halfPipes); n > 0 {
			fmt.Printf("nlcheck: %d problem(s) in the module's replies\n", n)
			os.Exit(1)
		}
		fmt.Println("nlcheck: the module's replies are as the spec says")
		return
	}

	cases := privilegedCases()
	if *unpriv {
		cases = unprivilegedCases()
	}
	before := c.state(!*unpriv)
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
		after := c.state(!*unpriv)
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
		// Counters and configuration stay open to everyone; the state
		// dumps (addresses, sequence numbers) need CAP_NET_ADMIN.
		for _, r := range []struct {
			name  string
			cmd   uint8
			flags netlink.HeaderFlags
			want  unix.Errno
		}{
			{"unprivileged peer dump", cmdPeerGet, netlink.Dump, unix.EPERM},
			{"unprivileged halfpipe dump", cmdHalfpipeGet, netlink.Dump, unix.EPERM},
			{"unprivileged stats", cmdStatsGet, 0, 0},
			{"unprivileged config get", cmdConfigGet, 0, 0},
		} {
			_, err := c.do(r.cmd, 0, r.flags, nil)
			var got unix.Errno
			errors.As(err, &got)
			switch {
			case err != nil && got != r.want:
				failed++
				fmt.Printf("FAIL %-30s %v, want %v\n", r.name, err, r.want)
			case err == nil && r.want != 0:
				failed++
				fmt.Printf("FAIL %-30s allowed, want %v\n", r.name, r.want)
			default:
				fmt.Printf("ok   %-30s %v\n", r.name, got)
			}
		}
	}
	if failed > 0 {
		fmt.Printf("nlcheck: %d case(s) failed\n", failed)
		os.Exit(1)
	}
	fmt.Println("nlcheck: all cases passed")
}
