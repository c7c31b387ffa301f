package tests

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/split-stack/splitstack/qemu"
)

// clusterCases run on a cluster of guests, one kernel per node (DS with
// the client and router, OS1, OS2), for every kernel: the deployment the
// one-guest scenarios only imitate. cpus is each guest's vCPU count.
//
// Tolerated counters: retransmissions and PAWS rejections at the client
// are printed, not asserted, on two vCPUs and across guests: packets of
// one flow from two senders (an OS, and the DS's own ACKs) reorder by
// design, and so do packets queued on the backlog of a vCPU that TCG is
// not running. A hang, a failed client or a wrong byte fails the case.
var clusterCases = []struct {
	name    string
	timeout time.Duration
	cpus    int
	env     map[string]string
	dies    int // a guest (index: 1 is OS1) that the case powers off
}{
	// The report of issue 12: 20 concurrent keep-alive connections, each
	// fetching 0 B, 1 B, 6 KB, 64 KB, 1 MB and 10 MB in turn.
	{"lan", 8 * time.Minute, 1, map[string]string{"CONNS": "20"}, 0},
	// The same on two vCPUs per guest, smaller bodies.
	{"lan-smp", 8 * time.Minute, 2, map[string]string{"CONNS": "20", "PATHS": "0 1 6k 64k 1m 64k"}, 0},
	// 10% loss and reordering on the DS's links to the OSes: SETUPs,
	// RESETs, credits and ACK_NOWs lost or overtaken (LANEM).
	{"lossy-ctrl", 8 * time.Minute, 1, map[string]string{"CONNS": "10", "PATHS": "0 6k 64k 1m 64k 6k",
		"LANEM": "delay 2ms reorder 25% 50% loss 10%"}, 0},
	// Faults (see FAULT in scenarios/cluster.sh): OS1's guest powers off
	// mid-response; rmmod on the DS with a half-pipe still pending.
	{"oskill", 5 * time.Minute, 1, map[string]string{"FAULT": "oskill"}, 1},
	{"rmmod", 5 * time.Minute, 1, map[string]string{"FAULT": "rmmod"}, 0},
}

func itoa(n int) string { return strconv.Itoa(n) }

// clusterContent writes the files the cluster serves (the same on every
// node) into a new directory.
func clusterContent(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, size := range map[string]int{"0": 0, "1": 1, "6k": 6144, "64k": 65536, "1m": 1 << 20, "10m": 10 << 20} {
		b := make([]byte, size)
		rand.Read(b)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// /os1/NAME and /os2/NAME for sst-ds's path policy (the FAULT cases).
	for _, node := range []string{"os1", "os2"} {
		if err := os.Symlink(".", filepath.Join(dir, node)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCluster(t *testing.T) {
	kernels := kernelsUnderTest(t)
	bin := guestBinaries(t)
	www := clusterContent(t)
	script, err := os.ReadFile("scenarios/cluster.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kernels {
		t.Run(shortName(k.Version), func(t *testing.T) {
			ko := filepath.Join(buildDir(), k.Version, "splitstack.ko")
			if _, err := os.Stat(ko); err != nil {
				t.Fatalf("module for %s not built: %v (run make)", k.Version, err)
			}
			for _, cc := range clusterCases {
				t.Run(cc.name, func(t *testing.T) {
					runCluster(t, k, ko, bin, www, string(script), cc.timeout, cc.cpus, cc.env, cc.dies)
				})
			}
		})
	}
}

func runCluster(t *testing.T, k qemu.Kernel, ko, bin, www, script string, timeout time.Duration, cpus int, env map[string]string, dies int) {
	key := make([]byte, 32)
	rand.Read(key)
	links := t.TempDir()
	ds0, os1 := qemu.Link(links, 0)
	ds1, os2 := qemu.Link(links, 1)
	roles := []struct {
		name string
		nics []qemu.NIC
	}{
		{"ds", []qemu.NIC{ds0, ds1}},
		{"os1", []qemu.NIC{os1}},
		{"os2", []qemu.NIC{os2}},
	}
	var cfgs []qemu.Config
	for i, r := range roles {
		e := map[string]string{"SST_ROLE": r.name, "SST_KEY": hex.EncodeToString(key)}
		for k, v := range env {
			e[k] = v
		}
		to := timeout
		if i > 0 {
			to += 2 * time.Minute // they wait for the DS, then check
		}
		cfgs = append(cfgs, qemu.Config{
			Kernel:  k,
			Module:  ko,
			Script:  script,
			Timeout: to,
			CPUs:    cpus,
			Env:     e,
			NICs:    r.nics,
			Memory:  1536,
			Append:  qemu.SlubDebug,
			Files:   map[string]string{"bin": bin, "lib": "lib", "www": www},
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+3*time.Minute)
	defer cancel()
	results, errs := qemu.RunCluster(ctx, cfgs)
	failed := false
	for i, res := range results {
		err := errs[i]
		if dies > 0 && i == dies {
			// Powered off on purpose: QEMU exits before the scenario.
			if err == nil || !errors.Is(err, qemu.ErrCrash) || (res != nil && len(res.Splats) > 0) {
				t.Errorf("%s guest should have died mid-run (crash, no splat), got: %v", roles[i].name, err)
			}
			err = nil
		}
		if res != nil {
			t.Logf("%s guest on %s (%d vCPUs): booted in %v, run took %v, exit %d", roles[i].name, k.Version,
				cpus, res.BootTime.Round(10*time.Millisecond), res.Duration.Round(10*time.Millisecond), res.ExitCode)
			t.Logf("%s output:\n%s", roles[i].name, res.Output)
			if err != nil && res.Dmesg != "" {
				t.Logf("%s dmesg:\n%s", roles[i].name, tailLines(res.Dmesg, 40))
			}
		}
		if err != nil {
			t.Errorf("%s guest on %s: %v", roles[i].name, k.Version, err)
			failed = true
		}
	}
	if failed {
		t.FailNow()
	}
}
