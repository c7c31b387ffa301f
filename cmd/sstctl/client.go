package main

import (
	"context"
	"net/netip"

	"github.com/split-stack/splitstack/pkg/nl"
)

// client is the part of *nl.Client that sstctl uses; tests replace it with
// a fake.
type client interface {
	AddPeer(nl.Peer) error
	DeletePeer(netip.Addr) error
	Peers() ([]nl.Peer, error)
	HalfPipes() ([]nl.HalfPipe, error)
	Stats() (nl.Stats, error)
	Config() (nl.Config, error)
	SetConfig(nl.ConfigChange) error
	Monitor(context.Context, func(nl.Event) error) error
	Close() error
}

var _ client = (*nl.Client)(nil)

// dialKernel connects to splitstack.ko.
func dialKernel() (client, error) {
	c, err := nl.Dial()
	if err != nil {
		return nil, err
	}
	return c, nil
}
