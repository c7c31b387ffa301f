// Command ctrlcheck runs inside a test guest as a fake Split-Stack peer
// and attacks the module's control plane with pkg/wire.
//
// The module runs in the namespace named by -netns (the "DS", -module
// address) with the fake peer's -local address configured as a peer and
// -key as its key; ctrlcheck itself runs in another namespace that owns
// -local and -alt (an address that is not a peer). It reads the module's
// counters and peer table through pkg/nl from the module's namespace.
//
// It checks that the module's KEEPALIVEs arrive with a valid MAC, that a
// valid KEEPALIVE is counted and refreshes the peer's last-heard time,
// that every forged, malformed, replayed or misaddressed datagram is
// dropped, counted in the right counter and leaves last-heard alone, and
// that a reliable message is acknowledged, its duplicate acknowledged
// again but delivered once.
package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"time"

	"github.com/split-stack/splitstack/pkg/nl"
	"github.com/split-stack/splitstack/pkg/wire"
	"golang.org/x/sys/unix"
)

var (
	netnsPath = flag.String("netns", "/run/netns/ds", "namespace of the module under test")
	module    = flag.String("module", "10.0.1.2:4795", "the module's control address")
	local     = flag.String("local", "10.0.1.3:4795", "this fake peer's address, configured as a peer")
	alt       = flag.String("alt", "10.0.1.9", "a local address that is not a peer")
	keyHex    = flag.String("key", "", "the shared key, hex")
	epoch     = flag.Uint("epoch", 1000, "this fake peer's epoch (keep it below a real node's)")
)

var failures int

func logf(format string, a ...any) { fmt.Printf("ctrlcheck: "+format+"\n", a...) }

func failf(format string, a ...any) {
	failures++
	fmt.Printf("ctrlcheck: FAIL: "+format+"\n", a...)
}

func fatalf(format string, a ...any) {
	fmt.Printf("ctrlcheck: FATAL: "+format+"\n", a...)
	os.Exit(1)
}

// dialIn opens the netlink client in the namespace at path.
func dialIn(path string) (*nl.Client, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, err
	}
	defer self.Close()
	target, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("setns %s: %w", path, err)
	}
	c, dialErr := nl.Dial()
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		fatalf("setns back: %v", err) // this thread is in the wrong namespace
	}
	return c, dialErr
}

type checker struct {
	nlc     *nl.Client
	key     []byte
	mod     netip.AddrPort
	self    netip.AddrPort
	conn    *net.UDPConn
	rx      chan rxMsg
	seq     uint32
	modPeer netip.Addr // our address as the module knows it
}

type rxMsg struct {
	from netip.AddrPort
	b    []byte
}

func (c *checker) readLoop() {
	for {
		b := make([]byte, 70000)
		n, from, err := c.conn.ReadFromUDPAddrPort(b)
		if err != nil {
			return
		}
		c.rx <- rxMsg{from: netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), b: b[:n]}
	}
}

// next waits for a datagram from the module for which want returns true.
func (c *checker) next(d time.Duration, want func(wire.Message) bool) (wire.Message, error) {
	deadline := time.After(d)
	for {
		select {
		case m := <-c.rx:
			if m.from != c.mod {
				return wire.Message{}, fmt.Errorf("datagram from %v, want only %v", m.from, c.mod)
			}
			msg, err := wire.Open(c.key, m.b)
			if err != nil {
				return wire.Message{}, fmt.Errorf("datagram from the module does not verify: %w", err)
			}
			if want(msg) {
				return msg, nil
			}
		case <-deadline:
			return wire.Message{}, errors.New("timed out")
		}
	}
}

func (c *checker) stats() nl.Stats {
	s, err := c.nlc.Stats()
	if err != nil {
		fatalf("stats: %v", err)
	}
	return s
}

// heard returns the module's last-heard age of this fake peer.
func (c *checker) heard() (bool, time.Duration) {
	peers, err := c.nlc.Peers()
	if err != nil {
		fatalf("peers: %v", err)
	}
	for _, p := range peers {
		if p.Addr == c.modPeer {
			return p.Heard, p.LastHeard
		}
	}
	fatalf("%v is not a peer of the module", c.modPeer)
	return false, 0
}

func (c *checker) nextSeq() uint32 {
	c.seq++
	return c.seq
}

func (c *checker) keepalive(flags wire.Flags) wire.Message {
	return wire.New(wire.TypeKeepalive, flags, uint32(*epoch), c.nextSeq(), 0, nil)
}

