#!/bin/busybox sh
# PID 1 of the splitstack test guest, run from the initramfs built by
# github.com/split-stack/splitstack/qemu (see run.go for the host side).
#
# It loads the 9p modules, lays out the host's root file system (read-only,
# 9p tag "hostroot") under a tmpfs at /newroot, mounts the per-run directory
# (9p tag "sst", writable) at /newroot/sst and runs /sst/.sst/run chrooted
# there. /sst/.sst/params (sourced) says how: SST_MODE=run|shell, SST_PATH,
# SST_TERM. Results go to /sst/.sst: output, exitcode, timedout, dmesg.
# The host creates /sst/.sst/stop when the scenario has run out of time.
# Markers on the console tell the host how far the guest got.

/bin/busybox --install -s /bin
export PATH=/bin
umask 022

say() { echo "sst-init: $*"; }
die() {
	say "FATAL: $*"
	echo "SST-GUEST-FAILED"
	sync
	poweroff -f
	sleep 10 # poweroff -f does not return; never fall off the end of PID 1
}

mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys

while read -r m; do
	insmod "/modules/$m" || die "insmod $m failed"
done </modules/load.list

# mount9p TAG DIR OPTS: the virtio device may still be probing, so poll.
mount9p() {
	i=0
	until err=$(mount -t 9p -o "trans=virtio,version=9p2000.L,msize=262144,$3" "$1" "$2" 2>&1); do
		i=$((i + 1))
		[ $i -ge 200 ] && die "cannot mount 9p tag $1 on $2 after 10s: $err"
		usleep 50000
	done
}

mkdir -p /host /newroot
mount9p hostroot /host ro,cache=loose
mount -t tmpfs -o mode=0755 newroot /newroot || die "tmpfs on /newroot"

# Every top-level directory of the host, read-only; symlinks (bin -> usr/bin)
# copied; the rest is the guest's own.
cd /host || die "cd /host"
for name in *; do
	case "$name" in
	proc | sys | dev | run | tmp | root | sst | lost+found) continue ;;
	esac
	if [ -L "$name" ]; then
		ln -s "$(readlink "$name")" "/newroot/$name"
	elif [ -d "$name" ]; then
		mkdir "/newroot/$name" && mount -o bind "/host/$name" "/newroot/$name" ||
			die "bind /$name"
	fi
done
cd /

R=/newroot
mkdir -p $R/proc $R/sys $R/dev $R/run $R/tmp $R/root $R/sst
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o ptmxmode=0666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777 shm $R/dev/shm
mount -t tmpfs -o mode=0755 run $R/run
mount -t tmpfs -o mode=1777 tmp $R/tmp
mount -t tmpfs -o mode=0700 root $R/root
for d in var/tmp var/log; do
	[ -d $R/$d ] && mount -t tmpfs -o mode=1777 "${d#*/}" $R/$d
done
mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null
mount9p sst $R/sst rw

# The kernel runs its module loader (request_module) in this initramfs, not
# in the chroot: point it at the host's modprobe and module tree.
printf '#!/bin/busybox sh\nexec /bin/busybox chroot /newroot /sbin/modprobe "$@"\n' >/bin/sst-modprobe
chmod 755 /bin/sst-modprobe
echo /bin/sst-modprobe >/proc/sys/kernel/modprobe

# Programs run from 9p page in slowly (each exec of a Go binary costs ~3x
# what it does from tmpfs): give /sst/bin a tmpfs copy.
if [ -d $R/sst/bin ]; then
	mkdir -p /binstage
	cp -a $R/sst/bin/. /binstage/ || die "copy /sst/bin"
	mount -t tmpfs -o mode=0755 sstbin $R/sst/bin || die "tmpfs on /sst/bin"
	cp -a /binstage/. $R/sst/bin/ || die "copy /sst/bin back"
	rm -rf /binstage
fi

S=$R/sst/.sst
[ -r $S/params ] || die "missing /sst/.sst/params"
. $S/params

hostname sst-guest
ip link set lo up

echo "SST-GUEST-READY $(uname -r)"
if [ "$SST_MODE" = shell ]; then
	setsid cttyhack env -i PATH="$SST_PATH" HOME=/root TERM="$SST_TERM" SST=/sst \
		chroot $R /bin/sh /sst/.sst/run
	rc=$?
else
	env -i PATH="$SST_PATH" HOME=/root TERM=dumb SST=/sst \
		chroot $R /bin/sh /sst/.sst/run >$S/output 2>&1 </dev/null &
	pid=$!
	(
		# The host keeps the time: guest clocks are unreliable under TCG.
		while [ ! -e $S/stop ]; do sleep 1; done
		echo "SST-GUEST-TIMEOUT: stopping the scenario"
		: >$S/timedout
		kill -TERM $pid 2>/dev/null
		i=0
		while kill -0 $pid 2>/dev/null && [ $i -lt 50 ]; do
			usleep 100000
			i=$((i + 1))
		done
		kill -KILL $pid 2>/dev/null
	) &
	watchdog=$!
	wait $pid
	rc=$?
	kill $watchdog 2>/dev/null
fi
echo "$rc" >$S/exitcode
dmesg >$S/dmesg
sync
echo "SST-GUEST-EXIT rc=$rc"
poweroff -f
sleep 10
