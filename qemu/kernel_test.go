package qemu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRoot lays out /boot and /lib/modules for the given versions; those
// listed in noModules get an image but no module tree.
func fakeRoot(t *testing.T, versions []string, noModules ...string) string {
	t.Helper()
	root := t.TempDir()
	skip := map[string]bool{}
	for _, v := range noModules {
		skip[v] = true
	}
	for _, v := range versions {
		writeFile(t, filepath.Join(root, "boot", "vmlinuz-"+v), "bzImage")
		writeFile(t, filepath.Join(root, "boot", "config-"+v), "CONFIG_X=y")
		if !skip[v] {
			writeFile(t, filepath.Join(root, "lib", "modules", v, "modules.dep"), "")
		}
	}
	return root
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestKernelsIn(t *testing.T) {
	root := fakeRoot(t, []string{"6.12.117+deb12-amd64", "6.1.0-56-amd64", "6.1.0-9-amd64", "5.10.0-30-amd64"},
		"5.10.0-30-amd64")
	ks, err := kernelsIn(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range ks {
		got = append(got, k.Version)
		if k.Image != filepath.Join(root, "boot", "vmlinuz-"+k.Version) {
			t.Errorf("%s: Image = %s", k.Version, k.Image)
		}
		if k.Modules != filepath.Join(root, "lib", "modules", k.Version) {
			t.Errorf("%s: Modules = %s", k.Version, k.Modules)
		}
	}
	want := "6.1.0-9-amd64 6.1.0-56-amd64 6.12.117+deb12-amd64" // oldest first, 5.10 has no modules
	if strings.Join(got, " ") != want {
		t.Errorf("kernels = %v, want %s", got, want)
	}
}

func TestFindKernelIn(t *testing.T) {
	root := fakeRoot(t, []string{"6.12.117+deb12-amd64", "6.1.0-56-amd64", "6.1.0-9-amd64"})
	for _, tc := range []struct{ prefix, want string }{
		{"6.1", "6.1.0-56-amd64"}, // not 6.12, and the newest 6.1
		{"6.1.0-9", "6.1.0-9-amd64"},
		{"6.1.0-56-amd64", "6.1.0-56-amd64"},
		{"6.12", "6.12.117+deb12-amd64"},
		{"6", "6.12.117+deb12-amd64"},
		{"", "6.12.117+deb12-amd64"},
	} {
		k, err := findKernelIn(root, tc.prefix)
		if err != nil {
			t.Errorf("FindKernel(%q): %v", tc.prefix, err)
			continue
		}
		if k.Version != tc.want {
			t.Errorf("FindKernel(%q) = %s, want %s", tc.prefix, k.Version, tc.want)
		}
	}
	for _, prefix := range []string{"6.2", "6.1.0-5", "5", "6.12.1"} {
		if k, err := findKernelIn(root, prefix); err == nil {
			t.Errorf("FindKernel(%q) = %s, want an error", prefix, k.Version)
		} else if !strings.Contains(err.Error(), "6.1.0-56-amd64") {
			t.Errorf("FindKernel(%q) error does not list the installed kernels: %v", prefix, err)
		}
	}
	if _, err := findKernelIn(t.TempDir(), "6.1"); err == nil {
		t.Error("FindKernel in an empty root: want an error")
	}
}

func TestMatchVersion(t *testing.T) {
	for _, tc := range []struct {
		version, prefix string
		want            bool
	}{
		{"6.1.0-56-amd64", "6.1", true},
		{"6.12.117+deb12-amd64", "6.1", false},
		{"6.12.117+deb12-amd64", "6.12", true},
		{"6.12.117+deb12-amd64", "6.12.", true},
		{"6.1.0-56-amd64", "6.1.0-5", false},
		{"6.1.0-56-amd64", "6.1.0-56", true},
		{"6.1.0-56-amd64", "", true},
		{"6.1", "6.1", true},
		{"6.1", "6.10", false},
	} {
		if got := matchVersion(tc.version, tc.prefix); got != tc.want {
			t.Errorf("matchVersion(%q, %q) = %v, want %v", tc.version, tc.prefix, got, tc.want)
		}
	}
}

func TestVersionLess(t *testing.T) {
	ordered := []string{"5.10.0-30-amd64", "6.1.0-9-amd64", "6.1.0-56-amd64", "6.1.0-56-cloud-amd64",
		"6.12.9+deb12-amd64", "6.12.117+deb12-amd64"}
	for i := range ordered {
		for j := range ordered {
			if got, want := versionLess(ordered[i], ordered[j]), i < j; got != want {
				t.Errorf("versionLess(%q, %q) = %v, want %v", ordered[i], ordered[j], got, want)
			}
		}
	}
}
