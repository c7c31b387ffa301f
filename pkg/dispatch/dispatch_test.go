package dispatch

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// skipSet skips the nodes given.
func skipSet(nodes ...string) func(string) bool {
	return func(n string) bool { return slices.Contains(nodes, n) }
}

func keys(n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = fmt.Sprintf("/dir%d/file-%d.html", i%37, i)
	}
	return ks
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name  string
		kind  string
		nodes []string
		opts  Options
		want  string
	}{
		{"unknown kind", "random", []string{"a"}, Options{}, `unknown policy "random"`},
		{"no nodes", "rr", nil, Options{}, "no nodes"},
		{"empty name", "hash", []string{"a", ""}, Options{}, "empty node name"},
		{"duplicate", "lard", []string{"a", "b", "a"}, Options{}, `node "a" given twice`},
		{"path without default", "path", []string{"a"}, Options{}, "no default node"},
		{"negative vnodes", "hash", []string{"a"}, Options{VNodes: -1}, "negative"},
		{"TLow above THigh", "lard", []string{"a"}, Options{TLow: 10, THigh: 5}, "TLow <= THigh"},
		{"negative TLow", "lard", []string{"a"}, Options{TLow: -1}, "TLow"},
		{"negative MaxPaths", "lard", []string{"a"}, Options{MaxPaths: -1}, "MaxPaths"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.kind, tt.nodes, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, %v; want an error mentioning %q", p, err, tt.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	for _, kind := range Kinds {
		p, err := New(kind, []string{"a", "b"}, Options{Default: "a"})
		if err != nil {
			t.Fatalf("New(%s): %v", kind, err)
		}
		if p.Name() != kind {
			t.Errorf("New(%s).Name() = %s", kind, p.Name())
		}
	}
}

// TestSkipAll: every policy says so when every node is skipped.
func TestSkipAll(t *testing.T) {
	for _, kind := range Kinds {
		p, err := New(kind, []string{"a", "b", "c"}, Options{Default: "a"})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/", "/a/x", "/b/y", "/z"} {
			if n, ok := p.Pick(path, skipSet("a", "b", "c")); ok {
				t.Errorf("%s: Pick(%s) with every node skipped = %s", kind, path, n)
			}
		}
	}
}

func TestRoundRobin(t *testing.T) {
	tests := []struct {
		name string
		skip func(string) bool
		want string
	}{
		{"all", nil, "a b c a b c a b c"},
		{"skip b", skipSet("b"), "a c a c a c a c a"},
		{"skip a and c", skipSet("a", "c"), "b b b b b b b b b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := New("rr", []string{"a", "b", "c"}, Options{})
			var got []string
			for range 9 {
				n, ok := p.Pick("/same", tt.skip)
				if !ok {
					t.Fatal("Pick: no node")
				}
				got = append(got, n)
				p.Done("/same", n)
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("picks %s, want %s", g, tt.want)
			}
		})
	}
}

func TestRoundRobinDistribution(t *testing.T) {
	p, _ := New("rr", []string{"a", "b", "c", "d"}, Options{})
	count := map[string]int{}
	for _, k := range keys(1000) {
		n, _ := p.Pick(k, nil)
		count[n]++
	}
	if diff := cmp.Diff(map[string]int{"a": 250, "b": 250, "c": 250, "d": 250}, count); diff != "" {
		t.Errorf("distribution (-want +got):\n%s", diff)
	}
}

func TestPathRules(t *testing.T) {
	p, _ := New("path", []string{"os1", "os2"}, Options{Default: "local"})
	tests := []struct {
		path string
		skip func(string) bool
		want string
		ok   bool
	}{
		{"/os1/6k", nil, "os1", true},
		{"/os2/a/b", nil, "os2", true},
		{"/os2", nil, "os2", true},
		{"/local/6k", nil, "local", true},
		{"/os3/6k", nil, "local", true},
		{"/", nil, "local", true},
		{"/a/os1/x", nil, "local", true},
		{"/os1x/y", nil, "local", true},
		{"/os1/6k", skipSet("os1"), "local", true},
		{"/os1/6k", skipSet("os1", "local"), "", false},
		{"/x", skipSet("local"), "", false},
	}
	for _, tt := range tests {
		n, ok := p.Pick(tt.path, tt.skip)
		if n != tt.want || ok != tt.ok {
			t.Errorf("Pick(%s) = %q, %v; want %q, %v", tt.path, n, ok, tt.want, tt.ok)
		}
	}
}

func TestHashDeterministic(t *testing.T) {
	a := NewRing(0, "x", "y", "z")
	b := NewRing(0, "z", "x", "y")
	for _, k := range keys(1000) {
		na, _ := a.Lookup(k, nil)
		nb, _ := b.Lookup(k, nil)
		if na != nb {
			t.Fatalf("%s: %s on one ring, %s on the same nodes added in another order", k, na, nb)
		}
	}
}