// sendFrom sends b to the module from src (nil: the peer's own socket).
func (c *checker) sendFrom(src *netip.AddrPort, b []byte) {
	conn := c.conn
	if src != nil {
		var err error
		conn, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(*src))
		if err != nil {
			fatalf("bind %v: %v", *src, err)
		}
		defer conn.Close()
	}
	if _, err := conn.WriteToUDPAddrPort(b, c.mod); err != nil {
		fatalf("send: %v", err)
	}
}

// waitStats polls until ok(stats) or a timeout, and returns the last read.
func (c *checker) waitStats(ok func(nl.Stats) bool) (nl.Stats, bool) {
	return c.waitStatsFor(5*time.Second, ok)
}

func (c *checker) waitStatsFor(d time.Duration, ok func(nl.Stats) bool) (nl.Stats, bool) {
	deadline := time.Now().Add(d)
	for {
		s := c.stats()
		if ok(s) {
			return s, true
		}
		if time.Now().After(deadline) {
			return s, false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// counter names a field of nl.Stats.
type counter struct {
	name string
	get  func(nl.Stats) uint64
}

var (
	authFailures = counter{"auth_failures", func(s nl.Stats) uint64 { return s.AuthFailures }}
	unknownPeer  = counter{"unknown_peer", func(s nl.Stats) uint64 { return s.UnknownPeer }}
	drops        = counter{"drops", func(s nl.Stats) uint64 { return s.Drops }}
	replays      = counter{"replays", func(s nl.Stats) uint64 { return s.Replays }}
	keepalives   = counter{"keepalives", func(s nl.Stats) uint64 { return s.Keepalives }}
	ctrlRx       = counter{"ctrl_rx", func(s nl.Stats) uint64 { return s.CtrlRx }}
	duplicates   = counter{"duplicates", func(s nl.Stats) uint64 { return s.Duplicates }}
	allRx        = []counter{authFailures, unknownPeer, drops, replays, keepalives, ctrlRx, duplicates}
)

// expect sends b (from src) and checks that exactly the counters in want
// grow, by one each, and that last-heard is refreshed only if fresh.
func (c *checker) expect(name string, src *netip.AddrPort, b []byte, fresh bool, want ...counter) {
	before := c.stats()
	_, ageBefore := c.heard()
	c.sendFrom(src, b)
	after, ok := c.waitStats(func(s nl.Stats) bool {
		for _, w := range want {
			if w.get(s) < w.get(before)+1 {
				return false
			}
		}
		return true
	})
	if !ok {
		failf("%s: counters %v did not grow: before %+v after %+v", name, names(want), before, after)
		return
	}
	// Whatever else would have moved has had its chance by now.
	time.Sleep(100 * time.Millisecond)
	after = c.stats()
	for _, k := range allRx {
		d := k.get(after) - k.get(before)
		wantD := uint64(0)
		for _, w := range want {
			if w.name == k.name {
				wantD = 1
			}
		}
		if d != wantD {
			failf("%s: %s grew by %d, want %d", name, k.name, d, wantD)
		}
	}
	heard, age := c.heard()
	switch {
	case !heard:
		failf("%s: peer not heard at all", name)
	case fresh && age >= ageBefore:
		failf("%s: last heard not refreshed: %v before, %v after", name, ageBefore, age)
	case !fresh && age < ageBefore:
		failf("%s: last heard refreshed by a refused message: %v before, %v after", name, ageBefore, age)
	}
	if failures == 0 {
		logf("ok: %s -> %v", name, names(want))
	}
}

const knob = "/sys/module/splitstack/parameters/reliable_keepalives"

// retransmissions makes the module's KEEPALIVEs reliable (a test knob) and
// checks that an unacknowledged one is sent again, unchanged, with a
// growing delay; that an ACK stops it; that the others time out.
func (c *checker) retransmissions(drain func()) {
	setKnob := func(v string) {
		if err := os.WriteFile(knob, []byte(v), 0); err != nil {
			fatalf("%s: %v", knob, err)
		}
	}
	before := c.stats()
	setKnob("1")
	defer setKnob("0")
	drain()
	isRel := func(m wire.Message) bool { return m.Type == wire.TypeKeepalive && m.Flags == wire.FlagReliable }
	first, err := c.next(3*time.Second, isRel)
	if err != nil {
		failf("reliable KEEPALIVE from the module: %v", err)
		return
	}
	t0 := time.Now()
	same := func(m wire.Message) bool { return isRel(m) && m.Epoch == first.Epoch && m.Seq == first.Seq }
	if _, err := c.next(2*time.Second, same); err != nil {
		failf("first retransmission of seq %d: %v", first.Seq, err)
		return
	}
	d1 := time.Since(t0)
	if _, err := c.next(3*time.Second, same); err != nil {
		failf("second retransmission of seq %d: %v", first.Seq, err)
		return
	}
	d2 := time.Since(t0) - d1
	if d1 < 100*time.Millisecond || d2 < d1 {
		failf("retransmission delays %v then %v: want about 200ms then 400ms", d1, d2)
	}
	ack := wire.New(wire.TypeAck, 0, uint32(*epoch), c.nextSeq(), 0, wire.Ack{Epoch: first.Epoch, Seq: first.Seq}.Marshal())
	c.sendFrom(nil, ack.Seal(c.key))
	if m, err := c.next(2*time.Second, same); err == nil {
		failf("seq %d sent again after its ACK: %+v", first.Seq, m.Header)
	}
	logf("ok: reliable seq %d retransmitted after %v and %v more, stopped by an ACK",
		first.Seq, d1.Round(time.Millisecond), d2.Round(time.Millisecond))
	// The others were never acknowledged: 6 transmissions over ~6.2s.
	s, ok := c.waitStatsFor(12*time.Second, func(s nl.Stats) bool { return s.Timeouts > before.Timeouts })
	if !ok || s.Retransmits <= before.Retransmits+1 {
		failf("no timeouts or retransmits: before %+v after %+v", before, s)
		return
	}
	logf("ok: unacknowledged messages time out (retransmits %d, timeouts %d)", s.Retransmits, s.Timeouts)
}

func names(cs []counter) []string {
	var s []string
	for _, c := range cs {
		s = append(s, c.name)
	}
	return s
}

func main() {
	flag.Parse()
	key, err := hex.DecodeString(*keyHex)
	if err != nil || len(key) != nl.AuthKeyLen {
		fatalf("-key must be %d hex bytes", nl.AuthKeyLen)
	}
	c := &checker{
		key:  key,
		mod:  netip.MustParseAddrPort(*module),
		self: netip.MustParseAddrPort(*local),
		rx:   make(chan rxMsg, 256),
	}
	c.modPeer = c.self.Addr()
	if c.nlc, err = dialIn(*netnsPath); err != nil {
		fatalf("netlink in %s: %v", *netnsPath, err)
	}
	if c.conn, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(c.self)); err != nil {
		fatalf("listen %v: %v", c.self, err)
	}
	go c.readLoop()

	// 1. The module's KEEPALIVEs arrive and verify.
	ka1, err := c.next(5*time.Second, func(m wire.Message) bool { return m.Type == wire.TypeKeepalive })
	if err != nil {
		fatalf("first KEEPALIVE from the module: %v", err)
	}
	ka2, err := c.next(5*time.Second, func(m wire.Message) bool { return m.Type == wire.TypeKeepalive })
	if err != nil {
		fatalf("second KEEPALIVE from the module: %v", err)
	}
	if ka1.Epoch == 0 || ka2.Epoch != ka1.Epoch || ka2.Seq <= ka1.Seq || ka1.Flags != 0 || ka1.ConnID != 0 {
		failf("module KEEPALIVEs: %+v then %+v", ka1.Header, ka2.Header)
	}
	logf("ok: module KEEPALIVEs verify (epoch %d, seq %d then %d)", ka1.Epoch, ka1.Seq, ka2.Seq)
	modEpoch := ka1.Epoch

	// 2. Never heard before; a valid KEEPALIVE is counted and heard.
	if heard, _ := c.heard(); heard {
		failf("peer heard before it sent anything")
	}
	before := c.stats()
	c.sendFrom(nil, c.keepalive(0).Seal(key))
	if s, ok := c.waitStats(func(s nl.Stats) bool { return s.Keepalives == before.Keepalives+1 }); !ok || s.CtrlRx != before.CtrlRx+1 {
		failf("valid KEEPALIVE not counted: before %+v after %+v", before, s)
	}
	if heard, age := c.heard(); !heard || age > 2*time.Second {
		failf("valid KEEPALIVE: heard %v, %v ago", heard, age)
	}
	logf("ok: valid KEEPALIVE counted, peer heard")
	// Let the age grow so that a refresh is visible.
	time.Sleep(300 * time.Millisecond)

	// 3. Refusals.
	forged := c.keepalive(0).Seal(key)
	forged[len(forged)-1] ^= 0x80
	c.expect("forged MAC", nil, forged, false, authFailures)
	c.expect("wrong key", nil, c.keepalive(0).Seal(bytes.Repeat([]byte{0xee}, 32)), false, authFailures)
	altSrc := netip.AddrPortFrom(netip.MustParseAddr(*alt), c.self.Port())
	c.expect("unknown peer address", &altSrc, c.keepalive(0).Seal(key), false, unknownPeer)
	portSrc := netip.AddrPortFrom(c.self.Addr(), c.self.Port()+1)
	c.expect("wrong source port", &portSrc, c.keepalive(0).Seal(key), false, unknownPeer)
	c.expect("truncated", nil, c.keepalive(0).Seal(key)[:wire.HeaderLen+wire.MACLen-1], false, drops)
	c.expect("empty", nil, []byte{}, false, drops)
	mod := func(f func(*wire.Message)) []byte {
		m := c.keepalive(0)
		f(&m)
		return m.Seal(key)
	}
	c.expect("oversized", nil, mod(func(m *wire.Message) { m.Type = wire.TypeSetup; m.Len = wire.MaxBody + 1 }), false, drops)
	c.expect("length mismatch", nil, mod(func(m *wire.Message) { m.Type = wire.TypeSetup; m.Len = 2; m.Body = []byte{1} }), false, drops)
	c.expect("bad magic", nil, mod(func(m *wire.Message) { m.Magic ^= 1 }), false, drops)
	c.expect("bad version", nil, mod(func(m *wire.Message) { m.Version = 2 }), false, drops)
	c.expect("non-zero reserved", nil, mod(func(m *wire.Message) { m.Reserved = 1 }), false, drops)
	c.expect("unknown type", nil, mod(func(m *wire.Message) { m.Type = 11 }), false, drops)
	c.expect("unknown flag", nil, mod(func(m *wire.Message) { m.Flags = 0x8000 }), false, drops)
	c.expect("seq 0", nil, mod(func(m *wire.Message) { m.Seq = 0 }), false, drops)

	valid := c.keepalive(0).Seal(key)
	c.expect("fresh KEEPALIVE", nil, valid, true, keepalives, ctrlRx)
	time.Sleep(200 * time.Millisecond)
	c.expect("replayed (same epoch/seq)", nil, valid, false, replays)
	c.expect("old epoch", nil, mod(func(m *wire.Message) { m.Epoch-- }), false, replays)
	c.seq += 1000
	c.expect("jump ahead", nil, c.keepalive(0).Seal(key), true, keepalives, ctrlRx)
	time.Sleep(200 * time.Millisecond)
	c.expect("below the window", nil, mod(func(m *wire.Message) { m.Seq -= 200 }), false, replays)
	c.expect("out of order inside the window", nil, mod(func(m *wire.Message) { m.Seq -= 10 }), true, keepalives, ctrlRx)
	time.Sleep(200 * time.Millisecond)

	// 4. Reliable: ACKed; the duplicate is ACKed again, delivered once.
	rel := c.keepalive(wire.FlagReliable)
	relB := rel.Seal(key)
	isAck := func(m wire.Message) bool {
		if m.Type != wire.TypeAck {
			return false
		}
		a, err := wire.ParseAck(m.Body)
		if err != nil {
			failf("ACK body: %v", err)
			return false
		}
		return a == wire.Ack{Epoch: rel.Epoch, Seq: rel.Seq}
	}
	drain := func() {
		for len(c.rx) > 0 {
			<-c.rx
		}
	}
	drain()
	c.expect("reliable KEEPALIVE", nil, relB, true, keepalives, ctrlRx)
	ack1, err := c.next(3*time.Second, isAck)
	if err != nil {
		failf("ACK of the reliable KEEPALIVE: %v", err)
	} else if ack1.Epoch != modEpoch || ack1.Flags != 0 {
		failf("ACK header %+v, want the module's epoch %d and no flags", ack1.Header, modEpoch)
	} else {
		logf("ok: reliable KEEPALIVE acknowledged (ACK seq %d)", ack1.Seq)
	}
	time.Sleep(200 * time.Millisecond)
	c.expect("duplicate reliable KEEPALIVE", nil, relB, false, duplicates)
	if ack2, err := c.next(3*time.Second, isAck); err != nil {
		failf("ACK of the duplicate: %v", err)
	} else if ack2.Seq <= ack1.Seq {
		failf("second ACK seq %d not after the first %d", ack2.Seq, ack1.Seq)
	} else {
		logf("ok: duplicate acknowledged again (ACK seq %d)", ack2.Seq)
	}

	c.retransmissions(drain)

	s := c.stats()
	if s.CtrlTx == 0 {
		failf("ctrl_tx is 0 after KEEPALIVEs and ACKs")
	}
	logf("module counters: %+v", s)
	if failures > 0 {
		fatalf("%d failure(s)", failures)
	}
	logf("all control plane checks passed")
}
