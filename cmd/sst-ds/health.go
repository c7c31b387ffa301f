package main

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// health remembers the nodes left out after a failure. A node is left out
// for hold; then, if it has a probe address (its explicit -backend), it is
// used again only once a TCP connection to that address succeeds
// (otherwise it stays out for another hold); without one it is simply
// tried again.
type health struct {
	hold   time.Duration
	probes map[string]netip.AddrPort
	ctx    context.Context
	logf   func(format string, args ...any)
	now    func() time.Time
	probe  func(ctx context.Context, addr netip.AddrPort) bool

	mu      sync.Mutex
	until   map[string]time.Time
	probing map[string]bool
	wg      sync.WaitGroup
}

// newHealth returns a health record; probes run until ctx ends.
func newHealth(ctx context.Context, hold time.Duration, probes map[string]netip.AddrPort, logf func(string, ...any)) *health {
	return &health{
		hold:    hold,
		probes:  probes,
		ctx:     ctx,
		logf:    logf,
		now:     time.Now,
		probe:   dialProbe,
		until:   map[string]time.Time{},
		probing: map[string]bool{},
	}
}

// dialProbe reports whether a TCP connection to addr succeeds within 2 s.
func dialProbe(ctx context.Context, addr netip.AddrPort) bool {
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// markDown leaves node out for the hold time; it reports whether the node
// was in use until now.
func (h *health) markDown(node string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, was := h.until[node]
	h.until[node] = h.now().Add(h.hold)
	return !was
}

// down reports whether node is left out now.
func (h *health) down(node string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	until, ok := h.until[node]
	switch {
	case !ok:
		return false
	case h.probing[node] || h.now().Before(until):
		return true
	}
	addr, ok := h.probes[node]
	if !ok {
		delete(h.until, node)
		h.logf("node %s: back in use after %v", node, h.hold)
		return false
	}
	h.probing[node] = true
	h.wg.Go(func() {
		up := h.probe(h.ctx, addr)
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.probing, node)
		if up {
			delete(h.until, node)
			h.logf("node %s: back in use (%v answers)", node, addr)
		} else {
			h.until[node] = h.now().Add(h.hold)
		}
	})
	return true
}

// downNodes returns the nodes left out now, sorted.
func (h *health) downNodes() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var nodes []string
	for n, until := range h.until {
		if h.probing[n] || h.now().Before(until) {
			nodes = append(nodes, n)
		}
	}
	slices.Sort(nodes)
	return nodes
}

// wait waits for the probes under way (they end with ctx).
func (h *health) wait() { h.wg.Wait() }
