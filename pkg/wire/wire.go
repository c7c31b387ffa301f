// Package wire encodes and decodes the control messages that splitstack.ko
// nodes exchange over UDP (the "control wire protocol" section of
// kmod/include/uapi/linux/splitstack.h):
//
//	header (32 bytes) | body (Header.Len bytes) | HMAC-SHA256 (32 bytes)
//
// All integers are big-endian. The MAC is keyed with the namespace's
// 32-byte authentication key and covers a pseudo-header that is not sent
// (source address, destination address, source port, destination port of
// the datagram: 12 bytes, network byte order), the header and the body: a
// message verifies only at the address and port it was sent to, and only
// as coming from the one that sent it.
//
// Open applies the same structural checks as the kernel, in the same
// order, so a message Open accepts is one the module accepts too (replay
// protection aside, which needs the receiver's state).
package wire

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Constants of the wire format (SST_WIRE_*).
const (
	Magic        = 0x53535431    // SST_WIRE_MAGIC, "SST1"
	Version      = 2             // SST_WIRE_VERSION
	HeaderLen    = 32            // sizeof(struct sst_wire_hdr)
	MACLen       = 32            // SST_WIRE_MAC_LEN
	MaxBody      = 16*1024 + 256 // SST_WIRE_MAX_BODY
	PseudoLen    = 12            // sizeof(struct sst_wire_pseudo)
	ReplayWindow = 1024          // SST_WIRE_REPLAY_WINDOW
	AckLen       = 8             // sizeof(struct sst_wire_ack)

	// Epoch freshness, in seconds (SST_WIRE_EPOCH_*): senders begin a
	// new epoch at least every EpochRoll; receivers refuse an epoch
	// more than EpochMaxAge behind or EpochMaxAhead ahead of their clock.
	EpochRoll     = 600  // SST_WIRE_EPOCH_ROLL
	EpochMaxAge   = 1200 // SST_WIRE_EPOCH_MAX_AGE
	EpochMaxAhead = 600  // SST_WIRE_EPOCH_MAX_AHEAD
)

// EpochFresh says whether a receiver whose clock reads now (Unix seconds)
// takes messages of epoch, as the kernel's receivers do.
func EpochFresh(epoch uint32, now int64) bool {
	age := int32(uint32(now) - epoch)
	return age <= EpochMaxAge && age >= -EpochMaxAhead
}

// A Type is a message type (enum sst_msg_type).
type Type uint8

// Message types.
const (
	TypeSetup      Type = iota + 1 // SST_MSG_SETUP
	TypeSetupAck                   // SST_MSG_SETUP_ACK
	TypeSendPacket                 // SST_MSG_SEND_PACKET
	TypeGCPacket                   // SST_MSG_GC_PACKET
	TypeDataDone                   // SST_MSG_DATA_DONE
	TypeReset                      // SST_MSG_RESET
	TypeKeepalive                  // SST_MSG_KEEPALIVE
	TypeAckNow                     // SST_MSG_ACK_NOW
	TypeAbort                      // SST_MSG_ABORT
	TypeAck                        // SST_MSG_ACK
	typeMax                        // __SST_MSG_MAX
)

var typeNames = [...]string{
	TypeSetup: "SETUP", TypeSetupAck: "SETUP_ACK", TypeSendPacket: "SEND_PACKET",
	TypeGCPacket: "GC_PACKET", TypeDataDone: "DATA_DONE", TypeReset: "RESET",
	TypeKeepalive: "KEEPALIVE", TypeAckNow: "ACK_NOW", TypeAbort: "ABORT", TypeAck: "ACK",
}

func (t Type) String() string {
	if t > 0 && t < typeMax {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Flags are the header flags (SST_WIRE_F_*).
type Flags uint16

// Header flags.
const (
	// FlagReliable asks for an ACK (SST_WIRE_F_RELIABLE).
	FlagReliable Flags = 0x0001
	// FlagPiggyback marks a credit carrying a GC directive
	// (SST_WIRE_F_PIGGYBACK).
	FlagPiggyback Flags = 0x0002
	flagsAll            = FlagReliable | FlagPiggyback
)

// Header is struct sst_wire_hdr.
type Header struct {
	Magic    uint32
	Version  uint8
	Type     Type
	Flags    Flags
	Len      uint32 // body length
	Epoch    uint32 // sender instance
	Seq      uint32 // sender sequence within Epoch, from 1
	Reserved uint32
	ConnID   uint64
}

// Message is a header and its body.
type Message struct {
	Header
	Body []byte
}

// New returns a well-formed message: Magic, Version and Len are set.
func New(t Type, flags Flags, epoch, seq uint32, connID uint64, body []byte) Message {
	return Message{
		Header: Header{
			Magic: Magic, Version: Version, Type: t, Flags: flags,
			Len: uint32(len(body)), Epoch: epoch, Seq: seq, ConnID: connID,
		},
		Body: body,
	}
}

// AppendBinary appends the 32-byte encoding of h, fields as they are.
func (h Header) AppendBinary(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint32(b, h.Magic)
	b = append(b, h.Version, byte(h.Type))
	b = binary.BigEndian.AppendUint16(b, uint16(h.Flags))
	b = binary.BigEndian.AppendUint32(b, h.Len)
	b = binary.BigEndian.AppendUint32(b, h.Epoch)
	b = binary.BigEndian.AppendUint32(b, h.Seq)
	b = binary.BigEndian.AppendUint32(b, h.Reserved)
	b = binary.BigEndian.AppendUint64(b, h.ConnID)
	return b, nil
}

// ParseHeader decodes the first HeaderLen bytes of b without checking them.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, fmt.Errorf("%w: %d bytes, a header is %d", ErrShort, len(b), HeaderLen)
	}
	return Header{
		Magic:    binary.BigEndian.Uint32(b[0:]),
		Version:  b[4],
		Type:     Type(b[5]),
		Flags:    Flags(binary.BigEndian.Uint16(b[6:])),
		Len:      binary.BigEndian.Uint32(b[8:]),
		Epoch:    binary.BigEndian.Uint32(b[12:]),
		Seq:      binary.BigEndian.Uint32(b[16:]),
		Reserved: binary.BigEndian.Uint32(b[20:]),
		ConnID:   binary.BigEndian.Uint64(b[24:]),
	}, nil
}

