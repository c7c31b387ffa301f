package dispatch

import (
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
)

// Ring is a consistent-hash ring: each node owns VNodes points on a 64-bit
// circle, and a key belongs to the node of the first point at or after the
// key's hash. When a node leaves, only its keys move (to the next points);
// when one joins, it takes about 1/(N+1) of the keys, from every other
// node alike. Hashes are 64-bit FNV-1a, finalized with the SplitMix64 mix
// so that similar names spread evenly.
//
// A Ring is the "hash" [Policy]: Pick is Lookup, Done does nothing. It is
// safe for concurrent use.
type Ring struct {
	vnodes int

	mu     sync.RWMutex
	points []point // sorted by hash, then node
	nodes  []string
}

type point struct {
	hash uint64
	node string
}

// NewRing returns a ring with vnodes virtual nodes per node (0: 128) and
// the given nodes on it.
func NewRing(vnodes int, nodes ...string) *Ring {
	if vnodes <= 0 {
		vnodes = defaultVNodes
	}
	r := &Ring{vnodes: vnodes}
	for _, n := range nodes {
		r.Add(n)
	}
	return r
}

// hashKey is FNV-1a of s, mixed.
func hashKey(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return mix(h.Sum64())
}

// mix is the SplitMix64 finalizer: every input bit affects every output
// bit, which FNV alone does poorly for short, similar strings.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func comparePoints(a, b point) int {
	switch {
	case a.hash < b.hash:
		return -1
	case a.hash > b.hash:
		return 1
	case a.node < b.node:
		return -1
	case a.node > b.node:
		return 1
	}
	return 0
}

// Add puts node on the ring; false if it is there already (or empty).
func (r *Ring) Add(node string) bool {
	if node == "" {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.Contains(r.nodes, node) {
		return false
	}
	r.nodes = append(r.nodes, node)
	for i := range r.vnodes {
		r.points = append(r.points, point{hashKey(node + "#" + strconv.Itoa(i)), node})
	}
	slices.SortFunc(r.points, comparePoints)
	return true
}

// Remove takes node off the ring; false if it was not on it.
func (r *Ring) Remove(node string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := slices.Index(r.nodes, node)
	if i < 0 {
		return false
	}
	r.nodes = slices.Delete(r.nodes, i, i+1)
	r.points = slices.DeleteFunc(r.points, func(p point) bool { return p.node == node })
	return true
}

// Nodes returns the nodes on the ring, in the order they were added.
func (r *Ring) Nodes() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.nodes)
}

// Lookup returns the node key belongs to, or, if skip (nil: none) says to
// skip that one, the next distinct node along the ring that is not
// skipped. ok is false when the ring is empty or every node is skipped.
func (r *Ring) Lookup(key string, skip func(node string) bool) (node string, ok bool) {
	h := hashKey(key)
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.points) == 0 {
		return "", false
	}
	i, _ := slices.BinarySearchFunc(r.points, h, func(p point, h uint64) int {
		switch {
		case p.hash < h:
			return -1
		case p.hash > h:
			return 1
		}
		return 0
	})
	var rejected []string
	for k := range r.points {
		n := r.points[(i+k)%len(r.points)].node
		if slices.Contains(rejected, n) {
			continue
		}
		if !skipped(skip, n) {
			return n, true
		}
		if rejected = append(rejected, n); len(rejected) == len(r.nodes) {
			break
		}
	}
	return "", false
}

// Pick is Lookup of path: the [Policy] method.
func (r *Ring) Pick(path string, skip func(node string) bool) (string, bool) {
	return r.Lookup(path, skip)
}

// Done does nothing: the ring does not track load.
func (r *Ring) Done(string, string) {}

// Name is "hash".
func (r *Ring) Name() string { return "hash" }
