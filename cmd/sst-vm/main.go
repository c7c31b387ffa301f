// Command sst-vm boots an installed Debian kernel in QEMU and runs a
// splitstack test scenario in it, or gives an interactive shell.
//
//	sst-vm -kernel 6.12 -module kmod/splitstack.ko -script scenario.sh \
//	       -file lib=tests/lib -file sstctl=bin/sstctl -timeout 5m
//	sst-vm -kernel 6.1 -shell
//	sst-vm -list
//
// See package github.com/split-stack/splitstack/qemu for how the guest is
// set up.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/split-stack/splitstack/qemu"
)

// pairs is a repeatable NAME=VALUE flag.
type pairs map[string]string

func (p pairs) String() string { return "" }

func (p pairs) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	p[k] = v
	return nil
}

const usage = `usage: sst-vm [flags] -script FILE     run a scenario in a guest
       sst-vm [flags] -c 'COMMANDS'    run inline shell commands
       sst-vm -kernel 6.1 -shell       interactive shell on the serial console
       sst-vm -list                    list bootable kernels

Boots /boot/vmlinuz-<version> under QEMU (TCG, no network), with the host's /
mounted read-only and a per-run directory at /sst holding the scenario
(/sst/scenario.sh), the module (/sst/splitstack.ko, not loaded: the scenario
runs sst_insmod from tests/lib/topo.sh) and every -file. The scenario runs in
/sst with SST=/sst and /sst, /sst/bin first in PATH; it has no network but
can build its own in namespaces (tests/lib/topo.sh).

Prints the scenario's output; on failure also the guest's dmesg (or console)
and the reason. Exit status: the scenario's, or 1 for a kernel splat, boot
failure or timeout, or 2 for bad usage.

In -shell mode, leaving the shell powers the guest off; Ctrl-A X kills QEMU.

examples:
  sst-vm -kernel 6.12 -module build/<version>/splitstack.ko \
         -file lib=tests/lib -file bin=build/bin -script tests/scenarios/modload.sh
  sst-vm -kernel 6.1 -file lib=tests/lib -script tests/lib/topo_selftest.sh
  sst-vm -kernel 6.1 -c 'uname -r; ip -br link'

flags:
`

func main() {
	os.Exit(run())
}

func run() int {
	files, env := pairs{}, pairs{}
	var (
		kernel   = flag.String("kernel", "", "kernel version prefix, e.g. 6.1 or 6.12 (default: newest)")
		module   = flag.String("module", "", "module `file` to copy to /sst/splitstack.ko")
		script   = flag.String("script", "", "scenario `file` to run (- for stdin)")
		command  = flag.String("c", "", "scenario given inline")
		shell    = flag.Bool("shell", false, "boot to an interactive shell instead of a scenario")
		timeout  = flag.Duration("timeout", qemu.DefaultTimeout, "bound on the whole run (0 with -shell: none)")
		memory   = flag.Int("memory", qemu.DefaultMemory, "guest memory in MiB")
		cpus     = flag.Int("cpus", qemu.DefaultCPUs, "guest CPUs")
		appendK  = flag.String("append", "", "extra kernel command line")
		workdir  = flag.String("workdir", "", "host `dir` to export as /sst and keep (default: temporary)")
		verbose  = flag.Bool("v", false, "stream the serial console to stderr")
		list     = flag.Bool("list", false, "list bootable kernels and exit")
		showDmsg = flag.Bool("dmesg", false, "print the guest's dmesg even on success")
	)
	flag.Var(files, "file", "`name=hostpath` to copy to /sst/name (repeatable; directories recursively)")
	flag.Var(env, "env", "`NAME=value` to export to the scenario (repeatable)")
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), usage)
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "sst-vm: unexpected arguments %q\n", flag.Args())
		flag.Usage()
		return 2
	}

	if *list {
		ks, err := qemu.Kernels()
		if err != nil {
			fmt.Fprintln(os.Stderr, "sst-vm:", err)
			return 1
		}
		for _, k := range ks {
			fmt.Printf("%s\t%s\n", k.Version, k.Image)
		}
		return 0
	}

	cfg := qemu.Config{
		Module: *module, Files: files, Env: env, Shell: *shell,
		Timeout: *timeout, Memory: *memory, CPUs: *cpus, Append: *appendK, WorkDir: *workdir,
	}
	switch n := btoi(*script != "") + btoi(*command != "") + btoi(*shell); {
	case n != 1:
		fmt.Fprintln(os.Stderr, "sst-vm: need exactly one of -script, -c, -shell")
		flag.Usage()
		return 2
	case *command != "":
		cfg.Script = *command
	case *script == "-":
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sst-vm: reading stdin:", err)
			return 1
		}
		cfg.Script = string(b)
	case *script != "":
		b, err := os.ReadFile(*script)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sst-vm:", err)
			return 2
		}
		cfg.Script = string(b)
	}
	if *shell {
		cfg.Stdin, cfg.Console = os.Stdin, os.Stdout
		if !isFlagSet("timeout") {
			cfg.Timeout = 0
		}
	} else if *verbose {
		cfg.Console = os.Stderr
	}

	k, err := qemu.FindKernel(*kernel)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sst-vm:", err)
		return 1
	}
	cfg.Kernel = k

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !*shell {
		fmt.Fprintf(os.Stderr, "sst-vm: booting %s\n", k.Version)
	}
	res, err := qemu.Run(ctx, cfg)
	if res == nil {
		fmt.Fprintln(os.Stderr, "sst-vm:", err)
		return 1
	}
	if *shell {
		return max(res.ExitCode, 0)
	}

	os.Stdout.WriteString(res.Output)
	if err != nil || *showDmsg {
		logs, what := res.Dmesg, "dmesg"
		if logs == "" {
			logs, what = res.Console, "serial console"
		}
		if !*showDmsg {
			logs, what = sinceInit(logs), what+" since init started (-dmesg: all)"
		}
		fmt.Fprintf(os.Stderr, "----- guest %s -----\n%s\n----- end of guest %s -----\n",
			what, strings.TrimRight(logs, "\n"), what)
	}
	fmt.Fprintf(os.Stderr, "sst-vm: %s: boot %v, total %v, exit status %d, %d splat(s)\n",
		k.Version, res.BootTime.Round(time.Millisecond), res.Duration.Round(time.Millisecond),
		res.ExitCode, len(res.Splats))
	if err != nil {
		for _, line := range summarize(err) {
			fmt.Fprintln(os.Stderr, "sst-vm:", line)
		}
		if errors.Is(err, qemu.ErrScenario) && len(res.Splats) == 0 && !res.TimedOut {
			return res.ExitCode
		}
		return 1
	}
	return 0
}

// sinceInit drops the kernel's boot messages: the interesting part of a
// guest log starts when the initramfs runs.
func sinceInit(log string) string {
	if i := strings.Index(log, "Run /init as init process"); i >= 0 {
		if j := strings.LastIndexByte(log[:i], '\n'); j >= 0 {
			return log[j+1:]
		}
	}
	return log
}

// summarize returns the first line of each error joined in err: the output
// and logs they quote have been printed already.
func summarize(err error) []string {
	var lines []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		first, _, _ := strings.Cut(e.Error(), "\n")
		lines = append(lines, first)
	}
	if inner := errors.Unwrap(err); inner != nil {
		walk(inner)
	} else {
		walk(err)
	}
	return lines
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func isFlagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
