package qemu

import (
	"bytes"
	"compress/gzip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Excerpts of real modules.dep / modules.builtin files.
const (
	dep61 = `kernel/fs/netfs/netfs.ko:
kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko
kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/net/9p/9pnet.ko:
kernel/net/9p/9pnet_fd.ko: kernel/net/9p/9pnet.ko
kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/char/hw_random/virtio-rng.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
`
	builtin61 = `kernel/fs/ext4/ext4.ko
`
	dep612 = `kernel/fs/netfs/netfs.ko.xz:
kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/netfs.ko.xz
kernel/net/9p/9pnet.ko.xz: kernel/fs/netfs/netfs.ko.xz
kernel/net/9p/9pnet_virtio.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/netfs.ko.xz
`
	builtin612 = `kernel/drivers/virtio/virtio.ko
kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_pci_modern_dev.ko
kernel/drivers/virtio/virtio_pci_legacy_dev.ko
kernel/drivers/virtio/virtio_pci.ko
`
)

func TestResolveModules61(t *testing.T) {
	got, err := resolveModules(strings.NewReader(dep61), strings.NewReader(builtin61), bootModules)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, moduleName(p))
	}
	// Every module comes after all its dependencies, each exactly once.
	want := []string{"virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_ring", "virtio", "virtio_pci",
		"9pnet", "9pnet_virtio", "netfs", "fscache", "9p"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("load order\n got %v\nwant %v", names, want)
	}
	checkOrder(t, dep61, got)
}

func TestResolveModules612(t *testing.T) {
	got, err := resolveModules(strings.NewReader(dep612), strings.NewReader(builtin612), bootModules)
	if err != nil {
		t.Fatal(err)
	}
	want := "kernel/fs/netfs/netfs.ko.xz kernel/net/9p/9pnet.ko.xz kernel/net/9p/9pnet_virtio.ko.xz kernel/fs/9p/9p.ko.xz"
	if strings.Join(got, " ") != want {
		t.Errorf("load order\n got %v\nwant %s", got, want)
	}
	checkOrder(t, dep612, got)
}

// checkOrder verifies that every module in order follows its dependencies.
func checkOrder(t *testing.T, dep string, order []string) {
	t.Helper()
	pos := map[string]int{}
	for i, p := range order {
		if _, dup := pos[p]; dup {
			t.Errorf("%s loaded twice", p)
		}
		pos[p] = i
	}
	for _, line := range strings.Split(dep, "\n") {
		mod, deps, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		i, used := pos[mod]
		if !used {
			continue
		}
		for _, d := range strings.Fields(deps) {
			if j, ok := pos[d]; !ok || j > i {
				t.Errorf("%s loaded before its dependency %s", mod, d)
			}
		}
	}
}

func TestResolveModulesErrors(t *testing.T) {
	_, err := resolveModules(strings.NewReader(dep612), strings.NewReader(""), bootModules)
	if err == nil || !strings.Contains(err.Error(), "virtio_pci") {
		t.Errorf("virtio_pci neither built in nor a module: err = %v", err)
	}
	cycle := "a.ko: b.ko\nb.ko: a.ko\n"
	if _, err := resolveModules(strings.NewReader(cycle), nil, []string{"a"}); err == nil ||
		!strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: err = %v", err)
	}
	missingDep := "a.ko: kernel/b.ko.zst\n"
	if _, err := resolveModules(strings.NewReader(missingDep), nil, []string{"a"}); err == nil ||
		!strings.Contains(err.Error(), "module b:") {
		t.Errorf("missing dependency: err = %v", err)
	}
}

func TestModuleName(t *testing.T) {
	for in, want := range map[string]string{
		"kernel/fs/9p/9p.ko":                          "9p",
		"kernel/fs/9p/9p.ko.xz":                       "9p",
		"kernel/net/9p/9pnet_virtio.ko.zst":           "9pnet_virtio",
		"kernel/drivers/char/hw_random/virtio-rng.ko": "virtio_rng",
		"virtio_pci":                                  "virtio_pci",
	} {
		if got := moduleName(in); got != want {
			t.Errorf("moduleName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadModule(t *testing.T) {
	dir := t.TempDir()
	elf := []byte("\x7fELF fake module contents")
	plain := filepath.Join(dir, "a.ko")
	writeFile(t, plain, string(elf))

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(elf)
	zw.Close()
	gzPath := filepath.Join(dir, "b.ko.gz")
	writeFile(t, gzPath, gz.String())

	paths := []string{plain, gzPath}
	if xz, err := exec.LookPath("xz"); err == nil {
		out, err := exec.Command(xz, "-c", plain).Output()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "c.ko.xz")
		writeFile(t, p, string(out))
		paths = append(paths, p)
	}
	if zstd, err := exec.LookPath("zstd"); err == nil {
		out, err := exec.Command(zstd, "-qc", plain).Output()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "d.ko.zst")
		writeFile(t, p, string(out))
		paths = append(paths, p)
	}
	for _, p := range paths {
		got, err := readModule(p, "/bin/busybox")
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		} else if !bytes.Equal(got, elf) {
			t.Errorf("%s: got %q", filepath.Base(p), got)
		}
	}
	if _, err := readModule(filepath.Join(dir, "e.ko.bz2"), "/bin/busybox"); err == nil {
		t.Error("missing file: want an error")
	}
	writeFile(t, filepath.Join(dir, "f.ko.bz2"), "x")
	if _, err := readModule(filepath.Join(dir, "f.ko.bz2"), "/bin/busybox"); err == nil {
		t.Error("unknown extension: want an error")
	}
}
