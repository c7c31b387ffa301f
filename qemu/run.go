package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Defaults for Config fields left zero.
const (
	DefaultTimeout = 5 * time.Minute
	DefaultMemory  = 2048 // MiB
	DefaultCPUs    = 2
	DefaultQEMU    = "qemu-system-x86_64"
)

// GuestPath is $PATH for the scenario: /sst first, so that binaries the
// caller ships in Files win, then the host's usual directories.
const GuestPath = "/sst:/sst/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Errors wrapped by Run's error; test them with errors.Is.
var (
	ErrBoot     = errors.New("guest did not boot to the scenario")
	ErrCrash    = errors.New("guest died during the scenario")
	ErrTimeout  = errors.New("guest timed out")
	ErrScenario = errors.New("scenario failed")
	ErrSplat    = errors.New("kernel splat")
)

// Config describes one guest run.
type Config struct {
	Kernel Kernel // required; see FindKernel

	// Module is the host path of the project's module, copied to
	// /sst/splitstack.ko. Optional. Nothing loads it: the scenario does
	// (tests/lib/topo.sh has sst_insmod).
	Module string

	// Files maps names under /sst to host paths, copied before boot.
	// Directories are copied recursively.
	Files map[string]string

	// Script is the scenario, written to /sst/scenario.sh and run from /sst
	// with SST=/sst and PATH=GuestPath. A script starting with "#!" is
	// executed directly (its interpreter decides); any other is run by sh.
	// Its stdout and stderr end up in Result.Output; stdin is /dev/null.
	Script string

	// Env is exported to the scenario (or shell).
	Env map[string]string

	// Shell replaces Script with an interactive shell on the serial
	// console, connected to Stdin and Console. Leaving the shell powers the
	// guest off; Ctrl-A X kills QEMU.
	Shell bool
	Stdin io.Reader // shell input; a terminal is put in raw mode by QEMU

	// Timeout bounds the whole run, boot included (default
	// DefaultTimeout; no bound for Shell). A little earlier (a quarter of
	// it, at most 30 s) the guest is told to kill the scenario, so that
	// dmesg is still collected; QEMU is killed at Timeout.
	Timeout time.Duration

	Memory int    // MiB (default DefaultMemory)
	CPUs   int    // default DefaultCPUs
	Append string // extra kernel command line arguments (see SlubDebug)

	// Console, if set, receives the serial console as it is produced.
	Console io.Writer

	// NICs are virtio-net devices, each one end of a point-to-point link
	// to another guest (see Link). In the guest they are eth0, eth1, ...
	// in this order, once the scenario has run `modprobe virtio_net`.
	NICs []NIC

	// WorkDir is the host directory exported as /sst. Empty: a temporary
	// directory, removed after the run. A caller-provided directory is kept
	// (scenario artifacts stay there); .sst/ inside it is harness state.
	WorkDir string

	CacheDir string // initramfs cache (default $XDG_CACHE_HOME/splitstack)
	QEMU     string // QEMU binary (default DefaultQEMU)
}

// Result is what came back from the guest. Run returns it whenever QEMU
// ran, even together with an error.
type Result struct {
	ExitCode int           // scenario (or shell) exit status; -1 if it did not finish
	Output   string        // scenario stdout+stderr
	Dmesg    string        // guest kernel log, captured after the scenario
	Console  string        // serial console: boot log, markers, kernel messages
	BootTime time.Duration // QEMU start until the scenario started
	Duration time.Duration // whole run
	Splats   []string      // see DetectSplats; from Dmesg and Console
	TimedOut bool          // the guest or the host timeout fired
}

// SlubDebug is the kernel argument that turns on SLUB's sanity checks,
// red zones, poisoning and user tracking; the kernel tests add it to every
// guest (Config.Append). Its poison found credits built on uncleared skb
// memory (docs/design.md).
const SlubDebug = "slub_debug=FZPU"

// Console markers printed by init.sh (markerReady also times the boot).
const (
	markerReady   = "SST-GUEST-READY"
	markerTimeout = "SST-GUEST-TIMEOUT"
	markerFailed  = "SST-GUEST-FAILED"
)

