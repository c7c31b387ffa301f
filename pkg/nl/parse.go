package nl

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
)

// encodeAddr encodes the 4-byte address a as SST_A_FAMILY and SST_A_ADDR.
func encodeAddr(ae *netlink.AttributeEncoder, a netip.Addr) {
	b := a.As4()
	ae.Uint16(attrFamily, afInet)
	ae.Bytes(attrAddr, b[:])
}

// rawAddr is an address attribute whose family may arrive after it.
type rawAddr struct {
	b   []byte
	set bool
}

func (r *rawAddr) store(b []byte) {
	r.b = append([]byte(nil), b...)
	r.set = true
}

// decode converts the address to a netip.Addr. An absent attribute is the
// zero Addr; a missing family (0) is inferred from the length.
func (r rawAddr) decode(family uint16) (netip.Addr, error) {
	if !r.set {
		return netip.Addr{}, nil
	}
	switch {
	case (family == afInet || family == 0) && len(r.b) == 4:
		return netip.AddrFrom4([4]byte(r.b)), nil
	case (family == afInet6 || family == 0) && len(r.b) == 16:
		return netip.AddrFrom16([16]byte(r.b)), nil
	}
	return netip.Addr{}, fmt.Errorf("bad address: family %d with %d bytes", family, len(r.b))
}

// decodeMessages runs fn on a decoder of the attributes of every message.
func decodeMessages(msgs []genetlink.Message, fn func(ad *netlink.AttributeDecoder) error) error {
	for _, m := range msgs {
		ad, err := netlink.NewAttributeDecoder(m.Data)
		if err != nil {
			return err
		}
		if err := fn(ad); err != nil {
			return err
		}
		if err := ad.Err(); err != nil {
			return err
		}
	}
	return nil
}

