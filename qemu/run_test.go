package qemu

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPrepareWorkDir(t *testing.T) {
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "splitstack.ko"), "KO")
	writeFile(t, filepath.Join(src, "lib", "topo.sh"), "topo")
	writeFile(t, filepath.Join(src, "lib", "sub", "x.sh"), "x")
	if err := os.Symlink("topo.sh", filepath.Join(src, "lib", "link.sh")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(src, "sstctl"), "BIN")
	os.Chmod(filepath.Join(src, "sstctl"), 0o755)

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".sst", "exitcode"), "0") // stale state from an earlier run
	cfg := Config{
		Module: filepath.Join(src, "splitstack.ko"),
		Files: map[string]string{
			"lib":        filepath.Join(src, "lib"),
			"bin/sstctl": filepath.Join(src, "sstctl"),
		},
		Script:  "echo hi\n",
		Env:     map[string]string{"CYCLES": "3", "MSG": "it's"},
		Timeout: 2 * time.Minute,
	}
	if err := prepareWorkDir(dir, cfg); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"scenario.sh":   "echo hi\n",
		"splitstack.ko": "KO",
		"lib/topo.sh":   "topo",
		"lib/sub/x.sh":  "x",
		"bin/sstctl":    "BIN",
	} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "bin/sstctl")); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("bin/sstctl mode: %v %v", st.Mode(), err)
	}
	if l, err := os.Readlink(filepath.Join(dir, "lib/link.sh")); err != nil || l != "topo.sh" {
		t.Errorf("lib/link.sh: %q %v", l, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".sst", "exitcode")); !os.IsNotExist(err) {
		t.Error("stale .sst/exitcode survived")
	}
	params, _ := os.ReadFile(filepath.Join(dir, ".sst", "params"))
	for _, want := range []string{"SST_MODE=run\n", "SST_PATH='" + GuestPath + "'\n"} {
		if !strings.Contains(string(params), want) {
			t.Errorf("params lack %q:\n%s", want, params)
		}
	}
	run, _ := os.ReadFile(filepath.Join(dir, ".sst", "run"))
	for _, want := range []string{"export CYCLES='3'\n", `export MSG='it'\''s'` + "\n", "exec /bin/sh /sst/scenario.sh\n"} {
		if !strings.Contains(string(run), want) {
			t.Errorf("run script lacks %q:\n%s", want, run)
		}
	}
}

func TestPrepareWorkDirErrors(t *testing.T) {
	for _, name := range []string{"", "/etc", "../x", "a/../../x", ".sst", ".sst/params", "scenario.sh", "splitstack.ko", "a//b"} {
		cfg := Config{Script: "true", Files: map[string]string{name: "/dev/null"}}
		if err := prepareWorkDir(t.TempDir(), cfg); err == nil {
			t.Errorf("file name %q accepted", name)
		}
	}
	cfg := Config{Script: "true", Env: map[string]string{"A-B": "x"}}
	if err := prepareWorkDir(t.TempDir(), cfg); err == nil {
		t.Error("env name A-B accepted")
	}
	cfg = Config{Script: "true", Module: "/nonexistent/splitstack.ko"}
	if err := prepareWorkDir(t.TempDir(), cfg); err == nil || !strings.Contains(err.Error(), "module") {
		t.Errorf("missing module: %v", err)
	}
}

func TestRunScript(t *testing.T) {
	s, err := runScript(Config{Script: "#!/bin/bash\necho hi\n"})
	if err != nil || !strings.Contains(s, "exec /sst/scenario.sh\n") {
		t.Errorf("shebang script run as %q (%v)", s, err)
	}
	s, err = runScript(Config{Shell: true})
	if err != nil || !strings.Contains(s, "bash -i") {
		t.Errorf("shell: %q (%v)", s, err)
	}
}