// Run boots cfg.Kernel in QEMU and runs the scenario. The error is non-nil
// when the guest failed to boot, the run timed out, the scenario exited
// non-zero or the kernel splatted; it wraps ErrBoot, ErrCrash, ErrTimeout,
// ErrScenario and/or ErrSplat and quotes the relevant log tail.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Kernel.Image == "" {
		return nil, errNoKernel
	}
	if cfg.Script == "" && !cfg.Shell {
		return nil, errors.New("qemu: Config.Script is empty")
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("qemu: negative Config.Timeout %v", cfg.Timeout)
	}
	if cfg.Timeout == 0 && !cfg.Shell {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Memory == 0 {
		cfg.Memory = DefaultMemory
	}
	if cfg.CPUs == 0 {
		cfg.CPUs = DefaultCPUs
	}
	if cfg.QEMU == "" {
		cfg.QEMU = DefaultQEMU
	}
	qemuPath, err := exec.LookPath(cfg.QEMU)
	if err != nil {
		return nil, fmt.Errorf("qemu: %w (install qemu-system-x86)", err)
	}
	initrd, err := Initramfs(cfg.Kernel, cfg.CacheDir)
	if err != nil {
		return nil, fmt.Errorf("qemu: %w", err)
	}

	dir := cfg.WorkDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "sst-vm-*"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	if err := prepareWorkDir(dir, cfg); err != nil {
		return nil, fmt.Errorf("qemu: preparing %s: %w", dir, err)
	}

	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, qemuPath, qemuArgs(cfg, initrd, dir)...)
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	con := &consoleWatcher{out: cfg.Console}
	cmd.Stdout = con
	if cfg.Shell {
		cmd.Stdin = cfg.Stdin
	}

	res := &Result{ExitCode: -1}
	start := time.Now()
	con.start = start
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("qemu: %w", err)
	}
	if !cfg.Shell {
		stop := time.AfterFunc(stopAfter(cfg.Timeout), func() {
			os.WriteFile(filepath.Join(dir, ".sst", "stop"), nil, 0o644)
		})
		defer stop.Stop()
	}
	runErr := cmd.Wait()
	res.Duration = time.Since(start)
	res.Console, res.BootTime = con.result()
	readResults(filepath.Join(dir, ".sst"), res)
	res.TimedOut = res.TimedOut || errors.Is(ctx.Err(), context.DeadlineExceeded)
	res.Splats = DetectSplats(res.Dmesg, res.Console)
	return res, runError(cfg, res, ctx.Err(), runErr, stderr.String())
}

// readResults fills res from what the guest left in the state directory
// (any of it may be missing if the guest died).
func readResults(state string, res *Result) {
	res.Output = readOptional(filepath.Join(state, "output"))
	res.Dmesg = readOptional(filepath.Join(state, "dmesg"))
	if s := strings.TrimSpace(readOptional(filepath.Join(state, "exitcode"))); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			res.ExitCode = n
		}
	}
	if _, err := os.Stat(filepath.Join(state, "timedout")); err == nil {
		res.TimedOut = true
	}
}

// runError turns what happened into Run's error (nil if all went well).
func runError(cfg Config, res *Result, ctxErr, qemuErr error, qemuStderr string) error {
	var errs []error
	switch {
	case ctxErr != nil:
		when := "before the scenario started"
		switch {
		case res.ExitCode >= 0:
			when = fmt.Sprintf("after the scenario exited with status %d", res.ExitCode)
		case res.BootTime > 0:
			when = "while the scenario was running"
		}
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			errs = append(errs, fmt.Errorf("%w: killed QEMU after %v, %s\nconsole tail:\n%s",
				ErrTimeout, res.Duration.Round(time.Second), when, tail(res.Console, 40)))
		} else {
			errs = append(errs, fmt.Errorf("run stopped (%w), %s", ctxErr, when))
		}
	case res.ExitCode < 0:
		why := "QEMU exited"
		if qemuErr != nil {
			why = fmt.Sprintf("QEMU: %v", qemuErr)
		}
		if s := strings.TrimSpace(qemuStderr); s != "" {
			why += "; stderr:\n" + tail(s, 20)
		}
		sentinel := ErrBoot
		if res.BootTime > 0 {
			sentinel = ErrCrash
		}
		errs = append(errs, fmt.Errorf("%w (%s)\nconsole tail:\n%s", sentinel, why, tail(res.Console, 40)))
	case res.TimedOut:
		errs = append(errs, fmt.Errorf("%w: the scenario was still running %v after QEMU started\noutput tail:\n%s",
			ErrTimeout, stopAfter(cfg.Timeout), tail(res.Output, 30)))
	case res.ExitCode != 0 && !cfg.Shell:
		errs = append(errs, fmt.Errorf("%w: exit status %d\noutput tail:\n%s",
			ErrScenario, res.ExitCode, tail(res.Output, 30)))
	}
	if len(res.Splats) > 0 {
		errs = append(errs, fmt.Errorf("%w (%d): %s", ErrSplat, len(res.Splats), strings.Join(res.Splats, "; ")))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("qemu: kernel %s: %w", cfg.Kernel.Version, errors.Join(errs...))
}

// stopAfter is when, counted from QEMU's start, the guest is told to kill
// the scenario: the whole timeout less time to collect dmesg and power off
// (a quarter of it, at most 30 s).
func stopAfter(total time.Duration) time.Duration {
	return total - min(total/4, 30*time.Second)
}