// parsePeers decodes the messages of an SST_CMD_PEER_GET dump.
func parsePeers(msgs []genetlink.Message) ([]Peer, error) {
	peers := make([]Peer, 0, len(msgs))
	err := decodeMessages(msgs, func(ad *netlink.AttributeDecoder) error {
		var (
			p      Peer
			family uint16
			addr   rawAddr
		)
		for ad.Next() {
			switch ad.Type() {
			case attrFamily:
				family = ad.Uint16()
			case attrAddr:
				addr.store(ad.Bytes())
			case attrPort:
				p.Port = ad.Uint16()
			case attrLastHeardMS:
				p.Heard = true
				p.LastHeard = time.Duration(ad.Uint64()) * time.Millisecond
			}
		}
		if err := ad.Err(); err != nil {
			return err
		}
		var err error
		if p.Addr, err = addr.decode(family); err != nil {
			return err
		}
		if !p.Addr.IsValid() {
			return errors.New("peer without address")
		}
		peers = append(peers, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list peers: decode reply: %w", err)
	}
	return peers, nil
}

// parseHalfPipes decodes the messages of an SST_CMD_HALFPIPE_GET dump.
func parseHalfPipes(msgs []genetlink.Message) ([]HalfPipe, error) {
	hps := make([]HalfPipe, 0, len(msgs))
	err := decodeMessages(msgs, func(ad *netlink.AttributeDecoder) error {
		for ad.Next() {
			if ad.Type() != attrHalfPipe {
				continue
			}
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				hp, err := parseHalfPipe(nad)
				if err != nil {
					return err
				}
				hps = append(hps, hp)
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list half-pipes: decode reply: %w", err)
	}
	return hps, nil
}

// parseHalfPipe decodes the SST_HP_A_* attributes of one half-pipe.
func parseHalfPipe(ad *netlink.AttributeDecoder) (HalfPipe, error) {
	var (
		hp                  HalfPipe
		family              uint16
		client, vip, osAddr rawAddr
		clientPort, vipPort uint16
	)
	for ad.Next() {
		switch ad.Type() {
		case hpAttrID:
			hp.ID = ad.Uint64()
		case hpAttrFamily:
			family = ad.Uint16()
		case hpAttrClientAddr:
			client.store(ad.Bytes())
		case hpAttrClientPort:
			clientPort = ad.Uint16()
		case hpAttrVIPAddr:
			vip.store(ad.Bytes())
		case hpAttrVIPPort:
			vipPort = ad.Uint16()
		case hpAttrOSAddr:
			osAddr.store(ad.Bytes())
		case hpAttrSeqStart:
			hp.SeqStart = ad.Uint32()
		case hpAttrSeqEnd:
			hp.SeqEnd = ad.Uint32()
		case hpAttrState:
			hp.State = HalfPipeState(ad.Uint8())
		case hpAttrUnacked:
			hp.Unacked = ad.Uint32()
		case hpAttrAgeMS:
			hp.Age = time.Duration(ad.Uint64()) * time.Millisecond
		}
	}
	if err := ad.Err(); err != nil {
		return HalfPipe{}, err
	}
	ca, err := client.decode(family)
	if err != nil {
		return HalfPipe{}, fmt.Errorf("client: %w", err)
	}
	va, err := vip.decode(family)
	if err != nil {
		return HalfPipe{}, fmt.Errorf("VIP: %w", err)
	}
	if hp.OS, err = osAddr.decode(family); err != nil {
		return HalfPipe{}, fmt.Errorf("OS: %w", err)
	}
	hp.Client = netip.AddrPortFrom(ca, clientPort)
	hp.VIP = netip.AddrPortFrom(va, vipPort)
	return hp, nil
}

// parseStats decodes the reply to SST_CMD_STATS_GET.
func parseStats(msgs []genetlink.Message) (Stats, error) {
	var (
		s     Stats
		found bool
	)
	fields := map[uint16]*uint64{
		statSetups:        &s.Setups,
		statDataDones:     &s.DataDones,
		statCredits:       &s.Credits,
		statGCs:           &s.GCs,
		statPiggybacked:   &s.Piggybacked,
		statResets:        &s.Resets,
		statRetransmits:   &s.Retransmits,
		statAuthFailures:  &s.AuthFailures,
		statTimeouts:      &s.Timeouts,
		statDrops:         &s.Drops,
		statHandoffErrors: &s.HandoffErrors,
		statCtrlRx:        &s.CtrlRx,
		statCtrlTx:        &s.CtrlTx,
		statCtrlTxErrors:  &s.CtrlTxErrors,
		statUnknownPeer:   &s.UnknownPeer,
		statReplays:       &s.Replays,
		statDuplicates:    &s.Duplicates,
		statKeepalives:    &s.Keepalives,
		statAborts:        &s.Aborts,
		statAckNows:       &s.AckNows,
		statSegsRefused:   &s.SegsRefused,
	}
	err := decodeMessages(msgs, func(ad *netlink.AttributeDecoder) error {
		for ad.Next() {
			if ad.Type() != attrStats {
				continue
			}
			found = true
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					// Unknown counters (and SST_STAT_PAD) are skipped.
					if p, ok := fields[nad.Type()]; ok {
						*p = nad.Uint64()
					}
				}
				return nil
			})
		}
		return nil
	})
	if err == nil && !found {
		err = errors.New("no statistics in reply")
	}
	if err != nil {
		return Stats{}, fmt.Errorf("get statistics: decode reply: %w", err)
	}
	return s, nil
}

// parseConfig decodes the reply to SST_CMD_CONFIG_GET.
func parseConfig(msgs []genetlink.Message) (Config, error) {
	var c Config
	if len(msgs) == 0 {
		return Config{}, errors.New("get configuration: empty reply")
	}
	err := decodeMessages(msgs, func(ad *netlink.AttributeDecoder) error {
		for ad.Next() {
			switch ad.Type() {
			case attrCtrlPort:
				c.CtrlPort = ad.Uint16()
			case attrKeepaliveMS:
				c.Keepalive = time.Duration(ad.Uint32()) * time.Millisecond
			case attrMode:
				c.Mode = Mode(ad.Uint8())
			case attrAuthKeySet:
				c.AuthKeySet = ad.Uint8() != 0
			}
		}
		return nil
	})
	if err != nil {
		return Config{}, fmt.Errorf("get configuration: decode reply: %w", err)
	}
	return c, nil
}
