// Command sst-demo boots the demo cluster in a QEMU guest: a client, a
// router with netem, a designated server and two optimal servers, each in
// its own network namespace, with splitstack.ko loaded and configured on
// the servers, and drives real curl and httperf traffic through the
// service address. It prints progress as the guest reports it, then the
// guest's full output. `make demo` builds everything and runs it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/split-stack/splitstack/qemu"
)

func main() {
	kernel := flag.String("kernel", "", "kernel version prefix to boot, e.g. 6.1 or 6.12 (default: newest installed)")
	build := flag.String("build", envOr("SST_BUILD", "build"), "build directory holding <kernel-version>/splitstack.ko and bin/")
	root := flag.String("root", ".", "repository root (for tests/lib and tests/scenarios)")
	timeout := flag.Duration("timeout", 10*time.Minute, "bound for the whole run")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: sst-demo [flags]\n\n"+
			"Boots the Split-Stack demo cluster in QEMU and runs real clients against it.\n"+
			"Run `make` first (or use `make demo`).\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*kernel, *build, *root, *timeout); err != nil {
		fmt.Fprintf(os.Stderr, "sst-demo: %v\n", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run(kernel, build, root string, timeout time.Duration) error {
	k, err := qemu.FindKernel(kernel)
	if err != nil {
		return err
	}
	ko := filepath.Join(build, k.Version, "splitstack.ko")
	for _, p := range []string{ko, filepath.Join(build, "bin", "sstctl")} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%v (run make first)", err)
		}
	}
	script, err := os.ReadFile(filepath.Join(root, "tests", "scenarios", "demo.sh"))
	if err != nil {
		return err
	}

	fmt.Printf("sst-demo: booting %s under QEMU (TCG); this takes a few minutes\n", k.Version)
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go showProgress(pr, done)

	ctx, cancel := context.WithTimeout(context.Background(), timeout+time.Minute)
	defer cancel()
	res, err := qemu.Run(ctx, qemu.Config{
		Kernel:  k,
		Module:  ko,
		Script:  string(script),
		Timeout: timeout,
		// One vCPU: single-threaded TCG runs vCPUs in turns and
		// reorders a flow's packets across them by up to ~20 ms, which
		// no real link does (see tests/kernel_test.go).
		CPUs:    1,
		Console: pw,
		Files: map[string]string{
			"bin": filepath.Join(build, "bin"),
			"lib": filepath.Join(root, "tests", "lib"),
		},
	})
	pw.Close()
	<-done
	if res != nil {
		fmt.Printf("\n===== guest output (%s, booted in %v, ran %v) =====\n%s",
			k.Version, res.BootTime.Round(100*time.Millisecond),
			res.Duration.Round(100*time.Millisecond), res.Output)
	}
	if err != nil {
		if errors.Is(err, qemu.ErrSplat) && res != nil {
			fmt.Println(strings.Join(res.Splats, "\n"))
		}
		return err
	}
	fmt.Println("sst-demo: done, no kernel warnings")
	return nil
}

// showProgress prints the guest's "demo:" lines from the serial console as
// they arrive.
func showProgress(r io.Reader, done chan<- struct{}) {
	defer close(done)
	sc := bufio.NewScanner(r)
	start := time.Now()
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if i := strings.Index(line, "demo: "); i >= 0 {
			fmt.Printf("[%5.1fs] %s\n", time.Since(start).Seconds(), line[i+len("demo: "):])
		}
	}
	io.Copy(io.Discard, r)
}