// MAC returns HMAC-SHA256(key, data...).
func MAC(key []byte, data ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)
}

// Pseudo returns the pseudo-header of a datagram from src to dst (struct
// sst_wire_pseudo): IPv4 source and destination address, source and
// destination port. It panics on an address that is not IPv4.
func Pseudo(src, dst netip.AddrPort) []byte {
	s, d := src.Addr().Unmap(), dst.Addr().Unmap()
	if !s.Is4() || !d.Is4() {
		panic(fmt.Sprintf("wire: pseudo-header of %v -> %v: IPv4 only", src, dst))
	}
	b := make([]byte, 0, PseudoLen)
	b = append(b, s.AsSlice()...)
	b = append(b, d.AsSlice()...)
	b = binary.BigEndian.AppendUint16(b, src.Port())
	return binary.BigEndian.AppendUint16(b, dst.Port())
}

// Seal encodes m (header fields as they are, so tests can forge any of
// them) and appends the MAC with key for a datagram from src to dst: a
// complete datagram payload.
func (m Message) Seal(key []byte, src, dst netip.AddrPort) []byte {
	b, _ := m.Header.AppendBinary(make([]byte, 0, HeaderLen+len(m.Body)+MACLen))
	b = append(b, m.Body...)
	return append(b, MAC(key, Pseudo(src, dst), b)...)
}

// Errors of Parse and Open; each matches one refusal of the kernel.
var (
	ErrShort    = errors.New("datagram too short")
	ErrMagic    = errors.New("bad magic")
	ErrVersion  = errors.New("unknown version")
	ErrReserved = errors.New("non-zero reserved field")
	ErrType     = errors.New("unknown message type")
	ErrFlags    = errors.New("unknown flag")
	ErrTooLong  = errors.New("body longer than the maximum")
	ErrLength   = errors.New("body length disagrees with the datagram")
	ErrSeq      = errors.New("sequence number 0")
	ErrBody     = errors.New("bad body for the message type")
	ErrMAC      = errors.New("MAC mismatch")
)

// Parse decodes a datagram payload and checks its structure as the kernel
// does, without the MAC. It returns the message (Body aliases b) and the
// received MAC.
func Parse(b []byte) (Message, []byte, error) {
	if len(b) < HeaderLen+MACLen {
		return Message{}, nil, fmt.Errorf("%w: %d bytes, at least %d needed", ErrShort, len(b), HeaderLen+MACLen)
	}
	h, _ := ParseHeader(b)
	switch {
	case h.Magic != Magic:
		return Message{}, nil, fmt.Errorf("%w %#x", ErrMagic, h.Magic)
	case h.Version != Version:
		return Message{}, nil, fmt.Errorf("%w %d", ErrVersion, h.Version)
	case h.Reserved != 0:
		return Message{}, nil, ErrReserved
	case h.Type == 0 || h.Type >= typeMax:
		return Message{}, nil, fmt.Errorf("%w %d", ErrType, h.Type)
	case h.Flags&^flagsAll != 0:
		return Message{}, nil, fmt.Errorf("%w %#x", ErrFlags, uint16(h.Flags))
	case h.Len > MaxBody:
		return Message{}, nil, fmt.Errorf("%w: %d", ErrTooLong, h.Len)
	case int(h.Len) != len(b)-HeaderLen-MACLen:
		return Message{}, nil, fmt.Errorf("%w: header says %d, datagram holds %d", ErrLength, h.Len, len(b)-HeaderLen-MACLen)
	case h.Seq == 0:
		return Message{}, nil, ErrSeq
	case h.Type == TypeKeepalive && h.Len != 0:
		return Message{}, nil, fmt.Errorf("%w: KEEPALIVE with %d bytes", ErrBody, h.Len)
	case h.Type == TypeAck && (h.Len != AckLen || h.Flags&FlagReliable != 0):
		return Message{}, nil, fmt.Errorf("%w: ACK of %d bytes, flags %#x", ErrBody, h.Len, uint16(h.Flags))
	}
	end := HeaderLen + int(h.Len)
	return Message{Header: h, Body: b[HeaderLen:end]}, b[end:], nil
}

