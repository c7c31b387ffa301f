package qemu

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fakeKernel is a kernel whose module tree holds plain fake modules for
// bootModules (virtio_pci built in, so that builtins are exercised too).
func fakeKernel(t *testing.T) Kernel {
	t.Helper()
	mods := filepath.Join(t.TempDir(), "lib", "modules", "6.1.0-1-amd64")
	writeFile(t, filepath.Join(mods, "modules.dep"), `kernel/net/9p/9pnet.ko:
kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko
kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko
`)
	writeFile(t, filepath.Join(mods, "modules.builtin"), "kernel/drivers/virtio/virtio_pci.ko\n")
	for _, m := range []string{"net/9p/9pnet", "net/9p/9pnet_virtio", "fs/9p/9p"} {
		writeFile(t, filepath.Join(mods, "kernel", m+".ko"), "\x7fELF "+m)
	}
	return Kernel{Version: "6.1.0-1-amd64", Image: "/nonexistent", Modules: mods}
}

func TestBuildInitramfs(t *testing.T) {
	k := fakeKernel(t)
	mods, err := bootModulePaths(k)
	if err != nil {
		t.Fatal(err)
	}
	img, err := buildInitramfs([]byte("BUSYBOX"), mods, "/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]cpioEntry{}
	for _, e := range parseCPIO(t, gunzip(t, img)) {
		files[e.name] = e
	}
	for name, want := range map[string]string{
		"init":                    initScriptText(),
		"bin/busybox":             "BUSYBOX",
		"modules/load.list":       "9pnet.ko\n9pnet_virtio.ko\n9p.ko\n",
		"modules/9p.ko":           "\x7fELF fs/9p/9p",
		"modules/9pnet.ko":        "\x7fELF net/9p/9pnet",
		"modules/9pnet_virtio.ko": "\x7fELF net/9p/9pnet_virtio",
	} {
		if got := files[name].data; got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if e := files["init"]; e.mode != sIFREG|0o755 {
		t.Errorf("init mode %o", e.mode)
	}
	if e := files["dev/console"]; e.mode&sIFCHR == 0 || e.rmaj != 5 || e.rmin != 1 {
		t.Errorf("dev/console = %+v", e)
	}
	for _, d := range []string{"proc", "sys", "dev", "host", "newroot"} {
		if files[d].mode&sIFDIR == 0 {
			t.Errorf("missing directory %s", d)
		}
	}
}

func initScriptText() string { return string(initScript) }

func TestInitScript(t *testing.T) {
	s := initScriptText()
	for _, want := range []string{"#!/bin/busybox sh\n", markerReady, markerTimeout, markerFailed,
		"/modules/load.list", "mount9p hostroot", "mount9p sst", "dmesg >", "poweroff -f"} {
		if !strings.Contains(s, want) {
			t.Errorf("init.sh lacks %q", want)
		}
	}
}

func TestInitramfsCache(t *testing.T) {
	if _, err := findBusybox(); err != nil {
		t.Skip(err)
	}
	k := fakeKernel(t)
	cache := t.TempDir()
	first, err := Initramfs(k, cache)
	if err != nil {
		t.Fatal(err)
	}
	st1, err := os.Stat(first)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Initramfs(k, cache)
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(again)
	if again != first || !st2.ModTime().Equal(st1.ModTime()) {
		t.Errorf("unchanged inputs rebuilt the image: %s -> %s", first, again)
	}

	// A changed module gives a new image and drops the old one (once it
	// is old enough not to be in use by a concurrent run).
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(first, old, old); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(k.Modules, "kernel/fs/9p/9p.ko"), "\x7fELF new 9p")
	second, err := Initramfs(k, cache)
	if err != nil {
		t.Fatal(err)
	}
	if second == first {
		t.Fatal("changed module, same image")
	}
	if _, err := os.Stat(first); !os.IsNotExist(err) {
		t.Errorf("stale image %s still there", first)
	}
	writeFile(t, filepath.Join(k.Modules, "kernel/fs/9p/9p.ko"), "\x7fELF newer 9p")
	if _, err := Initramfs(k, cache); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(second); err != nil {
		t.Errorf("recent image removed: %v", err)
	}
	if !strings.HasPrefix(filepath.Base(second), "initramfs-6.1.0-1-amd64-") {
		t.Errorf("image name %s", second)
	}
}
