package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/split-stack/splitstack/qemu"
)

// version is the package version of kmod/dkms.conf, which the Makefile and
// the module (SST_VERSION) take.
func version(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../kmod/dkms.conf")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^PACKAGE_VERSION="([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatal("kmod/dkms.conf has no PACKAGE_VERSION")
	}
	return string(m[1])
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// files lists the regular files under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var fs []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			fs = append(fs, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestInstall stages `make install` and a DKMS build and install of kmod/
// for each kernel (private DKMS trees: nothing of the host's changes but
// DKMS's signing key), loads each module with modprobe in a guest of that
// kernel (scenarios/install.sh; on 6.12 DKMS runs add, build, install and
// remove in the guest itself), then checks that `make uninstall` and
// `dkms remove` leave no file behind. dkms must be installed (make deps).
func TestInstall(t *testing.T) {
	kernels := kernelsUnderTest(t)
	if _, err := exec.LookPath("dkms"); err != nil {
		t.Fatalf("dkms not installed (make deps): %v", err)
	}
	ver := version(t)
	script, err := os.ReadFile("scenarios/install.sh")
	if err != nil {
		t.Fatal(err)
	}
	inst := t.TempDir()
	run(t, "make", "-C", "..", "-s", "install", "DESTDIR="+inst)

	dk := t.TempDir()
	src := filepath.Join(dk, "src", "splitstack-"+ver)
	tree := filepath.Join(dk, "dkms")
	lib := filepath.Join(dk, "root", "lib", "modules")
	run(t, "mkdir", "-p", src, tree)
	run(t, "cp", "-a", "../kmod/.", src)
	trees := []string{"--sourcetree", filepath.Join(dk, "src"), "--dkmstree", tree}
	run(t, "dkms", append([]string{"add", "-m", "splitstack", "-v", ver}, trees...)...)
	// dkmsInGuest: the kernels whose guest runs dkms install itself
	// (the module built here: compiling under TCG takes 6 to 10 minutes).
	dkmsInGuest := func(k qemu.Kernel) bool { return strings.HasPrefix(k.Version, "6.12") }
	for _, k := range kernels {
		run(t, "dkms", append([]string{"build", "-m", "splitstack", "-v", ver, "-k", k.Version}, trees...)...)
		if !dkmsInGuest(k) {
			run(t, "mkdir", "-p", filepath.Join(lib, k.Version))
			run(t, "dkms", append([]string{"install", "-m", "splitstack", "-v", ver, "-k", k.Version,
				"--installtree", lib, "--no-depmod"}, trees...)...)
		}
	}

	for _, k := range kernels {
		t.Run(shortName(k.Version), func(t *testing.T) {
			env := map[string]string{"SST_VERSION": ver}
			timeout := 3 * time.Minute
			if dkmsInGuest(k) {
				env["DKMS_IN_GUEST"] = "1"
				timeout = 8 * time.Minute // depmod of a whole tree over 9p
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout+time.Minute)
			defer cancel()
			res, err := qemu.Run(ctx, qemu.Config{
				Kernel:  k,
				Script:  string(script),
				Timeout: timeout,
				Env:     env,
				Append:  qemu.SlubDebug,
				Files: map[string]string{
					"lib":    "lib",
					"inst":   inst,
					"dkms":   filepath.Join(dk, "root"),
					"dktree": tree,
					"dksrc":  filepath.Join(dk, "src"),
				},
			})
			if res != nil {
				t.Logf("install on %s: exit %d\n%s", k.Version, res.ExitCode, res.Output)
			}
			if err != nil {
				if res != nil && res.Dmesg != "" {
					t.Logf("guest dmesg:\n%s", tailLines(res.Dmesg, 40))
				}
				t.Fatalf("install on %s: %v", k.Version, err)
			}
		})
	}

	run(t, "make", "-C", "..", "-s", "uninstall", "DESTDIR="+inst)
	if left := files(t, inst); len(left) > 0 {
		t.Errorf("make uninstall left %v", left)
	}
	run(t, "dkms", append([]string{"remove", "-m", "splitstack", "-v", ver, "--all",
		"--installtree", lib, "--no-depmod"}, trees...)...)
	if left := files(t, lib); len(left) > 0 {
		t.Errorf("dkms remove left %v", left)
	}
}
