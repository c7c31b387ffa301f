package nl

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
)

// event is an SST_CMD_EVENT message as the kernel sends it.
func event(t *testing.T, fn func(nae *netlink.AttributeEncoder)) genetlink.Message {
	return reply(t, cmdEvent, func(ae *netlink.AttributeEncoder) {
		ae.Nested(attrEvent, func(nae *netlink.AttributeEncoder) error {
			fn(nae)
			return nil
		})
	})
}

func TestParseEvent(t *testing.T) {
	peer := netip.MustParseAddr("10.0.1.3")
	tests := []struct {
		name    string
		msg     func(t *testing.T) genetlink.Message
		want    Event
		wantErr string
	}{
		{
			name: "handoff done",
			msg: func(t *testing.T) genetlink.Message {
				return event(t, func(nae *netlink.AttributeEncoder) {
					nae.Uint8(evAttrType, uint8(EventHandoff))
					nae.Uint64(evAttrConnID, 7)
					nae.Uint16(evAttrFamily, afInet)
					nae.Bytes(evAttrPeer, peer.AsSlice())
					nae.Uint32(evAttrSeqStart, 100)
					nae.Uint32(evAttrSeqEnd, 6430)
					nae.Int32(evAttrErr, 0)
					nae.Uint32(evAttrSent, 6330)
					nae.Uint64(evAttrDurationUS, 19680)
					nae.Uint32(99, 1) // an attribute of a newer kernel
				})
			},
			want: Event{Type: EventHandoff, ConnID: 7, Peer: peer, SeqStart: 100, SeqEnd: 6430,
				Sent: 6330, Duration: 19680 * time.Microsecond},
		},
		{
			name: "handoff failed",
			msg: func(t *testing.T) genetlink.Message {
				return event(t, func(nae *netlink.AttributeEncoder) {
					nae.Uint8(evAttrType, uint8(EventHandoff))
					nae.Uint16(evAttrFamily, afInet)
					nae.Bytes(evAttrPeer, peer.AsSlice())
					nae.Int32(evAttrErr, -int32(syscall.ETIMEDOUT))
				})
			},
			want: Event{Type: EventHandoff, Peer: peer, Err: syscall.ETIMEDOUT},
		},
		{
			name: "abort",
			msg: func(t *testing.T) genetlink.Message {
				return event(t, func(nae *netlink.AttributeEncoder) {
					nae.Uint8(evAttrType, uint8(EventAbort))
					nae.Uint64(evAttrConnID, 1<<40)
					nae.Uint16(evAttrFamily, afInet)
					nae.Bytes(evAttrPeer, peer.AsSlice())
					nae.Uint32(evAttrSeqStart, 5)
					nae.Uint32(evAttrSeqEnd, 5)
				})
			},
			want: Event{Type: EventAbort, ConnID: 1 << 40, Peer: peer, SeqStart: 5, SeqEnd: 5},
		},
		{
			name: "no event attribute",
			msg: func(t *testing.T) genetlink.Message {
				return reply(t, cmdEvent, func(ae *netlink.AttributeEncoder) { ae.Uint16(attrPort, 1) })
			},
			wantErr: "no SST_A_EVENT",
		},
		{
			name: "peer of the wrong length",
			msg: func(t *testing.T) genetlink.Message {
				return event(t, func(nae *netlink.AttributeEncoder) {
					nae.Uint8(evAttrType, uint8(EventReset))
					nae.Uint16(evAttrFamily, afInet)
					nae.Bytes(evAttrPeer, []byte{10, 0, 1})
				})
			},
			wantErr: "peer",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseEvent(tc.msg(t))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
				cmp.Comparer(func(a, b error) bool { return errors.Is(a, b) || a == b })); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

// The receive loop: events delivered in order, other commands skipped,
// fn's error ends it.
func TestReceiveEvents(t *testing.T) {
	peer := netip.MustParseAddr("10.0.1.4")
	sent := false
	c := testClient(t, func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
		if greq.Header.Command != 0 || sent {
			t.Errorf("unexpected request: command %d", greq.Header.Command)
			return nil, errors.New("no")
		}
		sent = true // a multicast read: the kernel's notifications
		return []genetlink.Message{
			event(t, func(nae *netlink.AttributeEncoder) {
				nae.Uint8(evAttrType, uint8(EventReset))
				nae.Uint64(evAttrConnID, 1)
				nae.Uint16(evAttrFamily, afInet)
				nae.Bytes(evAttrPeer, peer.AsSlice())
			}),
			reply(t, cmdStatsGet, func(ae *netlink.AttributeEncoder) {}),
			event(t, func(nae *netlink.AttributeEncoder) {
				nae.Uint8(evAttrType, uint8(EventGCTimeout))
				nae.Uint64(evAttrConnID, 2)
				nae.Uint16(evAttrFamily, afInet)
				nae.Bytes(evAttrPeer, peer.AsSlice())
			}),
		}, nil
	})
	var got []Event
	stop := errors.New("stop")
	err := c.receiveEvents(context.Background(), func(ev Event) error {
		got = append(got, ev)
		if len(got) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("receiveEvents = %v, want fn's error", err)
	}
	want := []Event{{Type: EventReset, ConnID: 1, Peer: peer}, {Type: EventGCTimeout, ConnID: 2, Peer: peer}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// A module without the group (older): a clear error, nothing joined.
func TestMonitorNoGroup(t *testing.T) {
	c := testClient(t, noKernel(t))
	err := c.Monitor(context.Background(), func(Event) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `no "events" multicast group`) {
		t.Fatalf("Monitor = %v, want the missing group named", err)
	}
}

func TestEventTypeString(t *testing.T) {
	for typ, want := range map[EventType]string{
		EventHandoff: "handoff", EventReset: "reset", EventAbort: "abort",
		EventGCTimeout: "gc-timeout", EventUnknown: "event(0)", 9: "event(9)",
	} {
		if got := typ.String(); got != want {
			t.Errorf("%d: %q, want %q", typ, got, want)
		}
	}
}
