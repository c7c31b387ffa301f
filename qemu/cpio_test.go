package qemu

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"testing"
)

// cpioEntry is one parsed newc record.
type cpioEntry struct {
	name         string
	mode         uint32
	rmaj, rmin   uint32
	data         string
	headerOffset int
}

// parseCPIO is a minimal newc reader for the tests.
func parseCPIO(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var entries []cpioEntry
	off := 0
	align := func() { off = (off + 3) &^ 3 }
	for {
		if off+110 > len(b) {
			t.Fatalf("truncated archive at %d", off)
		}
		hdr := string(b[off : off+110])
		if hdr[:6] != "070701" {
			t.Fatalf("bad magic %q at %d", hdr[:6], off)
		}
		field := func(i int) uint32 {
			v, err := strconv.ParseUint(hdr[6+8*i:6+8*i+8], 16, 32)
			if err != nil {
				t.Fatalf("field %d at %d: %v", i, off, err)
			}
			return uint32(v)
		}
		e := cpioEntry{mode: field(1), rmaj: field(9), rmin: field(10), headerOffset: off}
		size, namesize := int(field(6)), int(field(11))
		off += 110
		e.name = string(b[off : off+namesize-1])
		if b[off+namesize-1] != 0 {
			t.Fatalf("name %q not NUL-terminated", e.name)
		}
		off += namesize
		align()
		e.data = string(b[off : off+size])
		off += size
		align()
		if e.name == "TRAILER!!!" {
			if off != len(b) {
				t.Fatalf("%d bytes after the trailer", len(b)-off)
			}
			return entries
		}
		entries = append(entries, e)
	}
}

func TestCPIOWriter(t *testing.T) {
	var buf bytes.Buffer
	w := newCPIOWriter(&buf)
	w.Dir("/bin", 0o755)
	w.File("bin/busybox", 0o755, []byte("12345")) // odd sizes exercise padding
	w.Symlink("bin/sh", "busybox")
	w.CharDev("dev/console", 0o600, 5, 1)
	w.File("init", 0o644, nil)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len()%4 != 0 {
		t.Errorf("archive length %d is not 4-aligned", buf.Len())
	}
	got := parseCPIO(t, buf.Bytes())
	want := []cpioEntry{
		{name: "bin", mode: sIFDIR | 0o755},
		{name: "bin/busybox", mode: sIFREG | 0o755, data: "12345"},
		{name: "bin/sh", mode: sIFLNK | 0o777, data: "busybox"},
		{name: "dev/console", mode: sIFCHR | 0o600, rmaj: 5, rmin: 1},
		{name: "init", mode: sIFREG | 0o644},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.name != w.name || g.mode != w.mode || g.data != w.data || g.rmaj != w.rmaj || g.rmin != w.rmin {
			t.Errorf("entry %d = %+v, want %+v", i, g, w)
		}
		if g.headerOffset%4 != 0 {
			t.Errorf("entry %s header at unaligned offset %d", g.name, g.headerOffset)
		}
	}
}

type failingWriter struct{ n int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, io.ErrShortWrite
	}
	return len(p), nil
}

func TestCPIOWriterError(t *testing.T) {
	w := newCPIOWriter(&failingWriter{n: 200})
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		err = w.File(fmt.Sprintf("f%d", i), 0o644, []byte("data"))
	}
	if err == nil {
		t.Fatal("want the write error")
	}
	if err := w.Close(); err == nil {
		t.Error("Close after a failed write: want the error again")
	}
}