// qemuArgs builds the QEMU command line: TCG, no network, no display, serial
// console on stdio, the host root read-only and dir writable over 9p.
func qemuArgs(cfg Config, initrd, dir string) []string {
	// Debian's kernels have no KASAN: zeroing on free and KFENCE
	// sampling (6.12) catch what they can of use-after-free; callers add
	// SlubDebug.
	cmdline := "console=ttyS0,115200 rdinit=/init panic=-1 panic_on_warn=1 oops=panic " +
		"log_buf_len=4M printk.devkmsg=on init_on_free=1 kfence.sample_interval=100"
	if cfg.Append != "" {
		cmdline += " " + cfg.Append
	}
	serial := "stdio"
	if cfg.Shell {
		serial = "mon:stdio" // Ctrl-A X quits, Ctrl-C goes to the guest
	}
	return append([]string{
		"-nodefaults", "-no-user-config", "-no-reboot", "-display", "none",
		// Single-threaded TCG: with one host thread per vCPU (MTTCG) a
		// kernel patching its own text (static keys, text_poke_bp) races
		// with the other vCPU and dies on a stray int3, about one boot in
		// eight on 6.12.
		"-accel", "tcg,thread=single", "-cpu", "max",
		"-smp", strconv.Itoa(cfg.CPUs), "-m", strconv.Itoa(cfg.Memory),
		"-kernel", cfg.Kernel.Image, "-initrd", initrd, "-append", cmdline,
		"-serial", serial,
		"-nic", "none",
		"-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
		"-virtfs", "local,path=" + qemuEscape(dir) + ",mount_tag=sst,security_model=none,multidevs=remap",
	}, nicArgs(cfg.NICs)...)
}

// qemuEscape doubles commas, QEMU's option separator.
func qemuEscape(s string) string { return strings.ReplaceAll(s, ",", ",,") }

// prepareWorkDir fills dir (exported as /sst) with the scenario, module,
// files and the harness state directory .sst/.
func prepareWorkDir(dir string, cfg Config) error {
	state := filepath.Join(dir, ".sst")
	if err := os.RemoveAll(state); err != nil {
		return err
	}
	if err := os.MkdirAll(state, 0o755); err != nil {
		return err
	}
	if !cfg.Shell {
		if err := os.WriteFile(filepath.Join(dir, scenarioName), []byte(cfg.Script), 0o755); err != nil {
			return err
		}
	}
	if cfg.Module != "" {
		if err := copyPath(filepath.Join(dir, moduleFile), cfg.Module); err != nil {
			return fmt.Errorf("module: %w", err)
		}
	}
	names := make([]string, 0, len(cfg.Files))
	for name := range cfg.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := checkGuestName(name); err != nil {
			return err
		}
		dst := filepath.Join(dir, name)
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
		if err := copyPath(dst, cfg.Files[name]); err != nil {
			return fmt.Errorf("file %s: %w", name, err)
		}
	}

	mode, term := "run", "dumb"
	if cfg.Shell {
		mode, term = "shell", os.Getenv("TERM")
		if term == "" {
			term = "vt100"
		}
	}
	params := fmt.Sprintf("SST_MODE=%s\nSST_PATH=%s\nSST_TERM=%s\n",
		mode, shQuote(GuestPath), shQuote(term))
	if err := os.WriteFile(filepath.Join(state, "params"), []byte(params), 0o644); err != nil {
		return err
	}
	run, err := runScript(cfg)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(state, "run"), []byte(run), 0o644)
}

// runScript is /sst/.sst/run, executed by /bin/sh inside the chroot.
func runScript(cfg Config) (string, error) {
	var b strings.Builder
	b.WriteString("# Generated by github.com/split-stack/splitstack/qemu.\n")
	keys := make([]string, 0, len(cfg.Env))
	for k := range cfg.Env {
		if !validEnvName(k) {
			return "", fmt.Errorf("env: invalid variable name %q", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "export %s=%s\n", k, shQuote(cfg.Env[k]))
	}
	b.WriteString("cd /sst || exit 1\n")
	switch {
	case cfg.Shell:
		if f, ok := cfg.Stdin.(*os.File); ok {
			if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Row > 0 {
				fmt.Fprintf(&b, "stty rows %d cols %d 2>/dev/null\n", ws.Row, ws.Col)
			}
		}
		b.WriteString(`echo "splitstack guest $(uname -r): run dir /sst; exit powers off, Ctrl-A X kills QEMU"` + "\n")
		b.WriteString("[ -x /bin/bash ] && exec /bin/bash -i\nexec /bin/sh -i\n")
	case strings.HasPrefix(cfg.Script, "#!"):
		b.WriteString("exec /sst/" + scenarioName + "\n")
	default:
		b.WriteString("exec /bin/sh /sst/" + scenarioName + "\n")
	}
	return b.String(), nil
}

func readOptional(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines omitted]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// consoleWatcher records the serial console (CRs dropped), copies it to
// out, and notes when the ready marker went by.
type consoleWatcher struct {
	out   io.Writer
	start time.Time

	mu      sync.Mutex
	buf     bytes.Buffer
	scanned int // bytes of buf already searched for the marker
	ready   time.Duration
}

func (c *consoleWatcher) Write(p []byte) (int, error) {
	if c.out != nil {
		c.out.Write(p) // a slow or broken viewer must not stop the guest
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(bytes.ReplaceAll(p, []byte("\r"), nil))
	if c.ready == 0 {
		b := c.buf.Bytes()
		from := max(0, c.scanned-len(markerReady))
		if bytes.Contains(b[from:], []byte(markerReady)) {
			c.ready = time.Since(c.start)
		}
		c.scanned = len(b)
	}
	return len(p), nil
}

func (c *consoleWatcher) result() (string, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String(), c.ready
}
