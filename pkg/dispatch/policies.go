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

func (p *roundRobin) Done(string, string) {}

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

func (p *pathRules) Done(string, string) {}

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
//
// The paths are the clients' choice: target remembers at most
// Options.MaxPaths of them, forgetting the least recently used path that
// has no request in progress (see pathTable). A forgotten path that comes
// back is given the least loaded node again, which under light load is
// the node it had (the rendezvous tie-break).
type lard struct {
	nodes       []string
	nodeHash    map[string]uint64
	tLow, tHigh int

	mu     sync.Mutex
	load   map[string]int
	target *pathTable
}

func newLARD(nodes []string, opts Options) (*lard, error) {
	l := &lard{
		nodes:    append([]string(nil), nodes...),
		tLow:     opts.TLow,
		tHigh:    opts.THigh,
		nodeHash: make(map[string]uint64, len(nodes)),
		load:     make(map[string]int, len(nodes)),
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
	maxPaths := opts.MaxPaths
	if maxPaths == 0 {
		maxPaths = DefaultMaxPaths
	}
	if l.tLow < 0 || l.tHigh < 1 || l.tLow > l.tHigh || maxPaths < 1 {
		return nil, fmt.Errorf("dispatch: lard: want 0 <= TLow <= THigh, THigh >= 1 and MaxPaths >= 1 (0: default), got TLow %d, THigh %d, MaxPaths %d",
			l.tLow, l.tHigh, maxPaths)
	}
	l.target = newPathTable(maxPaths)
	return l, nil
}

func (l *lard) Name() string { return "lard" }

func (l *lard) Pick(path string, skip func(string) bool) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.target.get(path)
	if e == nil || skipped(skip, e.node) || l.overloaded(e.node, skip) {
		n, ok := l.leastLoaded(path, skip)
		if !ok {
			return "", false
		}
		if e == nil {
			e = l.target.add(path, n)
		}
		if e == nil {
			// Every remembered path has a request in progress: serve
			// this one without remembering it.
			l.load[n]++
			return n, true
		}
		e.node = n
	}
	e.busy++
	l.load[e.node]++
	return e.node, true
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

func (l *lard) Done(path, node string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.load[node] > 0 {
		l.load[node]--
	}
	if e := l.target.peek(path); e != nil && e.busy > 0 {
		e.busy--
	}
}

// Load returns the number of requests in progress on node.
func (l *lard) Load(node string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.load[node]
}

// Paths returns the number of paths remembered.
func (l *lard) Paths() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.target.len()
}