// TestHashBalance: 10,000 keys over N nodes, each node within 25% of its
// fair share.
func TestHashBalance(t *testing.T) {
	for _, nodes := range [][]string{
		{"os1", "os2"},
		{"local", "os1", "os2"},
		{"n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8"},
	} {
		t.Run(strings.Join(nodes, ","), func(t *testing.T) {
			p, err := New("hash", nodes, Options{})
			if err != nil {
				t.Fatal(err)
			}
			count := map[string]int{}
			ks := keys(10000)
			for _, k := range ks {
				n, ok := p.Pick(k, nil)
				if !ok {
					t.Fatal("no node")
				}
				count[n]++
			}
			fair := float64(len(ks)) / float64(len(nodes))
			for _, n := range nodes {
				if dev := math.Abs(float64(count[n])-fair) / fair; dev > 0.25 {
					t.Errorf("%s has %d keys, %.0f%% off the fair share %.0f", n, count[n], 100*dev, fair)
				}
			}
			t.Logf("keys per node: %v", count)
		})
	}
}

// TestHashStability: removing a node moves only its keys; adding one
// moves about 1/(N+1) of the keys, all to the new node.
func TestHashStability(t *testing.T) {
	nodes := []string{"a", "b", "c", "d", "e"}
	ks := keys(10000)
	owner := func(r *Ring) map[string]string {
		m := make(map[string]string, len(ks))
		for _, k := range ks {
			m[k], _ = r.Lookup(k, nil)
		}
		return m
	}
	r := NewRing(128, nodes...)
	before := owner(r)

	t.Run("remove", func(t *testing.T) {
		r := NewRing(128, nodes...)
		if !r.Remove("c") || r.Remove("c") {
			t.Fatal("Remove(c) twice: want true, then false")
		}
		after := owner(r)
		for _, k := range ks {
			switch {
			case before[k] != "c" && after[k] != before[k]:
				t.Fatalf("%s moved from %s to %s though %s stayed", k, before[k], after[k], before[k])
			case after[k] == "c":
				t.Fatalf("%s still on the removed node", k)
			}
		}
	})
	t.Run("add", func(t *testing.T) {
		r := NewRing(128, nodes...)
		if !r.Add("f") || r.Add("f") {
			t.Fatal("Add(f) twice: want true, then false")
		}
		after := owner(r)
		moved := 0
		for _, k := range ks {
			if after[k] != before[k] {
				moved++
				if after[k] != "f" {
					t.Fatalf("%s moved from %s to %s, not to the new node", k, before[k], after[k])
				}
			}
		}
		share := float64(moved) / float64(len(ks))
		if want := 1.0 / 6; math.Abs(share-want) > 0.05 {
			t.Errorf("adding a 6th node moved %.1f%% of the keys, want about %.1f%%", 100*share, 100*want)
		}
		if diff := cmp.Diff(append(slices.Clone(nodes), "f"), r.Nodes()); diff != "" {
			t.Errorf("Nodes (-want +got):\n%s", diff)
		}
	})
}

// TestHashSkip: skipping a node sends its keys where removing it would,
// and nowhere else changes.
func TestHashSkip(t *testing.T) {
	nodes := []string{"a", "b", "c", "d"}
	full := NewRing(0, nodes...)
	for _, gone := range [][]string{{"b"}, {"a", "d"}, {"a", "b", "c"}} {
		t.Run(strings.Join(gone, ","), func(t *testing.T) {
			without := NewRing(0, nodes...)
			for _, n := range gone {
				without.Remove(n)
			}
			for _, k := range keys(2000) {
				skipping, ok1 := full.Lookup(k, skipSet(gone...))
				removed, ok2 := without.Lookup(k, nil)
				if !ok1 || !ok2 || skipping != removed {
					t.Fatalf("%s: %s (%v) when skipping %v, %s (%v) with them removed", k, skipping, ok1, gone, removed, ok2)
				}
			}
		})
	}
	if n, ok := NewRing(0).Lookup("/x", nil); ok {
		t.Errorf("empty ring: Lookup = %s", n)
	}
}

// TestLARDLocality: under light load a path stays on the node it was
// first given, and different paths spread over the nodes.
func TestLARDLocality(t *testing.T) {
	nodes := []string{"local", "os1", "os2"}
	p, _ := New("lard", nodes, Options{})
	first := map[string]string{}
	used := map[string]int{}
	ks := keys(300)
	for round := range 5 {
		for _, k := range ks {
			n, ok := p.Pick(k, nil)
			if !ok {
				t.Fatal("no node")
			}
			if round == 0 {
				first[k] = n
				used[n]++
			} else if n != first[k] {
				t.Fatalf("round %d: %s went to %s, first to %s", round, k, n, first[k])
			}
			p.Done(k, n)
		}
	}
	for _, n := range nodes {
		if used[n] < len(ks)/len(nodes)/2 {
			t.Errorf("%s got %d of %d paths: %v", n, used[n], len(ks), used)
		}
	}
}

