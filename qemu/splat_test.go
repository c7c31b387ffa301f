package qemu

import (
	"strings"
	"testing"
)

func TestDetectSplatsPositive(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"[   12.345678] WARNING: CPU: 1 PID: 230 at net/splitstack/peer.c:88 sst_peer_put+0x3c/0x50 [splitstack]",
			"WARNING: CPU: 1 PID: 230 at net/splitstack/peer.c:88 sst_peer_put+0x3c/0x50 [splitstack]"},
		{"[    7.882801] Kernel panic - not syncing: sysrq triggered crash", ""},
		{"[   10.000000] BUG: kernel NULL pointer dereference, address: 0000000000000008", ""},
		{"[   10.000000] BUG: sleeping function called from invalid context at mm/slab.h:742", ""},
		{"[   10.000000] BUG: KASAN: slab-use-after-free in sst_rx+0x1/0x2", ""},
		{"[   10.000000] watchdog: BUG: soft lockup - CPU#0 stuck for 26s! [sh:150]", ""},
		{"[   10.000000] kernel BUG at net/core/skbuff.c:4211!", ""},
		{"[   10.000000] Oops: 0002 [#1] PREEMPT SMP NOPTI", ""},
		{"[   10.000000] Oops: general protection fault, probably for non-canonical address 0xdead: 0000 [#1]", ""},
		{"[   10.000000] general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] SMP", ""},
		{"[   10.000000] WARNING: possible circular locking dependency detected", ""},
		{"[   10.000000] WARNING: possible recursive locking detected", ""},
		{"[   10.000000] WARNING: inconsistent lock state", ""},
		{"[   10.000000] WARNING: suspicious RCU usage", ""},
		{"[   10.000000] UBSAN: array-index-out-of-bounds in net/splitstack/peer.c:12:3", ""},
		{"[   10.000000] refcount_t: underflow; use-after-free.", ""},
		{"[   10.000000] list_add corruption. prev->next should be next (ffff8880), but was 0000. (prev=ffff8880).", ""},
		{"[   10.000000] list_del corruption, ffff888003a0c0c8->next is LIST_POISON1 (dead000000000100)", ""},
		{"unreferenced object 0xffff888005a3c000 (size 64):", ""},
		{"[   10.000000] BUG kmalloc-64 (Tainted: G           OE     ): Poison overwritten", ""},
		{"[   10.000000] BUG skbuff_head_cache (Not tainted): Redzone overwritten", ""},
		{"[   10.000000] INFO: 0xffff8880 -0xffff8881 @offset=64. First byte 0x0 instead of 0xcc Redzone", ""},
		{"[   10.000000] BUG: KFENCE: use-after-free read in sst_act_gc+0x1/0x2", ""},
		{"[  245.123456] INFO: task sstctl:312 blocked for more than 120 seconds.", ""},
		{"[   30.000000] rcu: INFO: rcu_preempt self-detected stall on CPU", ""},
		{"[   30.000000] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:", ""},
		// dmesg -x style and caller ids
		{"<4>[   12.345678] WARNING: CPU: 0 PID: 1 at x.c:1 f+0x0/0x0", "WARNING: CPU: 0 PID: 1 at x.c:1 f+0x0/0x0"},
		{"[   12.345678] [    T230] WARNING: CPU: 0 PID: 230 at x.c:1 f+0x0/0x0", "WARNING: CPU: 0 PID: 230 at x.c:1 f+0x0/0x0"},
		{"[   12.345678] BUG: scheduling while atomic: swapper/0/0/0x00000002\r", "BUG: scheduling while atomic: swapper/0/0/0x00000002"},
	} {
		got := DetectSplats(tc.line)
		want := tc.want
		if want == "" {
			want = strings.TrimSpace(stripPrintk(tc.line))
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("DetectSplats(%q) = %q, want [%q]", tc.line, got, want)
		}
	}
}

func TestDetectSplatsNegative(t *testing.T) {
	log := `[    0.000000] Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org)
[    0.044000] tsc: Unable to calibrate against PIT
[    0.000605] tsc: Marking TSC unstable due to TSCs unsynchronized
[    0.814906] PCI: Using host bridge windows from ACPI; if necessary, use "pci=nocrs" and report a bug
[    1.637830] AMD-Vi: AMD IOMMUv2 functionality not available on this system - This is not a bug.
[    1.835455] RAS: Correctable Errors collector initialized.
[    2.259097] Unstable clock detected, switching default tracing clock to "global"
[    5.339091] bridge: filtering via arp/ip/ip6tables is no longer available by default.
[    6.100000] splitstack: loading out-of-tree module taints kernel.
[    6.100001] splitstack: module verification failed: signature and/or required key missing - tainting kernel
[    6.200000] splitstack: warning: peer 10.0.1.3 unreachable
[    6.300000] sysrq: Power Off
[    6.400000] reboot: Power down
SST-GUEST-READY 6.1.0-56-amd64
SST-GUEST-EXIT rc=0
`
	if got := DetectSplats(log); len(got) != 0 {
		t.Errorf("DetectSplats(benign log) = %q, want none", got)
	}
}

func TestDetectSplatsTraceAndDedup(t *testing.T) {
	warn := `[   12.000000] ------------[ cut here ]------------
[   12.000001] WARNING: CPU: 1 PID: 230 at net/splitstack/peer.c:88 sst_peer_put+0x3c/0x50 [splitstack]
[   12.000002] Modules linked in: splitstack(OE) 9p
[   12.000003] CPU: 1 PID: 230 Comm: sstctl Tainted: G           OE      6.1.0-56-amd64 #1
[   12.000004] RIP: 0010:sst_peer_put+0x3c/0x50 [splitstack]
[   12.000005] Call Trace:
[   12.000006]  <TASK>
[   12.000007]  sst_nl_peer_del+0x55/0x80 [splitstack]
[   12.000008]  </TASK>
[   12.000009] ---[ end trace 0000000000000000 ]---
[   12.000010] Kernel panic - not syncing: kernel: panic_on_warn set ...
`
	// The same splat in dmesg and on the console is reported once; the
	// trace that belongs to the WARNING is not a splat of its own.
	got := DetectSplats(warn, warn)
	want := []string{
		"WARNING: CPU: 1 PID: 230 at net/splitstack/peer.c:88 sst_peer_put+0x3c/0x50 [splitstack]",
		"Kernel panic - not syncing: kernel: panic_on_warn set ...",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q\nwant %q", got, want)
	}

	// A bare dump_stack() is reported, naming what preceded it.
	dump := `[   20.000000] splitstack: unexpected state 3
[   20.000001] CPU: 0 PID: 99 Comm: sh Tainted: G           OE      6.1.0-56-amd64 #1
[   20.000002] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996)
[   20.000003] Call Trace:
[   20.000004]  <TASK>
[   20.000005]  dump_stack_lvl+0x44/0x5c
`
	got = DetectSplats(dump)
	if len(got) != 1 || !strings.Contains(got[0], "Hardware name") {
		t.Errorf("bare call trace: got %q", got)
	}

	// Two identical warnings at different times are two splats.
	twice := "[ 1.000000] WARNING: CPU: 0 PID: 1 at a.c:1 f\n[ 2.000000] WARNING: CPU: 0 PID: 1 at a.c:1 f\n"
	if got := DetectSplats(twice); len(got) != 2 {
		t.Errorf("repeated warning: got %q", got)
	}
}
