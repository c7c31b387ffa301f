// Package tests holds the kernel tests: each boots a Debian kernel in QEMU
// (see ../qemu), loads splitstack.ko and runs a scenario from scenarios/
// inside the guest. They need `make` to have built the module for every
// kernel under test; a missing kernel or module fails the run, it is never
// skipped.
//
// SST_KERNELS (space-separated versions, as `make kernel-test` sets it)
// picks the kernels; by default every installed kernel that has a built
// module. SST_BUILD is the build directory (default ../build).
// SST_KERNEL_ROOT looks for kernels under another root than "/" (its
// boot/ and lib/modules/: `make test-debug`'s debug kernel).
package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/split-stack/splitstack/qemu"
)

// scenarios run on every kernel, in this order; each gets a fresh guest.
// A scenario whose name has a suffix ("handoff-drain") runs the script
// without it (scenarios/handoff.sh) with env. cpus 0 means
// qemu.DefaultCPUs (2).
//
// The data-path scenarios that count a client's PAWS rejections boot one
// vCPU: single-threaded TCG runs vCPUs in turns, and a packet queued on
// the backlog of a vCPU that is not running arrives up to ~20 ms after
// later packets of its flow; the client's PAWS check then rejects it
// whoever sent it (measured: hundreds of segments with a TSval below the
// highest seen minus one in some 2-vCPU runs, none in 1-vCPU runs).
// `make stress-smp` runs the handoff scenario on two vCPUs, PAWS
// reported only.
var scenarios = []struct {
	name    string
	timeout time.Duration
	cpus    int
	env     map[string]string
}{
	{"modload", 5 * time.Minute, 0, nil},
	{"sstctl", 3 * time.Minute, 0, nil},
	{"netlink", 3 * time.Minute, 0, nil},
	{"ioctl", 3 * time.Minute, 0, nil},
	{"ctrl", 4 * time.Minute, 0, nil},
	{"passive", 5 * time.Minute, 0, nil},
	// LAN: 15 requests on one curl connection alternating OS1, OS2 and
	// the DS (0 B to 10 MB), 6 requests pipelined while an OS sends, then
	// 50 concurrent httperf sessions of 6 requests, plain and in
	// pipelined bursts.
	{"handoff", 6 * time.Minute, 1, map[string]string{"HTTPERF_CONNS": "50"}},
	{"handoff-drain", 6 * time.Minute, 1, map[string]string{"MODE": "drain", "HTTPERF_CONNS": "50"}},
	// The Go applications: sst-ds with each policy and mode over curl
	// and httperf, every body checked; a killed OS falls back.
	{"apps-path", 5 * time.Minute, 1, map[string]string{"POLICY": "path", "MODE": "handoff"}},
	{"apps-rr", 5 * time.Minute, 1, map[string]string{"POLICY": "rr", "MODE": "handoff"}},
	{"apps-hash-hetero", 5 * time.Minute, 1, map[string]string{"POLICY": "hash", "MODE": "hetero"}},
	{"apps-lard-forward", 5 * time.Minute, 1, map[string]string{"POLICY": "lard", "MODE": "forward"}},
	{"apps-fallback", 5 * time.Minute, 1, map[string]string{"POLICY": "rr", "MODE": "handoff", "FALLBACK": "1"}},
	// Faults beside bystander connections: a client that vanishes
	// mid-response, sst-ds killed mid-handoff, a client reusing its
	// port at once, rmmod refused while half-pipes live.
	{"faults", 6 * time.Minute, 1, nil},
	// WAN: 175 ms delay and 4% loss towards the client, its receive
	// buffer 16 KB; bodies up to 64 KB (a 1 MB one takes minutes here).
	{"handoff-wan", 8 * time.Minute, 1, map[string]string{
		"NETEM":  "delay 175ms loss 4%",
		"RCVBUF": "16384",
		"PATHS":  "os1/6k os2/6k local/6k os1/64k os2/64k local/64k os1/1 os1/0 os2/6k local/1",
	}},
}

func buildDir() string {
	if d := os.Getenv("SST_BUILD"); d != "" {
		return d
	}
	d, _ := filepath.Abs("../build")
	return d
}

