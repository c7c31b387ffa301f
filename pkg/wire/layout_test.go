package wire

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const header = "../../kmod/include/uapi/linux/splitstack.h"

// headerStructs reads the field names of every "struct sst_wire_* {...};"
// of the uapi header.
func headerStructs(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(header)
	if err != nil {
		t.Fatal(err)
	}
	src := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(string(b), "")
	structs := map[string][]string{}
	field := regexp.MustCompile(`(\w+)(\[\d*\])?;`)
	for _, m := range regexp.MustCompile(`(?s)struct (sst_wire_\w+) \{(.*?)\};`).FindAllStringSubmatch(src, -1) {
		for _, f := range field.FindAllStringSubmatch(m[2], -1) {
			structs[m[1]] = append(structs[m[1]], f[1])
		}
	}
	return structs
}

// Every wire struct of the header, compiled by the C compiler, lies as
// Layouts says: same structs, same fields, offsets and sizes.
func TestLayoutsMatchHeader(t *testing.T) {
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Fatalf("no C compiler to check the header with: %v", err)
	}
	structs := headerStructs(t)
	var prog strings.Builder
	prog.WriteString("#include <stdio.h>\n#include <stddef.h>\n#include <linux/splitstack.h>\n" +
		"#define F(s, f) printf(#s \" \" #f \" %zu %zu\\n\", offsetof(struct s, f), sizeof(((struct s *)0)->f));\n" +
		"#define A(s, f) printf(#s \" \" #f \" %zu 0\\n\", offsetof(struct s, f));\n" +
		"int main(void) {\n")
	for s, fields := range structs {
		if s == "sst_wire_pseudo" {
			continue // not sent: checked through the MAC tests
		}
		fmt.Fprintf(&prog, "printf(\"%s  %%zu %%zu\\n\", (size_t)0, sizeof(struct %s));\n", s, s)
		for _, f := range fields {
			if l := Layouts[s][f]; l.Size == 0 && f != "" {
				fmt.Fprintf(&prog, "A(%s, %s)\n", s, f) // flexible array
			} else {
				fmt.Fprintf(&prog, "F(%s, %s)\n", s, f)
			}
		}
	}
	prog.WriteString("return 0; }\n")
	dir := t.TempDir()
	src := filepath.Join(dir, "layout.c")
	if err := os.WriteFile(src, []byte(prog.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "layout")
	if out, err := exec.Command(cc, "-Wall", "-Werror", "-I", "../../kmod/include/uapi", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("compiling the header's layout: %v\n%s\n%s", err, out, prog.String())
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var s, f string
		var off, size int
		parts := strings.Split(line, " ")
		s, f = parts[0], parts[1]
		off, _ = strconv.Atoi(parts[2])
		size, _ = strconv.Atoi(parts[3])
		want, ok := Layouts[s][f]
		switch {
		case !ok:
			t.Errorf("%s.%s (offset %d, %d bytes) is not in Layouts", s, f, off, size)
		case want != (Field{off, size}):
			t.Errorf("%s.%s: header offset %d size %d, Layouts %+v", s, f, off, size, want)
		}
		if seen[s] == nil {
			seen[s] = map[string]bool{}
		}
		seen[s][f] = true
	}
	for s, fields := range Layouts {
		for f := range fields {
			if !seen[s][f] {
				t.Errorf("Layouts has %s.%s, the header does not", s, f)
			}
		}
	}
}

// Header and Ack encode as Layouts (so as the header) says.
func TestEncodingsMatchLayouts(t *testing.T) {
	h := Header{Magic: 0x01020304, Version: 5, Type: 6, Flags: 0x0708, Len: 0x090a0b0c,
		Epoch: 0x0d0e0f10, Seq: 0x11121314, Reserved: 0x15161718, ConnID: 0x191a1b1c1d1e1f20}
	b, _ := h.AppendBinary(nil)
	l := Layouts["sst_wire_hdr"]
	if len(b) != l[""].Size || HeaderLen != l[""].Size {
		t.Fatalf("header: %d bytes, HeaderLen %d, layout %d", len(b), HeaderLen, l[""].Size)
	}
	for f, want := range map[string]uint64{"magic": uint64(h.Magic), "version": uint64(h.Version), "type": uint64(h.Type),
		"flags": uint64(h.Flags), "len": uint64(h.Len), "epoch": uint64(h.Epoch), "seq": uint64(h.Seq),
		"reserved": uint64(h.Reserved), "conn_id": h.ConnID} {
		if got := be(b[l[f].Off : l[f].Off+l[f].Size]); got != want {
			t.Errorf("header %s at %+v: %#x, want %#x", f, l[f], got, want)
		}
	}
	a := Ack{Epoch: 0xa1a2a3a4, Seq: 0xb1b2b3b4}.Marshal()
	la := Layouts["sst_wire_ack"]
	if len(a) != AckLen || AckLen != la[""].Size ||
		!bytes.Equal(a[la["epoch"].Off:la["epoch"].Off+4], []byte{0xa1, 0xa2, 0xa3, 0xa4}) ||
		!bytes.Equal(a[la["seq"].Off:la["seq"].Off+4], []byte{0xb1, 0xb2, 0xb3, 0xb4}) {
		t.Errorf("ack %x does not match its layout %+v", a, la)
	}
}

func be(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}
