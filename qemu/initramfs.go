package qemu

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

//go:embed init.sh
var initScript []byte

// initramfsFormat changes whenever the layout built below changes, so that
// cached images are rebuilt.
const initramfsFormat = "splitstack-initramfs-v1"

// staleAfter is how old a superseded cached image must be to be removed.
var staleAfter = 10 * time.Minute

// busyboxCandidates are where busybox-static is looked for.
var busyboxCandidates = []string{"/bin/busybox", "/usr/bin/busybox"}

// findBusybox returns a statically linked busybox: the initramfs has no
// shared libraries.
func findBusybox() (string, error) {
	for _, p := range busyboxCandidates {
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		static := true
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				static = false
			}
		}
		f.Close()
		if static {
			return p, nil
		}
	}
	return "", fmt.Errorf("no statically linked busybox in %s (install busybox-static)",
		strings.Join(busyboxCandidates, ", "))
}

// defaultCacheDir is $XDG_CACHE_HOME/splitstack (or ~/.cache/splitstack),
// falling back to a per-user directory under the temp dir.
func defaultCacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		d = filepath.Join(d, "splitstack")
		if os.MkdirAll(d, 0o755) == nil {
			return d
		}
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("splitstack-cache-%d", os.Getuid()))
}

// Initramfs returns the path of the guest initramfs for k, building it in
// cacheDir (default: see Config.CacheDir) unless an image built from the
// same inputs (init script, busybox, module files) is already there.
func Initramfs(k Kernel, cacheDir string) (string, error) {
	if cacheDir == "" {
		cacheDir = defaultCacheDir()
	}
	busybox, err := findBusybox()
	if err != nil {
		return "", err
	}
	mods, err := bootModulePaths(k)
	if err != nil {
		return "", err
	}

	// The cache key covers every input byte (modules still compressed).
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", initramfsFormat, initScript)
	bb, err := os.ReadFile(busybox)
	if err != nil {
		return "", err
	}
	h.Write(bb)
	for _, m := range mods {
		raw, err := os.ReadFile(m)
		if err != nil {
			return "", fmt.Errorf("reading module: %w", err)
		}
		fmt.Fprintf(h, "\x00%s\x00%d\x00", filepath.Base(m), len(raw))
		h.Write(raw)
	}
	key := hex.EncodeToString(h.Sum(nil))[:16]
	out := filepath.Join(cacheDir, fmt.Sprintf("initramfs-%s-%s.gz", k.Version, key))
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}

	img, err := buildInitramfs(bb, mods, busybox)
	if err != nil {
		return "", fmt.Errorf("building initramfs for %s: %w", k.Version, err)
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(cacheDir, ".initramfs-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(img); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", err
	}
	// Drop images of older inputs for this kernel (best effort), unless
	// recent: another checkout may be booting one right now.
	old, _ := filepath.Glob(filepath.Join(cacheDir, fmt.Sprintf("initramfs-%s-*.gz", k.Version)))
	for _, o := range old {
		if st, err := os.Stat(o); err == nil && o != out && time.Since(st.ModTime()) > staleAfter {
			os.Remove(o)
		}
	}
	return out, nil
}

// buildInitramfs returns a gzipped newc cpio archive holding /init,
// /bin/busybox and the given modules (decompressed) under /modules, listed
// in load order in /modules/load.list.
func buildInitramfs(busybox []byte, modules []string, busyboxPath string) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	w := newCPIOWriter(zw)
	for _, d := range []string{"bin", "dev", "proc", "sys", "tmp", "modules", "host", "newroot"} {
		w.Dir(d, 0o755)
	}
	w.CharDev("dev/console", 0o600, 5, 1)
	w.CharDev("dev/null", 0o666, 1, 3)
	w.File("bin/busybox", 0o755, busybox)
	w.Symlink("bin/sh", "busybox")
	w.File("init", 0o755, initScript)
	var list strings.Builder
	seen := map[string]bool{}
	for _, m := range modules {
		data, err := readModule(m, busyboxPath)
		if err != nil {
			return nil, err
		}
		name := moduleName(m) + ".ko"
		if seen[name] {
			return nil, errors.New("duplicate module " + name)
		}
		seen[name] = true
		w.File("modules/"+name, 0o644, data)
		list.WriteString(name + "\n")
	}
	w.File("modules/load.list", 0o644, []byte(list.String()))
	if err := w.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
