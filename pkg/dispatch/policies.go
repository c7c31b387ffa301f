package dispatch

import (
	"fmt"
	"strings"
	"sync"
)

// roundRobin is the "rr" policy.
type roundRobin struct {
	nodes []string // in the order given

	mu   sync.Mutex
	next int
}

func newRoundRobin(nodes []string) *roundRobin {
	return &roundRobin{nodes: append([]string(nil), nodes...)}
}

func (p *roundRobin) Name() string { return "rr" }

func (p *roundRobin) Pick(_ string, skip func(string) bool) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range p.nodes {
		n := p.nodes[p.next]
		p.next = (p.next + 1) % len(p.nodes)
		if !skipped(skip, n) {
			return n, true
		}
	}
	return "", false
}

func (p *roundRobin) Done(string) {}

// pathRules is the "path" policy.
type pathRules struct {
	nodes map[string]bool
	def   string
}

func newPathRules(nodes []string, def string) *pathRules {
	p := &pathRules{nodes: make(map[string]bool, len(nodes)), def: def}
	for _, n := range nodes {
		p.nodes[n] = true
	}
	return p
}

func (p *pathRules) Name() string { return "path" }

// Pick returns the node the first element of path names, unless it is
// skipped, and otherwise the default node unless it is skipped.
func (p *pathRules) Pick(path string, skip func(string) bool) (string, bool) {
	first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if p.nodes[first] && !skipped(skip, first) {
		return first, true
	}
	if skipped(skip, p.def) {
		return "", false
	}
	return p.def, true
}

func (p *pathRules) Done(string) {}

// lard is the "lard" policy: basic locality-aware request distribution
// (Pai, Aron, Banga, Svendsen, Druschel, Zwaenepoel, Nahum: Locality-Aware
// Request Distribution in Cluster-based Network Servers, ASPLOS '98):
//
//	if target[path] is unset:
//		target[path] = the least loaded node
//	else if load(target) > T_high and some node has load < T_low,
//	        or load(target) >= 2*T_high:
//		target[path] = the least loaded node
//	send the request to target[path]
//
// where load is the number of requests in progress (between Pick and
// Done). A skipped target counts as overloaded: the path moves to the
// least loaded node that is not skipped. Ties between least loaded nodes
// are broken by rendezvous hashing of the path.
type lard struct {
	nodes       []string
	nodeHash    map[string]uint64
	tLow, tHigh int
	maxTargets  int

	mu     sync.Mutex
	load   map[string]int
	target map[string]string
}

func newLARD(nodes []string, opts Options) (*lard, error) {
	l := &lard{
		nodes:      append([]string(nil), nodes...),
		tLow:       opts.TLow,
		tHigh:      opts.THigh,
		maxTargets: opts.MaxTargets,
		nodeHash:   make(map[string]uint64, len(nodes)),
		load:       make(map[string]int, len(nodes)),
		target:     make(map[string]string),
	}
	for _, n := range nodes {
		l.nodeHash[n] = hashKey(n)
	}
	if l.tLow == 0 {
		l.tLow = defaultTLow
	}
	if l.tHigh == 0 {
		l.tHigh = defaultTHigh
	}
	if l.maxTargets == 0 {
		l.maxTargets = defaultMaxTargets
	}
	if l.tLow < 0 || l.tHigh < 1 || l.tLow > l.tHigh || l.maxTargets < 1 {
		return nil, fmt.Errorf("dispatch: lard: want 0 <= TLow <= THigh, THigh >= 1 and MaxTargets >= 1 (0: default), got TLow %d, THigh %d, MaxTargets %d",
			l.tLow, l.tHigh, l.maxTargets)
	}
	return l, nil
}

func (l *lard) Name() string { return "lard" }

func (l *lard) Pick(path string, skip func(string) bool) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, known := l.target[path]
	if !known || skipped(skip, n) || l.overloaded(n, skip) {
		var ok bool
		if n, ok = l.leastLoaded(path, skip); !ok {
			return "", false
		}
		if !known && len(l.target) >= l.maxTargets {
			for p := range l.target { // an arbitrary one
				delete(l.target, p)
				break
			}
		}
		l.target[path] = n
	}
	l.load[n]++
	return n, true
}

// overloaded reports whether n's paths should move: it has more than
// T_high requests and another node fewer than T_low, or 2*T_high or more.
func (l *lard) overloaded(n string, skip func(string) bool) bool {
	ld := l.load[n]
	if ld >= 2*l.tHigh {
		return true
	}
	if ld <= l.tHigh {
		return false
	}
	for _, m := range l.nodes {
		if !skipped(skip, m) && l.load[m] < l.tLow {
			return true
		}
	}
	return false
}

// leastLoaded returns the node not skipped with the fewest requests in
// progress. Ties, the rule under light load, are broken by rendezvous
// hashing of the path: the same path gets the same node, and different
// paths spread over the nodes rather than all landing on one.
func (l *lard) leastLoaded(path string, skip func(string) bool) (string, bool) {
	best, found := "", false
	var bestWeight uint64
	kh := hashKey(path)
	for _, m := range l.nodes {
		if skipped(skip, m) {
			continue
		}
		w := mix(kh ^ l.nodeHash[m])
		if !found || l.load[m] < l.load[best] || (l.load[m] == l.load[best] && w > bestWeight) {
			best, bestWeight, found = m, w, true
		}
	}
	return best, found
}

func (l *lard) Done(node string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.load[node] > 0 {
		l.load[node]--
	}
}

// Load returns the number of requests in progress on node.
func (l *lard) Load(node string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.load[node]
}
