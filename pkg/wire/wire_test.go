package wire

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/netip"
	"testing"
	"time"
)

var (
	key = bytes.Repeat([]byte{0x42}, 32)
	src = netip.MustParseAddrPort("10.0.1.3:4795")
	dst = netip.MustParseAddrPort("10.0.1.2:4796")
)

func TestHeaderLayout(t *testing.T) {
	h := Header{Magic: Magic, Version: 1, Type: TypeAck, Flags: FlagPiggyback,
		Len: 0x01020304, Epoch: 0x05060708, Seq: 0x090a0b0c, Reserved: 0x0d0e0f10,
		ConnID: 0x1112131415161718}
	b, _ := h.AppendBinary(nil)
	want := "53535431" + "01" + "0a" + "0002" + "01020304" + "05060708" + "090a0b0c" + "0d0e0f10" + "1112131415161718"
	if got := hex.EncodeToString(b); got != want {
		t.Fatalf("encoding:\n got %s\nwant %s", got, want)
	}
	back, err := ParseHeader(b)
	if err != nil || back != h {
		t.Fatalf("ParseHeader = %+v, %v; want %+v", back, err, h)
	}
}

// The MAC is HMAC-SHA256 over header and body: RFC 4231 test case 2 pins
// the primitive.
func TestMACVector(t *testing.T) {
	got := hex.EncodeToString(MAC([]byte("Jefe"), []byte("what do ya want for nothing?")))
	want := "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	if got != want {
		t.Fatalf("MAC = %s, want %s", got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range []Message{
		New(TypeKeepalive, 0, 1, 1, 0, nil),
		New(TypeKeepalive, FlagReliable, 1700000000, 42, 0, nil),
		New(TypeAck, 0, 7, 9, 99, Ack{Epoch: 3, Seq: 4}.Marshal()),
		New(TypeSetup, FlagReliable, 2, 3, 1<<63, bytes.Repeat([]byte{1}, 1000)),
		New(TypeSendPacket, FlagPiggyback, 2, 1<<32-1, 5, []byte{9}),
		New(TypeSetup, 0, 1, 1, 0, make([]byte, MaxBody)),
	} {
		b := m.Seal(key, src, dst)
		if len(b) != HeaderLen+len(m.Body)+MACLen {
			t.Errorf("%v: sealed %d bytes", m.Type, len(b))
		}
		got, err := Open(key, b, src, dst)
		if err != nil {
			t.Errorf("%v: Open: %v", m.Type, err)
			continue
		}
		if got.Header != m.Header || !bytes.Equal(got.Body, m.Body) {
			t.Errorf("%v: round trip: got %+v", m.Type, got.Header)
		}
	}
}

// The MAC covers the pseudo-header (saddr, daddr, sport, dport), then
// header and body: pinned byte by byte, as the kernel computes it.
func TestPseudoHeader(t *testing.T) {
	p := Pseudo(src, dst)
	if got, want := hex.EncodeToString(p), "0a000103"+"0a000102"+"12bb"+"12bc"; got != want {
		t.Fatalf("Pseudo = %s, want %s", got, want)
	}
	m := New(TypeKeepalive, FlagReliable, 7, 8, 9, nil)
	b := m.Seal(key, src, dst)
	h := hmac.New(sha256.New, key)
	h.Write(p)
	h.Write(b[:HeaderLen])
	if !bytes.Equal(b[HeaderLen:], h.Sum(nil)) {
		t.Fatalf("MAC is not HMAC(key, pseudo | header | body)")
	}
	mapped := netip.AddrPortFrom(netip.MustParseAddr("::ffff:10.0.1.3"), 4795)
	if !bytes.Equal(Pseudo(mapped, dst), p) {
		t.Fatalf("a v4-mapped address gives another pseudo-header")
	}
}

// A message only verifies between the addresses and ports it was sealed
// for: not replayed to another node, not relabelled as another peer's.
func TestAddressBinding(t *testing.T) {
	b := New(TypeSetup, FlagReliable, 1, 2, 3, []byte("req")).Seal(key, src, dst)
	other := netip.MustParseAddrPort("10.0.1.10:4795")
	for _, tc := range []struct {
		name     string
		src, dst netip.AddrPort
	}{
		{"replayed to another node", src, other},
		{"relabelled as another peer", other, dst},
		{"reflected to its sender", dst, src},
		{"other source port", netip.AddrPortFrom(src.Addr(), src.Port()+1), dst},
		{"other destination port", src, netip.AddrPortFrom(dst.Addr(), dst.Port()+1)},
	} {
		if _, err := Open(key, b, tc.src, tc.dst); !errors.Is(err, ErrMAC) {
			t.Errorf("%s: Open = %v, want ErrMAC", tc.name, err)
		}
	}
	if _, err := Open(key, b, src, dst); err != nil {
		t.Fatalf("Open with the right addresses: %v", err)
	}
}

func TestAck(t *testing.T) {
	a := Ack{Epoch: 0xdeadbeef, Seq: 17}
	got, err := ParseAck(a.Marshal())
	if err != nil || got != a {
		t.Fatalf("ParseAck = %+v, %v", got, err)
	}
	if _, err := ParseAck([]byte{1, 2, 3}); !errors.Is(err, ErrBody) {
		t.Fatalf("ParseAck(3 bytes) = %v, want ErrBody", err)
	}
}

func TestRefusals(t *testing.T) {
	good := New(TypeKeepalive, 0, 10, 20, 0, nil)
	mod := func(f func(*Message)) []byte {
		m := good
		f(&m)
		return m.Seal(key, src, dst)
	}
	sealed := good.Seal(key, src, dst)
	flipped := append([]byte(nil), sealed...)
	flipped[len(flipped)-1] ^= 1
	bodyFlipped := New(TypeSetup, 0, 1, 1, 0, []byte("hello")).Seal(key, src, dst)
	bodyFlipped[HeaderLen] ^= 0x20
	tests := []struct {
		name string
		b    []byte
		key  []byte
		want error
	}{
		{"empty", nil, key, ErrShort},
		{"header only", sealed[:HeaderLen], key, ErrShort},
		{"truncated MAC", sealed[:len(sealed)-1], key, ErrShort},
		{"bad magic", mod(func(m *Message) { m.Magic = 0x53535432 }), key, ErrMagic},
		{"bad version", mod(func(m *Message) { m.Version = Version + 1 }), key, ErrVersion},
		{"reserved", mod(func(m *Message) { m.Reserved = 1 }), key, ErrReserved},
		{"type 0", mod(func(m *Message) { m.Type = 0 }), key, ErrType},
		{"type 11", mod(func(m *Message) { m.Type = typeMax }), key, ErrType},
		{"unknown flag", mod(func(m *Message) { m.Flags = 4 }), key, ErrFlags},
		{"oversized", mod(func(m *Message) { m.Len = MaxBody + 1 }), key, ErrTooLong},
		{"len too big", mod(func(m *Message) { m.Type = TypeSetup; m.Len = 1 }), key, ErrLength},
		{"len too small", mod(func(m *Message) { m.Type = TypeSetup; m.Body = []byte{1, 2} }), key, ErrLength},
		{"seq 0", mod(func(m *Message) { m.Seq = 0 }), key, ErrSeq},
		{"keepalive body", mod(func(m *Message) { m.Body = []byte{1}; m.Len = 1 }), key, ErrBody},
		{"short ack", mod(func(m *Message) { m.Type = TypeAck; m.Body = []byte{1}; m.Len = 1 }), key, ErrBody},
		{"reliable ack", mod(func(m *Message) {
			m.Type = TypeAck
			m.Flags = FlagReliable
			m.Body = Ack{}.Marshal()
			m.Len = AckLen
		}), key, ErrBody},
		{"flipped MAC", flipped, key, ErrMAC},
		{"flipped body", bodyFlipped, key, ErrMAC},
		{"wrong key", sealed, bytes.Repeat([]byte{0x43}, 32), ErrMAC},
	}
	for _, tc := range tests {
		_, err := Open(tc.key, tc.b, src, dst)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Open = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestWindow(t *testing.T) {
	const W = ReplayWindow
	type step struct {
		epoch, seq uint32
		want       Verdict
		outcome    Outcome // of a Fresh one; Taken unless said
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"first then dup", []step{{5, 10, Fresh, Taken}, {5, 10, Dup, 0}}},
		{"out of order inside", []step{{5, 10, Fresh, Taken}, {5, 8, Fresh, Taken}, {5, 9, Fresh, Taken}, {5, 8, Dup, 0}, {5, 11, Fresh, Taken}, {5, 9, Dup, 0}}},
		{"window edge", []step{{5, W + 36, Fresh, Taken}, {5, 37, Fresh, Taken}, {5, 36, Old, 0}, {5, 37, Dup, 0}}},
		{"jump clears", []step{{5, 1, Fresh, Taken}, {5, W + 200, Fresh, Taken}, {5, 1, Old, 0}, {5, W + 199, Fresh, Taken}}},
		{"jump of exactly the window", []step{{5, 1, Fresh, Taken}, {5, W + 1, Fresh, Taken}, {5, 1, Old, 0}, {5, 2, Fresh, Taken}}},
		// The ring: a seq one window up reuses the bit of one that falls out.
		{"ring reuse", []step{{5, 1, Fresh, Taken}, {5, W, Fresh, Taken}, {5, 1, Dup, 0}, {5, W + 1, Fresh, Taken}, {5, 1, Old, 0}, {5, W + 1, Dup, 0}, {5, 2, Fresh, Refused}, {5, 2, Old, 0}}},
		{"step by step across the ring", []step{{5, 3, Fresh, Taken}, {5, W + 2, Fresh, Taken}, {5, W + 3, Fresh, Taken}, {5, 3, Old, 0}, {5, 4, Fresh, Taken}}},
		{"old epoch", []step{{5, 1, Fresh, Taken}, {4, 100, Old, 0}, {5, 2, Fresh, Taken}}},
		{"new epoch restarts", []step{{5, 1000, Fresh, Taken}, {6, 1, Fresh, Taken}, {6, 1, Dup, 0}, {5, 1001, Old, 0}}},
		// A refused message is not acknowledged again: its copies are Old.
		{"refused copy", []step{{5, 1, Fresh, Refused}, {5, 1, Old, 0}, {5, 2, Fresh, Taken}, {5, 1, Old, 0}}},
		// Refused for now: forgotten, the same datagram is Fresh again.
		{"retry", []step{{5, 1, Fresh, Retry}, {5, 1, Fresh, Taken}, {5, 1, Dup, 0}}},
		{"retry after the top moved", []step{{5, 3, Fresh, Retry}, {5, 9, Fresh, Taken}, {5, 3, Fresh, Taken}, {5, 3, Dup, 0}}},
		{"settled shifts along", []step{{5, 1, Fresh, Refused}, {5, 2, Fresh, Taken}, {5, 40, Fresh, Taken}, {5, 1, Old, 0}, {5, 2, Dup, 0}}},
		// Before settling (a handler still running elsewhere): a copy is
		// refused, not acknowledged.
		{"unsettled copy", []step{{5, 1, Fresh, -1}, {5, 1, Old, 0}}},
	}
	for _, tc := range tests {
		var w Window
		for i, s := range tc.steps {
			got := w.Check(s.epoch, s.seq)
			if got != s.want {
				t.Errorf("%s: step %d (%d,%d) = %v, want %v", tc.name, i, s.epoch, s.seq, got, s.want)
			}
			if got == Fresh && s.outcome >= 0 {
				w.Settle(s.epoch, s.seq, s.outcome)
			}
		}
	}
}

// The failure the fresh seq of every retransmission avoids: once the
// receiver has taken more than ReplayWindow newer messages, a copy with
// the original seq is Old, a retransmission with a new seq is Fresh.
func TestRetransmissionAfterWindowMoved(t *testing.T) {
	var w Window
	const first = 10 // lost on the way: never checked
	const n = ReplayWindow + 36
	for seq := uint32(first + 1); seq <= first+n; seq++ {
		if v := w.Check(1, seq); v != Fresh {
			t.Fatalf("seq %d: %v", seq, v)
		}
		w.Settle(1, seq, Taken)
	}
	if v := w.Check(1, first); v != Old {
		t.Errorf("same seq again = %v, want old", v)
	}
	if v := w.Check(1, first+n+1); v != Fresh {
		t.Errorf("fresh seq = %v, want fresh", v)
	}
	if e, s := w.Top(); e != 1 || s != first+n+1 {
		t.Errorf("Top = %d, %d", e, s)
	}
}

func TestTypeString(t *testing.T) {
	if TypeKeepalive.String() != "KEEPALIVE" || Type(0).String() != "type(0)" || Type(11).String() != "type(11)" {
		t.Fatal(TypeKeepalive.String(), Type(0).String(), Type(11).String())
	}
}

func TestEpochFresh(t *testing.T) {
	const now = 1_800_000_000
	tests := []struct {
		name  string
		epoch uint32
		want  bool
	}{
		{"now", now, true},
		{"as old as allowed", now - EpochMaxAge, true},
		{"a second too old", now - EpochMaxAge - 1, false},
		{"days old", now - 3*86400, false},
		{"as far ahead as allowed", now + EpochMaxAhead, true},
		{"a second too far ahead", now + EpochMaxAhead + 1, false},
		{"zero", 0, false},
	}
	for _, tc := range tests {
		if got := EpochFresh(tc.epoch, now); got != tc.want {
			t.Errorf("%s: EpochFresh(%d, %d) = %v, want %v", tc.name, tc.epoch, int64(now), got, tc.want)
		}
	}
	// A window with a clock refuses stale epochs and keeps its state.
	w := Window{Now: func() time.Time { return time.Unix(now, 0) }}
	if v := w.Check(now-10, 5); v != Fresh {
		t.Fatalf("fresh epoch: %v", v)
	}
	if v := w.Check(now-EpochMaxAge-60, 1); v != Old {
		t.Errorf("stale epoch: %v, want old", v)
	}
	if v := w.Check(now+EpochMaxAhead+60, 1); v != Old {
		t.Errorf("epoch too far ahead: %v, want old", v)
	}
	if e, top := w.Top(); e != now-10 || top != 5 {
		t.Errorf("window moved by refused epochs: (%d,%d)", e, top)
	}
}
