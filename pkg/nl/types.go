package nl

import (
	"fmt"
	"net/netip"
	"time"
)

// A Peer is a trusted node of the cluster: the control messages of the
// split-stack protocol are exchanged with it over UDP.
type Peer struct {
	// Addr is the peer's IPv4 address.
	Addr netip.Addr
	// Port is the peer's control UDP port. When adding a peer, 0 lets the
	// kernel apply DefaultCtrlPort.
	Port uint16
	// Heard reports whether a valid control message (authenticated, not
	// a replay) ever came from the peer. Ignored by AddPeer.
	Heard bool
	// LastHeard is the time since that message, with millisecond
	// precision; 0 unless Heard. Ignored by AddPeer.
	LastHeard time.Duration
}

// A HalfPipe is a handed-off connection whose cluster-to-client half-pipe
// is anchored at an optimal server (OS) and waits for garbage collection.
type HalfPipe struct {
	// ID is the connection id chosen by the designated server.
	ID uint64
	// Client is the client end of the TCP connection.
	Client netip.AddrPort
	// VIP is the (virtual) server end of the TCP connection.
	VIP netip.AddrPort
	// OS is the optimal server sending the response.
	OS netip.Addr
	// SeqStart is the first sequence number of the half-pipe.
	SeqStart uint32
	// SeqEnd is the sequence number following the half-pipe.
	SeqEnd uint32
	// State is the protocol state of the half-pipe.
	State HalfPipeState
	// Unacked is the number of bytes the client has not acknowledged.
	Unacked uint32
	// Age is the time since SETUP, with millisecond precision.
	Age time.Duration
}

// A HalfPipeState is the protocol state of a half-pipe (enum sst_hp_state).
type HalfPipeState uint8

// Half-pipe states.
const (
	// HalfPipeSetup: SETUP sent, not yet acknowledged (SST_HP_SETUP).
	HalfPipeSetup HalfPipeState = iota
	// HalfPipeSending: the OS is sending the response (SST_HP_SENDING).
	HalfPipeSending
	// HalfPipeDone: DATA_DONE received, waiting for the client's ACKs
	// (SST_HP_DONE).
	HalfPipeDone
	// HalfPipeReset: RESET sent, waiting for its acknowledgement
	// (SST_HP_RESET).
	HalfPipeReset
)

var halfPipeStateNames = [...]string{
	HalfPipeSetup:   "setup",
	HalfPipeSending: "sending",
	HalfPipeDone:    "done",
	HalfPipeReset:   "reset",
}

// String returns the lower-case name of the state ("setup", "sending",
// "done", "reset"), or "state(N)" for a state this package does not know.
func (s HalfPipeState) String() string {
	if int(s) < len(halfPipeStateNames) {
		return halfPipeStateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// MarshalText implements encoding.TextMarshaler with the String form.
func (s HalfPipeState) MarshalText() ([]byte, error) {
	return []byte(s.String()), nil
}

// Stats holds the protocol counters of a network namespace (SST_STAT_*).
// Counters unknown to this package are ignored.
type Stats struct {
	Setups        uint64 // SETUPs sent (DS) or accepted (OS)
	DataDones     uint64 // DATA_DONE messages
	Credits       uint64 // SEND_PACKETs (credit)
	GCs           uint64 // GC_PACKETs
	Piggybacked   uint64 // credit and GC sent in one message
	Resets        uint64 // RESET messages
	Retransmits   uint64 // control messages sent again
	AuthFailures  uint64 // control messages with a bad MAC
	Timeouts      uint64 // protocol timeouts
	Drops         uint64 // malformed or unexpected control messages
	HandoffErrors uint64 // handoff ioctls that failed
	CtrlRx        uint64 // control messages accepted
	CtrlTx        uint64 // control datagrams sent, retransmits included
	CtrlTxErrors  uint64 // control messages that could not be sent
	UnknownPeer   uint64 // datagrams from a source that is not a peer's address and port
	Replays       uint64 // authentic control messages replayed or too old
	Duplicates    uint64 // duplicates of accepted reliable messages, acknowledged again
	Keepalives    uint64 // KEEPALIVEs accepted
	Aborts        uint64 // half-pipes refused or lost by the OS (ABORTs sent on an OS, taken on a DS)
	AckNows       uint64 // DS pure ACKs turned into ACK_NOWs (DS), ACK_NOWs taken (OS)
	SegsRefused   uint64 // client segments the DS did not act on (bad checksum, out of window, ACK of unsent data)
}

// Config is the configuration of a network namespace.
type Config struct {
	// CtrlPort is the local control UDP port.
	CtrlPort uint16
	// Keepalive is the keepalive interval, with millisecond precision.
	Keepalive time.Duration
	// Mode tells when the next handoff of a connection may start.
	Mode Mode
	// AuthKeySet reports whether an authentication key is configured. The
	// key itself is never returned by the kernel.
	AuthKeySet bool
}

// A ConfigChange lists the configuration values to change; nil fields are
// left as they are. The kernel checks all values before applying any.
type ConfigChange struct {
	// CtrlPort sets the local control UDP port, 1..65535.
	CtrlPort *uint16
	// Keepalive sets the keepalive interval, a whole number of
	// milliseconds in MinKeepalive..MaxKeepalive.
	Keepalive *time.Duration
	// AuthKey sets the authentication key; when not nil it must be
	// exactly AuthKeyLen bytes. A key cannot be removed, only replaced.
	AuthKey []byte
	// Mode sets the handoff mode.
	Mode *Mode
}

// A Mode tells when the next handoff of a connection may start
// (enum sst_mode).
type Mode uint8

// Handoff modes.
const (
	// ModeSplit lets the next handoff start while data is still in flight
	// (SST_MODE_SPLIT).
	ModeSplit Mode = iota
	// ModeDrain makes the next handoff wait until everything is
	// acknowledged (SST_MODE_DRAIN).
	ModeDrain
)

// modeMax is SST_MODE_MAX.
const modeMax = ModeDrain

var modeNames = [...]string{
	ModeSplit: "split",
	ModeDrain: "drain",
}

// String returns "split" or "drain", or "mode(N)" for a mode this package
// does not know.
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// ParseMode parses the String form of a mode: "split" or "drain".
func ParseMode(s string) (Mode, error) {
	for m, name := range modeNames {
		if s == name {
			return Mode(m), nil
		}
	}
	return 0, fmt.Errorf("unknown mode %q (want split or drain)", s)
}

// MarshalText implements encoding.TextMarshaler with the String form.
func (m Mode) MarshalText() ([]byte, error) {
	return []byte(m.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseMode.
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := ParseMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
