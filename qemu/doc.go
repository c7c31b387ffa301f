// Package qemu boots an installed Debian kernel in QEMU (TCG, no KVM) and
// runs a shell scenario inside it.
//
// The guest gets a small initramfs (busybox-static plus the virtio and 9p
// modules of the chosen kernel). Its init mounts the host's root file system
// read-only over 9p, lays it out under a tmpfs root (with private /tmp, /run,
// /root, /var/tmp and /var/log), mounts a writable per-run host directory at
// /sst and chroots there to run the scenario, so every host tool (ip, tc,
// curl, the project's Go binaries, ...) is available in the guest. The guest
// has no network device at all.
//
// Results travel back through /sst: the scenario's output and exit code and
// the guest's dmesg. The serial console is captured too, because a kernel
// that panics (panic_on_warn=1, oops=panic) never gets to write dmesg.
package qemu
