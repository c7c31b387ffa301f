// Package dispatch holds the policies a front end uses to pick, per
// request, the node of a cluster that serves it: round robin, consistent
// hashing of the path, LARD (locality-aware request distribution) and
// static path rules.
//
// Nodes are named by strings. The front end itself may be one of them
// (sst-ds calls itself "local"); the package gives that name no meaning
// beyond [Options.Default]. Every policy is safe for concurrent use.
//
// A caller asks [Policy.Pick] for the node of a request, passing a skip
// function that names the nodes it cannot use now (unhealthy ones, or ones
// it has just tried), and calls [Policy.Done] with the path and that node
// once the request is finished, whether it succeeded or not: load-aware
// policies (lard) count the requests in progress per node (and per path)
// between the two.
package dispatch

import (
	"errors"
	"fmt"
	"strings"
)

// Policy picks the node that serves a request.
type Policy interface {
	// Pick returns the node for a request for path, never one for which
	// skip (nil: none) returns true. ok is false when every node is
	// skipped (or the policy has none for path). Each successful Pick
	// must be followed by one Done for the path and the node it
	// returned.
	Pick(path string, skip func(node string) bool) (node string, ok bool)
	// Done says that a request for path assigned to node by Pick is
	// finished.
	Done(path, node string)
	// Name is the policy's kind, as given to New.
	Name() string
}

// Kinds are the policy kinds New knows, in the order help texts list them.
var Kinds = []string{"rr", "hash", "lard", "path"}

// Options tunes the policies; the zero value is the defaults.
type Options struct {
	// Default is the node of the path policy for a path whose first
	// element names no node (or a skipped one). Required for "path".
	Default string
	// VNodes is the number of virtual nodes per node on the hash ring
	// (default 128).
	VNodes int
	// TLow and THigh are LARD's load bounds, in requests in progress on
	// a node (defaults 25 and 65, the values of Pai et al.): a path
	// moves off its node when that node has more than THigh requests and
	// another has fewer than TLow, or when it has 2*THigh or more.
	TLow, THigh int
	// MaxPaths bounds the number of paths LARD remembers a node for
	// (0: DefaultMaxPaths). Past it, each new path makes LARD forget the
	// least recently used path that has no request in progress. Paths
	// are remembered by a 64-bit hash, not by their bytes: the table
	// takes about 100 bytes per path however long the paths are.
	MaxPaths int
}

const (
	defaultVNodes = 128
	defaultTLow   = 25
	defaultTHigh  = 65
)

// DefaultMaxPaths is the default of Options.MaxPaths.
const DefaultMaxPaths = 1 << 16

// New returns a policy of the given kind over nodes:
//
//   - "rr": round robin over the nodes not skipped.
//   - "hash": consistent hashing of the path on a ring of Options.VNodes
//     virtual nodes per node; a skipped node's paths go to the next node
//     on the ring. The policy is a [*Ring]: nodes can join and leave.
//   - "lard": basic LARD (Pai et al., ASPLOS '98) with Options.TLow and
//     Options.THigh, load being the requests between Pick and Done; it
//     remembers at most Options.MaxPaths paths.
//   - "path": a path whose first element is a node's name ("/os1/a")
//     goes to that node, anything else to Options.Default.
func New(kind string, nodes []string, opts Options) (Policy, error) {
	if err := checkNodes(nodes); err != nil {
		return nil, fmt.Errorf("dispatch: %s: %w", kind, err)
	}
	switch kind {
	case "rr":
		return newRoundRobin(nodes), nil
	case "hash":
		if opts.VNodes < 0 {
			return nil, fmt.Errorf("dispatch: hash: negative number of virtual nodes %d", opts.VNodes)
		}
		return NewRing(opts.VNodes, nodes...), nil
	case "lard":
		return newLARD(nodes, opts)
	case "path":
		if opts.Default == "" {
			return nil, errors.New("dispatch: path: no default node for paths that name none")
		}
		return newPathRules(nodes, opts.Default), nil
	default:
		return nil, fmt.Errorf("dispatch: unknown policy %q (want one of %s)", kind, strings.Join(Kinds, ", "))
	}
}

// checkNodes refuses an empty list, empty names and duplicates.
func checkNodes(nodes []string) error {
	if len(nodes) == 0 {
		return errors.New("no nodes")
	}
	seen := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		if n == "" {
			return errors.New("empty node name")
		}
		if seen[n] {
			return fmt.Errorf("node %q given twice", n)
		}
		seen[n] = true
	}
	return nil
}

// skipped is skip(node), with a nil skip skipping nothing.
func skipped(skip func(string) bool, node string) bool {
	return skip != nil && skip(node)
}