// kernelsUnderTest returns the kernels to boot, failing the test when there
// are none: a kernel suite that boots nothing has not passed.
func kernelsUnderTest(t *testing.T) []qemu.Kernel {
	t.Helper()
	root := os.Getenv("SST_KERNEL_ROOT")
	if root == "" {
		root = "/"
	}
	all, err := qemu.KernelsIn(root)
	if err != nil {
		t.Fatalf("listing kernels: %v", err)
	}
	var want []string
	if v := strings.Fields(os.Getenv("SST_KERNELS")); len(v) > 0 {
		want = v
	} else {
		for _, k := range all {
			if _, err := os.Stat(filepath.Join(buildDir(), k.Version, "splitstack.ko")); err == nil {
				want = append(want, k.Version)
			}
		}
	}
	var ks []qemu.Kernel
	for _, v := range want {
		found := false
		for _, k := range all {
			if k.Version == v {
				ks = append(ks, k)
				found = true
			}
		}
		if !found {
			t.Fatalf("kernel %s is not installed (make deps)", v)
		}
	}
	if len(ks) == 0 {
		t.Fatalf("no kernel with a built module under %s: run make first", buildDir())
	}
	return ks
}

// guestBinaries builds the Go programs scenarios call into one directory.
func guestBinaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", dir+"/",
		"../cmd/sstctl", "../cmd/sst-ds", "../cmd/sst-os",
		"./guest/nlcheck", "./guest/ioctlcheck", "./guest/ctrlcheck", "./guest/fakeds",
		"./guest/pipeclient")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building guest binaries: %v\n%s", err, out)
	}
	return dir
}

// shortName turns "6.12.117+deb12-amd64" into "6.12".
func shortName(version string) string {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return version
	}
	return parts[0] + "." + strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' })
}

func TestKernel(t *testing.T) {
	kernels := kernelsUnderTest(t)
	bin := guestBinaries(t)
	suiteStart := time.Now()
	for _, k := range kernels {
		t.Run(shortName(k.Version), func(t *testing.T) {
			ko := filepath.Join(buildDir(), k.Version, "splitstack.ko")
			if _, err := os.Stat(ko); err != nil {
				t.Fatalf("module for %s not built: %v (run make)", k.Version, err)
			}
			for _, sc := range scenarios {
				t.Run(sc.name, func(t *testing.T) {
					runScenario(t, k, ko, bin, sc.name, sc.timeout, sc.cpus, sc.env)
				})
			}
		})
	}
	t.Logf("kernel suite: %d kernel(s) x %d scenarios in %v", len(kernels), len(scenarios),
		time.Since(suiteStart).Round(time.Second))
}

// timeoutScale is SST_TIMEOUT_SCALE (default 1): a kernel with KASAN and
// lockdep runs the scenarios several times slower.
func timeoutScale(t *testing.T) time.Duration {
	v := os.Getenv("SST_TIMEOUT_SCALE")
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("SST_TIMEOUT_SCALE=%q: want a positive integer", v)
	}
	return time.Duration(n)
}

func runScenario(t *testing.T, k qemu.Kernel, ko, bin, name string, timeout time.Duration, cpus int, env map[string]string) {
	t.Helper()
	file, _, _ := strings.Cut(name, "-")
	script, err := os.ReadFile(filepath.Join("scenarios", file+".sh"))
	if err != nil {
		t.Fatal(err)
	}
	timeout *= timeoutScale(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout+time.Minute)
	defer cancel()
	res, err := qemu.Run(ctx, qemu.Config{
		Kernel:  k,
		Module:  ko,
		Script:  string(script),
		Timeout: timeout,
		CPUs:    cpus,
		Env:     env,
		Append:  qemu.SlubDebug,
		Files: map[string]string{
			"bin": bin,
			"lib": "lib",
		},
	})
	if res != nil {
		t.Logf("%s on %s: booted in %v, run took %v, exit %d",
			name, k.Version, res.BootTime.Round(10*time.Millisecond),
			res.Duration.Round(10*time.Millisecond), res.ExitCode)
		t.Logf("scenario output:\n%s", res.Output)
	}
	if err != nil {
		if res != nil && res.Dmesg != "" {
			t.Logf("guest dmesg:\n%s", tailLines(res.Dmesg, 60))
		}
		t.Fatalf("%s on %s: %v", name, k.Version, err)
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
