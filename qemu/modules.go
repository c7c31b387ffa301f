package qemu

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// bootModules are the modules the guest init needs to reach the host over
// 9p: the virtio PCI transport and the 9p file system. Their dependencies are
// taken from modules.dep; built-in ones are skipped.
var bootModules = []string{"virtio_pci", "9pnet_virtio", "9p"}

// moduleName turns a modules.dep path into a module name:
// "kernel/fs/9p/9p.ko.xz" -> "9p", "kernel/x/virtio-rng.ko" -> "virtio_rng".
func moduleName(p string) string {
	base := path.Base(p)
	if i := strings.Index(base, ".ko"); i >= 0 {
		base = base[:i]
	}
	return strings.ReplaceAll(base, "-", "_")
}

// resolveModules returns, in load order (dependencies first), the
// modules.dep paths of targets and everything they depend on. Targets built
// into the kernel (listed in modules.builtin) are skipped; a target that is
// neither built in nor in modules.dep is an error.
func resolveModules(modulesDep, modulesBuiltin io.Reader, targets []string) ([]string, error) {
	deps := map[string][]string{} // name -> dependency names
	paths := map[string]string{}  // name -> relative path
	sc := bufio.NewScanner(modulesDep)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		mod, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		name := moduleName(mod)
		paths[name] = mod
		for _, d := range strings.Fields(rest) {
			deps[name] = append(deps[name], moduleName(d))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading modules.dep: %w", err)
	}
	builtin := map[string]bool{}
	if modulesBuiltin != nil {
		sc = bufio.NewScanner(modulesBuiltin)
		for sc.Scan() {
			if l := strings.TrimSpace(sc.Text()); l != "" {
				builtin[moduleName(l)] = true
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("reading modules.builtin: %w", err)
		}
	}

	var order []string
	state := map[string]int{} // 1: visiting, 2: done
	var visit func(name string, chain []string) error
	visit = func(name string, chain []string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("module dependency cycle: %s -> %s", strings.Join(chain, " -> "), name)
		case 2:
			return nil
		}
		p, ok := paths[name]
		if !ok {
			if builtin[name] {
				state[name] = 2
				return nil
			}
			return fmt.Errorf("module %s: not in modules.dep and not built in (needed by %s)",
				name, strings.Join(chain, " -> "))
		}
		state[name] = 1
		for _, d := range deps[name] {
			if err := visit(d, append(chain, name)); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, p)
		return nil
	}
	for _, t := range targets {
		if err := visit(moduleName(t), []string{"(boot)"}); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// bootModulePaths resolves bootModules for kernel k and returns absolute
// paths in load order.
func bootModulePaths(k Kernel) ([]string, error) {
	dep, err := os.Open(filepath.Join(k.Modules, "modules.dep"))
	if err != nil {
		return nil, err
	}
	defer dep.Close()
	var builtin io.Reader
	if f, err := os.Open(filepath.Join(k.Modules, "modules.builtin")); err == nil {
		defer f.Close()
		builtin = f
	}
	rel, err := resolveModules(dep, builtin, bootModules)
	if err != nil {
		return nil, fmt.Errorf("kernel %s: %w", k.Version, err)
	}
	abs := make([]string, len(rel))
	for i, r := range rel {
		abs[i] = filepath.Join(k.Modules, r)
	}
	return abs, nil
}

// readModule returns the uncompressed contents of a .ko, .ko.gz, .ko.xz or
// .ko.zst file: busybox insmod in the initramfs only loads plain ELF
// objects. xz and zstd are decompressed with the xz (or busybox unxz) and
// zstd tools.
func readModule(p, busybox string) ([]byte, error) {
	raw, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.HasSuffix(p, ".ko"):
		return raw, nil
	case strings.HasSuffix(p, ".ko.gz"):
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return io.ReadAll(zr)
	case strings.HasSuffix(p, ".ko.xz"):
		if _, err := exec.LookPath("xz"); err == nil {
			return decompress(raw, p, "xz", "-dc")
		}
		return decompress(raw, p, busybox, "unxz", "-c")
	case strings.HasSuffix(p, ".ko.zst"):
		return decompress(raw, p, "zstd", "-dcq")
	}
	return nil, fmt.Errorf("%s: unknown module file extension", p)
}

func decompress(raw []byte, name, tool string, args ...string) ([]byte, error) {
	cmd := exec.Command(tool, args...)
	cmd.Stdin = bytes.NewReader(raw)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("decompressing %s with %s: %v: %s", name, tool, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