// Open parses a datagram payload received from src at dst and verifies
// its MAC with key.
func Open(key, b []byte, src, dst netip.AddrPort) (Message, error) {
	m, mac, err := Parse(b)
	if err != nil {
		return Message{}, err
	}
	if !hmac.Equal(mac, MAC(key, Pseudo(src, dst), b[:len(b)-MACLen])) {
		return Message{}, ErrMAC
	}
	return m, nil
}

// Ack is the body of an ACK (struct sst_wire_ack): the (epoch, seq) of
// the reliable message it acknowledges.
type Ack struct {
	Epoch uint32
	Seq   uint32
}

// Marshal encodes a.
func (a Ack) Marshal() []byte {
	b := binary.BigEndian.AppendUint32(make([]byte, 0, AckLen), a.Epoch)
	return binary.BigEndian.AppendUint32(b, a.Seq)
}

// ParseAck decodes the body of an ACK.
func ParseAck(b []byte) (Ack, error) {
	if len(b) != AckLen {
		return Ack{}, fmt.Errorf("%w: ACK of %d bytes", ErrBody, len(b))
	}
	return Ack{Epoch: binary.BigEndian.Uint32(b), Seq: binary.BigEndian.Uint32(b[4:])}, nil
}

// Window is the receiver's replay window of one sender, as the kernel
// keeps it (struct sst_replay): a stale epoch is refused (EpochFresh, if
// Now is set), a newer epoch restarts the window, an older one is
// refused, and within an epoch the last ReplayWindow sequence numbers up
// to the highest seen are remembered, with whether each was taken.
//
// Senders never send one (epoch, seq) twice: a retransmission of a
// reliable message is a new message with its own seq, so a receiver's
// window moving on cannot make it Old.
type Window struct {
	// Now, if set, is the receiver's clock: epochs that are not
	// EpochFresh by it are Old.
	Now func() time.Time

	valid bool
	epoch uint32
	top   uint32
	seen  ring // bit seq % ReplayWindow: seen (within the window below top)
	taken ring // the same, and taken
}

// ring is a bitmap of ReplayWindow bits indexed by seq % ReplayWindow.
type ring [ReplayWindow / 64]uint64

func (r *ring) set(seq uint32)      { r[seq%ReplayWindow/64] |= 1 << (seq % 64) }
func (r *ring) clear(seq uint32)    { r[seq%ReplayWindow/64] &^= 1 << (seq % 64) }
func (r *ring) has(seq uint32) bool { return r[seq%ReplayWindow/64]&(1<<(seq%64)) != 0 }

// Verdict is the outcome of Window.Check.
type Verdict int

// Verdicts.
const (
	Fresh Verdict = iota // first time seen: recorded, to be settled
	Dup                  // inside the window, seen and taken before
	Old                  // older epoch, below the window, or seen but not taken
)

func (v Verdict) String() string {
	switch v {
	case Fresh:
		return "fresh"
	case Dup:
		return "dup"
	case Old:
		return "old"
	}
	return fmt.Sprintf("verdict(%d)", int(v))
}

// Outcome says what became of a Fresh message (enum sst_replay_outcome).
type Outcome int

// Outcomes.
const (
	Taken   Outcome = iota // delivered (and acknowledged): copies are Dup
	Refused                // refused for good: copies are Old
	Retry                  // refused for now: forgotten, a copy is Fresh
)

// Check records (epoch, seq) and says whether it is new.
func (w *Window) Check(epoch, seq uint32) Verdict {
	if w.Now != nil && !EpochFresh(epoch, w.Now().Unix()) {
		return Old
	}
	switch {
	case !w.valid || epoch > w.epoch:
		*w = Window{Now: w.Now, valid: true, epoch: epoch, top: seq}
		w.seen.set(seq)
		return Fresh
	case epoch < w.epoch:
		return Old
	case seq > w.top:
		if seq-w.top >= ReplayWindow {
			w.seen, w.taken = ring{}, ring{}
		} else {
			for s := w.top + 1; s != seq+1; s++ {
				w.seen.clear(s)
				w.taken.clear(s)
			}
		}
		w.seen.set(seq)
		w.top = seq
		return Fresh
	}
	switch {
	case w.top-seq >= ReplayWindow:
		return Old
	case w.taken.has(seq):
		return Dup
	case w.seen.has(seq):
		return Old
	}
	w.seen.set(seq)
	return Fresh
}

// Settle records what became of a Fresh (epoch, seq); nothing happens if
// the window has moved past it.
func (w *Window) Settle(epoch, seq uint32, o Outcome) {
	if !w.valid || epoch != w.epoch || seq > w.top || w.top-seq >= ReplayWindow {
		return
	}
	switch o {
	case Taken:
		w.taken.set(seq)
	case Retry:
		w.seen.clear(seq)
	}
}

// Top returns the newest epoch and the highest seq seen in it.
func (w *Window) Top() (epoch, seq uint32) { return w.epoch, w.top }
