package dispatch

import "hash/maphash"

// pathTable is LARD's memory of the node each path was given, bounded to
// max entries. Paths are client-chosen, so the table holds neither the
// paths themselves (a path can be kilobytes long) nor more of them than
// max: it is keyed by a seeded 64-bit hash of the path (two paths whose
// hashes collide merely share a node) and, when full, forgets the least
// recently used path that has no request in progress. It is not safe for
// concurrent use (lard holds its lock).
type pathTable struct {
	seed  maphash.Seed
	max   int
	byKey map[uint64]*pathEntry
	// head.next is the most recently used entry, head.prev the least:
	// a circular list through a sentinel.
	head pathEntry
}

// pathEntry is one remembered path.
type pathEntry struct {
	key        uint64
	node       string
	busy       int // requests in progress (between Pick and Done)
	prev, next *pathEntry
}

func newPathTable(max int) *pathTable {
	t := &pathTable{seed: maphash.MakeSeed(), max: max, byKey: map[uint64]*pathEntry{}}
	t.head.prev, t.head.next = &t.head, &t.head
	return t
}

func (t *pathTable) key(path string) uint64 { return maphash.String(t.seed, path) }

// len is the number of paths remembered.
func (t *pathTable) len() int { return len(t.byKey) }

// get returns path's entry, marked as the most recently used, or nil.
func (t *pathTable) get(path string) *pathEntry {
	e := t.byKey[t.key(path)]
	if e != nil {
		t.unlink(e)
		t.pushFront(e)
	}
	return e
}

// peek returns path's entry without marking it used, or nil.
func (t *pathTable) peek(path string) *pathEntry { return t.byKey[t.key(path)] }

// add remembers node for path (not in the table), forgetting the least
// recently used idle path if the table is full. It returns nil, and
// remembers nothing, when the table is full of paths with requests in
// progress.
func (t *pathTable) add(path, node string) *pathEntry {
	if len(t.byKey) >= t.max && !t.evict() {
		return nil
	}
	e := &pathEntry{key: t.key(path), node: node}
	t.byKey[e.key] = e
	t.pushFront(e)
	return e
}

// evict forgets the least recently used path without requests in
// progress; it reports whether there was one. Busy entries are passed
// over: there are at most as many as requests in progress.
func (t *pathTable) evict() bool {
	for e := t.head.prev; e != &t.head; e = e.prev {
		if e.busy == 0 {
			t.unlink(e)
			delete(t.byKey, e.key)
			return true
		}
	}
	return false
}

func (t *pathTable) unlink(e *pathEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (t *pathTable) pushFront(e *pathEntry) {
	e.prev, e.next = &t.head, t.head.next
	t.head.next.prev = e
	t.head.next = e
}
