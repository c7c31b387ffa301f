package nlspec

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/split-stack/splitstack/pkg/nl"
)

const (
	specPath   = "../../kmod/splitstack.yaml"
	headerPath = "../../kmod/include/uapi/linux/splitstack.h"
	kernelPath = "../../kmod/netlink.c"
)

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func spec(t *testing.T) *Spec {
	t.Helper()
	s, err := Load(read(t, specPath))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The generated files are those of the spec as it is now: run
// `go generate ./internal/nlspec` after changing it.
func TestGeneratedUpToDate(t *testing.T) {
	text := read(t, specPath)
	if specYAML != string(text) {
		t.Error("spec_gen.go is not kmod/splitstack.yaml: run go generate ./internal/nlspec")
	}
	want, err := GoConsts(spec(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, "../../pkg/nl/uapi_gen.go"); !bytes.Equal(got, want) {
		t.Error("pkg/nl/uapi_gen.go is stale: run go generate ./internal/nlspec")
	}
	_ = Default()
}

// cEnums reads every "enum name { A, B = 3, ... };" of a C header, with
// the values C gives them, up to (not with) the __*_MAX entry.
func cEnums(t *testing.T, src string) map[string][][2]string {
	t.Helper()
	src = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(src, "")
	enums := map[string][][2]string{}
	for _, m := range regexp.MustCompile(`(?s)enum (\w+) \{(.*?)\};`).FindAllStringSubmatch(src, -1) {
		v := 0
		var entries [][2]string
		for _, e := range strings.Split(m[2], ",") {
			e = strings.TrimSpace(e)
			if e == "" || strings.HasPrefix(e, "__") {
				continue
			}
			name, val, ok := strings.Cut(e, "=")
			name = strings.TrimSpace(name)
			if ok {
				n, err := strconv.Atoi(strings.TrimSpace(val))
				if err != nil {
					t.Fatalf("enum %s: %q", m[1], e)
				}
				v = n
			}
			entries = append(entries, [2]string{name, strconv.Itoa(v)})
			v++
		}
		enums[m[1]] = entries
	}
	return enums
}

// The uapi header and the spec say the same: every enum, entry by entry
// and value by value, and every constant.
func TestHeaderMatchesSpec(t *testing.T) {
	s := spec(t)
	hdr := string(read(t, headerPath))
	enums := cEnums(t, hdr)
	check := func(cEnum string, want [][2]string) {
		t.Helper()
		got := enums[cEnum]
		if len(got) != len(want) {
			t.Errorf("enum %s: %d entries in the header, %d in the spec:\n header %v\n spec   %v", cEnum, len(got), len(want), got, want)
			return
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("enum %s entry %d: header %v, spec %v", cEnum, i, got[i], want[i])
			}
		}
	}
	var ops [][2]string
	for _, op := range s.Operations.List {
		ops = append(ops, [2]string{CName(s.Operations.NamePrefix, op.Name), strconv.Itoa(*op.Value)})
	}
	check("sst_cmd", ops)
	for set, cEnum := range map[string]string{"attr": "sst_attr", "hp-attr": "sst_hp_attr", "stat": "sst_stat", "ev-attr": "sst_ev_attr"} {
		var want [][2]string
		for _, a := range s.Set(set).Attributes {
			want = append(want, [2]string{CName(s.Set(set).NamePrefix, a.Name), strconv.Itoa(*a.Value)})
		}
		check(cEnum, want)
	}
	for def, cEnum := range map[string]string{"mode": "sst_mode", "hp-state": "sst_hp_state", "event": "sst_event"} {
		d := s.Def(def)
		var want [][2]string
		for i, e := range d.Entries {
			want = append(want, [2]string{CName(d.NamePrefix, e), strconv.Itoa(i)})
		}
		check(cEnum, want)
	}
	define := func(name string) string {
		m := regexp.MustCompile(`#define ` + name + `\s+(\S+)`).FindStringSubmatch(hdr)
		if m == nil {
			t.Errorf("header: no #define %s", name)
			return ""
		}
		return m[1]
	}
	for _, d := range s.Definitions {
		if d.Type == "const" {
			if got := define(CName("sst-", d.Name)); got != strconv.Itoa(d.Value) {
				t.Errorf("%s: header %s, spec %d", CName("sst-", d.Name), got, d.Value)
			}
		}
	}
	if got := define(CName("", s.CFamilyName)); got != strconv.Quote(s.Name) {
		t.Errorf("family name: header %s, spec %q", got, s.Name)
	}
	if got := define(CName("", s.CVersionName)); got != strconv.Itoa(s.Version) {
		t.Errorf("family version: header %s, spec %d", got, s.Version)
	}
	if got := define("SST_GENL_MCGRP_EVENTS"); got != strconv.Quote(s.McastGroups.List[0].Name) {
		t.Errorf("events group: header %s, spec %q", got, s.McastGroups.List[0].Name)
	}
}

// The module asks for CAP_NET_ADMIN exactly where the spec says.
func TestKernelPermsMatchSpec(t *testing.T) {
	s := spec(t)
	src := string(read(t, kernelPath))
	admin := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?s)\.cmd = (SST_CMD_\w+),(.*?)\}`).FindAllStringSubmatch(src, -1) {
		admin[m[1]] = strings.Contains(m[2], "GENL_UNS_ADMIN_PERM")
	}
	for _, op := range s.Operations.List {
		if op.Do == nil && op.Dump == nil {
			continue // unspec, notifications
		}
		c := CName(s.Operations.NamePrefix, op.Name)
		got, ok := admin[c]
		if !ok {
			t.Errorf("%s: no op in kmod/netlink.c", c)
			continue
		}
		want := false
		for _, f := range op.Flags {
			want = want || f == "uns-admin-perm"
		}
		if got != want {
			t.Errorf("%s: kernel admin-only %v, spec %v", c, got, want)
		}
	}
}

// pkg/nl's exported values are the spec's.
func TestExportedMatchSpec(t *testing.T) {
	s := spec(t)
	num := func(name string) int { return s.Def(name).Value }
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"default-ctrl-port", nl.DefaultCtrlPort, num("default-ctrl-port")},
		{"default-keepalive-ms", int(nl.DefaultKeepalive / time.Millisecond), num("default-keepalive-ms")},
		{"min-keepalive-ms", int(nl.MinKeepalive / time.Millisecond), num("min-keepalive-ms")},
		{"max-keepalive-ms", int(nl.MaxKeepalive / time.Millisecond), num("max-keepalive-ms")},
		{"auth-key-len", nl.AuthKeyLen, num("auth-key-len")},
		{"max-peers", nl.MaxPeers, num("max-peers")},
		{"version", nl.GenlVersion, s.Version},
	} {
		if c.got != c.want {
			t.Errorf("%s: pkg/nl %d, spec %d", c.name, c.got, c.want)
		}
	}
	if nl.GenlName != s.Name {
		t.Errorf("family: pkg/nl %q, spec %q", nl.GenlName, s.Name)
	}
	for i, e := range s.Def("hp-state").Entries {
		if got := nl.HalfPipeState(i).String(); got != e {
			t.Errorf("hp-state %d: pkg/nl %q, spec %q", i, got, e)
		}
	}
	for i, e := range s.Def("event").Entries[1:] {
		if got := nl.EventType(i + 1).String(); got != e {
			t.Errorf("event %d: pkg/nl %q, spec %q", i+1, got, e)
		}
	}
	for i, e := range s.Def("mode").Entries {
		if got := nl.Mode(i).String(); got != e {
			t.Errorf("mode %d: pkg/nl %q, spec %q", i, got, e)
		}
	}
}