func TestQEMUArgs(t *testing.T) {
	cfg := Config{Kernel: Kernel{Image: "/boot/vmlinuz-6.1"}, CPUs: 2, Memory: 1024, Append: "foo=1"}
	args := qemuArgs(cfg, "/cache/initrd.gz", "/tmp/run,1")
	joined := strings.Join(args, " ")
	for _, want := range []string{
		"-nodefaults", "-no-reboot", "-accel tcg", "-cpu max", "-smp 2", "-m 1024", "-nic none",
		"-kernel /boot/vmlinuz-6.1", "-initrd /cache/initrd.gz", "-serial stdio",
		"local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
		"local,path=/tmp/run,,1,mount_tag=sst,",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("qemu args lack %q: %s", want, joined)
		}
	}
	if slices.Contains(args, "-enable-kvm") || strings.Contains(joined, "accel kvm") {
		t.Error("KVM requested")
	}
	i := slices.Index(args, "-append")
	if i < 0 {
		t.Fatal("no -append")
	}
	for _, want := range []string{"console=ttyS0", "rdinit=/init", "panic_on_warn=1", "oops=panic", "panic=-1", "foo=1"} {
		if !strings.Contains(args[i+1], want) {
			t.Errorf("kernel command line lacks %q: %s", want, args[i+1])
		}
	}
	cfg.Shell = true
	if !strings.Contains(strings.Join(qemuArgs(cfg, "i", "d"), " "), "-serial mon:stdio") {
		t.Error("shell mode: want the monitor muxed on stdio")
	}
}

func TestStopAfter(t *testing.T) {
	for total, want := range map[time.Duration]time.Duration{
		5 * time.Minute:  270 * time.Second,
		2 * time.Minute:  90 * time.Second,
		20 * time.Second: 15 * time.Second,
	} {
		if got := stopAfter(total); got != want {
			t.Errorf("stopAfter(%v) = %v, want %v", total, got, want)
		}
	}
}

func TestRunError(t *testing.T) {
	cfg := Config{Kernel: Kernel{Version: "6.1.0-56-amd64"}, Timeout: time.Minute}
	ok := &Result{ExitCode: 0, BootTime: time.Second}
	if err := runError(cfg, ok, nil, nil, ""); err != nil {
		t.Errorf("clean run: %v", err)
	}
	for _, tc := range []struct {
		name   string
		res    Result
		ctxErr error
		want   []error
		text   string
	}{
		{"scenario", Result{ExitCode: 3, BootTime: time.Second, Output: "boom\n"}, nil,
			[]error{ErrScenario}, "exit status 3"},
		{"splat", Result{ExitCode: 0, BootTime: time.Second, Splats: []string{"WARNING: x"}}, nil,
			[]error{ErrSplat}, "WARNING: x"},
		{"boot", Result{ExitCode: -1, Console: "no init found"}, nil,
			[]error{ErrBoot}, "no init found"},
		{"crash", Result{ExitCode: -1, BootTime: time.Second, Splats: []string{"Kernel panic - not syncing: x"}}, nil,
			[]error{ErrCrash, ErrSplat}, "Kernel panic"},
		{"host timeout", Result{ExitCode: -1, BootTime: time.Second, TimedOut: true, Console: "last words"},
			context.DeadlineExceeded, []error{ErrTimeout}, "last words"},
		{"guest timeout", Result{ExitCode: 143, BootTime: time.Second, TimedOut: true, Output: "slow"}, nil,
			[]error{ErrTimeout}, "slow"},
	} {
		err := runError(cfg, &tc.res, tc.ctxErr, nil, "")
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !errors.Is(err, w) {
				t.Errorf("%s: %v is not %v", tc.name, err, w)
			}
		}
		if !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), "6.1.0-56-amd64") {
			t.Errorf("%s: error %q lacks %q or the kernel version", tc.name, err, tc.text)
		}
		if tc.name != "scenario" && errors.Is(err, ErrScenario) {
			t.Errorf("%s: also reported as a scenario failure: %v", tc.name, err)
		}
	}
}

func TestConsoleWatcher(t *testing.T) {
	var copy strings.Builder
	c := &consoleWatcher{out: &copy, start: time.Now().Add(-time.Second)}
	// The marker split across writes, CRLF line ends.
	for _, chunk := range []string{"[ 1.0] boot\r\n", "SST-GUEST-RE", "ADY 6.1\r\n", "SST-GUEST-EXIT rc=0\r\n"} {
		c.Write([]byte(chunk))
	}
	log, ready := c.result()
	if ready < time.Second {
		t.Errorf("ready marker not seen (%v)", ready)
	}
	if strings.Contains(log, "\r") || !strings.Contains(log, "SST-GUEST-READY 6.1\n") {
		t.Errorf("console log %q", log)
	}
	if !strings.Contains(copy.String(), "\r\n") {
		t.Error("the live copy should be passed through unchanged")
	}
}

func TestTail(t *testing.T) {
	if got := tail("a\nb\nc\n", 2); got != "[... 1 lines omitted]\nb\nc" {
		t.Errorf("tail = %q", got)
	}
	if got := tail("a\n", 5); got != "a" {
		t.Errorf("tail = %q", got)
	}
}
