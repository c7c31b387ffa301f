// Package nl is a client of the "splitstack" generic netlink family of
// splitstack.ko: it manages the trusted peers and the configuration of the
// caller's network namespace, and reads its half-pipes and statistics.
//
// The ABI is defined by kmod/include/uapi/linux/splitstack.h. Changing
// state needs CAP_NET_ADMIN; reading is open to everyone. Values are checked
// before a request is sent (such errors match ErrInvalid), but the kernel
// stays the authority: its refusals are returned as *OpError, which wraps
// the errno and carries the kernel's extended acknowledgement message.
package nl

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// A Client talks to the splitstack module over generic netlink. It acts on
// the network namespace of the calling thread at Dial time. Its methods may
// be called concurrently.
type Client struct {
	c      *genetlink.Conn
	family genetlink.Family
}

// Dial opens a generic netlink socket and looks up the "splitstack" family.
// When the module is not loaded, the error matches ErrNotLoaded.
func Dial() (*Client, error) {
	c, err := genetlink.Dial(nil)
	if err != nil {
		return nil, fmt.Errorf("open generic netlink socket: %w", err)
	}
	// Ask for the kernel's error messages. Best effort: without them the
	// errors only lack detail.
	_ = c.SetOption(netlink.ExtendedAcknowledge, true)
	return newClient(c)
}

// newClient looks up the family on c and returns a Client owning c. It
// closes c on failure. Tests call it with a genltest connection.
func newClient(c *genetlink.Conn) (*Client, error) {
	f, err := c.GetFamily(GenlName)
	if err != nil {
		_ = c.Close()
		if errors.Is(err, os.ErrNotExist) {
			return nil, ErrNotLoaded
		}
		return nil, wrapError("look up generic netlink family "+GenlName, err, nil)
	}
	if f.Version < GenlVersion {
		_ = c.Close()
		return nil, fmt.Errorf("splitstack module speaks netlink version %d, need %d or later", f.Version, GenlVersion)
	}
	return &Client{c: c, family: f}, nil
}

// Close closes the netlink socket.
func (c *Client) Close() error {
	return c.c.Close()
}

// AddPeer makes p a trusted peer. A zero p.Port lets the kernel use
// DefaultCtrlPort. Adding an address that is already a peer fails with an
// error matching unix.EEXIST (and os.ErrExist); the kernel holds at most
// MaxPeers peers (unix.ENOSPC).
func (c *Client) AddPeer(p Peer) error {
	addr, err := peerAddr(p.Addr)
	if err != nil {
		return err
	}
	ae := netlink.NewAttributeEncoder()
	encodeAddr(ae, addr)
	if p.Port != 0 {
		ae.Uint16(attrPort, p.Port)
	}
	_, err = c.execute(cmdPeerAdd, netlink.Request|netlink.Acknowledge, ae,
		"add peer "+addr.String(), errnoText{
			unix.EEXIST: "peer already exists",
			unix.ENOSPC: fmt.Sprintf("too many peers (at most %d)", MaxPeers),
		})
	return err
}

// DeletePeer forgets the peer with address addr. An unknown peer fails with
// an error matching unix.ENOENT (and os.ErrNotExist).
func (c *Client) DeletePeer(addr netip.Addr) error {
	addr, err := peerAddr(addr)
	if err != nil {
		return err
	}
	ae := netlink.NewAttributeEncoder()
	encodeAddr(ae, addr)
	_, err = c.execute(cmdPeerDel, netlink.Request|netlink.Acknowledge, ae,
		"delete peer "+addr.String(), errnoText{unix.ENOENT: "no such peer"})
	return err
}

// Peers returns the trusted peers, in the kernel's order.
func (c *Client) Peers() ([]Peer, error) {
	msgs, err := c.execute(cmdPeerGet, netlink.Request|netlink.Dump, nil, "list peers", nil)
	if err != nil {
		return nil, err
	}
	return parsePeers(msgs)
}

// HalfPipes returns the half-pipes waiting for garbage collection.
func (c *Client) HalfPipes() ([]HalfPipe, error) {
	msgs, err := c.execute(cmdHalfPipeGet, netlink.Request|netlink.Dump, nil, "list half-pipes", nil)
	if err != nil {
		return nil, err
	}
	return parseHalfPipes(msgs)
}