// TestLARDLoadBound: a hot path moves off its node once that node passes
// T_high while another is below T_low, or reaches 2*T_high.
func TestLARDLoadBound(t *testing.T) {
	t.Run("above THigh, another below TLow", func(t *testing.T) {
		p, _ := New("lard", []string{"a", "b"}, Options{TLow: 1, THigh: 2})
		l := p.(*lard)
		var picks []string
		for range 4 { // no Done: every request stays in progress
			n, _ := p.Pick("/hot", nil)
			picks = append(picks, n)
		}
		home := picks[0]
		other := map[string]string{"a": "b", "b": "a"}[home]
		// Loads 1, 2, 3 on home: the 4th Pick sees 3 > THigh and 0 < TLow.
		if diff := cmp.Diff([]string{home, home, home, other}, picks); diff != "" {
			t.Errorf("picks (-want +got):\n%s", diff)
		}
		if l.Load(home) != 3 || l.Load(other) != 1 {
			t.Errorf("loads %s=%d %s=%d, want 3 and 1", home, l.Load(home), other, l.Load(other))
		}
		// The path's target is now the other node.
		if n, _ := p.Pick("/hot", nil); n != other {
			t.Errorf("after the move, Pick = %s, want %s", n, other)
		}
	})
	t.Run("2*THigh", func(t *testing.T) {
		p, _ := New("lard", []string{"a", "b"}, Options{TLow: 1, THigh: 2})
		// Keep "b" at TLow so that only the 2*THigh rule can move /hot.
		hotHome, _ := p.Pick("/hot", nil)
		other := map[string]string{"a": "b", "b": "a"}[hotHome]
		for i := 0; p.(*lard).Load(other) < 1; i++ {
			p.Pick(fmt.Sprintf("/cold%d", i), skipSet(hotHome))
		}
		var picks []string
		for range 4 {
			n, _ := p.Pick("/hot", nil)
			picks = append(picks, n)
		}
		// Loads of home before each Pick: 1, 2, 3 (> THigh, but other is
		// at TLow), 4 = 2*THigh: moves.
		if diff := cmp.Diff([]string{hotHome, hotHome, hotHome, other}, picks); diff != "" {
			t.Errorf("picks (-want +got):\n%s", diff)
		}
	})
	t.Run("back under the bound", func(t *testing.T) {
		p, _ := New("lard", []string{"a", "b"}, Options{TLow: 1, THigh: 2})
		home, _ := p.Pick("/hot", nil)
		p.Pick("/hot", nil)
		p.Done("/hot", home)
		p.Done("/hot", home)
		for range 10 {
			n, _ := p.Pick("/hot", nil)
			if n != home {
				t.Fatalf("light load: /hot went to %s, its node is %s", n, home)
			}
			p.Done("/hot", n)
		}
	})
}

func TestLARDSkip(t *testing.T) {
	p, _ := New("lard", []string{"a", "b", "c"}, Options{})
	home, _ := p.Pick("/x", nil)
	p.Done("/x", home)
	n, ok := p.Pick("/x", skipSet(home))
	if !ok || n == home {
		t.Fatalf("Pick skipping %s = %s, %v", home, n, ok)
	}
	p.Done("/x", n)
	// The path moved: it stays on its new node once the old one is back.
	if again, _ := p.Pick("/x", nil); again != n {
		t.Errorf("after the move Pick = %s, want %s", again, n)
	}
	p.Done("/x", "unknown") // harmless
	p.Done("/x", n)
	p.Done("/x", n) // more Dones than Picks: the load stays at 0
	if l := p.(*lard).Load(n); l != 0 {
		t.Errorf("load of %s = %d, want 0", n, l)
	}
}

// TestConcurrent runs every policy from many goroutines (go test -race)
// and checks that LARD's loads return to 0.
func TestConcurrent(t *testing.T) {
	for _, kind := range Kinds {
		p, err := New(kind, []string{"local", "os1", "os2"}, Options{Default: "local", TLow: 2, THigh: 4})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i, k := range keys(500) {
					var skip func(string) bool
					if (i+g)%3 == 0 {
						skip = skipSet("os1")
					}
					if n, ok := p.Pick(k, skip); ok {
						p.Done(k, n)
					}
				}
			})
		}
		wg.Wait()
		if l, ok := p.(*lard); ok {
			for _, n := range l.nodes {
				if l.Load(n) != 0 {
					t.Errorf("lard: load of %s = %d after every Done", n, l.Load(n))
				}
			}
		}
	}
}
