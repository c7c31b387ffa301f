package nl

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
)

// An EventType says what happened (enum sst_event).
type EventType uint8

// Event types.
const (
	EventUnknown   EventType = iota
	EventHandoff             // DS: a handoff ended, Err nil if it was done (SST_EV_HANDOFF)
	EventReset               // DS: a half-pipe fully acknowledged: RESET (SST_EV_RESET)
	EventAbort               // OS: a half-pipe refused or lost: ABORT (SST_EV_ABORT)
	EventGCTimeout           // OS: a half-pipe collected, its DS silent (SST_EV_GC_TIMEOUT)
)

var eventTypeNames = [...]string{
	EventUnknown:   "unknown",
	EventHandoff:   "handoff",
	EventReset:     "reset",
	EventAbort:     "abort",
	EventGCTimeout: "gc-timeout",
}

// String returns the name of the type ("handoff", "reset", "abort",
// "gc-timeout"), or "event(N)" for one this package does not know.
func (t EventType) String() string {
	if int(t) < len(eventTypeNames) && t != EventUnknown {
		return eventTypeNames[t]
	}
	return fmt.Sprintf("event(%d)", uint8(t))
}

// MarshalText implements encoding.TextMarshaler with the String form.
func (t EventType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// An Event is one notification of the module's "events" group
// (SST_CMD_EVENT).
type Event struct {
	Type EventType
	// ConnID is the DS's connection id (HalfPipe.ID).
	ConnID uint64
	// Peer is the other node: the OS on a DS, the DS on an OS.
	Peer netip.Addr
	// SeqStart and SeqEnd delimit the half-pipe (SeqEnd 0 if not known).
	SeqStart, SeqEnd uint32
	// Err is why a handoff failed (EventHandoff), a syscall.Errno, or nil.
	Err error
	// Sent is the number of bytes the OS sent (EventHandoff).
	Sent uint32
	// Duration is how long the handoff call took (EventHandoff).
	Duration time.Duration
}

// parseEvent decodes one SST_CMD_EVENT message.
func parseEvent(m genetlink.Message) (Event, error) {
	var ev Event
	ad, err := netlink.NewAttributeDecoder(m.Data)
	if err != nil {
		return ev, err
	}
	found := false
	for ad.Next() {
		if ad.Type() != attrEvent {
			continue
		}
		found = true
		ad.Nested(func(nad *netlink.AttributeDecoder) error {
			var (
				family uint16
				peer   rawAddr
			)
			for nad.Next() {
				switch nad.Type() {
				case evAttrType:
					ev.Type = EventType(nad.Uint8())
				case evAttrConnID:
					ev.ConnID = nad.Uint64()
				case evAttrFamily:
					family = nad.Uint16()
				case evAttrPeer:
					peer.store(nad.Bytes())
				case evAttrSeqStart:
					ev.SeqStart = nad.Uint32()
				case evAttrSeqEnd:
					ev.SeqEnd = nad.Uint32()
				case evAttrErr:
					if e := nad.Int32(); e < 0 {
						ev.Err = syscall.Errno(-e)
					}
				case evAttrSent:
					ev.Sent = nad.Uint32()
				case evAttrDurationUS:
					ev.Duration = time.Duration(nad.Uint64()) * time.Microsecond
				}
			}
			if err := nad.Err(); err != nil {
				return err
			}
			a, err := peer.decode(family)
			if err != nil {
				return fmt.Errorf("peer: %w", err)
			}
			ev.Peer = a
			return nil
		})
	}
	if err := ad.Err(); err != nil {
		return ev, fmt.Errorf("decode event: %w", err)
	}
	if !found {
		return ev, errors.New("decode event: no SST_A_EVENT")
	}
	return ev, nil
}

// Monitor joins the namespace's "events" group (which needs
// CAP_NET_ADMIN) and calls fn with every event until ctx is done (it
// then returns ctx.Err()) or fn returns an error (which it returns).
// Events the socket had no room for are lost: Monitor then returns an
// error matching syscall.ENOBUFS. The Client must not be used for
// anything else meanwhile.
func (c *Client) Monitor(ctx context.Context, fn func(Event) error) error {
	var group uint32
	for _, g := range c.family.Groups {
		if g.Name == genlMcgrpEvents {
			group = g.ID
		}
	}
	if group == 0 {
		return fmt.Errorf("the splitstack module has no %q multicast group (an older module?)", genlMcgrpEvents)
	}
	if err := c.c.JoinGroup(group); err != nil {
		return wrapError("join the events group", err, nil)
	}
	defer func() { _ = c.c.LeaveGroup(group) }()
	stop := context.AfterFunc(ctx, func() { _ = c.c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	return c.receiveEvents(ctx, fn)
}

// receiveEvents is Monitor's loop, once the group is joined.
func (c *Client) receiveEvents(ctx context.Context, fn func(Event) error) error {
	for {
		msgs, _, err := c.c.Receive()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return wrapError("receive events", err, nil)
		}
		for _, m := range msgs {
			if m.Header.Command != cmdEvent {
				continue
			}
			ev, err := parseEvent(m)
			if err != nil {
				return err
			}
			if err := fn(ev); err != nil {
				return err
			}
		}
	}
}