// Stats returns the protocol counters.
func (c *Client) Stats() (Stats, error) {
	msgs, err := c.execute(cmdStatsGet, netlink.Request, nil, "get statistics", nil)
	if err != nil {
		return Stats{}, err
	}
	return parseStats(msgs)
}

// Config returns the configuration.
func (c *Client) Config() (Config, error) {
	msgs, err := c.execute(cmdConfigGet, netlink.Request, nil, "get configuration", nil)
	if err != nil {
		return Config{}, err
	}
	return parseConfig(msgs)
}

// SetConfig changes the configuration values set in ch; the kernel applies
// all of them or none. An empty change is refused.
func (c *Client) SetConfig(ch ConfigChange) error {
	ae, err := encodeConfigChange(ch)
	if err != nil {
		return err
	}
	_, err = c.execute(cmdConfigSet, netlink.Request|netlink.Acknowledge, ae, "set configuration", nil)
	return err
}

// execute sends command cmd with the attributes of ae (nil for none) and
// returns the replies. Errors are wrapped by wrapError with op and texts.
func (c *Client) execute(cmd uint8, flags netlink.HeaderFlags, ae *netlink.AttributeEncoder, op string, texts errnoText) ([]genetlink.Message, error) {
	var b []byte
	if ae != nil {
		var err error
		if b, err = ae.Encode(); err != nil {
			return nil, fmt.Errorf("%s: encode attributes: %w", op, err)
		}
	}
	msg := genetlink.Message{
		Header: genetlink.Header{Command: cmd, Version: GenlVersion},
		Data:   b,
	}
	msgs, err := c.c.Execute(msg, c.family.ID, flags)
	if err != nil {
		return nil, wrapError(op, err, texts)
	}
	return msgs, nil
}

// peerAddr checks that a is a usable peer address and returns it in its
// 4-byte form.
func peerAddr(a netip.Addr) (netip.Addr, error) {
	switch {
	case !a.IsValid():
		return netip.Addr{}, invalidf("no peer address given")
	case a.Is4In6():
		return a.Unmap(), nil
	case !a.Is4():
		return netip.Addr{}, invalidf("%q is not an IPv4 address (splitstack supports IPv4 peers only)", a.String())
	}
	return a, nil
}

// encodeConfigChange checks ch and encodes it as SST_CMD_CONFIG_SET
// attributes.
func encodeConfigChange(ch ConfigChange) (*netlink.AttributeEncoder, error) {
	ae := netlink.NewAttributeEncoder()
	n := 0
	if ch.CtrlPort != nil {
		if *ch.CtrlPort == 0 {
			return nil, invalidf("control port 0 out of range (1..65535)")
		}
		ae.Uint16(attrCtrlPort, *ch.CtrlPort)
		n++
	}
	if ch.Keepalive != nil {
		d := *ch.Keepalive
		if d < MinKeepalive || d > MaxKeepalive {
			return nil, invalidf("keepalive %v out of range (%v..%v)", d, MinKeepalive, MaxKeepalive)
		}
		if d%time.Millisecond != 0 {
			return nil, invalidf("keepalive %v is not a whole number of milliseconds", d)
		}
		ae.Uint32(attrKeepaliveMS, uint32(d/time.Millisecond))
		n++
	}
	if ch.AuthKey != nil {
		if len(ch.AuthKey) != AuthKeyLen {
			return nil, invalidf("authentication key is %d bytes long, want exactly %d", len(ch.AuthKey), AuthKeyLen)
		}
		ae.Bytes(attrAuthKey, ch.AuthKey)
		n++
	}
	if ch.Mode != nil {
		if *ch.Mode > modeMax {
			return nil, invalidf("unknown mode %d (want split or drain)", uint8(*ch.Mode))
		}
		ae.Uint8(attrMode, uint8(*ch.Mode))
		n++
	}
	if n == 0 {
		return nil, invalidf("no configuration value to set")
	}
	return ae, nil
}
