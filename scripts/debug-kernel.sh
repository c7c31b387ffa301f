#!/usr/bin/env bash
# debug-kernel.sh OUT: builds, once, a 6.1 kernel with the memory and
# locking checkers Debian's kernels lack (KASAN, lockdep with RCU
# checking, DEBUG_ATOMIC_SLEEP, kmemleak, KFENCE, debug objects and lists)
# from Debian's linux-source-6.1, for `make test-debug`. Everything the
# guests use is built in (virtio, 9p, veth, bridge, netem, netfilter), so
# the kernel needs no module tree beside it. Leaves under OUT:
#   src/linux-source-6.1     the built tree (M= builds of splitstack.ko)
#   root/boot/vmlinuz-VER, root/lib/modules/VER   what the harness boots
#   version                  VER
# A tree built by the same script and tarball is reused.
set -euo pipefail
out=${1:?usage: debug-kernel.sh OUTDIR}
tarball=/usr/src/linux-source-6.1.tar.xz
[ -r "$tarball" ] || { echo "debug-kernel: no $tarball (make deps: linux-source-6.1)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
key=$(sha256sum <"$0" | cut -c1-16)-$(stat -c %s-%Y "$tarball")
if [ -f "$out/version" ] && [ "$(cat "$out/key" 2>/dev/null)" = "$key" ]; then
	echo "debug-kernel: $(cat "$out/version") (cached in $out)"
	exit 0
fi
rm -rf "$out/src" "$out/root" "$out/version" "$out/key"
mkdir -p "$out/src"
tar -xJf "$tarball" -C "$out/src"
src=$out/src/linux-source-6.1
cd "$src"
make -s defconfig kvm_guest.config
on="MODULES MODULE_UNLOAD
	KASAN KASAN_GENERIC KASAN_INLINE KFENCE
	PROVE_LOCKING PROVE_RCU DEBUG_ATOMIC_SLEEP DEBUG_LIST
	DEBUG_KMEMLEAK DEBUG_KMEMLEAK_AUTO_SCAN
	DEBUG_OBJECTS DEBUG_OBJECTS_TIMERS DEBUG_OBJECTS_WORK
	VIRTIO_PCI VIRTIO_NET VIRTIO_CONSOLE HW_RANDOM_VIRTIO
	NET_9P NET_9P_VIRTIO 9P_FS 9P_FS_POSIX_ACL
	VETH BRIDGE NET_SCHED NET_SCH_NETEM NET_SCH_FQ_CODEL
	NET_NS USER_NS PACKET UNIX INET INET_DIAG INET_TCP_DIAG INET_UDP_DIAG MPTCP
	NETFILTER NETFILTER_ADVANCED
	CRYPTO_HMAC CRYPTO_SHA256
	FTRACE TRACING EVENT_TRACING DEBUG_FS
	TMPFS DEVTMPFS DEVTMPFS_MOUNT BLK_DEV_INITRD RD_GZIP"
# Off: what a guest of the tests never uses, to keep the build short.
off="DRM SOUND USB_SUPPORT WLAN WIRELESS CFG80211 HID FB AGP ATA MD ETHERNET
	SCSI_LOWLEVEL INPUT_JOYSTICK INPUT_TABLET INPUT_TOUCHSCREEN
	DEBUG_INFO DEBUG_INFO_BTF SECURITY_SELINUX AUDIT KVM XEN HYPERV
	NFS_FS EXT4_FS BTRFS_FS XFS_FS LOCALVERSION_AUTO"
args=()
for o in $on; do args+=(-e "$o"); done
for o in $off; do args+=(-d "$o"); done
scripts/config "${args[@]}" --set-str LOCALVERSION -sstdebug
make -s olddefconfig
for o in KASAN PROVE_LOCKING DEBUG_KMEMLEAK NET_9P_VIRTIO VETH NET_SCH_NETEM; do
	grep -q "^CONFIG_$o=y" .config || { echo "debug-kernel: CONFIG_$o did not stick" >&2; exit 1; }
done
make -s -j"$(nproc)" bzImage modules
ver=$(make -s kernelrelease)
mkdir -p "$out/root/boot"
cp arch/x86/boot/bzImage "$out/root/boot/vmlinuz-$ver"
make -s modules_install INSTALL_MOD_PATH="$out/root" DEPMOD=/sbin/depmod
echo "$ver" >"$out/version"
echo "$key" >"$out/key"
echo "debug-kernel: $ver built in $out"
