package qemu

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// bootKernel returns the 6.1 kernel, skipping the test when this host cannot
// boot guests at all. (The kernel suite in ../tests never skips; this is the
// harness's own smoke test.)
func bootKernel(t *testing.T) Kernel {
	t.Helper()
	if _, err := exec.LookPath(DefaultQEMU); err != nil {
		t.Skipf("no %s: %v", DefaultQEMU, err)
	}
	if _, err := findBusybox(); err != nil {
		t.Skip(err)
	}
	k, err := FindKernel("6.1")
	if err != nil {
		t.Skipf("no 6.1 kernel: %v", err)
	}
	if f, err := os.Open(k.Image); err != nil {
		t.Skipf("kernel image not readable: %v", err)
	} else {
		f.Close()
	}
	return k
}

func TestBoot(t *testing.T) {
	k := bootKernel(t)
	res, err := Run(context.Background(), Config{Kernel: k, Script: "echo hello; uname -r", Timeout: 3 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if want := "hello\n" + k.Version + "\n"; res.Output != want {
		t.Errorf("output %q, want %q", res.Output, want)
	}
	if res.ExitCode != 0 || res.BootTime <= 0 || res.BootTime > res.Duration || len(res.Splats) != 0 {
		t.Errorf("result %+v", res)
	}
	if !strings.Contains(res.Dmesg, "Linux version "+k.Version) || !strings.Contains(res.Console, markerReady) {
		t.Error("dmesg or console not captured")
	}
	t.Logf("%s: boot %v, total %v", k.Version, res.BootTime, res.Duration)
}

// The remaining tests boot more guests; -short skips them.

func TestGuestTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a guest")
	}
	k := bootKernel(t)
	res, err := Run(context.Background(), Config{Kernel: k, Script: "echo started; sleep 600", Timeout: 40 * time.Second})
	if !errors.Is(err, ErrTimeout) || res == nil || !res.TimedOut {
		t.Fatalf("want a timeout, got %v", err)
	}
	// Normally the guest kills the scenario itself and still sends dmesg.
	if res.Output != "started\n" || res.Dmesg == "" {
		t.Errorf("output %q, dmesg %d bytes", res.Output, len(res.Dmesg))
	}
}

func TestGuestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a guest")
	}
	k := bootKernel(t)
	res, err := Run(context.Background(), Config{Kernel: k, Timeout: 2 * time.Minute,
		Script: "echo before; echo 1 >/proc/sys/kernel/sysrq; echo c >/proc/sysrq-trigger; echo after"})
	if !errors.Is(err, ErrCrash) || !errors.Is(err, ErrSplat) {
		t.Fatalf("want a crash with a splat, got %v", err)
	}
	if res.Output != "before\n" || len(res.Splats) != 1 || !strings.Contains(res.Splats[0], "Kernel panic") {
		t.Errorf("output %q, splats %q", res.Output, res.Splats)
	}
}

// TestTopology runs tests/lib/topo_selftest.sh: the scenario library's
// topology works in a real guest.
func TestTopology(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a guest")
	}
	k := bootKernel(t)
	script, err := os.ReadFile("../tests/lib/topo_selftest.sh")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Config{Kernel: k, Script: string(script), Timeout: 4 * time.Minute,
		Files: map[string]string{"lib": "../tests/lib"}})
	if res != nil {
		t.Logf("output:\n%s", res.Output)
	}
	if err != nil {
		t.Fatal(err)
	}
}
