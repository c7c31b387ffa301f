package qemu

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// Kernel is an installed kernel that can be booted.
type Kernel struct {
	Version string // uname -r, e.g. "6.1.0-56-amd64"
	Image   string // path of the bzImage, e.g. /boot/vmlinuz-6.1.0-56-amd64
	Modules string // module tree, e.g. /lib/modules/6.1.0-56-amd64
}

// Kernels lists the kernels installed on this host (an image in /boot with a
// module tree in /lib/modules), oldest first.
func Kernels() ([]Kernel, error) { return kernelsIn("/") }

// KernelsIn lists the kernels under root as Kernels does under "/": a tree
// with boot/vmlinuz-VERSION and lib/modules/VERSION/modules.dep, such as
// the debug kernel that scripts/debug-kernel.sh builds.
func KernelsIn(root string) ([]Kernel, error) { return kernelsIn(root) }

// FindKernel returns the newest installed kernel whose version is prefix or
// starts with prefix followed by a non-digit: "6.1" matches "6.1.0-56-amd64"
// but not "6.12.117+deb12-amd64". An empty prefix selects the newest kernel.
func FindKernel(prefix string) (Kernel, error) { return findKernelIn("/", prefix) }

func kernelsIn(root string) ([]Kernel, error) {
	images, err := filepath.Glob(filepath.Join(root, "boot", "vmlinuz-*"))
	if err != nil {
		return nil, err
	}
	var ks []Kernel
	for _, img := range images {
		ver := strings.TrimPrefix(filepath.Base(img), "vmlinuz-")
		if st, err := os.Stat(img); err != nil || !st.Mode().IsRegular() {
			continue
		}
		mods := filepath.Join(root, "lib", "modules", ver)
		if _, err := os.Stat(filepath.Join(mods, "modules.dep")); err != nil {
			continue // no module tree: we could not load 9p
		}
		ks = append(ks, Kernel{Version: ver, Image: img, Modules: mods})
	}
	sort.Slice(ks, func(i, j int) bool { return versionLess(ks[i].Version, ks[j].Version) })
	return ks, nil
}

func findKernelIn(root, prefix string) (Kernel, error) {
	ks, err := kernelsIn(root)
	if err != nil {
		return Kernel{}, err
	}
	if len(ks) == 0 {
		return Kernel{}, fmt.Errorf("no kernel found: need %s with a matching %s",
			filepath.Join(root, "boot", "vmlinuz-*"), filepath.Join(root, "lib", "modules", "*", "modules.dep"))
	}
	for i := len(ks) - 1; i >= 0; i-- {
		if matchVersion(ks[i].Version, prefix) {
			return ks[i], nil
		}
	}
	var have []string
	for _, k := range ks {
		have = append(have, k.Version)
	}
	return Kernel{}, fmt.Errorf("no kernel matching %q (installed: %s)", prefix, strings.Join(have, ", "))
}

// matchVersion reports whether version is prefix, or starts with prefix and
// the next character ends a number.
func matchVersion(version, prefix string) bool {
	if !strings.HasPrefix(version, prefix) {
		return false
	}
	if len(version) == len(prefix) || prefix == "" {
		return true
	}
	last := rune(prefix[len(prefix)-1])
	next := rune(version[len(prefix)])
	return !(unicode.IsDigit(last) && unicode.IsDigit(next))
}

// versionLess compares versions naturally: digit runs numerically, the rest
// byte-wise, so "6.1.0" < "6.12.0" and "6.1.0-9" < "6.1.0-56".
func versionLess(a, b string) bool {
	for a != "" && b != "" {
		ca, ra := chunk(a)
		cb, rb := chunk(b)
		if ca != cb {
			da, db := isDigits(ca), isDigits(cb)
			switch {
			case da && db:
				na, nb := strings.TrimLeft(ca, "0"), strings.TrimLeft(cb, "0")
				if len(na) != len(nb) {
					return len(na) < len(nb)
				}
				if na != nb {
					return na < nb
				}
			default:
				return ca < cb
			}
		}
		a, b = ra, rb
	}
	return len(a) < len(b)
}

// chunk splits s into its leading run of digits or non-digits and the rest.
func chunk(s string) (string, string) {
	d := s[0] >= '0' && s[0] <= '9'
	i := 1
	for i < len(s) && (s[i] >= '0' && s[i] <= '9') == d {
		i++
	}
	return s[:i], s[i:]
}

func isDigits(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

// errNoKernel is returned by Run for a zero Config.Kernel.
var errNoKernel = errors.New("qemu: Config.Kernel is not set (use FindKernel)")
