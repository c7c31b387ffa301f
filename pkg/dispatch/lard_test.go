package dispatch

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// randomPath is a client-chosen path of about n bytes.
func randomPath(r *rand.Rand, n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b strings.Builder
	b.Grow(n + 1)
	b.WriteByte('/')
	for range n {
		b.WriteByte(chars[r.IntN(len(chars))])
	}
	return b.String()
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestLARDBoundedPaths is the attack of random paths: the table stays
// within MaxPaths (and its memory small, however long the paths), and the
// hot paths asked for among them keep their nodes.
func TestLARDBoundedPaths(t *testing.T) {
	tests := []struct {
		name     string
		maxPaths int // 0: the default
		random   int // random paths sent
		pathLen  int
		busy     int // requests left in progress on hot paths
		maxHeap  uint64
	}{
		{name: "default bound, long paths", random: 100_000, pathLen: 1024, maxHeap: 16 << 20},
		{name: "small bound", maxPaths: 500, random: 120_000, pathLen: 64, maxHeap: 4 << 20},
		{name: "small bound, hot paths busy", maxPaths: 500, random: 120_000, pathLen: 64, busy: 3, maxHeap: 4 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nodes := []string{"local", "os1", "os2"}
			p, err := New("lard", nodes, Options{MaxPaths: tt.maxPaths, TLow: 25, THigh: 65})
			if err != nil {
				t.Fatal(err)
			}
			l := p.(*lard)
			bound := tt.maxPaths
			if bound == 0 {
				bound = DefaultMaxPaths
			}
			hot := []string{"/index.html", "/img/logo.png", "/css/site.css", "/js/app.js"}
			home := map[string]string{}
			for _, h := range hot {
				n, _ := p.Pick(h, nil)
				home[h] = n
				p.Done(h, n)
				for range tt.busy {
					p.Pick(h, nil) // in progress until the end
				}
			}
			before := heapInUse()
			r := rand.New(rand.NewPCG(1, 2))
			for i := range tt.random {
				path := randomPath(r, tt.pathLen)
				n, ok := p.Pick(path, nil)
				if !ok {
					t.Fatalf("random path %d: no node", i)
				}
				p.Done(path, n)
				if i%97 == 0 {
					h := hot[i/97%len(hot)]
					if n, _ := p.Pick(h, nil); n != home[h] {
						t.Fatalf("after %d random paths, hot path %s went to %s, first to %s", i, h, n, home[h])
					} else {
						p.Done(h, n)
					}
				}
				if got := l.Paths(); got > bound {
					t.Fatalf("after %d random paths, %d paths remembered, over the bound %d", i, got, bound)
				}
			}
			if got := l.Paths(); got != bound {
				t.Errorf("%d paths remembered, want the bound %d", got, bound)
			}
			for _, h := range hot {
				if l.target.peek(h) == nil {
					t.Errorf("hot path %s forgotten", h)
				}
			}
			grown := int64(heapInUse()) - int64(before)
			t.Logf("heap grew by %d KiB", grown>>10)
			if grown > int64(tt.maxHeap) {
				t.Errorf("the heap grew by %d MiB for %d paths of %d bytes, want at most %d MiB",
					grown>>20, tt.random, tt.pathLen, tt.maxHeap>>20)
			}
			runtime.KeepAlive(p)
		})
	}
}

// TestLARDEviction: the least recently used idle path is forgotten, a
// path with a request in progress never is, and a table full of busy
// paths still serves new ones without growing.
func TestLARDEviction(t *testing.T) {
	tests := []struct {
		name      string
		busy      []string // picked, never done
		idle      []string // picked and done, in this order
		touch     []string // picked and done again afterwards
		add       []string // new paths, picked and done
		remembers []string
		forgets   []string
	}{
		{name: "least recently used goes first", idle: []string{"/a", "/b", "/c"}, add: []string{"/d"},
			remembers: []string{"/b", "/c", "/d"}, forgets: []string{"/a"}},
		{name: "a touched path stays", idle: []string{"/a", "/b", "/c"}, touch: []string{"/a"}, add: []string{"/d"},
			remembers: []string{"/a", "/c", "/d"}, forgets: []string{"/b"}},
		{name: "busy paths stay", busy: []string{"/a", "/b"}, idle: []string{"/c"}, add: []string{"/d", "/e"},
			remembers: []string{"/a", "/b", "/e"}, forgets: []string{"/c", "/d"}},
		{name: "full of busy paths", busy: []string{"/a", "/b", "/c"}, add: []string{"/d", "/e"},
			remembers: []string{"/a", "/b", "/c"}, forgets: []string{"/d", "/e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := New("lard", []string{"a", "b"}, Options{MaxPaths: 3})
			l := p.(*lard)
			pickDone := func(paths []string) {
				for _, path := range paths {
					n, ok := p.Pick(path, nil)
					if !ok {
						t.Fatalf("Pick(%s): no node", path)
					}
					p.Done(path, n)
				}
			}
			for _, path := range tt.busy {
				if _, ok := p.Pick(path, nil); !ok {
					t.Fatalf("Pick(%s): no node", path)
				}
			}
			pickDone(tt.idle)
			pickDone(tt.touch)
			pickDone(tt.add)
			if got := l.Paths(); got != 3 {
				t.Errorf("%d paths remembered, want 3", got)
			}
			for _, path := range tt.remembers {
				if l.target.peek(path) == nil {
					t.Errorf("%s forgotten", path)
				}
			}
			for _, path := range tt.forgets {
				if l.target.peek(path) != nil {
					t.Errorf("%s remembered", path)
				}
			}
			for _, path := range tt.busy {
				if e := l.target.peek(path); e == nil || e.busy != 1 {
					t.Errorf("%s: entry %+v, want 1 request in progress", path, e)
				}
			}
		})
	}
}

// BenchmarkLARDRandomPaths: Pick and Done of new paths on a full table.
func BenchmarkLARDRandomPaths(b *testing.B) {
	p, _ := New("lard", []string{"local", "os1", "os2"}, Options{MaxPaths: 1024})
	paths := make([]string, 4096)
	for i := range paths {
		paths[i] = fmt.Sprintf("/r/%d", i)
	}
	for i := 0; b.Loop(); i++ {
		path := paths[i%len(paths)]
		n, _ := p.Pick(path, nil)
		p.Done(path, n)
	}
}
